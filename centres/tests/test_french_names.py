"""A centre's name and address in the reader's language: the French form where the centre
has one, the English one otherwise (a blank French field means "the same in English");
its time zone in words, never an IANA name or an abbreviation."""

import datetime
import importlib
import zoneinfo

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from centres.models import Centre, zone_name
from centres.reference import centres_import_reference, reference_load
from centres.tests.factories import CentreFactory, SlotFactory
from common.tests.helpers import force_login_verified
from tests.test_translations import typography_problems

MONTREAL = {
    "name": "Montréal–Trudeau International Airport enrolment centre",
    "name_fr": "Centre d'inscription de l'Aéroport international Montréal-Trudeau",
    "short_name": "Montréal–Trudeau (YUL)",
    "short_name_fr": "Montréal-Trudeau (YUL)",
    "address": "975 Roméo-Vachon Boulevard North",
    "address_fr": "975, boulevard Roméo-Vachon Nord",
    "address_additional": "Room T1476",
    "address_additional_fr": "Local T1476",
    "city": "Dorval",
    "region": "QC",
}


def _montreal(**fields) -> Centre:
    return Centre(**{**MONTREAL, **fields})


def test_the_english_forms_are_shown_in_english():
    centre = _montreal()
    with translation.override("en"):
        assert centre.display_name == MONTREAL["name"] == str(centre)
        assert centre.display_short_name == MONTREAL["short_name"]
        assert centre.display_address == MONTREAL["address"]
        assert centre.display_address_additional == "Room T1476"
        assert centre.display_full_address == "975 Roméo-Vachon Boulevard North, Dorval, QC"


def test_the_french_forms_are_shown_in_french():
    centre = _montreal()
    with translation.override("fr"):
        assert centre.display_name == MONTREAL["name_fr"] == str(centre)
        assert centre.display_short_name == "Montréal-Trudeau (YUL)"
        assert centre.display_address_additional == "Local T1476"
        assert centre.display_full_address == "975, boulevard Roméo-Vachon Nord, Dorval, QC"


def test_a_blank_french_form_falls_back_to_the_english_one():
    centre = _montreal(name_fr="", short_name_fr="", address_fr="", address_additional_fr="")
    with translation.override("fr"):
        assert centre.display_name == MONTREAL["name"] == str(centre)
        assert centre.display_short_name == MONTREAL["short_name"]
        assert centre.display_full_address == "975 Roméo-Vachon Boulevard North, Dorval, QC"
        assert centre.display_address_additional == "Room T1476"


def test_a_centre_without_a_short_name_is_called_by_its_name_in_either_language():
    centre = _montreal(short_name="", short_name_fr="")
    with translation.override("fr"):
        assert centre.display_short_name == MONTREAL["name_fr"]
    with translation.override("en"):
        assert centre.display_short_name == MONTREAL["name"]


def test_the_city_has_a_french_form_too():
    centre = _montreal(city="Montreal", city_fr="Montréal")
    with translation.override("fr"):
        assert centre.display_city == "Montréal"
        assert centre.display_full_address.endswith(", Montréal, QC")
    with translation.override("en"):
        assert centre.display_city == "Montreal"


def test_the_api_fields_stay_english_whatever_the_language():
    centre = _montreal()
    with translation.override("fr"):
        assert centre.name == MONTREAL["name"]
        assert centre.full_address == "975 Roméo-Vachon Boulevard North, Dorval, QC"


def test_no_language_active_reads_english():
    centre = _montreal()
    with translation.override(None):
        assert centre.display_name == MONTREAL["name"]


@pytest.mark.parametrize(
    ("time_zone", "english", "french"),
    [
        ("America/Toronto", "Eastern time", "heure de l'Est"),
        ("America/Vancouver", "Pacific time", "heure du Pacifique"),
        # Not in ZONE_NAMES: named by its standard offset, never by its IANA name.
        ("America/Detroit", "Eastern time", "heure de l'Est"),
        ("America/Moncton", "Atlantic time", "heure de l'Atlantique"),
        ("America/Boise", "Mountain time", "heure des Rocheuses"),
        ("Asia/Kolkata", "UTC+5:30", "UTC+5:30"),
        ("Pacific/Honolulu", "UTC−10", "UTC−10"),
    ],
)
def test_a_time_zone_is_named_in_words_in_each_language(time_zone, english, french):
    with translation.override("en"):
        assert zone_name(time_zone) == english
        assert Centre(time_zone=time_zone).zone_name == english
    with translation.override("fr"):
        assert zone_name(time_zone) == french


@pytest.mark.django_db
def test_a_slot_is_labelled_with_its_zone_in_words_not_an_abbreviation():
    centre = CentreFactory(name="Ottawa", name_fr="Ottawa en français", time_zone="America/Toronto")
    toronto = zoneinfo.ZoneInfo("America/Toronto")
    slot = SlotFactory(
        centre=centre, starts_at=datetime.datetime(2027, 1, 12, 9, 0, tzinfo=toronto)
    )
    with translation.override("fr"):
        assert str(slot) == "Ottawa en français 2027-01-12 09:00 (heure de l'Est)"
    with translation.override("en"):
        assert str(slot) == "Ottawa 2027-01-12 09:00 (Eastern time)"


# --- The reference data ----------------------------------------------------------------


def _rows() -> dict[str, dict]:
    return {row["key"]: row for row in reference_load()["centres"]}


def test_every_canadian_airport_and_split_site_has_its_french_name_and_us_centres_keep_theirs():
    rows = _rows()
    for key, row in rows.items():
        if row["country"] == "CA" or row["kind"] == "split_site":
            assert row.get("name_fr"), key
        else:
            assert not row.get("name_fr"), key  # a US enrolment center's own name
    assert rows["yyz"]["name_fr"].endswith("Aéroport international Pearson de Toronto")
    assert rows["yul"]["name_fr"].endswith("Aéroport international Montréal-Trudeau")
    assert rows["yul"]["address_fr"] == "975, boulevard Roméo-Vachon Nord"


def test_the_french_reference_forms_follow_french_typography():
    for key, row in _rows().items():
        for name, value in row.items():
            if name.endswith("_fr"):
                assert typography_problems(value) == [], (key, name)


@pytest.mark.django_db
def test_the_reference_import_fills_the_french_forms():
    reference = reference_load()
    centres_import_reference(rows=reference["centres"])

    yul = Centre.objects.get(ttp_location_id=5028)
    assert yul.name_fr == "Centre d'inscription de l'Aéroport international Montréal-Trudeau"
    assert yul.address_fr == "975, boulevard Roméo-Vachon Nord"
    blaine = Centre.objects.get(kind=Centre.Kind.LAND_BORDER, city="Blaine")
    assert blaine.name_fr == "" and blaine.address_fr == ""
    with translation.override("fr"):
        assert str(yul) == yul.name_fr and str(blaine) == blaine.name


@pytest.mark.django_db
def test_the_data_migration_fills_blank_french_forms_and_keeps_an_administrators():
    reference = reference_load()
    centres_import_reference(rows=reference["centres"])
    Centre.objects.update(name_fr="", address_fr="")
    Centre.objects.filter(ttp_location_id=5026).update(name_fr="Mon nom à moi")
    migration = importlib.import_module("centres.migrations.0008_centre_french_names_data")

    migration.fill_french_forms(apps, None)
    migration.fill_french_forms(apps, None)  # twice: nothing more changes

    assert Centre.objects.get(ttp_location_id=5028).address_fr == (
        "975, boulevard Roméo-Vachon Nord"
    )
    assert Centre.objects.get(ttp_location_id=5026).name_fr == "Mon nom à moi"
    preclearance = Centre.objects.get(kind=Centre.Kind.PRECLEARANCE, city="Dorval")
    assert preclearance.name_fr.startswith("Zone de prédédouanement des États-Unis")


@pytest.mark.django_db
def test_the_admin_form_has_the_french_fields(client, programme_admin):
    centre = CentreFactory(name="Ottawa airport", name_fr="Aéroport d'Ottawa")
    force_login_verified(client, programme_admin)

    page = client.get(reverse("admin:centres_centre_change", args=[centre.pk])).content.decode()

    for field in ("name_fr", "short_name_fr", "address_fr", "address_additional_fr", "city_fr"):
        assert f'name="{field}"' in page
    assert 'value="Aéroport d&#x27;Ottawa"' in page
