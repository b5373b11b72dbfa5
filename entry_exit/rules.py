"""Who may leave Canada: the share rules, declared once.

The source is seed 004 (``../shared/seeds/004_d321e35e8ab652d7.txt``, the CBSA's page on
the Entry/Exit Initiative). Everything that decides whether a record may be sent to the
United States reads this module:

* ``outbound_batch_build`` selects records with ``shareable_records_q``;
* ``outbound_batch_write`` re-checks every item with ``share_refusal`` just before the
  file is written, and ``outbound_batch_send`` again before any later send (a retry);
* the database refuses an ``OutboundItem`` outside the rules with a check constraint built
  by ``outbound_item_condition`` (a change here needs a migration: ``makemigrations
  --check`` fails until it is written);
* ``docs/entry_exit_rules.md`` is rendered from ``EVENT_RULES`` and ``SHARE_RULES``
  (``manage.py entry_exit_rules_doc``).

Three layers, all of which must allow a record:

1. **Source and event**: only land entries into Canada recorded at CBSA primary
   inspection. Air exits are never shared, in any phase (seed: "This information would
   not be shared with the U.S."); land entries into the US are the partner's own records,
   received from it, and are never sent back.
2. **Status category**, per phase (``ENTRY_EXIT_PHASE``, 1 by default).
3. **Nationality**, per category: phase 1 shares permanent residents of Canada "who are
   not U.S. citizens" and lawful permanent residents of the US "who are not Canadian
   citizens", and third-country nationals are "non U.S. or Canadian citizens": a record
   whose document nationality is Canadian or American stays home in phase 1, whatever
   its category says.

Phase 2 (the seed's "future deliverable": "all travellers (including Canadian and U.S.
citizens)") lifts the exclusion of Canadian and US citizens, which the seed names. It keeps
Registered Indians and protected persons unshared: the seed lifts the citizens' exclusion
by name and says nothing of theirs, each rests on protections of its own, and a record once
sent cannot be recalled — so where the seed is silent, the narrower reading stands until an
explicit decision changes this table. The reasons below say so for each.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from entry_exit.choices import CANADA, UNITED_STATES, Event, Source, StatusCategory

PHASES = (1, 2)

# Shorthand for the rule tables below.
C = StatusCategory
NORTH_AMERICAN = frozenset({CANADA, UNITED_STATES})

SEED = "seed 004"


@dataclass(frozen=True)
class EventRule:
    event: str
    shared: bool
    reason: Promise


@dataclass(frozen=True)
class ShareRule:
    """Whether LAND entries into Canada of travellers in ``category`` may be sent to the
    United States, and why. ``kept_home_nationalities``: document nationalities that keep
    a shared category's record in Canada all the same."""

    category: str
    shared: bool
    reason: Promise
    kept_home_nationalities: frozenset[str] = frozenset()


# The one source whose records may leave: what CBSA officers recorded at a land port.
SHARED_SOURCE = Source.CBSA_PRIMARY

EVENT_RULES: tuple[EventRule, ...] = (
    EventRule(
        Event.LAND_ENTRY_CANADA,
        True,
        _(
            "The exchange itself (seed 004): “the record of a land entry into one country "
            "can be used to establish an exit record from the other”. Which travellers' "
            "entries may be sent depends on the phase's table below."
        ),
    ),
    EventRule(
        Event.LAND_ENTRY_US,
        False,
        _(
            "Received from the United States (their land entries, our exits): the "
            "partner's own records are never sent back to it."
        ),
    ),
    EventRule(
        Event.AIR_EXIT,
        False,
        _(
            "Never shared, in any phase. Seed 004 on exit records from air carriers' "
            "passenger manifests: “This information would not be shared with the U.S.”"
        ),
    ),
)

_NEVER_IN_PHASE_1 = _(
    "Seed 004: “No information is shared on Canadian or U.S. citizens, Registered "
    "Indians, or protected persons.”"
)

SHARE_RULES: dict[int, tuple[ShareRule, ...]] = {
    1: (
        ShareRule(C.CANADIAN_CITIZEN, False, _NEVER_IN_PHASE_1),
        ShareRule(C.US_CITIZEN, False, _NEVER_IN_PHASE_1),
        ShareRule(C.REGISTERED_INDIAN, False, _NEVER_IN_PHASE_1),
        ShareRule(C.PROTECTED_PERSON, False, _NEVER_IN_PHASE_1),
        ShareRule(
            C.PERMANENT_RESIDENT_CA,
            True,
            _(
                "Seed 004: the countries exchange entry information on “permanent "
                "residents of Canada who are not U.S. citizens”. A record whose document "
                "nationality is American (or Canadian, which contradicts the category) "
                "stays home."
            ),
            NORTH_AMERICAN,
        ),
        ShareRule(
            C.LAWFUL_PERMANENT_RESIDENT_US,
            True,
            _(
                "Seed 004: “lawful permanent residents of the U.S. who are not Canadian "
                "citizens”. A record whose document nationality is Canadian (or "
                "American, which contradicts the category) stays home."
            ),
            NORTH_AMERICAN,
        ),
        ShareRule(
            C.FOREIGN_NATIONAL,
            True,
            _(
                "Seed 004: “third-country nationals (non U.S. or Canadian citizens)”. A "
                "record whose document nationality is Canadian or American contradicts "
                "the category and stays home."
            ),
            NORTH_AMERICAN,
        ),
    ),
    2: (
        ShareRule(
            C.CANADIAN_CITIZEN,
            True,
            _(
                "Seed 004, future deliverables: “the exchange of biographic entry data on "
                "all travellers (including Canadian and U.S. citizens) with the U.S. at "
                "land ports of entry”."
            ),
        ),
        ShareRule(
            C.US_CITIZEN,
            True,
            _(
                "Seed 004, future deliverables: all travellers, “including Canadian and "
                "U.S. citizens”."
            ),
        ),
        ShareRule(
            C.REGISTERED_INDIAN,
            False,
            _(
                "Kept unshared in phase 2 (our decision). Seed 004 lifts the exclusion of "
                "Canadian and US citizens by name and says nothing of Registered Indians, "
                "whose exclusion rests on rights of their own (status under the Indian "
                "Act; the border-crossing rights recognised since the Jay Treaty). A "
                "general widening does not take those away; sharing them needs an "
                "explicit decision, then a change to this table."
            ),
        ),
        ShareRule(
            C.PROTECTED_PERSON,
            False,
            _(
                "Kept unshared in phase 2 (our decision). Seed 004 lifts the exclusion of "
                "citizens only; telling another state where a protected person travels "
                "bears on refugee protection (non-refoulement, the confidentiality of "
                "claims) and needs a legal basis of its own. A record once sent cannot be "
                "recalled, so where the seed is silent the narrower reading stands."
            ),
        ),
        ShareRule(
            C.PERMANENT_RESIDENT_CA,
            True,
            _("Shared since phase 1; phase 2 covers all travellers, whatever their nationality."),
        ),
        ShareRule(
            C.LAWFUL_PERMANENT_RESIDENT_US,
            True,
            _("Shared since phase 1; phase 2 covers all travellers, whatever their nationality."),
        ),
        ShareRule(
            C.FOREIGN_NATIONAL,
            True,
            _("Shared since phase 1; phase 2 covers all travellers, whatever their nationality."),
        ),
    ),
}

# Why phase 2 shares what it shares (rendered into docs/entry_exit_rules.md).
PHASE_2_DECISION = (
    "Seed 004's future deliverable is “the exchange of biographic entry data on all "
    "travellers (including Canadian and U.S. citizens) with the U.S. at land ports of "
    "entry”. Phase 2 lifts the exclusion of Canadian and US citizens, which that sentence "
    "names, and the nationality conditions of phase 1, which existed only to keep citizens "
    "home.\n\n"
    "It keeps **Registered Indians** and **protected persons** unshared. The seed's note "
    "lists four exclusions (“No information is shared on Canadian or U.S. citizens, "
    "Registered Indians, or protected persons”); the future deliverable names two of them "
    "and is silent on the others. Each of those two rests on protections of its own: for "
    "Registered Indians, their status under the Indian Act and the border-crossing rights "
    "recognised since the Jay Treaty; for protected persons, refugee protection — "
    "non-refoulement and the confidentiality of claims — which telling another state "
    "where they travel bears on directly. A record once sent cannot be recalled, while a "
    "category kept home can be shared later: where the seed is silent, the narrower "
    "reading stands. Sharing either needs an explicit decision, then a change to "
    "`SHARE_RULES` in `entry_exit/rules.py` and the migration of the `OutboundItem` "
    "check constraint that follows from it."
)

# Why an item may not leave, as ``share_refusal`` says it (stored in a batch's report).
REFUSAL_CODES = {
    "phase": _("The phase is not one the rules declare."),
    "source": _("Only records from CBSA primary inspection are sent."),
    "event": _("Only land entries into Canada are sent; air exits and US entries never."),
    "category": _("The traveller's status category is not shared in this phase."),
    "nationality": _("The document nationality keeps this record in Canada in this phase."),
}


def check_phase(phase) -> int:
    if isinstance(phase, bool) or phase not in PHASES:
        raise ValueError(f"ENTRY_EXIT_PHASE must be one of {PHASES}, not {phase!r}.")
    return phase


def rule_for(*, phase: int, category: str) -> ShareRule:
    return next(rule for rule in SHARE_RULES[check_phase(phase)] if rule.category == category)


def event_shared(event: str) -> bool:
    return any(rule.shared for rule in EVENT_RULES if rule.event == event)


def share_refusal(
    *, phase: int, source: str, event: str, category: str, nationality: str
) -> str | None:
    """Why a record may not be sent in ``phase`` (a ``REFUSAL_CODES`` key), or None if it
    may. Anything the tables do not name is refused."""
    if isinstance(phase, bool) or phase not in PHASES:
        return "phase"
    if source != SHARED_SOURCE:
        return "source"
    if not event_shared(event):
        return "event"
    rule = next((r for r in SHARE_RULES[phase] if r.category == category), None)
    if rule is None or not rule.shared:
        return "category"
    if nationality in rule.kept_home_nationalities:
        return "nationality"
    return None


def _category_q(phase: int, *, status: str, nationality: str) -> Q:
    """Categories and nationalities ``phase`` shares, over the given field names. Rules
    with the same kept-home nationalities are grouped, in declaration order, so the
    expression (and the migration it ends up in) is stable."""
    groups: dict[frozenset[str], list[str]] = {}
    for rule in SHARE_RULES[check_phase(phase)]:
        if rule.shared:
            groups.setdefault(rule.kept_home_nationalities, []).append(str(rule.category))
    condition = Q()
    for kept_home, categories in groups.items():
        part = Q(**{f"{status}__in": categories})
        if kept_home:
            part &= ~Q(**{f"{nationality}__in": sorted(kept_home)})
        condition |= part
    return condition


def _shared_events() -> list[str]:
    return [str(rule.event) for rule in EVENT_RULES if rule.shared]


def shareable_records_q(phase: int) -> Q:
    """The ``CrossingRecord`` rows ``phase`` allows to leave (sent or not)."""
    return (
        Q(source=SHARED_SOURCE)
        & Q(event__in=_shared_events())
        & _category_q(phase, status="status", nationality="nationality")
    )


def outbound_item_condition(phases: Iterable[int] = PHASES) -> Q:
    """The ``OutboundItem`` check constraint: the copied event is a shared one, and the
    copied category and nationality are shared in the item's phase."""
    by_phase = Q()
    for phase in phases:
        by_phase |= Q(phase=phase) & _category_q(phase, status="status", nationality="nationality")
    return Q(event__in=_shared_events()) & by_phase
