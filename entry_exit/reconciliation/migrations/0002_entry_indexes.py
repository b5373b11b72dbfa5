"""Indexes on the crossing records for matching, created from this app so that the
entry_exit app's own migrations stay its own. Partial indexes (entries only, exits only),
in the order the look-ups need: tier 1 (document, issuing country, date of birth, then
the latest entry), tier 2 (date of birth, nationality, then the latest), and the exits a
late entry may concern. Plain SQL that PostgreSQL and SQLite both understand.

On a large live table, create them CONCURRENTLY by hand first (same names): the IF NOT
EXISTS here then finds them."""

from django.db import migrations

TABLE = "entry_exit_crossingrecord"
ENTRY = "event = 'land_entry_canada'"
EXITS = "event IN ('land_entry_us', 'air_exit')"

INDEXES = {
    "reconciliation_entry_document": (
        "document_number, document_country, date_of_birth, occurred_at",
        ENTRY,
    ),
    "reconciliation_entry_born": ("date_of_birth, nationality, occurred_at", ENTRY),
    "reconciliation_exit_born": ("date_of_birth, nationality, occurred_at", EXITS),
}


class Migration(migrations.Migration):
    dependencies = [
        ("entry_exit_reconciliation", "0001_initial"),
        ("entry_exit", "0004_access_log"),
    ]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {TABLE} ({columns}) WHERE {where}",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for name, (columns, where) in INDEXES.items()
    ]
