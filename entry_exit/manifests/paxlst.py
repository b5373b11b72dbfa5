"""Reading a UN/EDIFACT PAXLST interchange: the syntax and the segments read, in one place.

The syntax (ISO 9735, as the WCO/IATA/ICAO API guidelines use it):

* an optional ``UNA`` service string advice names the six service characters (component
  and element separators, decimal mark, release character, reserved, segment
  terminator); without it the defaults ``:+.? '`` apply;
* the release character (``?``) makes the next character plain text: ``O?'BRIEN`` is
  O'BRIEN, ``??`` a question mark; a release character that releases nothing (at the end
  of a segment) is a fault;
* line breaks between segments are ignored (carriers' files often have them);
* the interchange is ``UNB`` … ``UNZ``, optionally with ``UNG`` … ``UNE`` groups, holding
  messages ``UNH`` … ``UNT``. ``UNZ`` counts the messages (or the groups), ``UNE`` the
  messages of its group, ``UNT`` the segments of its message, ``UNH`` and ``UNT``
  included, and each trailer repeats its header's reference.

What is refused, and how much (message-level independence, as a CONTRL response would
answer): a fault in the envelope — ``UNA``, ``UNB``, ``UNG``/``UNE``, ``UNZ`` and their
counts and references, a segment outside any message, text not in the interchange's
character set — refuses the **interchange**; a fault inside a message — its ``UNT``
count or reference, a segment out of place, a required segment or element missing, a
date that is not one, a ``CNT`` control count that differs — refuses **that message**
only, and the other messages are read. Every fault carries its message reference, the
segment's number in its message (``UNH`` is 1, as ``UNT`` counts; outside a message, in
the interchange, ``UNB`` is 1), its tag, the element and component position (1-based,
after the tag) and the segment's character offset in the file. A value that is
well-formed EDIFACT but not a valid record (an unknown nationality, a name with a digit)
is not judged here: the traveller's row goes to ``entry_exit.validation`` like every
feed's, and its refusal is reported at the segment the field came from
(``FIELD_POSITION``).

The PAXLST segments read (everything else in a message — ``RFF``, ``COM``, ``FTX``,
``LOC+178/179/22/174`` … — is allowed and passed over):

======================  =============================================================
``BGM``                 the list: 745 passengers, 250 or 336 crew (element 1)
``TDT+20``              the flight: its number (element 2), the carrier (element 5)
``LOC+125`` ``DTM+189`` departure airport; departure date-time, local (YYMMDDHHMM)
``LOC+87`` ``DTM+232``  arrival airport; arrival date-time, local
``NAD+FL`` / ``NAD+FM`` a passenger / a crew member: surname, given name, middle names
``ATT+2``               sex (M, F; U and X become X)
``DTM+329``             date of birth (YYMMDD, or CCYYMMDD with format 102)
``NAT+2``               nationality
``DOC``                 document type and number (a visa, ``DOC+V``, is passed over)
``DTM+36``              the document's expiry (checked as a date, not kept)
``LOC+91``              the document's issuing country
``CNT+42`` / ``CNT+41`` control counts of passengers / crew members, when sent
======================  =============================================================
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

PASSENGER = "passenger"
CREW = "crew"
ROLES = {"FL": PASSENGER, "FM": CREW}
CREW_LIST_CODES = frozenset({"250", "336"})
# DOC element 1: the document types the records know; any other document is "other".
# A visa is not a travel document: a traveller's visa is passed over.
DOCUMENT_TYPES = {"P": "passport", "PP": "passport", "39": "passport", "IP": "passport_card"}
VISA = "V"
SEX = {"M": "M", "F": "F", "U": "X", "X": "X"}
# The character sets UNB's syntax identifier may name, and how to decode them.
SYNTAX_ENCODINGS = {
    "UNOA": "ascii",
    "UNOB": "ascii",
    "UNOC": "latin-1",
    "UNOD": "iso8859-2",
    "UNOE": "iso8859-5",
    "UNOF": "iso8859-7",
    "UNOW": "utf-8",
    "UNOY": "utf-8",
}
DEFAULT_SERVICE = ":+.? '"
# DTM formats (code list 2379): YYMMDD, CCYYMMDD, YYMMDDHHMM, CCYYMMDDHHMM.
_FORM_LENGTH = {"101": 6, "102": 8, "201": 10, "203": 12}
_FORM_BY_LENGTH = {length: form for form, length in _FORM_LENGTH.items()}

# Where each field of a traveller's record comes from: (segment key, element, component),
# for reporting a refused row at its place in the message.
FIELD_POSITION = {
    "record_id": ("NAD", 1, 1),
    "surname": ("NAD", 4, 1),
    "given_names": ("NAD", 4, 2),
    "sex": ("ATT", 3, 1),
    "date_of_birth": ("DTM329", 1, 2),
    "nationality": ("NAT", 2, 1),
    "status": ("NAT", 2, 1),  # the status category is read from the nationality
    "document_type": ("DOC", 1, 1),
    "document_number": ("DOC", 2, 1),
    "document_country": ("LOC91", 2, 1),
    "occurred_at": ("DTM189", 1, 2),
    "airport_code": ("LOC125", 2, 1),
    "event": ("NAD", 1, 1),
    "port_code": ("NAD", 1, 1),
}

MESSAGES = {
    "empty": _("The file is empty."),
    "encoding": _(
        "The interchange is not text in the character set its UNB syntax identifier names "
        "(UNOA, UNOB, UNOC … UNOW)."
    ),
    "una": _(
        "The UNA service string advice is incomplete or names the same character for two purposes."
    ),
    "unb": _("The interchange does not start with a UNB segment (after an optional UNA)."),
    "unb_element": _(
        "UNB lacks a required element: syntax identifier, sender, recipient, date and time "
        "of preparation (YYMMDD:HHMM) or control reference."
    ),
    "syntax_identifier": _("UNB names a syntax identifier this service does not read."),
    "unz_missing": _("The interchange does not end with a UNZ segment."),
    "unz_reference": _("UNZ's control reference differs from UNB's."),
    "unz_count": _("UNZ's count differs from the messages (or groups) in the interchange."),
    "group": _("A UNG … UNE group is not closed, or its UNE count or reference is wrong."),
    "outside_message": _("This segment stands outside any message."),
    "release_at_end": _("A release character ends this segment: it releases nothing."),
    "tag": _("This segment's tag is not three capital letters or digits."),
    "unt_missing": _("The message has no UNT: another message or the end came first."),
    "unt_count": _("UNT's segment count differs from the segments from UNH to UNT."),
    "unt_reference": _("UNT's message reference differs from UNH's."),
    "message_type": _("The message is not a PAXLST (UNH message identifier)."),
    "missing_segment": _("A required segment is missing from the message."),
    "segment_order": _("This segment is out of place in a PAXLST message."),
    "element_missing": _("A required element of this segment is empty."),
    "party": _("NAD's party qualifier is not FL (passenger), FM (crew member) or MS."),
    "date_time": _(
        "This date or time is not a real one in the format its qualifier names (YYMMDD, "
        "YYMMDDHHMM, CCYYMMDD or CCYYMMDDHHMM)."
    ),
    "control_count": _("CNT's count differs from the passengers or crew members listed."),
}


class Fault(Exception):
    """A fault in the interchange or in one message, and where it is."""

    def __init__(
        self,
        code: str,
        *,
        segment: int | None = None,
        tag: str = "",
        element: int | None = None,
        component: int | None = None,
        offset: int | None = None,
        message: str = "",
    ) -> None:
        super().__init__(code)
        self.code = code
        self.segment, self.tag, self.element, self.component = segment, tag, element, component
        self.offset, self.message = offset, message

    def as_dict(self) -> dict[str, Any]:
        """The fault as reported: where it is, a code and a reason; never a value."""
        return {
            "message": self.message,
            "segment": self.segment,
            "tag": self.tag,
            "element": self.element,
            "component": self.component,
            "offset": self.offset,
            "field": "",
            "code": self.code,
            "reason": str(MESSAGES[self.code]),
        }


@dataclass(frozen=True)
class Delimiters:
    component: str = ":"
    element: str = "+"
    release: str = "?"
    segment: str = "'"


@dataclass(slots=True)
class Segment:
    tag: str
    # The elements after the tag: as sent, split into components when read (most are
    # read once, most have one component); a segment with released characters has its
    # elements split and unescaped already, as lists of components.
    elements: list[str] | list[list[str]]
    offset: int  # characters from the start of the file
    separator: str = ":"  # the component separator
    number: int = 0  # in its message (UNH is 1), or in the interchange outside one

    def components(self, element: int) -> list[str]:
        """Element ``element``'s components (1-based, after the tag); [] if it is absent."""
        if element > len(self.elements):
            return []
        found = self.elements[element - 1]
        return found if isinstance(found, list) else found.split(self.separator)

    def value(self, element: int, component: int = 1) -> str:
        """Element ``element``'s component ``component`` (1-based, after the tag), or ""."""
        if element > len(self.elements):
            return ""
        found = self.elements[element - 1]
        if component == 1 and not isinstance(found, list):
            end = found.find(self.separator)
            return found if end < 0 else found[:end]
        parts = found if isinstance(found, list) else found.split(self.separator)
        return parts[component - 1] if component <= len(parts) else ""

    def require(self, element: int, component: int = 1, *, message: str = "") -> str:
        text = self.value(element, component)
        if not text:
            raise self.fault("element_missing", element, component, message=message)
        return text

    def fault(self, code: str, element=None, component=None, *, message: str = "") -> Fault:
        return Fault(
            code,
            segment=self.number,
            tag=self.tag,
            element=element,
            component=component,
            offset=self.offset,
            message=message,
        )


@dataclass
class Traveller:
    role: str
    position: int  # 1-based, in its message
    surname: str = ""
    given_names: str = ""
    sex: str = ""
    date_of_birth: str = ""
    nationality: str = ""
    document_type: str = ""
    document_number: str = ""
    document_country: str = ""
    document_expiry: date | None = None
    # The segment number each part came from ("NAD", "ATT", "DTM329", "NAT", "DOC", "LOC91").
    segments: dict[str, int] = field(default_factory=dict)


@dataclass
class Message:
    reference: str  # UNH 0062
    segment_count: int
    document_code: str = ""  # BGM 1001
    flight_number: str = ""
    carrier_code: str = ""
    departure_airport: str = ""
    departure_local: datetime | None = None
    arrival_airport: str = ""
    arrival_local: datetime | None = None
    travellers: list[Traveller] = field(default_factory=list)
    segments: dict[str, int] = field(default_factory=dict)  # "LOC125", "DTM189", …
    offset: int = 0

    @property
    def list_kind(self) -> str:
        return CREW if self.document_code in CREW_LIST_CODES else PASSENGER


@dataclass
class Interchange:
    syntax: str
    sender: str
    recipient: str
    prepared_at: datetime  # UNB's date and time of preparation (UTC, as the guidelines ask)
    reference: str  # UNB 0020
    messages: list[Message]
    faults: list[Fault]  # the messages refused, one fault each
    message_count: int


# --- The syntax -------------------------------------------------------------------------


def _split(text: str, separator: str, release: str | None) -> list[str]:
    """``text`` split at each ``separator`` the release character does not release (one
    preceded by an odd number of release characters is released)."""
    pieces = text.split(separator)
    if not release or release not in text:
        return pieces
    joined: list[str] = []
    pending: str | None = None
    for piece in pieces:
        if pending is not None:
            piece = pending + separator + piece
            pending = None
        if piece.endswith(release) and (len(piece) - len(piece.rstrip(release))) % 2:
            pending = piece
            continue
        joined.append(piece)
    if pending is not None:
        joined.append(pending)  # a release character at the very end: see release_at_end
    return joined


_UNESCAPE: dict[str, re.Pattern] = {}


def _unescape(text: str, release: str | None) -> str:
    if not release or release not in text:
        return text
    pattern = _UNESCAPE.get(release)
    if pattern is None:
        pattern = _UNESCAPE[release] = re.compile(f"{re.escape(release)}(.)", re.S)
    return pattern.sub(r"\1", text)


_TAG = re.compile(r"[A-Z0-9]{3}", re.ASCII)


def _segments(text: str, start: int, marks: Delimiters) -> list[Segment]:
    """Every segment of the interchange (``text`` from offset ``start``, after any UNA),
    its elements and components unescaped."""
    release, element, component = marks.release, marks.element, marks.component
    segments = []
    offset = start
    raw_segments = _split(text[start:], marks.segment, release)
    last = len(raw_segments) - 1
    for index, raw in enumerate(raw_segments):
        here = offset
        offset += len(raw) + 1
        stripped = raw.lstrip("\r\n")
        here += len(raw) - len(stripped)
        if index == last:
            # Text after the last terminator is not a segment. A release character that
            # swallowed the terminator is the fault; otherwise UNZ is found missing.
            if stripped.strip() and release and stripped.endswith(release):
                raise Fault("release_at_end", tag=stripped[:3], offset=here)
            break
        if not stripped.strip():
            continue
        elements: list[str] | list[list[str]]
        if release and release in stripped:
            elements = [
                [_unescape(part, release) for part in _split(piece, component, release)]
                for piece in _split(stripped, element, release)
            ]
            tag = elements[0][0] if len(elements[0]) == 1 else ""
        else:
            elements = stripped.split(element)
            tag = elements[0]
        if not _TAG.fullmatch(tag):
            raise Fault("tag", offset=here)
        segments.append(Segment(tag, elements[1:], here, component))
    return segments


def _delimiters(text: str) -> tuple[Delimiters, int]:
    """The service characters, and where the segments start."""
    if not text.startswith("UNA"):
        service, start = DEFAULT_SERVICE, 0
    else:
        service, start = text[3:9], 9
        if len(service) < 6:
            raise Fault("una", tag="UNA", offset=0)
    component, element, _decimal, release, _reserved, segment = tuple(service)
    release = "" if release == " " else release
    used = [component, element, segment] + ([release] if release else [])
    if len(set(used)) != len(used) or any(mark in "\r\n" for mark in used):
        raise Fault("una", tag="UNA", offset=0)
    return Delimiters(component, element, release, segment), start


def _decode(body: bytes) -> str:
    if not body.strip():
        raise Fault("empty")
    # The syntax identifier is ASCII in every syntax: find it before decoding.
    head = body[:512].decode("ascii", errors="replace")
    found = re.search(r"UNB.([A-Z]{4})", head)
    encoding = SYNTAX_ENCODINGS.get(found[1]) if found else "ascii"
    if encoding is None:
        raise Fault("syntax_identifier", tag="UNB")
    try:
        return body.decode(encoding)
    except UnicodeDecodeError:
        raise Fault("encoding") from None


def _stamp(segment: Segment, element: int, *, message: str = "") -> datetime:
    """UNB/UNG's date (YYMMDD or CCYYMMDD) and time (HHMM) of preparation."""
    day, clock = segment.value(element, 1), segment.value(element, 2)
    text = day + clock
    try:
        if len(day) == 6:
            return datetime.strptime("20" + text, "%Y%m%d%H%M")
        return datetime.strptime(text, "%Y%m%d%H%M")
    except ValueError:
        raise segment.fault("unb_element", element, message=message) from None


def interchange_read(body: bytes) -> Interchange:
    """Read an interchange: every good message, one ``Fault`` for each message refused.

    Raises ``Fault`` when the envelope itself is at fault (the interchange is refused).
    """
    text = _decode(body)
    marks, start = _delimiters(text)
    segments = _segments(text, start, marks)
    for number, segment in enumerate(segments, start=1):
        segment.number = number
    if not segments or segments[0].tag != "UNB":
        raise Fault("unb", segment=1, tag=segments[0].tag if segments else "", offset=start)
    unb = segments[0]
    syntax = unb.value(1, 1)
    if not all(unb.value(position) for position in (1, 2, 3, 4, 5)) or not unb.value(4, 2):
        raise unb.fault("unb_element")
    if syntax not in SYNTAX_ENCODINGS:
        raise unb.fault("syntax_identifier", 1, 1)
    prepared_at = _stamp(unb, 4)
    reference = unb.value(5)
    unz = segments[-1]
    if len(segments) < 2 or unz.tag != "UNZ":
        raise Fault("unz_missing", segment=len(segments) + 1, tag="UNZ", offset=len(text))
    if unz.value(2) != reference:
        raise unz.fault("unz_reference", 2)

    messages: list[Message] = []
    faults: list[Fault] = []
    groups = message_count = 0
    group: tuple[Segment, int] | None = None  # the open UNG and its messages so far
    index = 1
    body_segments = segments[1:-1]
    while index - 1 < len(body_segments):
        segment = body_segments[index - 1]
        if segment.tag == "UNG":
            if group is not None:
                raise segment.fault("group")
            group, groups = (segment, 0), groups + 1
            index += 1
        elif segment.tag == "UNE":
            if group is None or segment.value(2) != group[0].value(5):
                raise segment.fault("group")
            if segment.value(1) != str(group[1]):
                raise segment.fault("group", 1)
            group = None
            index += 1
        elif segment.tag == "UNH":
            end = index
            while end < len(body_segments) and body_segments[end].tag not in (
                "UNT",
                "UNH",
                "UNE",
                "UNG",
            ):
                end += 1
            closed = end < len(body_segments) and body_segments[end].tag == "UNT"
            own = body_segments[index - 1 : end + 1 if closed else end]
            message_count += 1
            if group is not None:
                group = (group[0], group[1] + 1)
            try:
                messages.append(_message_read(own, closed=closed))
            except Fault as fault:
                fault.message = fault.message or segment.value(1)
                faults.append(fault)
            index += len(own)
        else:
            raise segment.fault("outside_message")
    if group is not None:
        raise group[0].fault("group")
    expected = groups if groups else message_count
    if unz.value(1) != str(expected):
        raise unz.fault("unz_count", 1)
    return Interchange(
        syntax=syntax,
        sender=unb.value(2, 1),
        recipient=unb.value(3, 1),
        prepared_at=prepared_at,
        reference=reference,
        messages=messages,
        faults=faults,
        message_count=message_count,
    )


# --- A PAXLST message -------------------------------------------------------------------


def _date_time(segment: Segment, *, message: str, pivot: date | None = None) -> datetime:
    """DTM's date or date-time (element 1: qualifier, value, format), local as sent.

    A two-digit year is in the 2000s, unless that puts a date of birth after ``pivot``
    (the day of departure): then it is in the 1900s."""
    value, form = segment.value(1, 2), segment.value(1, 3)
    form = form or _FORM_BY_LENGTH.get(len(value), "")
    if _FORM_LENGTH.get(form) != len(value) or not value.isascii() or not value.isdigit():
        raise segment.fault("date_time", 1, 2, message=message)
    if form in ("201", "101"):
        century = "20"
        if pivot is not None and f"20{value[:6]}" > pivot.strftime("%Y%m%d"):
            century = "19"
        value = century + value
    clock = value[8:12] or "0000"
    try:
        return datetime(
            int(value[:4]), int(value[4:6]), int(value[6:8]), int(clock[:2]), int(clock[2:])
        )
    except ValueError:
        raise segment.fault("date_time", 1, 2, message=message) from None


def _message_read(segments: list[Segment], *, closed: bool) -> Message:
    """One UNH … UNT message's flight and travellers; ``Fault`` at the first fault."""
    unh = segments[0]
    reference = unh.value(1)
    for number, segment in enumerate(segments, start=1):
        segment.number = number
    if not reference:
        raise unh.fault("element_missing", 1)
    if not closed:
        last = segments[-1]
        raise Fault(
            "unt_missing",
            segment=len(segments) + 1,
            tag="UNT",
            offset=last.offset,
            message=reference,
        )
    unt = segments[-1]
    if unt.value(1) != str(len(segments)):
        raise unt.fault("unt_count", 1, message=reference)
    if unt.value(2) != reference:
        raise unt.fault("unt_reference", 2, message=reference)
    if unh.value(2, 1) != "PAXLST":
        raise unh.fault("message_type", 2, 1, message=reference)

    message = Message(reference=reference, segment_count=len(segments), offset=unh.offset)
    traveller: Traveller | None = None
    in_document = False
    counts: list[tuple[Segment, str, int]] = []
    last_location = ""  # the flight group's last LOC qualifier, for its DTM

    def out_of_place(segment: Segment) -> Fault:
        return segment.fault("segment_order", message=reference)

    for segment in segments[1:-1]:
        tag, qualifier = segment.tag, segment.value(1, 1)
        if tag == "BGM":
            if message.document_code or traveller is not None:
                raise out_of_place(segment)
            message.document_code = segment.require(1, message=reference)
        elif tag == "TDT":
            if traveller is not None or message.flight_number:
                raise out_of_place(segment)
            message.flight_number = segment.require(2, message=reference)
            message.carrier_code = segment.value(5, 1) or message.flight_number[:2]
            message.segments["TDT"] = segment.number
        elif tag == "NAD":
            if qualifier == "MS" and traveller is None:
                continue  # the reporting party
            role = ROLES.get(qualifier)
            if role is None:
                raise segment.fault("party", 1, 1, message=reference)
            if not message.flight_number:
                raise out_of_place(segment)
            names = segment.components(4)
            traveller = Traveller(role=role, position=len(message.travellers) + 1)
            traveller.surname = names[0] if names else ""
            traveller.given_names = " ".join(name for name in names[1:] if name)
            traveller.segments["NAD"] = segment.number
            message.travellers.append(traveller)
            in_document = False
        elif tag == "LOC":
            if traveller is None:
                if not message.flight_number:
                    raise out_of_place(segment)
                if qualifier == "125" and not message.departure_airport:
                    message.departure_airport = segment.require(2, message=reference)
                    message.segments["LOC125"] = segment.number
                elif qualifier == "87" and not message.arrival_airport:
                    message.arrival_airport = segment.require(2, message=reference)
                    message.segments["LOC87"] = segment.number
                last_location = qualifier
            elif qualifier == "91" and in_document:
                traveller.document_country = segment.value(2)
                traveller.segments["LOC91"] = segment.number
        elif tag == "DTM":
            if traveller is None:
                if qualifier == "189" and last_location == "125":
                    message.departure_local = _date_time(segment, message=reference)
                    message.segments["DTM189"] = segment.number
                elif qualifier == "232" and last_location == "87":
                    message.arrival_local = _date_time(segment, message=reference)
                    message.segments["DTM232"] = segment.number
            elif qualifier == "329" and not in_document:
                traveller.segments["DTM329"] = segment.number
                traveller.date_of_birth = segment.value(1, 2)
                departure = message.departure_local
                pivot = departure.date() if departure else date.today()
                try:
                    born = _date_time(segment, message=reference, pivot=pivot)
                    traveller.date_of_birth = born.date().isoformat()
                except Fault:
                    pass  # the validation refuses it, at this segment
            elif qualifier == "36" and in_document:
                traveller.document_expiry = _date_time(segment, message=reference).date()
        elif tag == "ATT":
            if traveller is None:
                raise out_of_place(segment)
            if qualifier == "2":
                code = segment.value(3, 1)
                traveller.sex = SEX.get(code, code)
                traveller.segments["ATT"] = segment.number
        elif tag == "NAT":
            if traveller is None:
                raise out_of_place(segment)
            traveller.nationality = segment.value(2, 1)
            traveller.segments["NAT"] = segment.number
        elif tag == "DOC":
            if traveller is None:
                raise out_of_place(segment)
            code = segment.require(1, message=reference)
            in_document = False
            if code != VISA and "DOC" not in traveller.segments:
                in_document = True
                traveller.document_type = DOCUMENT_TYPES.get(code, "other")
                traveller.document_number = segment.value(2, 1)
                traveller.segments["DOC"] = segment.number
        elif tag == "CNT":
            count_text = segment.value(1, 2)
            if not (count_text.isascii() and count_text.isdigit()):
                raise segment.fault("control_count", 1, 2, message=reference)
            counts.append((segment, qualifier, int(count_text)))
        elif tag in ("UNH", "UNT", "UNB", "UNZ", "UNG", "UNE"):
            raise out_of_place(segment)

    for tag, key, where in (
        ("BGM", "", unt),
        ("TDT", "TDT", unt),
        ("LOC", "LOC125", unt),
        ("DTM", "DTM189", unt),
        ("LOC", "LOC87", unt),
    ):
        if (key and key not in message.segments) or (not key and not message.document_code):
            fault = where.fault("missing_segment", message=reference)
            fault.tag = f"{tag}+{key[3:]}" if key.startswith(("LOC", "DTM")) else tag
            raise fault
    for segment, qualifier, counted in counts:
        role = {"42": PASSENGER, "41": CREW}.get(qualifier)
        if role and counted != sum(1 for person in message.travellers if person.role == role):
            raise segment.fault("control_count", 1, 2, message=reference)
    return message
