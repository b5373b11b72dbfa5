from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from centres.models import Centre, Closure
from centres.selectors import (
    centre_opening_hours,
    centre_upcoming_closures,
    centres_with_soonest_slot,
    slots_soonest_open,
)

# Closure reasons said to the public; the others read simply "closed".
PUBLIC_CLOSURE_REASONS = frozenset({Closure.Reason.HOLIDAY, Closure.Reason.WEATHER})


@require_GET
def centre_list(request):
    """Public list of enrolment centres with the soonest open interview time at each."""
    kind = request.GET.get("kind", "")
    if kind and kind not in Centre.Kind.values:
        kind = ""
    region = request.GET.get("region", "").upper()[:2]
    centres = centres_with_soonest_slot(kinds=[kind] if kind else None, region=region or None)
    regions = (
        Centre.objects.filter(is_active=True).order_by("region").values_list("region", flat=True)
    )
    return render(
        request,
        "centres/centre_list.html",
        {
            "centres": centres,
            "kinds": Centre.Kind.choices,
            "kind": kind,
            "regions": sorted(set(regions)),
            "region": region,
        },
    )


@require_GET
def centre_detail(request, pk: int):
    centre = get_object_or_404(Centre.objects.select_related("counterpart", "airport"), pk=pk)
    if not centre.is_active:
        raise Http404
    today = timezone.localdate(timezone=centre.tz)
    return render(
        request,
        "centres/centre_detail.html",
        {
            "centre": centre,
            "slots": slots_soonest_open(centre=centre, limit=12),
            "week": centre_opening_hours(centre=centre, today=today)
            if centre.takes_appointments
            else [],
            "closures": [
                _closure_said(closure)
                for closure in centre_upcoming_closures(centre=centre, today=today)
            ],
        },
    )


def _closure_said(closure: Closure) -> str:
    """A closure as the public reads it: "Friday 25 December 2026: closed all day (public
    holiday)". Staffing and "other" reasons, and the staff's note, are not said."""
    first = formats.date_format(closure.first_day, "DATE_FORMAT")
    last = formats.date_format(closure.last_day, "DATE_FORMAT")
    days = first if first == last else _("%(first)s to %(last)s") % {"first": first, "last": last}
    if closure.from_time and closure.until_time:
        what = _("closed from %(start)s to %(end)s") % {
            "start": formats.time_format(closure.from_time, "TIME_FORMAT"),
            "end": formats.time_format(closure.until_time, "TIME_FORMAT"),
        }
    else:
        what = _("closed all day")
    if closure.reason in PUBLIC_CLOSURE_REASONS:
        return _("%(days)s: %(what)s (%(reason)s)") % {
            "days": days,
            "what": what,
            "reason": str(closure.get_reason_display()).lower(),
        }
    return _("%(days)s: %(what)s") % {"days": days, "what": what}
