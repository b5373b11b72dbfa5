from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ManifestsConfig(AppConfig):
    name = "entry_exit.manifests"
    label = "entry_exit_manifests"
    verbose_name = _("Entry/Exit carrier manifests")
