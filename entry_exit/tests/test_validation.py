"""One raw row from a feed: a clean record or every reason it is refused, never a value
quietly mended."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from django.conf import settings
from django.utils import translation

from entry_exit.choices import Source
from entry_exit.names import NameRefused, name_normalise
from entry_exit.services import EntryExitError, crossing_record_create
from entry_exit.tests.factories import PortFactory
from entry_exit.validation import MESSAGES, record_validate

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
CBSA = Source.CBSA_PRIMARY


@pytest.fixture
def ports(db):
    canada = PortFactory(code="CA-TST", country="CA")
    united_states = PortFactory(code="3004", country="US", region="WA")
    return {port.code: port for port in (canada, united_states)}


def good_row(**changes) -> dict[str, str]:
    row = {
        "record_id": "cbsa-2026-0001",
        "surname": "Müller-Lüdenscheidt",
        "given_names": "Anne Sophie",
        "date_of_birth": "1984-05-17",
        "sex": "F",
        "nationality": "DEU",
        "document_type": "passport",
        "document_number": "C01X00T47",
        "document_country": "DEU",
        "status": "foreign_national",
        "event": "land_entry_canada",
        "occurred_at": "2026-03-02T09:58:00-05:00",
        "port_code": "CA-TST",
        "airport_code": "",
    }
    row.update(changes)
    return row


def validate(ports, source=CBSA, **changes):
    return record_validate(good_row(**changes), source=source, now=NOW, ports=ports)


def refusals(ports, source=CBSA, **changes) -> set[tuple[str, str]]:
    result = validate(ports, source=source, **changes)
    assert result.record is None
    return {(error.field, error.code) for error in result.errors}


# --- A good row --------------------------------------------------------------------------


def test_a_good_row_gives_the_record_values(ports):
    result = validate(ports)

    assert result.ok and result.errors == ()
    record = result.record
    assert record["source"] == "cbsa_primary"
    assert record["source_record_id"] == "cbsa-2026-0001"
    assert record["surname"] == "Müller-Lüdenscheidt"  # as received
    assert record["surname_normalised"] == "MUELLER LUEDENSCHEIDT"
    assert record["given_names_normalised"] == "ANNE SOPHIE"
    assert record["date_of_birth"] == date(1984, 5, 17)
    assert record["occurred_at"] == datetime(2026, 3, 2, 14, 58, tzinfo=UTC)
    assert record["port"] == ports["CA-TST"]
    assert record["airport_code"] == ""


def test_an_air_exit_names_an_airport_and_no_port(ports):
    result = validate(
        ports,
        source=Source.CARRIER_MANIFEST,
        event="air_exit",
        port_code="",
        airport_code="YUL",
    )
    assert result.ok
    assert result.record["port"] is None and result.record["airport_code"] == "YUL"


def test_a_us_entry_names_a_us_port(ports):
    result = validate(ports, source=Source.US_PARTNER, event="land_entry_us", port_code="3004")
    assert result.ok


def test_a_traveller_with_one_name_has_no_given_names(ports):
    result = validate(ports, given_names="")
    assert result.ok and result.record["given_names_normalised"] == ""


def test_a_document_number_loses_only_the_spaces_and_hyphens_printed_in_it(ports):
    result = validate(ports, document_type="nexus_card", document_number="1234 5678-9")
    assert result.record["document_number"] == "123456789"


def test_codes_and_dates_lose_surrounding_spaces_names_keep_theirs(ports):
    result = validate(ports, sex=" F ", nationality=" DEU", date_of_birth="1984-05-17 ")
    assert result.ok
    assert (result.record["sex"], result.record["nationality"]) == ("F", "DEU")
    assert validate(ports, surname=" Müller ").record["surname"] == " Müller "


# --- Names: ICAO 9303 --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "normalised"),
    [
        ("Müller", "MUELLER"),
        ("Ångström", "AANGSTROEM"),
        ("Ærø", "AEROE"),
        ("Søren", "SOEREN"),
        ("Œuvray", "OEUVRAY"),
        ("Straße", "STRASSE"),
        ("STRAẞE", "STRASSE"),
        ("Þórður", "THORDUR"),
        ("Peña", "PENA"),
        ("François", "FRANCOIS"),
        ("Łukasz Wałęsa", "LUKASZ WALESA"),
        ("Dvořák", "DVORAK"),
        ("Nguyễn Thị Ánh", "NGUYEN THI ANH"),
        ("Ĳsselmeer", "IJSSELMEER"),
        ("ﬁnn ﬂora", "FINN FLORA"),  # ligatures
        ("Ｍａｒｉａ", "MARIA"),  # full-width letters
        ("Mu\u0308ller", "MUELLER"),  # U + combining diaeresis
        ("D'Artagnan", "DARTAGNAN"),  # apostrophe omitted
        ("O’Brien", "OBRIEN"),
        ("Marie-Élise", "MARIE ELISE"),  # hyphen separates
        ("St. John", "ST JOHN"),
        ("  García  ,  Márquez ", "GARCIA MARQUEZ"),
        ("Gel·labert", "GELLABERT"),
        ("Жанна Щукина", "ZHANNA SHCHUKINA"),  # Doc 9303 Cyrillic table
        ("Юлия Ульянова", "IULIIA ULIANOVA"),
        ("Хрущёв", "KHRUSHCHEV"),
        ("Їжак", "IZHAK"),
    ],
)
def test_names_are_normalised_as_icao_9303_says(received, normalised):
    assert name_normalise(received) == normalised


@pytest.mark.parametrize(
    ("received", "code"),
    [
        ("Smith2", "name_character"),
        ("SMITH<<JOHN", "name_character"),  # an MRZ line, not a name
        ("王", "name_character"),  # no table for this script
        ("محمد", "name_character"),
        ("Σμίθ", "name_character"),
        ("Smith 🙂", "name_character"),
        ("'-.", "name_empty"),
        ("Щ" * 60, "name_too_long"),  # 240 letters once transliterated
    ],
)
def test_a_name_that_cannot_be_transliterated_is_refused(received, code):
    with pytest.raises(NameRefused) as refused:
        name_normalise(received)
    assert refused.value.code == code


def test_a_refused_name_is_reported_on_its_field(ports):
    assert refusals(ports, given_names="Anne 2") == {("given_names", "name_character")}
    assert refusals(ports, surname="") == {("surname", "required")}
    assert refusals(ports, surname="x" * 201) == {("surname", "too_long")}


# --- Every refusal, on its field ---------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"record_id": ""}, ("record_id", "required")),
        ({"record_id": "id with spaces"}, ("record_id", "record_id")),
        ({"date_of_birth": "17/05/1984"}, ("date_of_birth", "date_format")),
        ({"date_of_birth": "1984-02-30"}, ("date_of_birth", "date_format")),
        ({"date_of_birth": "1984-5-17"}, ("date_of_birth", "date_format")),
        ({"date_of_birth": "١٩٨٤-٠٥-١٧"}, ("date_of_birth", "date_format")),
        ({"date_of_birth": "1899-12-31"}, ("date_of_birth", "date_too_early")),
        ({"date_of_birth": "2026-03-04"}, ("date_of_birth", "date_future")),
        ({"date_of_birth": "2300-01-01"}, ("date_of_birth", "date_future")),
        ({"sex": "f"}, ("sex", "sex")),
        ({"sex": "<"}, ("sex", "sex")),
        ({"nationality": "deu"}, ("nationality", "country_code")),
        ({"nationality": "DE"}, ("nationality", "country_code")),
        ({"nationality": "D"}, ("nationality", "country_code")),
        ({"nationality": "ZZZ"}, ("nationality", "country_code")),
        ({"document_country": "XXA"}, ("document_country", "country_code")),  # not an issuer
        ({"document_type": "visa"}, ("document_type", "document_type")),
        ({"document_number": "c01x00t47"}, ("document_number", "document_number_lowercase")),
        ({"document_number": "C01X00T4/"}, ("document_number", "document_number_characters")),
        ({"document_number": "C01X00TÉ"}, ("document_number", "document_number_characters")),
        ({"document_number": "C01X00T478"}, ("document_number", "document_number_length")),
        ({"document_number": " - "}, ("document_number", "required")),
        ({"status": "citizen"}, ("status", "status")),
        ({"status": "foreign_national", "nationality": "CAN"}, ("status", "status_nationality")),
        ({"status": "foreign_national", "nationality": "USA"}, ("status", "status_nationality")),
        (
            {"status": "permanent_resident_ca", "nationality": "CAN"},
            ("status", "status_nationality"),
        ),
        (
            {"status": "lawful_permanent_resident_us", "nationality": "USA"},
            ("status", "status_nationality"),
        ),
        ({"status": "protected_person", "nationality": "CAN"}, ("status", "status_nationality")),
        ({"event": "exit"}, ("event", "event")),
        ({"event": "land_entry_us", "port_code": "3004"}, ("event", "event_source")),
        ({"occurred_at": "2026-03-02T09:58:00"}, ("occurred_at", "instant_format")),
        ({"occurred_at": "2026-03-02 09:58:00-05:00"}, ("occurred_at", "instant_format")),
        ({"occurred_at": "2026-02-30T09:58:00Z"}, ("occurred_at", "instant_format")),
        ({"occurred_at": "2026-03-02T15:06:00Z"}, ("occurred_at", "instant_future")),
        ({"occurred_at": "2011-03-01T00:00:00Z"}, ("occurred_at", "instant_too_old")),
        ({"port_code": ""}, ("port_code", "port_required")),
        ({"port_code": "CA-XXX"}, ("port_code", "port_unknown")),
        ({"port_code": "3004"}, ("port_code", "port_country")),
        ({"airport_code": "YUL"}, ("airport_code", "airport_for_land_crossing")),
        ({"surname": "Smith\x00"}, ("surname", "control_character")),
        ({"document_number": "C01\nX00"}, ("document_number", "control_character")),
        ({"nationality": 7}, ("nationality", "not_text")),
        ({"port_code": "C" * 65}, ("port_code", "too_long")),
    ],
)
def test_each_bad_value_is_refused_with_its_own_reason(ports, changes, expected):
    assert refusals(ports, **changes) == {expected}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"port_code": "CA-TST"}, {("port_code", "port_for_air_exit")}),
        ({"airport_code": ""}, {("airport_code", "required")}),
        ({"airport_code": "yul"}, {("airport_code", "airport_format")}),
        ({"airport_code": "YULX"}, {("airport_code", "airport_format")}),
    ],
)
def test_an_air_exit_with_a_bad_place_is_refused(ports, changes, expected):
    air = {"event": "air_exit", "port_code": "", "airport_code": "YUL", **changes}
    assert refusals(ports, source=Source.CARRIER_MANIFEST, **air) == expected


def test_a_missing_field_is_required_and_extra_fields_are_ignored(ports):
    row = good_row(extra="ignored")
    del row["nationality"]
    result = record_validate(row, source=CBSA, now=NOW, ports=ports)
    assert [(e.field, e.code) for e in result.errors] == [("nationality", "required")]


def test_a_row_that_is_not_an_object_is_refused(ports):
    result = record_validate(["a", "list"], source=CBSA, now=NOW, ports=ports)
    assert [(e.field, e.code) for e in result.errors] == [("", "row")]


def test_every_error_of_a_row_is_reported_at_once(ports):
    codes = refusals(ports, sex="male", nationality="xx", document_number="ab", port_code="NOPE")
    assert codes == {
        ("sex", "sex"),
        ("nationality", "country_code"),
        ("document_number", "document_number_lowercase"),
        ("port_code", "port_unknown"),
    }


def test_a_crossing_within_the_clock_skew_is_taken(ports):
    soon = (NOW + timedelta(minutes=4)).isoformat()
    assert validate(ports, occurred_at=soon).ok


def test_icao_codes_for_people_and_organisations_are_known(ports):
    assert validate(ports, nationality="XXA", document_country="CHE").ok  # stateless
    assert validate(ports, nationality="XXB", document_country="FRA").ok  # refugee
    assert validate(ports, nationality="GBN", document_country="GBR").ok
    assert validate(ports, nationality="DEU", document_country="UNO").ok


def test_the_passport_limit_is_nine_other_documents_twenty(ports):
    assert validate(ports, document_number="C" * 9).ok
    assert validate(ports, document_type="other", document_number="A" * 20).ok
    assert refusals(ports, document_type="other", document_number="A" * 21) == {
        ("document_number", "document_number_length")
    }


# --- Nothing silently altered ------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"document_number": "c01x00t47"},  # would be upper-cased
        {"document_number": "C01X00T4 7A"},  # would be truncated to nine
        {"document_number": "CO1XOOT47É"},  # would lose the accent
        {"sex": "female"},  # would be read as F
        {"nationality": "GERMANY"},  # would be looked up
        {"nationality": "deu"},
        {"date_of_birth": "84-05-17"},  # would be read as 1984 or 2084
        {"date_of_birth": "1984-02-30"},  # would roll over to March
        {"occurred_at": "2026-03-02T09:58:00"},  # would be taken as UTC
        {"status": "Foreign_National"},
        {"port_code": "ca-tst"},
        {"surname": "Müller2"},  # would lose the digit
    ],
)
def test_a_bad_value_is_refused_never_mended(ports, changes):
    assert not validate(ports, **changes).ok


def test_the_received_names_are_kept_exactly(ports):
    result = validate(ports, surname="de la Peña-O’Neill", given_names="José  María")
    assert result.record["surname"] == "de la Peña-O’Neill"
    assert result.record["given_names"] == "José  María"
    assert result.record["surname_normalised"] == "DE LA PENA ONEILL"
    assert result.record["given_names_normalised"] == "JOSE MARIA"


# --- Reasons: translated, and never the value --------------------------------------------


def test_reasons_are_in_french_in_french(ports):
    with translation.override("fr"):
        result = validate(ports, sex="Q", nationality="ZZZ")
    reasons = {error.code: error.reason for error in result.errors}
    assert reasons == {
        "sex": "Le sexe est M, F ou X.",
        "country_code": "Ce code de pays est inconnu (ni ISO 3166-1 alpha-3 ni OACI 9303).",
    }
    assert all(code in MESSAGES for code in reasons)


def test_a_reason_never_repeats_the_value_it_refuses(ports):
    secret = "ZQ9876543"
    row = good_row(document_number=secret.lower(), surname=f"Bad{secret}", record_id="r 1")
    result = record_validate(row, source=CBSA, now=NOW, ports=ports)
    assert result.errors
    for error in result.errors:
        assert secret.lower() not in str(error.as_dict(line=3)).lower()


def test_as_dict_gives_the_line_field_code_and_reason(ports):
    error = validate(ports, sex="Q").errors[0]
    assert error.as_dict(line=7) == {
        "line": 7,
        "field": "sex",
        "code": "sex",
        "reason": "Sex is M, F or X.",
    }


# --- Storing one row ---------------------------------------------------------------------


def test_a_row_is_stored_once_with_its_purge_date(ports):
    record, created = crossing_record_create(
        row=good_row(), source=CBSA, received_at=NOW, ports=ports
    )
    again, created_again = crossing_record_create(
        row=good_row(), source=CBSA, received_at=NOW + timedelta(hours=1), ports=ports
    )
    assert created and not created_again
    assert again.pk == record.pk
    assert record.purge_on == date(2041, 3, 2)


def test_a_bad_row_is_refused_with_its_errors(ports):
    with pytest.raises(EntryExitError) as refused:
        crossing_record_create(row=good_row(sex="Q"), source=CBSA, received_at=NOW, ports=ports)
    assert refused.value.kind == "invalid"
    assert refused.value.extra["errors"] == [
        {"field": "sex", "code": "sex", "reason": "Sex is M, F or X."}
    ]


def test_the_exchange_doc_lists_every_refusal_code():
    doc = (settings.BASE_DIR / "docs" / "entry_exit_exchange.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", doc, re.MULTILINE))
    assert set(MESSAGES) <= documented
