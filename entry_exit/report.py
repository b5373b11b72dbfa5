"""The traveller's own report as a document: one standalone HTML page, in the language the
traveller asked for (whatever the analyst's), with its own print styles, that a browser
prints or saves to PDF as it is.

Its styles are inline (the page must carry them when saved), so the response carries a
Content-Security-Policy of its own that allows exactly that stylesheet (by its SHA-256)
and nothing else: no script, no image from anywhere, no form.
"""

import base64
import hashlib
from datetime import UTC

from django.conf import settings
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation

from centres.models import ZONE_NAMES
from entry_exit import selectors
from entry_exit.models import BatchStatus, CrossingRecord, TravellerReport

STYLESHEET = "entry_exit/traveller_report.css"


def _local(record: CrossingRecord) -> dict[str, str]:
    zone = record.port.time_zone if record.port else "UTC"
    local = timezone.localtime(record.occurred_at, record.port.tz if record.port else UTC)
    return {
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": formats.time_format(local, "TIME_FORMAT"),
        "zone": str(ZONE_NAMES.get(zone, zone)),
        "iso": local.isoformat(),
    }


def _distinct(values) -> list:
    seen: dict = {}
    for value in values:
        seen.setdefault(value, None)
    return list(seen)


def report_context(*, report: TravellerReport, records: list[CrossingRecord]) -> dict:
    """What the report says; call it with the report's language active."""
    oldest_first = sorted(records, key=lambda record: (record.occurred_at, record.pk))
    batches = selectors.sent_to_partner(record.pk for record in records)
    crossings, shared = [], []
    for record in oldest_first:
        place = record.port.display_name if record.port else record.airport_code
        crossing = {
            **_local(record),
            "event": record.get_event_display(),
            "place": place,
            "source": record.get_source_display(),
            "document": f"{record.get_document_type_display()} {record.document_number} "
            f"({record.document_country})",
            "kept_until": formats.date_format(record.purge_on, "DATE_FORMAT"),
        }
        crossings.append(crossing)
        batch = batches.get(record.pk)
        if batch is not None:
            sent = batch.status == BatchStatus.SENT and batch.sent_at
            shared.append(
                {
                    **crossing,
                    "batch": batch.pk,
                    "sent": formats.date_format(timezone.localtime(batch.sent_at), "DATE_FORMAT")
                    if sent
                    else "",
                }
            )
    return {
        "report": report,
        # The day only: the access log keeps the instant.
        "generated": formats.date_format(timezone.localtime(report.generated_at), "DATE_FORMAT"),
        "names": _distinct(
            f"{record.surname}, {record.given_names}" if record.given_names else record.surname
            for record in oldest_first
        ),
        "births": _distinct(
            formats.date_format(record.date_of_birth, "DATE_FORMAT") for record in oldest_first
        ),
        "crossings": crossings,
        "shared": shared,
        "retention_years": settings.ENTRY_EXIT_RETENTION_YEARS,
        "phase": settings.ENTRY_EXIT_PHASE,
    }


def stylesheet_source(style: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"


def traveller_report_document(request, *, report: TravellerReport, records: list[CrossingRecord]):
    """The report, rendered in ``report.language``, with a policy that allows its own
    stylesheet only."""
    style = render_to_string(STYLESHEET)
    with translation.override(report.language):
        context = report_context(report=report, records=records)
        response = render(request, "entry_exit/traveller_report.html", {**context, "style": style})
    response["Content-Security-Policy"] = (
        f"default-src 'none'; style-src {stylesheet_source(style)}; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
    response["Content-Language"] = report.language
    return response
