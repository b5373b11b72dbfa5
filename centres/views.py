from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from centres.models import Centre
from centres.selectors import centres_with_soonest_slot, slots_soonest_open


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
    return render(
        request,
        "centres/centre_detail.html",
        {"centre": centre, "slots": slots_soonest_open(centre=centre, limit=12)},
    )
