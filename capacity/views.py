"""The capacity console: a centre's weeks at a glance, and each capacity change (an
opening rule, a closure, extra booths; added or removed) previewed before it is applied.
Centre administrators manage their centres, programme administrators all; anyone else
is shown nothing (404)."""

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from capacity import selectors
from capacity.forms import FORMS, MODELS
from capacity.services import (
    Preview,
    PreviewOutdated,
    capacity_change_apply,
    capacity_change_preview,
    capacity_close_and_move,
)
from centres.models import Centre, Closure
from centres.services import CapacityError, CapacityObject
from common.inputs import InputError, read_date
from common.permissions import staff_verified_required
from common.shortcuts import found_or_404, refusal_status


def _centre(request: HttpRequest, pk: int) -> Centre:
    return found_or_404(selectors.centre_managed_by(request.user, pk))


@require_GET
@staff_verified_required
def centres(request: HttpRequest) -> HttpResponse:
    managed = selectors.centres_managed_by(request.user)
    if not managed.exists() and not selectors.may_manage_capacity(request.user):
        raise Http404
    return render(request, "capacity/centres.html", {"centres": managed})


@require_GET
@staff_verified_required
def week(request: HttpRequest, pk: int) -> HttpResponse:
    centre = _centre(request, pk)
    today = timezone.localtime(timezone.now(), centre.tz).date()
    try:
        chosen = read_date(request.GET["week"]) if request.GET.get("week") else today
    except InputError:
        chosen = today
    shown = selectors.centre_week(centre, selectors.monday_of(chosen))
    return render(
        request,
        "capacity/week.html",
        {
            "centre": centre,
            "week": shown,
            "today": today,
            "rules": centre.opening_rules.all(),
            "closures": centre.closures.filter(last_day__gte=today),
            "extras": centre.extra_capacity.filter(last_day__gte=today),
            "history": selectors.capacity_history(centre),
        },
    )


def _render_change(
    request: HttpRequest,
    centre: Centre,
    kind: str,
    form,
    preview: Preview | None,
    *,
    removing: CapacityObject | None = None,
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "capacity/change.html",
        {
            "centre": centre,
            "kind": kind,
            "kind_name": MODELS[kind]._meta.verbose_name,
            "form": form,
            "preview": preview,
            "removing": removing,
        },
        status=status,
    )


def _apply(
    request: HttpRequest, change: CapacityObject, *, delete: bool
) -> tuple[Preview | None, str, int]:
    """Apply a previewed change; on refusal, the preview to show, the message and status."""
    try:
        capacity_change_apply(
            change=change,
            delete=delete,
            fingerprint=request.POST.get("fingerprint", ""),
            actor=request.user,
        )
    except PreviewOutdated as outdated:
        return outdated.preview, outdated.message, refusal_status(outdated)
    except CapacityError as refusal:
        preview = capacity_change_preview(change=change, delete=delete)
        return preview, refusal.message, refusal_status(refusal)
    return None, "", 200


@require_http_methods(["GET", "POST"])
@staff_verified_required
def change(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    centre = _centre(request, pk)
    if kind not in FORMS:
        raise Http404
    instance = MODELS[kind](centre=centre)
    form = FORMS[kind](request.POST if request.method == "POST" else None, instance=instance)
    if request.method == "GET":
        return _render_change(request, centre, kind, form, None)
    if not form.is_valid():
        return _render_change(request, centre, kind, form, None, status=400)
    change = form.instance
    if request.POST.get("action") == "close_and_move" and isinstance(change, Closure):
        try:
            _result, moved = capacity_close_and_move(
                closure=change, fingerprint=request.POST.get("fingerprint", ""), actor=request.user
            )
        except PreviewOutdated as outdated:
            messages.error(request, outdated.message)
            return _render_change(
                request, centre, kind, form, outdated.preview, status=refusal_status(outdated)
            )
        messages.success(
            request,
            ngettext(
                "Closed. %(count)d appointment was cancelled; its applicant is first in line "
                "for the next free time here.",
                "Closed. %(count)d appointments were cancelled; their applicants are first in "
                "line for the next free times here.",
                len(moved),
            )
            % {"count": len(moved)},
        )
        return redirect(_week_url(centre, _first_day(change)))
    if request.POST.get("action") == "apply":
        preview, message, status = _apply(request, change, delete=False)
        if preview is None:
            messages.success(request, _("The change is applied."))
            return redirect(_week_url(centre, _first_day(change)))
        messages.error(request, message)
        return _render_change(request, centre, kind, form, preview, status=status)
    return _render_change(request, centre, kind, form, capacity_change_preview(change=change))


@require_http_methods(["GET", "POST"])
@staff_verified_required
def remove(request: HttpRequest, pk: int, kind: str, obj: int) -> HttpResponse:
    centre = _centre(request, pk)
    if kind not in MODELS:
        raise Http404
    removing = selectors.capacity_object(centre, kind, obj)
    if removing is None:
        raise Http404
    if request.method == "POST":
        preview, message, status = _apply(request, removing, delete=True)
        if preview is None:
            messages.success(request, _("The change is applied."))
            return redirect(_week_url(centre, None))
        messages.error(request, message)
        return _render_change(
            request, centre, kind, None, preview, removing=removing, status=status
        )
    preview = capacity_change_preview(change=removing, delete=True)
    return _render_change(request, centre, kind, None, preview, removing=removing)


def _first_day(change: CapacityObject) -> date | None:
    return getattr(change, "first_day", None) or getattr(change, "valid_from", None)


def _week_url(centre: Centre, day: date | None) -> str:
    url = reverse("capacity:week", kwargs={"pk": centre.pk})
    return f"{url}?week={day.isoformat()}" if day else url
