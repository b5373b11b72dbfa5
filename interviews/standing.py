"""Where an applicant stands, in one plain sentence, and their enrolment's history.

``application_standing`` is the one place that says, for every application status and
every enrolment state on every path, what has happened and what to do next; the
dashboard shows it, and the tests walk every state through it. ``application_history``
tells the story so far in the applicant's words: no officer's name or notes.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from bookings.models import Appointment, WaitlistOffer, WaitlistRequest
from bookings.wording import local_date, local_when, step_name
from centres.models import Centre
from enrolment.models import Application
from interviews.models import Agency, EnrolmentEvent, Interview

S = Interview.State

# The next thing to do, as a link on the dashboard.
BOOK = "book"


@dataclass(frozen=True)
class Standing:
    sentence: str
    next_action: str = ""  # BOOK, or nothing to do
    notes: tuple[str, ...] = field(default_factory=tuple)  # e.g. benefits extended
    appointment: Appointment | None = None  # the active appointment, if any


def _book_sentence(application: Application) -> str:
    if application.path == Application.Path.JOINT:
        return _("Book your joint CBSA and CBP interview.")
    if application.path:
        return _("Book your CBSA interview.")
    return _("Book your interview.")


def _appointment_sentence(appointment: Appointment, now: datetime) -> str:
    centre = appointment.slot.centre
    values = {
        "step": step_name(appointment.step),
        "when": local_when(appointment.slot.starts_at, centre),
        "centre": centre.display_name,
        "zone": centre.zone_name,
    }
    if appointment.slot.starts_at <= now and appointment.status == Appointment.Status.BOOKED:
        return (
            _(
                "Your %(step)s was on %(when)s at %(centre)s. Its outcome will show here once "
                "the officer has recorded it."
            )
            % values
        )
    if appointment.status == Appointment.Status.CHECKED_IN:
        return (
            _("You are checked in for your %(step)s at %(centre)s. An officer will see you soon.")
            % values
        )
    return _("Your %(step)s is on %(when)s %(zone)s, at %(centre)s.") % values


def _counterpart(enrolment: Interview) -> str:
    centre = enrolment.cbsa_centre
    counterpart = centre.counterpart if centre else None
    if counterpart is None:
        return _("the US port paired with your Canadian centre")
    return f"{counterpart.display_name} ({counterpart.display_city}, {counterpart.region})"


def _cbsa_passed_sentence(enrolment: Interview, appointment_centre: Centre | None) -> str:
    path = enrolment.application.path
    if path == Application.Path.AIRPORT:
        if settings.ENROLMENT_ON_ARRIVAL:
            return _(
                "The CBSA part is done. Complete the CBP part at any Canadian airport "
                "preclearance area before your next flight to the United States — no "
                "appointment needed."
            )
        return _(
            "The CBSA part is done. Once the CBSA has shared it with CBP, you can complete "
            "the CBP part at any Canadian airport preclearance area — we will tell you."
        )
    if path == Application.Path.SPLIT_SITE:
        return _(
            "The CBSA part is done. Once the CBSA has shared it with CBP, complete the CBP "
            "part at %(place)s — we will tell you."
        ) % {"place": _counterpart(enrolment)}
    return _("The CBSA part is done. A CBP officer will complete your interview at %(centre)s.") % {
        "centre": appointment_centre.display_name if appointment_centre else _("the centre")
    }


def _review_sentence(enrolment: Interview) -> str:
    if enrolment.review_agency == Agency.CBP:
        return _(
            "Your file has been referred to CBP for further review. You do not need to do "
            "anything now; we will e-mail you when there is a decision."
        )
    return _(
        "Your file has been referred to the CBSA for further review. You do not need to do "
        "anything now; we will e-mail you when there is a decision."
    )


def application_standing(
    application: Application, *, now: datetime | None = None
) -> Standing:  # fmt: skip
    """Where ``application`` stands and what to do next. Reads the application with its
    ``enrolment`` and ``appointments`` (prefetch them for a list)."""
    now = now or timezone.now()
    notes = _benefit_notes(application)
    if application.status == Application.Status.PENDING:
        return Standing(
            _(
                "Your application is still being reviewed. You can book your interview "
                "once it is conditionally approved."
            ),
            notes=notes,
        )
    if application.status == Application.Status.WITHDRAWN:
        return Standing(_("This application was withdrawn. There is nothing more to do."))
    appointments = sorted(application.appointments.all(), key=lambda a: a.created_at)
    active = next((a for a in appointments if a.status in Appointment.ACTIVE), None)
    enrolment: Interview | None = getattr(application, "interview", None)
    state = enrolment.state if enrolment else S.AWAITING_INTERVIEW
    if enrolment is None or state == S.AWAITING_INTERVIEW:  # no enrolment: awaiting
        if active is not None:
            return Standing(_appointment_sentence(active, now), notes=notes, appointment=active)
        return Standing(_book_sentence(application), next_action=BOOK, notes=notes)
    if state == S.NO_SHOW:
        missed = next(
            (a for a in reversed(appointments) if a.status == Appointment.Status.NO_SHOW), None
        )
        sentence = (
            _("You missed your interview on %(when)s. Book a new one.")
            % {"when": local_when(missed.slot.starts_at, missed.slot.centre)}
            if missed
            else _("You missed your interview. Book a new one.")
        )
        return Standing(sentence, next_action=BOOK, notes=notes)
    last_centre = appointments[-1].slot.centre if appointments else None
    if state == S.CBSA_PASSED:
        return Standing(_cbsa_passed_sentence(enrolment, last_centre), notes=notes)
    if state == S.SHARED_WITH_CBP:
        if application.path == Application.Path.SPLIT_SITE:
            sentence = _(
                "The CBSA part is done and shared with CBP. Complete the CBP part at %(place)s."
            ) % {"place": _counterpart(enrolment)}
        else:
            sentence = _(
                "The CBSA part is done and shared with CBP. Complete the CBP part at any "
                "Canadian airport preclearance area before your next flight to the United "
                "States — no appointment needed."
            )
        return Standing(sentence, notes=notes)
    if state == S.CBP_PASSED:
        return Standing(
            _("The CBP part is done. A CBSA officer will complete your interview at %(centre)s.")
            % {"centre": last_centre.display_name if last_centre else _("the centre")},
            notes=notes,
        )
    if state == S.UNDER_REVIEW:
        return Standing(_review_sentence(enrolment), notes=notes)
    if state == S.REFUSED:
        return Standing(
            _(
                "Your NEXUS enrolment was refused. You will receive a letter explaining the "
                "decision and what you can do."
            )
        )
    if state == S.EXPIRED:
        return Standing(
            _(
                "Your conditional approval expired before your interview was completed. To "
                "join NEXUS, submit a new application."
            )
        )
    membership = enrolment.membership
    if membership is None:  # enrolled before memberships were recorded: still complete
        return Standing(_("Enrolment complete."))
    return Standing(
        _("Enrolment complete — membership number %(number)s, valid until %(date)s.")
        % {"number": membership.number, "date": local_date(membership.expires_on)}
    )


def _benefit_notes(application: Application) -> tuple[str, ...]:
    membership = application.membership
    if (
        application.kind == Application.Kind.RENEWAL
        and membership is not None
        and membership.benefits_extended_until
    ):
        return (
            _("Your benefits are extended until %(date)s while your renewal is completed.")
            % {"date": local_date(membership.benefits_extended_until)},
        )
    return ()


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    text: str


def _event_text(event: EnrolmentEvent) -> str | None:
    place = event.centre.display_name if event.centre else ""
    if not place:  # a pass recorded without a centre: say it without one
        texts = {
            "cbsa_pass": _("You passed the CBSA part of your interview."),
            "cbp_pass": _("You passed the CBP part of your interview."),
        }
    else:
        texts = {
            "cbsa_pass": _("You passed the CBSA part of your interview at %(place)s."),
            "cbp_pass": _("You passed the CBP part of your interview at %(place)s."),
        }
    texts |= {
        "cbsa_refuse": _("The CBSA refused your enrolment."),
        "cbsa_refer": _("The CBSA referred your file for further review."),
        "cbp_refuse": _("CBP refused your enrolment."),
        "cbp_refer": _("CBP referred your file for further review."),
        "no_show": _("You missed your interview."),
        "share_with_cbp": _("The CBSA shared the CBSA part of your interview with CBP."),
        "review_clear": _("The review was completed in your favour."),
        "review_refuse": _("After review, your enrolment was refused."),
        "expire": _("Your conditional approval expired."),
    }
    text = texts.get(event.action)
    if text is None:  # e.g. "rebook": the new booking tells it
        return None
    text = text % {"place": place} if "%(place)s" in text else text
    if event.to_state == S.ENROLLED:
        text = " ".join([text, _("Your enrolment is complete.")])
    return text


def application_history(application: Application) -> list[HistoryEntry]:
    """The application's story, oldest first, from its own dates, its appointments and the
    enrolment's history rows."""
    entries = [
        HistoryEntry(
            application.submitted_at,
            _("You applied to renew your NEXUS membership.")
            if application.kind == Application.Kind.RENEWAL
            else _("You applied for NEXUS."),
        )
    ]
    if application.conditionally_approved_at:
        entries.append(
            HistoryEntry(
                application.conditionally_approved_at,
                _("Your application was conditionally approved: you can book your interview."),
            )
        )
    appointments = list(
        application.appointments.select_related("slot__centre").order_by("created_at")
    )
    for appointment in appointments:
        values = {
            "step": step_name(appointment.step),
            "when": local_when(appointment.slot.starts_at, appointment.slot.centre),
            "centre": appointment.slot.centre.display_name,
        }
        booked = (
            _("You moved your %(step)s to %(when)s at %(centre)s.")
            if appointment.rescheduled_from_id
            else _("You booked your %(step)s for %(when)s at %(centre)s.")
        )
        entries.append(HistoryEntry(appointment.created_at, booked % values))
        # One the system cancelled as the enrolment expired: the expiry tells it.
        if appointment.cancel_reason == Appointment.CancelReason.APPLICANT:
            entries.append(
                HistoryEntry(
                    appointment.updated_at,
                    _("You cancelled your %(step)s of %(when)s.") % values,
                )
            )
        elif appointment.cancel_reason == Appointment.CancelReason.CENTRE_CLOSED:
            entries.append(
                HistoryEntry(
                    appointment.updated_at,
                    _(
                        "Your %(step)s of %(when)s was cancelled: %(centre)s closed. You were "
                        "put first in line for the next free time there."
                    )
                    % values,
                )
            )
    entries += _earlier_time_entries(application)
    enrolment = getattr(application, "interview", None)
    if enrolment is not None:
        for event in enrolment.events.select_related("centre").order_by("created_at", "id"):
            text = _event_text(event)
            if text:
                entries.append(HistoryEntry(event.created_at, text))
    return sorted(entries, key=lambda entry: entry.at)


def _earlier_time_entries(application: Application) -> list[HistoryEntry]:
    """The applicant's earlier-time requests and the times offered to them."""
    entries: list[HistoryEntry] = []
    requests = WaitlistRequest.objects.filter(application=application).prefetch_related(
        Prefetch("offers", queryset=WaitlistOffer.objects.select_related("slot__centre"))
    )
    for request in requests.order_by("created_at"):
        entries.append(HistoryEntry(request.created_at, _("You asked for an earlier time.")))
        if request.status == WaitlistRequest.Status.CANCELLED:
            entries.append(
                HistoryEntry(request.updated_at, _("Your request for an earlier time ended."))
            )
        for offer in request.offers.all():
            values = {
                "when": local_when(offer.slot.starts_at, offer.slot.centre),
                "centre": offer.slot.centre.display_name,
            }
            entries.append(
                HistoryEntry(
                    offer.created_at,
                    _("An earlier time was found for you: %(when)s at %(centre)s.") % values,
                )
            )
            answers: dict[str, str] = {
                WaitlistOffer.Status.ACCEPTED: _("You took the earlier time of %(when)s."),
                WaitlistOffer.Status.DECLINED: _("You let the earlier time of %(when)s go."),
                WaitlistOffer.Status.EXPIRED: _(
                    "The earlier time of %(when)s was not taken in time."
                ),
            }
            answer = answers.get(offer.status)
            if answer:
                entries.append(HistoryEntry(offer.updated_at, answer % values))
    return entries


def history_zone(application: Application) -> str:
    """The zone the history's dates are in: the applicant's centre's (of their latest
    appointment), so a day never reads in UTC next to a local time; before any booking,
    Eastern time (the programme's offices in Ottawa and Washington)."""
    latest = application.appointments.select_related("slot__centre").order_by("-created_at").first()
    return latest.slot.centre.time_zone if latest else "America/Toronto"
