"""Every write in the entry_exit app: records (``records.py``), the outbound exchange
(``outbound.py``), the access log (``access_log.py``) and retention (``retention.py``).
The ports' reference data is loaded by ``entry_exit.reference``."""

from entry_exit.errors import EntryExitError
from entry_exit.services.access_log import access_log_append, access_log_verify
from entry_exit.services.inbound import inbound_batch_import, inbound_batch_report
from entry_exit.services.outbound import (
    outbound_batch_build,
    outbound_batch_send,
    outbound_batch_write,
    outbound_batches_run,
)
from entry_exit.services.records import crossing_record_build, crossing_record_create
from entry_exit.services.retention import crossing_records_purge

__all__ = [
    "EntryExitError",
    "access_log_append",
    "access_log_verify",
    "crossing_record_build",
    "crossing_record_create",
    "crossing_records_purge",
    "inbound_batch_import",
    "inbound_batch_report",
    "outbound_batch_build",
    "outbound_batch_send",
    "outbound_batch_write",
    "outbound_batches_run",
]
