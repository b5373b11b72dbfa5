"""The programme administrator's webhook pages: the subscriptions, registering one, and
one's page (its secret, its deliveries and their attempts; pause, resume, stop)."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from centres.selectors import is_programme_admin
from common.permissions import staff_verified_required
from common.shortcuts import found_or_404, refusal_status
from webhooks import selectors
from webhooks.errors import WebhookError
from webhooks.forms import SubscriptionForm
from webhooks.models import Event, Subscription
from webhooks.services import (
    subscription_create,
    subscription_delete,
    subscription_pause,
    subscription_resume,
)


def _programme_admin_or_404(request: HttpRequest) -> None:
    found_or_404(True if is_programme_admin(request.user) else None)


@require_http_methods(["GET", "POST"])
@staff_verified_required
def subscriptions(request: HttpRequest) -> HttpResponse:
    _programme_admin_or_404(request)
    form = SubscriptionForm(request.POST if request.method == "POST" else None)
    status = 200
    if form.is_valid():
        try:
            subscription = subscription_create(
                name=form.cleaned_data["name"],
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                actor=request.user,
                language=get_language(),
            )
        except WebhookError as refusal:
            form.add_error("url" if refusal.code != "no_events" else "events", refusal.message)
            status = refusal_status(refusal)
        else:
            messages.success(request, _("Subscription registered. Give its secret to the partner."))
            return redirect("webhooks:detail", pk=subscription.pk)
    elif form.is_bound:
        status = 400
    return render(
        request,
        "webhooks/subscriptions.html",
        {"form": form, "subscriptions": selectors.subscriptions_visible_to(request.user)},
        status=status,
    )


@require_GET
@staff_verified_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, found_or_404(selectors.subscription_for(request.user, pk)))


def _detail(request: HttpRequest, subscription: Subscription, status: int = 200) -> HttpResponse:
    return render(
        request,
        "webhooks/subscription.html",
        {
            "subscription": subscription,
            "events": [(v, label) for v, label in Event.choices if subscription.wants(v)],
            "deliveries": selectors.deliveries_of(subscription),
        },
        status=status,
    )


@require_POST
@staff_verified_required
def act(request: HttpRequest, pk: int) -> HttpResponse:
    subscription = found_or_404(selectors.subscription_for(request.user, pk))
    action = request.POST.get("action", "")
    if action == "pause":
        subscription_pause(subscription=subscription, actor=request.user)
        messages.success(request, _("Subscription paused: deliveries wait until it resumes."))
    elif action == "resume":
        queued = subscription_resume(subscription=subscription, actor=request.user)
        messages.success(
            request,
            _("Subscription resumed; %(count)d held deliveries sent again.") % {"count": queued},
        )
    elif action == "stop":
        subscription_delete(subscription=subscription, actor=request.user)
        messages.success(request, _("Subscription stopped. Nothing more is sent to it."))
        return redirect("webhooks:subscriptions")
    else:
        messages.error(request, _("Choose pause, resume or stop."))
        return _detail(request, subscription, status=400)
    return redirect("webhooks:detail", pk=subscription.pk)
