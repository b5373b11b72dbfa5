"""Checking one raw crossing row, as a feed gives it, before it becomes a record.

``record_validate(row, source=…, ports=…, now=…)`` takes a mapping of field names to
strings (see ``FIELDS``) and returns either the clean values of a ``CrossingRecord`` or
every ``RowError(field, code, reason)`` it found. A bad value is refused with a precise
reason, never mended: nothing is guessed, truncated, re-cased or re-spelt. What is done to
a value, and documented (``docs/entry_exit_exchange.md``):

* codes, dates and times lose surrounding spaces; names are kept exactly as received, and
  their ICAO 9303 forms are added for matching (``entry_exit.names``);
* a document number loses the spaces and hyphens printed between its characters (the
  number compared across feeds); anything else that is not A–Z or 0–9 — a lower-case
  letter included — is refused.

A reason never repeats the value it refuses: reports and logs carry no personal data.

A feed checks many rows against the same source, clock and ports: ``RowChecker`` holds
those once. Its fast path takes a row that is plainly well formed (exact codes, no spaces
to strip, names of plain letters) in one pass; anything else goes through the full check
above, which finds every error. The fast path only ever accepts what the full check
accepts, with the same clean values (``entry_exit/tests/test_validation_fast.py`` checks
it over generated rows); it refuses nothing on its own.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from common.inputs import (
    EARLIEST_DATE,
    LATEST_DATE,
    InputError,
    has_control_characters,
    read_date,
)
from entry_exit.choices import (
    CANADA,
    EVENT_PORT_COUNTRY,
    SOURCE_EVENT,
    UNITED_STATES,
    DocumentType,
    Event,
    Sex,
    Source,
    StatusCategory,
)
from entry_exit.countries import ISSUER_CODES, NATIONALITY_CODES
from entry_exit.models import Port
from entry_exit.names import NAME_MAX_LENGTH, NameRefused, name_normalise

# The fields of a raw row; those in OPTIONAL may be missing or blank.
FIELDS = (
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
)
OPTIONAL = frozenset({"given_names", "port_code", "airport_code"})

# How far ahead of our clock a source's clock may be.
CLOCK_SKEW = timedelta(minutes=5)
# Somewhere on Earth it is already tomorrow: a child born "today" there is not refused.
LATEST_OFFSET = timedelta(hours=14)
PASSPORT_NUMBER_MAX = 9
DOCUMENT_NUMBER_MAX = 20
RAW_MAX_LENGTH = 64  # every field but the names, before anything else is looked at

_RECORD_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}", re.ASCII)
_CODE3 = re.compile(r"[A-Z]{3}", re.ASCII)
_YEAR_FIRST = re.compile(r"([0-9]{4})-[0-9]{2}-[0-9]{2}", re.ASCII)
_INSTANT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
_DOCUMENT_SEPARATORS = re.compile(r"[ -]")
_DOCUMENT_NUMBER = re.compile(r"[A-Z0-9]+", re.ASCII)

# A status category that a document nationality contradicts: a foreign national is
# neither Canadian nor American, a permanent resident is not a citizen of that country.
CONTRADICTIONS: dict[str, frozenset[str]] = {
    StatusCategory.FOREIGN_NATIONAL: frozenset({CANADA, UNITED_STATES}),
    StatusCategory.PERMANENT_RESIDENT_CA: frozenset({CANADA}),
    StatusCategory.LAWFUL_PERMANENT_RESIDENT_US: frozenset({UNITED_STATES}),
    StatusCategory.PROTECTED_PERSON: frozenset({CANADA}),
}

MESSAGES = {
    "row": _("A row is an object whose fields are text."),
    "required": _("This field is required."),
    "not_text": _("Give this field as text."),
    "control_character": _("This field contains a control character."),
    "too_long": _("This field is longer than %(limit)s characters."),
    "record_id": _("A record id is 1 to 64 letters, digits and the characters . _ : -"),
    "name_character": _(
        "This name contains a character with no ICAO 9303 transliteration (a digit, a "
        "symbol, or a script the table does not cover)."
    ),
    "name_empty": _("This name has no letter."),
    "name_too_long": _("This name is longer than %(limit)s characters once transliterated."),
    "date_format": _("Give the date of birth as YYYY-MM-DD, a real calendar date."),
    "date_too_early": _("A date of birth before %(earliest)s is refused."),
    "date_future": _("The date of birth is in the future."),
    "sex": _("Sex is M, F or X."),
    "country_code": _("This is not a known country code (ISO 3166-1 alpha-3 or ICAO 9303)."),
    "document_type": _("Unknown document type."),
    "document_number_lowercase": _(
        "A document number is written in capitals: a lower-case letter is refused, not changed."
    ),
    "document_number_characters": _(
        "A document number has only the letters A–Z and the digits 0–9 (spaces and "
        "hyphens between them are ignored)."
    ),
    "document_number_length": _(
        "This document number is too long: at most %(limit)s letters and digits for this "
        "type of document."
    ),
    "status": _("Unknown status category."),
    "status_nationality": _("This status category contradicts the document nationality."),
    "event": _("Unknown event."),
    "event_source": _("This source does not report this kind of crossing."),
    "instant_format": _(
        "Give the crossing time in ISO 8601 with its UTC offset, e.g. 2026-03-02T10:15:00-05:00."
    ),
    "instant_future": _("The crossing time is in the future."),
    "instant_too_old": _("The crossing is older than the retention period."),
    "port_unknown": _("Unknown port code."),
    "port_country": _("This port is not on the side of the border where this crossing is."),
    "port_for_air_exit": _("An air exit names an airport, not a land port."),
    "port_required": _("A land crossing names its port."),
    "airport_format": _("An airport is a three-letter IATA code in capitals."),
    "airport_for_land_crossing": _("A land crossing names a port, not an airport."),
}


@dataclass(frozen=True)
class RowError:
    """What is wrong with one field of a row: ``code`` for programs, ``reason`` (in the
    language active when it was found) for people. ``field`` is "" for the row itself."""

    field: str
    code: str
    reason: str

    def as_dict(self, *, line: int | None = None) -> dict[str, Any]:
        report = {"field": self.field, "code": self.code, "reason": self.reason}
        return report if line is None else {"line": line, **report}


@dataclass(frozen=True)
class RowResult:
    record: dict[str, Any] | None
    errors: tuple[RowError, ...]

    @property
    def ok(self) -> bool:
        return self.record is not None


class _Refused(Exception):
    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


def row_error(field: str, code: str, **params) -> RowError:
    message = MESSAGES[code]
    return RowError(field, code, str(message % params if params else message))


def years_before(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:  # 29 February
        return moment.replace(year=moment.year - years, day=28)


# --- One field each: the clean value, or _Refused ---------------------------------------


def _code(value: str) -> str:
    return value.strip()


def _record_id(value: str) -> str:
    if not _RECORD_ID.fullmatch(value.strip()):
        raise _Refused("record_id")
    return value.strip()


def _name(value: str) -> str:
    if len(value) > NAME_MAX_LENGTH:
        raise _Refused("too_long", limit=NAME_MAX_LENGTH)
    try:
        return name_normalise(value)
    except NameRefused as refused:
        raise _Refused(refused.code, limit=NAME_MAX_LENGTH) from None


def _date_of_birth(value: str, now: datetime) -> date:
    text = value.strip()
    try:
        day = read_date(text)
    except InputError:
        year = _YEAR_FIRST.fullmatch(text)
        if year and int(year[1]) < EARLIEST_DATE.year:
            raise _Refused("date_too_early", earliest=EARLIEST_DATE.isoformat()) from None
        if year and int(year[1]) > now.year:
            raise _Refused("date_future") from None
        raise _Refused("date_format") from None
    if day > (now.astimezone(UTC) + LATEST_OFFSET).date():
        raise _Refused("date_future")
    return day


# Each choice class's values, computed once: ``TextChoices.values`` builds a new list on
# every access, which was a quarter of an inbound import's time (bench/entry_exit.py).
_CHOICE_VALUES = {
    choices: frozenset(choices.values) for choices in (Sex, DocumentType, StatusCategory, Event)
}


def _choice(value: str, choices, code: str) -> str:
    text = value.strip()
    values = _CHOICE_VALUES.get(choices)
    if text not in (values if values is not None else choices.values):
        raise _Refused(code)
    return text


def _country(value: str, known: frozenset[str]) -> str:
    text = value.strip()
    if not (_CODE3.fullmatch(text) and text in known):
        raise _Refused("country_code")
    return text


def _document_number(value: str, document_type: str | None) -> str:
    number = _DOCUMENT_SEPARATORS.sub("", value.strip())
    if not number:
        raise _Refused("required")
    if not _DOCUMENT_NUMBER.fullmatch(number):
        if _DOCUMENT_NUMBER.fullmatch(number.upper()):
            raise _Refused("document_number_lowercase")
        raise _Refused("document_number_characters")
    limit = PASSPORT_NUMBER_MAX if document_type == DocumentType.PASSPORT else DOCUMENT_NUMBER_MAX
    if len(number) > limit:
        raise _Refused("document_number_length", limit=limit)
    return number


def _instant(value: str, now: datetime) -> datetime:
    text = value.strip()
    if not _INSTANT.fullmatch(text):
        raise _Refused("instant_format")
    try:
        moment = datetime.fromisoformat(text).astimezone(UTC)
    except (ValueError, OverflowError):
        raise _Refused("instant_format") from None
    if moment > now + CLOCK_SKEW:
        raise _Refused("instant_future")
    if moment < years_before(now, settings.ENTRY_EXIT_RETENTION_YEARS):
        raise _Refused("instant_too_old")
    return moment


def _airport(value: str) -> str:
    text = value.strip()
    if not _CODE3.fullmatch(text):
        raise _Refused("airport_format")
    return text


# --- The fast path's tables ----------------------------------------------------------

_FAST_SEX = _CHOICE_VALUES[Sex]
_FAST_DOCUMENT_TYPE = _CHOICE_VALUES[DocumentType]
_FAST_STATUS = _CHOICE_VALUES[StatusCategory]
_FAST_NATIONALITY = frozenset(code for code in NATIONALITY_CODES if _CODE3.fullmatch(code))
_FAST_ISSUER = frozenset(code for code in ISSUER_CODES if _CODE3.fullmatch(code))
_FAST_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_PLAIN_NAME = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)*", re.ASCII)


def _name_or_none(value: str) -> str | None:
    """``_name`` for the fast path: None where the full check is needed."""
    if has_control_characters(value):
        return None
    try:
        return _name(value)
    except _Refused:
        return None


# --- The row -----------------------------------------------------------------------------


def _raw_values(row: Mapping) -> tuple[dict[str, str], list[RowError]]:
    """The row's text fields; errors for a missing, non-text, oversized or control
    character value (a name's limit is its own, checked with the name)."""
    values: dict[str, str] = {}
    errors: list[RowError] = []
    for field in FIELDS:
        value = row.get(field, "")
        if value is None:
            value = ""
        if not isinstance(value, str):
            errors.append(row_error(field, "not_text"))
        elif has_control_characters(value):
            errors.append(row_error(field, "control_character"))
        elif field not in ("surname", "given_names") and len(value) > RAW_MAX_LENGTH:
            errors.append(row_error(field, "too_long", limit=RAW_MAX_LENGTH))
        elif not value.strip() and field not in OPTIONAL:
            errors.append(row_error(field, "required"))
        else:
            values[field] = value
    return values, errors


def record_validate(
    row: Mapping,
    *,
    source: str,
    now: datetime,
    ports: Mapping[str, Port] | None = None,
) -> RowResult:
    """Check one raw row from ``source``, received at ``now``.

    ``ports`` maps port codes to ports (pass it when checking many rows; by default it is
    read from the database). On success ``record`` holds the values of a
    ``CrossingRecord`` (``source_record_id``, names as received and normalised, ``port``
    as a ``Port`` …) except ``received_at``, ``purge_on`` and ``inbound_batch``, which
    the caller sets; otherwise ``errors`` lists every field found wrong. Checking many
    rows: make one ``RowChecker`` and call it on each.
    """
    return RowChecker(source=source, now=now, ports=ports)(row)


class RowChecker:
    """``record_validate`` for many rows from one source at one moment: the source, the
    clock's bounds and the ports are worked out once. ``checker(row)`` gives the same
    ``RowResult`` as ``record_validate(row, …)``."""

    def __init__(
        self, *, source: str, now: datetime, ports: Mapping[str, Port] | None = None
    ) -> None:
        self.source = Source(source).value
        self.event = SOURCE_EVENT[self.source]
        self.now = now
        self.ports = ports if ports is not None else {p.code: p for p in Port.objects.all()}
        # The fast path's bounds, the same as the full check's.
        self.latest_birth = min((now.astimezone(UTC) + LATEST_OFFSET).date(), LATEST_DATE)
        self.latest_instant = now + CLOCK_SKEW
        self.earliest_instant = years_before(now, settings.ENTRY_EXIT_RETENTION_YEARS)
        land = self.event != Event.AIR_EXIT
        self.port_country = EVENT_PORT_COUNTRY.get(self.event) if land else None
        # Names repeat across a feed (surnames most of all): each is worked out once per
        # checker, that is per batch — kept no longer than the batch it came in.
        self._names: dict[str, str | None] = {}

    def _plain_name(self, value) -> str | None:
        """A name's normalised form, or None where the full check is needed (not text,
        blank, refused). Plain ASCII letters in words one space apart are their own
        form, upper-cased."""
        if type(value) is not str or len(value) > NAME_MAX_LENGTH:
            return None
        if _PLAIN_NAME.fullmatch(value):
            return value.upper()
        try:
            return self._names[value]
        except KeyError:
            normalised = self._names[value] = _name_or_none(value)
            return normalised

    def __call__(self, row: Mapping) -> RowResult:
        if type(row) is dict:
            clean = self._fast(row)
            if clean is not None:
                return RowResult(clean, ())
        return self._full(row)

    def _fast(self, row: dict) -> dict[str, Any] | None:
        """The clean values of a plainly well-formed row, or None: check it in full."""
        get = row.get
        record_id = get("record_id")
        surname = get("surname")
        given_names = get("given_names")
        birth = get("date_of_birth")
        sex = get("sex")
        nationality = get("nationality")
        document_type = get("document_type")
        number = get("document_number")
        issuer = get("document_country")
        status = get("status")
        event = get("event")
        instant = get("occurred_at")
        port_code = get("port_code")
        airport_code = get("airport_code")
        # Text first: a list or an object is not looked up in a set (unhashable).
        if not (
            type(sex) is type(nationality) is type(document_type) is str
            and type(issuer) is type(status) is str
            and event == self.event
            and type(record_id) is str
            and _RECORD_ID.fullmatch(record_id)
            and sex in _FAST_SEX
            and nationality in _FAST_NATIONALITY
            and document_type in _FAST_DOCUMENT_TYPE
            and issuer in _FAST_ISSUER
            and status in _FAST_STATUS
            and nationality not in CONTRADICTIONS.get(status, ())
            and type(number) is str
            and _DOCUMENT_NUMBER.fullmatch(number)
            and len(number)
            <= (
                PASSPORT_NUMBER_MAX
                if document_type == DocumentType.PASSPORT
                else DOCUMENT_NUMBER_MAX
            )
            and type(birth) is str
            and len(birth) == 10
            and _FAST_DATE.fullmatch(birth)
            and type(instant) is str
            and _INSTANT.fullmatch(instant)
        ):
            return None
        surname_normalised = self._plain_name(surname)
        if not surname_normalised:
            return None
        given_names_normalised: str | None
        if given_names is None or given_names == "":
            given_names, given_names_normalised = "", ""
        else:
            given_names_normalised = self._plain_name(given_names)
            if not given_names_normalised:
                return None
        try:
            born = date.fromisoformat(birth)
            moment = datetime.fromisoformat(instant).astimezone(UTC)
        except (ValueError, OverflowError):
            return None
        if not (
            EARLIEST_DATE <= born <= self.latest_birth
            and self.earliest_instant <= moment <= self.latest_instant
        ):
            return None
        if self.port_country is None:  # an air exit: an airport, no port
            if port_code not in (None, "") or type(airport_code) is not str:
                return None
            if not _CODE3.fullmatch(airport_code):
                return None
            port = None
        else:
            if airport_code not in (None, "") or type(port_code) is not str:
                return None
            port = self.ports.get(port_code)
            if port is None or port.country != self.port_country:
                return None
            airport_code = ""
        return {
            "source": self.source,
            "source_record_id": record_id,
            "surname_normalised": surname_normalised,
            "given_names_normalised": given_names_normalised,
            "surname": surname,
            "given_names": given_names,
            "date_of_birth": born,
            "sex": sex,
            "nationality": nationality,
            "document_type": document_type,
            "document_number": number,
            "document_country": issuer,
            "status": status,
            "event": event,
            "occurred_at": moment,
            "port": port,
            "airport_code": airport_code,
        }

    def _full(self, row: Mapping) -> RowResult:
        """Every check, every error: the reference the fast path agrees with."""
        if not isinstance(row, Mapping):
            return RowResult(None, (row_error("", "row"),))
        values, errors = _raw_values(row)
        clean: dict[str, Any] = {"source": self.source}

        def check(field: str, target: str, function, *args) -> None:
            if field not in values:
                return
            try:
                clean[target] = function(values[field], *args)
            except _Refused as refused:
                errors.append(row_error(field, refused.code, **refused.params))

        check("record_id", "source_record_id", _record_id)
        check("surname", "surname_normalised", _name)
        if values.get("given_names", "").strip():
            check("given_names", "given_names_normalised", _name)
        else:
            clean["given_names_normalised"] = ""
        for field in ("surname", "given_names"):
            if field in values:
                clean[field] = values[field]
        check("date_of_birth", "date_of_birth", _date_of_birth, self.now)
        check("sex", "sex", _choice, Sex, "sex")
        check("nationality", "nationality", _country, NATIONALITY_CODES)
        check("document_type", "document_type", _choice, DocumentType, "document_type")
        check("document_number", "document_number", _document_number, clean.get("document_type"))
        check("document_country", "document_country", _country, ISSUER_CODES)
        check("status", "status", _choice, StatusCategory, "status")
        check("event", "event", _choice, Event, "event")
        check("occurred_at", "occurred_at", _instant, self.now)

        status, nationality = clean.get("status"), clean.get("nationality")
        if status and nationality and nationality in CONTRADICTIONS.get(status, ()):
            errors.append(row_error("status", "status_nationality"))
        event = clean.get("event")
        if event and SOURCE_EVENT[clean["source"]] != event:
            errors.append(row_error("event", "event_source"))
        if event:
            refused = {error.field for error in errors}
            errors.extend(
                error
                for error in _place(event, values, clean, self.ports)
                if error.field not in refused
            )

        if errors:
            return RowResult(None, tuple(errors))
        return RowResult(clean, ())


def _place(event: str, values: dict[str, str], clean: dict, ports) -> list[RowError]:
    """A land crossing names a known port on its side of the border; an air exit names
    an airport."""
    port_code = _code(values.get("port_code", ""))
    airport_code = values.get("airport_code", "")
    if event == Event.AIR_EXIT:
        errors = [row_error("port_code", "port_for_air_exit")] if port_code else []
        if not airport_code.strip():
            return [*errors, row_error("airport_code", "required")]
        try:
            clean["airport_code"] = _airport(airport_code)
        except _Refused as refused:
            errors.append(row_error("airport_code", refused.code))
        clean["port"] = None
        return errors
    errors = [row_error("airport_code", "airport_for_land_crossing")] if airport_code else []
    if not port_code:
        return [*errors, row_error("port_code", "port_required")]
    port = ports.get(port_code)
    if port is None:
        errors.append(row_error("port_code", "port_unknown"))
    elif port.country != EVENT_PORT_COUNTRY[event]:
        errors.append(row_error("port_code", "port_country"))
    clean["port"], clean["airport_code"] = port, ""
    return errors
