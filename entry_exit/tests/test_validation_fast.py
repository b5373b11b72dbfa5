"""The fast path of ``RowChecker``: it only ever accepts what the full check accepts,
with the same clean values, and it does take the plain rows a feed is made of."""

from datetime import UTC, date, datetime, timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from entry_exit.choices import Source
from entry_exit.models import Port
from entry_exit.reference import reference_rows
from entry_exit.synthetic import crossing_rows
from entry_exit.validation import RowChecker

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
# Unsaved ports: the checker only reads their code and country.
PORTS = {
    "CA-TST": Port(code="CA-TST", country="CA"),
    "3004": Port(code="3004", country="US"),
}

GOOD = {
    Source.CBSA_PRIMARY: {"event": "land_entry_canada", "port_code": "CA-TST"},
    Source.US_PARTNER: {"event": "land_entry_us", "port_code": "3004"},
    Source.CARRIER_MANIFEST: {"event": "air_exit", "airport_code": "YUL"},
}


def good_row(source: str) -> dict:
    return {
        "record_id": "rec-2026-0001",
        "surname": "Tremblay",
        "given_names": "Anne Sophie",
        "date_of_birth": "1984-05-17",
        "sex": "F",
        "nationality": "FRA",
        "document_type": "passport",
        "document_number": "C01X00T47",
        "document_country": "FRA",
        "status": "foreign_national",
        "occurred_at": "2026-03-02T09:58:00-05:00",
        **GOOD[source],
    }


def checker(source: str) -> RowChecker:
    return RowChecker(source=source, now=NOW, ports=PORTS)


# Values that are nearly right, or right in a way only the full check knows.
AWKWARD = st.one_of(
    st.none(),
    st.just(""),
    st.just(" "),
    st.integers(-(2**70), 2**70),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=1),
    st.text(max_size=12),
    st.sampled_from(
        [
            " F",
            "f",
            "X",
            "CAN",
            "USA",
            "can",
            "D",
            "XXA",
            "EUE",
            "RKS",
            "passport",
            "nexus_card",
            "canadian_citizen",
            "us_citizen",
            "protected_person",
            "permanent_resident_canada",
            "air_exit",
            "land_entry_us",
            "land_entry_canada",
            "CA-TST",
            "3004",
            " 3004",
            "YUL",
            "yul",
            "C01 X00-T47",
            "c01x00t47",
            "1234567890",
            "ABCDEFGHIJKLMNOPQRSTU",
            "1899-12-31",
            "1900-01-01",
            "2026-03-03",
            "2026-03-04",
            "2024-02-29",
            "2023-02-29",
            "2026-W10-1",
            " 1984-05-17",
            "2026-03-02T15:04:59+00:00",
            "2026-03-02T15:05:01+00:00",
            "2026-03-02T10:05:00-05:00",
            "2011-03-02T15:00:00Z",
            "2011-03-02T14:59:59Z",
            "2026-03-02T09:58:00.123456-05:00",
            "2026-02-30T09:58:00-05:00",
            "Müller-Lüdenscheidt",
            "O'Brien",
            "ÆSA ØRSTED",
            "Жуков",
            "Anne  Sophie",
            " Anne",
            "Anne ",
            "A" * 201,
            "ﬁsh",
            "Ann3",
            "李",
            "Anne\x00",
            "\u00a0Anne",
        ]
    ),
)


@settings(max_examples=600, deadline=None)
@given(
    source=st.sampled_from(list(GOOD)),
    changes=st.dictionaries(
        st.sampled_from(
            [
                "record_id",
                "surname",
                "given_names",
                "date_of_birth",
                "sex",
                "nationality",
                "document_type",
                "document_number",
                "document_country",
                "status",
                "event",
                "occurred_at",
                "port_code",
                "airport_code",
            ]
        ),
        AWKWARD,
        max_size=4,
    ),
    dropped=st.sets(st.sampled_from(["given_names", "port_code", "airport_code", "sex"])),
)
def test_the_fast_path_accepts_only_what_the_full_check_accepts(source, changes, dropped):
    row = {**good_row(source), **changes}
    for name in dropped:
        row.pop(name, None)
    check = checker(source)
    fast = check._fast(row)
    full = check._full(row)
    event("fast path" if fast is not None else "full check: " + ("ok" if full.ok else "refused"))
    if fast is not None:
        assert full.ok, full.errors
        assert fast == full.record
        assert [type(value) for value in fast.values()] == [
            type(full.record[name]) for name in fast
        ]
    assert check(row) == (full if fast is None else check(row))
    assert check(row).ok == full.ok


def test_a_plain_row_takes_the_fast_path_for_every_source():
    for source in GOOD:
        check = checker(source)
        assert check._fast(good_row(source)) == check._full(good_row(source)).record


def test_names_with_accents_and_apostrophes_take_it_too():
    check = checker(Source.CBSA_PRIMARY)
    row = {**good_row(Source.CBSA_PRIMARY), "surname": "D'Árcy-Müller", "given_names": ""}
    fast = check._fast(row)
    assert fast is not None
    assert fast["surname_normalised"] == "DARCY MUELLER"
    assert fast == check._full(row).record


def test_a_refused_row_is_still_refused_with_every_reason():
    check = checker(Source.CBSA_PRIMARY)
    row = {**good_row(Source.CBSA_PRIMARY), "sex": "f", "document_number": "c01"}
    assert check._fast(row) is None
    result = check(row)
    assert {(error.field, error.code) for error in result.errors} == {
        ("sex", "sex"),
        ("document_number", "document_number_lowercase"),
    }


def test_a_synthetic_feed_is_plain_enough_for_the_fast_path():
    """The generated feeds (the bench's, the demo's) are what a clean feed looks like:
    nearly every row is taken by the fast path and agrees with the full check."""
    ports = {
        row["code"]: Port(code=row["code"], country=row["country"]) for row in reference_rows()
    }
    for source, direction in ((Source.US_PARTNER, "in"), (Source.CBSA_PRIMARY, "out")):
        check = RowChecker(source=source, now=NOW, ports=ports)
        rows = list(
            crossing_rows(
                count=300, seed=3, direction=direction, day=NOW.date() - timedelta(days=1)
            )
        )
        fast = 0
        for row in rows:
            row.pop("type", None)
            result = check._fast(row)
            if result is not None:
                fast += 1
                assert result == check._full(row).record
        assert fast >= 0.9 * len(rows)


NAME_LETTERS = "AaBbZzÉéÜüÆøŁ'’ .-,Жжßﬁ\u0301"


@settings(max_examples=400, deadline=None)
@given(
    source=st.sampled_from(list(GOOD)),
    surname=st.text(alphabet=NAME_LETTERS, max_size=8),
    given_names=st.one_of(st.none(), st.text(alphabet=NAME_LETTERS, max_size=8)),
    born=st.dates(date(1895, 1, 1), date(2026, 3, 5)),
    minutes_ago=st.one_of(st.integers(-10, 60 * 24), st.integers(-10, 16 * 366 * 24 * 60)),
    offset=st.sampled_from(["Z", "+00:00", "-05:00", "+14:00", "-12:00"]),
)
def test_plausible_rows_agree_with_the_full_check(
    source, surname, given_names, born, minutes_ago, offset
):
    """Rows a real feed could send — names with accents and apostrophes, any date of
    birth, a crossing from the future to past the retention period."""
    from datetime import timezone

    hours, minutes = (0, 0) if offset == "Z" else (int(offset[:3]), int(offset[4:]))
    zone = timezone(timedelta(hours=hours, minutes=minutes if hours >= 0 else -minutes))
    moment = (NOW - timedelta(minutes=minutes_ago)).astimezone(zone)
    text = moment.isoformat()
    row = {
        **good_row(source),
        "surname": surname,
        "given_names": given_names,
        "date_of_birth": born.isoformat(),
        "occurred_at": text[:-6] + "Z" if offset == "Z" else text,
    }
    check = checker(source)
    fast, full = check._fast(row), check._full(row)
    event("fast path" if fast is not None else "full check: " + ("ok" if full.ok else "refused"))
    if fast is not None:
        assert full.ok and fast == full.record
