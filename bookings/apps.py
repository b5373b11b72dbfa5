from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = _("Bookings")

    def ready(self) -> None:
        # Each registers its outbox handlers.
        from bookings import notifications, waitlist_mail  # noqa: F401
        from bookings.services import waitlist  # noqa: F401
