"""Entry/Exit pages: the traveller look-up and the traveller's own report (analysts), the
exchange (operators), legal holds (seen by all three roles, placed and lifted by
programme administrators) and the access log (programme administrators). Anyone else,
staff or not, gets a 404.

The look-up asks why before it shows anything: the purpose and the criteria arrive in one
POST (never in a URL), and the consultation is logged, with the ids of the records found,
before the page that shows them is rendered. An empty result is logged too.
"""

from datetime import UTC

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from centres.models import ZONE_NAMES
from common.inputs import InputError, read_id
from common.permissions import staff_verified_required
from entry_exit import selectors
from entry_exit.errors import EntryExitError
from entry_exit.forms import (
    LegalHoldForm,
    LegalHoldLiftForm,
    TravellerLookUpForm,
    TravellerReportForm,
)
from entry_exit.models import CrossingRecord
from entry_exit.report import traveller_report_document
from entry_exit.services import (
    access_log_append,
    access_log_verify,
    legal_hold_lift,
    legal_hold_place,
    outbound_batch_send,
    traveller_report_create,
)
from entry_exit.services.access_log import criteria_reference

BATCHES_PER_PAGE = 25
HOLDS_PER_PAGE = 25
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


def _consult(request, form: TravellerLookUpForm):
    """Look the traveller up and log the consultation, before anything is shown: the
    records and the log entry, or None (the refusal added to the form)."""
    data = form.cleaned_data
    records = selectors.traveller_records(kind=form.criteria_kind, values=data)
    try:
        entry = access_log_append(
            user=request.user,
            purpose=data["purpose"],
            purpose_text=data["purpose_text"],
            criteria_kind=form.criteria_kind,
            criteria_ref=criteria_reference(kind=form.criteria_kind, values=form.criteria_values()),
            record_ids=[record.pk for record in records],
        )
    except EntryExitError as error:
        form.add_error(None, error.message)
        return None
    return records, entry


@staff_verified_required
def look_up(request):
    _allowed(request, selectors.may_look_up_travellers)
    form = TravellerLookUpForm(request.POST if request.method == "POST" else None)
    if not (form.is_bound and form.is_valid()) or (consulted := _consult(request, form)) is None:
        return _render(request, "entry_exit/look_up.html", {"form": form})
    records, _entry = consulted
    return _render(
        request,
        "entry_exit/look_up.html",
        {"form": TravellerLookUpForm(), "searched": True, "timeline": _timeline(records)},
    )


# --- Legal holds -------------------------------------------------------------------------


@require_safe
@staff_verified_required
def legal_holds(request):
    _allowed(request, selectors.may_see_legal_holds)
    page = Paginator(selectors.legal_holds(), HOLDS_PER_PAGE).get_page(request.GET.get("page"))
    return _render(request, "entry_exit/legal_holds.html", {"page": page})


def _record_choices(records: list[CrossingRecord]) -> list[tuple[int, str]]:
    """A checkbox label per record: when (in the port's time), what and where."""
    return [
        (
            item["record"].pk,
            f"{item['when']} ({item['zone']}) — {item['record'].get_event_display()}, "
            f"{item['place']}",
        )
        for item in _timeline(records)
    ]


@staff_verified_required
def legal_hold_new(request):
    """Two steps on one page: look the traveller up (purpose first, logged), then choose
    among the records shown and give the hold's basis, reference and reason."""
    _allowed(request, selectors.may_manage_legal_holds)
    if request.method == "POST" and "consultation" in request.POST:
        return _legal_hold_new_submit(request)
    form = TravellerLookUpForm(request.POST if request.method == "POST" else None)
    if not (form.is_bound and form.is_valid()) or (consulted := _consult(request, form)) is None:
        return _render(request, "entry_exit/legal_hold_new.html", {"form": form})
    records, entry = consulted
    hold_form = LegalHoldForm(
        initial={"records": [record.pk for record in records]},
        record_choices=_record_choices(records),
    )
    return _render(
        request,
        "entry_exit/legal_hold_new.html",
        {
            "form": TravellerLookUpForm(),
            "searched": True,
            "timeline": _timeline(records),
            "hold_form": hold_form if records else None,
            "consultation": entry,
        },
    )


def _legal_hold_new_submit(request):
    look_up_again = TravellerLookUpForm()
    try:
        sequence = read_id(request.POST.get("consultation", ""))
    except InputError:
        entry = None
    else:
        entry = selectors.consultation_of(user=request.user, sequence=sequence)
    if entry is None:
        messages.error(request, _("Look the traveller up again before placing a hold."))
        return _render(request, "entry_exit/legal_hold_new.html", {"form": look_up_again})
    records = selectors.records_by_ids(entry.record_ids)
    hold_form = LegalHoldForm(request.POST, record_choices=_record_choices(records))
    context = {"form": look_up_again, "hold_form": hold_form, "consultation": entry}
    if not hold_form.is_valid():
        return _render(request, "entry_exit/legal_hold_new.html", context)
    data = hold_form.cleaned_data
    try:
        hold = legal_hold_place(
            user=request.user,
            consultation=entry,
            record_ids=data["records"],
            basis=data["basis"],
            reference=data["reference"],
            reason=data["reason"],
        )
    except EntryExitError as error:
        hold_form.add_error(None, error.message)
        return _render(request, "entry_exit/legal_hold_new.html", context)
    messages.success(
        request,
        ngettext(
            "The hold was placed on %(count)s record.",
            "The hold was placed on %(count)s records.",
            hold.record_count,
        )
        % {"count": hold.record_count},
    )
    return redirect("entry_exit:legal_hold", pk=hold.pk)


@staff_verified_required
def legal_hold(request, pk: int):
    """One hold; a programme administrator may lift it here (POST)."""
    _allowed(request, selectors.may_see_legal_holds)
    hold = selectors.legal_hold(pk=pk)
    if hold is None:
        raise Http404
    may_lift = selectors.may_manage_legal_holds(request.user) and hold.is_active
    if request.method == "POST":
        if not may_lift:
            raise Http404
        form = LegalHoldLiftForm(request.POST)
        if form.is_valid():
            try:
                legal_hold_lift(
                    user=request.user,
                    hold=hold,
                    grounds=form.cleaned_data["grounds"],
                    note=form.cleaned_data["note"],
                )
            except EntryExitError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The hold was lifted."))
                return redirect("entry_exit:legal_hold", pk=hold.pk)
    elif request.method in ("GET", "HEAD"):
        form = LegalHoldLiftForm()
    else:
        return HttpResponseNotAllowed(["GET", "HEAD", "POST"])
    return _render(
        request,
        "entry_exit/legal_hold.html",
        {"hold": hold, "lift_form": form if may_lift else None},
    )


# --- The traveller's own report ----------------------------------------------------------


@staff_verified_required
def traveller_report(request):
    """The form (identity checked how, the request, the report's language, who); on a
    valid POST the report itself, a standalone page in the traveller's language, logged
    and audited before it is shown."""
    _allowed(request, selectors.may_look_up_travellers)
    form = TravellerReportForm(request.POST if request.method == "POST" else None)
    if not (form.is_bound and form.is_valid()):
        return _render(request, "entry_exit/traveller_report_form.html", {"form": form})
    data = form.cleaned_data
    records = selectors.traveller_records(kind=form.criteria_kind, values=data)
    try:
        report = traveller_report_create(
            user=request.user,
            records=records,
            criteria_kind=form.criteria_kind,
            criteria_ref=criteria_reference(kind=form.criteria_kind, values=form.criteria_values()),
            identity_check=data["identity_check"],
            request_reference=data["request_reference"],
            language=data["language"],
        )
    except EntryExitError as error:
        form.add_error(None, error.message)
        return _render(request, "entry_exit/traveller_report_form.html", {"form": form})
    return traveller_report_document(request, report=report, records=records)


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
