"""Synthetic entries and exits of the same travellers, with realistic noise and the
ground truth, for the reconciliation's tests, demo data and benchmark.

Built on ``entry_exit.synthetic`` (status categories in a land border's proportions,
nationalities, documents and names that fit them). Each traveller who leaves on ``day``
has entered Canada one to four times in the year before (at Canadian land ports, in the
port's local time), and the exit (a US land entry at a US port, or now and then an air
exit) is recorded with the noise real records carry:

* ``typo``: one letter of the surname or a given name changed, dropped or swapped;
* ``middle``: a middle name left out;
* ``new_document``: a new passport since the last entry (the document changed);
* ``two_documents``: a traveller who carries two documents (a passport and a NEXUS
  card) and crosses on either;
* ``no_entry``: an exit with no entry on record (the entry is older than the records
  kept, or was made where none is recorded).

Entries have their own typos now and then (``ENTRY_TYPO``). The truth: for each exit's
``source_record_id``, the ``source_record_id`` of the traveller's latest entry before it,
or None. Deterministic for a seed. Nothing here touches the database.
"""

import random
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from entry_exit import synthetic as base
from entry_exit.choices import DocumentType, Event, Source, StatusCategory
from entry_exit.names import name_normalise

# Share of exits with each kind of noise (they combine). Tuned so that the share of exits
# with an entry on record is about the public 96 %, and a few per cent of those need the
# name tier or an analyst.
NOISE = {
    "no_entry": 0.035,
    "typo": 0.04,
    "middle": 0.10,
    "new_document": 0.04,
    "two_documents": 0.06,
}
ENTRY_TYPO = 0.01
AIR_EXIT_SHARE = 0.05
AIRPORTS = ("YUL", "YYZ", "YVR", "YYC", "YOW", "YHZ", "YWG", "YEG")
# A second surname (two families' names, "Tremblay-Gagnon", "García Núñez") for this
# share of travellers, a second given name for this share: the names' variety of real
# traffic, which the pools alone would not give.
SECOND_SURNAME = 0.5
SECOND_GIVEN = 0.6
# The pools hold a dozen surnames per nationality where a real population has thousands:
# this share of travellers gets a surname coined from syllables instead, so that two
# travellers with the same names and date of birth are about as rare as in real traffic.
COINED_SURNAME = 0.9
SYLLABLES = tuple(
    [
        "ka",
        "ro",
        "vin",
        "del",
        "mar",
        "to",
        "sa",
        "ber",
        "na",
        "li",
        "an",
        "el",
        "or",
        "us",
        "ti",
        "mo",
        "ra",
        "ge",
        "fa",
        "lo",
        "ha",
        "ne",
        "bri",
        "cos",
        "ta",
        "dur",
        "wen",
        "lan",
        "qui",
        "pe",
        "so",
        "ri",
        "gan",
        "zel",
        "ko",
        "vu",
        "mer",
        "ast",
    ]
)
ENDINGS = ("", "", "", "son", "sen", "ez", "ski", "ian", "ot", "ard", "er", "ing")


def _coined(rng: random.Random) -> str:
    parts = [rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))]
    return ("".join(parts) + rng.choice(ENDINGS)).capitalize()


@lru_cache(maxsize=65536)
def normalised(name: str) -> str:
    return name_normalise(name) if name else ""


@dataclass(frozen=True)
class Identity:
    surname: str
    given_names: str
    date_of_birth: date
    sex: str
    nationality: str
    status: str
    documents: tuple[tuple[str, str, str], ...]  # (type, number, issuing country)


def identity_draw(rng: random.Random, day: date) -> Identity:
    """One traveller entering Canada, as ``entry_exit.synthetic`` draws them, with more
    varied names."""
    categories, cumulative = base._weighted(base.CATEGORY_WEIGHTS["out"])
    status = rng.choices(categories, cum_weights=cumulative)[0]
    nationality = base._nationality(rng, status)
    if status == StatusCategory.REGISTERED_INDIAN and rng.random() < 0.8:
        given_pool, surname_pool = base.FIRST_NATIONS
    else:
        given_pool, surname_pool = base.NAMES[nationality]
    given = rng.choice(given_pool)
    if rng.random() < SECOND_GIVEN:
        given = f"{given} {rng.choice(given_pool)}"
    surname = rng.choice(surname_pool)
    if rng.random() < COINED_SURNAME:
        surname = _coined(rng)
    if rng.random() < SECOND_SURNAME:
        other = rng.choice(surname_pool)
        if other != surname:
            surname = f"{surname}{rng.choice('- ')}{other}"
    documents = [base._document(rng, status, nationality)]
    return Identity(
        surname=surname,
        given_names=given,
        date_of_birth=base._date_of_birth(rng, day),
        sex="X" if rng.random() < 0.003 else rng.choice("MF"),
        nationality=nationality,
        status=str(status),
        documents=tuple((str(kind), number, country) for kind, number, country in documents),
    )


def _typo(rng: random.Random, name: str) -> str:
    letters = [i for i, char in enumerate(name) if char.isalpha()]
    if len(letters) < 4:
        return name
    # Not the first letter: typing slips are rarely there.
    i = rng.choice(letters[1:])
    kind = rng.random()
    if kind < 0.4:
        return name[:i] + rng.choice("AEIOULNRST").lower() + name[i + 1 :]
    if kind < 0.7:
        return name[:i] + name[i + 1 :]
    if i + 1 < len(name) and name[i + 1].isalpha():
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    return name[:i] + name[i + 1 :]


def _with_typo(rng: random.Random, surname: str, given: str) -> tuple[str, str]:
    if rng.random() < 0.6 or not given:
        return _typo(rng, surname), given
    return surname, _typo(rng, given)


def _second_document(rng: random.Random, identity: Identity) -> tuple[str, str, str]:
    kind, _number, country = identity.documents[0]
    if kind == DocumentType.NEXUS_CARD:
        return (
            str(DocumentType.PASSPORT),
            base._passport_number(rng, identity.nationality),
            country,
        )
    return (str(DocumentType.NEXUS_CARD), f"{rng.randrange(10**8, 10**9)}", country)


def crossing(
    identity: Identity,
    *,
    record_id: str,
    event: str,
    at: datetime,
    place: str,
    document: tuple[str, str, str],
    surname: str | None = None,
    given_names: str | None = None,
) -> dict:
    """A crossing record's field values (``port_code`` for a land port)."""
    surname = identity.surname if surname is None else surname
    given = identity.given_names if given_names is None else given_names
    sources: dict[str, Source] = {
        Event.LAND_ENTRY_CANADA: Source.CBSA_PRIMARY,
        Event.LAND_ENTRY_US: Source.US_PARTNER,
        Event.AIR_EXIT: Source.CARRIER_MANIFEST,
    }
    source = sources[event]
    return {
        "surname": surname,
        "given_names": given,
        "surname_normalised": normalised(surname),
        "given_names_normalised": normalised(given),
        "date_of_birth": identity.date_of_birth,
        "sex": identity.sex,
        "nationality": identity.nationality,
        "document_type": document[0],
        "document_number": document[1],
        "document_country": document[2],
        "status": identity.status,
        "event": str(event),
        "occurred_at": at,
        "port_code": "" if event == Event.AIR_EXIT else place,
        "airport_code": place if event == Event.AIR_EXIT else "",
        "source": str(source),
        "source_record_id": record_id,
    }


@dataclass
class World:
    entries: list[dict] = field(default_factory=list)
    exits: list[dict] = field(default_factory=list)
    # exit source_record_id → the expected entry's source_record_id, or None.
    truth: dict[str, str | None] = field(default_factory=dict)
    noise: dict[str, int] = field(default_factory=dict)


def _moment(rng: random.Random, day: date) -> datetime:
    hours, cumulative = base._weighted(dict(enumerate(base.HOUR_WEIGHTS)))
    hour = rng.choices(hours, cum_weights=cumulative)[0]
    return datetime.combine(day, time(hour), tzinfo=UTC) + timedelta(seconds=rng.randrange(3600))


def _local(moment: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    return moment.astimezone(zone)


def reconcile_world(*, travellers: int, seed: int, day: date, prefix: str = "rw") -> World:
    """``travellers`` exits on ``day`` and the entries of the same travellers before it,
    with the noise of ``NOISE`` and the truth (see the module's docstring)."""
    rng = random.Random(f"reconcile:{seed}:{day.isoformat()}")
    canada, united_states = base._ports("out"), base._ports("in")
    world = World(noise=dict.fromkeys(NOISE, 0))
    entry_number = 0
    for index in range(travellers):
        identity = identity_draw(rng, day)
        noise = {kind for kind, share in NOISE.items() if rng.random() < share}
        if "two_documents" in noise:
            identity = Identity(
                **{
                    **identity.__dict__,
                    "documents": (*identity.documents, _second_document(rng, identity)),
                }
            )
        for kind in noise:
            world.noise[kind] += 1
        exit_at = _moment(rng, day)
        # Entries: 1 to 4 in the year before, the latest 0 to 180 days before the exit.
        latest = None
        if "no_entry" not in noise:
            count = rng.choice((1, 1, 2, 2, 3, 4))
            last = exit_at - timedelta(
                days=rng.randrange(0, 181), seconds=rng.randrange(3600, 86400)
            )
            moments = [last] + [
                last - timedelta(days=rng.randrange(1, 185), seconds=rng.randrange(86400))
                for _ in range(count - 1)
            ]
            for at in sorted(moments):
                port, zone = rng.choice(canada)
                entry_number += 1
                record_id = f"{prefix}-{seed}-in-{entry_number:09d}"
                surname, given = identity.surname, identity.given_names
                if rng.random() < ENTRY_TYPO:
                    surname, given = _with_typo(rng, surname, given)
                world.entries.append(
                    crossing(
                        identity,
                        record_id=record_id,
                        event=Event.LAND_ENTRY_CANADA,
                        at=_local(at, zone),
                        place=port,
                        document=rng.choice(identity.documents),
                        surname=surname,
                        given_names=given,
                    )
                )
                latest = record_id
        document = rng.choice(identity.documents)
        if "new_document" in noise:
            kind, _number, country = document
            document = (kind, base._passport_number(rng, identity.nationality), country)
        surname, given = identity.surname, identity.given_names
        if "middle" in noise and " " in given:
            given = given.split(" ")[0]
        if "typo" in noise:
            surname, given = _with_typo(rng, surname, given)
        record_id = f"{prefix}-{seed}-out-{index:09d}"
        if rng.random() < AIR_EXIT_SHARE:
            event, place, at = Event.AIR_EXIT, rng.choice(AIRPORTS), exit_at
        else:
            port, zone = rng.choice(united_states)
            event, place, at = Event.LAND_ENTRY_US, port, _local(exit_at, zone)
        world.exits.append(
            crossing(
                identity,
                record_id=record_id,
                event=event,
                at=at,
                place=place,
                document=document,
                surname=surname,
                given_names=given,
            )
        )
        world.truth[record_id] = latest
    return world


def identities(*, count: int, seed: int, day: date) -> Iterator[Identity]:
    """``count`` other travellers (the background of a year's entries), deterministic."""
    rng = random.Random(f"identities:{seed}:{day.isoformat()}")
    for _ in range(count):
        yield identity_draw(rng, day)
