"""The public, read-only, TTP-compatible scheduler API (issue 6 §2), under ``/schedulerapi/``.

Community tools that poll the US Trusted Traveler Programs scheduler
(``https://ttp.cbp.dhs.gov/schedulerapi/...``) work against NEXUS Portal by changing only
the base URL: same paths, same query parameters, same JSON shapes, same timestamp format
(the centre's LOCAL wall-clock time, ``YYYY-MM-DDTHH:MM``, no seconds, no offset).

Decisions (where the TTP API is undocumented, the friendliest safe behaviour):

- Only active centres with a ``ttp_location_id`` are published. Preclearance areas
  (walk-in) are listed when they have an id but never have slots (``[]``).
- ``serviceName``: ``NEXUS`` (any case) or absent lists our locations; any other service
  (``Global Entry``, ``SENTRI``, …) is not an error but an empty list: we schedule NEXUS only.
- ``locationType``: ``AIR`` airport enrolment centre, ``LND`` land-border or split-site
  enrolment centre, ``PRE`` airport preclearance area (walk-in).
- ``/slots`` and ``/slot-availability``: ``active`` is ``true`` (a listed slot always has a
  free booth). The real TTP API sends a boolean there, and typed clients (Go structs with
  ``Active bool``, runtypes) fail on a number. The per-time counters of
  ``/locations/{id}/slots`` carry the number of free booths in ``active``, as TTP does.
- ``/slot-availability``: the soonest ``AVAILABILITY_SLOTS`` open slots;
  ``lastPublishedDate`` is the moment this answer was computed, in the centre's local time
  (slots are live; the answer is at most ``CACHE_SECONDS`` old).
- ``/locations/{id}/slots``: every bookable time in the window (closed times, capacity 0,
  are left out); ``pending`` counts the booths held by applicants confirming a time
  (unexpired ``SlotHold`` rows, one grouped query), ``conflicts`` is always 0.
- Unknown or unpublished ``locationId`` → ``[]`` (an id no location could have, beyond
  the column's range, too). A value that is not what the parameter takes
  (``locationId=abc``, ``minimum=²``, ``timestamp=June``, a date outside 1900–2199, more
  than ``MAX_LOCATION_IDS`` ids) → 400 in the project's error shape (``common.api``), read
  by ``common.inputs`` like every other parameter. Out-of-range numbers are clamped
  (``limit`` to 1..500, ``minimum`` to 1..``MAX_MINIMUM``) rather than refused.
- Every answer is cached ``CACHE_SECONDS`` per full path and query string, and says so
  (``Cache-Control: public, max-age=…``). Errors are not cached. With the cache
  unreachable (Redis down) every answer is computed from the database, logged.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.utils import timezone
from django.utils.cache import patch_cache_control
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from bookings.selectors import (
    bookable_by_ttp_id,
    centres_by_soonest_open_time,
    published_centres,
    slot_counters,
    soonest_open_times,
)
from centres.models import Centre
from common.inputs import INT_MAX, InputError, check_date, check_list_length, query_int, read_int

logger = logging.getLogger(__name__)

CACHE_SECONDS = 30
MAX_LIMIT = 500
DEFAULT_LIMIT = 100
AVAILABILITY_SLOTS = 50
# No slot has more booths than this; a larger ``minimum`` would only overflow the sum.
MAX_MINIMUM = 1000
MAX_LOCATION_IDS = 50
# The longest window /locations/{id}/slots answers: a year and a day (a whole leap year).
MAX_WINDOW = timedelta(days=367)
DEFAULT_WINDOW = timedelta(days=30)

SERVICE = {"id": 2, "name": "NEXUS"}
LOCATION_TYPES: dict[str, str] = {
    Centre.Kind.AIRPORT_ENROLMENT: "AIR",
    Centre.Kind.LAND_BORDER: "LND",
    Centre.Kind.SPLIT_SITE: "LND",
    Centre.Kind.PRECLEARANCE: "PRE",
}
MINUTE_FORMAT = "%Y-%m-%dT%H:%M"
SECOND_FORMAT = "%Y-%m-%dT%H:%M:%S"
_TIMESTAMP = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_PHONE = re.compile(r"^\+?(\d+)\s+(\d{3})[-. ]?(\d{3}[-. ]?\d{4})(?:\s*(?:ext\.?|x)\s*(\d+))?$")


# --- Parameters ------------------------------------------------------------------------


def _invalid(name: str, message: str) -> ValidationError:
    return ValidationError({name: [message]})


def _location_id(params) -> int | None:
    """One ``locationId``; an id beyond the column's range is no location's (0)."""
    ttp_id = query_int(params, "locationId", minimum=0, maximum=INT_MAX + 1, clamp=True)
    return None if ttp_id is None else _known(ttp_id)


def _known(ttp_id: int) -> int:
    return ttp_id if 0 < ttp_id <= INT_MAX else 0


def _location_ids(params) -> list[int] | None:
    """``locationId=5026`` or ``locationId=5026,5020``; None when absent."""
    raw = params.get("locationId", "").strip()
    if raw == "":
        return None
    parts = [part for part in raw.split(",") if part.strip()]
    try:
        check_list_length(parts, MAX_LOCATION_IDS)
        return [
            _known(read_int(part, minimum=0, maximum=INT_MAX + 1, clamp=True)) for part in parts
        ]
    except InputError as error:
        raise _invalid("locationId", error.message) from None


def _bool(params, name: str) -> bool | None:
    raw = params.get(name, "").strip().lower()
    if raw == "":
        return None
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no"):
        return False
    raise _invalid(name, f"{name} must be true or false.")


def _local_timestamp(params, name: str) -> datetime | None:
    """A naive local date-time from ``YYYY-MM-DD``, ``…THH:MM`` or ``…THH:MM:SS``."""
    raw = params.get(name, "").strip()
    if raw == "":
        return None
    match = _TIMESTAMP.fullmatch(raw)
    try:
        if match is None:
            raise ValueError
        day = date.fromisoformat(match[1])
        at = time.fromisoformat(f"{match[2]}:{match[3] or '00'}") if match[2] else time.min
    except ValueError:
        raise _invalid(
            name, f"{name} must be a local date and time: YYYY-MM-DD or YYYY-MM-DDTHH:MM."
        ) from None
    try:
        check_date(day)
    except InputError as error:
        raise _invalid(name, error.message) from None
    return datetime.combine(day, at)


def _minimum(params) -> int:
    return query_int(params, "minimum", default=1, minimum=1, maximum=MAX_MINIMUM, clamp=True)


def _limit(params, default: int = DEFAULT_LIMIT) -> int:
    return query_int(params, "limit", default=default, minimum=1, maximum=MAX_LIMIT, clamp=True)


def _wants_nexus(params) -> bool:
    service = params.get("serviceName", "").strip()
    return service == "" or service.upper() == SERVICE["name"]


# --- Answers -----------------------------------------------------------------------------


def soonest_slots(*, ttp_ids: list[int] | None, minimum: int, limit: int) -> list[dict]:
    """The soonest open slots at these locations (every bookable one when None)."""
    rows = soonest_open_times(ttp_ids=ttp_ids, minimum=minimum, limit=limit, now=timezone.now())
    return [_slot(*row) for row in rows]


def _slot(ttp_id: int, zone: ZoneInfo, starts_at: datetime, ends_at: datetime) -> dict:
    return {
        "locationId": ttp_id,
        "startTimestamp": starts_at.astimezone(zone).strftime(MINUTE_FORMAT),
        "endTimestamp": ends_at.astimezone(zone).strftime(MINUTE_FORMAT),
        "active": True,
        "duration": round((ends_at - starts_at).total_seconds() / 60),
        "remoteInd": False,
    }


def _phone(centre: Centre) -> dict:
    """``+1 604-666-4598 ext. 12`` → country 1, area 604, number 6664598, extension 12."""
    match = _PHONE.match(centre.phone.strip())
    if match is None:
        return {
            "phoneNumber": centre.phone,
            "phoneAreaCode": "",
            "phoneCountryCode": "",
            "phoneExtension": "",
        }
    return {
        "phoneNumber": re.sub(r"\D", "", match[3]),
        "phoneAreaCode": match[2],
        "phoneCountryCode": match[1],
        "phoneExtension": match[4] or "",
    }


def location(centre: Centre) -> dict:
    walk_in = not centre.takes_appointments
    directions = f"In {centre.airport.name}." if centre.airport else ""
    return {
        "id": centre.ttp_location_id,
        "name": centre.name,
        "shortName": centre.short_name or centre.name,
        "locationType": LOCATION_TYPES.get(centre.kind, "LND"),
        "locationCode": centre.ttp_location_code,
        "address": centre.address,
        "addressAdditional": centre.address_additional,
        "city": centre.city,
        "state": centre.region,
        "postalCode": centre.postal_code,
        "countryCode": centre.country,
        "tzData": centre.time_zone,
        **_phone(centre),
        "temporary": False,
        "inviteOnly": False,
        "operational": centre.is_active,
        "directions": directions,
        "notes": "Walk-in only: no appointments are booked here." if walk_in else "",
        "services": [dict(SERVICE)],
    }


def locations(params) -> list[dict]:
    # We have no temporary, invite-only or non-operational published locations.
    if not _wants_nexus(params):
        return []
    if _bool(params, "temporary") or _bool(params, "inviteOnly"):
        return []
    if _bool(params, "operational") is False:
        return []
    return [location(centre) for centre in published_centres()]


def slot_availability(params) -> dict:
    ttp_id = _location_id(params)
    now = timezone.now()
    centres = bookable_by_ttp_id([ttp_id]) if ttp_id is not None else []
    if ttp_id is None or not centres:
        return {"availableSlots": [], "lastPublishedDate": now.strftime(SECOND_FORMAT)}
    _, _, zone = centres[0]
    slots = soonest_slots(ttp_ids=[ttp_id], minimum=1, limit=AVAILABILITY_SLOTS)
    return {
        "availableSlots": slots,
        "lastPublishedDate": now.astimezone(zone).strftime(SECOND_FORMAT),
    }


def location_slots(ttp_id: int, params) -> list[dict]:
    """Counters for every bookable time of one location between two local times."""
    start = _local_timestamp(params, "startTimestamp")
    end = _local_timestamp(params, "endTimestamp")
    centres = bookable_by_ttp_id([_known(ttp_id)])
    if not centres:
        return []
    pk, _, zone = centres[0]
    now = timezone.now()
    start_at = start.replace(tzinfo=zone) if start else now
    end_at = end.replace(tzinfo=zone) if end else start_at + DEFAULT_WINDOW
    if end_at <= start_at:
        return []
    if end_at - start_at > MAX_WINDOW:
        raise _invalid("endTimestamp", "The window may span at most a year.")
    rows = slot_counters(centre_pk=pk, start_at=start_at, end_at=end_at, now=now)
    return [
        {
            "active": max(capacity - booked, 0),
            "total": capacity,
            "pending": held,
            "conflicts": 0,
            "duration": round((ends_at - starts_at).total_seconds() / 60),
            "timestamp": starts_at.astimezone(zone).strftime(MINUTE_FORMAT),
            "remote": False,
        }
        for starts_at, ends_at, capacity, booked, held in rows
    ]


def locations_with_slots(params) -> list[dict]:
    """The published locations with open slots matching ``minimum`` and the time filter,
    soonest matching slot first. One query per time zone: "before 2026-03-09" is a
    different instant in each zone."""
    minimum = _minimum(params)
    limit = _limit(params)
    how = params.get("filterTimestampBy", "").strip().lower()
    day = _local_timestamp(params, "timestamp")
    if how not in ("", "before", "on"):
        raise _invalid("filterTimestampBy", "filterTimestampBy must be before or on.")
    if how and day is None:
        raise _invalid("timestamp", "timestamp is required with filterTimestampBy.")
    if not _wants_nexus(params):
        return []
    centres = centres_by_soonest_open_time(
        minimum=minimum, day=day, on_day=how == "on", now=timezone.now()
    )
    return [location(centre) for centre in centres[:limit]]


# --- Views -----------------------------------------------------------------------------


class SchedulerView(APIView):
    """Public and read-only: no authentication, no session, no CSRF, GET (and HEAD) only."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]
    http_method_names = ["get", "head", "options"]

    def answer(self, request: Request, compute: Callable[[], object]) -> Response:
        key = "schedulerapi:" + hashlib.sha256(request.get_full_path().encode()).hexdigest()
        try:
            data = cache.get(key)
        except Exception as error:  # the cache is down: the database answers every read
            logger.warning("scheduler API cache unavailable (%s)", type(error).__name__)
            return self._public(compute())
        if data is None:
            data = compute()
            try:
                cache.set(key, data, CACHE_SECONDS)
            except Exception as error:
                logger.warning("scheduler API cache unavailable (%s)", type(error).__name__)
        return self._public(data)

    def _public(self, data) -> Response:
        response = Response(data)
        patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
        return response


class LocationsView(SchedulerView):
    def get(self, request: Request) -> Response:
        return self.answer(request, lambda: locations(request.query_params))


class SlotsView(SchedulerView):
    def get(self, request: Request) -> Response:
        params = request.query_params
        order = params.get("orderBy", "soonest").strip().lower() or "soonest"
        if order != "soonest":
            raise _invalid("orderBy", "orderBy must be soonest.")
        ttp_ids = _location_ids(params)
        minimum = _minimum(params)
        limit = _limit(params)
        return self.answer(
            request, lambda: soonest_slots(ttp_ids=ttp_ids, minimum=minimum, limit=limit)
        )


class SlotAvailabilityView(SchedulerView):
    def get(self, request: Request) -> Response:
        params = request.query_params
        _location_id(params)  # a bad id is a 400 before the cache is consulted
        return self.answer(request, lambda: slot_availability(params))


class LocationSlotsView(SchedulerView):
    def get(self, request: Request, location_id: int) -> Response:
        params = request.query_params
        _local_timestamp(params, "startTimestamp")
        _local_timestamp(params, "endTimestamp")
        return self.answer(request, lambda: location_slots(location_id, params))


class SlotsAsLocationsView(SchedulerView):
    def get(self, request: Request) -> Response:
        return self.answer(request, lambda: locations_with_slots(request.query_params))
