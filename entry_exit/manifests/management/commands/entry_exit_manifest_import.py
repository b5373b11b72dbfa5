"""Import a carrier's PAXLST interchange from a file:
``manage.py entry_exit_manifest_import FILE [--carrier ID]``.

The same service as the carriers' endpoint (``manifest_interchange_import``): a file
imported twice is kept once, a corrected manifest replaces the flight's earlier one, an
import that was stopped carries on. Exits non-zero when the interchange is refused whole.
"""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from entry_exit.errors import EntryExitError
from entry_exit.management.commands.entry_exit_import import ProgressBar
from entry_exit.manifests.carriers import carrier_for_files
from entry_exit.manifests.services import manifest_interchange_import

SHOWN_ERRORS = 20
DEFAULT_CARRIER = "file"


class Command(BaseCommand):
    help = "Import a carrier's passenger manifest file (UN/EDIFACT PAXLST): air exit records."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="The PAXLST interchange.")
        parser.add_argument(
            "--carrier",
            default=DEFAULT_CARRIER,
            help="The carrier that sent it (ENTRY_EXIT_CARRIERS: its airlines are checked). "
            f"Default: {DEFAULT_CARRIER} (any airline).",
        )

    def handle(self, *args, file: Path, carrier: str, **options) -> None:
        try:
            body = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}") from None
        # The travellers, for the bar: one NAD+FL or NAD+FM each (the service counts them).
        bar = ProgressBar(sys.stderr, body.count(b"NAD+FL") + body.count(b"NAD+FM"))
        started = time.monotonic()
        try:
            result = manifest_interchange_import(
                carrier=carrier_for_files(carrier),
                body=body,
                now=timezone.now(),
                file_name=file.name,
                received_by="manage.py entry_exit_manifest_import",
                progress=bar,
            )
        except EntryExitError as error:
            raise CommandError(str(error.message)) from None
        finally:
            bar.close()
        self._summary(result, time.monotonic() - started)
        if result.outcome == "refused":
            raise CommandError(f"Interchange refused: {result.code}.")

    def _summary(self, result, seconds: float) -> None:
        report = result.report
        write = self.stdout.write
        outcomes = {
            "imported": "imported",
            "redelivered": "already imported (nothing changed)",
            "refused": "REFUSED",
        }
        write(
            f"Interchange {report['reference'] or '?'} from {report['carrier']}: "
            f"{outcomes[result.outcome]} (interchange #{report['interchange']}, "
            f"{report['status']})"
        )
        write(f"  messages:              {report['messages']}")
        write(f"  messages refused:      {report['messages_refused']}")
        write(f"  not leaving Canada:    {report['messages_not_leaving_canada']}")
        write(f"  travellers:            {report['travellers']}")
        write(f"  air exits imported:    {report['imported']}")
        write(f"  already held:          {report['duplicates']}")
        write(f"  travellers refused:    {report['refused']}")
        write(f"  sha256:                {report['checksum']}")
        write(f"  time:                  {seconds:.2f} s")
        for error in report["errors"][:SHOWN_ERRORS]:
            place = f"message {error['message'] or '-'} segment {error['segment'] or '-'}"
            if error["tag"]:
                place += f" ({error['tag']}"
                if error["element"]:
                    place += f" element {error['element']}"
                    if error["component"]:
                        place += f":{error['component']}"
                place += ")"
            field = f"{error['field']}: " if error["field"] else ""
            write(f"  {place}: {field}{error['code']}: {error['reason']}")
        if len(report["errors"]) > SHOWN_ERRORS or report["errors_truncated"]:
            write(f"  … more in the interchange's report (#{report['interchange']})")
