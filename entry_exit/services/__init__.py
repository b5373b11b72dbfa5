"""Every write in the entry_exit app: records (``records.py``) and the outbound exchange
(``outbound.py``). The ports' reference data is loaded by ``entry_exit.reference``."""

from entry_exit.errors import EntryExitError
from entry_exit.services.inbound import inbound_batch_import, inbound_batch_report
from entry_exit.services.outbound import (
    outbound_batch_build,
    outbound_batch_send,
    outbound_batch_write,
    outbound_batches_run,
)
from entry_exit.services.records import crossing_record_build, crossing_record_create

__all__ = [
    "EntryExitError",
    "crossing_record_build",
    "crossing_record_create",
    "inbound_batch_import",
    "inbound_batch_report",
    "outbound_batch_build",
    "outbound_batch_send",
    "outbound_batch_write",
    "outbound_batches_run",
]
