"""Real-shaped PAXLST interchanges for the tests."""

from datetime import UTC, datetime

from entry_exit.manifests import paxlst

# The passenger published in the design note (ENTRY_EXIT.md), as published.
PUBLISHED_PASSENGER = (
    "NAD+FL+++SURNAME:GIVEN:MIDDLE'ATT+2++M'DTM+329:771019'LOC+178+DXB'LOC+179+IAD'"
    "NAT+2+USA'DOC+P+823632598'DTM+36:150430'LOC+91+USA'"
)
# After that flight: the records are made after departure.
NOW = datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def passenger(
    surname="TREMBLAY",
    given="MARIE:EVE",
    *,
    sex="F",
    born="850317",
    nationality="CAN",
    document="P+AB1234567",
    country=None,
    qualifier="FL",
) -> str:
    return (
        f"NAD+{qualifier}+++{surname}:{given}'ATT+2++{sex}'DTM+329:{born}'"
        f"NAT+2+{nationality}'DOC+{document}'DTM+36:310430'LOC+91+{country or nationality}'"
    )


def message(
    travellers: list[str],
    *,
    reference="1",
    flight="AC856",
    airline="AC",
    departure="YYZ",
    departs="2603021340",
    arrival="LHR",
    document_code="745",
    count: int | None = None,
    unt_count: int | None = None,
    edit=None,
) -> str:
    """A message; ``edit`` changes its text before UNT counts the segments."""
    segments = [
        f"UNH+{reference}+PAXLST:D:02B:UN:IATA'",
        f"BGM+{document_code}'",
        "NAD+MS+++OPERATIONS'",
        f"TDT+20+{flight}+++{airline}'",
        f"LOC+125+{departure}'",
        f"DTM+189:{departs}:201'",
        f"LOC+87+{arrival}'",
        "DTM+232:2603030200:201'",
    ]
    body = "".join(segments) + "".join(travellers)
    qualifier = "41" if document_code == "250" else "42"
    body += f"CNT+{qualifier}:{len(travellers) if count is None else count}'"
    if edit is not None:
        body = edit(body)
    total = len(paxlst._split(body, "'", "?"))  # the segments so far, and UNT
    return body + f"UNT+{total if unt_count is None else unt_count}+{reference}'"


def interchange(
    messages: list[str],
    *,
    reference="1001",
    prepared="260303:0900",
    una="UNA:+.? '",
    count: int | None = None,
) -> bytes:
    text = (
        una
        + f"UNB+UNOA:4+AC:ZZ+CBSAEXIT:ZZ+{prepared}+{reference}'"
        + "".join(messages)
        + f"UNZ+{len(messages) if count is None else count}+{reference}'"
    )
    return text.encode("ascii")
