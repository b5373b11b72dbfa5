"""Linking a portal account to the application the agencies already hold.

The applicant proves the application is theirs with its number and their date of birth
(both on the conditional-approval letter). Wrong guesses count against a per-account
lock-out, and a miss never says which of the two was wrong.
"""

from datetime import date

from django.db import transaction
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from common.audit import audit_record
from common.errors import ApplicationError
from common.ratelimit import RateLimit
from enrolment.models import Applicant, Application

LINK_APPLICATION = RateLimit("link-application")


def _not_found() -> ApplicationError:
    return ApplicationError(
        _(
            "We could not find an application with this number and date of birth. Check "
            "both against your conditional-approval letter."
        ),
        code="no_match",
        kind="invalid",
    )


def application_number_normalize(number: str) -> str:
    return "".join(number.split()).upper()


def application_link(*, user, number: str, date_of_birth: date) -> Application:
    """Link ``user`` to the applicant whose application ``number`` is, if the date of
    birth matches; every application of that applicant comes with it."""
    identity = (str(user.pk),)
    if LINK_APPLICATION.is_locked(*identity):
        raise ApplicationError(
            _("Too many attempts. Try again in 15 minutes."), code="locked", kind="forbidden"
        )
    with transaction.atomic():
        application = (
            Application.objects.select_related("applicant")
            .filter(number=application_number_normalize(number))
            .first()
        )
        if application is None or application.applicant.date_of_birth != date_of_birth:
            if LINK_APPLICATION.fail(*identity):
                raise ApplicationError(
                    _("Too many attempts. Try again in 15 minutes."),
                    code="locked",
                    kind="forbidden",
                )
            raise _not_found()
        LINK_APPLICATION.clear(*identity)
        applicant = application.applicant
        if applicant.user_id == user.pk:
            raise ApplicationError(
                _("This application is already linked to your account."),
                code="already_linked",
                kind="conflict",
            )
        if applicant.user_id is not None:
            raise ApplicationError(
                _(
                    "This application is already linked to another account. If that is not "
                    "yours, contact the NEXUS help line."
                ),
                code="linked_elsewhere",
                kind="conflict",
            )
        if Applicant.objects.filter(user=user).exists():
            raise ApplicationError(
                _(
                    "Your account is already linked to another person's file. Sign in with "
                    "that person's account, or contact the NEXUS help line."
                ),
                code="account_taken",
                kind="conflict",
            )
        # Conditional: two accounts linking the same file at once cannot both win.
        linked = Applicant.objects.filter(pk=applicant.pk, user__isnull=True).update(
            user=user, preferred_language=(get_language() or "en")[:2]
        )
        if not linked:
            raise ApplicationError(
                _("This application is already linked to another account."),
                code="linked_elsewhere",
                kind="conflict",
            )
        audit_record(
            actor=user, action="application.linked", target=applicant, application=application.pk
        )
    return application
