from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"


class AdminConfig(admin_apps.AdminConfig):
    """The Django admin with our site class: no way into it without the second factor."""

    default = False  # "common" itself still loads CommonConfig
    default_site = "common.admin_site.AdminSite"
