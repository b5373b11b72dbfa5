from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EntryExitConfig(AppConfig):
    name = "entry_exit"
    verbose_name = _("Entry/Exit record exchange")
