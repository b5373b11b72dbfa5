"""Reads behind the reconciliation pages: the figures (a constant number of grouped
queries, whatever the period), the review queue and the suspected overstays."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from entry_exit.models import CrossingRecord, Port
from entry_exit.reconciliation.candidates import ENTRY, EXIT_EVENTS
from entry_exit.reconciliation.models import ExitMatch, Outcome, Stay
from entry_exit.reconciliation.stays import stay_compute

# Canada's published share of the records received from the United States that were
# reconciled with an entry (ENTRY_EXIT.md).
PUBLIC_FIGURE = 94.5
# The figures cover at most this many days at once.
MAX_DAYS = 366


@dataclass
class Row:
    """One day's or one port's counts."""

    label: str
    exits: int = 0
    matched: int = 0
    review: int = 0
    entries: int = 0
    entries_matched: int = 0

    @property
    def unmatched_exits(self) -> int:
        return self.exits - self.matched - self.review

    @property
    def unmatched_entries(self) -> int:
        return self.entries - self.entries_matched

    @property
    def reconciled(self) -> float | None:
        """Share of the exits matched, in per cent (None: no exits)."""
        return round(100 * self.matched / self.exits, 1) if self.exits else None


@dataclass
class Figures:
    start: date
    end: date  # inclusive
    total: Row
    days: list[Row] = field(default_factory=list)
    ports: list[Row] = field(default_factory=list)
    public_figure: float = PUBLIC_FIGURE


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    return (
        datetime.combine(start, time(0), tzinfo=UTC),
        datetime.combine(end + timedelta(days=1), time(0), tzinfo=UTC),
    )


def _place(port_name: str | None, airport: str) -> str:
    return port_name or airport or "—"


def reconciliation_figures(*, start: date, end: date) -> Figures:
    """Exits received and entries recorded between ``start`` and ``end`` (UTC days,
    inclusive): reconciled, in review, unmatched, per day and per place. Four grouped
    queries and one for the ports' names, whatever the period."""
    since, until = _bounds(start, end)
    matched_entry = ExitMatch.objects.filter(entry=OuterRef("pk"), outcome=Outcome.MATCHED)
    exits = CrossingRecord.objects.filter(
        event__in=EXIT_EVENTS, occurred_at__gte=since, occurred_at__lt=until
    )
    entries = CrossingRecord.objects.filter(
        event=ENTRY, occurred_at__gte=since, occurred_at__lt=until
    )
    names = {pk: port.display_name for pk, port in Port.objects.in_bulk().items()}
    total = Row(label="")
    days = {
        start + timedelta(days=n): Row(label=(start + timedelta(days=n)).isoformat())
        for n in range((end - start).days + 1)
    }
    ports: dict[str, Row] = {}

    def port_row(port_id: int | None, airport: str) -> Row:
        label = _place(names.get(port_id), airport)
        return ports.setdefault(label, Row(label=label))

    def add(row: Row, outcome: str | None, n: int) -> None:
        row.exits += n
        if outcome == Outcome.MATCHED:
            row.matched += n
        elif outcome == Outcome.REVIEW:
            row.review += n

    by_day = (
        exits.annotate(day=TruncDate("occurred_at", tzinfo=UTC))
        .values("day", "exit_match__outcome")
        .annotate(n=Count("id"))
    )
    for exit_day in by_day:
        add(days[exit_day["day"]], exit_day["exit_match__outcome"], exit_day["n"])
        add(total, exit_day["exit_match__outcome"], exit_day["n"])
    by_port = exits.values("port_id", "airport_code", "exit_match__outcome").annotate(n=Count("id"))
    for exit_port in by_port:
        add(
            port_row(exit_port["port_id"], exit_port["airport_code"]),
            exit_port["exit_match__outcome"],
            exit_port["n"],
        )
    entries = entries.annotate(ended=Exists(matched_entry))
    for entry_day in (
        entries.annotate(day=TruncDate("occurred_at", tzinfo=UTC))
        .values("day", "ended")
        .annotate(n=Count("id"))
    ):
        for row in (days[entry_day["day"]], total):
            row.entries += entry_day["n"]
            row.entries_matched += entry_day["n"] if entry_day["ended"] else 0
    for entry_port in entries.values("port_id", "ended").annotate(n=Count("id")):
        row = port_row(entry_port["port_id"], "")
        row.entries += entry_port["n"]
        row.entries_matched += entry_port["n"] if entry_port["ended"] else 0
    return Figures(
        start=start,
        end=end,
        total=total,
        days=list(days.values()),
        ports=sorted(ports.values(), key=lambda row: row.label),
    )


def review_queue() -> QuerySet[ExitMatch]:
    """The matches waiting for an analyst, oldest exit first (identifiers only)."""
    return (
        ExitMatch.objects.filter(outcome=Outcome.REVIEW)
        .select_related("exit__port")
        .order_by("exit__occurred_at", "id")
    )


def review_item(*, pk: int) -> ExitMatch | None:
    return review_queue().filter(pk=pk).first()


def review_records(match: ExitMatch) -> tuple[CrossingRecord, list[tuple[CrossingRecord, int]]]:
    """The exit and its candidate entries (with their scores), best first."""
    scores = {item["entry"]: item["score"] for item in match.candidates}
    entries = CrossingRecord.objects.select_related("port").in_bulk(list(scores))
    candidates = [(entries[pk], scores[pk]) for pk in scores if pk in entries]
    return match.exit, candidates


@dataclass(frozen=True)
class Suspicion:
    stay: Stay
    authorised_until: date
    days_over: int
    last_seen: CrossingRecord | None


# The suspected overstays page lists at most this many, the longest over first.
MAX_SUSPECTED = 500


def suspected_overstays(*, now: datetime | None = None) -> list[Suspicion]:
    """Stays whose authorised period has ended with no exit on record, each with why:
    the entry record, the last authorised day, the days over, and when and where the
    traveller was last seen (their latest crossing by document or by name and date of
    birth). Re-computed on every call: a late exit or entry changes it at once."""
    now = now or timezone.now()
    ended = ExitMatch.objects.filter(entry=OuterRef("entry"), outcome=Outcome.MATCHED)
    stays = list(
        Stay.objects.filter(authorised_until__lt=now.astimezone(UTC).date() + timedelta(days=1))
        .filter(~Exists(ended))
        .select_related("entry__port")
        .order_by("authorised_until", "id")[:MAX_SUSPECTED]
    )
    suspicions: list[tuple[Stay, date, int]] = []
    for stay in stays:
        port = stay.entry.port
        assert port is not None  # an entry is a land crossing: it has its port (constraint)
        facts = stay_compute(
            entered_at=stay.entry.occurred_at,
            entry_zone=port.tz,
            authorised=stay.authorised_days,
            now=now,
        )
        if facts.suspected_overstay:
            # Suspected: the authorised period has ended, so it has a last day.
            assert facts.authorised_until is not None
            suspicions.append((stay, facts.authorised_until, facts.days_over))
    last_seen = _last_seen([stay.entry for stay, _until, _over in suspicions])
    return [
        Suspicion(stay, until, days_over, last_seen.get(stay.entry_id))
        for stay, until, days_over in suspicions
    ]


# A traveller, as crossings are grouped: (document number, issuing country) or
# (normalised surname, date of birth).
_TravellerKey = tuple[str, str] | tuple[str, date]


def _last_seen(entries: list[CrossingRecord]) -> dict[int, CrossingRecord | None]:
    """Each entry's traveller's latest crossing (on its document, or its normalised
    surname and date of birth): one query for all (narrowed further here)."""
    if not entries:
        return {}
    documents = {(entry.document_number, entry.document_country) for entry in entries}
    names = {(entry.surname_normalised, entry.date_of_birth) for entry in entries}
    records = CrossingRecord.objects.filter(
        Q(document_number__in={number for number, _country in documents})
        | Q(surname_normalised__in={surname for surname, _born in names})
    ).select_related("port")
    crossings: defaultdict[_TravellerKey, list[CrossingRecord]] = defaultdict(list)
    for record in records:
        document = (record.document_number, record.document_country)
        name = (record.surname_normalised, record.date_of_birth)
        if document in documents:
            crossings[document].append(record)
        if name in names:
            crossings[name].append(record)
    latest: dict[int, CrossingRecord | None] = {}
    for entry in entries:
        seen = (
            crossings[(entry.document_number, entry.document_country)]
            + crossings[(entry.surname_normalised, entry.date_of_birth)]
        )
        latest[entry.pk] = max(
            seen, key=lambda record: (record.occurred_at, record.pk), default=None
        )
    return latest
