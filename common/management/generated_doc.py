"""A management command that writes a document generated from a declaration in the code
(the interview workflow, the Entry/Exit share rules), or with ``--check`` says whether the
committed copy is current: a test runs the check, so the document never drifts."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class GeneratedDocCommand(BaseCommand):
    """Subclasses set ``help``, ``default_output`` and ``command_name``, and ``render()``."""

    default_output: Path
    command_name: str

    def render(self) -> str:
        raise NotImplementedError

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="Write nothing; exit non-zero if the file differs from what would be written.",
        )
        parser.add_argument("--output", type=Path, default=self.default_output)

    def handle(self, *args, check: bool, output: Path, **options):
        text = self.render()
        current = output.read_text(encoding="utf-8") if output.exists() else None
        if check:
            if current != text:
                raise CommandError(
                    f"{output} is out of date: run `python manage.py {self.command_name}`."
                )
            self.stdout.write(f"{output} is up to date.")
            return
        if current == text:
            self.stdout.write(f"{output} is up to date.")
            return
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
        self.stdout.write(self.style.SUCCESS(f"Wrote {output}."))
