from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InterviewsConfig(AppConfig):
    name = "interviews"
    verbose_name = _("Interviews")

    def ready(self) -> None:
        # Registers its outbox handler; answers the booking services' questions; says
        # which interview states end a renewal (the renewal-benefit sweep asks).
        from bookings.services.gate import interview_gate_register
        from enrolment.services import RenewalOutcomes, renewal_outcomes_register
        from interviews import notifications  # noqa: F401
        from interviews.models import RENEWAL_OVER
        from interviews.services.workflow import BookingGate

        interview_gate_register(BookingGate())
        renewal_outcomes_register(
            RenewalOutcomes(state_lookup="interview__state", words=RENEWAL_OVER)
        )
