"""The earlier-time waitlist: a freed booth goes to the first in line whose wishes it fits,
as a held offer (accepted in one click, or passed on when it runs out) or, opted in, as a
move made at once; the freeing event itself triggers the match, through the outbox."""

import datetime
import zoneinfo
from unittest import mock

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.test import Client
from django.urls import reverse

from bookings.models import Appointment, SlotHold, WaitlistOffer, WaitlistRequest
from bookings.services import (
    BookingError,
    appointment_book,
    appointment_cancel,
    hold_confirm,
    hold_release,
    holds_release_expired,
    slot_hold,
)
from bookings.services.waitlist import (
    waitlist_match_request,
    waitlist_match_slot,
    waitlist_request_cancel,
    waitlist_request_create,
    waitlist_slots_freed,
)
from centres.models import Closure, ExtraCapacity, OpeningRule, Slot
from centres.services import capacity_change_delete, capacity_change_save
from centres.tests.factories import CentreFactory, SlotFactory
from common.models import AuditEvent, OutboxMessage
from common.outbox import outbox_deliver
from common.tests.threads import run_at_once
from enrolment.models import Application
from enrolment.tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
VANCOUVER = zoneinfo.ZoneInfo("America/Vancouver")
NOW = datetime.datetime(2027, 3, 1, 17, 0, tzinfo=UTC)  # Monday 09:00 in Vancouver
TODAY = NOW.astimezone(VANCOUVER).date()
SLOT_FREED = "waitlist.slot_freed"
Offer = WaitlistOffer.Status


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def yvr():
    return CentreFactory(
        name="Vancouver International Airport",
        city="Richmond",
        region="BC",
        time_zone="America/Vancouver",
    )


def _day(days: int) -> datetime.date:
    return TODAY + datetime.timedelta(days=days)


def _at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(_day(days), datetime.time(hour, minute), tzinfo=VANCOUVER)


def _slot(centre, days, hour, minute=0, capacity=1) -> Slot:
    return SlotFactory(centre=centre, starts_at=_at(days, hour, minute), capacity=capacity)


def _user(application):
    return application.applicant.user


def _book(application, slot) -> Appointment:
    return appointment_book(application=application, slot=slot, actor=_user(application))


def _wait(application, *centres, first=0, last=20, auto=False, times=None) -> WaitlistRequest:
    times = times or {"mornings", "afternoons", "evenings"}
    return waitlist_request_create(
        application=application,
        actor=_user(application),
        centres=list(centres),
        earliest=_day(first),
        latest=_day(last),
        mornings="mornings" in times,
        afternoons="afternoons" in times,
        evenings="evenings" in times,
        auto_rebook=auto,
    )


def _booked(slot) -> int:
    return Slot.objects.get(pk=slot.pk).booked


def _offers(**filters) -> list[tuple[int, int, str]]:
    return list(
        WaitlistOffer.objects.filter(**filters)
        .order_by("pk")
        .values_list("request__application_id", "slot_id", "status")
    )


def _mail_to(application) -> list:
    return [m for m in mail.outbox if m.to == [_user(application).email]]


def _invariant_holds():
    """Every slot's ``booked`` = appointments holding a booth + holds."""
    for slot in Slot.objects.annotate(
        appointments_n=Count(
            "appointments",
            filter=Q(appointments__status__in=Appointment.HOLDS_BOOTH),
            distinct=True,
        ),
        holds_n=Count("holds", distinct=True),
    ):
        assert slot.booked == slot.appointments_n + slot.holds_n, slot


@pytest.fixture
def line(yvr):
    """Three applicants booked on day 10, asking in turn for an earlier time at YVR, and
    a full slot on day 2 whose only booking belongs to someone else."""
    later = _slot(yvr, 10, 9, capacity=3)
    apps = [ApplicationFactory() for _ in range(3)]
    for application in apps:
        _book(application, later)
        _wait(application, yvr)
    full = _slot(yvr, 2, 10)
    other = ApplicationFactory()
    taken = _book(other, full)
    return {"apps": apps, "later": later, "full": full, "taken": taken, "other": other}


# --- Matching: first come, first served, on the applicant's own terms ---------------------


def test_a_freed_booth_is_offered_to_the_first_in_line_with_a_hold(
    line, django_capture_on_commit_callbacks, settings
):
    first, second, third = line["apps"]
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=line["taken"], actor=_user(line["other"]))
    assert _offers() == [(first.pk, line["full"].pk, Offer.OFFERED)]
    hold = SlotHold.objects.get(application=first)
    assert hold.slot == line["full"] and hold.appointment.slot == line["later"]
    assert hold.expires_at == NOW + datetime.timedelta(minutes=settings.WAITLIST_OFFER_MINUTES)
    assert _booked(line["full"]) == 1  # held for the first in line: nobody else can take it
    (offer_mail,) = _mail_to(first)
    assert offer_mail.subject == "NEXUS: an earlier interview time is held for you"
    assert reverse("booking:hold", args=[first.number]) in offer_mail.body
    assert "Accept it before Monday 1 March 2027, 10:00 (Pacific time)" in offer_mail.body
    assert "Your appointment of Thursday 11 March 2027, 09:00 stays booked" in offer_mail.body
    html, mimetype = offer_mail.alternatives[0]
    assert mimetype == "text/html" and reverse("booking:hold", args=[first.number]) in html
    assert _mail_to(second) == [] and _mail_to(third) == []
    _invariant_holds()


def test_first_come_is_the_time_of_asking_not_the_order_of_the_rows(
    line, django_capture_on_commit_callbacks
):
    first, second, third = line["apps"]
    WaitlistRequest.objects.filter(application=first).update(
        created_at=NOW + datetime.timedelta(minutes=1)
    )
    WaitlistRequest.objects.filter(application=second).update(
        created_at=NOW + datetime.timedelta(minutes=2)
    )
    WaitlistRequest.objects.filter(application=third).update(created_at=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=line["taken"], actor=_user(line["other"]))
    assert _offers() == [(third.pk, line["full"].pk, Offer.OFFERED)]


def test_only_a_slot_that_fits_every_wish_is_offered(yvr):
    elsewhere = CentreFactory(name="Toronto Pearson")
    slot = _slot(yvr, 2, 10)  # Wednesday 10:00 in Vancouver: a morning
    later, day_before = _slot(yvr, 10, 9, capacity=9), _slot(yvr, 1, 9)
    same_day_earlier = _slot(yvr, 2, 9, 40)
    asked = {}
    for name, kwargs, booked_at in (
        ("other centre", {"centres": [elsewhere]}, later),
        ("window after it", {"first": 3}, later),
        ("window before it", {"last": 1}, later),
        ("afternoons and evenings", {"times": {"afternoons", "evenings"}}, later),
        ("booked the day before", {}, day_before),
        ("booked the same day earlier", {}, same_day_earlier),
        ("fits", {}, later),
    ):
        application = ApplicationFactory()
        _book(application, booked_at)
        centres = kwargs.pop("centres", [yvr])
        asked[name] = _wait(application, *centres, **kwargs)
    (offer,) = waitlist_match_slot(slot=slot)
    assert offer.request == asked["fits"]  # every older request that did not fit was passed
    assert _offers() == [(asked["fits"].application_id, slot.pk, Offer.OFFERED)]


def test_a_later_slot_than_the_current_appointment_is_never_offered(yvr):
    application = ApplicationFactory()
    _book(application, _slot(yvr, 3, 9))
    _wait(application, yvr, last=3)
    assert waitlist_match_slot(slot=_slot(yvr, 3, 9, 20)) == []
    assert waitlist_match_slot(slot=_slot(yvr, 3, 8, 40)) != []


@pytest.mark.parametrize(
    ("hour", "minute", "wanted"),
    [(11, 59, "mornings"), (12, 0, "afternoons"), (16, 59, "afternoons"), (17, 0, "evenings")],
)
def test_times_of_day_split_at_noon_and_five(hour, minute, wanted):
    assert WaitlistRequest.time_of_day(datetime.time(hour, minute)) == wanted


def test_the_window_is_in_the_centres_local_days(yvr):
    # 23:30 on day 2 in Vancouver is already day 3 in UTC.
    late = _slot(yvr, 2, 23, 30)
    assert late.starts_at.astimezone(UTC).date() == _day(3)
    day_three = ApplicationFactory()
    _wait(day_three, yvr, first=3, last=3)
    day_two = ApplicationFactory()
    _wait(day_two, yvr, first=2, last=2, times={"evenings"})
    (offer,) = waitlist_match_slot(slot=late)
    assert offer.request.application == day_two


# --- Offers: accept in one click, or the next in line gets it ------------------------------


def test_accepting_an_offer_on_the_hold_page_moves_the_appointment(
    line, django_capture_on_commit_callbacks
):
    first = line["apps"][0]
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=line["taken"], actor=_user(line["other"]))
    client = Client()
    client.force_login(_user(first))
    page = client.get(reverse("booking:hold", args=[first.number])).content.decode()
    assert "about 60 minutes from now" in page and "Accept this time" in page
    assert "We found" in page and "accept it or let it go" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("booking:hold", args=[first.number]), {"action": "confirm"})
    moved = Appointment.objects.get(application=first, status=Appointment.Status.BOOKED)
    assert response["Location"] == reverse("booking:appointment", args=[moved.pk])
    assert moved.slot == line["full"] and moved.rescheduled_from.slot == line["later"]
    assert (_booked(line["full"]), _booked(line["later"])) == (1, 2)  # old booth released
    assert _offers() == [(first.pk, line["full"].pk, Offer.ACCEPTED)]
    request = WaitlistRequest.objects.get(application=first)
    assert request.status == WaitlistRequest.Status.FULFILLED
    assert AuditEvent.objects.filter(action="waitlist.offer_accepted").count() == 1
    assert AuditEvent.objects.filter(action="waitlist.fulfilled").count() == 1
    # The released day-10 booth was announced, but nobody waiting wants a later time.
    assert WaitlistOffer.objects.count() == 1
    _invariant_holds()


def test_an_offer_nobody_accepts_expires_and_goes_to_the_next_in_line(
    line, django_capture_on_commit_callbacks, time_machine, settings
):
    first, second, _third = line["apps"]
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=line["taken"], actor=_user(line["other"]))
    later = NOW + datetime.timedelta(minutes=settings.WAITLIST_OFFER_MINUTES, seconds=1)
    time_machine.move_to(later, tick=False)
    with django_capture_on_commit_callbacks(execute=True):
        assert holds_release_expired() == 1  # the beat's sweep
    assert _offers() == [
        (first.pk, line["full"].pk, Offer.EXPIRED),
        (second.pk, line["full"].pk, Offer.OFFERED),
    ]
    assert SlotHold.objects.get().application == second
    assert _booked(line["full"]) == 1
    # The first in line stays on the list for other times, but this one is not offered again.
    assert WaitlistRequest.objects.get(application=first).is_active
    assert AuditEvent.objects.filter(action="waitlist.offer_expired").count() == 1
    # A late click on the expired offer is refused cleanly.
    client = Client()
    client.force_login(_user(first))
    response = client.post(reverse("booking:hold", args=[first.number]), {"action": "confirm"})
    assert response.status_code == 302
    assert Appointment.objects.get(application=first, status="booked").slot == line["later"]
    _invariant_holds()


def test_letting_an_offer_go_declines_it_and_offers_the_next(
    line, django_capture_on_commit_callbacks
):
    first, second, _third = line["apps"]
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=line["taken"], actor=_user(line["other"]))
    with django_capture_on_commit_callbacks(execute=True):
        hold_release(hold=SlotHold.objects.get(application=first), actor=_user(first))
    assert _offers() == [
        (first.pk, line["full"].pk, Offer.DECLINED),
        (second.pk, line["full"].pk, Offer.OFFERED),
    ]


def test_a_slot_is_never_offered_twice_to_the_same_request(
    line, django_capture_on_commit_callbacks
):
    first, second, third = line["apps"]
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=line["taken"], actor=_user(line["other"]))
    for application in (first, second, third):
        with django_capture_on_commit_callbacks(execute=True):
            hold = SlotHold.objects.get(application=application)
            hold_release(hold=hold, actor=_user(application))
    assert [status for _a, _s, status in _offers()] == [Offer.DECLINED] * 3
    assert _booked(line["full"]) == 0  # everyone said no: the time is simply open
    # The same event delivered again, or another freeing of the slot: nothing new.
    assert waitlist_match_slot(slot=line["full"]) == []
    assert waitlist_slots_freed(slot_ids=[line["full"].pk]) == 0
    assert WaitlistOffer.objects.count() == 3
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistOffer.objects.create(
            request=WaitlistRequest.objects.get(application=first), slot=line["full"]
        )


def test_a_second_delivery_of_the_same_event_changes_nothing(line):
    Appointment.objects.filter(pk=line["taken"].pk).update(
        status=Appointment.Status.CANCELLED, cancel_reason="applicant"
    )
    Slot.objects.filter(pk=line["full"].pk).update(booked=0)
    assert waitlist_slots_freed(slot_ids=[line["full"].pk]) == 1
    assert waitlist_slots_freed(slot_ids=[line["full"].pk]) == 0
    assert len(_offers()) == 1 and _booked(line["full"]) == 1


def test_an_applicant_holding_a_time_is_passed_over_and_keeps_it(
    line, yvr, django_capture_on_commit_callbacks
):
    first, second, _third = line["apps"]
    mine = _slot(yvr, 5, 9)
    hold = slot_hold(
        application=first,
        slot=mine,
        actor=_user(first),
        appointment=Appointment.objects.get(application=first),
    )
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=line["taken"], actor=_user(line["other"]))
    assert _offers() == [(second.pk, line["full"].pk, Offer.OFFERED)]
    assert SlotHold.objects.get(application=first) == hold  # their own choice is untouched
    _invariant_holds()


def test_stopping_lets_a_held_offer_go_to_the_next_in_line(
    line, django_capture_on_commit_callbacks
):
    first, second, _third = line["apps"]
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=line["taken"], actor=_user(line["other"]))
    request = WaitlistRequest.objects.get(application=first)
    with django_capture_on_commit_callbacks(execute=True):
        waitlist_request_cancel(waitlist_request=request, actor=_user(first))
    request.refresh_from_db()
    assert request.status == WaitlistRequest.Status.CANCELLED
    assert _offers() == [
        (first.pk, line["full"].pk, Offer.DECLINED),
        (second.pk, line["full"].pk, Offer.OFFERED),
    ]
    assert not SlotHold.objects.filter(application=first).exists()
    _invariant_holds()


def test_an_offer_mail_that_comes_too_late_is_not_sent(line):
    appointment_cancel(appointment=line["taken"], actor=_user(line["other"]))
    waitlist_match_slot(slot=line["full"])
    first = line["apps"][0]
    hold_release(hold=SlotHold.objects.get(application=first), actor=_user(first))
    message = OutboxMessage.objects.get(topic="mail.waitlist")
    assert outbox_deliver(message_id=message.pk)
    assert _mail_to(first) == []


# --- Moving automatically ---------------------------------------------------------------


def test_auto_rebook_moves_the_appointment_and_releases_the_old_time_at_once(
    yvr, django_capture_on_commit_callbacks
):
    old_slot = _slot(yvr, 10, 9)
    mover = ApplicationFactory()
    old = _book(mover, old_slot)
    _wait(mover, yvr, auto=True)
    # Someone booked later still, asking to be offered any earlier time.
    behind = ApplicationFactory()
    _book(behind, _slot(yvr, 12, 9))
    _wait(behind, yvr)
    freed = _slot(yvr, 2, 10)
    leaver = ApplicationFactory()
    leaving = _book(leaver, freed)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=leaving, actor=_user(leaver))
    old.refresh_from_db()
    new = Appointment.objects.get(application=mover, status=Appointment.Status.BOOKED)
    assert old.status == Appointment.Status.RESCHEDULED and new.rescheduled_from == old
    assert new.slot == freed and _booked(freed) == 1
    assert WaitlistRequest.objects.get(application=mover).status == "fulfilled"
    # The released day-10 time was announced in turn and offered to the next in line.
    assert _offers() == [
        (mover.pk, freed.pk, Offer.ACCEPTED),
        (behind.pk, old_slot.pk, Offer.OFFERED),
    ]
    assert _booked(old_slot) == 1 and SlotHold.objects.get().application == behind
    subjects = sorted(m.subject for m in _mail_to(mover))
    assert subjects == [
        "NEXUS: we moved your interview to an earlier time",
        "NEXUS: your interview appointment is moved",
    ]
    assert AuditEvent.objects.filter(action="waitlist.rebooked", actor=None).count() == 1
    _invariant_holds()


def test_auto_rebook_books_a_first_appointment(yvr, django_capture_on_commit_callbacks):
    applicant = ApplicationFactory()
    _wait(applicant, yvr, auto=True)
    slot = _slot(yvr, 2, 10)
    with django_capture_on_commit_callbacks(execute=True):
        waitlist_match_slot(slot=slot)
    appointment = Appointment.objects.get(application=applicant)
    assert appointment.slot == slot and appointment.rescheduled_from is None
    assert "NEXUS: we booked an interview time you asked for" in [
        m.subject for m in _mail_to(applicant)
    ]
    assert Application.objects.get(pk=applicant.pk).path == Application.Path.AIRPORT


def test_auto_rebook_is_one_transaction(yvr):
    old_slot = _slot(yvr, 10, 9)
    mover = ApplicationFactory()
    old = _book(mover, old_slot)
    request = _wait(mover, yvr, auto=True)
    slot = _slot(yvr, 2, 10)
    with (
        mock.patch("bookings.services.waitlist.waitlist_notify", side_effect=RuntimeError("smtp")),
        pytest.raises(RuntimeError),
    ):
        waitlist_match_slot(slot=slot)
    old.refresh_from_db()
    request.refresh_from_db()
    assert old.status == Appointment.Status.BOOKED and request.is_active
    assert (_booked(old_slot), _booked(slot)) == (1, 0)
    assert not WaitlistOffer.objects.exists()
    assert Appointment.objects.filter(application=mover).count() == 1


def test_cancelling_the_appointment_to_move_ends_the_request_instead_of_booking(
    yvr, django_capture_on_commit_callbacks
):
    application = ApplicationFactory()
    appointment = _book(application, _slot(yvr, 10, 9))
    request = _wait(application, yvr, auto=True)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=appointment, actor=_user(application))
        waitlist_match_slot(slot=_slot(yvr, 2, 10))
    request.refresh_from_db()
    assert request.status == WaitlistRequest.Status.CANCELLED
    assert not Appointment.objects.filter(application=application, status="booked").exists()
    assert not WaitlistOffer.objects.exists()
    assert AuditEvent.objects.filter(
        action="waitlist.cancelled", actor=None, data__reason="appointment_cancelled"
    ).exists()


# --- What triggers matching -------------------------------------------------------------


def test_a_cancellation_triggers_matching_through_the_outbox(line):
    appointment_cancel(appointment=line["taken"], actor=_user(line["other"]))
    # Recorded with the cancellation, not matched inline and not left to a poll.
    message = OutboxMessage.objects.get(topic=SLOT_FREED)
    assert message.payload == {"slots": [line["full"].pk]}
    assert not WaitlistOffer.objects.exists()
    assert outbox_deliver(message_id=message.pk)  # what the worker does after the commit
    assert _offers() == [(line["apps"][0].pk, line["full"].pk, Offer.OFFERED)]
    assert not outbox_deliver(message_id=message.pk)  # delivered once


def test_a_rolled_back_cancellation_announces_nothing(line):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        appointment_cancel(appointment=line["taken"], actor=_user(line["other"]))
        1 / 0  # noqa: B018
    assert not OutboxMessage.objects.filter(topic=SLOT_FREED).exists()


def test_confirming_an_ordinary_hold_announces_nothing(yvr):
    application = ApplicationFactory()
    hold = slot_hold(application=application, slot=_slot(yvr, 2, 10), actor=_user(application))
    hold_confirm(hold=hold, actor=_user(application))
    assert not OutboxMessage.objects.filter(topic=SLOT_FREED).exists()


@pytest.fixture
def weekly(yvr, settings):
    """YVR opens one 09:00 time with one booth on day 3's weekday; it is taken on day 3."""
    settings.SLOT_HORIZON_DAYS = 14
    capacity_change_save(
        obj=OpeningRule(
            centre=yvr,
            weekday=_day(3).weekday(),
            opens_at=datetime.time(9),
            closes_at=datetime.time(9, 20),
            slot_minutes=20,
            booths=1,
            valid_from=_day(0),
        ),
        actor=None,
    )
    return yvr


def test_a_capacity_increase_triggers_matching(weekly, django_capture_on_commit_callbacks):
    day_three = Slot.objects.get(centre=weekly, starts_at=_at(3, 9))
    _book(ApplicationFactory(), day_three)
    waiting = ApplicationFactory()
    _book(waiting, Slot.objects.get(centre=weekly, starts_at=_at(10, 9)))
    _wait(waiting, weekly, first=3, last=3)
    with django_capture_on_commit_callbacks(execute=True):
        capacity_change_save(
            obj=ExtraCapacity(centre=weekly, first_day=_day(3), last_day=_day(3), extra_booths=1),
            actor=None,
        )
    message = OutboxMessage.objects.filter(topic=SLOT_FREED).latest("pk")
    assert message.payload == {"centre": weekly.pk, "slots": [day_three.pk]}  # only that day
    assert _offers() == [(waiting.pk, day_three.pk, Offer.OFFERED)]
    assert _booked(day_three) == 2


def test_new_slots_trigger_matching(weekly, django_capture_on_commit_callbacks):
    closure = Closure(centre=weekly, first_day=_day(3), last_day=_day(3), reason="holiday")
    capacity_change_save(obj=closure, actor=None)
    assert not Slot.objects.filter(starts_at=_at(3, 9)).exists()
    waiting = ApplicationFactory()
    _wait(waiting, weekly, first=3, last=3)
    with django_capture_on_commit_callbacks(execute=True):
        capacity_change_delete(obj=closure, actor=None)
    reopened = Slot.objects.get(centre=weekly, starts_at=_at(3, 9))
    assert _offers() == [(waiting.pk, reopened.pk, Offer.OFFERED)]


def test_a_new_request_is_matched_against_a_time_already_open(
    yvr, django_capture_on_commit_callbacks
):
    application = ApplicationFactory()
    _book(application, _slot(yvr, 10, 9))
    _slot(yvr, 1, 18)  # an evening: not wanted
    open_slot = _slot(yvr, 2, 10)
    with django_capture_on_commit_callbacks(execute=True):
        _wait(application, yvr, times={"mornings"})
    assert _offers() == [(application.pk, open_slot.pk, Offer.OFFERED)]


# --- Asking and stopping: who may, and what is refused ------------------------------------


def test_asking_is_refused_when_it_cannot_lead_anywhere(yvr, applicant):
    application = ApplicationFactory(applicant=applicant)
    land = CentreFactory(land_border=True)
    _book(application, _slot(yvr, 10, 9))  # fixes the airport path
    refusals = {}
    for name, kwargs in (
        ("wrong centre", {"centres": [land]}),
        ("no centre", {"centres": []}),
        ("over", {"first": -5, "last": -2}),
        ("backwards", {"first": 5, "last": 3}),
        ("after the appointment", {"first": 11, "last": 12}),
        ("no time of day", {"times": set()}),
    ):
        centres = kwargs.pop("centres", [yvr])
        times = kwargs.pop("times", {"mornings"})
        try:
            waitlist_request_create(
                application=application,
                actor=_user(application),
                centres=centres,
                earliest=_day(kwargs.get("first", 0)),
                latest=_day(kwargs.get("last", 5)),
                mornings="mornings" in times,
                afternoons=False,
                evenings=False,
                auto_rebook=False,
            )
        except BookingError as error:
            refusals[name] = error.code
    assert refusals == {
        "wrong centre": "wrong_centre",
        "no centre": "wrong_centre",
        "over": "bad_window",
        "backwards": "bad_window",
        "after the appointment": "window_not_earlier",
        "no time of day": "no_time_of_day",
    }
    assert not WaitlistRequest.objects.exists()


def test_one_active_request_per_application(yvr):
    application = ApplicationFactory()
    first = _wait(application, yvr)
    with pytest.raises(BookingError) as refused:
        _wait(application, yvr)
    assert refused.value.code == "waitlist_exists"
    waitlist_request_cancel(waitlist_request=first, actor=_user(application))
    waitlist_request_cancel(waitlist_request=first, actor=_user(application))  # no-op twice
    assert _wait(application, yvr).is_active  # after stopping, one may ask again
    assert AuditEvent.objects.filter(action="waitlist.cancelled").count() == 1
    assert AuditEvent.objects.filter(action="waitlist.requested").count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        WaitlistRequest.objects.create(application=application, earliest=_day(0), latest=_day(1))


def test_nobody_may_ask_or_stop_for_someone_else(yvr, other_applicant):
    application = ApplicationFactory()
    with pytest.raises(BookingError) as refused:
        waitlist_request_create(
            application=application, actor=other_applicant.user, centres=[yvr],
            earliest=_day(0), latest=_day(5), mornings=True, afternoons=True, evenings=True,
            auto_rebook=False,
        )  # fmt: skip
    assert refused.value.kind == "not_found"
    request = _wait(application, yvr)
    with pytest.raises(BookingError) as refused:
        waitlist_request_cancel(waitlist_request=request, actor=other_applicant.user)
    assert refused.value.kind == "not_found"
    assert WaitlistRequest.objects.get().is_active


def test_only_an_application_that_may_still_book_may_ask(yvr):
    pending = ApplicationFactory(pending=True)
    with pytest.raises(BookingError) as refused:
        _wait(pending, yvr)
    assert refused.value.code == "not_approved"
    checked_in = ApplicationFactory()
    appointment = _book(checked_in, _slot(yvr, 2, 10))
    Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.CHECKED_IN)
    with pytest.raises(BookingError) as refused:
        _wait(checked_in, yvr, last=1)
    assert refused.value.code == "interview_under_way"


def test_a_request_that_can_no_longer_book_is_passed_over(line):
    first, second, _third = line["apps"]
    Application.objects.filter(pk=first.pk).update(status=Application.Status.WITHDRAWN)
    Slot.objects.filter(pk=line["full"].pk).update(capacity=2)
    (offer,) = waitlist_match_slot(slot=line["full"])
    assert offer.request.application == second


# --- Pages ---------------------------------------------------------------------------------


@pytest.fixture
def booked(applicant, yvr):
    application = ApplicationFactory(applicant=applicant)
    _book(application, _slot(yvr, 10, 9))
    return application


@pytest.fixture
def client_in(client, applicant):
    client.force_login(applicant.user)
    return client


def _form_url(application) -> str:
    return reverse("booking:waitlist", args=[application.number])


def _form_data(centres, **overrides) -> dict:
    return {
        "centres": [c.pk for c in centres],
        "earliest": _day(1).isoformat(),
        "latest": _day(9).isoformat(),
        "times": ["mornings", "afternoons"],
        **overrides,
    }


def test_ask_from_the_dashboard_then_stop_looking(client_in, booked, yvr):
    dashboard = reverse("enrolment:dashboard")
    page = client_in.get(dashboard).content.decode()
    assert _form_url(booked) in page and "Ask for an earlier time" in page
    land = CentreFactory(land_border=True, name="Blaine land border")
    page = client_in.get(_form_url(booked)).content.decode()
    assert yvr.name in page and land.name not in page  # only centres of the path
    assert f'value="{_day(0).isoformat()}"' in page and f'value="{_day(10).isoformat()}"' in page
    assert "Move my appointment automatically" in page and "you cannot get it back" in page
    response = client_in.post(_form_url(booked), _form_data([yvr], auto_rebook="on"))
    assert response.status_code == 302 and response["Location"] == dashboard
    request = WaitlistRequest.objects.get()
    assert list(request.centres.all()) == [yvr]
    assert (request.mornings, request.afternoons, request.evenings) == (True, True, False)
    assert request.auto_rebook and request.earliest == _day(1)
    page = client_in.get(dashboard).content.decode()
    assert "Looking for an earlier time" in page and "mornings (before noon)" in page
    assert "Ask for an earlier time" not in page
    stop = reverse("booking:waitlist_stop", args=[request.pk])
    assert stop in page
    assert client_in.get(stop).status_code == 405  # a change is a POST
    assert client_in.post(stop)["Location"] == dashboard
    request.refresh_from_db()
    assert request.status == WaitlistRequest.Status.CANCELLED
    page = client_in.get(dashboard).content.decode()
    assert "We have stopped looking" in page and "Ask for an earlier time" in page


def test_form_errors_are_shown_with_the_answers_kept(client_in, booked, yvr):
    response = client_in.post(_form_url(booked), {"earliest": _day(5).isoformat()})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Choose at least one centre." in page and "Choose at least one time of day." in page
    assert 'aria-describedby="id_centres_error"' in page
    assert f'value="{_day(5).isoformat()}"' in page  # what was typed stays
    response = client_in.post(
        _form_url(booked), _form_data([yvr], earliest=_day(6).isoformat(), latest=_day(4))
    )
    assert response.status_code == 400
    assert "The last day must not be before the first." in response.content.decode()
    assert 'id="id_times_0" checked' in response.content.decode()  # mornings still ticked
    response = client_in.post(
        _form_url(booked), _form_data([yvr], earliest=_day(11).isoformat(), latest=_day(12))
    )
    assert "choose a first day up to it" in response.content.decode()
    assert not WaitlistRequest.objects.exists()


def test_another_persons_application_or_request_is_not_found(client_in, other_applicant, yvr):
    theirs = ApplicationFactory(applicant=other_applicant)
    assert client_in.get(_form_url(theirs)).status_code == 404
    assert client_in.post(_form_url(theirs), _form_data([yvr])).status_code == 404
    request = _wait(theirs, yvr)
    stop = reverse("booking:waitlist_stop", args=[request.pk])
    assert client_in.post(stop).status_code == 404
    assert WaitlistRequest.objects.get().is_active


def test_an_application_already_waiting_goes_back_to_the_dashboard(client_in, booked, yvr):
    _wait(booked, yvr)
    response = client_in.get(_form_url(booked), follow=True)
    assert "You are already waiting for an earlier time" in response.content.decode()


def test_the_forms_need_the_csrf_token(applicant, booked, yvr):
    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant.user)
    assert client.post(_form_url(booked), _form_data([yvr])).status_code == 403
    request = _wait(booked, yvr)
    stop = reverse("booking:waitlist_stop", args=[request.pk])
    assert client.post(stop).status_code == 403
    assert WaitlistRequest.objects.get().is_active


def test_the_dashboard_points_to_a_held_offer(client_in, booked, yvr):
    _wait(booked, yvr)
    waitlist_match_slot(slot=_slot(yvr, 2, 10))
    page = client_in.get(reverse("enrolment:dashboard")).content.decode()
    assert "We found an earlier time at Vancouver International Airport" in page
    assert reverse("booking:hold", args=[booked.number]) in page


def test_signed_out_visitors_are_sent_to_sign_in(client, booked):
    response = client.get(_form_url(booked))
    assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]


# --- Concurrency --------------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_freeing_events_matched_at_once_make_one_offer():
    centre = CentreFactory(time_zone="America/Vancouver")
    slot = _slot(centre, 2, 10)
    later = _slot(centre, 10, 9, capacity=5)
    for _ in range(4):
        application = ApplicationFactory()
        _book(application, later)
        # Created as rows (not through the service, whose "request opened" event would
        # already match the open slot once committed).
        request = WaitlistRequest.objects.create(
            application=application, earliest=_day(0), latest=_day(20)
        )
        request.centres.set([centre])

    # The freeing event and its duplicates (a redelivery, a second freeing) at once.
    results = run_at_once(*[lambda: waitlist_slots_freed(slot_ids=[slot.pk])] * 6)
    assert sorted(results) == [0, 0, 0, 0, 0, 1], results
    assert WaitlistOffer.objects.count() == 1
    assert WaitlistOffer.objects.get().request == WaitlistRequest.objects.order_by("pk").first()
    assert _booked(slot) == 1 and SlotHold.objects.filter(slot=slot).count() == 1
    _invariant_holds()


# --- Hostile values (issue 10) --------------------------------------------------------------


@pytest.mark.parametrize("latest", ["9999-12-31", "2200-01-01"])
def test_a_window_past_the_calendar_bounds_is_a_form_error_and_stores_nothing(
    client_in, booked, yvr, latest
):
    response = client_in.post(_form_url(booked), _form_data([yvr], latest=latest))

    assert response.status_code == 400
    assert "Enter a date from 1900-01-01 to 2199-12-31." in response.content.decode()
    assert not WaitlistRequest.objects.exists()


def test_a_window_past_the_slot_horizon_is_refused_in_the_applicants_language(
    client, applicant, booked, yvr, settings
):
    client.force_login(applicant.user)
    latest = _day(settings.SLOT_HORIZON_DAYS + 1).isoformat()
    url = reverse("booking:waitlist", args=[booked.number]).replace("/en/", "/fr/")

    response = client.post(url, _form_data([yvr], latest=latest))

    assert response.status_code == 400
    assert "au plus 180 jours" in response.content.decode()
    assert not WaitlistRequest.objects.exists()


def test_more_centres_than_the_limit_are_refused_before_any_is_looked_up(client_in, booked, yvr):
    response = client_in.post(_form_url(booked), _form_data([yvr] * 51))

    assert response.status_code == 400
    assert "Give at most 50 items." in response.content.decode()
    assert not WaitlistRequest.objects.exists()


def test_a_request_stored_with_a_window_ending_in_9999_is_still_matched(yvr):
    application = ApplicationFactory()
    request = _wait(application, yvr)
    WaitlistRequest.objects.filter(pk=request.pk).update(latest=datetime.date(9999, 12, 31))
    free = _slot(yvr, 3, 9)

    assert waitlist_match_request(request_id=request.pk) == 1
    assert _offers() == [(application.pk, free.pk, Offer.OFFERED)]
