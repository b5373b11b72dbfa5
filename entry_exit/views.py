"""Entry/Exit pages: the traveller look-up (analysts), the exchange (operators) and the
access log (programme administrators). Anyone else, staff or not, gets a 404.

The look-up asks why before it shows anything: the purpose and the criteria arrive in one
POST (never in a URL), and the consultation is logged, with the ids of the records found,
before the page that shows them is rendered. An empty result is logged too.
"""

from datetime import UTC

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from centres.models import ZONE_NAMES
from common.permissions import staff_verified_required
from entry_exit import selectors
from entry_exit.errors import EntryExitError
from entry_exit.forms import TravellerLookUpForm
from entry_exit.models import CrossingRecord
from entry_exit.services import access_log_append, access_log_verify, outbound_batch_send
from entry_exit.services.access_log import criteria_reference

BATCHES_PER_PAGE = 25
LOG_ROWS_PER_PAGE = 50
ROW_ERRORS_SHOWN = 100


def _allowed(request, may) -> None:
    if not may(request.user):
        raise Http404


def _render(request, template: str, context: dict):
    context["may"] = selectors.entry_exit_permissions(request.user)
    return render(request, template, context)


@require_safe
@staff_verified_required
def home(request):
    if selectors.may_look_up_travellers(request.user):
        return redirect("entry_exit:look_up")
    if selectors.may_operate_exchange(request.user):
        return redirect("entry_exit:exchange")
    raise Http404


def _when(record: CrossingRecord) -> dict[str, str]:
    """The crossing in its port's local time, with the zone named ("Eastern time");
    an air exit (no port) in UTC."""
    zone = record.port.time_zone if record.port else "UTC"
    local = timezone.localtime(record.occurred_at, record.port.tz if record.port else UTC)
    return {
        "when": _("%(date)s at %(time)s")
        % {
            "date": formats.date_format(local, "DATE_FORMAT"),
            "time": formats.time_format(local, "TIME_FORMAT"),
        },
        "zone": str(ZONE_NAMES.get(zone, zone)),
        "iso": local.isoformat(),
    }


def _timeline(records: list[CrossingRecord]) -> list[dict]:
    return [
        {
            "record": record,
            **_when(record),
            "place": record.port.display_name if record.port else record.airport_code,
        }
        for record in records
    ]


@staff_verified_required
def look_up(request):
    _allowed(request, selectors.may_look_up_travellers)
    form = TravellerLookUpForm(request.POST if request.method == "POST" else None)
    if not (form.is_bound and form.is_valid()):
        return _render(request, "entry_exit/look_up.html", {"form": form})
    data = form.cleaned_data
    if form.criteria_kind == "document":
        records = selectors.traveller_records_by_document(
            number=data["document_number"], country=data["document_country"]
        )
    else:
        records = selectors.traveller_records_by_name(
            surname_normalised=data["surname"], date_of_birth=data["date_of_birth"]
        )
    try:
        access_log_append(
            user=request.user,
            purpose=data["purpose"],
            purpose_text=data["purpose_text"],
            criteria_kind=form.criteria_kind,
            criteria_ref=criteria_reference(kind=form.criteria_kind, values=form.criteria_values()),
            record_ids=[record.pk for record in records],
        )
    except EntryExitError as error:
        form.add_error(None, error.message)
        return _render(request, "entry_exit/look_up.html", {"form": form})
    return _render(
        request,
        "entry_exit/look_up.html",
        {"form": TravellerLookUpForm(), "searched": True, "timeline": _timeline(records)},
    )


@require_safe
@staff_verified_required
def exchange(request):
    _allowed(request, selectors.may_operate_exchange)
    page = Paginator(selectors.exchange_batches(), BATCHES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return _render(
        request,
        "entry_exit/exchange.html",
        {"page": page, "row_errors_shown": ROW_ERRORS_SHOWN},
    )


@require_POST
@staff_verified_required
def resend(request, pk: int):
    _allowed(request, selectors.may_operate_exchange)
    batch = selectors.outbound_batch_failed(pk=pk)
    if batch is None:
        raise Http404
    try:
        sent = outbound_batch_send(
            batch=batch, now=timezone.now(), actor=request.user, handled_by="exchange page"
        )
    except EntryExitError as error:
        messages.error(request, error.message)
    else:
        if sent:
            messages.success(request, _("Batch %(pk)s was sent.") % {"pk": batch.pk})
        else:
            messages.error(
                request,
                _("Batch %(pk)s was not sent: see its status and last error.") % {"pk": batch.pk},
            )
    return redirect("entry_exit:exchange")


@require_safe
@staff_verified_required
def access_log(request):
    _allowed(request, selectors.may_read_access_log)
    page = Paginator(selectors.access_log_entries(), LOG_ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return _render(
        request, "entry_exit/access_log.html", {"page": page, "check": access_log_verify()}
    )
