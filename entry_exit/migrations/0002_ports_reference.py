"""Load the ports of entry from ``entry_exit/data/ports.json``: feeds name their port by
code, so production needs the ports before the first record arrives.

Written against the fields of 0001 with the historical model, so later changes to the app
cannot break it; later edits to the file are applied by
``entry_exit.reference.ports_import_reference`` (``load_demo_data`` runs it). Reverse:
nothing to undo (0001's reverse drops the table).
"""

import json
from pathlib import Path

from django.db import migrations

REFERENCE_FILE = Path(__file__).resolve().parent.parent / "data" / "ports.json"
FIELDS = ("code_is_official", "cbp_port_code", "name", "name_fr", "region", "time_zone")
SIDES = (("canada", "CA"), ("united_states", "US"))


def load_ports(apps, schema_editor):
    Port = apps.get_model("entry_exit", "Port")
    pairs = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))["pairs"]
    for pair in pairs:
        ports = {}
        for side, country in SIDES:
            row = pair[side]
            defaults = {name: row.get(name, "") for name in FIELDS}
            defaults["country"] = country
            ports[side], _created = Port.objects.update_or_create(code=row["code"], defaults=defaults)
        canada, united_states = ports["canada"], ports["united_states"]
        if (canada.counterpart_id, united_states.counterpart_id) != (united_states.pk, canada.pk):
            Port.objects.filter(pk__in=[canada.pk, united_states.pk]).update(counterpart=None)
            Port.objects.filter(pk=canada.pk).update(counterpart=united_states)
            Port.objects.filter(pk=united_states.pk).update(counterpart=canada)


class Migration(migrations.Migration):
    dependencies = [("entry_exit", "0001_initial")]

    operations = [migrations.RunPython(load_ports, migrations.RunPython.noop)]
