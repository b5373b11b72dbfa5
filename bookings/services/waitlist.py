"""The earlier-time waitlist: ask, be matched when a booth frees up, accept or stop.

An applicant asks once per application (``waitlist_request_create``): centres that fit
their path, a window of local days, times of day, and whether to be moved at once
(``auto_rebook``) or offered the time with a hold to accept. Every freed booth is
announced in the outbox by the transaction that frees it (``booths.slot_freed_announce``
and ``centres.services`` for new or bigger slots); after the commit the handler below
runs ``waitlist_match_slot``: first come, first served.

An offer is an ordinary ``SlotHold`` that lasts ``WAITLIST_OFFER_MINUTES``: the hold page
confirms it in one click (``hold_confirm`` then marks the offer accepted), and when it
ends unaccepted its freed booth is announced like any other, so the next in line is
offered it. A slot is offered to a request at most once (``waitlist_offer_once``).

Lock order as in ``booking.py``: the application, then the request row, then slots
(taken by the booking's own conditional update).
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from bookings.errors import BookingError
from bookings.models import (
    Appointment,
    SlotHold,
    WaitlistOffer,
    WaitlistRequest,
)
from bookings.selectors import centres_for
from bookings.services.booking import (
    appointment_book,
    appointment_reschedule,
    lock_application,
)
from bookings.services.booths import SLOT_FREED, hold_end
from bookings.services.gate import interview_gate
from bookings.services.holds import offer_acceptance_register, slot_hold
from bookings.waitlist_mail import OFFERED, REBOOKED, waitlist_notify
from centres.models import Centre, Slot
from common.actors import Actor
from common.audit import audit_record
from common.errors import ErrorKind
from common.outbox import outbox_handler, outbox_put
from enrolment.models import Application

REQUEST_OPENED = "waitlist.request_opened"
# Refusals that are about the slot, not the applicant: nobody else can have it either.
SLOT_GONE = frozenset({"slot_full", "slot_closed", "slot_in_past", "slot_beyond_horizon"})
# How many of a new request's fitting open slots are tried, soonest first.
OPEN_SLOTS_TRIED = 50

Status = WaitlistRequest.Status
OfferStatus = WaitlistOffer.Status


def _refuse(message: str, code: str, kind: ErrorKind = "conflict") -> BookingError:
    return BookingError(message, code=code, kind=kind)


def _active_appointment(application: Application) -> Appointment | None:
    return (
        Appointment.objects.select_related("slot__centre")
        .filter(application=application, status__in=Appointment.ACTIVE)
        .first()
    )


def waitlist_check_may_wait(*, application: Application, now: datetime) -> Appointment | None:
    """Refuse an application that has nothing to wait for; return its appointment."""
    if not application.may_book:
        raise _refuse(
            _("Only a conditionally approved application can book an interview."), "not_approved"
        )
    appointment = _active_appointment(application)
    if interview_gate().under_way(application) is not None or (
        appointment is not None
        and (appointment.status != Appointment.Status.BOOKED or appointment.slot.starts_at <= now)
    ):
        raise _refuse(
            _("Your interview is already under way: there is no earlier time to look for."),
            "interview_under_way",
        )
    return appointment


def waitlist_request_create(
    *,
    application: Application,
    actor: Actor,
    centres: list[Centre],
    earliest: date,
    latest: date,
    mornings: bool,
    afternoons: bool,
    evenings: bool,
    auto_rebook: bool,
    now: datetime | None = None,
) -> WaitlistRequest:
    """Put the application on the waitlist.

    1. Lock the application (its owner only), check it may still book or move, and that
       it is not already waiting (one active request, backed by a partial unique index).
    2. Check the choice: centres of its path, a window that is not over and starts
       before the current appointment, at least one time of day.
    3. Insert the request and its audit row, and record in the outbox that it opened, so
       an earlier time already free is matched at once, not only at the next freeing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        application = lock_application(application=application, actor=actor)
        appointment = waitlist_check_may_wait(application=application, now=now)
        if WaitlistRequest.objects.filter(application=application, status=Status.ACTIVE).exists():
            raise _refuse(
                _("You are already waiting for an earlier time. Stop looking first to change it."),
                "waitlist_exists",
            )
        allowed = {c.pk for c in centres_for(application)}
        if not centres or any(c.pk not in allowed for c in centres):
            raise _refuse(_("Choose at least one centre from the list."), "wrong_centre", "invalid")
        if not (mornings or afternoons or evenings):
            raise _refuse(_("Choose at least one time of day."), "no_time_of_day", "invalid")
        today = min(timezone.localdate(now, c.tz) for c in centres)
        if earliest > latest or latest < today:
            raise _refuse(
                _("Choose a window of days that is not over, its first day before its last."),
                "bad_window",
                "invalid",
            )
        horizon = settings.SLOT_HORIZON_DAYS
        if latest > today + timedelta(days=horizon):
            # No time is offered further ahead, and the matcher's date arithmetic stays
            # far from the calendar's end.
            raise _refuse(
                ngettext(
                    "Choose a last day at most %(days)d day from today: no times are "
                    "offered further ahead.",
                    "Choose a last day at most %(days)d days from today: no times are "
                    "offered further ahead.",
                    horizon,
                )
                % {"days": horizon},
                "window_too_long",
                "invalid",
            )
        if appointment is not None and earliest > appointment.slot.local_start().date():
            raise _refuse(
                _("Your appointment is before these days: choose days up to its own."),
                "window_not_earlier",
                "invalid",
            )
        request = WaitlistRequest.objects.create(
            application=application,
            appointment=appointment,
            earliest=earliest,
            latest=latest,
            mornings=mornings,
            afternoons=afternoons,
            evenings=evenings,
            auto_rebook=auto_rebook,
        )
        request.centres.set(centres)
        audit_record(
            actor=actor,
            action="waitlist.requested",
            target=request,
            application=application.pk,
            centres=sorted(allowed & {c.pk for c in centres}),
            auto_rebook=auto_rebook,
            appointment=appointment.pk if appointment else None,
            status=request.status,
        )
        outbox_put(topic=REQUEST_OPENED, key=f"waitlist.opened:{request.pk}", request=request.pk)
    return request


def waitlist_request_first_in_line(
    *, application: Application, centre: Centre, actor: Actor, now: datetime
) -> WaitlistRequest:
    """After a closure cancelled the application's appointment at ``centre``: put it at
    the head of that centre's earlier-time queue, any time of day from today to the
    booking horizon, booked automatically (``auto_rebook``). An earlier request of its own
    is replaced. Called by the capacity console, under the application lock, in the
    closure's transaction."""
    for earlier in WaitlistRequest.objects.filter(application=application, status=Status.ACTIVE):
        _request_lapse(earlier, actor=actor, reason="replaced_after_closure")
    today = timezone.localdate(now, centre.tz)
    request = WaitlistRequest.objects.create(
        application=application,
        earliest=today,
        latest=today + timedelta(days=settings.SLOT_HORIZON_DAYS),
        auto_rebook=True,
        first_in_line=True,
    )
    request.centres.set([centre])
    audit_record(
        actor=actor,
        action="waitlist.requested",
        target=request,
        application=application.pk,
        centres=[centre.pk],
        auto_rebook=True,
        first_in_line=True,
        status=request.status,
    )
    outbox_put(topic=REQUEST_OPENED, key=f"waitlist.opened:{request.pk}", request=request.pk)
    return request


def waitlist_request_cancel(*, waitlist_request: WaitlistRequest, actor: Actor) -> WaitlistRequest:
    """Stop looking. A time held for the applicant by an offer is let go too, which
    announces its booth to the next in line. Stopping twice changes nothing."""
    with transaction.atomic():
        application = lock_application(application=waitlist_request.application, actor=actor)
        request = (
            WaitlistRequest.objects.select_for_update()
            .filter(pk=waitlist_request.pk, application=application)
            .first()
        )
        if request is None:
            raise _refuse(_("No such request."), "not_found", "not_found")
        if request.status != Status.ACTIVE:
            return request
        request.status = Status.CANCELLED
        request.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=actor,
            action="waitlist.cancelled",
            target=request,
            application=application.pk,
            status=request.status,
        )
        for offer in request.offers.filter(status=OfferStatus.OFFERED):
            hold = (
                SlotHold.objects.filter(pk=offer.hold_id).first()
                if offer.hold_id is not None
                else None
            )
            if hold is not None:
                hold_end(hold)
            _offer_end(offer, OfferStatus.DECLINED, actor=actor)
    return request


def _request_lapse(
    request: WaitlistRequest, *, actor: Actor = None, reason: str = "appointment_cancelled"
) -> None:
    request.status = Status.CANCELLED
    request.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=actor,
        action="waitlist.cancelled",
        target=request,
        application=request.application_id,
        status=request.status,
        reason=reason,
    )


def _offer_end(offer: WaitlistOffer, status: str, *, actor: Actor = None, **data: object) -> bool:
    """Move an outstanding offer to ``status`` once (conditional update), with its audit row."""
    changed = WaitlistOffer.objects.filter(pk=offer.pk, status=OfferStatus.OFFERED).update(
        status=status, updated_at=timezone.now()
    )
    if changed:
        audit_record(
            actor=actor,
            action=f"waitlist.offer_{status}",
            target=offer,
            request=offer.request_id,
            slot=offer.slot_id,
            status=status,
            **data,
        )
    return bool(changed)


@offer_acceptance_register
def waitlist_offer_accept(*, offer: WaitlistOffer, appointment: Appointment, actor: Actor) -> None:
    """The held offer was confirmed (called by ``hold_confirm`` in its transaction): the
    offer is accepted and the request fulfilled."""
    if _offer_end(offer, OfferStatus.ACCEPTED, actor=actor, appointment=appointment.pk):
        _request_fulfil(offer.request_id, actor=actor, appointment=appointment)


def _request_fulfil(request_id: int, *, actor: Actor, appointment: Appointment) -> None:
    fulfilled = WaitlistRequest.objects.filter(pk=request_id, status=Status.ACTIVE).update(
        status=Status.FULFILLED, updated_at=timezone.now()
    )
    if fulfilled:
        audit_record(
            actor=actor,
            action="waitlist.fulfilled",
            target=WaitlistRequest(pk=request_id),
            appointment=appointment.pk,
            slot=appointment.slot_id,
            status=Status.FULFILLED,
        )


def waitlist_offers_settle(*, slot_ids: list[int], now: datetime | None = None) -> int:
    """Offers of these slots whose hold ended without being confirmed: expired if their
    time ran out, else declined (let go, replaced by another choice). Safe to run twice."""
    now = now or timezone.now()
    settled = 0
    ended = WaitlistOffer.objects.filter(slot_id__in=slot_ids, status=OfferStatus.OFFERED).exclude(
        Exists(SlotHold.objects.filter(pk=OuterRef("hold_id")))
    )
    for offer in ended:
        expired = offer.expires_at is None or offer.expires_at <= now
        with transaction.atomic():
            settled += _offer_end(offer, OfferStatus.EXPIRED if expired else OfferStatus.DECLINED)
    return settled


def _candidates(slot: Slot, now: datetime) -> QuerySet[WaitlistRequest]:
    """Active requests that want ``slot``, oldest first (first come, first served).

    Excluded here, re-checked under the application lock: requests already offered this
    slot; applications whose appointment is not later than it; applications holding a
    time right now (a hold of their own, or an offer they have not answered yet) — the
    matcher never replaces a live hold, which would pull a time from under someone who
    may be confirming it this minute; they are considered again at the next freeing.
    """
    local = slot.local_start()
    return (
        WaitlistRequest.objects.filter(
            status=Status.ACTIVE,
            centres=slot.centre_id,
            earliest__lte=local.date(),
            latest__gte=local.date(),
            **{WaitlistRequest.time_of_day(local.time()): True},
        )
        .exclude(offers__slot=slot)
        .exclude(
            Exists(
                Appointment.objects.filter(
                    application=OuterRef("application"),
                    status__in=Appointment.ACTIVE,
                    slot__starts_at__lte=slot.starts_at,
                )
            )
        )
        .exclude(
            Exists(SlotHold.objects.filter(application=OuterRef("application"), expires_at__gt=now))
        )
        .select_related("application__applicant__user")
        .order_by("-first_in_line", "created_at", "pk")
    )


class _SlotGone(Exception):
    pass


def _give(slot: Slot, request: WaitlistRequest, now: datetime) -> WaitlistOffer | None:
    """Offer (or, opted in, book) ``slot`` for ``request``; None if this applicant may not
    have it. Raises ``_SlotGone`` if nobody can (taken meanwhile, closed, started).

    The system acts for the applicant, through the booking services and their checks,
    as the applicant's own user: the request is their standing instruction. Its own
    audit rows (no actor) say that the waitlist did it.
    """
    user = request.application.applicant.user
    if user is None:
        return None
    try:
        with transaction.atomic():
            application = lock_application(application=request.application, actor=user)
            locked = (
                WaitlistRequest.objects.select_for_update()
                .filter(pk=request.pk, status=Status.ACTIVE)
                .first()
            )
            if (
                locked is None
                or locked.offers.filter(slot=slot).exists()
                or SlotHold.objects.filter(application=application, expires_at__gt=now).exists()
            ):
                return None
            request = locked
            current = _active_appointment(application)
            if current is None and request.appointment_id is not None:
                _request_lapse(request)  # the appointment to move was cancelled meanwhile
                return None
            if current is not None and current.slot.starts_at <= slot.starts_at:
                return None
            if request.auto_rebook:
                return _rebook(slot, request, application, current, user, now)
            return _offer(slot, request, application, current, user, now)
    except BookingError as refusal:
        if refusal.code in SLOT_GONE:
            raise _SlotGone from refusal
        return None  # e.g. no longer approved, interview under way: the next in line


def _rebook(
    slot: Slot,
    request: WaitlistRequest,
    application: Application,
    current: Appointment | None,
    user: User,
    now: datetime,
) -> WaitlistOffer:
    if current is None:
        appointment = appointment_book(application=application, slot=slot, actor=user, now=now)
    else:  # the old booth is released in this same transaction
        appointment = appointment_reschedule(appointment=current, slot=slot, actor=user, now=now)
    offer = WaitlistOffer.objects.create(request=request, slot=slot, status=OfferStatus.ACCEPTED)
    audit_record(
        actor=None,
        action="waitlist.rebooked",
        target=offer,
        request=request.pk,
        slot=slot.pk,
        appointment=appointment.pk,
        from_appointment=current.pk if current else None,
        status=offer.status,
    )
    _request_fulfil(request.pk, actor=None, appointment=appointment)
    waitlist_notify(offer, REBOOKED)
    return offer


def _offer(
    slot: Slot,
    request: WaitlistRequest,
    application: Application,
    current: Appointment | None,
    user: User,
    now: datetime,
) -> WaitlistOffer:
    hold = slot_hold(application=application, slot=slot, actor=user, appointment=current, now=now)
    # The hold service gives SLOT_HOLD_MINUTES; an offer lasts longer (the applicant reads
    # it in an e-mail). Changed before the commit: nobody sees the shorter one.
    expires_at = now + timedelta(minutes=settings.WAITLIST_OFFER_MINUTES)
    SlotHold.objects.filter(pk=hold.pk).update(expires_at=expires_at)
    offer = WaitlistOffer.objects.create(
        request=request, slot=slot, hold=hold, expires_at=expires_at, status=OfferStatus.OFFERED
    )
    audit_record(
        actor=None,
        action="waitlist.offered",
        target=offer,
        request=request.pk,
        slot=slot.pk,
        hold=hold.pk,
        appointment=current.pk if current else None,
        status=offer.status,
    )
    waitlist_notify(offer, OFFERED)
    return offer


def waitlist_match_slot(*, slot: Slot | int, now: datetime | None = None) -> list[WaitlistOffer]:
    """Give each free booth of ``slot`` to the first request in line that wants it.

    1. Settle this slot's offers whose hold has ended (expired or let go).
    2. While the slot has a free booth: take the oldest active request that wants it and
       has not been offered it, and give it — in its own transaction, under its
       application's lock, the booth taken by the booking's conditional update. An
       applicant who may not have it is skipped for the next; a slot taken meanwhile
       ends the loop.

    Idempotent: a second delivery finds the booth taken or the request already offered
    this slot, and does nothing. Returns the offers made (held or booked).
    """
    now = now or timezone.now()
    slot_id = slot if isinstance(slot, int) else slot.pk
    waitlist_offers_settle(slot_ids=[slot_id], now=now)
    given: list[WaitlistOffer] = []
    tried: set[int] = set()
    while True:
        fresh = Slot.objects.select_related("centre").filter(pk=slot_id).first()
        if fresh is None or not fresh.is_open or fresh.starts_at <= now:
            return given
        request = _candidates(fresh, now).exclude(pk__in=tried).first()
        if request is None:
            return given
        tried.add(request.pk)
        try:
            offer = _give(fresh, request, now)
        except _SlotGone:
            return given
        if offer is not None:
            given.append(offer)


def waitlist_slots_freed(*, slot_ids: list[int], now: datetime | None = None) -> int:
    """Match a freeing event's slots, soonest first. Cheap when nobody waits: one query
    for the active requests naming their centres, then only slots inside some request's
    window are tried. Returns how many offers were made."""
    now = now or timezone.now()
    waitlist_offers_settle(slot_ids=slot_ids, now=now)
    slots = list(
        Slot.objects.open()
        .select_related("centre")
        .filter(pk__in=slot_ids, starts_at__gt=now)
        .order_by("starts_at", "pk")
    )
    if not slots:
        return 0
    windows: dict[int, list[tuple[date, date]]] = {}
    for request in WaitlistRequest.objects.filter(
        status=Status.ACTIVE, centres__in={s.centre_id for s in slots}
    ).values("centres", "earliest", "latest"):
        windows.setdefault(request["centres"], []).append((request["earliest"], request["latest"]))
    made = 0
    for slot in slots:
        day = slot.local_start().date()
        if any(first <= day <= last for first, last in windows.get(slot.centre_id, ())):
            made += len(waitlist_match_slot(slot=slot.pk, now=now))
    return made


def waitlist_match_request(*, request_id: int, now: datetime | None = None) -> int:
    """A new request: try the open slots it wants, soonest first, until it has an offer
    (or is fulfilled). Each goes through ``waitlist_match_slot``, so an older request
    that wants the same slot still comes first."""
    now = now or timezone.now()
    request = WaitlistRequest.objects.filter(pk=request_id, status=Status.ACTIVE).first()
    if request is None or not _still_waiting(request_id, now):
        return 0  # fulfilled, stopped, or holding an offer already (a second delivery)
    current = _active_appointment(request.application)
    centres = list(request.centres.all())
    # A local day's bounds differ by centre: a day's margin either side, exact below.
    after = max(now, datetime.combine(request.earliest, datetime.min.time(), tzinfo=UTC))
    # A request stored before windows were bounded may end in year 9999: no slot is
    # generated past the horizon, so a window is never read further than that.
    last = min(request.latest, now.date() + timedelta(days=settings.SLOT_HORIZON_DAYS + 1))
    before = datetime.combine(last, datetime.min.time(), tzinfo=UTC)
    slots = Slot.objects.open().filter(
        centre__in=centres,
        starts_at__gt=max(now, after - timedelta(days=1)),
        starts_at__lt=before + timedelta(days=2),
    )
    if current is not None:
        slots = slots.filter(starts_at__lt=current.slot.starts_at)
    made, tried = 0, 0
    # Read first, then matched: each match writes (and may commit) as it goes.
    for slot in list(slots.select_related("centre").order_by("starts_at", "pk")[:500]):
        local = slot.local_start()
        if not (request.earliest <= local.date() <= request.latest) or not request.wants_time(
            local.time()
        ):
            continue
        made += len(waitlist_match_slot(slot=slot.pk, now=now))
        tried += 1
        if tried >= OPEN_SLOTS_TRIED or not _still_waiting(request.pk, now):
            break
    return made


def waitlist_request_first_match(
    *, request: WaitlistRequest, now: datetime | None = None
) -> WaitlistOffer | None:
    """Right after ``waitlist_request_create`` committed: match the new request now, so
    the page the applicant sees next can say what came of it, and return the offer it
    got (a time held for them, or, for ``auto_rebook``, booked), or None if it waits.

    The outbox's delivery of ``REQUEST_OPENED`` runs the same match (at once when Celery
    runs eagerly, else on a worker): whichever runs second finds the request holding an
    offer or fulfilled and does nothing, and both go through the same locks.
    """
    now = now or timezone.now()
    waitlist_match_request(request_id=request.pk, now=now)
    return (
        WaitlistOffer.objects.select_related("slot__centre", "hold")
        .filter(request=request, status__in=[OfferStatus.OFFERED, OfferStatus.ACCEPTED])
        .order_by("-created_at", "-pk")
        .first()
    )


def _still_waiting(request_id: int, now: datetime) -> bool:
    """Active and not holding an offer (or any other time) right now."""
    return (
        WaitlistRequest.objects.filter(pk=request_id, status=Status.ACTIVE)
        .exclude(
            Exists(SlotHold.objects.filter(application=OuterRef("application"), expires_at__gt=now))
        )
        .exists()
    )


@outbox_handler(SLOT_FREED)
def _slot_freed_handle(payload: dict[str, Any]) -> None:
    waitlist_slots_freed(slot_ids=payload["slots"])


@outbox_handler(REQUEST_OPENED)
def _request_opened_handle(payload: dict[str, Any]) -> None:
    waitlist_match_request(request_id=payload["request"])
