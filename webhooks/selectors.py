"""Reads for the webhook pages: programme administrators only (anyone else finds
nothing)."""

from django.db.models import Count, Q, QuerySet

from centres.selectors import is_programme_admin
from common.actors import Actor
from webhooks.models import Delivery, Subscription


def subscriptions_visible_to(user: Actor) -> QuerySet[Subscription]:
    if not is_programme_admin(user):
        return Subscription.objects.none()
    return Subscription.objects.filter(is_active=True).annotate(
        delivered=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.DELIVERED)),
        waiting=Count("deliveries", filter=~Q(deliveries__status=Delivery.Status.DELIVERED)),
    )


def subscription_for(user: Actor, pk: int) -> Subscription | None:
    return subscriptions_visible_to(user).filter(pk=pk).first()


def deliveries_of(subscription: Subscription, *, limit: int = 50) -> list[Delivery]:
    """The latest deliveries, each with its attempts."""
    return list(
        Delivery.objects.filter(subscription=subscription)
        .prefetch_related("tries")
        .order_by("-created_at", "-id")[:limit]
    )
