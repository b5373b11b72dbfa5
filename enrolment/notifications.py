"""What the member is told about their membership: their benefits are extended.

Recorded in the outbox by ``membership_benefits_sweep`` with the change (see
``common/outbox.py``) and sent by a worker after the commit, once per membership and
date, in the member's preferred language, as text and HTML.
"""

from datetime import date

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from common.mail import mail_send
from common.outbox import outbox_handler
from enrolment.models import Membership
from enrolment.services import BENEFITS_MAIL


@outbox_handler(BENEFITS_MAIL)
def membership_benefits_message_send(payload: dict) -> None:
    membership = Membership.objects.select_related("applicant__user").get(pk=payload["membership"])
    until = date.fromisoformat(payload["until"])
    if membership.benefits_extended_until != until:
        return  # the extension ended (or the renewal completed) before this went out
    applicant = membership.applicant
    user = applicant.user
    if user is None or not user.email:
        return
    language = applicant.preferred_language
    with translation.override(language):
        dashboard_url = settings.SITE_URL + reverse("enrolment:dashboard")
    mail_send(
        template_prefix="enrolment/emails/benefits_extended",
        context={
            "applicant": applicant,
            "membership": membership,
            "until": until,
            "dashboard_url": dashboard_url,
        },
        to=[user.email],
        language=language,
    )
