"""The signed-in applicant's own records: another person's are never found."""

from django.http import Http404

from enrolment.models import Applicant, Application


def applicant_of(user) -> Applicant | None:
    if user is None or not user.is_authenticated:
        return None
    return Applicant.objects.filter(user=user).first()


def own_application_or_404(user, number: str) -> Application:
    application = (
        Application.objects.select_related("applicant", "membership", "interview")
        .filter(applicant__user=user, applicant__user__isnull=False, number=number)
        .first()
    )
    if application is None:
        raise Http404
    return application
