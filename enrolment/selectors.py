"""The signed-in applicant's own records: another person's are never found."""

from common.actors import Actor
from enrolment.models import Applicant, Application


def applicant_of(user: Actor) -> Applicant | None:
    if user is None or not user.is_authenticated:
        return None
    return Applicant.objects.filter(user=user).first()


def own_application(user: Actor, number: str) -> Application | None:
    if user is None or not user.is_authenticated:
        return None
    return (
        Application.objects.select_related("applicant", "membership", "interview")
        .filter(applicant__user=user, applicant__user__isnull=False, number=number)
        .first()
    )
