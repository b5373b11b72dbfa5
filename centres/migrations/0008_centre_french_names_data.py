"""Give the centres already in the database the French forms of their names and addresses
from ``centres/data/centres.json``, matched as ``centres.reference`` matches them (TTP id,
else kind and English name). Only blank French fields are filled: a French form an
administrator typed is kept. Later edits to the file are applied by
``centres.reference.centres_import_reference`` (``load_demo_data`` runs it).

Written against the historical model; a file without these keys changes nothing.
Reverse: nothing to undo (0007's reverse drops the columns).
"""

import json
from pathlib import Path

from django.db import migrations

REFERENCE_FILE = Path(__file__).resolve().parent.parent / "data" / "centres.json"
FIELDS = ("name_fr", "short_name_fr", "address_fr", "address_additional_fr", "city_fr")


def fill_french_forms(apps, schema_editor):
    Centre = apps.get_model("centres", "Centre")
    rows = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))["centres"]
    for row in rows:
        if row.get("ttp_location_id"):
            centres = Centre.objects.filter(ttp_location_id=row["ttp_location_id"])
        else:
            centres = Centre.objects.filter(
                kind=row["kind"], name=row["name"], ttp_location_id__isnull=True
            )
        for name in FIELDS:
            if row.get(name):
                centres.filter(**{name: ""}).update(**{name: row[name]})


class Migration(migrations.Migration):
    dependencies = [("centres", "0007_centre_french_names")]

    operations = [migrations.RunPython(fill_french_forms, migrations.RunPython.noop)]
