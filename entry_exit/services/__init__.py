"""Every write in the entry_exit app: records (``records.py``), the outbound exchange
(``outbound.py``), the access log (``access_log.py``), retention (``retention.py``),
legal holds (``legal_holds.py``) and the traveller's own report
(``traveller_reports.py``).
The ports' reference data is loaded by ``entry_exit.reference``."""

from entry_exit.errors import EntryExitError
from entry_exit.services.access_log import access_log_append, access_log_verify
from entry_exit.services.inbound import inbound_batch_import, inbound_batch_report
from entry_exit.services.legal_holds import legal_hold_lift, legal_hold_place
from entry_exit.services.outbound import (
    outbound_batch_build,
    outbound_batch_send,
    outbound_batch_write,
    outbound_batches_run,
)
from entry_exit.services.records import crossing_record_build, crossing_record_create
from entry_exit.services.retention import crossing_records_purge
from entry_exit.services.traveller_reports import traveller_report_create

__all__ = [
    "EntryExitError",
    "access_log_append",
    "access_log_verify",
    "crossing_record_build",
    "crossing_record_create",
    "crossing_records_purge",
    "inbound_batch_import",
    "inbound_batch_report",
    "legal_hold_lift",
    "legal_hold_place",
    "outbound_batch_build",
    "outbound_batch_send",
    "outbound_batch_write",
    "outbound_batches_run",
    "traveller_report_create",
]
