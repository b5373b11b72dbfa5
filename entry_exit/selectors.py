from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet

from centres.models import StaffProfile
from centres.selectors import is_programme_admin, staff_profile_of
from common.actors import Actor
from entry_exit.models import (
    AccessLogEntry,
    BatchDirection,
    BatchStatus,
    CrossingRecord,
    ExchangeBatch,
    LegalHold,
    OutboundItem,
    Port,
)
from entry_exit.rules import shareable_records_q


def ports_by_code() -> dict[str, Port]:
    """Every port, active or not (late records name ports that have since closed)."""
    return {port.code: port for port in Port.objects.all()}


def outbound_candidates(*, phase: int) -> QuerySet[CrossingRecord]:
    """Records ``phase`` allows to leave that are in no outbound batch yet, oldest first."""
    sent = OutboundItem.objects.filter(record=OuterRef("pk"))
    return (
        CrossingRecord.objects.filter(shareable_records_q(phase))
        .filter(~Exists(sent))
        .order_by("received_at", "id")
    )


def outbound_batches_pending(*, now: datetime) -> QuerySet[ExchangeBatch]:
    """Outbound batches a run should carry on with, oldest first: built but not written
    (a run died in between), written but not sent, or failed and due for another try;
    never one another run is sending now."""
    free = Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    due = Q(status__in=[BatchStatus.BUILDING, BatchStatus.WRITTEN])
    due |= Q(status=BatchStatus.FAILED, next_attempt_at__lte=now)
    return (
        ExchangeBatch.objects.filter(direction=BatchDirection.OUTBOUND)
        .filter(due & free)
        .order_by("created_at", "id")
    )


# --- Who may do what ---------------------------------------------------------------------
# Analysts look travellers up, operators run the exchange, a programme administrator (or a
# superuser) does both and reads the access log. Everyone else gets a 404 from the views.

LOOK_UP_ROLES = (StaffProfile.Role.ENTRY_EXIT_ANALYST, StaffProfile.Role.PROGRAMME_ADMIN)
EXCHANGE_ROLES = (StaffProfile.Role.ENTRY_EXIT_OPERATOR, StaffProfile.Role.PROGRAMME_ADMIN)


def _role(user: Actor) -> str | None:
    profile = staff_profile_of(user)
    return profile.role if profile else None


def may_look_up_travellers(user: Actor) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_superuser or _role(user) in LOOK_UP_ROLES)
    )


def may_operate_exchange(user: Actor) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_superuser or _role(user) in EXCHANGE_ROLES)
    )


def may_read_access_log(user: Actor) -> bool:
    return is_programme_admin(user)


# Legal holds: analysts, operators and programme administrators see them (what is held,
# why, by whom; never the records themselves); only a programme administrator places or
# lifts one: it overrides the retention the law sets, and placing it consults a
# traveller's records, which operators otherwise never do.
HOLD_VIEWER_ROLES = (*LOOK_UP_ROLES, StaffProfile.Role.ENTRY_EXIT_OPERATOR)


def may_see_legal_holds(user: Actor) -> bool:
    return bool(
        user and user.is_authenticated and (user.is_superuser or _role(user) in HOLD_VIEWER_ROLES)
    )


def may_manage_legal_holds(user: Actor) -> bool:
    return is_programme_admin(user)


def entry_exit_permissions(user: Actor) -> dict[str, bool]:
    """What the user may open, for the pages' navigation."""
    return {
        "look_up": may_look_up_travellers(user),
        "report": may_look_up_travellers(user),
        "exchange": may_operate_exchange(user),
        "access_log": may_read_access_log(user),
        "legal_holds": may_see_legal_holds(user),
        "manage_legal_holds": may_manage_legal_holds(user),
    }


# --- Reads behind the pages --------------------------------------------------------------

LOOK_UP_LIMIT = 500


def traveller_records_by_document(*, number: str, country: str) -> list[CrossingRecord]:
    """One traveller's crossings by travel document, newest first (at most LOOK_UP_LIMIT)."""
    records = CrossingRecord.objects.filter(document_number=number, document_country=country)
    return list(records.select_related("port").order_by("-occurred_at", "-id")[:LOOK_UP_LIMIT])


def traveller_records_by_name(
    *, surname_normalised: str, date_of_birth: date
) -> list[CrossingRecord]:
    """One traveller's crossings by ICAO surname and date of birth, newest first."""
    records = CrossingRecord.objects.filter(
        surname_normalised=surname_normalised, date_of_birth=date_of_birth
    )
    return list(records.select_related("port").order_by("-occurred_at", "-id")[:LOOK_UP_LIMIT])


def exchange_batches() -> QuerySet[ExchangeBatch]:
    """Every batch in and out, newest first."""
    return ExchangeBatch.objects.order_by("-created_at", "-id")


def outbound_batch_failed(*, pk: int) -> ExchangeBatch | None:
    return ExchangeBatch.objects.filter(
        pk=pk, direction=BatchDirection.OUTBOUND, status=BatchStatus.FAILED
    ).first()


def access_log_entries() -> QuerySet[AccessLogEntry]:
    return AccessLogEntry.objects.select_related("user").order_by("-sequence")


def traveller_records(*, kind: str, values: Mapping[str, Any]) -> list[CrossingRecord]:
    """One traveller's crossings by the look-up's criteria (``kind`` "document" or
    "name_dob", ``values`` a criteria form's cleaned data)."""
    if kind == "document":
        return traveller_records_by_document(
            number=values["document_number"], country=values["document_country"]
        )
    return traveller_records_by_name(
        surname_normalised=values["surname"], date_of_birth=values["date_of_birth"]
    )


def records_by_ids(ids: Iterable[int]) -> list[CrossingRecord]:
    """These records (those still held), newest first."""
    records = CrossingRecord.objects.filter(pk__in=list(ids)).select_related("port")
    return list(records.order_by("-occurred_at", "-id"))


def consultation_of(*, user: User, sequence: int) -> AccessLogEntry | None:
    """``user``'s own consultation number ``sequence``, if there is one."""
    return AccessLogEntry.objects.filter(sequence=sequence, user=user).first()


def legal_holds() -> QuerySet[LegalHold]:
    """Every hold, active ones first, newest first; ``records_now``: the records it still
    covers (those purged since it was lifted are gone)."""
    return (
        LegalHold.objects.select_related("placed_by", "lifted_by", "consultation")
        .annotate(records_now=Count("records"))
        .order_by(F("lifted_at").desc(nulls_first=True), "-placed_at", "-id")
    )


def legal_hold(*, pk: int) -> LegalHold | None:
    return legal_holds().filter(pk=pk).first()


def sent_to_partner(record_ids: Iterable[int]) -> dict[int, ExchangeBatch]:
    """For each of these records that is in an outbound batch: that batch."""
    items = OutboundItem.objects.filter(record_id__in=list(record_ids)).select_related("batch")
    return {item.record_id: item.batch for item in items}
