"""Import an inbound batch from a file: ``manage.py entry_exit_import FILE [--partner ID]``.

The same service as the partner endpoint (``inbound_batch_import``): a file imported
twice, or a batch the partner also posted, is kept once; an import that was stopped
carries on where it stopped. Exits non-zero when the batch is refused whole.
"""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from entry_exit.errors import EntryExitError
from entry_exit.partners import DEFAULT_PARTNER, partner_for_files
from entry_exit.services import inbound_batch_import

# The refused rows listed in the summary (the batch's report keeps more).
SHOWN_ROW_ERRORS = 20
BAR_WIDTH = 30


class ProgressBar:
    """A one-line bar on a terminal, redrawn in place; nothing when output is piped."""

    def __init__(self, stream, total: int) -> None:
        self.stream, self.total = stream, total
        self.enabled = stream.isatty() and total > 0

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        filled = BAR_WIDTH * done // self.total
        percent = 100 * done // self.total
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        self.stream.write(f"\r[{bar}] {percent:3d}% {done}/{self.total} records")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = "Import an Entry/Exit batch file from the partner (JSON Lines exchange format)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="The batch file.")
        parser.add_argument(
            "--partner",
            default=DEFAULT_PARTNER,
            help=f"The partner that sent it (ENTRY_EXIT_PARTNERS). Default: {DEFAULT_PARTNER}.",
        )

    def handle(self, *args, file: Path, partner: str, **options) -> None:
        sender = partner_for_files(partner)
        if sender is None:
            raise CommandError(f"Unknown partner {partner!r} (see ENTRY_EXIT_PARTNERS).")
        try:
            body = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        bar = ProgressBar(sys.stderr, _record_count_hint(body))
        started = time.monotonic()
        try:
            result = inbound_batch_import(
                partner=sender,
                body=body,
                now=timezone.now(),
                file_name=file.name,
                received_by="manage.py entry_exit_import",
                progress=bar,
            )
        except EntryExitError as error:
            raise CommandError(str(error.message)) from None
        finally:
            bar.close()
        self._summary(result, time.monotonic() - started)
        if result.outcome == "refused":
            raise CommandError(f"Batch refused: {result.code}.")

    def _summary(self, result, seconds: float) -> None:
        report = result.report
        write = self.stdout.write
        outcomes = {
            "imported": "imported",
            "redelivered": "already imported (nothing changed)",
            "refused": "REFUSED",
        }
        write(
            f"Batch {report['batch_id'] or '?'} from {report['partner']}: "
            f"{outcomes[result.outcome]} (batch #{report['batch']}, {report['status']})"
        )
        write(f"  records in file:   {report['records']}")
        write(f"  imported:          {report['imported']}")
        write(f"  already held:      {report['duplicates']}")
        write(f"  rows refused:      {report['refused']}")
        write(f"  sha256:            {report['checksum']}")
        write(f"  time:              {seconds:.2f} s")
        errors = report["row_errors"]
        for error in errors[:SHOWN_ROW_ERRORS]:
            field = error["field"] or "-"
            write(f"  line {error['line']}: {field}: {error['code']}: {error['reason']}")
        if len(errors) > SHOWN_ROW_ERRORS or report["row_errors_truncated"]:
            write(f"  … more refused rows in the batch's report (batch #{report['batch']})")


def _record_count_hint(body: bytes) -> int:
    """The number of record lines, for the bar (the service checks the header itself)."""
    first = body.find(b"\n")
    return body.count(b"\n", first + 1) if first >= 0 else 0
