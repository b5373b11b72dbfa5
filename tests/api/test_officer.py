"""Officer API: a centre's day, an enrolment, and each workflow move through the same
services as the consoles, with the same scope (foreign objects are 404), staff only
through an OTP-verified session."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from bookings.models import Appointment
from bookings.services import appointment_book
from centres.tests.factories import CentreFactory, SlotFactory
from common.tests.helpers import force_login_verified
from enrolment.models import Membership
from enrolment.tests.factories import ApplicationFactory
from interviews.models import Interview
from interviews.tests.factories import officer
from tests.api.conftest import TODAY, assert_error, at

pytestmark = pytest.mark.django_db

CENTRES = "/api/v1/officer/centres/"


def _day(centre) -> str:
    return f"/api/v1/officer/centres/{centre.pk}/appointments/"


def _appointment(appointment, action: str) -> str:
    return f"/api/v1/officer/appointments/{appointment.pk}/{action}/"


def _enrolment(enrolment, action: str = "") -> str:
    return f"/api/v1/officer/enrolments/{enrolment.pk}/" + (f"{action}/" if action else "")


def _as(user) -> APIClient:
    client = APIClient()
    client.default_format = "json"  # the API parses JSON only
    force_login_verified(client, user)
    return client


def _booked(centre, starts_at=None, application=None) -> Appointment:
    """Booked by the applicant: later this morning (09:30 in Vancouver) unless told."""
    application = application or ApplicationFactory()
    slot = SlotFactory(centre=centre, starts_at=starts_at or at(0, 9, 30))
    return appointment_book(application=application, slot=slot, actor=application.applicant.user)


def _enrolment_of(appointment) -> Interview:
    return Interview.objects.get(application=appointment.application)


@pytest.fixture
def preclearance(yvr):
    return CentreFactory(
        preclearance=True, airport=yvr, name="YVR preclearance", time_zone="America/Vancouver"
    )


@pytest.fixture
def blaine(db):
    return CentreFactory(land_border=True, name="Blaine joint centre")


@pytest.fixture
def cbsa(yvr):
    return officer("cbsa", yvr)


@pytest.fixture
def cbp(preclearance):
    return officer("cbp", preclearance)


@pytest.fixture
def joint_cbsa(blaine):
    return officer("cbsa", blaine)


@pytest.fixture
def joint_cbp(blaine):
    return officer("cbp", blaine)


# --- Reads -----------------------------------------------------------------------------


def test_it_lists_the_centres_each_officer_works_at(yvr, preclearance, blaine, cbsa, cbp):
    response = _as(cbsa).get(CENTRES)
    assert response.status_code == 200
    assert [(c["id"], c["kind"], c["time_zone"]) for c in response.json()] == [
        (yvr.pk, "airport_enrolment", "America/Vancouver")
    ]
    assert [c["id"] for c in _as(cbp).get(CENTRES).json()] == [preclearance.pk]


def test_the_day_list_shows_todays_appointments_in_local_time(yvr, blaine, cbsa):
    today = _booked(yvr)
    tomorrow = _booked(yvr, starts_at=at(1, 10))
    _booked(blaine)  # another centre's
    client = _as(cbsa)

    response = client.get(_day(yvr))

    assert response.status_code == 200
    body = response.json()
    assert (body["centre"], body["time_zone"], body["day"]) == (
        yvr.pk,
        "America/Vancouver",
        TODAY.isoformat(),
    )
    (row,) = body["appointments"]
    applicant = today.application.applicant
    assert row["id"] == today.pk
    assert row["application"] == today.application.number
    assert row["applicant_name"] == applicant.full_name
    assert (row["status"], row["step"]) == ("booked", "cbsa")
    assert row["starts_at"] == "2027-03-01T09:30:00-08:00"
    assert row["enrolment"] == _enrolment_of(today).pk
    assert row["enrolment_state"] == "awaiting_interview"

    next_day = client.get(_day(yvr), {"day": "2027-03-02"}).json()
    assert [a["id"] for a in next_day["appointments"]] == [tomorrow.pk]
    assert next_day["appointments"][0]["starts_at"] == "2027-03-02T10:00:00-08:00"


def test_a_bad_day_is_a_400_naming_the_field(yvr, cbsa):
    body = assert_error(_as(cbsa).get(_day(yvr), {"day": "tomorrow"}), 400, "invalid")
    assert "day" in body["fields"]


def test_the_enrolment_shows_its_state_path_appointments_and_history(yvr, cbsa):
    appointment = _booked(yvr)
    enrolment = _enrolment_of(appointment)
    client = _as(cbsa)
    client.post(_appointment(appointment, "check-in"))
    client.post(_enrolment(enrolment, "outcome"), {"outcome": "pass", "notes": "Fine."})

    response = client.get(_enrolment(enrolment))

    assert response.status_code == 200
    body = response.json()
    assert body["application"] == appointment.application.number
    assert (body["state"], body["path"], body["cbsa_centre"]) == ("cbsa_passed", "airport", yvr.pk)
    assert [(a["id"], a["status"]) for a in body["appointments"]] == [(appointment.pk, "attended")]
    (event,) = body["history"]
    assert (event["action"], event["from_state"], event["to_state"]) == (
        "cbsa_pass",
        "awaiting_interview",
        "cbsa_passed",
    )
    assert (event["agency"], event["centre"], event["appointment"]) == (
        "cbsa",
        yvr.pk,
        appointment.pk,
    )
    assert event["notes"] == "Fine."
    assert event["actor"] == cbsa.get_full_name()


# --- The paths, end to end -------------------------------------------------------------


def test_the_airport_path_cbsa_pass_share_then_cbp_pass_at_preclearance(
    yvr, preclearance, cbsa, cbp
):
    appointment = _booked(yvr)
    enrolment = _enrolment_of(appointment)
    as_cbsa, as_cbp = _as(cbsa), _as(cbp)

    response = as_cbsa.post(_appointment(appointment, "check-in"))
    assert response.status_code == 200
    assert response.json()["status"] == "checked_in"
    response = as_cbsa.post(
        _enrolment(enrolment, "outcome"), {"outcome": "pass", "notes": "Documents in order."}
    )
    assert response.status_code == 200
    assert response.json()["state"] == "cbsa_passed"
    # Not shared yet: CBP has no business with it.
    assert_error(as_cbp.get(_enrolment(enrolment)), 404, "not_found")

    response = as_cbsa.post(_enrolment(enrolment, "share"))
    assert response.status_code == 200
    assert response.json()["state"] == "shared_with_cbp"
    assert response.json()["shared_at"]

    assert as_cbp.get(_enrolment(enrolment)).json()["state"] == "shared_with_cbp"
    response = as_cbp.post(
        _enrolment(enrolment, "outcome"), {"outcome": "pass", "centre": preclearance.pk}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "enrolled"
    membership = Membership.objects.get(applicant=appointment.application.applicant)
    assert body["membership"] == membership.number
    assert [(e["to_state"], e["agency"], e["centre"]) for e in body["history"]] == [
        ("cbsa_passed", "cbsa", yvr.pk),
        ("shared_with_cbp", "cbsa", yvr.pk),
        ("enrolled", "cbp", preclearance.pk),
    ]
    enrolment.refresh_from_db()
    assert enrolment.state == Interview.State.ENROLLED
    assert enrolment.shared_by == cbsa
    assert [e.actor for e in enrolment.events.all()] == [cbsa, cbsa, cbp]


def test_the_joint_path_cbp_checks_in_and_both_agencies_pass(blaine, joint_cbsa, joint_cbp):
    appointment = _booked(blaine)
    enrolment = _enrolment_of(appointment)
    as_cbsa, as_cbp = _as(joint_cbsa), _as(joint_cbp)

    response = as_cbp.post(_appointment(appointment, "check-in"))
    assert response.status_code == 200
    assert response.json()["step"] == "joint"
    response = as_cbp.post(_enrolment(enrolment, "outcome"), {"outcome": "pass"})
    assert response.json()["state"] == "cbp_passed"
    response = as_cbsa.post(_enrolment(enrolment, "outcome"), {"outcome": "pass", "notes": ""})

    assert response.status_code == 200
    assert response.json()["state"] == "enrolled"
    assert response.json()["path"] == "joint"
    assert [e.action for e in Interview.objects.get(pk=enrolment.pk).events.all()] == [
        "cbp_pass",
        "cbsa_pass",
    ]


def test_a_missed_appointment_is_recorded_and_written_to_the_history(yvr, cbsa, time_machine):
    appointment = _booked(yvr)
    enrolment = _enrolment_of(appointment)
    time_machine.move_to(at(0, 10), tick=False)

    response = _as(cbsa).post(_appointment(appointment, "no-show"))

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["enrolment_state"]) == ("no_show", "no_show")
    (event,) = enrolment.events.all()
    assert (event.action, event.actor, event.agency, event.centre, event.appointment) == (
        "no_show",
        cbsa,
        "cbsa",
        yvr,
        appointment,
    )


def test_the_referring_agency_decides_the_review(blaine, joint_cbsa, joint_cbp):
    appointment = _booked(blaine)
    enrolment = _enrolment_of(appointment)
    as_cbp = _as(joint_cbp)
    as_cbp.post(_appointment(appointment, "check-in"))
    response = as_cbp.post(
        _enrolment(enrolment, "outcome"), {"outcome": "refer", "notes": "Check."}
    )
    assert response.json()["state"] == "under_review"
    assert response.json()["review_agency"] == "cbp"

    assert_error(
        _as(joint_cbsa).post(_enrolment(enrolment, "review"), {"decision": "clear"}),
        403,
        "wrong_agency",
    )
    response = as_cbp.post(
        _enrolment(enrolment, "review"), {"decision": "clear", "notes": "Cleared."}
    )

    assert response.status_code == 200
    assert response.json()["state"] == "cbp_passed"
    last = response.json()["history"][-1]
    assert (last["action"], last["notes"], last["details"]) == (
        "review_clear",
        "Cleared.",
        {"decision": "cleared"},
    )


# --- Who may call, and scope -----------------------------------------------------------


def _every_endpoint(centre, appointment, enrolment) -> list[tuple[str, str]]:
    return [
        ("get", CENTRES),
        ("get", _day(centre)),
        ("get", _enrolment(enrolment)),
        ("post", _appointment(appointment, "check-in")),
        ("post", _appointment(appointment, "no-show")),
        ("post", _enrolment(enrolment, "outcome")),
        ("post", _enrolment(enrolment, "share")),
        ("post", _enrolment(enrolment, "review")),
    ]


def test_an_applicant_gets_404_on_every_officer_endpoint(yvr):
    appointment = _booked(yvr)
    client = APIClient()
    client.force_login(appointment.application.applicant.user)  # even their own
    for method, url in _every_endpoint(yvr, appointment, _enrolment_of(appointment)):
        assert_error(getattr(client, method)(url, {}, format="json"), 404, "not_found")
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.BOOKED


def test_an_unverified_staff_session_or_a_staff_token_is_a_403(yvr, cbsa):
    appointment = _booked(yvr)
    session = APIClient()
    session.force_login(cbsa)  # code step not done
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=cbsa).key}")
    for client in (session, token):
        for method, url in _every_endpoint(yvr, appointment, _enrolment_of(appointment)):
            assert_error(getattr(client, method)(url, {}, format="json"), 403, "not_verified")
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.BOOKED


def test_signed_out_is_a_401(api, yvr):
    appointment = _booked(yvr)
    for method, url in _every_endpoint(yvr, appointment, _enrolment_of(appointment)):
        assert_error(getattr(api, method)(url, {}, format="json"), 401, "not_authenticated")


def test_an_officer_of_another_centre_gets_404(yvr, blaine):
    appointment = _booked(yvr)
    enrolment = _enrolment_of(appointment)
    stranger = _as(officer("cbsa", CentreFactory()))
    for method, url in _every_endpoint(yvr, appointment, enrolment)[1:]:
        assert_error(getattr(stranger, method)(url, {"outcome": "pass"}), 404, "not_found")
    assert stranger.get(CENTRES).status_code == 200
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.BOOKED
    assert not enrolment.events.exists()


def test_cbp_at_the_airport_centre_gets_404_for_an_interview_not_shared_with_it(yvr):
    # CBP at the airport's own centre: the appointment is at its centre, the enrolment
    # (airport path, not shared) is not CBP's business yet: not found.
    cbp_at_yvr = _as(officer("cbp", yvr))
    appointment = _booked(yvr)
    assert_error(cbp_at_yvr.post(_appointment(appointment, "check-in")), 404, "not_found")


def test_the_other_agency_cannot_share_403(blaine, joint_cbp):
    appointment = _booked(blaine)
    response = _as(joint_cbp).post(_enrolment(_enrolment_of(appointment), "share"))
    assert_error(response, 403, "wrong_agency")


# --- Illegal moves and bad input -------------------------------------------------------


def test_illegal_moves_are_409_with_the_services_code(yvr, cbsa):
    appointment = _booked(yvr)
    enrolment = _enrolment_of(appointment)
    client = _as(cbsa)

    outcome = client.post(_enrolment(enrolment, "outcome"), {"outcome": "pass", "notes": "x"})
    assert_error(outcome, 409, "not_checked_in")
    assert_error(client.post(_enrolment(enrolment, "share")), 409, "illegal_transition")
    review = client.post(_enrolment(enrolment, "review"), {"decision": "refuse"})
    assert_error(review, 409, "illegal_transition")
    assert_error(client.post(_appointment(appointment, "no-show")), 409, "appointment_not_missed")
    assert client.post(_appointment(appointment, "check-in")).status_code == 200
    again = client.post(_appointment(appointment, "check-in"))
    assert_error(again, 409, "appointment_not_booked")
    assert not enrolment.events.exists()


def test_check_in_is_only_on_the_appointments_day(yvr, cbsa):
    appointment = _booked(yvr, starts_at=at(1, 9))
    assert_error(_as(cbsa).post(_appointment(appointment, "check-in")), 409, "not_appointment_day")


def test_bad_input_is_a_400_naming_the_fields(yvr, preclearance, cbsa):
    appointment = _booked(yvr)
    enrolment = _enrolment_of(appointment)
    client = _as(cbsa)

    body = assert_error(client.post(_enrolment(enrolment, "outcome"), {"outcome": "maybe"}), 400)
    assert set(body["fields"]) == {"outcome"}
    # A centre the officer does not work at is not a valid choice.
    body = assert_error(
        client.post(
            _enrolment(enrolment, "outcome"), {"outcome": "pass", "centre": preclearance.pk}
        ),
        400,
        "invalid",
    )
    assert set(body["fields"]) == {"centre"}
    body = assert_error(client.post(_enrolment(enrolment, "review"), {"notes": "x" * 2001}), 400)
    assert set(body["fields"]) == {"decision", "notes"}
    assert not enrolment.events.exists()


def test_the_day_list_query_count_does_not_grow_with_appointments(yvr, cbsa):
    client = _as(cbsa)
    _booked(yvr)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(_day(yvr)).json()["appointments"]) == 1
    for minute in range(31, 41):
        _booked(yvr, starts_at=at(0, 9, minute))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(_day(yvr)).json()["appointments"]) == 11
    assert len(many) == len(few)


def _event_row(event) -> tuple:
    return (
        event.action,
        event.from_state,
        event.to_state,
        event.actor_id,
        event.agency,
        event.centre_id,
        event.reason,
        event.details,
    )


def test_the_api_writes_the_same_history_as_the_console(client, yvr, cbsa):
    by_page, by_api = _booked(yvr), _booked(yvr, starts_at=at(0, 9, 40))
    force_login_verified(client, cbsa)
    page = _enrolment_of(by_page)
    client.post(reverse("interviews:check_in", args=[by_page.pk]))
    client.post(reverse("interviews:outcome", args=[page.pk]), {"outcome": "refer", "notes": "n"})
    api = _enrolment_of(by_api)
    as_cbsa = _as(cbsa)
    as_cbsa.post(_appointment(by_api, "check-in"))
    as_cbsa.post(_enrolment(api, "outcome"), {"outcome": "refer", "notes": "n"})

    assert [_event_row(e) for e in api.events.all()] == [_event_row(e) for e in page.events.all()]
    assert [e.appointment_id for e in api.events.all()] == [by_api.pk]
    assert Appointment.objects.get(pk=by_api.pk).status == Appointment.Status.ATTENDED
