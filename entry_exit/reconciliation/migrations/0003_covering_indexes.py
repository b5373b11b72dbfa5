"""On PostgreSQL, the matching indexes carry the columns the candidate queries read
(INCLUDE), so that a look-up is an index-only scan: no visit to the table's rows, which
on a year of records (millions) are scattered over the disk. SQLite keeps 0002's."""

from django.db import migrations

TABLE = "entry_exit_crossingrecord"
ENTRY = "event = 'land_entry_canada'"
READ = "id, surname_normalised, given_names_normalised, sex"

INDEXES = {
    "reconciliation_entry_document": (
        "document_number, document_country, date_of_birth, occurred_at",
        "",
    ),
    "reconciliation_entry_born": (
        "date_of_birth, nationality, occurred_at",
        ", document_number, document_country",
    ),
}


def _create(covering: bool):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for name, (columns, more) in INDEXES.items():
            include = f" INCLUDE ({READ}{more})" if covering else ""
            schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
            schema_editor.execute(
                f"CREATE INDEX {name} ON {TABLE} ({columns}){include} WHERE {ENTRY}"
            )

    return run


class Migration(migrations.Migration):
    dependencies = [("entry_exit_reconciliation", "0002_entry_indexes")]

    operations = [migrations.RunPython(_create(True), _create(False))]
