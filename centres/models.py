import zoneinfo
from datetime import date, datetime, time
from functools import cache
from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from common.inputs import DATE_VALIDATORS


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())  # scans the zone files: once is enough


def validate_time_zone(value: str) -> None:
    if value not in _time_zones():
        raise ValidationError(_("%(value)s is not an IANA time zone."), params={"value": value})


# What the public calls each zone the centres are in (never its IANA name, nor EST/EDT).
ZONE_NAMES = {
    "America/Vancouver": _("Pacific time"),
    "America/Los_Angeles": _("Pacific time"),
    "America/Edmonton": _("Mountain time"),
    "America/Denver": _("Mountain time"),
    "America/Regina": _("Central Standard time"),
    "America/Winnipeg": _("Central time"),
    "America/Chicago": _("Central time"),
    "America/Toronto": _("Eastern time"),
    "America/New_York": _("Eastern time"),
    "America/Halifax": _("Atlantic time"),
    "America/St_Johns": _("Newfoundland time"),
}


# A zone not in ZONE_NAMES (an administrator may enter any IANA zone) is named by what it
# is in winter: its standard offset, in hours, gives the North American name.
STANDARD_OFFSET_NAMES = {
    -8.0: _("Pacific time"),
    -7.0: _("Mountain time"),
    -6.0: _("Central time"),
    -5.0: _("Eastern time"),
    -4.0: _("Atlantic time"),
    -3.5: _("Newfoundland time"),
}


def zone_name(time_zone: str) -> str:
    """A time zone as people say it in the active language, never its IANA name."""
    if time_zone in ZONE_NAMES:
        return str(ZONE_NAMES[time_zone])
    try:
        offset = datetime(2025, 1, 15, 12, tzinfo=zoneinfo.ZoneInfo(time_zone)).utcoffset()
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC"
    hours = offset.total_seconds() / 3600 if offset is not None else 0.0
    if hours in STANDARD_OFFSET_NAMES:
        return str(STANDARD_OFFSET_NAMES[hours])
    whole, minutes = divmod(abs(int(hours * 60)), 60)
    sign = "−" if hours < 0 else "+"
    return f"UTC{sign}{whole}" + (f":{minutes:02d}" if minutes else "")


class Centre(models.Model):
    class Kind(models.TextChoices):
        AIRPORT_ENROLMENT = "airport_enrolment", _("Canadian airport enrolment centre")
        PRECLEARANCE = "preclearance", _("Airport preclearance area (CBP, walk-in)")
        LAND_BORDER = "land_border", _("US land-border joint enrolment centre")
        SPLIT_SITE = "split_site", _("Split-site enrolment centre")

    class Country(models.TextChoices):
        CANADA = "CA", _("Canada")
        UNITED_STATES = "US", _("United States")

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    # The French forms, where the centre has one; blank means the same as in English
    # (a US centre keeps its English name, a street its official name).
    name_fr = models.CharField(_("name in French"), max_length=200, blank=True)
    short_name_fr = models.CharField(_("short name in French"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    has_cbsa = models.BooleanField(_("CBSA officers present"), default=False)
    has_cbp = models.BooleanField(_("CBP officers present"), default=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    address_additional = models.CharField(_("address (continued)"), max_length=200, blank=True)
    address_fr = models.CharField(_("address in French"), max_length=200, blank=True)
    address_additional_fr = models.CharField(
        _("address (continued) in French"), max_length=200, blank=True
    )
    city = models.CharField(_("city"), max_length=100)
    city_fr = models.CharField(_("city in French"), max_length=100, blank=True)
    region = models.CharField(_("province or state"), max_length=2)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    takes_appointments = models.BooleanField(_("takes appointments"), default=True)
    ttp_location_id = models.PositiveIntegerField(
        _("TTP location id"), unique=True, null=True, blank=True
    )
    ttp_location_code = models.CharField(_("CBP location code"), max_length=8, blank=True)
    counterpart = models.OneToOneField(
        "self",
        verbose_name=_("split-site counterpart"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The airport a preclearance area is in, to tell applicants where to go.
    airport = models.ForeignKey(
        "self",
        verbose_name=_("airport enrolment centre"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="preclearance_areas",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["country", "region", "name"]
        verbose_name = _("centre")
        verbose_name_plural = _("centres")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="preclearance") | Q(takes_appointments=False),
                name="centre_preclearance_is_walk_in",
            ),
            models.CheckConstraint(
                condition=Q(kind="split_site") | Q(counterpart__isnull=True),
                name="centre_only_split_sites_have_counterparts",
            ),
            models.CheckConstraint(
                condition=~Q(counterpart=F("id")), name="centre_not_its_own_counterpart"
            ),
            models.CheckConstraint(
                condition=Q(kind="preclearance") | Q(airport__isnull=True),
                name="centre_only_preclearance_areas_name_an_airport",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    # What people read is in the active language (a page's, or an e-mail's recipient's,
    # see common.mail): the ``display_*`` properties below. The plain fields and
    # ``full_address`` stay English, for the APIs and CSV files, whose values are stable.
    def _in_language(self, field: str) -> str:
        english: str = getattr(self, field)
        if (get_language() or "").startswith("fr"):
            return getattr(self, f"{field}_fr") or english
        return english

    @property
    def display_name(self) -> str:
        """The French name where the centre has one and French is active."""
        return self._in_language("name")

    @property
    def display_short_name(self) -> str:
        """The short name in the active language, else the name."""
        return self._in_language("short_name") or self.display_name

    @property
    def display_address(self) -> str:
        return self._in_language("address")

    @property
    def display_address_additional(self) -> str:
        return self._in_language("address_additional")

    @property
    def display_city(self) -> str:
        return self._in_language("city")

    @property
    def full_address(self) -> str:
        """The parts it has, in English, e.g. "3211 Grant McConachie Way, Richmond, BC"."""
        return ", ".join(part for part in (self.address, self.city, self.region) if part)

    @property
    def display_full_address(self) -> str:
        """``full_address`` in the active language: "975, boulevard Roméo-Vachon Nord, …"."""
        parts = (self.display_address, self.display_city, self.region)
        return ", ".join(part for part in parts if part)

    @property
    def zone_name(self) -> str:
        """The centre's time zone as people say it, "Pacific time" ("heure du Pacifique"),
        never its IANA name: a zone not in ``ZONE_NAMES`` is named by its offset."""
        return zone_name(self.time_zone)

    def clean(self) -> None:
        if self.kind == self.Kind.PRECLEARANCE and self.takes_appointments:
            raise ValidationError(
                {
                    "takes_appointments": _(
                        "A preclearance area is walk-in: it takes no appointments."
                    )
                }
            )
        if self.counterpart_id and self.kind != self.Kind.SPLIT_SITE:
            raise ValidationError({"counterpart": _("Only a split site has a counterpart.")})
        if self.counterpart_id and self.counterpart_id == self.pk:
            raise ValidationError({"counterpart": _("A centre cannot be its own counterpart.")})
        if (
            self.counterpart_id
            and self.counterpart is not None  # never None once counterpart_id is set
            and self.counterpart.counterpart_id not in (None, self.pk)
        ):
            raise ValidationError(
                {"counterpart": _("That centre is already paired with another split site.")}
            )
        if self.airport_id and (
            self.kind != self.Kind.PRECLEARANCE
            or (
                self.airport is not None  # never None once airport_id is set
                and self.airport.kind != self.Kind.AIRPORT_ENROLMENT
            )
        ):
            raise ValidationError(
                {"airport": _("Only a preclearance area names its airport enrolment centre.")}
            )


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class OpeningRule(models.Model):
    """Weekly opening hours in the centre's local time, valid over a range of dates."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="opening_rules")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday)
    opens_at = models.TimeField(_("opens at (local time)"))
    closes_at = models.TimeField(_("closes at (local time)"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=20)
    booths = models.PositiveSmallIntegerField(_("booths (parallel interviews)"), default=1)
    valid_from = models.DateField(_("valid from"), default=date.today, validators=DATE_VALIDATORS)
    valid_until = models.DateField(
        _("valid until"), null=True, blank=True, validators=DATE_VALIDATORS
    )

    class Meta:
        ordering = ["centre", "weekday", "opens_at"]
        verbose_name = _("opening rule")
        verbose_name_plural = _("opening rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=F("closes_at")), name="openingrule_opens_before_closing"
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5) & Q(slot_minutes__lte=240),
                name="openingrule_slot_length_sane",
            ),
            models.CheckConstraint(condition=Q(booths__gte=1), name="openingrule_has_a_booth"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="openingrule_valid_range",
            ),
        ]

    def __str__(self) -> str:
        hours = f"{self.opens_at:%H:%M}-{self.closes_at:%H:%M}"
        return f"{self.centre} {self.get_weekday_display()} {hours}"

    def applies_on(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and self.valid_from <= day
            and (self.valid_until is None or day <= self.valid_until)
        )

    def clean(self) -> None:
        if self.opens_at and self.closes_at and self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": _("Closing time must be after opening time.")})
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            raise ValidationError(
                {"valid_until": _("The end date must not be before the start date.")}
            )
        if not self.centre_id or self.opens_at is None or self.closes_at is None:
            return
        if not self.centre.takes_appointments:
            raise ValidationError(
                _("This centre takes no appointments, so it has no opening rules.")
            )
        overlapping = (
            OpeningRule.objects.filter(
                centre_id=self.centre_id,
                weekday=self.weekday,
                opens_at__lt=self.closes_at,
                closes_at__gt=self.opens_at,
            )
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=self.valid_from))
            .exclude(pk=self.pk)
        )
        if self.valid_until:
            overlapping = overlapping.filter(valid_from__lte=self.valid_until)
        if overlapping.exists():
            raise ValidationError(
                _("These hours overlap another opening rule of this centre on the same day.")
            )


class Closure(models.Model):
    """Local days on which a centre is closed: whole days, or part of each day when
    ``from_time`` and ``until_time`` are set (slots starting in that window)."""

    class Reason(models.TextChoices):
        HOLIDAY = "holiday", _("Public holiday")
        WEATHER = "weather", _("Weather")
        STAFFING = "staffing", _("Staffing")
        OTHER = "other", _("Other")

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="closures")
    first_day = models.DateField(_("first day"), validators=DATE_VALIDATORS)
    last_day = models.DateField(_("last day"), validators=DATE_VALIDATORS)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    from_time = models.TimeField(_("from (local time)"), null=True, blank=True)
    until_time = models.TimeField(_("until (local time)"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["centre", "first_day"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="closure_valid_range"
            ),
            models.CheckConstraint(
                condition=Q(from_time__isnull=True, until_time__isnull=True)
                | Q(from_time__lt=F("until_time")),
                name="closure_window_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre} {self.first_day}–{self.last_day} ({self.get_reason_display()})"

    def clean(self) -> None:
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": _("The last day must not be before the first.")})
        _window_check(self.from_time, self.until_time)

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def covers_slot(self, day: date, start: time) -> bool:
        """Whether a slot starting at local ``start`` on ``day`` is closed."""
        return self.covers(day) and _in_window(start, self.from_time, self.until_time)


def _window_check(start: time | None, end: time | None) -> None:
    if (start is None) != (end is None):
        raise ValidationError(_("Give both times of the window, or neither (the whole day)."))
    if start is not None and end is not None and start >= end:
        raise ValidationError(_("The window must end after it starts."))


def _in_window(start: time, window_from: time | None, window_until: time | None) -> bool:
    if window_from is None or window_until is None:
        return True
    return window_from <= start < window_until


class ExtraCapacity(models.Model):
    """Temporary extra booths (expanded staffing) over a range of local days: all day, or
    for the slots starting between ``from_time`` and ``until_time``."""

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="extra_capacity")
    first_day = models.DateField(_("first day"), validators=DATE_VALIDATORS)
    last_day = models.DateField(_("last day"), validators=DATE_VALIDATORS)
    extra_booths = models.PositiveSmallIntegerField(_("extra booths"))
    from_time = models.TimeField(_("from (local time)"), null=True, blank=True)
    until_time = models.TimeField(_("until (local time)"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["centre", "first_day"]
        verbose_name = _("extra capacity")
        verbose_name_plural = _("extra capacity")
        constraints = [
            models.CheckConstraint(
                condition=Q(last_day__gte=F("first_day")), name="extracapacity_valid_range"
            ),
            models.CheckConstraint(condition=Q(extra_booths__gte=1), name="extracapacity_positive"),
            models.CheckConstraint(
                condition=Q(from_time__isnull=True, until_time__isnull=True)
                | Q(from_time__lt=F("until_time")),
                name="extracapacity_window_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.centre} +{self.extra_booths} {self.first_day}–{self.last_day}"

    def clean(self) -> None:
        if self.first_day and self.last_day and self.last_day < self.first_day:
            raise ValidationError({"last_day": _("The last day must not be before the first.")})
        _window_check(self.from_time, self.until_time)

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day

    def covers_slot(self, day: date, start: time) -> bool:
        """Whether a slot starting at local ``start`` on ``day`` gets the extra booths."""
        return self.covers(day) and _in_window(start, self.from_time, self.until_time)


class SlotQuerySet(models.QuerySet["Slot"]):
    def open(self) -> Self:
        """Slots with a free booth (not yet full, not closed)."""
        return self.filter(booked__lt=F("capacity"))


class Slot(models.Model):
    """One interview time at a centre. ``capacity`` booths, ``booked`` of them taken.

    ``booked`` is changed only by the booking services, with a conditional update; the
    check constraint makes any missed lock fail loudly instead of overbooking. A slot
    whose capacity is 0 is closed.
    """

    centre = models.ForeignKey(Centre, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    capacity = models.PositiveSmallIntegerField(_("booths"))
    booked = models.PositiveSmallIntegerField(_("booths booked"), default=0)

    objects = SlotQuerySet.as_manager()

    class Meta:
        ordering = ["centre", "starts_at"]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        constraints = [
            models.UniqueConstraint(fields=["centre", "starts_at"], name="slot_unique_start"),
            models.CheckConstraint(
                condition=Q(booked__gte=0) & Q(booked__lte=F("capacity")),
                name="slot_never_overbooked",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="slot_ends_after_start"
            ),
        ]
        indexes = [
            # Soonest open slot per centre: an index-ordered scan that skips full slots.
            models.Index(
                fields=["centre", "starts_at"],
                condition=Q(booked__lt=F("capacity")),
                name="slot_open_by_centre_start",
            ),
            models.Index(fields=["starts_at"], name="slot_start"),
        ]

    def __str__(self) -> str:
        local = self.starts_at.astimezone(self.centre.tz)
        return f"{self.centre} {local:%Y-%m-%d %H:%M} ({self.centre.zone_name})"

    @property
    def is_open(self) -> bool:
        return self.booked < self.capacity

    @property
    def free(self) -> int:
        return max(self.capacity - self.booked, 0)

    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.centre.tz)


class StaffProfile(models.Model):
    """Who a staff member is and where they work: the basis of every scope check.

    Officers act for their agency at their centres only; a centre administrator manages
    the capacity of their centres; a programme administrator (or a superuser) may do
    everything everywhere.
    """

    class Role(models.TextChoices):
        CBSA_OFFICER = "cbsa_officer", _("CBSA officer")
        CBP_OFFICER = "cbp_officer", _("CBP officer")
        CENTRE_ADMIN = "centre_admin", _("Centre administrator")
        PROGRAMME_ADMIN = "programme_admin", _("Programme administrator")
        # Entry/Exit (entry_exit/): no centre, no interview; the selectors in
        # entry_exit/selectors.py say what each may open.
        ENTRY_EXIT_ANALYST = "entry_exit_analyst", _("Entry/Exit analyst")
        ENTRY_EXIT_OPERATOR = "entry_exit_operator", _("Entry/Exit exchange operator")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    centres = models.ManyToManyField(Centre, verbose_name=_("centres"), blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @property
    def uses_interview_console(self) -> bool:
        """Works with interviews (the site navigation shows the officer console)."""
        return not self.uses_entry_exit or self.role == self.Role.PROGRAMME_ADMIN

    @property
    def uses_entry_exit(self) -> bool:
        """May open at least one Entry/Exit page (the site navigation asks)."""
        return self.role in (
            self.Role.ENTRY_EXIT_ANALYST,
            self.Role.ENTRY_EXIT_OPERATOR,
            self.Role.PROGRAMME_ADMIN,
        )

    @property
    def agency(self) -> str | None:
        """``"cbsa"`` or ``"cbp"`` for an officer, None for anyone else."""
        agencies: dict[str, str] = {self.Role.CBSA_OFFICER: "cbsa", self.Role.CBP_OFFICER: "cbp"}
        return agencies.get(self.role)
