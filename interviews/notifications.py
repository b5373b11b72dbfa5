"""What the applicant is told of their interview: the CBSA part is done and how to
finish the CBP part; the enrolment is complete. Recorded in the outbox with the change
and sent after the commit, once per event, in the applicant's language (as the
appointment messages, ``bookings/notifications.py``).
"""

from bookings.models import PATH_BOOKING, CbpSite
from common.outbox import outbox_handler, outbox_put
from enrolment.notifications import applicant_mail_send
from interviews.models import Interview

ENROLMENT_MAIL = "mail.enrolment"
CBSA_COMPLETE = "cbsa_complete"
ENROLLED = "enrolled"


def enrolment_notify(enrolment: Interview, event: str) -> None:
    """Record, in the current transaction, that the applicant is to be told of ``event``
    (``CBSA_COMPLETE`` when the CBSA part is shared with CBP, ``ENROLLED``)."""
    outbox_put(
        topic=ENROLMENT_MAIL,
        key=f"enrolment.{event}:{enrolment.pk}",
        enrolment=enrolment.pk,
        event=event,
    )


@outbox_handler(ENROLMENT_MAIL)
def enrolment_message_send(payload: dict) -> None:
    event = payload["event"]
    enrolment = Interview.objects.select_related(
        "application__applicant__user", "cbsa_centre__counterpart", "membership"
    ).get(pk=payload["enrolment"])
    expected = {CBSA_COMPLETE: Interview.State.SHARED_WITH_CBP, ENROLLED: Interview.State.ENROLLED}
    if enrolment.state != expected[event]:
        return  # moved on before this went out (e.g. CBP completed it): that message says so
    application = enrolment.application
    counterpart = enrolment.cbsa_centre.counterpart if enrolment.cbsa_centre else None
    booking = PATH_BOOKING.get(application.path)
    applicant_mail_send(
        applicant=application.applicant,
        template_prefix=f"interviews/emails/{event}",
        context={
            "application": application,
            "enrolment": enrolment,
            "at_preclearance": booking is not None and booking.cbp_site == CbpSite.PRECLEARANCE,
            "counterpart": counterpart,
            "membership": enrolment.membership,
            "renewal": application.kind == application.Kind.RENEWAL,
        },
    )
