from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = "Common"

    def ready(self) -> None:
        # ``<id:pk>`` and ``<number:number>`` in every URL module: a path parameter that
        # no column could hold (a NUL byte, 30 digits) matches no URL, so it is a 404.
        from django.urls import register_converter

        from common.inputs import IdConverter, NumberConverter

        register_converter(IdConverter, "id")
        register_converter(NumberConverter, "number")
        # The outbox finds its delivery task by name (common/outbox.py): registered in
        # every process, the web's too, not only where a worker autodiscovers tasks.
        from common import tasks  # noqa: F401


class AdminConfig(admin_apps.AdminConfig):
    """The Django admin with our site class: no way into it without the second factor."""

    default = False  # "common" itself still loads CommonConfig
    default_site = "common.admin_site.AdminSite"
