"""Reconciliation pages, for analysts (and programme administrators): the figures (with
charts and CSV), the review queue and the suspected overstays. Anyone else gets a 404.

The queue and the overstays list show identifiers, dates, places and scores, never a
traveller's name or document. A review's records are shown only after the analyst has
said why, in a POST, and the consultation is logged first (as the look-up does).
"""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from common.charts import bar_chart
from common.csvfiles import csv_download, spreadsheet_safe
from common.permissions import staff_verified_required
from entry_exit import selectors as entry_exit_selectors
from entry_exit.errors import EntryExitError
from entry_exit.reconciliation import selectors
from entry_exit.reconciliation.errors import ReconciliationError
from entry_exit.reconciliation.forms import ConfirmForm, PeriodForm, PurposeForm
from entry_exit.reconciliation.services import exit_match_confirm, exit_match_reject
from entry_exit.services import access_log_append
from entry_exit.services.access_log import criteria_reference

QUEUE_PER_PAGE = 50


def _allowed(request) -> None:
    if not entry_exit_selectors.may_look_up_travellers(request.user):
        raise Http404


def _render(request, template: str, context: dict, status: int = 200):
    context["may"] = entry_exit_selectors.entry_exit_permissions(request.user)
    return render(request, template, context, status=status)


def _period(request) -> tuple[PeriodForm, selectors.Figures | None]:
    form = PeriodForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    if not form.is_bound:
        form = PeriodForm({})
        form.is_valid()
    data = form.cleaned_data
    return form, selectors.reconciliation_figures(start=data["start"], end=data["end"])


def _charts(figures: selectors.Figures) -> dict:
    public = (
        _("public figure %(figure)s %%") % {"figure": number_format(figures.public_figure)},
        figures.public_figure,
    )
    return {
        "days_chart": bar_chart(
            chart_id="chart-days",
            title=_("Exits reconciled, per day"),
            description=_(
                "Share of the exit records received each day that were matched to an entry; "
                "the dashed line is the public figure. The table below gives the numbers."
            ),
            bars=[(row.label, row.reconciled) for row in figures.days],
            reference=public,
        ),
        "ports_chart": bar_chart(
            chart_id="chart-ports",
            title=_("Exits reconciled, per port"),
            description=_(
                "Share of the exit records received at each port or airport that were "
                "matched to an entry; the table below gives the numbers."
            ),
            bars=[(row.label, row.reconciled) for row in figures.ports],
            reference=public,
        ),
    }


@require_safe
@staff_verified_required
def figures(request):
    _allowed(request)
    form, result = _period(request)
    context = {"form": form, "figures": result}
    if result is not None:
        context.update(_charts(result))
    return _render(request, "entry_exit_reconciliation/figures.html", context)


@require_safe
@staff_verified_required
def figures_csv(request):
    _allowed(request)
    form, result = _period(request)
    if result is None:
        return _render(
            request, "entry_exit_reconciliation/figures.html", {"form": form}, status=400
        )
    response, writer = csv_download(
        f"reconciliation-{result.start.isoformat()}-{result.end.isoformat()}.csv"
    )
    writer.writerow(
        [
            "group",
            "day_or_place",
            "exits",
            "matched",
            "in_review",
            "unmatched_exits",
            "reconciled_percent",
            "entries",
            "unmatched_entries",
        ]
    )
    total = [("total", f"{result.start.isoformat()}/{result.end.isoformat()}", result.total)]
    days = [("day", row.label, row) for row in result.days]
    ports = [("place", row.label, row) for row in result.ports]
    for group, label, row in total + days + ports:
        safe = spreadsheet_safe(label) if group == "place" else label
        writer.writerow(
            [
                group,
                safe,
                row.exits,
                row.matched,
                row.review,
                row.unmatched_exits,
                "" if row.reconciled is None else row.reconciled,
                row.entries,
                row.unmatched_entries,
            ]
        )
    return response


@require_safe
@staff_verified_required
def queue(request):
    _allowed(request)
    page = Paginator(selectors.review_queue(), QUEUE_PER_PAGE).get_page(request.GET.get("page"))
    return _render(request, "entry_exit_reconciliation/queue.html", {"page": page})


@staff_verified_required
def review(request, pk: int):
    """GET: why are you opening it? POST (the purpose): log, then show the records."""
    _allowed(request)
    match = selectors.review_item(pk=pk)
    if match is None:
        raise Http404
    form = PurposeForm(request.POST if request.method == "POST" else None)
    context = {"match": match, "form": form}
    if not (form.is_bound and form.is_valid()):
        return _render(request, "entry_exit_reconciliation/review.html", context)
    exit, candidates = selectors.review_records(match)
    try:
        access_log_append(
            user=request.user,
            purpose=form.cleaned_data["purpose"],
            purpose_text=form.cleaned_data["purpose_text"],
            criteria_kind="review",
            criteria_ref=criteria_reference(kind="review", values=[str(match.pk)]),
            record_ids=[exit.pk, *(entry.pk for entry, _score in candidates)],
        )
    except EntryExitError as error:
        form.add_error(None, error.message)
        return _render(request, "entry_exit_reconciliation/review.html", context)
    context.update(shown=True, exit=exit, candidates=candidates)
    return _render(request, "entry_exit_reconciliation/review.html", context)


def _decided(request, action):
    try:
        action()
    except ReconciliationError as error:
        messages.error(request, error.message)
        return False
    return True


@require_POST
@staff_verified_required
def confirm(request, pk: int):
    _allowed(request)
    match = selectors.review_item(pk=pk)
    if match is None:
        raise Http404
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the candidate entries."))
        return redirect("entry_exit_reconciliation:queue")
    entry = form.cleaned_data["entry"]
    if _decided(
        request, lambda: exit_match_confirm(match=match, entry_id=entry, actor=request.user)
    ):
        messages.success(
            request,
            _("Exit %(exit)s matched to entry %(entry)s.")
            % {"exit": match.exit_id, "entry": entry},
        )
    return redirect("entry_exit_reconciliation:queue")


@require_POST
@staff_verified_required
def reject(request, pk: int):
    _allowed(request)
    match = selectors.review_item(pk=pk)
    if match is None:
        raise Http404
    if _decided(request, lambda: exit_match_reject(match=match, actor=request.user)):
        messages.success(request, _("Exit %(exit)s left unmatched.") % {"exit": match.exit_id})
    return redirect("entry_exit_reconciliation:queue")


@require_safe
@staff_verified_required
def overstays(request):
    _allowed(request)
    return _render(
        request,
        "entry_exit_reconciliation/overstays.html",
        {"suspicions": selectors.suspected_overstays(), "limit": selectors.MAX_SUSPECTED},
    )
