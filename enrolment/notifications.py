"""Writing to an applicant, and what the member is told about their membership.

``applicant_mail_send`` is the one way every app writes to an applicant: to their
account's address, in their preferred language, with a link to their dashboard.

Recorded in the outbox by ``membership_benefits_sweep`` with the change (see
``common/outbox.py``) and sent by a worker after the commit, once per membership and
date, in the member's preferred language, as text and HTML.
"""

from collections.abc import Callable
from datetime import date

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from common.mail import Attachment, mail_send
from common.outbox import outbox_handler
from enrolment.models import Applicant, Membership
from enrolment.services import BENEFITS_MAIL


def applicant_mail_send(
    *,
    applicant: Applicant,
    template_prefix: str,
    context: dict,
    attachments: Callable[[str], tuple[Attachment, ...]] | None = None,
) -> bool:
    """Mail ``applicant`` (False if they have no account address yet). ``attachments``
    gets the language the message is written in (a calendar entry's wording follows it)."""
    user = applicant.user
    if user is None or not user.email:
        return False
    language = applicant.preferred_language
    with translation.override(language):
        dashboard_url = settings.SITE_URL + reverse("enrolment:dashboard")
    mail_send(
        template_prefix=template_prefix,
        context={"applicant": applicant, "dashboard_url": dashboard_url, **context},
        to=[user.email],
        language=language,
        attachments=attachments(language) if attachments else (),
    )
    return True


@outbox_handler(BENEFITS_MAIL)
def membership_benefits_message_send(payload: dict) -> None:
    membership = Membership.objects.select_related("applicant__user").get(pk=payload["membership"])
    until = date.fromisoformat(payload["until"])
    if membership.benefits_extended_until != until:
        return  # the extension ended (or the renewal completed) before this went out
    applicant_mail_send(
        applicant=membership.applicant,
        template_prefix="enrolment/emails/benefits_extended",
        context={"membership": membership, "until": until},
    )
