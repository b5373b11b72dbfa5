"""Synthetic crossing feeds for the demo data, tests and the benchmark.

``crossing_rows(count=…, seed=…, direction=…, day=…)`` yields rows in the exchange format
(``entry_exit.exchange_format``: the record lines a partner sends), deterministic for a
seed: the same arguments give the same rows, byte for byte once written, so a batch
generated again is the same batch (same record ids, same batch id, same checksum).

* ``direction="in"``: the US partner's land entries (exits from Canada), source
  ``us_partner``, at US ports; ``"out"``: CBSA primary inspection's land entries into
  Canada, source ``cbsa_primary``, at Canadian ports — the records the outbound exchange
  chooses from.
* Every status category, in proportions close to a land border's (citizens of the two
  countries most of the traffic, a few per cent residents and foreign nationals, Registered
  Indians and protected persons rare), with nationalities and documents that fit the
  category: a Canadian citizen's passport, NEXUS card or enhanced driver's licence, a
  permanent resident's card issued by the country of residence, a protected person's
  refugee travel document issued by Canada. Some permanent residents carry the other
  North American nationality (a US citizen resident in Canada), which phase 1 keeps home.
* Names from several languages as travellers' documents spell them: French and
  Scandinavian accents, ß, Ø, Æ, Polish and Icelandic letters, Cyrillic as written and as
  transliterated — every one of them has an ICAO 9303 form.
* The ports are the reference file's (``data/ports.json``), the crossings spread over the
  UTC day (busier in daytime), written in the port's local time with its UTC offset.
* ``bad_share``: that share of rows is spoilt on purpose, each in one way the validation
  refuses (``BAD_KINDS``).

Nothing here touches the database.
"""

import hashlib
import random
import zoneinfo
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from entry_exit import exchange_format
from entry_exit.choices import CANADA, UNITED_STATES, DocumentType, Event, StatusCategory
from entry_exit.reference import reference_rows

DIRECTIONS = ("in", "out")
# Who sends a file of each direction (its header's sender) and what it records.
DIRECTION_SENDER = {"in": "CBP", "out": exchange_format.SENDER}
DIRECTION_EVENT = {"in": Event.LAND_ENTRY_US, "out": Event.LAND_ENTRY_CANADA}
DIRECTION_PORT_COUNTRY = {"in": "US", "out": "CA"}

C = StatusCategory
# Share of each category, per direction (per mille). Into Canada: mostly Canadians
# coming home; into the US: rather more Americans.
CATEGORY_WEIGHTS = {
    "out": {
        C.CANADIAN_CITIZEN: 590,
        C.US_CITIZEN: 280,
        C.PERMANENT_RESIDENT_CA: 45,
        C.LAWFUL_PERMANENT_RESIDENT_US: 20,
        C.FOREIGN_NATIONAL: 50,
        C.REGISTERED_INDIAN: 9,
        C.PROTECTED_PERSON: 6,
    },
    "in": {
        C.CANADIAN_CITIZEN: 430,
        C.US_CITIZEN: 440,
        C.PERMANENT_RESIDENT_CA: 40,
        C.LAWFUL_PERMANENT_RESIDENT_US: 25,
        C.FOREIGN_NATIONAL: 50,
        C.REGISTERED_INDIAN: 9,
        C.PROTECTED_PERSON: 6,
    },
}

# Names as documents of each nationality print them (given names, surnames). Every one
# has an ICAO 9303 form (``entry_exit.names``); the tests check it.
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "CAN": (
        (
            "Marie-Ève",
            "François",
            "Zoë",
            "Liam",
            "Olivia",
            "Noah",
            "Émilie",
            "Jean-Luc",
            "Chloé",
            "Gurpreet",
            "Mei",
            "Aiden",
            "Amélie",
            "Mathéo",
        ),
        (
            "Tremblay",
            "Gagnon",
            "Côté",
            "Bélanger",
            "Smith",
            "MacDonald",
            "Nguyen",
            "Singh",
            "O'Connor",
            "Bouchard",
            "Lévesque",
            "Wong",
            "St. Pierre",
            "Fortin-Leclerc",
        ),
    ),
    "USA": (
        (
            "James",
            "Emily",
            "Michael",
            "Sofía",
            "Daniel",
            "Ava",
            "José",
            "Madison",
            "Ethan",
            "Grace",
            "Renée",
            "Tyler",
        ),
        (
            "Johnson",
            "Williams",
            "García",
            "O'Brien",
            "Nowak",
            "Martínez",
            "Brown",
            "Miller",
            "Davis",
            "Rodríguez",
            "Anderson",
            "McAllister",
        ),
    ),
    "FRA": (
        ("Hélène", "Benoît", "Maëlle", "Théo", "Léa", "Raphaël"),
        ("Lefèvre", "Dubois", "Girard", "Moreau", "Fontaine", "Lemaître"),
    ),
    "DEU": (
        ("Jürgen", "Björn", "Lena", "Jörg", "Anneliese", "Günther"),
        ("Müller", "Schröder", "Weiß", "Groß", "Köhler", "Straßburger"),
    ),
    "NOR": (
        ("Søren", "Åse", "Ingrid", "Øystein", "Bjørg"),
        ("Sørensen", "Øvergaard", "Ødegård", "Håland", "Bækken"),
    ),
    "ISL": (
        ("Guðrún", "Þór", "Sigríður", "Ævar"),
        ("Þórsdóttir", "Guðmundsson", "Jónsdóttir", "Ólafsson"),
    ),
    "POL": (
        ("Łukasz", "Małgorzata", "Paweł", "Zofia"),
        ("Wiśniewski", "Łęcka", "Kowalczyk", "Żółkiewski"),
    ),
    "RUS": (
        ("Алексей", "Наталья", "Yulia", "Dmitry", "Юрий", "Ekaterina"),
        ("Иванов", "Смирнова", "Kuznetsov", "Щербакова", "Sokolov", "Жуков"),
    ),
    "UKR": (
        ("Олександр", "Oksana", "Андрій", "Iryna"),
        ("Шевченко", "Kovalenko", "Бондаренко", "Tkachenko"),
    ),
    "MEX": (
        ("José Luis", "María José", "Andrés", "Ximena"),
        ("Núñez", "Peña", "Hernández", "Ramírez"),
    ),
    "IND": (
        ("Priya", "Arjun", "Ananya", "Rohan"),
        ("Patel", "Sharma", "Iyer", "Reddy"),
    ),
    "CHN": (
        ("Wei", "Xiaoling", "Jun", "Yan"),
        ("Wang", "Li", "Zhang", "Liu"),
    ),
    "PHL": (
        ("Maria Cristina", "Jose", "Angelica", "Mark Anthony"),
        ("Santos", "dela Cruz", "Reyes", "Bautista"),
    ),
    "NGA": (
        ("Chidi", "Ngozi", "Oluwaseun", "Adaeze"),
        ("Okafor", "Adebayo", "Eze", "Nwosu"),
    ),
    "GBR": (
        ("Oliver", "Amelia", "Siobhán", "Rhys"),
        ("Taylor", "Evans", "Ó Súilleabháin", "Fitzgerald-Hughes"),
    ),
    "SYR": (
        ("Omar", "Layla", "Yusuf", "Rania"),
        ("Al-Hassan", "Haddad", "Khoury", "Nassar"),
    ),
    "AFG": (
        ("Ahmad", "Farida", "Karim"),
        ("Rahimi", "Popal", "Noori"),
    ),
    "ERI": (
        ("Yonas", "Selam", "Tesfay"),
        ("Gebremariam", "Tesfamichael", "Haile"),
    ),
    "COL": (
        ("Camilo", "Valentina", "Sebastián"),
        ("Gómez", "Muñoz", "Ospina"),
    ),
    "VNM": (
        ("Minh", "Thảo", "Anh"),
        ("Nguyễn", "Trần", "Phạm"),
    ),
}
# First Nations names on a Secure Certificate of Indian Status (Latin script).
FIRST_NATIONS: tuple[tuple[str, ...], tuple[str, ...]] = (
    ("Tanis", "Cheyenne", "Shawn", "Autumn", "Dakota"),
    ("Whitehorse", "Bearchief", "Deschambeault", "Sinclair", "Cardinal", "Thomas"),
)

# Nationalities of each category where it is not fixed, weighted by repetition.
FOREIGN = (
    "MEX",
    "IND",
    "CHN",
    "PHL",
    "GBR",
    "FRA",
    "DEU",
    "NOR",
    "ISL",
    "POL",
    "RUS",
    "UKR",
    "NGA",
    "VNM",
    "COL",
    "MEX",
    "IND",
    "GBR",
    "CHN",
    "FRA",
)
PROTECTED = ("SYR", "AFG", "ERI", "COL", "UKR", "NGA")
# A permanent resident of one country who is a citizen of the other (phase 1 keeps them
# home): this share of each resident category.
OTHER_NORTH_AMERICAN_SHARE = 0.1

# Ways to spoil a row, each refused by ``entry_exit.validation``.
BAD_KINDS = (
    "document_number_lowercase",
    "port_unknown",
    "port_country",
    "date_future",
    "country_code",
    "name_character",
    "status_nationality",
    "date_format",
    "status",
    "required",
)

# How busy each UTC hour is (relative). Traffic peaks in North American daytime,
# 14:00-23:00 UTC, and is thin at night.
HOUR_WEIGHTS = (3, 2, 2, 1, 1, 1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 10, 10, 10, 9, 8, 6, 4)


def _weighted(weights: dict) -> tuple[list, list[int]]:
    values = list(weights)
    running, total = [], 0
    for value in values:
        total += weights[value]
        running.append(total)
    return values, running


def _ports(direction: str) -> list[tuple[str, zoneinfo.ZoneInfo]]:
    country = DIRECTION_PORT_COUNTRY[direction]
    return [
        (row["code"], zoneinfo.ZoneInfo(row["time_zone"]))
        for row in reference_rows()
        if row["country"] == country
    ]


def _passport_number(rng: random.Random, nationality: str) -> str:
    if nationality == UNITED_STATES:
        return f"{rng.randrange(10**8, 10**9)}"  # nine digits
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return f"{rng.choice(letters)}{rng.choice(letters)}{rng.randrange(10**6, 10**7)}"


def _document(rng: random.Random, category: str, nationality: str) -> tuple[str, str, str]:
    """(type, number, issuing country) that fit the category and nationality."""
    draw = rng.random()
    if category in (C.CANADIAN_CITIZEN, C.US_CITIZEN):
        if draw < 0.55:
            return DocumentType.PASSPORT, _passport_number(rng, nationality), nationality
        if draw < 0.75:
            return DocumentType.NEXUS_CARD, f"{rng.randrange(10**8, 10**9)}", nationality
        if draw < 0.88 or nationality == CANADA:
            number = f"{rng.choice('ABDEFGHKLMNPS')}{rng.randrange(10**11, 10**12)}"
            return DocumentType.ENHANCED_DRIVERS_LICENCE, number, nationality
        return DocumentType.PASSPORT_CARD, f"C{rng.randrange(10**7, 10**8)}", nationality
    if category == C.REGISTERED_INDIAN:
        if draw < 0.7:  # Secure Certificate of Indian Status: a 10-digit registry number
            return DocumentType.OTHER, f"{rng.randrange(10**9, 10**10)}", CANADA
        return DocumentType.PASSPORT, _passport_number(rng, CANADA), CANADA
    if category == C.PROTECTED_PERSON:  # refugee travel document, issued by Canada
        return DocumentType.OTHER, f"R{rng.randrange(10**7, 10**8)}", CANADA
    if category == C.PERMANENT_RESIDENT_CA and draw < 0.4:
        return DocumentType.PERMANENT_RESIDENT_CARD, f"PA{rng.randrange(10**7, 10**8)}", CANADA
    if category == C.LAWFUL_PERMANENT_RESIDENT_US and draw < 0.4:
        number = f"{rng.choice('EIMLSW')}{rng.randrange(10**8, 10**9)}"
        return DocumentType.PERMANENT_RESIDENT_CARD, number, UNITED_STATES
    return DocumentType.PASSPORT, _passport_number(rng, nationality), nationality


def _nationality(rng: random.Random, category: str) -> str:
    if category in (C.CANADIAN_CITIZEN, C.REGISTERED_INDIAN):
        return CANADA
    if category == C.US_CITIZEN:
        return UNITED_STATES
    if category == C.PROTECTED_PERSON:
        return rng.choice(PROTECTED)
    if category == C.PERMANENT_RESIDENT_CA and rng.random() < OTHER_NORTH_AMERICAN_SHARE:
        return UNITED_STATES
    if category == C.LAWFUL_PERMANENT_RESIDENT_US and rng.random() < OTHER_NORTH_AMERICAN_SHARE:
        return CANADA
    return rng.choice(FOREIGN)


def _date_of_birth(rng: random.Random, day: date) -> date:
    # Travellers from newborn to 95; most between 20 and 70.
    age_days = int(rng.triangular(0, 95 * 365.25, 42 * 365.25))
    return day - timedelta(days=age_days + 1)


def batch_id(*, seed: int, direction: str, day: date, first: int = 0) -> int:
    """The header's batch id: stable for the same arguments, from 1 to 2^62."""
    key = f"{seed}:{direction}:{day.isoformat()}:{first}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") % 2**62 + 1


def record_id(*, seed: int, direction: str, day: date, index: int) -> str:
    return f"{_record_id_prefix(seed, direction, day)}{index:09d}"


def _record_id_prefix(seed: int, direction: str, day: date) -> str:
    return f"syn-{direction}-{day.strftime('%Y%m%d')}-{seed}-"


# Rows are drawn in blocks of this many, each block from its own generator seeded from
# (seed, direction, day, block): a row does not depend on where a call starts.
BLOCK_ROWS = 1_000


def crossing_rows(
    *,
    count: int,
    seed: int,
    direction: str = "in",
    day: date,
    bad_share: float = 0.0,
    first: int = 0,
) -> Iterator[dict]:
    """``count`` record rows of crossings on the UTC ``day`` (see the module's docstring).

    ``first`` is the index of the first row: rows ``first`` to ``first + count - 1`` of
    a seed and day are the same whichever call makes them, so a large feed can be written
    in several batches. A spoilt row carries ``"_bad": kind`` until ``record_lines``
    drops it (the tests use it; a feed never has that field).
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction is one of {DIRECTIONS}")
    if not 0 <= bad_share <= 1:
        raise ValueError("bad_share is between 0 and 1")
    ports = _ports(direction)
    categories, category_cum = _weighted(CATEGORY_WEIGHTS[direction])
    hours, hour_cum = _weighted(dict(enumerate(HOUR_WEIGHTS)))
    event = str(DIRECTION_EVENT[direction])
    midnight = datetime.combine(day, time(0), tzinfo=UTC)
    prefix = _record_id_prefix(seed, direction, day)
    wrong_side_port = _ports("out" if direction == "in" else "in")[0][0]
    rng = random.Random()
    block = None
    # Every row of a block is drawn, the ones before ``first`` too (and dropped), so that
    # row n is the same whichever call makes it.
    for index in range(first - first % BLOCK_ROWS, first + count):
        if index // BLOCK_ROWS != block:
            block = index // BLOCK_ROWS
            rng.seed(f"{seed}:{direction}:{day.isoformat()}:{block}")
        category = rng.choices(categories, cum_weights=category_cum)[0]
        nationality = _nationality(rng, category)
        if category == C.REGISTERED_INDIAN and rng.random() < 0.8:
            given_pool, surname_pool = FIRST_NATIONS
        else:
            given_pool, surname_pool = NAMES[nationality]
        given = rng.choice(given_pool)
        if rng.random() < 0.25:
            given = f"{given} {rng.choice(given_pool)}"
        document_type, document_number, document_country = _document(rng, category, nationality)
        port_code, zone = rng.choice(ports)
        hour = rng.choices(hours, cum_weights=hour_cum)[0]
        moment = midnight + timedelta(hours=hour, seconds=rng.randrange(3600))
        sex = "X" if rng.random() < 0.003 else rng.choice("MF")
        row = {
            "type": "record",
            "record_id": f"{prefix}{index:09d}",
            "surname": rng.choice(surname_pool),
            "given_names": given,
            "date_of_birth": _date_of_birth(rng, day).isoformat(),
            "sex": sex,
            "nationality": nationality,
            "document_type": str(document_type),
            "document_number": document_number,
            "document_country": document_country,
            "status": str(category),
            "event": event,
            "occurred_at": moment.astimezone(zone).isoformat(),
            "port_code": port_code,
        }
        if bad_share and rng.random() < bad_share:
            _spoil(rng, row, day, wrong_side_port)
        if index >= first:
            yield row


def _spoil(rng: random.Random, row: dict, day: date, wrong_side_port: str) -> None:
    kind = rng.choice(BAD_KINDS)
    row["_bad"] = kind
    if kind == "document_number_lowercase":
        row["document_number"] = "ab" + row["document_number"][2:]
    elif kind == "port_unknown":
        row["port_code"] = "XX-NOWHERE"
    elif kind == "port_country":
        row["port_code"] = wrong_side_port
    elif kind == "date_future":
        row["date_of_birth"] = (day + timedelta(days=400)).isoformat()
    elif kind == "country_code":
        row["nationality"] = "ZZZ"
    elif kind == "name_character":
        row["surname"] = row["surname"] + "3"
    elif kind == "status_nationality":
        row["status"], row["nationality"] = str(C.FOREIGN_NATIONAL), CANADA
    elif kind == "date_format":
        row["date_of_birth"] = row["date_of_birth"].replace("-", "/")
    elif kind == "status":
        row["status"] = "tourist"
    elif kind == "required":
        row["surname"] = " "


def record_lines(rows) -> bytes:
    """The record lines of a file, as ``exchange_format`` writes them."""
    lines = []
    for row in rows:
        row.pop("_bad", None)
        lines.append(exchange_format.line(row))
    return b"".join(lines)


def batch_file(
    *,
    count: int,
    seed: int,
    direction: str = "in",
    day: date,
    bad_share: float = 0.0,
    first: int = 0,
) -> bytes:
    """A whole batch file: its header (sender, a stable batch id, the count and the
    records' SHA-256) and ``count`` record lines from ``crossing_rows``."""
    body = record_lines(
        crossing_rows(
            count=count,
            seed=seed,
            direction=direction,
            day=day,
            bad_share=bad_share,
            first=first,
        )
    )
    header = exchange_format.header_line(
        batch_id=batch_id(seed=seed, direction=direction, day=day, first=first),
        phase=1,
        created_at=datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC),
        records=count,
        digest=exchange_format.sha256(body),
    )
    header["sender"] = DIRECTION_SENDER[direction]
    return exchange_format.line(header) + body
