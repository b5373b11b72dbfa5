from django.contrib import admin
from django.db import models

from common.admin_site import ReadOnlyAdmin
from webhooks.models import Delivery, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    """Read-only: subscriptions change through their pages (``webhooks/views.py``)."""

    list_display = ["name", "url", "is_active", "paused_at", "failures_in_a_row", "created_at"]
    exclude = ["secret"]
    # Addresses are HTTPS (Django 6 makes it the default scheme).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin, admin.ModelAdmin):
    list_display = ["event", "event_id", "subscription", "status", "attempts", "created_at"]
    list_filter = ["status", "event"]
