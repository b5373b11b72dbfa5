"""Reading PAXLST: the syntax, the segments, and where a fault is."""

from datetime import date, datetime

import pytest

from entry_exit.manifests import paxlst
from entry_exit.manifests.tests.messages import (
    PUBLISHED_PASSENGER,
    interchange,
    message,
    passenger,
)


def read(body: bytes) -> paxlst.Interchange:
    return paxlst.interchange_read(body)


def refused(body: bytes) -> paxlst.Fault:
    with pytest.raises(paxlst.Fault) as caught:
        paxlst.interchange_read(body)
    return caught.value


def test_it_reads_the_published_example():
    result = read(interchange([message([PUBLISHED_PASSENGER])]))

    assert result.faults == []
    assert result.reference == "1001" and result.sender == "AC"
    assert result.prepared_at == datetime(2026, 3, 3, 9, 0)
    (manifest,) = result.messages
    assert manifest.flight_number == "AC856" and manifest.carrier_code == "AC"
    assert manifest.departure_airport == "YYZ" and manifest.arrival_airport == "LHR"
    assert manifest.departure_local == datetime(2026, 3, 2, 13, 40)
    assert manifest.arrival_local == datetime(2026, 3, 3, 2, 0)
    assert manifest.list_kind == paxlst.PASSENGER
    (person,) = manifest.travellers
    assert person.role == paxlst.PASSENGER
    assert (person.surname, person.given_names) == ("SURNAME", "GIVEN MIDDLE")
    assert person.sex == "M"
    assert person.date_of_birth == "1977-10-19"
    assert person.nationality == "USA"
    assert (person.document_type, person.document_number) == ("passport", "823632598")
    assert person.document_expiry == date(2015, 4, 30)
    assert person.document_country == "USA"
    # UNH is segment 1: BGM 2, NAD+MS 3, TDT 4, LOC 5, DTM 6, LOC 7, DTM 8, NAD+FL 9.
    assert person.segments == {
        "NAD": 9,
        "ATT": 10,
        "DTM329": 11,
        "NAT": 14,
        "DOC": 15,
        "LOC91": 17,
    }


def test_the_release_character_makes_service_characters_plain_text():
    body = interchange([message([passenger("O?'BRIEN", "ANNE?+MARIE:J??")])])

    (person,) = read(body).messages[0].travellers

    assert person.surname == "O'BRIEN"
    assert person.given_names == "ANNE+MARIE J?"


def test_una_names_other_service_characters():
    text = interchange([message([passenger("O?'BRIEN")])], una="UNA|*.! ~").decode()
    # Rewrite the same interchange with the UNA's characters.
    swapped = (
        text[9:]
        .replace("?'", "\x00")
        .replace("'", "~")
        .replace("+", "*")
        .replace(":", "|")
        .replace("\x00", "'")
    )
    (person,) = read(("UNA|*.! ~" + swapped).encode()).messages[0].travellers
    assert person.surname == "O'BRIEN" and person.given_names == "MARIE EVE"


def test_line_breaks_between_segments_are_ignored():
    body = interchange([message([PUBLISHED_PASSENGER])]).replace(b"'", b"'\r\n")
    assert len(read(body).messages[0].travellers) == 1


def test_it_reads_several_messages_in_one_interchange():
    body = interchange(
        [
            message([passenger(), passenger("GAGNON")], reference="1"),
            message([passenger("SMITH")], reference="2", flight="AC857"),
            message([passenger("WONG", qualifier="FM")], reference="3", document_code="250"),
        ]
    )
    result = read(body)
    assert [m.reference for m in result.messages] == ["1", "2", "3"]
    assert [len(m.travellers) for m in result.messages] == [2, 1, 1]
    assert result.message_count == 3


def test_crew_and_passengers_are_told_apart():
    result = read(
        interchange(
            [
                message([passenger(), passenger("GAGNON")]),
                message([passenger("WONG", qualifier="FM")], reference="2", document_code="250"),
            ]
        )
    )
    passengers, crew = result.messages
    assert passengers.list_kind == "passenger" and crew.list_kind == "crew"
    assert {t.role for t in passengers.travellers} == {"passenger"}
    assert [t.role for t in crew.travellers] == ["crew"]


def test_a_malformed_message_is_refused_with_its_place_and_the_others_are_kept():
    body = interchange(
        [
            message([passenger()], reference="1"),
            message([passenger("GAGNON")], reference="2", unt_count=99),
            message([passenger("SMITH")], reference="3"),
        ]
    )
    result = read(body)

    assert [m.reference for m in result.messages] == ["1", "3"]
    (fault,) = result.faults
    report = fault.as_dict()
    # UNH, BGM, NAD, TDT, LOC, DTM, LOC, DTM, 7 traveller segments, CNT: UNT is 17.
    assert report["message"] == "2"
    assert (report["segment"], report["tag"], report["element"]) == (17, "UNT", 1)
    assert report["code"] == "unt_count"
    assert report["offset"] == body.decode().index("UNT+99")


def test_a_bad_date_is_refused_at_its_segment_and_element():
    bad = message([passenger()], departs="2613021340")
    (fault,) = read(interchange([bad])).faults
    assert (fault.segment, fault.tag, fault.element, fault.component) == (6, "DTM", 1, 2)
    assert fault.code == "date_time"


def test_a_message_without_its_departure_airport_is_refused():
    bad = message([passenger()], edit=lambda text: text.replace("LOC+125+YYZ'", ""))
    (fault,) = read(interchange([bad])).faults
    assert fault.code == "missing_segment" and fault.tag == "LOC+125"


def test_a_control_count_that_differs_refuses_the_message():
    (fault,) = read(interchange([message([passenger(), passenger()], count=3)])).faults
    assert fault.code == "control_count" and fault.tag == "CNT" and fault.segment == 23


def test_a_traveller_segment_before_any_traveller_is_out_of_place():
    bad = message([passenger()], edit=lambda text: text.replace("TDT+20", "ATT+2++M'TDT+20"))
    (fault,) = read(interchange([bad])).faults
    assert fault.code == "segment_order" and fault.tag == "ATT"


def test_a_message_with_no_unt_is_refused_and_the_next_one_read():
    first = message([passenger()], reference="1")
    first = first[: first.index("UNT+")]
    result = read(interchange([first, message([passenger()], reference="2")]))
    assert [m.reference for m in result.messages] == ["2"]
    assert result.faults[0].code == "unt_missing"


@pytest.mark.parametrize(
    ("body", "code", "tag"),
    [
        (b"", "empty", ""),
        (b"UNH+1+PAXLST'UNT+2+1'", "unb", "UNH"),
        (interchange([message([passenger()])], count=2), "unz_count", "UNZ"),
        (
            interchange([message([passenger()])]).replace(b"UNZ+1+1001", b"UNZ+1+9"),
            "unz_reference",
            "UNZ",
        ),
        (interchange([message([passenger()])]).replace(b"UNZ+1+1001'", b""), "unz_missing", "UNZ"),
        (interchange([message([passenger()])], una="UNA:+"), "una", "UNA"),
        (
            interchange([message([passenger()])]).replace(b"UNOA", b"XXXX"),
            "syntax_identifier",
            "UNB",
        ),
        (interchange([message([passenger()])]) + b"BGM+745'", "unz_missing", "UNZ"),
        (
            interchange([message([passenger()])]).replace(b"UNZ+", b"BGM+745'UNZ+"),
            "outside_message",
            "BGM",
        ),
        (
            interchange([message([passenger()])]).replace(b"UNZ+1+1001'", b"UNZ+1+1001?"),
            "release_at_end",
            "UNZ",
        ),
        ("UNB+UNOA:4+AC+X+260303:0900+1'UNZ+0+1'NAD+FL+++Ü'".encode("latin-1"), "encoding", ""),
    ],
)
def test_an_envelope_fault_refuses_the_interchange(body, code, tag):
    fault = refused(body)
    assert fault.code == code
    assert fault.tag == tag
    assert fault.as_dict()["reason"]


def test_a_two_digit_birth_year_is_never_after_the_flight():
    body = interchange([message([passenger(born="251231"), passenger(born="260401")])])
    born = [t.date_of_birth for t in read(body).messages[0].travellers]
    assert born == ["2025-12-31", "1926-04-01"]


def test_a_visa_is_passed_over_for_the_travel_document():
    person = passenger(document="V+V123").replace("LOC+91+CAN'", "") + "DOC+P+AB7654321'LOC+91+CAN'"
    (traveller,) = read(interchange([message([person])])).messages[0].travellers
    assert (traveller.document_type, traveller.document_number) == ("passport", "AB7654321")


def test_functional_groups_are_read_and_counted():
    text = interchange([message([passenger()]), message([passenger()], reference="2")]).decode()
    head, rest = text.split("UNH+1", 1)
    body, _trailer = ("UNH+1" + rest).split("UNZ+", 1)
    grouped = head + "UNG+PAXLST+AC+CBSA+260303:0900+77+UN+D:02B'" + body + "UNE+2+77'"
    result = read((grouped + "UNZ+1+1001'").encode())
    assert [m.reference for m in result.messages] == ["1", "2"]
    # UNZ counts the groups; UNE counts its messages.
    assert refused((grouped + "UNZ+2+1001'").encode()).code == "unz_count"
    wrong_count = grouped.replace("UNE+2+77", "UNE+3+77")
    assert refused((wrong_count + "UNZ+1+1001'").encode()).code == "group"
