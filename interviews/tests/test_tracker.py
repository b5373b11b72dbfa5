"""The dashboard's path tracker (``interviews.tracker.application_path``): the steps of each
path, and for every state on every path which step is done, current (or under review, or
stopped there) and to come. Each state is reached through the real services, as in
``test_standing``, whose world and journeys these tests share."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import translation

from enrolment.models import Application
from enrolment.tests.factories import ApplicationFactory
from interviews.tests import test_standing as standing
from interviews.tests.test_standing import (
    ALEXANDRIA_BAY,
    BLAINE,
    BUILD,
    LANSDOWNE,
    Journey,
    fresh,
    renewal_with_extended_benefits,
)
from interviews.tracker import application_path

# The same clock (16 March 2027) and centres as the standing's tests.
clock = standing.clock
world = standing.world

pytestmark = pytest.mark.django_db

A, J, SP = Application.Path.AIRPORT, Application.Path.JOINT, Application.Path.SPLIT_SITE

KEYS = {
    A: ["approval", "book", "cbsa", "share", "cbp", "membership"],
    SP: ["approval", "book", "cbsa", "share", "cbp", "membership"],
    J: ["approval", "book", "joint", "membership"],
}

# (path, case) -> (the step the applicant is at, how it stands there). "membership/done":
# every step is done.
WHERE = {
    **{(path, "booked"): ("joint" if path == J else "cbsa", "current") for path in (A, J, SP)},
    **{(path, "checked_in"): ("joint" if path == J else "cbsa", "current") for path in (A, J, SP)},
    **{(path, "cancelled"): ("book", "current") for path in (A, J, SP)},
    **{(path, "no_show"): ("book", "current") for path in (A, J, SP)},
    **{(path, "under_review"): ("joint" if path == J else "cbsa", "review") for path in (A, J, SP)},
    **{(path, "refused"): ("joint" if path == J else "cbsa", "stopped") for path in (A, J, SP)},
    **{(path, "expired"): ("book", "stopped") for path in (A, J, SP)},
    **{(path, "enrolled"): ("membership", "done") for path in (A, J, SP)},
    (A, "cbsa_passed"): ("share", "current"),
    (SP, "cbsa_passed"): ("share", "current"),
    (J, "cbsa_passed"): ("joint", "current"),
    (A, "shared_with_cbp"): ("cbp", "current"),
    (SP, "shared_with_cbp"): ("cbp", "current"),
    (A, "under_review_by_cbp"): ("cbp", "review"),
    (SP, "under_review_by_cbp"): ("cbp", "review"),
    (J, "under_review_by_cbp"): ("joint", "review"),
    (J, "cbp_passed"): ("joint", "current"),
}


def test_every_built_case_is_expected():
    assert set(WHERE) == set(BUILD)


def states(tracker) -> list[str]:
    return [step.state for step in tracker.steps]


@pytest.mark.parametrize(
    ("path", "case"), [pytest.param(*key, id="-".join(key)) for key in sorted(BUILD)]
)
def test_every_state_on_every_path_marks_where_the_applicant_is(world, path, case):
    journey = BUILD[path, case](Journey(world, path))

    tracker = application_path(fresh(journey.application))

    keys = [step.key for step in tracker.steps]
    assert keys == KEYS[path]
    where, how = WHERE[path, case]
    position = keys.index(where)
    after = "not_reached" if how == "stopped" else "to_come"
    if how == "done":
        assert states(tracker) == ["done"] * len(keys)
        assert tracker.current is None
    else:
        assert states(tracker) == (
            ["done"] * position + [how] + [after] * (len(keys) - position - 1)
        )
        assert tracker.current is tracker.steps[position]
    for step in tracker.steps:
        assert step.title.strip() and step.label.strip()
        if step.is_here:
            assert step.detail.strip()


def test_an_approved_application_not_yet_booked_is_at_booking_on_no_path():
    tracker = application_path(ApplicationFactory())

    assert tracker.path == ""
    assert [(s.key, s.state) for s in tracker.steps] == [
        ("approval", "done"), ("book", "current"), ("interview", "to_come"),
        ("membership", "to_come"),
    ]  # fmt: skip
    assert tracker.steps[1].detail == "Choose a centre and a time."


def test_a_pending_application_is_at_approval():
    tracker = application_path(ApplicationFactory(pending=True))

    assert states(tracker) == ["current", "to_come", "to_come", "to_come"]
    assert tracker.current.detail == "Your application is being reviewed."


def test_a_withdrawn_application_has_no_path():
    assert application_path(ApplicationFactory(status=Application.Status.WITHDRAWN)) is None


def test_the_split_site_cbp_step_names_the_counterpart_centre(world):
    for case in ("booked", "cbsa_passed", "shared_with_cbp"):
        tracker = application_path(fresh(BUILD[SP, case](Journey(world, SP)).application))
        cbp = next(step for step in tracker.steps if step.key == "cbp")
        assert cbp.title == f"CBP interview at {ALEXANDRIA_BAY}"
        assert "Alexandria Bay, NY" in cbp.detail
        cbsa = next(step for step in tracker.steps if step.key == "cbsa")
        assert cbsa.title == f"CBSA interview at {LANSDOWNE}"


def test_the_airport_cbp_step_is_a_walk_in_before_a_us_flight(world):
    tracker = application_path(fresh(BUILD[A, "shared_with_cbp"](Journey(world, A)).application))

    cbp = tracker.current
    assert cbp.key == "cbp"
    assert "preclearance area" in cbp.title
    assert "walk in" in cbp.detail and "flight to the United States" in cbp.detail


def test_the_booked_step_says_when_and_where(world):
    tracker = application_path(fresh(BUILD[J, "booked"](Journey(world, J)).application))

    booked = tracker.steps[1]
    assert booked.state == "done"
    assert booked.detail == f"Tuesday 16 March 2027 at 10:20 (Pacific time), at {BLAINE}."
    assert tracker.current.title == f"Joint CBSA and CBP interview at {BLAINE}"


def test_half_way_through_a_joint_interview_says_which_part_is_done(world):
    cbsa_first = application_path(fresh(BUILD[J, "cbsa_passed"](Journey(world, J)).application))
    cbp_first = application_path(fresh(BUILD[J, "cbp_passed"](Journey(world, J)).application))

    assert cbsa_first.current.detail.startswith("The CBSA part is done.")
    assert cbp_first.current.detail.startswith("The CBP part is done.")


def test_a_missed_interview_asks_to_book_again_with_the_date(world):
    tracker = application_path(fresh(BUILD[A, "no_show"](Journey(world, A)).application))

    assert tracker.current.key == "book"
    assert tracker.current.detail == (
        "You missed your interview on Tuesday 16 March 2027 at 10:20. Book a new one."
    )


def test_a_past_appointment_waits_for_its_outcome(world):
    application = fresh(BUILD[A, "booked"](Journey(world, A)).application)
    later = datetime.datetime(2027, 3, 17, tzinfo=datetime.UTC)

    tracker = application_path(application, now=later)

    assert tracker.current.key == "cbsa"
    assert "once the officer has recorded it" in tracker.current.detail


def test_a_refusal_by_cbp_stops_at_the_cbp_step(world):
    journey = BUILD[A, "shared_with_cbp"](Journey(world, A)).cbp("refuse")

    tracker = application_path(fresh(journey.application))

    assert [s.state for s in tracker.steps] == [
        "done", "done", "done", "done", "stopped", "not_reached",
    ]  # fmt: skip
    assert "refused" in tracker.current.detail


def test_an_enrolment_expired_after_the_share_stops_at_the_cbp_step(world):
    journey = BUILD[SP, "shared_with_cbp"](Journey(world, SP)).expire()

    tracker = application_path(fresh(journey.application))

    assert tracker.current.key == "cbp" and tracker.current.state == "stopped"
    assert "expired" in tracker.current.detail


def test_the_membership_step_names_the_number_once_enrolled(world):
    application = fresh(BUILD[A, "enrolled"](Journey(world, A)).application)
    membership = application.interview.membership

    tracker = application_path(application)

    assert tracker.steps[-1].detail == (
        f"Membership number {membership.number}, valid until Tuesday 16 March 2032."
    )


def test_under_enrolment_on_arrival_the_airport_path_has_no_share_step(world, settings):
    settings.ENROLMENT_ON_ARRIVAL = True
    tracker = application_path(fresh(BUILD[A, "cbsa_passed"](Journey(world, A)).application))

    assert [s.key for s in tracker.steps] == [
        "approval", "book", "cbsa", "cbp", "membership",
    ]  # fmt: skip
    assert tracker.current.key == "cbp"


def test_a_renewal_carries_the_expiry_and_the_benefit_extension(world):
    application = renewal_with_extended_benefits()

    renewal = application_path(fresh(application)).renewal

    assert renewal.number == application.membership.number
    assert renewal.expires_on == datetime.date(2027, 2, 28)
    assert renewal.benefits_extended_until == datetime.date(2028, 2, 29)
    assert application_path(ApplicationFactory()).renewal is None


def test_in_french_the_steps_are_in_french(world):
    application = fresh(BUILD[SP, "booked"](Journey(world, SP)).application)

    with translation.override("fr"):
        tracker = application_path(application)

    assert tracker.steps[0].label == "Terminé"
    assert "mars 2027" in tracker.steps[1].detail
    assert ALEXANDRIA_BAY in tracker.steps[4].title


# The dashboard -------------------------------------------------------------------------------


def dashboard(client, application, lang="en") -> str:
    client.force_login(application.applicant.user)
    with translation.override(lang):
        url = reverse("enrolment:dashboard")
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_dashboard_shows_the_path_as_an_ordered_list_with_the_current_step(client, world):
    application = BUILD[SP, "shared_with_cbp"](Journey(world, SP)).application

    page = dashboard(client, application)

    steps = re.search(r'<ol class="path-steps".*?</ol>', page, re.S).group(0)
    assert steps.count("<li") == 6
    assert steps.count('aria-current="step"') == 1
    current = re.search(r'<li[^>]*aria-current="step"[^>]*>(.*?)</li>', steps, re.S).group(1)
    assert "Current step" in current and f"CBP interview at {ALEXANDRIA_BAY}" in current
    assert steps.count(">Done<") == 4 and steps.count(">To come<") == 1


def test_the_dashboard_shows_a_renewals_expiry_and_extension_in_french(client, world):
    application = renewal_with_extended_benefits()

    page = dashboard(client, application, "fr")

    assert "Expire le" in page and "dimanche 28 février 2027" in page.lower()
    assert "mardi 29 février 2028" in page.lower()
    assert 'aria-current="step"' in page


def test_the_dashboards_queries_do_not_grow_with_its_applications(
    client, world, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = BUILD[SP, "shared_with_cbp"](Journey(world, SP)).application
    applicant = first.applicant
    dashboard(client, first)
    with CaptureQueriesContext(connection) as one:
        dashboard(client, first)
    for path in (A, J, SP):
        BUILD[path, "booked"](Journey(world, path, ApplicationFactory(applicant=applicant)))
    BUILD[A, "enrolled"](Journey(world, A, ApplicationFactory(applicant=applicant)))

    with django_assert_max_num_queries(len(one.captured_queries)):
        page = dashboard(client, first)

    assert page.count('aria-current="step"') == 4  # the enrolled one is all done
