from django.core.management.base import BaseCommand, CommandError

from entry_exit.services import access_log_verify


class Command(BaseCommand):
    help = "Check the Entry/Exit access log's hash chain; exits non-zero at the first break."

    def handle(self, *args, **options):
        check = access_log_verify()
        if not check.ok:
            raise CommandError(
                f"access log chain broken at row {check.broken_at}: {check.reason} "
                f"({check.rows} rows checked before it)"
            )
        self.stdout.write(f"access log chain intact: {check.rows} rows")
