"""Where an applicant stands (one sentence, one next action) and the story so far, for every
application status and every enrolment state on every path, reached through the services.

Application statuses (pending, withdrawn, conditionally approved) have no service: the
agencies set them outside the portal, so those cases are made with the factory.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import F
from django.urls import reverse
from django.utils import translation

from bookings.models import Appointment, WaitlistOffer, WaitlistRequest
from bookings.services import appointment_book, appointment_cancel, appointment_reschedule
from centres.models import Centre, Slot
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.models import Application
from enrolment.tests.factories import ApplicationFactory, MembershipFactory
from interviews.services import (
    appointment_check_in,
    appointment_record_no_show,
    cbsa_share_with_cbp,
    enrolment_expire,
    interview_record_outcome,
    review_decide,
)
from interviews.standing import BOOK, application_history, application_standing, history_zone
from interviews.tests.factories import officer

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
# Tuesday 16 March 2027, 05:00 in Vancouver and 08:00 in Toronto (both on daylight time
# since 14 March): every centre's 10:20 that day is still ahead, on the same local day.
START = datetime.datetime(2027, 3, 16, 12, 0, tzinfo=UTC)
DAY = "Tuesday 16 March 2027"

AIRPORT = "Vancouver International Airport enrolment centre"
PRECLEARANCE = "Vancouver preclearance area"
BLAINE = "Blaine joint enrolment centre"
LANSDOWNE = "Lansdowne split site"
ALEXANDRIA_BAY = "Alexandria Bay port of entry"
SECRET = "secret-note-xyz"


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@dataclass
class World:
    airport: Centre
    preclearance: Centre
    land_border: Centre
    split_ca: Centre
    split_us: Centre
    cbsa: object
    cbp: object

    def centre_for(self, path: str) -> Centre:
        return {
            Application.Path.AIRPORT: self.airport,
            Application.Path.JOINT: self.land_border,
            Application.Path.SPLIT_SITE: self.split_ca,
        }[path]


@pytest.fixture
def world() -> World:
    airport = CentreFactory(
        name=AIRPORT, city="Richmond", region="BC", time_zone="America/Vancouver"
    )
    preclearance = CentreFactory(
        name=PRECLEARANCE, preclearance=True, airport=airport, time_zone="America/Vancouver"
    )
    land_border = CentreFactory(name=BLAINE, land_border=True)
    split_us = CentreFactory(
        name=ALEXANDRIA_BAY, split_site=True, country=Centre.Country.UNITED_STATES,
        region="NY", city="Alexandria Bay", has_cbsa=False, has_cbp=True,
        takes_appointments=False,
    )  # fmt: skip
    split_ca = CentreFactory(name=LANSDOWNE, split_site=True, counterpart=split_us)
    split_us.counterpart = split_ca
    split_us.save(update_fields=["counterpart"])
    cbsa = officer("cbsa", airport, land_border, split_ca)
    cbp = officer("cbp", preclearance, land_border, split_us)
    for user in (cbsa, cbp):
        user.first_name, user.last_name = "Zebulon", "Quargleworth"
        user.save(update_fields=["first_name", "last_name"])
    return World(airport, preclearance, land_border, split_ca, split_us, cbsa, cbp)


def slot_at(centre: Centre, hour: int, minute: int) -> Slot:
    """A booth at ``hour``:``minute`` local time on 16 March 2027: one more booth if the
    slot already exists (several journeys in one test share the time)."""
    starts_at = datetime.datetime(2027, 3, 16, hour, minute, tzinfo=ZoneInfo(centre.time_zone))
    slot = Slot.objects.filter(centre=centre, starts_at=starts_at).first()
    if slot is None:
        return SlotFactory(centre=centre, starts_at=starts_at)
    Slot.objects.filter(pk=slot.pk).update(capacity=F("capacity") + 1)
    return slot


def book(application, centre, hour=10, minute=20) -> Appointment:
    return appointment_book(
        application=application,
        slot=slot_at(centre, hour, minute),
        actor=application.applicant.user,
    )


def fresh(application) -> Application:
    """The application as the dashboard reads it: from the database."""
    return Application.objects.get(pk=application.pk)


# Building each state through the services ---------------------------------------------------


class Journey:
    """One application taken along ``path`` by the real services."""

    def __init__(self, world: World, path: str, application=None):
        self.world, self.path = world, path
        self.application = application or ApplicationFactory()
        self.centre = world.centre_for(path)
        self.appointment = None

    def book(self):
        self.appointment = book(self.application, self.centre)
        return self

    def check_in(self):
        appointment_check_in(appointment=self.appointment, officer=self.world.cbsa)
        return self

    def no_show(self):
        appointment_record_no_show(
            appointment=self.appointment, officer=self.world.cbsa,
            now=self.appointment.slot.starts_at + datetime.timedelta(minutes=30),
        )  # fmt: skip
        return self

    def cancel(self):
        appointment_cancel(appointment=self.appointment, actor=self.application.applicant.user)
        return self

    def cbsa(self, outcome, notes=""):
        interview_record_outcome(
            application=self.application, officer=self.world.cbsa, outcome=outcome, notes=notes
        )
        return self

    def cbp(self, outcome, notes=""):
        centre = self.world.preclearance if self.path == Application.Path.AIRPORT else None
        interview_record_outcome(
            application=self.application, officer=self.world.cbp, outcome=outcome,
            centre=centre, notes=notes,
        )  # fmt: skip
        return self

    def share(self):
        cbsa_share_with_cbp(application=self.application, officer=self.world.cbsa)
        return self

    def expire(self):
        enrolment_expire(application=self.application)
        return self


A, J, SP = Application.Path.AIRPORT, Application.Path.JOINT, Application.Path.SPLIT_SITE

# (path, case) -> how to get there. Each case is one enrolment state (or, for "booked",
# "checked_in" and "cancelled", awaiting_interview with or without an active appointment).
BUILD = {
    **{
        (path, case): steps
        for path in (A, J, SP)
        for case, steps in {
            "booked": lambda j: j.book(),
            "checked_in": lambda j: j.book().check_in(),
            "cancelled": lambda j: j.book().cancel(),
            "no_show": lambda j: j.book().no_show(),
            "cbsa_passed": lambda j: j.book().check_in().cbsa("pass"),
            "under_review": lambda j: j.book().check_in().cbsa("refer"),
            "refused": lambda j: j.book().check_in().cbsa("refuse"),
            "expired": lambda j: j.book().expire(),
        }.items()
    },
    (A, "shared_with_cbp"): lambda j: j.book().check_in().cbsa("pass").share(),
    (A, "under_review_by_cbp"): lambda j: j.book().check_in().cbsa("pass").share().cbp("refer"),
    (A, "enrolled"): lambda j: j.book().check_in().cbsa("pass").share().cbp("pass"),
    (SP, "shared_with_cbp"): lambda j: j.book().check_in().cbsa("pass").share(),
    (SP, "under_review_by_cbp"): lambda j: j.book().check_in().cbsa("pass").share().cbp("refer"),
    (SP, "enrolled"): lambda j: j.book().check_in().cbsa("pass").share().cbp("pass"),
    (J, "cbp_passed"): lambda j: j.book().check_in().cbp("pass"),
    (J, "under_review_by_cbp"): lambda j: j.book().check_in().cbp("refer"),
    (J, "enrolled"): lambda j: j.book().check_in().cbp("pass").cbsa("pass"),
}

# What people call the centre's zone. (The IANA name beside it, "Pacific time
# (America/Vancouver)", is not asserted: the sentence currently names the zone only.)
ZONES = {A: "Pacific time", J: "Pacific time", SP: "Eastern time"}
CENTRE = {A: AIRPORT, J: BLAINE, SP: LANSDOWNE}
STEP = {A: "CBSA interview", J: "joint CBSA and CBP interview", SP: "CBSA interview"}
COUNTERPART = f"{ALEXANDRIA_BAY} (Alexandria Bay, NY)"
SHARED_AIRPORT = (
    "The CBSA part is done and shared with CBP. Complete the CBP part at any Canadian "
    "airport preclearance area before your next flight to the United States — no "
    "appointment needed."
)


def expected(path: str, case: str) -> tuple[str, list[str]]:
    """The next action and the parts the sentence must contain."""
    booked = [STEP[path], DAY, "10:20", CENTRE[path], ZONES[path]]
    return {
        "booked": ("", [f"Your {STEP[path]} is on {DAY} at 10:20", *booked]),
        "checked_in": ("", ["checked in", STEP[path], CENTRE[path]]),
        "cancelled": (BOOK, [f"Book your {STEP[path]}."]),
        "no_show": (BOOK, ["missed", f"{DAY} at 10:20", "Book a new one"]),
        "cbsa_passed": (
            "",
            {
                A: ["CBSA part is done", "shared it with CBP", "preclearance"],
                J: ["CBSA part is done", "CBP officer", BLAINE],
                SP: ["CBSA part is done", COUNTERPART],
            }[path],
        ),
        "shared_with_cbp": (
            "",
            [SHARED_AIRPORT] if path == A else ["shared with CBP", COUNTERPART],
        ),
        "cbp_passed": ("", ["CBP part is done", "CBSA officer", BLAINE]),
        "under_review": ("", ["referred to the CBSA for further review"]),
        "under_review_by_cbp": ("", ["referred to CBP for further review"]),
        "refused": ("", ["refused"]),
        "expired": ("", ["expired"]),
        "enrolled": ("", ["Enrolment complete — membership number", "Tuesday 16 March 2032"]),
    }[case]


@pytest.mark.parametrize(
    ("path", "case"), [pytest.param(*key, id="-".join(key)) for key in sorted(BUILD)]
)
def test_every_state_on_every_path_has_a_sentence_and_a_next_action(world, path, case):
    journey = BUILD[path, case](Journey(world, path))

    standing = application_standing(fresh(journey.application))

    next_action, parts = expected(path, case)
    assert standing.sentence.strip()
    assert standing.next_action == next_action
    for part in parts:
        assert part in standing.sentence
    assert standing.notes == ()


@pytest.mark.parametrize("path", [A, J, SP])
def test_distinct_states_on_a_path_give_distinct_sentences(world, path):
    cases = sorted(case for p, case in BUILD if p == path)
    sentences = {
        case: application_standing(
            fresh(BUILD[path, case](Journey(world, path)).application)
        ).sentence
        for case in cases
    }
    sentences["approved"] = application_standing(ApplicationFactory()).sentence
    sentences["pending"] = application_standing(ApplicationFactory(pending=True)).sentence
    sentences["withdrawn"] = application_standing(
        ApplicationFactory(status=Application.Status.WITHDRAWN)
    ).sentence

    assert len(set(sentences.values())) == len(sentences), sentences


def test_a_booked_appointment_names_the_local_time_in_the_centres_zone(world):
    application = ApplicationFactory()
    appointment = book(application, world.airport)

    standing = application_standing(fresh(application))

    sentence = standing.sentence
    assert sentence.startswith("Your CBSA interview is on Tuesday 16 March 2027 at 10:20")
    assert AIRPORT in sentence
    assert "Pacific time" in sentence
    assert "17:20" not in sentence  # UTC
    assert standing.appointment == appointment
    assert standing.next_action == ""


def test_once_the_time_has_passed_the_sentence_says_it_was(world):
    application = ApplicationFactory()
    appointment = book(application, world.airport)
    after = appointment.slot.ends_at + datetime.timedelta(minutes=5)

    sentence = application_standing(fresh(application), now=after).sentence

    assert sentence.startswith("Your CBSA interview was on Tuesday 16 March 2027 at 10:20")
    assert "once the officer has recorded it" in sentence


def test_a_checked_in_applicant_is_told_so_and_keeps_the_appointment(world):
    journey = Journey(world, A).book().check_in()

    standing = application_standing(fresh(journey.application))

    assert standing.appointment == journey.appointment
    assert standing.sentence.startswith("You are checked in for your CBSA interview at ")


def test_after_a_missed_interview_a_new_booking_is_what_the_applicant_sees(world):
    journey = Journey(world, A).book().no_show()
    new = book(journey.application, world.airport, 11, 0)

    standing = application_standing(fresh(journey.application))

    assert standing.appointment == new
    assert f"{DAY} at 11:00" in standing.sentence
    assert standing.next_action == ""


# Application statuses ------------------------------------------------------------------------


def test_a_pending_application_waits_for_conditional_approval():
    standing = application_standing(ApplicationFactory(pending=True))

    assert "still being reviewed" in standing.sentence
    assert standing.next_action == ""


def test_a_withdrawn_application_has_nothing_to_do():
    standing = application_standing(ApplicationFactory(status=Application.Status.WITHDRAWN))

    assert "withdrawn" in standing.sentence
    assert standing.next_action == ""


def test_an_approved_application_without_a_booking_is_asked_to_book():
    standing = application_standing(ApplicationFactory())

    assert standing.sentence == "Book your interview."
    assert standing.next_action == BOOK
    assert standing.appointment is None


# Settings and renewals -----------------------------------------------------------------------


def test_after_the_cbsa_part_the_airport_sentence_follows_enrolment_on_arrival(world, settings):
    settings.ENROLMENT_ON_ARRIVAL = False
    application = Journey(world, A).book().check_in().cbsa("pass").application
    waiting = application_standing(fresh(application))

    settings.ENROLMENT_ON_ARRIVAL = True
    on_arrival = application_standing(fresh(application))

    assert "Once the CBSA has shared it with CBP" in waiting.sentence
    assert on_arrival.sentence == (
        "The CBSA part is done. Complete the CBP part at any Canadian airport preclearance "
        "area before your next flight to the United States — no appointment needed."
    )
    assert waiting.sentence != on_arrival.sentence
    assert waiting.next_action == on_arrival.next_action == ""


def test_an_enrolment_on_arrival_reaches_the_membership_without_the_share(world, settings):
    settings.ENROLMENT_ON_ARRIVAL = True
    journey = Journey(world, A).book().check_in().cbsa("pass").cbp("pass")

    standing = application_standing(fresh(journey.application))

    assert standing.sentence.startswith("Enrolment complete — membership number ")


def test_the_completed_enrolment_names_the_membership_and_its_expiry(world):
    journey = BUILD[A, "enrolled"](Journey(world, A))
    application = fresh(journey.application)
    membership = application.interview.membership

    standing = application_standing(application)

    assert standing.sentence == (
        f"Enrolment complete — membership number {membership.number}, valid until "
        "Tuesday 16 March 2032."
    )
    assert standing.next_action == ""


def renewal_with_extended_benefits(**fields):
    member = MembershipFactory(
        expires_on=datetime.date(2027, 2, 28),
        benefits_extended_until=datetime.date(2028, 2, 29),
    )
    return ApplicationFactory(applicant=member.applicant, renewal=True, membership=member, **fields)


NOTE = "Your benefits are extended until Tuesday 29 February 2028"


def test_a_renewal_with_extended_benefits_says_until_when(world):
    pending = renewal_with_extended_benefits(pending=True)
    approved = renewal_with_extended_benefits()
    booked = renewal_with_extended_benefits()
    book(booked, world.airport)

    for application in (pending, approved, booked):
        notes = application_standing(fresh(application)).notes
        assert len(notes) == 1
        assert notes[0].startswith(NOTE)


def test_the_extension_note_goes_once_the_renewal_is_complete(world):
    application = renewal_with_extended_benefits()
    BUILD[J, "enrolled"](Journey(world, J, application))

    standing = application_standing(fresh(application))

    assert standing.notes == ()
    assert standing.sentence.startswith("Enrolment complete")


def test_a_new_application_has_no_notes():
    assert application_standing(ApplicationFactory()).notes == ()


# French ------------------------------------------------------------------------------------


def test_in_french_the_date_and_time_are_written_the_french_way(world):
    application = ApplicationFactory()
    book(application, world.airport)

    with translation.override("fr"):
        sentence = application_standing(fresh(application)).sentence

    # Weekday case is left to the catalogue: the project's "Tuesday" (the opening-rule
    # weekday label) is "Mardi", and it wins over Django's "mardi".
    assert "mardi 16 mars 2027" in sentence.lower()
    assert "10 h 20" in sentence
    assert "March" not in sentence
    assert "10:20" not in sentence


def test_in_french_a_missed_interview_and_the_history_use_french_dates(world):
    journey = Journey(world, J).book().no_show()

    with translation.override("fr"):
        sentence = application_standing(fresh(journey.application)).sentence
        history = " ".join(entry.text for entry in application_history(journey.application))

    for text in (sentence, history):
        assert "mardi 16 mars 2027" in text.lower()
        assert "10 h 20" in text


# History -----------------------------------------------------------------------------------


def test_the_history_of_an_airport_enrolment_tells_it_in_order(world, clock):
    def later():
        clock.shift(datetime.timedelta(minutes=5))

    application = ApplicationFactory(pending=True)
    later()
    application.status = Application.Status.CONDITIONALLY_APPROVED
    application.conditionally_approved_at = START + datetime.timedelta(minutes=5)
    application.save()
    later()
    user = application.applicant.user
    first = appointment_book(
        application=application, slot=slot_at(world.airport, 10, 20), actor=user
    )
    later()
    moved = appointment_reschedule(
        appointment=first, slot=slot_at(world.airport, 10, 40), actor=user
    )
    later()
    appointment_cancel(appointment=moved, actor=user)
    later()
    journey = Journey(world, A, application)
    journey.appointment = book(application, world.airport, 11, 0)
    later()
    journey.check_in()
    later()
    journey.cbsa("pass", notes=SECRET)
    later()
    journey.share()
    later()
    journey.cbp("pass", notes=SECRET)

    history = application_history(fresh(application))

    assert [entry.text for entry in history] == [
        "You applied for NEXUS.",
        "Your application was conditionally approved: you can book your interview.",
        f"You booked your CBSA interview for {DAY} at 10:20 at {AIRPORT}.",
        f"You moved your CBSA interview to {DAY} at 10:40 at {AIRPORT}.",
        f"You cancelled your CBSA interview of {DAY} at 10:40.",
        f"You booked your CBSA interview for {DAY} at 11:00 at {AIRPORT}.",
        f"You passed the CBSA part of your interview at {AIRPORT}.",
        "The CBSA shared the CBSA part of your interview with CBP.",
        f"You passed the CBP part of your interview at {PRECLEARANCE}. Your enrolment is complete.",
    ]
    assert [entry.at for entry in history] == sorted(entry.at for entry in history)
    assert_tells_no_officer_secrets(history, world)


def test_the_history_of_a_review_keeps_the_officers_notes_out(world):
    journey = Journey(world, J).book().check_in().cbp("refer", notes=SECRET)
    review_decide(application=journey.application, officer=world.cbp, clear=True, notes=SECRET)
    journey.cbsa("refuse", notes=SECRET)

    history = application_history(fresh(journey.application))

    texts = [entry.text for entry in history]
    assert texts[-3:] == [
        "CBP referred your file for further review.",
        "The review was completed in your favour.",
        "The CBSA refused your enrolment.",
    ]
    assert_tells_no_officer_secrets(history, world)


def test_the_history_of_a_renewal_says_renew():
    application = renewal_with_extended_benefits()

    history = application_history(application)

    assert history[0].text == "You applied to renew your NEXUS membership."


def assert_tells_no_officer_secrets(history, world):
    text = "\n".join(entry.text for entry in history)
    assert SECRET not in text
    for user in (world.cbsa, world.cbp):
        assert user.first_name not in text
        assert user.last_name not in text
        assert user.username not in text


def test_an_expiry_does_not_say_the_applicant_cancelled(world):
    journey = Journey(world, A).book().expire()

    texts = [entry.text for entry in application_history(fresh(journey.application))]

    assert texts[-1] == "Your conditional approval expired."
    assert not any(text.startswith("You cancelled") for text in texts)


def test_the_history_tells_earlier_time_requests_offers_and_a_closure(world, clock):
    application = ApplicationFactory()
    appointment = book(application, world.airport, 10, 20)
    clock.shift(datetime.timedelta(minutes=5))
    request = WaitlistRequest.objects.create(
        application=application, appointment=appointment, earliest=START.date(),
        latest=START.date(),
    )  # fmt: skip
    request.centres.set([world.airport])
    clock.shift(datetime.timedelta(minutes=5))
    offered = WaitlistOffer.objects.create(
        request=request, slot=slot_at(world.airport, 9, 0),
        status=WaitlistOffer.Status.DECLINED,
    )  # fmt: skip
    clock.shift(datetime.timedelta(minutes=5))
    Appointment.objects.filter(pk=appointment.pk).update(
        status=Appointment.Status.CANCELLED, cancel_reason=Appointment.CancelReason.CENTRE_CLOSED,
        updated_at=START + datetime.timedelta(minutes=20),
    )  # fmt: skip
    WaitlistRequest.objects.filter(pk=request.pk).update(
        status=WaitlistRequest.Status.CANCELLED, updated_at=START + datetime.timedelta(minutes=25)
    )

    texts = [entry.text for entry in application_history(fresh(application))]

    assert texts[-5:] == [
        "You asked for an earlier time.",
        f"An earlier time was found for you: {DAY} at 09:00 at {AIRPORT}.",
        f"You let the earlier time of {DAY} at 09:00 go.",
        f"Your CBSA interview of {DAY} at 10:20 was cancelled: {AIRPORT} closed. You were put "
        "first in line for the next free time there.",
        "Your request for an earlier time ended.",
    ]
    assert offered.pk and history_zone(application) == "America/Vancouver"
    assert history_zone(ApplicationFactory()) == "America/Toronto"  # nothing booked yet


def test_the_history_page_writes_its_days_in_the_centre_s_zone(client, world):
    # 06:30 UTC on the 16th is 23:30 on the 15th in Vancouver (PDT): the page says the 15th.
    application = ApplicationFactory(
        conditionally_approved_at=datetime.datetime(2027, 3, 16, 6, 30, tzinfo=UTC)
    )
    book(application, world.airport, 10, 20)
    client.force_login(application.applicant.user)
    page = client.get(reverse("enrolment:history", args=[application.number])).content.decode()
    assert "15 March 2027" in page
