"""What the applicant is told when the waitlist finds them an earlier time.

Recorded in the outbox with the match (``common/outbox.py``), sent after the commit in
the applicant's language: an offer ("an earlier time is held for you: accept before
...", with the link to the hold page, where one click confirms it), or, for a request
that opted in, that the appointment was moved (the booking's own message carries the
calendar entry). Nothing stale is sent: an offer that ended before the mail went out,
or a request no longer fulfilled, sends nothing.
"""

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from bookings.models import Appointment, WaitlistOffer, WaitlistRequest
from common.outbox import outbox_handler, outbox_put
from enrolment.notifications import applicant_mail_send

WAITLIST_MAIL = "mail.waitlist"
OFFERED = "offered"
REBOOKED = "rebooked"


def waitlist_notify(offer: WaitlistOffer, event: str) -> None:
    """Record, in the current transaction, that the applicant is to be told of ``event``."""
    outbox_put(topic=WAITLIST_MAIL, key=f"waitlist.{event}:{offer.pk}", offer=offer.pk, event=event)


def _still_true(offer: WaitlistOffer, event: str) -> bool:
    if event == OFFERED:
        return offer.status == WaitlistOffer.Status.OFFERED and offer.hold is not None
    return (
        offer.status == WaitlistOffer.Status.ACCEPTED
        and offer.request.status == WaitlistRequest.Status.FULFILLED
    )


@outbox_handler(WAITLIST_MAIL)
def waitlist_message_send(payload: dict[str, Any]) -> None:
    event = payload["event"]
    # The hold is joined (LEFT OUTER): an ended hold reads as None, not an error.
    offer = (
        WaitlistOffer.objects.select_related(
            "slot__centre",
            "hold__appointment__slot__centre",
            "request__application__applicant__user",
        )
        .filter(pk=payload["offer"])
        .first()
    )
    if offer is None or not _still_true(offer, event):
        return
    application = offer.request.application
    appointment = None
    if event == REBOOKED:
        appointment = Appointment.objects.filter(
            application=application, slot=offer.slot, status__in=Appointment.ACTIVE
        ).first()
        if appointment is None:
            return  # cancelled or moved again before this went out: that message says so
    centre = offer.slot.centre
    # An offer still true (``_still_true``) has its hold.
    moving = offer.hold.appointment if event == OFFERED and offer.hold is not None else None
    with translation.override(application.applicant.preferred_language):
        hold_url = settings.SITE_URL + reverse("booking:hold", args=[application.number])
    applicant_mail_send(
        applicant=application.applicant,
        template_prefix=f"bookings/emails/waitlist_{event}",
        context={
            "application": application,
            "centre": centre,
            "starts_at": offer.slot.starts_at,
            "time_zone": centre.time_zone,
            "expires_at": offer.expires_at,
            "moving": moving,
            "moving_centre": moving.slot.centre if moving else None,
            "moved": bool(appointment and appointment.rescheduled_from_id),
            "hold_url": hold_url,
        },
    )
