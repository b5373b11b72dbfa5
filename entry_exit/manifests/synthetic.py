"""Synthetic PAXLST interchanges for the demo data, the tests and the benchmark.

``paxlst_interchange(seed=…, day=…, flights=…, passengers=…)`` gives the bytes of one
interchange: ``flights`` passenger-list messages (and, with ``crew``, a crew list per
flight), each a departure from a Canadian airport on ``day`` to an airport abroad,
deterministic for its arguments — the same call gives the same bytes, so a file generated
again is the same interchange. The travellers' names are the land generator's
(``entry_exit.synthetic.NAMES``), written as a machine-readable zone would print them
(ICAO 9303: capitals, no accents) but keeping apostrophes, which the release character
then escapes (``O?'BRIEN``). Nationalities lean to Canadians, then Americans, then the
land generator's foreign nationalities; every traveller has a passport. Nothing here
touches the database.
"""

import random
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from entry_exit.manifests.airports import CANADIAN_AIRPORTS
from entry_exit.names import name_normalise
from entry_exit.synthetic import FOREIGN, NAMES

# Departures weighted by how busy the airport is.
DEPARTURES = {"YYZ": 8, "YVR": 5, "YUL": 5, "YYC": 3, "YEG": 1, "YOW": 1, "YHZ": 1, "YWG": 1}
ARRIVALS = ("LHR", "CDG", "FRA", "JFK", "LAX", "ORD", "MEX", "CUN", "NRT", "ICN", "DEL", "BOG")
NATIONALITY_WEIGHTS = {"CAN": 55, "USA": 15, "FOREIGN": 30}
SERVICE = "UNA:+.? '"


def escape(text: str) -> str:
    """A value as EDIFACT writes it: the service characters released with ``?``."""
    for mark in "?':+":
        text = text.replace(mark, "?" + mark)
    return text


def _mrz_name(name: str) -> str:
    """A name as a passport's machine-readable zone prints it, apostrophes kept."""
    return "'".join(name_normalise(part) for part in name.split("'") if part.strip(" .-"))


def _person(rng: random.Random, day: date) -> dict:
    pick = rng.choices(list(NATIONALITY_WEIGHTS), weights=list(NATIONALITY_WEIGHTS.values()))[0]
    nationality = rng.choice(FOREIGN) if pick == "FOREIGN" else pick
    given_pool, surname_pool = NAMES[nationality]
    born = day - timedelta(days=int(rng.triangular(2 * 365, 90 * 365, 40 * 365)))
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    if nationality == "USA":
        number = f"{rng.randrange(10**8, 10**9)}"
    else:
        number = f"{rng.choice(letters)}{rng.choice(letters)}{rng.randrange(10**6, 10**7)}"
    return {
        "surname": _mrz_name(rng.choice(surname_pool)),
        "given": _mrz_name(rng.choice(given_pool)),
        "middle": _mrz_name(rng.choice(given_pool)) if rng.random() < 0.25 else "",
        "sex": rng.choice("MF"),
        "born": born,
        "nationality": nationality,
        "number": number,
        "expires": day + timedelta(days=rng.randrange(200, 3650)),
    }


def _traveller_segments(person: dict, qualifier: str) -> list[str]:
    name = f"{escape(person['surname'])}:{escape(person['given'])}"
    if person["middle"]:
        name += f":{escape(person['middle'])}"
    return [
        f"NAD+{qualifier}+++{name}",
        f"ATT+2++{person['sex']}",
        f"DTM+329:{person['born']:%y%m%d}",
        f"NAT+2+{person['nationality']}",
        f"DOC+P+{person['number']}",
        f"DTM+36:{person['expires']:%y%m%d}",
        f"LOC+91+{person['nationality']}",
    ]


def _message(
    *, reference: str, airline: str, flight: str, kind: str, people: list[dict], leg: dict
) -> list[str]:
    qualifier, code, count = ("FM", "250", "41") if kind == "crew" else ("FL", "745", "42")
    segments = [
        f"UNH+{reference}+PAXLST:D:02B:UN:IATA",
        f"BGM+{code}",
        f"NAD+MS+++{airline} OPERATIONS",
        f"TDT+20+{flight}+++{airline}",
        f"LOC+125+{leg['from']}",
        f"DTM+189:{leg['departs']:%y%m%d%H%M}:201",
        f"LOC+87+{leg['to']}",
        f"DTM+232:{leg['arrives']:%y%m%d%H%M}:201",
    ]
    for person in people:
        segments += _traveller_segments(person, qualifier)
    segments.append(f"CNT+{count}:{len(people)}")
    segments.append(f"UNT+{len(segments) + 1}+{reference}")
    return segments


def paxlst_interchange(
    *,
    seed: int,
    day: date,
    flights: int,
    passengers: int,
    crew: int = 0,
    airline: str = "AC",
    reference: int | None = None,
    prepared_at: datetime | None = None,
) -> bytes:
    """One interchange of ``flights`` departures from Canada on ``day`` (see the module's
    docstring). ``reference``: UNB's control reference (by default one drawn from the
    seed and day); ``prepared_at``: UNB's time of preparation (by default the next
    midnight, UTC)."""
    rng = random.Random(f"paxlst:{seed}:{day.isoformat()}:{airline}")
    airports, weights = list(DEPARTURES), list(DEPARTURES.values())
    reference = reference if reference is not None else rng.randrange(10**8, 10**9)
    prepared_at = prepared_at or datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
    segments = [
        f"UNB+UNOA:4+{airline}:ZZ+CBSAEXIT:ZZ+{prepared_at:%y%m%d:%H%M}+{reference}",
    ]
    messages = 0
    for index in range(flights):
        origin = rng.choices(airports, weights=weights)[0]
        zone = zoneinfo.ZoneInfo(CANADIAN_AIRPORTS[origin])
        departs = datetime.combine(day, time(6), tzinfo=zone) + timedelta(
            minutes=5 * rng.randrange(0, 16 * 12)
        )
        leg = {
            "from": origin,
            "to": rng.choice(ARRIVALS),
            "departs": departs,
            "arrives": departs + timedelta(minutes=rng.randrange(120, 840)),
        }
        flight = f"{airline}{100 + index}"
        lists = [("passenger", passengers)] + ([("crew", crew)] if crew else [])
        for kind, count in lists:
            messages += 1
            people = [_person(rng, day) for _ in range(count)]
            segments += _message(
                reference=str(messages),
                airline=airline,
                flight=flight,
                kind=kind,
                people=people,
                leg=leg,
            )
    segments.append(f"UNZ+{messages}+{reference}")
    return (SERVICE + "".join(segment + "'\n" for segment in segments)).encode("ascii")
