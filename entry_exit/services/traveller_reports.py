"""The traveller's own report (the right of access): generating it is a consultation of
their records like any other, logged with the purpose "right of access", and audited with
how their identity was checked and the request it answers."""

import logging
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import audit_record
from entry_exit.errors import EntryExitError
from entry_exit.models import (
    AccessPurpose,
    BatchStatus,
    CrossingRecord,
    IdentityCheck,
    OutboundItem,
    TravellerReport,
)
from entry_exit.services.access_log import access_log_append

logger = logging.getLogger("entry_exit.traveller_reports")


def traveller_report_create(
    *,
    user: User,
    records: list[CrossingRecord],
    criteria_kind: str,
    criteria_ref: str,
    identity_check: str,
    request_reference: str,
    language: str,
    now: datetime | None = None,
) -> TravellerReport:
    """Record that a report of ``records`` is being given to the traveller; call it before
    the report is shown.

    1. Refuse an identity check not in the list, no request reference, an unknown language.
    2. Log the consultation (purpose "right of access", the records' ids), store the
       report's row and audit it, in one transaction.
    """
    now = now or timezone.now()
    request_reference = request_reference.strip()
    if identity_check not in IdentityCheck.values:
        raise EntryExitError(
            _("Say how the traveller's identity was checked."),
            code="identity_unchecked",
            kind="invalid",
        )
    if not request_reference or language not in dict(settings.LANGUAGES):
        raise EntryExitError(
            _("Give the request reference and the language of the report."),
            code="report_incomplete",
            kind="invalid",
        )
    record_ids = [record.pk for record in records]
    with transaction.atomic():
        entry = access_log_append(
            user=user,
            purpose=AccessPurpose.RIGHT_OF_ACCESS,
            criteria_kind=criteria_kind,
            criteria_ref=criteria_ref,
            record_ids=record_ids,
            now=now,
        )
        shared = OutboundItem.objects.filter(
            record_id__in=record_ids, batch__status=BatchStatus.SENT
        ).count()
        report = TravellerReport.objects.create(
            consultation=entry,
            generated_by=user,
            generated_at=now,
            identity_check=identity_check,
            request_reference=request_reference,
            language=language,
            record_count=len(record_ids),
            shared_count=shared,
        )
        audit_record(
            actor=user,
            action="travellerreport.generated",
            target=report,
            consultation=entry.sequence,
            identity_check=identity_check,
            language=language,
            records=len(record_ids),
            shared=shared,
        )
    logger.info(
        "traveller report %s generated (%s): %s crossings, %s shared",
        report.pk,
        language,
        len(record_ids),
        shared,
    )
    return report
