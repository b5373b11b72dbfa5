from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from entry_exit.models import CrossingRecord, ExchangeBatch


class Role(models.TextChoices):
    PASSENGER = "passenger", _("Passenger")
    CREW = "crew", _("Crew member")


class InterchangeStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    IMPORTED = "imported", _("Imported")
    REFUSED = "refused", _("Refused")


class ManifestStatus(models.TextChoices):
    CURRENT = "current", _("Current")
    SUPERSEDED = "superseded", _("Replaced by a later version")


class ManifestInterchange(models.Model):
    """One PAXLST interchange (UNB … UNZ) a carrier sent: its identifiers, what became
    of it and the faults found, by message, segment and position — never a traveller's
    data. ``batch`` is the inbound batch its travellers were imported in."""

    Status = InterchangeStatus

    carrier = models.CharField(_("carrier"), max_length=56)
    reference = models.CharField(_("interchange control reference"), max_length=35, blank=True)
    sender = models.CharField(_("sender"), max_length=35, blank=True)
    prepared_at = models.DateTimeField(_("prepared at"), null=True, blank=True)
    checksum = models.CharField(_("SHA-256 of the file"), max_length=64)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=InterchangeStatus)
    batch = models.ForeignKey(
        ExchangeBatch,
        verbose_name=_("inbound batch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    messages = models.PositiveIntegerField(_("messages"), default=0)
    messages_refused = models.PositiveIntegerField(_("messages refused"), default=0)
    # Flights leaving elsewhere than a Canadian airport: read and set aside.
    messages_elsewhere = models.PositiveIntegerField(_("messages not leaving Canada"), default=0)
    # [{"message", "segment", "tag", "element", "component", "offset", "field", "code",
    #   "reason"}]
    errors = models.JSONField(_("faults"), default=list, blank=True)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("manifest interchange")
        verbose_name_plural = _("manifest interchanges")
        constraints = [
            # The same file from the same carrier is imported once (a refused one may come
            # again).
            models.UniqueConstraint(
                fields=["carrier", "checksum"],
                condition=~Q(status="refused"),
                name="manifestinterchange_once_per_carrier",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.carrier} {self.reference} ({self.get_status_display()})"


class ManifestFlight(models.Model):
    """One carrier's flight on one day, and one of its lists (passengers or crew): the
    identity a corrected manifest replaces. ``current`` is the version in force."""

    carrier_code = models.CharField(_("carrier (IATA)"), max_length=3)
    flight_number = models.CharField(_("flight number"), max_length=17)
    # In the departure airport's local time, as the manifest gives it.
    departure_date = models.DateField(_("departure date"))
    list_kind = models.CharField(_("list"), max_length=16, choices=Role)
    departure_airport = models.CharField(_("departure airport (IATA)"), max_length=3)
    current = models.ForeignKey(
        "Manifest",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-departure_date", "carrier_code", "flight_number"]
        verbose_name = _("manifest flight")
        verbose_name_plural = _("manifest flights")
        constraints = [
            models.UniqueConstraint(
                fields=["carrier_code", "flight_number", "departure_date", "list_kind"],
                name="manifestflight_one_per_day_and_list",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.flight_number} {self.departure_date.isoformat()} ({self.list_kind})"


class Manifest(models.Model):
    """One PAXLST message: one list of one flight, in one version."""

    Status = ManifestStatus

    interchange = models.ForeignKey(
        ManifestInterchange, on_delete=models.PROTECT, related_name="manifests"
    )
    flight = models.ForeignKey(ManifestFlight, on_delete=models.PROTECT, related_name="manifests")
    message_reference = models.CharField(_("message reference"), max_length=35)
    document_code = models.CharField(_("document code (BGM)"), max_length=3)
    departure_airport = models.CharField(_("departure airport (IATA)"), max_length=3)
    departed_at = models.DateTimeField(_("departed at"))
    arrival_airport = models.CharField(_("arrival airport (IATA)"), max_length=3)
    # Local time at the arrival airport, as sent (its time zone is not known here).
    arrival_local = models.CharField(_("arrival, local time"), max_length=16, blank=True)
    # Sortable: UNB's preparation time, then its control reference, then the message's.
    version = models.CharField(_("version"), max_length=80)
    status = models.CharField(_("status"), max_length=16, choices=ManifestStatus)
    passengers = models.PositiveIntegerField(_("passengers"), default=0)
    crew = models.PositiveIntegerField(_("crew members"), default=0)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        ordering = ["-departed_at", "-id"]
        verbose_name = _("manifest")
        verbose_name_plural = _("manifests")
        constraints = [
            models.UniqueConstraint(
                fields=["interchange", "message_reference"], name="manifest_once_per_interchange"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.flight} v{self.version} ({self.get_status_display()})"


class ManifestTraveller(models.Model):
    """One person on a manifest, passenger or crew member, and the air exit record made
    from them (None when the row was refused, or once a later version replaced it)."""

    manifest = models.ForeignKey(Manifest, on_delete=models.CASCADE, related_name="travellers")
    role = models.CharField(_("role"), max_length=16, choices=Role)
    position = models.PositiveIntegerField(_("position in the message"))
    segment = models.PositiveIntegerField(_("NAD segment number"))
    record = models.ForeignKey(
        CrossingRecord,
        verbose_name=_("air exit record"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="manifest_travellers",
    )

    class Meta:
        ordering = ["manifest", "position"]
        verbose_name = _("manifest traveller")
        verbose_name_plural = _("manifest travellers")
        constraints = [
            models.UniqueConstraint(
                fields=["manifest", "position"], name="manifesttraveller_once_per_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} #{self.position} of manifest #{self.manifest_id}"
