import zoneinfo
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from centres.models import validate_time_zone
from common.inputs import DATE_VALIDATORS
from entry_exit.choices import (
    SOURCE_EVENT,
    Country,
    DocumentType,
    Event,
    Sex,
    Source,
    StatusCategory,
)
from entry_exit.rules import PHASES, outbound_item_condition


class Port(models.Model):
    """A Canada–US land port of entry, paired with the port across the border.

    ``code`` identifies the port in feeds and in the files we send. Where it is a code the
    public can look up (a US CBP port number that only this crossing of our list uses),
    ``code_is_official`` is set; every other code is ours ("CA-DOU", "US-BLA-PA"), and
    CBSA office numbers are never used (they are not reliably public). ``cbp_port_code``
    is the published CBP port a US crossing belongs to, which several crossings may share
    (the Ambassador Bridge and the tunnel are both port 3801, Detroit).
    """

    code = models.CharField(_("code"), max_length=16, unique=True)
    code_is_official = models.BooleanField(
        _("public official code"),
        default=False,
        help_text=_("Unset: the code is NEXUS Portal's own, not a published one."),
    )
    cbp_port_code = models.CharField(_("CBP port code"), max_length=4, blank=True)
    name = models.CharField(_("name"), max_length=100)
    name_fr = models.CharField(_("French name"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, choices=Country.choices)
    region = models.CharField(_("province or state"), max_length=2)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    counterpart = models.OneToOneField(
        "self",
        verbose_name=_("port across the border"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["country", "region", "name"]
        verbose_name = _("port of entry")
        verbose_name_plural = _("ports of entry")
        constraints = [
            models.CheckConstraint(
                condition=~Q(counterpart=F("id")), name="port_not_its_own_counterpart"
            ),
            models.CheckConstraint(
                condition=Q(country=Country.UNITED_STATES) | Q(cbp_port_code=""),
                name="port_cbp_code_only_in_the_us",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.code})"

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def display_name(self) -> str:
        """The French name where the port has one and French is active."""
        if self.name_fr and (get_language() or "").startswith("fr"):
            return self.name_fr
        return self.name


class BatchDirection(models.TextChoices):
    OUTBOUND = "outbound", _("Sent to the partner")
    INBOUND = "inbound", _("Received from the partner")


class BatchStatus(models.TextChoices):
    # Outbound.
    BUILDING = "building", _("Being built")
    WRITTEN = "written", _("Written, not sent yet")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Sending failed; will be retried")
    EMPTY = "empty", _("Nothing left to send")
    WITHDRAWN = "withdrawn", _("Withdrawn before it was sent")
    # Inbound.
    RECEIVED = "received", _("Received")
    IMPORTED = "imported", _("Imported")
    PARTIALLY_IMPORTED = "partially_imported", _("Imported, some rows refused")
    # Its own msgid: French agrees with "un lot" (Refusé), not with the "Refused" of an
    # interview outcome elsewhere (Refusée).
    REFUSED = "refused", pgettext_lazy("batch status", "Refused")


OUTBOUND_STATUSES = (
    BatchStatus.BUILDING,
    BatchStatus.WRITTEN,
    BatchStatus.SENT,
    BatchStatus.FAILED,
    BatchStatus.EMPTY,
    BatchStatus.WITHDRAWN,
)
INBOUND_STATUSES = (
    BatchStatus.RECEIVED,
    BatchStatus.IMPORTED,
    BatchStatus.PARTIALLY_IMPORTED,
    BatchStatus.REFUSED,
)


class ExchangeBatch(models.Model):
    """One file exchanged with the partner, in either direction: what it held, its
    checksum, and what became of it. Holds counts and identifiers, never a traveller's
    data (the records do; an outbound file is rebuilt from them byte for byte)."""

    Direction = BatchDirection
    Status = BatchStatus
    # An outbound batch a run still has to write or send.
    OUTBOUND_PENDING = (BatchStatus.BUILDING, BatchStatus.WRITTEN, BatchStatus.FAILED)

    direction = models.CharField(_("direction"), max_length=8, choices=BatchDirection)
    partner = models.CharField(_("partner"), max_length=64)
    phase = models.PositiveSmallIntegerField(_("phase"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=BatchStatus)
    record_count = models.PositiveIntegerField(_("records"), default=0)
    rows_ok = models.PositiveIntegerField(_("rows imported"), default=0)
    rows_refused = models.PositiveIntegerField(_("rows refused"), default=0)
    # Inbound: rows whose (source, record id) was already stored, by an earlier batch or
    # earlier in this one. ok + duplicate + refused = the record lines imported so far.
    rows_duplicate = models.PositiveIntegerField(_("rows already held"), default=0)
    # Inbound: the partner's own batch number (its header's batch_id).
    partner_batch_id = models.PositiveBigIntegerField(
        _("partner's batch id"), null=True, blank=True
    )
    dropped_count = models.PositiveIntegerField(_("records dropped"), default=0)
    checksum = models.CharField(_("SHA-256 of the file"), max_length=64, blank=True)
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"))
    written_at = models.DateTimeField(_("written at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    attempts = models.PositiveIntegerField(_("send attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # A run that is sending the batch holds it until then (another run leaves it alone).
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=200, blank=True)
    # Inbound: the rows refused, as [{"line", "field", "code", "reason"}].
    row_errors = models.JSONField(_("row errors"), default=list, blank=True)
    # Outbound: the items taken out before writing or sending, as [{"record", "reason"}].
    dropped = models.JSONField(_("dropped records"), default=list, blank=True)
    # Who or what sent or received it: "celery beat", "manage.py entry_exit_import", …
    handled_by = models.CharField(_("handled by"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("exchange batch")
        verbose_name_plural = _("exchange batches")
        constraints = [
            models.CheckConstraint(
                # phase__isnull=False: a NULL would make "phase IN (1, 2)" unknown, which a
                # CHECK lets through.
                condition=(
                    Q(
                        direction="outbound",
                        phase__isnull=False,
                        phase__in=PHASES,
                        status__in=OUTBOUND_STATUSES,
                    )
                    | Q(direction="inbound", phase__isnull=True, status__in=INBOUND_STATUSES)
                ),
                name="exchangebatch_direction_phase_status",
            ),
            # A partner's batch is imported once; a refused delivery (a damaged file, say)
            # does not stop the same batch from being delivered again.
            models.UniqueConstraint(
                fields=["partner", "partner_batch_id"],
                condition=Q(direction="inbound") & ~Q(status="refused"),
                name="exchangebatch_inbound_once_per_partner",
            ),
        ]
        indexes = [
            models.Index(
                fields=["direction", "status", "next_attempt_at"], name="exchangebatch_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_direction_display()} #{self.pk} ({self.get_status_display()})"


def purge_date(received_at: datetime, years: int) -> date:
    """The day a record received at ``received_at`` is purged: ``years`` after the UTC
    day it was received (a 29 February becomes 1 March: kept the full term, never less)."""
    day = received_at.astimezone(UTC).date()
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


class CrossingRecord(models.Model):
    """One border crossing of one traveller, as a source reported it.

    Immutable once received: nothing in the app changes a record (an outbound file is
    rebuilt from its records and must come out byte for byte the same) but its
    ``legal_hold`` flag, which ``entry_exit.services.legal_holds`` alone sets and clears:
    set while any active ``LegalHold`` covers the record. The names are
    kept as received; ``*_normalised`` are their ICAO 9303 forms for matching
    (``entry_exit.names``). ``purge_on`` is fixed when the record is received.
    """

    Status = StatusCategory
    Event = Event
    Source = Source
    DocumentType = DocumentType
    Sex = Sex

    surname = models.CharField(_("surname"), max_length=200)
    given_names = models.CharField(_("given names"), max_length=200, blank=True)
    surname_normalised = models.CharField(_("surname (normalised)"), max_length=200)
    given_names_normalised = models.CharField(
        _("given names (normalised)"), max_length=200, blank=True
    )
    date_of_birth = models.DateField(_("date of birth"), validators=DATE_VALIDATORS)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    nationality = models.CharField(_("nationality"), max_length=3)
    document_type = models.CharField(
        _("document type"), max_length=32, choices=DocumentType.choices
    )
    document_number = models.CharField(_("document number"), max_length=20)
    document_country = models.CharField(_("document issuing country"), max_length=3)
    status = models.CharField(_("status category"), max_length=32, choices=StatusCategory.choices)
    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    occurred_at = models.DateTimeField(_("crossed at"))
    port = models.ForeignKey(
        Port,
        verbose_name=_("port of entry"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="crossings",
    )
    airport_code = models.CharField(_("airport (IATA)"), max_length=3, blank=True)
    source = models.CharField(_("source"), max_length=32, choices=Source.choices)
    # The source's own identifier of the record: delivering it twice stores it once.
    source_record_id = models.CharField(_("source record id"), max_length=64)
    received_at = models.DateTimeField(_("received at"))
    inbound_batch = models.ForeignKey(
        ExchangeBatch,
        verbose_name=_("received in batch"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="records",
    )
    purge_on = models.DateField(_("purge on"))
    legal_hold = models.BooleanField(_("under legal hold"), default=False)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("crossing record")
        verbose_name_plural = _("crossing records")
        constraints = [
            models.UniqueConstraint(
                fields=["source", "source_record_id"], name="crossingrecord_once_per_source"
            ),
            models.CheckConstraint(
                condition=(
                    Q(event=Event.AIR_EXIT, port__isnull=True) & ~Q(airport_code="")
                    | ~Q(event=Event.AIR_EXIT) & Q(port__isnull=False, airport_code="")
                ),
                name="crossingrecord_air_exit_airport_land_port",
            ),
            models.CheckConstraint(
                condition=Q(
                    *(Q(source=source, event=event) for source, event in SOURCE_EVENT.items()),
                    _connector=Q.OR,
                ),
                name="crossingrecord_event_fits_source",
            ),
        ]
        indexes = [
            models.Index(
                fields=["document_number", "document_country"], name="crossingrecord_document"
            ),
            models.Index(
                fields=["surname_normalised", "date_of_birth"], name="crossingrecord_name_dob"
            ),
            models.Index(fields=["source", "event", "received_at"], name="crossingrecord_new"),
            models.Index(fields=["purge_on"], name="crossingrecord_purge_on"),
        ]

    def __str__(self) -> str:
        # Identifiers only: a record's string form ends up in logs and admin messages.
        return f"{self.get_event_display()} #{self.pk}"


class OutboundItem(models.Model):
    """One record in one outbound batch. Each record is sent once (``record`` is unique);
    the status category, nationality and event are copied from the record so that the
    database itself refuses an item the share rules forbid in the item's phase."""

    batch = models.ForeignKey(ExchangeBatch, on_delete=models.PROTECT, related_name="items")
    # A purged record takes its item with it; the batch keeps its counts and checksum.
    record = models.ForeignKey(
        CrossingRecord, on_delete=models.CASCADE, related_name="outbound_items"
    )
    phase = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=32, choices=StatusCategory.choices)
    nationality = models.CharField(max_length=3)
    event = models.CharField(max_length=32, choices=Event.choices)

    class Meta:
        ordering = ["batch", "id"]
        constraints = [
            models.UniqueConstraint(fields=["record"], name="outbounditem_record_sent_once"),
            models.CheckConstraint(
                condition=outbound_item_condition(), name="outbounditem_allowed_by_share_rules"
            ),
        ]

    def __str__(self) -> str:
        return f"batch #{self.batch_id} record #{self.record_id}"


class PartnerSignature(models.Model):
    """A signed request a partner has made, kept until its timestamp leaves the window in
    which it would be accepted: the same signature seen again is a replay. In the database,
    not the cache, so a cache outage or eviction never lets a replay through."""

    partner = models.CharField(max_length=64)
    signature = models.CharField(max_length=64)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "signature"], name="partnersignature_seen_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} until {self.expires_at.isoformat()}"


class AccessPurpose(models.TextChoices):
    INVESTIGATION = "investigation", _("Investigation")
    TRAVELLER_REQUEST = "traveller_request", _("The traveller's own request")
    DATA_QUALITY = "data_quality", _("Data-quality check")
    LEGAL_REQUEST = "legal_request", _("Legal request (warrant, court order)")
    # Chosen by the traveller's report page only (not offered by the look-up).
    RIGHT_OF_ACCESS = "right_of_access", _("Right of access (the traveller's own report)")
    OTHER = "other", _("Other (say which)")


class AppendOnlyError(Exception):
    """An access-log row was about to be changed or removed through the app."""


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("the access log is append-only")

    def delete(self):
        raise AppendOnlyError("the access log is append-only")


# The hash a chain's first row links to.
GENESIS_HASH = "0" * 64


class AccessLogEntry(models.Model):
    """One consultation of a traveller's records: who, when, why, what was asked (as an
    opaque reference) and which records were shown. Written before the records are shown,
    in the same request; an empty result is logged too.

    Append-only: ``save`` refuses an update, ``delete`` and the queryset's ``update`` and
    ``delete`` raise, the admin only reads, and on PostgreSQL a trigger refuses UPDATE and
    DELETE. Tamper-evident: ``row_hash`` is sha256(``previous_hash`` + the row's canonical
    content), ``previous_hash`` the row before's ``row_hash`` (``sequence`` - 1), so a row
    changed, removed or inserted breaks the chain (``entry_exit.services.access_log``).
    """

    Purpose = AccessPurpose

    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("consulted at"))
    # PROTECT: a staff member who consulted records cannot be deleted from under the log
    # (SET_NULL would rewrite the row and break its hash).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    purpose = models.CharField(_("purpose"), max_length=32, choices=AccessPurpose)
    purpose_text = models.CharField(_("purpose, in words"), max_length=200, blank=True)
    # "document" or "name_dob": which way the traveller was looked for.
    criteria_kind = models.CharField(_("searched by"), max_length=16)
    # HMAC-SHA256 (keyed by SECRET_KEY) of the normalised criteria: the same search gives
    # the same reference, and whoever holds the key can check whether a given document or
    # name was searched, but the log itself holds no name, number or date of birth.
    criteria_ref = models.CharField(_("search reference"), max_length=64)
    record_ids = models.JSONField(_("records shown"), default=list, blank=True)
    previous_hash = models.CharField(max_length=64)
    row_hash = models.CharField(max_length=64, unique=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-sequence"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        constraints = [
            models.CheckConstraint(
                condition=~Q(purpose="other") | ~Q(purpose_text=""),
                name="accesslogentry_other_purpose_stated",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.get_purpose_display()}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("the access log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("the access log is append-only")


class AccessLogHead(models.Model):
    """The access log's chain head: one row (pk 1), locked by every append so that two
    consultations at once take turns and never both link to the same previous row."""

    sequence = models.PositiveBigIntegerField(default=0)
    row_hash = models.CharField(max_length=64, default=GENESIS_HASH)

    def __str__(self) -> str:
        return f"access log head #{self.sequence}"


# --- Legal holds ---------------------------------------------------------------------------


class LegalHoldBasis(models.TextChoices):
    COURT_ORDER = "court_order", _("Court order, warrant or subpoena")
    LITIGATION = "litigation", _("Litigation, under way or expected")
    INVESTIGATION = "investigation", _("Investigation or inquiry")
    ACCESS_REQUEST = "access_request", _("Access to information or privacy request")
    PRIVACY_COMPLAINT = "privacy_complaint", _("Complaint to the Privacy Commissioner")


class LegalHoldLiftGrounds(models.TextChoices):
    CONCLUDED = "concluded", _("The matter is concluded")
    ORDER_ENDED = "order_ended", _("The order was revoked or has expired")
    PLACED_IN_ERROR = "placed_in_error", _("The hold was placed in error")


class LegalHold(models.Model):
    """A decision to keep a traveller's records past their purge date: on what basis and
    authority (``reference``: a court file, an order or request number), why, who placed
    it and when; and, once lifted, who lifted it, when and on what grounds.

    It covers the records chosen from one logged consultation of the traveller's records
    (``consultation``, in the access log). While any active hold covers a record, the
    record's ``legal_hold`` flag is set and retention skips it; the flag is kept in step by
    ``entry_exit.services.legal_holds`` alone. A hold is never deleted: lifting it is a
    decision of its own, recorded on the row.
    """

    Basis = LegalHoldBasis
    LiftGrounds = LegalHoldLiftGrounds

    basis = models.CharField(_("basis"), max_length=32, choices=LegalHoldBasis)
    reference = models.CharField(_("reference"), max_length=100)
    reason = models.TextField(_("reason"), max_length=1000)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("placed by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    placed_at = models.DateTimeField(_("placed at"))
    consultation = models.ForeignKey(
        AccessLogEntry,
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    # How many records the hold covered when it was placed (a record purged after the hold
    # was lifted leaves this count as it was).
    record_count = models.PositiveIntegerField(_("records held"), default=0)
    records = models.ManyToManyField(
        CrossingRecord, through="LegalHoldRecord", related_name="legal_holds"
    )
    lifted_at = models.DateTimeField(_("lifted at"), null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("lifted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    lift_grounds = models.CharField(
        _("grounds for lifting"), max_length=32, choices=LegalHoldLiftGrounds, blank=True
    )
    lift_note = models.CharField(_("note on lifting"), max_length=500, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(lifted_at__isnull=True, lifted_by__isnull=True, lift_grounds="")
                    | Q(lifted_at__isnull=False, lifted_by__isnull=False) & ~Q(lift_grounds="")
                ),
                name="legalhold_lifted_with_who_when_why",
            ),
            models.CheckConstraint(
                condition=~Q(reference="") & ~Q(reason=""), name="legalhold_reference_reason"
            ),
        ]

    def __str__(self) -> str:
        # The reference only: the reason may name people.
        return f"#{self.pk} {self.reference}"

    @property
    def is_active(self) -> bool:
        return self.lifted_at is None


class LegalHoldRecord(models.Model):
    """One record under one hold. A record purged (after every hold on it was lifted)
    takes its rows here with it; the hold keeps its count."""

    hold = models.ForeignKey(LegalHold, on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey(CrossingRecord, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hold", "record"], name="legalholdrecord_once"),
        ]
        indexes = [models.Index(fields=["record", "hold"], name="legalholdrecord_record")]

    def __str__(self) -> str:
        return f"hold #{self.hold_id} record #{self.record_id}"


# --- The traveller's own report -------------------------------------------------------------


class IdentityCheck(models.TextChoices):
    DOCUMENT_SEEN = "document_seen", _("Identity document seen in person")
    DOCUMENT_COPY = "document_copy", _("Copy of an identity document, checked")
    REPRESENTATIVE = "representative", _("Representative with signed consent, both identified")


class TravellerReport(models.Model):
    """A travel-history report generated for the traveller it describes (the right of
    access): how their identity was checked, the request it answers, the language it was
    written in, and the consultation it was made from (access log purpose "right of
    access"). The report itself is not kept: it is made from the records, when asked."""

    IdentityCheck = IdentityCheck

    consultation = models.OneToOneField(
        AccessLogEntry,
        verbose_name=_("consultation"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("generated by"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    generated_at = models.DateTimeField(_("generated at"))
    identity_check = models.CharField(
        _("identity checked by"), max_length=32, choices=IdentityCheck
    )
    request_reference = models.CharField(_("request reference"), max_length=100)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    record_count = models.PositiveIntegerField(_("crossings listed"), default=0)
    shared_count = models.PositiveIntegerField(_("crossings shared with the US"), default=0)

    class Meta:
        ordering = ["-generated_at", "-id"]
        verbose_name = _("traveller's report")
        verbose_name_plural = _("travellers' reports")

    def __str__(self) -> str:
        return f"report #{self.pk} ({self.request_reference})"
