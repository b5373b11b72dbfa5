"""Each path from booking to membership, end to end through the services."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from bookings.errors import BookingError
from bookings.models import Appointment
from bookings.services import appointment_book
from centres.models import StaffProfile
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.models import Membership
from enrolment.tests.factories import ApplicationFactory, MembershipFactory
from interviews.models import Interview
from interviews.services import (
    InterviewError,
    appointment_check_in,
    cbsa_share_with_cbp,
    interview_record_outcome,
)
from interviews.tests.factories import StaffProfileFactory

# A booking or a workflow step refused: either app's error.
REFUSED = (BookingError, InterviewError)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def midday():
    """Noon UTC today: "later today" must not cross midnight in the centres' zone (these
    tests failed every evening from 23:30 UTC)."""
    noon = datetime.datetime.combine(timezone.now().date(), datetime.time(12), tzinfo=datetime.UTC)
    with time_machine.travel(noon, tick=True):
        yield


def _booked_today(application, centre):
    """An appointment later today (centre time) at ``centre``, booked by the applicant."""
    now = timezone.now()
    slot = SlotFactory(centre=centre, starts_at=now + datetime.timedelta(minutes=30))
    return appointment_book(
        application=application, slot=slot, actor=application.applicant.user,
        now=now - datetime.timedelta(minutes=1),
    )  # fmt: skip


@pytest.fixture
def airport():
    return CentreFactory(time_zone="UTC")


@pytest.fixture
def preclearance(airport):
    return CentreFactory(preclearance=True, airport=airport, time_zone="UTC")


def test_the_airport_path_ends_with_a_membership(airport, preclearance):
    application = ApplicationFactory()
    cbsa = StaffProfileFactory(centres=[airport]).user
    cbp = StaffProfileFactory(role=StaffProfile.Role.CBP_OFFICER, centres=[preclearance]).user
    appointment = _booked_today(application, airport)

    appointment_check_in(appointment=appointment, officer=cbsa)
    interview_record_outcome(application=application, officer=cbsa, outcome="pass", notes="ok")
    with pytest.raises(REFUSED) as error:
        interview_record_outcome(
            application=application, officer=cbp, outcome="pass", centre=preclearance
        )
    assert error.value.code == "not_found"  # not shared: CBP has no business with it yet
    cbsa_share_with_cbp(application=application, officer=cbsa)
    interview_record_outcome(
        application=application, officer=cbp, outcome="pass", centre=preclearance
    )

    enrolment = Interview.objects.get(application=application)
    assert enrolment.state == Interview.State.ENROLLED
    assert [e.to_state for e in enrolment.events.all()] == [
        "cbsa_passed", "shared_with_cbp", "enrolled"
    ]  # fmt: skip
    membership = Membership.objects.get(applicant=application.applicant)
    assert enrolment.membership == membership
    assert (membership.expires_on - membership.issued_on).days in (1826, 1827)
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.ATTENDED


def test_the_joint_path_completes_when_both_agencies_pass():
    centre = CentreFactory(land_border=True, time_zone="UTC")
    member = MembershipFactory(expires_on=timezone.localdate() + datetime.timedelta(days=30))
    application = ApplicationFactory(applicant=member.applicant, renewal=True, membership=member)
    cbsa = StaffProfileFactory(centres=[centre]).user
    cbp = StaffProfileFactory(role=StaffProfile.Role.CBP_OFFICER, centres=[centre]).user
    appointment = _booked_today(application, centre)

    appointment_check_in(appointment=appointment, officer=cbp)
    interview_record_outcome(application=application, officer=cbp, outcome="pass")
    interview_record_outcome(application=application, officer=cbsa, outcome="pass")

    enrolment = Interview.objects.get(application=application)
    assert enrolment.state == Interview.State.ENROLLED
    old_expiry = member.expires_on
    member.refresh_from_db()
    # Renewed before expiry: the new five-year term starts at the old expiry date.
    assert member.expires_on == old_expiry.replace(year=old_expiry.year + 5)
    assert member.issued_on == timezone.localdate()
    assert enrolment.membership == member
    assert not Membership.objects.exclude(pk=member.pk).exists()


def test_the_split_site_path_finishes_at_the_us_counterpart():
    us_side = CentreFactory(
        split_site=True, country="US", region="NY", has_cbp=True, takes_appointments=False,
        time_zone="UTC",
    )  # fmt: skip
    ca_side = CentreFactory(split_site=True, counterpart=us_side, time_zone="UTC")
    us_side.counterpart = ca_side
    us_side.save()
    elsewhere = CentreFactory(preclearance=True)
    application = ApplicationFactory()
    cbsa = StaffProfileFactory(centres=[ca_side]).user
    cbp = StaffProfileFactory(role=StaffProfile.Role.CBP_OFFICER, centres=[us_side, elsewhere]).user
    appointment = _booked_today(application, ca_side)

    appointment_check_in(appointment=appointment, officer=cbsa)
    interview_record_outcome(application=application, officer=cbsa, outcome="pass")
    cbsa_share_with_cbp(application=application, officer=cbsa)
    with pytest.raises(REFUSED) as error:
        interview_record_outcome(
            application=application, officer=cbp, outcome="pass", centre=elsewhere
        )
    assert error.value.code == "wrong_centre"
    interview_record_outcome(application=application, officer=cbp, outcome="pass")

    assert Interview.objects.get(application=application).state == Interview.State.ENROLLED
