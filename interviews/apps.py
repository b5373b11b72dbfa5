from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterviewsConfig(AppConfig):
    name = "interviews"
    verbose_name = _("Interviews")

    def ready(self) -> None:
        from interviews import notifications  # noqa: F401 -- registers outbox handlers
