from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReconciliationConfig(AppConfig):
    name = "entry_exit.reconciliation"
    label = "entry_exit_reconciliation"
    verbose_name = _("Entry/Exit reconciliation")

    def ready(self) -> None:
        from entry_exit.reconciliation import tasks  # noqa: F401  (the outbox handler)
