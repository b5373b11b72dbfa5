"""Write a synthetic batch file: ``manage.py entry_exit_generate --records N --seed S
[--direction in|out] [--day YYYY-MM-DD] [--bad-share X] OUTPUT``.

The file is in the exchange format, with its header (sender, a batch id stable for the
arguments, the count, the records' SHA-256): ``--direction in`` (the default) is the US
partner's land entries, which ``manage.py entry_exit_import`` takes as they are;
``--direction out`` is CBSA's land entries into Canada. The same arguments always write
the same bytes (``entry_exit.synthetic``).
"""

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from entry_exit.synthetic import DIRECTIONS, batch_file


class Command(BaseCommand):
    help = "Write a synthetic Entry/Exit batch file (deterministic for a seed)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("output", type=Path, help="The file to write.")
        parser.add_argument("--records", type=int, required=True, help="Record lines.")
        parser.add_argument("--seed", type=int, default=1, help="Default: 1.")
        parser.add_argument(
            "--direction",
            choices=DIRECTIONS,
            default="in",
            help="in: the US partner's land entries (exits from Canada); out: CBSA's land "
            "entries into Canada. Default: in.",
        )
        parser.add_argument(
            "--day",
            type=date.fromisoformat,
            default=None,
            help="The UTC day of the crossings (YYYY-MM-DD). Default: yesterday.",
        )
        parser.add_argument(
            "--bad-share",
            type=float,
            default=0.0,
            help="Share of rows spoilt on purpose, each refused by the validation. Default: 0.",
        )

    def handle(
        self,
        *args,
        output: Path,
        records: int,
        seed: int,
        direction: str,
        day,
        bad_share: float,
        **options,
    ) -> None:
        if records < 0:
            raise CommandError("--records takes 0 or more.")
        if not 0 <= bad_share <= 1:
            raise CommandError("--bad-share is between 0 and 1.")
        day = day or datetime.now(UTC).date() - timedelta(days=1)
        body = batch_file(
            count=records, seed=seed, direction=direction, day=day, bad_share=bad_share
        )
        try:
            output.write_bytes(body)
        except OSError as error:
            raise CommandError(f"Cannot write {output}: {error.strerror}") from None
        self.stdout.write(f"Wrote {records} records ({direction}, {day}, seed {seed}) to {output}.")
