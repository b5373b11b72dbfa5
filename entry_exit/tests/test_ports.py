"""The ports of entry: real Canada–US land crossings in pairs, loaded from the reference
file, with valid zones and codes that say whether they are published ones."""

import importlib
import json
import re
import zoneinfo

import pytest
from django.apps import apps as django_apps
from django.utils import translation

from common.models import AuditEvent
from entry_exit.models import Port
from entry_exit.reference import REFERENCE_FILE, ports_import_reference, reference_rows

pytestmark = pytest.mark.django_db

# Published CBP port numbers, as the brief and CBP's port list give them.
OFFICIAL = {
    "3009": "Sumas",
    "3019": "Oroville",
    "3302": "Eastport",
    "3310": "Sweetgrass",
    "3401": "Pembina",
    "3403": "Portal",
    "3604": "International Falls",
    "3802": "Port Huron",
    "3803": "Sault Ste. Marie",
    "0106": "Houlton",
    "0115": "Calais",
    "0209": "Derby Line",
    "0212": "Highgate Springs",
    "0701": "Ogdensburg",
    "0704": "Massena",
    "0708": "Alexandria Bay",
    "0712": "Champlain",
}

PAIRS_NAMED_IN_THE_ISSUE = [
    ("Douglas", "Blaine – Peace Arch"),
    ("Lacolle – Route 15", "Champlain"),
    ("Windsor – Ambassador Bridge", "Detroit – Ambassador Bridge"),
    ("Fort Erie – Peace Bridge", "Buffalo – Peace Bridge"),
    ("Lansdowne – Thousand Islands Bridge", "Alexandria Bay – Thousand Islands Bridge"),
    ("Emerson", "Pembina"),
    ("Coutts", "Sweetgrass"),
    ("St. Stephen", "Calais"),
]


@pytest.fixture
def ports():
    ports_import_reference()
    return {port.code: port for port in Port.objects.select_related("counterpart")}


def test_it_loads_at_least_twenty_pairs_each_paired_both_ways(ports):
    canadian = [port for port in ports.values() if port.country == "CA"]
    assert len(canadian) >= 20
    assert len(ports) == 2 * len(canadian)
    for port in ports.values():
        assert port.counterpart is not None, port.code
        assert port.counterpart.counterpart_id == port.pk
        assert port.counterpart.country != port.country


@pytest.mark.parametrize(("canadian", "american"), PAIRS_NAMED_IN_THE_ISSUE)
def test_the_pairs_the_issue_names_are_there(ports, canadian, american):
    port = Port.objects.get(name=canadian, country="CA")
    assert port.counterpart.name == american


def test_every_zone_is_an_iana_zone_of_the_right_country(ports):
    for port in ports.values():
        zoneinfo.ZoneInfo(port.time_zone)
        assert port.time_zone.startswith("America/")
        assert port.counterpart.time_zone.startswith("America/")


def test_official_codes_are_the_published_cbp_port_numbers(ports):
    official = {code: port for code, port in ports.items() if port.code_is_official}
    assert set(official) == set(OFFICIAL)
    for code, port in official.items():
        assert port.country == "US"
        assert port.cbp_port_code == code
        assert port.name.startswith(OFFICIAL[code])


def test_every_other_code_is_ours_and_looks_it(ports):
    for port in ports.values():
        if not port.code_is_official:
            assert re.fullmatch(r"(CA|US)-[A-Z]{3}(-[A-Z]{2})?", port.code), port.code
            assert port.code.startswith(port.country)


def test_no_canadian_port_claims_an_official_code(ports):
    assert not any(
        p.code_is_official or p.cbp_port_code for p in ports.values() if p.country == "CA"
    )


def test_crossings_sharing_a_cbp_port_keep_codes_of_their_own(ports):
    detroit = [p for p in ports.values() if p.cbp_port_code == "3801"]
    buffalo = [p for p in ports.values() if p.cbp_port_code == "0901"]
    assert len(detroit) == 2 and len(buffalo) == 3
    assert not any(p.code_is_official for p in detroit + buffalo)


def test_french_names_where_a_port_has_one(ports):
    assert Port.objects.get(code="CA-LAC").name_fr == "Lacolle – route 15"
    assert Port.objects.get(code="CA-FEP").name_fr == "Fort Erie – pont de la Paix"


def test_a_port_shows_its_french_name_in_french(ports):
    port = Port.objects.get(code="CA-LAN")
    with translation.override("fr"):
        assert port.display_name == "Lansdowne – pont des Mille-Îles"
    assert port.display_name == "Lansdowne – Thousand Islands Bridge"
    assert Port.objects.get(code="CA-DOU").display_name == "Douglas"


def test_loading_twice_changes_nothing_and_audits_nothing(ports):
    audits = AuditEvent.objects.count()
    result = ports_import_reference()
    assert (result.created, result.updated) == (0, 0)
    assert result.unchanged == len(ports)
    assert AuditEvent.objects.count() == audits


def test_a_changed_row_updates_its_port_and_is_audited(ports, tmp_path):
    data = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
    data["pairs"][0]["canada"]["name_fr"] = "Douglas (Surrey)"
    changed = tmp_path / "ports.json"
    changed.write_text(json.dumps(data), encoding="utf-8")

    result = ports_import_reference(path=changed)

    assert (result.created, result.updated) == (0, 1)
    assert Port.objects.get(code="CA-DOU").name_fr == "Douglas (Surrey)"
    assert AuditEvent.objects.filter(
        action="port.imported", target_id=str(ports["CA-DOU"].pk)
    ).exists()


def test_a_pairing_that_changes_is_redone_both_ways(ports, tmp_path):
    data = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
    first, second = data["pairs"][0], data["pairs"][1]
    first["united_states"], second["united_states"] = (
        second["united_states"],
        first["united_states"],
    )
    swapped = tmp_path / "ports.json"
    swapped.write_text(json.dumps(data), encoding="utf-8")

    ports_import_reference(path=swapped)

    douglas = Port.objects.get(code=first["canada"]["code"])
    assert douglas.counterpart.code == first["united_states"]["code"]
    assert douglas.counterpart.counterpart == douglas


def test_a_code_twice_in_the_file_is_refused(tmp_path):
    data = json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))
    data["pairs"][1]["canada"]["code"] = data["pairs"][0]["canada"]["code"]
    bad = tmp_path / "ports.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(Exception, match="twice"):
        reference_rows(bad)


def test_the_reference_file_says_which_codes_are_ours():
    about = " ".join(json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))["about"])
    assert "NEXUS Portal's own" in about
    assert "CBSA office numbers are not reliably public" in about


def test_the_data_migration_loads_what_the_service_would():
    # What the test database's migration left may have been flushed by a transactional
    # test: run the migration's function again on an empty table.
    Port.objects.update(counterpart=None)
    Port.objects.all().delete()
    migration = importlib.import_module("entry_exit.migrations.0002_ports_reference")

    migration.load_ports(django_apps, schema_editor=None)
    migration.load_ports(django_apps, schema_editor=None)  # twice: nothing more

    assert Port.objects.count() == len(reference_rows())
    assert not Port.objects.filter(counterpart__isnull=True).exists()
    result = ports_import_reference()
    assert (result.created, result.updated) == (0, 0)
