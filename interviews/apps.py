from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterviewsConfig(AppConfig):
    name = "interviews"
    verbose_name = _("Interviews")

    def ready(self) -> None:
        # Each registers its outbox handlers.
        from interviews import notifications, waitlist_mail  # noqa: F401
        from interviews.services import waitlist  # noqa: F401
