"""The programme figures: enrolments completed, the net inventory of applicants, each
centre's utilisation, missed interviews and wait, and the airport path's wait for the
CBP part — as charts drawn on the server, each with its table and a CSV download.
Programme administrators see every centre, centre administrators theirs (a centre
outside their scope is a 404); anyone else gets a 404."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import number_format
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from centres.models import Centre
from common.charts import bar_chart, column_chart, line_chart, nice_maximum
from common.csvfiles import csv_download, spreadsheet_safe
from common.inputs import InputError, read_id
from common.permissions import staff_verified_required
from enrolment.models import Application
from figures import selectors
from figures.forms import FiguresFilter
from figures.selectors import PATHS, Figures, period_start

TABLES = ("enrolments", "inventory", "airport", "centres")
# The paths as a chart's legend and a table's heading name them (the long names are in
# the page's text).
PATH_NAMES: dict[str, object] = {
    Application.Path.AIRPORT: gettext_lazy("Airport"),
    Application.Path.JOINT: gettext_lazy("Joint"),
    Application.Path.SPLIT_SITE: gettext_lazy("Split-site"),
}
LABEL_WIDTH = 240  # a centre's short name in a bar chart: up to 34 characters


def _question(request: HttpRequest) -> tuple[FiguresFilter, list[Centre]]:
    """The filter form, bound to the query (or to nothing: the defaults), and the
    centres it may cover. A centre outside the administrator's scope is a 404."""
    if not selectors.may_see_figures(request.user):
        raise Http404
    scope = list(selectors.centres_in_scope(request.user))
    try:
        asked = read_id(request.GET["centre"]) if request.GET.get("centre") else None
    except InputError:
        asked = None  # not an id: the form says so
    if asked is not None and asked not in {c.pk for c in scope}:
        raise Http404
    last = selectors.last_recorded_day() or timezone.localdate() - timedelta(days=1)
    form = FiguresFilter(request.GET or {}, centres=scope, last_day=last)
    return form, scope


def _figures(form: FiguresFilter, scope: list[Centre]) -> Figures | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    centres = [c for c in scope if c.pk == data["centre"]] if data["centre"] else scope
    return selectors.programme_figures(
        centres=centres, start=data["start"], end=data["end"], grain=data["grain"]
    )


def _label(day: date, grain: str) -> str:
    return date_format(day, "M Y" if grain == "month" else "j M Y")


def _chart(draw: Callable[..., SafeString], **options: Any) -> dict[str, object]:
    """A chart and its title, shown above it (the SVG's own title is for screen readers)."""
    return {"title": options["title"], "svg": draw(**options)}


def _name(centre: Centre) -> str:
    """A centre's name short enough for a chart's label."""
    name = centre.display_short_name
    return name if len(name) <= 34 else name[:33] + "…"


def _charts(figures: Figures) -> dict[str, object]:
    labels = [_label(p.start, figures.grain) for p in figures.periods]
    per = _("per week") if figures.grain == "week" else _("per month")
    peak_index = None
    if figures.peak is not None and figures.start <= figures.peak.day <= figures.end:
        key = period_start(figures.peak.day, figures.grain)
        peak_index = next(
            (
                i
                for i, p in enumerate(figures.periods)
                if period_start(p.start, figures.grain) == key
            ),
            None,
        )
    peak_marker = None
    if peak_index is not None and figures.periods[peak_index].inventory is not None:
        peak_marker = (peak_index, _("peak"))
    centres = figures.centres
    booked = [c for c in centres if c.booths_offered]
    waits = [c for c in centres if c.centre.takes_appointments]
    return {
        "enrolments": _chart(
            column_chart,
            chart_id="chart-enrolments",
            title=_("Enrolments completed, %(per)s, by path") % {"per": per},
            description=_(
                "Columns of enrolments completed in each period, stacked by path: airport, "
                "joint, split-site. The table beside it gives the numbers."
            ),
            labels=labels,
            series=[[p.enrolled[path] for p in figures.periods] for path in PATHS],
        ),
        "cumulative": _chart(
            line_chart,
            chart_id="chart-cumulative",
            title=_("Enrolments completed since %(day)s")
            % {"day": date_format(figures.start, "j F Y")},
            description=_(
                "A line rising with the enrolments completed since the start of the range, "
                "to %(total)s. The table beside it gives the numbers."
            )
            % {"total": number_format(figures.enrolled_total, force_grouping=True)},
            labels=labels,
            series=[[p.cumulative for p in figures.periods]],
        ),
        "steps": _chart(
            line_chart,
            chart_id="chart-steps",
            title=_("Each agency's part passed, %(per)s") % {"per": per},
            description=_(
                "Two lines: the CBSA parts and the CBP parts passed in each period. The "
                "table beside it gives the numbers."
            ),
            labels=labels,
            series=[
                [p.cbsa_passed for p in figures.periods],
                [p.cbp_passed for p in figures.periods],
            ],
        ),
        "inventory": _chart(
            line_chart,
            chart_id="chart-inventory",
            title=_("Net inventory of applicants"),
            description=_(
                "A line of the applicants conditionally approved and not yet enrolled, "
                "refused or expired, at the end of each period; the peak is ringed. The "
                "table beside it gives the numbers."
            ),
            labels=labels,
            series=[[p.inventory for p in figures.periods]],
            marker=peak_marker,
        ),
        "airport": _chart(
            line_chart,
            chart_id="chart-airport",
            title=_("Airport path: days from the CBSA share to the CBP part"),
            description=_(
                "A line of the mean days between the CBSA share and the CBP part, for the "
                "enrolments completed at a preclearance area in each period. The table "
                "beside it gives the numbers."
            ),
            labels=labels,
            series=[[p.days_share_to_cbp for p in figures.periods]],
        ),
        "utilisation": _chart(
            bar_chart,
            chart_id="chart-utilisation",
            title=_("Booths booked of those offered, per centre"),
            description=_(
                "One bar per centre with booths: the share of booths offered that were "
                "booked. The table below gives the numbers."
            ),
            bars=[(_name(c.centre), _percent(c.utilisation)) for c in booked],
            label_width=LABEL_WIDTH,
        ),
        "no_shows": _chart(
            bar_chart,
            chart_id="chart-no-shows",
            title=_("Interviews missed, per centre"),
            description=_(
                "One bar per centre with booths: the share of interviews due that were "
                "missed. The table below gives the numbers."
            ),
            bars=[(_name(c.centre), _percent(c.no_show_rate)) for c in booked],
            maximum=nice_maximum(max((_percent(c.no_show_rate) or 0 for c in booked), default=0)),
            label_width=LABEL_WIDTH,
        ),
        "wait": _chart(
            bar_chart,
            chart_id="chart-wait",
            title=_("Days to the soonest open time, per centre"),
            description=_(
                "One bar per centre that takes appointments: the days from today to its "
                "soonest open time (none: no open time). The table below gives the numbers."
            ),
            bars=[(_name(c.centre), c.soonest_days) for c in waits],
            maximum=nice_maximum(max((c.soonest_days or 0 for c in waits), default=0)),
            unit=_("days"),
            label_width=LABEL_WIDTH,
        ),
    }


def _percent(share: float | None) -> float | None:
    return None if share is None else round(100 * share, 1)


@require_safe
@staff_verified_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, scope = _question(request)
    figures = _figures(form, scope)
    context: dict[str, object] = {
        "form": form,
        "figures": figures,
        "paths": [(path, PATH_NAMES[path]) for path in PATHS],
        "tables": TABLES,
        "query": request.GET.urlencode(),
        "walk_in": Centre.Kind.PRECLEARANCE,
    }
    if figures is not None:
        context["charts"] = _charts(figures)
        # The form shows the range and grain the figures are for, defaults included.
        shown = {**form.cleaned_data, "centre": form.cleaned_data["centre"] or ""}
        context["form"] = FiguresFilter(shown, centres=scope, last_day=figures.end)
    return render(
        request, "figures/dashboard.html", context, status=400 if figures is None else 200
    )


@require_safe
@staff_verified_required
def table_csv(request: HttpRequest, table: str) -> HttpResponse:
    if table not in TABLES:
        raise Http404
    form, scope = _question(request)
    figures = _figures(form, scope)
    if figures is None:
        return render(request, "figures/dashboard.html", {"form": form}, status=400)
    response, writer = csv_download(
        f"nexus-{table}-{figures.start.isoformat()}-{figures.end.isoformat()}.csv"
    )
    periods = figures.periods
    if table == "enrolments":
        writer.writerow(
            ["period_start", "period_end", *PATHS, "total", "cumulative", "cbsa_parts", "cbp_parts"]
        )
        for p in periods:
            writer.writerow(
                [p.start, p.end, *(p.enrolled[path] for path in PATHS), p.enrolled_total,
                 p.cumulative, p.cbsa_passed, p.cbp_passed]
            )  # fmt: skip
    elif table == "inventory":
        writer.writerow(
            ["period_start", "period_end", "counted_on", "inventory", "airport_waiting_for_cbp"]
        )
        for p in periods:
            writer.writerow(
                [p.start, p.end, p.inventory_day or "", _blank(p.inventory),
                 _blank(p.airport_waiting_for_cbp)]
            )  # fmt: skip
    elif table == "airport":
        writer.writerow(["period_start", "period_end", "cbp_parts_after_share", "mean_days"])
        for p in periods:
            mean = p.days_share_to_cbp
            writer.writerow(
                [p.start, p.end, p.cbp_after_share, "" if mean is None else round(mean, 1)]
            )
    else:
        writer.writerow(
            ["centre", "path", "cbsa_parts", "cbp_parts", "enrolments", "booths_offered",
             "booths_booked", "utilisation_percent", "interviewed", "missed",
             "missed_percent", "soonest_open_at", "days_to_soonest_open"]
        )  # fmt: skip
        for c in figures.centres:
            writer.writerow(
                [spreadsheet_safe(c.centre.name), c.path, c.cbsa_passed, c.cbp_passed,
                 c.enrolled, c.booths_offered, c.booths_booked, _blank(_percent(c.utilisation)),
                 c.attended, c.no_shows, _blank(_percent(c.no_show_rate)),
                 c.soonest_open_at.isoformat() if c.soonest_open_at else "",
                 _blank(c.soonest_days)]
            )  # fmt: skip
    return response


def _blank(value: object) -> object:
    return "" if value is None else value
