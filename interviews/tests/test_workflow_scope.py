"""Who may do what to whose enrolment: every role against every workflow action, and the
selectors that define what each of them sees.

An object outside one's scope is "not found" (never revealed); an object one may see but
not act on — wrong agency, wrong centre, not an officer — is "forbidden". A refusal
changes nothing.
"""

import datetime
import itertools
from dataclasses import dataclass, field

import pytest
from django.contrib.auth.models import AnonymousUser

from bookings.errors import BookingError
from bookings.models import Appointment
from bookings.services import appointment_book, appointment_cancel, appointment_reschedule
from centres.models import Centre, Slot, StaffProfile
from centres.tests.factories import CentreFactory, SlotFactory
from common.models import AuditEvent
from enrolment.models import Application, Membership
from enrolment.tests.factories import ApplicationFactory, MembershipFactory, UserFactory
from interviews.models import Agency, EnrolmentEvent, Interview
from interviews.selectors import enrolments_visible_to, travellers_find
from interviews.services import (
    InterviewError,
    appointment_check_in,
    appointment_record_no_show,
    cbsa_share_with_cbp,
    interview_record_outcome,
    review_decide,
)
from interviews.tests.factories import StaffProfileFactory, officer, split_site_pair

# A booking or a workflow step refused: either app's error.
REFUSED = (BookingError, InterviewError)

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
NOW = datetime.datetime(2025, 6, 2, 14, 0, tzinfo=UTC)
S = Interview.State
CBSA, CBP = Agency.CBSA, Agency.CBP

ROLES = (
    "owner",
    "other_applicant",
    "cbsa_own",
    "cbsa_other",
    "cbp_own",
    "cbp_other",
    "centre_admin",
    "programme_admin",
    "superuser",
    "anonymous",
)


@pytest.fixture(autouse=True)
def _frozen_clock(time_machine):
    time_machine.move_to(NOW, tick=False)


def _staff(role, *centres):
    return StaffProfileFactory(role=role, centres=list(centres)).user


def _snapshot():
    return {
        "enrolments": list(Interview.objects.order_by("pk").values()),
        "events": list(EnrolmentEvent.objects.order_by("pk").values_list("pk", flat=True)),
        "appointments": list(
            Appointment.objects.order_by("pk").values_list("pk", "status", "slot_id")
        ),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "applications": list(Application.objects.order_by("pk").values_list("pk", "path")),
        "slots": list(Slot.objects.order_by("pk").values_list("pk", "booked")),
        "audit": AuditEvent.objects.count(),
    }


def _refused(call, code, kind) -> None:
    before = _snapshot()
    with pytest.raises(REFUSED) as error:
        call()
    assert (error.value.kind, error.value.code) == (kind, code)
    assert _snapshot() == before


# --- two scenes: a joint enrolment, an airport one ---------------------------------------------


@dataclass
class Scene:
    application: Application
    centre: Centre  # the appointment's centre
    cbp_site: Centre  # where CBP records its part
    people: dict = field(default_factory=dict)
    appointment: Appointment | None = None
    spare_slot: Slot | None = None


def _scene(kind) -> Scene:
    """The centres, the application and one person per role. "Own" officers work where
    the enrolment is; "other" officers elsewhere, for the same agency."""
    if kind == "joint":
        centre = cbp_site = CentreFactory(land_border=True, time_zone="UTC")
        elsewhere = CentreFactory(land_border=True, time_zone="UTC")
        cbsa_other, cbp_other = officer(CBSA, elsewhere), officer(CBP, elsewhere)
    else:
        centre = CentreFactory(time_zone="UTC")
        cbp_site = CentreFactory(preclearance=True, airport=centre, time_zone="UTC")
        cbsa_other = officer(CBSA, CentreFactory(time_zone="UTC"))
        cbp_other = officer(CBP, CentreFactory(land_border=True, time_zone="UTC"))
    application = ApplicationFactory()
    return Scene(
        application=application,
        centre=centre,
        cbp_site=cbp_site,
        people={
            "owner": application.applicant.user,
            "other_applicant": ApplicationFactory().applicant.user,
            "cbsa_own": officer(CBSA, centre),
            "cbsa_other": cbsa_other,
            "cbp_own": officer(CBP, cbp_site),
            "cbp_other": cbp_other,
            "centre_admin": _staff(StaffProfile.Role.CENTRE_ADMIN, centre),
            "programme_admin": _staff(StaffProfile.Role.PROGRAMME_ADMIN),
            "superuser": UserFactory(is_staff=True, is_superuser=True),
            "anonymous": AnonymousUser(),
        },
    )


def _set_up(scene: Scene, setup: str) -> None:
    """Bring the scene's enrolment to ``setup``, through the services only."""
    people, application = scene.people, scene.application
    scene.spare_slot = SlotFactory(centre=scene.centre, starts_at=NOW + datetime.timedelta(hours=2))
    if setup == "no_appointment":
        return
    slot = SlotFactory(centre=scene.centre, starts_at=NOW + datetime.timedelta(minutes=30))
    scene.appointment = appointment_book(application=application, slot=slot, actor=people["owner"])
    if setup == "booked":
        return
    appointment_check_in(appointment=scene.appointment, officer=people["cbsa_own"])
    if setup == "checked_in":
        return
    if setup == "referred_by_cbsa":
        interview_record_outcome(
            application=application, officer=people["cbsa_own"], outcome="refer"
        )
        return
    interview_record_outcome(application=application, officer=people["cbsa_own"], outcome="pass")
    if setup == "cbsa_passed":
        return
    cbsa_share_with_cbp(application=application, officer=people["cbsa_own"])
    if setup == "shared":
        return
    assert setup == "referred_by_cbp"
    interview_record_outcome(
        application=application, officer=people["cbp_own"], outcome="refer", centre=scene.cbp_site
    )


def _call(scene: Scene, setup: str, action: str, user):
    application, appointment = scene.application, scene.appointment
    if action == "check_in":
        return lambda: appointment_check_in(appointment=appointment, officer=user)
    if action == "no_show":
        later = appointment.slot.starts_at + datetime.timedelta(minutes=5)
        return lambda: appointment_record_no_show(appointment=appointment, officer=user, now=later)
    if action in ("pass", "refuse", "refer"):
        centre = scene.cbp_site if setup == "shared" else None
        return lambda: interview_record_outcome(
            application=application, officer=user, outcome=action, centre=centre
        )
    if action == "share":
        return lambda: cbsa_share_with_cbp(application=application, officer=user)
    if action in ("review_clear", "review_refuse"):
        return lambda: review_decide(
            application=application, officer=user, clear=action == "review_clear"
        )
    if action == "book":
        return lambda: appointment_book(application=application, slot=scene.spare_slot, actor=user)
    if action == "reschedule":
        return lambda: appointment_reschedule(
            appointment=appointment, slot=scene.spare_slot, actor=user
        )
    assert action == "cancel"
    return lambda: appointment_cancel(appointment=appointment, actor=user)


# --- the matrix ------------------------------------------------------------------------------

OK = ("ok", "")
NOT_FOUND = ("not_found", "not_found")
NOT_AN_OFFICER = ("forbidden", "not_an_officer")
WRONG_AGENCY = ("forbidden", "wrong_agency")
ILLEGAL = ("conflict", "illegal_transition")

# The CBSA side's business: its officers where the enrolment is; staff who are not
# officers see it but may not act; everyone else does not find it.
CBSA_ONLY = {
    "owner": NOT_AN_OFFICER,
    "other_applicant": NOT_FOUND,
    "cbsa_own": OK,
    "cbsa_other": NOT_FOUND,
    "cbp_own": NOT_FOUND,
    "cbp_other": NOT_FOUND,
    "centre_admin": NOT_AN_OFFICER,
    "programme_admin": NOT_AN_OFFICER,
    "superuser": NOT_AN_OFFICER,
    "anonymous": NOT_FOUND,
}
BOTH_AGENCIES = {**CBSA_ONLY, "cbp_own": OK}
# The applicant's own business (a superuser may act for them); nobody else's.
APPLICANT_ONLY = {role: NOT_FOUND for role in ROLES} | {"owner": OK, "superuser": OK}

MATRIX = [
    ("joint", "booked", "check_in", BOTH_AGENCIES),
    ("joint", "booked", "no_show", BOTH_AGENCIES),
    ("joint", "checked_in", "pass", BOTH_AGENCIES),
    ("joint", "checked_in", "refuse", BOTH_AGENCIES),
    ("joint", "checked_in", "refer", BOTH_AGENCIES),
    ("joint", "referred_by_cbsa", "review_clear", {**CBSA_ONLY, "cbp_own": WRONG_AGENCY}),
    ("joint", "referred_by_cbsa", "review_refuse", {**CBSA_ONLY, "cbp_own": WRONG_AGENCY}),
    ("airport", "booked", "check_in", CBSA_ONLY),
    ("airport", "booked", "no_show", CBSA_ONLY),
    ("airport", "checked_in", "pass", CBSA_ONLY),
    ("airport", "checked_in", "refuse", CBSA_ONLY),
    ("airport", "checked_in", "refer", CBSA_ONLY),
    # Not shared yet: CBP has no business with it.
    ("airport", "cbsa_passed", "share", CBSA_ONLY),
    # Shared: the CBP part, at the preclearance area; the CBSA part is over.
    ("airport", "shared", "pass", {**CBSA_ONLY, "cbsa_own": ILLEGAL, "cbp_own": OK}),
    ("airport", "shared", "refuse", {**CBSA_ONLY, "cbsa_own": ILLEGAL, "cbp_own": OK}),
    ("airport", "shared", "refer", {**CBSA_ONLY, "cbsa_own": ILLEGAL, "cbp_own": OK}),
    (
        "airport",
        "referred_by_cbp",
        "review_clear",
        {**CBSA_ONLY, "cbsa_own": WRONG_AGENCY, "cbp_own": OK},
    ),
    (
        "airport",
        "referred_by_cbp",
        "review_refuse",
        {**CBSA_ONLY, "cbsa_own": WRONG_AGENCY, "cbp_own": OK},
    ),
    ("airport", "no_appointment", "book", APPLICANT_ONLY),
    ("airport", "booked", "reschedule", APPLICANT_ONLY),
    ("airport", "booked", "cancel", APPLICANT_ONLY),
]


def _cells():
    for kind, setup, action, expected in MATRIX:
        assert set(expected) == set(ROLES)
        for role in ROLES:
            outcome = expected[role]
            yield pytest.param(
                kind, setup, action, role, outcome,
                id=f"{kind}-{setup}-{action}-{role}",
            )  # fmt: skip


@pytest.mark.parametrize(("kind", "setup", "action", "role", "expected"), list(_cells()))
def test_each_role_may_do_exactly_what_its_scope_allows(kind, setup, action, role, expected):
    scene = _scene(kind)
    _set_up(scene, setup)
    user = scene.people[role]
    call = _call(scene, setup, action, user)

    if expected != OK:
        _refused(call, expected[1], expected[0])
        return

    events_before = EnrolmentEvent.objects.count()
    result = call()
    if action in ("book", "reschedule"):
        assert result.status == Appointment.Status.BOOKED
        assert result.slot == scene.spare_slot
    elif action == "cancel":
        assert result.status == Appointment.Status.CANCELLED
    elif action == "check_in":
        assert result.status == Appointment.Status.CHECKED_IN
        assert EnrolmentEvent.objects.count() == events_before
    else:
        assert EnrolmentEvent.objects.count() == events_before + 1
        assert result.actor == user
        assert result.agency == user.staff_profile.agency
        assert Interview.objects.get(application=scene.application).state == result.to_state


def test_the_matrix_covers_every_workflow_action_on_both_scenes():
    actions = {(kind, action) for kind, _setup, action, _expected in MATRIX}
    for kind in ("joint", "airport"):
        for action in ("check_in", "no_show", "pass", "refuse", "refer", "review_clear"):
            assert (kind, action) in actions
    assert {"share", "book", "reschedule", "cancel"} <= {action for _, action in actions}


# --- forbidden: visible, but not here ---------------------------------------------------------


def _shared_airport_enrolment(scene):
    _set_up(scene, "shared")
    return scene


def test_any_preclearance_area_may_complete_the_cbp_part_of_an_airport_enrolment():
    scene = _shared_airport_enrolment(_scene("airport"))
    elsewhere = CentreFactory(preclearance=True, time_zone="UTC")
    cbp = officer(CBP, elsewhere)

    event = interview_record_outcome(
        application=scene.application, officer=cbp, outcome="pass", centre=elsewhere
    )

    assert (event.centre, event.to_state) == (elsewhere, S.ENROLLED)


def test_a_cbp_officer_may_not_record_at_a_preclearance_area_that_is_not_theirs():
    scene = _shared_airport_enrolment(_scene("airport"))
    cbp = officer(CBP, CentreFactory(preclearance=True, time_zone="UTC"))

    _refused(
        lambda: interview_record_outcome(
            application=scene.application, officer=cbp, outcome="pass", centre=scene.cbp_site
        ),
        "not_your_centre",
        "forbidden",
    )


def test_a_cbsa_officer_who_knows_the_enrolment_from_elsewhere_may_not_act_here():
    """The applicant missed an appointment at another airport, then booked here: the
    officers there see the enrolment in its history, but the interview is not theirs."""
    scene = _scene("airport")
    there = CentreFactory(time_zone="UTC")
    officer_there = officer(CBSA, there)
    missed = appointment_book(
        application=scene.application,
        slot=SlotFactory(centre=there, starts_at=NOW + datetime.timedelta(minutes=30)),
        actor=scene.people["owner"],
    )
    appointment_record_no_show(
        appointment=missed, officer=officer_there, now=NOW + datetime.timedelta(hours=1)
    )
    _set_up(scene, "booked")
    assert enrolments_visible_to(officer_there).filter(application=scene.application).exists()

    _refused(
        lambda: appointment_check_in(appointment=scene.appointment, officer=officer_there),
        "not_your_centre",
        "forbidden",
    )
    _refused(
        lambda: appointment_record_no_show(
            appointment=scene.appointment,
            officer=officer_there,
            now=NOW + datetime.timedelta(hours=1),
        ),
        "not_your_centre",
        "forbidden",
    )
    appointment_check_in(appointment=scene.appointment, officer=scene.people["cbsa_own"])
    _refused(
        lambda: interview_record_outcome(
            application=scene.application, officer=officer_there, outcome="pass"
        ),
        "not_your_centre",
        "forbidden",
    )
    interview_record_outcome(
        application=scene.application, officer=scene.people["cbsa_own"], outcome="pass"
    )
    _refused(
        lambda: cbsa_share_with_cbp(application=scene.application, officer=officer_there),
        "not_your_centre",
        "forbidden",
    )


def test_with_enrolment_on_arrival_a_preclearance_officer_sees_it_but_may_not_share_it(settings):
    settings.ENROLMENT_ON_ARRIVAL = True
    scene = _scene("airport")
    _set_up(scene, "cbsa_passed")

    _refused(
        lambda: cbsa_share_with_cbp(application=scene.application, officer=scene.people["cbp_own"]),
        "wrong_agency",
        "forbidden",
    )


def test_split_site_cbp_officers_find_the_enrolment_only_once_shared_and_only_at_the_counterpart():
    ca_side, us_side = split_site_pair(time_zone="UTC")
    other_us_side = split_site_pair(time_zone="UTC")[1]
    cbsa, cbp, cbp_elsewhere = (
        officer(CBSA, ca_side),
        officer(CBP, us_side),
        officer(CBP, other_us_side),
    )
    application = ApplicationFactory()
    appointment = appointment_book(
        application=application,
        slot=SlotFactory(centre=ca_side, starts_at=NOW + datetime.timedelta(minutes=30)),
        actor=application.applicant.user,
    )
    appointment_check_in(appointment=appointment, officer=cbsa)
    interview_record_outcome(application=application, officer=cbsa, outcome="pass")

    def cbp_pass(by):
        return lambda: interview_record_outcome(application=application, officer=by, outcome="pass")

    _refused(cbp_pass(cbp), "not_found", "not_found")
    cbsa_share_with_cbp(application=application, officer=cbsa)
    _refused(cbp_pass(cbp_elsewhere), "not_found", "not_found")
    assert cbp_pass(cbp)().to_state == S.ENROLLED


def test_a_cbp_officer_of_another_land_border_centre_does_not_find_a_joint_enrolment():
    scene = _scene("joint")
    _set_up(scene, "checked_in")
    interview_record_outcome(
        application=scene.application, officer=scene.people["cbsa_own"], outcome="pass"
    )

    _refused(
        lambda: interview_record_outcome(
            application=scene.application, officer=scene.people["cbp_other"], outcome="pass"
        ),
        "not_found",
        "not_found",
    )


# --- enrolments_visible_to ------------------------------------------------------------------


_SURNAMES = itertools.count(1)


@dataclass
class Population:
    centres: dict
    enrolments: dict
    people: dict


def _enrolment_at(centre, *, until, application=None, cbsa=None):
    """An enrolment booked at ``centre`` and taken ``until`` a stage, through the services.
    Each traveller has a surname of their own: the look-ups by surname and date of birth
    must not find two (Faker's surnames can repeat, and every applicant shares the
    factory's date of birth)."""
    application = application or ApplicationFactory(
        applicant__user=UserFactory(last_name=f"Traveller{next(_SURNAMES)}")
    )
    cbsa = cbsa or officer(CBSA, centre)
    starts_at = NOW + datetime.timedelta(minutes=30)
    slot = Slot.objects.filter(centre=centre, starts_at=starts_at).first()
    slot = slot or SlotFactory(centre=centre, starts_at=starts_at, capacity=10)
    appointment = appointment_book(
        application=application, slot=slot, actor=application.applicant.user
    )
    if until != "booked":
        appointment_check_in(appointment=appointment, officer=cbsa)
        outcome = until if until in ("refuse", "refer") else "pass"
        interview_record_outcome(application=application, officer=cbsa, outcome=outcome)
        if until == "shared":
            cbsa_share_with_cbp(application=application, officer=cbsa)
    return Interview.objects.get_or_create(application=application)[0]


@pytest.fixture
def population() -> Population:
    airport = CentreFactory(time_zone="UTC")
    c = {
        "airport": airport,
        "preclearance": CentreFactory(preclearance=True, airport=airport, time_zone="UTC"),
        "other_preclearance": CentreFactory(preclearance=True, time_zone="UTC"),
        "other_airport": CentreFactory(time_zone="UTC"),
        "land_border": CentreFactory(land_border=True, time_zone="UTC"),
        "other_land_border": CentreFactory(land_border=True, time_zone="UTC"),
    }
    c["split_ca"], c["split_us"] = split_site_pair(time_zone="UTC")
    member = MembershipFactory(number="555000111")
    renewal = ApplicationFactory(applicant=member.applicant, renewal=True, membership=member)
    e = {
        "air_booked": _enrolment_at(airport, until="booked"),
        "air_passed": _enrolment_at(airport, until="passed"),
        "air_shared": _enrolment_at(airport, until="shared", application=renewal),
        "air_refused": _enrolment_at(airport, until="refuse"),
        "air_referred": _enrolment_at(airport, until="refer"),
        "air_elsewhere": _enrolment_at(c["other_airport"], until="booked"),
        "joint": _enrolment_at(c["land_border"], until="booked"),
        "joint_elsewhere": _enrolment_at(c["other_land_border"], until="booked"),
        "split_passed": _enrolment_at(c["split_ca"], until="passed"),
        "split_shared": _enrolment_at(c["split_ca"], until="shared"),
    }
    people = {
        "owner": e["air_shared"].application.applicant.user,
        "other_applicant": ApplicationFactory().applicant.user,
        "cbsa_airport": officer(CBSA, airport),
        "cbsa_land_border": officer(CBSA, c["land_border"]),
        "cbsa_split": officer(CBSA, c["split_ca"]),
        "cbp_preclearance": officer(CBP, c["preclearance"]),
        "cbp_other_preclearance": officer(CBP, c["other_preclearance"]),
        "cbp_land_border": officer(CBP, c["land_border"]),
        "cbp_split": officer(CBP, c["split_us"]),
        "centre_admin_airport": _staff(StaffProfile.Role.CENTRE_ADMIN, airport),
        "programme_admin": _staff(StaffProfile.Role.PROGRAMME_ADMIN),
        "superuser": UserFactory(is_superuser=True),
        "anonymous": AnonymousUser(),
    }
    return Population(c, e, people)


AT_THE_AIRPORT = {"air_booked", "air_passed", "air_shared", "air_refused", "air_referred"}
EVERYTHING = AT_THE_AIRPORT | {
    "air_elsewhere", "joint", "joint_elsewhere", "split_passed", "split_shared"
}  # fmt: skip
VISIBLE = {
    "owner": {"air_shared"},
    "other_applicant": set(),
    "cbsa_airport": AT_THE_AIRPORT,
    "cbsa_land_border": {"joint"},
    "cbsa_split": {"split_passed", "split_shared"},
    # Airport enrolments once shared, at any preclearance area.
    "cbp_preclearance": {"air_shared"},
    "cbp_other_preclearance": {"air_shared"},
    "cbp_land_border": {"joint"},
    # Split-site enrolments once shared, at their counterpart only.
    "cbp_split": {"split_shared"},
    "centre_admin_airport": AT_THE_AIRPORT,
    "programme_admin": EVERYTHING,
    "superuser": EVERYTHING,
    "anonymous": set(),
}


def _visible(population, who) -> set[str]:
    names = {e.pk: name for name, e in population.enrolments.items()}
    pks = enrolments_visible_to(population.people[who]).values_list("pk", flat=True)
    return {names[pk] for pk in pks}


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_enrolments_visible_to_each_role(population, who):
    assert _visible(population, who) == VISIBLE[who]


def test_the_visible_enrolments_are_each_listed_once(population):
    user = population.people["cbsa_airport"]
    assert enrolments_visible_to(user).count() == len(AT_THE_AIRPORT)


def test_with_enrolment_on_arrival_preclearance_sees_airport_enrolments_once_cbsa_passed(
    population, settings
):
    settings.ENROLMENT_ON_ARRIVAL = True
    for who in ("cbp_preclearance", "cbp_other_preclearance"):
        seen = _visible(population, who)
        assert {"air_passed", "air_shared"} <= seen
        assert "air_booked" not in seen
        assert not seen & {"split_passed", "split_shared"}


def test_with_enrolment_on_arrival_preclearance_does_not_see_cbsa_refusals_or_referrals(
    population, settings
):
    settings.ENROLMENT_ON_ARRIVAL = True
    assert _visible(population, "cbp_preclearance") == {"air_passed", "air_shared"}


def test_an_airport_enrolment_stays_visible_to_preclearance_after_completion(population):
    cbp = population.people["cbp_preclearance"]
    shared = population.enrolments["air_shared"]
    interview_record_outcome(
        application=shared.application, officer=cbp, outcome="pass",
        centre=population.centres["preclearance"],
    )  # fmt: skip

    assert "air_shared" in _visible(population, "cbp_preclearance")


# --- travellers_find -----------------------------------------------------------------------


def _found(population, who, **query) -> set[str]:
    names = {e.pk: name for name, e in population.enrolments.items()}
    found = travellers_find(user=population.people[who], **query)
    return {names[e.pk] for e in found}


def test_cbp_finds_a_traveller_by_application_number_in_any_case(population):
    number = population.enrolments["air_shared"].application.number

    assert _found(population, "cbp_preclearance", number=number) == {"air_shared"}
    assert _found(population, "cbp_preclearance", number=f"  {number.lower()} ") == {"air_shared"}


def test_cbp_finds_a_traveller_by_membership_number(population):
    assert _found(population, "cbp_preclearance", number="555000111") == {"air_shared"}


def test_cbp_finds_a_new_member_by_the_number_just_issued(population):
    shared = population.enrolments["split_shared"]
    interview_record_outcome(
        application=shared.application, officer=population.people["cbp_split"], outcome="pass"
    )
    number = Interview.objects.get(pk=shared.pk).membership.number

    assert _found(population, "cbp_split", number=number) == {"split_shared"}


def test_cbp_finds_a_traveller_by_last_name_and_date_of_birth(population):
    applicant = population.enrolments["air_shared"].application.applicant
    last_name = applicant.user.last_name

    found = _found(
        population, "cbp_preclearance", last_name=last_name.upper(),
        date_of_birth=applicant.date_of_birth,
    )  # fmt: skip
    assert found == {"air_shared"}
    assert not _found(
        population, "cbp_preclearance", last_name=last_name,
        date_of_birth=applicant.date_of_birth + datetime.timedelta(days=1),
    )  # fmt: skip
    assert not _found(population, "cbp_preclearance", last_name=last_name)
    assert not _found(population, "cbp_preclearance")


@pytest.mark.parametrize("target", ["air_passed", "air_booked", "joint", "split_shared"])
def test_cbp_finds_nobody_outside_their_scope_even_by_exact_number(population, target):
    application = population.enrolments[target].application

    assert not _found(population, "cbp_preclearance", number=application.number)
    assert not _found(
        population, "cbp_preclearance", last_name=application.applicant.user.last_name,
        date_of_birth=application.applicant.date_of_birth,
    )  # fmt: skip


def test_a_traveller_is_found_once_with_enrolment_on_arrival(population, settings):
    settings.ENROLMENT_ON_ARRIVAL = True
    number = population.enrolments["air_passed"].application.number

    assert _found(population, "cbp_preclearance", number=number) == {"air_passed"}


@pytest.mark.parametrize("who", ["anonymous", "other_applicant", "cbsa_land_border"])
def test_nobody_finds_a_traveller_they_have_no_business_with(population, who):
    assert not _found(population, who, number="555000111")
