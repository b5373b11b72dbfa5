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
from capacity.forms import FORMS, MODELS, AlsoAtForm
from capacity.services import (
    Preview,
    PreviewOutdated,
    capacity_change_apply,
    capacity_change_preview,
    capacity_changes_apply,
    capacity_changes_preview,
    capacity_close_and_move,
    change_copies,
    combined_fingerprint,
)
from centres.models import Centre, Closure
from centres.selectors import is_programme_admin
from centres.services import CapacityError, CapacityObject
from common.inputs import InputError, read_date
from common.permissions import staff_verified_required
from common.shortcuts import found_or_404, refusal_status


def _centre(request: HttpRequest, pk: int) -> Centre:
    return found_or_404(selectors.centre_managed_by(request.user, pk))


@require_GET
@staff_verified_required
def centres(request: HttpRequest) -> HttpResponse:
    if not selectors.may_manage_capacity(request.user):
        raise Http404
    managed = selectors.centres_managed_by(request.user)
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
    previews: list[Preview],
    *,
    also: AlsoAtForm | None = None,
    removing: CapacityObject | None = None,
    status: int = 200,
) -> HttpResponse:
    several = len(previews) > 1
    return render(
        request,
        "capacity/change.html",
        {
            "centre": centre,
            "kind": kind,
            "kind_name": MODELS[kind]._meta.verbose_name,
            "form": form,
            "also": also,
            "previews": previews,
            "fingerprint": combined_fingerprint(previews)
            if several
            else (previews[0].fingerprint if previews else ""),
            "several": several,
            "stranded": any(p.stranded for p in previews),
            "removing": removing,
        },
        status=status,
    )


def _apply(
    request: HttpRequest, changes: list[CapacityObject], *, delete: bool
) -> tuple[list[Preview], str, int]:
    """Apply a previewed change (at one centre or several); on refusal, the previews to
    show, the message and the status."""
    fingerprint = request.POST.get("fingerprint", "")
    try:
        if len(changes) > 1:
            capacity_changes_apply(changes=changes, fingerprint=fingerprint, actor=request.user)
        else:
            capacity_change_apply(
                change=changes[0], delete=delete, fingerprint=fingerprint, actor=request.user
            )
    except PreviewOutdated as outdated:
        return outdated.previews, outdated.message, refusal_status(outdated)
    except CapacityError as refusal:
        return _previews(changes, delete=delete), refusal.message, refusal_status(refusal)
    return [], "", 200


def _previews(changes: list[CapacityObject], *, delete: bool = False) -> list[Preview]:
    if len(changes) > 1:
        return capacity_changes_preview(changes=changes)
    return [capacity_change_preview(change=changes[0], delete=delete)]


def _also_at(request: HttpRequest, centre: Centre, kind: str) -> AlsoAtForm | None:
    """Programme administrators may make the same change at other centres too."""
    if not is_programme_admin(request.user):
        return None
    others = selectors.centres_managed_by(request.user).exclude(pk=centre.pk)
    return AlsoAtForm(request.POST if request.method == "POST" else None, centres=others)


@require_http_methods(["GET", "POST"])
@staff_verified_required
def change(request: HttpRequest, pk: int, kind: str, obj: int | None = None) -> HttpResponse:
    """A new opening rule, closure or extra capacity, or (``obj``) a change to one."""
    centre = _centre(request, pk)
    if kind not in FORMS:
        raise Http404
    instance = MODELS[kind](centre=centre)
    if obj is not None:
        existing = selectors.capacity_object(centre, kind, obj)
        if existing is None:
            raise Http404
        instance = existing
    form = FORMS[kind](request.POST if request.method == "POST" else None, instance=instance)
    also = _also_at(request, centre, kind) if obj is None else None
    if request.method == "GET":
        return _render_change(request, centre, kind, form, [], also=also)
    if not form.is_valid() or (also is not None and not also.is_valid()):
        return _render_change(request, centre, kind, form, [], also=also, status=400)
    change = form.instance
    centres = [centre, *(also.cleaned_data["also_at"] if also is not None else [])]
    changes = change_copies(change, centres) if len(centres) > 1 else [change]
    action = request.POST.get("action")
    if action == "close_and_move" and isinstance(change, Closure) and len(changes) == 1:
        try:
            _result, moved = capacity_close_and_move(
                closure=change, fingerprint=request.POST.get("fingerprint", ""), actor=request.user
            )
        except PreviewOutdated as outdated:
            messages.error(request, outdated.message)
            return _render_change(
                request, centre, kind, form, outdated.previews, also=also,
                status=refusal_status(outdated),
            )  # fmt: skip
        except CapacityError as refusal:  # e.g. a time held meanwhile where nothing was
            messages.error(request, refusal.message)
            return _render_change(
                request, centre, kind, form, _previews(changes), also=also,
                status=refusal_status(refusal),
            )  # fmt: skip
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
    if action == "apply":
        previews, message, status = _apply(request, changes, delete=False)
        if not previews:
            messages.success(request, _("The change is applied."))
            return redirect(_week_url(centre, _first_day(change)))
        messages.error(request, message)
        return _render_change(request, centre, kind, form, previews, also=also, status=status)
    return _render_change(request, centre, kind, form, _previews(changes), also=also)


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
        previews, message, status = _apply(request, [removing], delete=True)
        if not previews:
            messages.success(request, _("The change is applied."))
            return redirect(_week_url(centre, None))
        messages.error(request, message)
        return _render_change(
            request, centre, kind, None, previews, removing=removing, status=status
        )
    previews = _previews([removing], delete=True)
    return _render_change(request, centre, kind, None, previews, removing=removing)


def _first_day(change: CapacityObject) -> date | None:
    return getattr(change, "first_day", None) or getattr(change, "valid_from", None)


def _week_url(centre: Centre, day: date | None) -> str:
    url = reverse("capacity:week", kwargs={"pk": centre.pk})
    return f"{url}?week={day.isoformat()}" if day else url
