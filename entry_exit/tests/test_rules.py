"""The share rules against the seed, for both phases; the three places that apply them
(the build query, the re-check, the database) agree on every combination; the rules doc
is generated from the declaration and cannot drift."""

import itertools
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction

from entry_exit.choices import SOURCE_EVENT, Event, Source, StatusCategory
from entry_exit.management.commands.entry_exit_rules_doc import render
from entry_exit.models import CrossingRecord, ExchangeBatch, OutboundItem
from entry_exit.rules import (
    EVENT_RULES,
    PHASES,
    SHARE_RULES,
    share_refusal,
    shareable_records_q,
)
from entry_exit.tests.factories import CROSSED_AT, CrossingRecordFactory, PortFactory

DOC = settings.BASE_DIR / "docs" / "entry_exit_rules.md"
C = StatusCategory

# The seed, read independently of rules.py. Phase 1: "third-country nationals (non U.S.
# or Canadian citizens), permanent residents of Canada who are not U.S. citizens and
# lawful permanent residents of the U.S. who are not Canadian citizens"; "No information
# is shared on Canadian or U.S. citizens, Registered Indians, or protected persons."
SEED_PHASE_1_SHARED = {
    C.FOREIGN_NATIONAL: {"CAN", "USA"},  # the nationalities that keep it home
    C.PERMANENT_RESIDENT_CA: {"USA"},
    C.LAWFUL_PERMANENT_RESIDENT_US: {"CAN"},
}
# Ours, stricter than the seed's words and never looser: a permanent resident of Canada
# with a Canadian document (or of the US with an American one) contradicts the category;
# such a record stays home too.
PHASE_1_CONTRADICTIONS = {C.PERMANENT_RESIDENT_CA: {"CAN"}, C.LAWFUL_PERMANENT_RESIDENT_US: {"USA"}}
SEED_NEVER = {C.CANADIAN_CITIZEN, C.US_CITIZEN, C.REGISTERED_INDIAN, C.PROTECTED_PERSON}
# Phase 2: "all travellers (including Canadian and U.S. citizens)"; our decision keeps
# Registered Indians and protected persons home (docs/entry_exit_rules.md says why).
PHASE_2_KEPT_HOME = {C.REGISTERED_INDIAN, C.PROTECTED_PERSON}

NATIONALITIES = ["CAN", "USA", "FRA", "MEX", "XXA", "XXB"]


def seed_allows(
    *, phase: int, source: str, event: str, category: str, nationality: str, literal=False
) -> bool:
    if source != Source.CBSA_PRIMARY or event != Event.LAND_ENTRY_CANADA:
        return False
    if phase == 1:
        kept_home = SEED_PHASE_1_SHARED.get(category, set())
        if not literal:
            kept_home = kept_home | PHASE_1_CONTRADICTIONS.get(category, set())
        return category in SEED_PHASE_1_SHARED and nationality not in kept_home
    return category not in PHASE_2_KEPT_HOME


def every_combination():
    for phase, category, nationality, (source, event) in itertools.product(
        PHASES, C.values, NATIONALITIES, SOURCE_EVENT.items()
    ):
        yield phase, source, event, category, nationality


# --- The tables --------------------------------------------------------------------------


@pytest.mark.parametrize("phase", PHASES)
def test_each_phase_rules_on_every_category_once(phase):
    assert sorted(rule.category for rule in SHARE_RULES[phase]) == sorted(C.values)


@pytest.mark.parametrize("phase", PHASES)
def test_every_rule_gives_its_reason(phase):
    for rule in SHARE_RULES[phase]:
        assert len(str(rule.reason)) > 40, rule.category
    for rule in EVENT_RULES:
        assert len(str(rule.reason)) > 40, rule.event


def test_phase_1_shares_what_the_seed_says_and_nothing_else():
    shared = {rule.category for rule in SHARE_RULES[1] if rule.shared}
    assert shared == set(SEED_PHASE_1_SHARED)
    assert not shared & SEED_NEVER


def test_phase_2_adds_the_citizens_and_keeps_registered_indians_and_protected_persons_home():
    shared = {rule.category for rule in SHARE_RULES[2] if rule.shared}
    assert shared == set(C.values) - PHASE_2_KEPT_HOME
    assert {C.CANADIAN_CITIZEN, C.US_CITIZEN} <= shared
    assert {rule.category for rule in SHARE_RULES[1] if rule.shared} < shared


def test_air_exits_and_us_entries_are_never_shared():
    shared = {rule.event for rule in EVENT_RULES if rule.shared}
    assert shared == {Event.LAND_ENTRY_CANADA}


@pytest.mark.parametrize(
    ("phase", "source", "event", "category", "nationality"), list(every_combination())
)
def test_share_refusal_agrees_with_the_seed_on_every_combination(
    phase, source, event, category, nationality
):
    combination = {
        "phase": phase,
        "source": source,
        "event": event,
        "category": category,
        "nationality": nationality,
    }
    allowed = share_refusal(**combination) is None
    assert allowed == seed_allows(**combination)
    if allowed:  # never looser than the seed's own words
        assert seed_allows(**combination, literal=True)


def test_what_the_tables_do_not_name_is_refused():
    base = {"source": "cbsa_primary", "event": "land_entry_canada", "nationality": "FRA"}
    assert share_refusal(phase=3, category="foreign_national", **base) == "phase"
    assert share_refusal(phase=True, category="foreign_national", **base) == "phase"
    assert share_refusal(phase=1, category="tourist", **base) == "category"
    assert share_refusal(phase=2, category="foreign_national", **{**base, "source": "x"}) == (
        "source"
    )
    assert share_refusal(phase=2, category="foreign_national", **{**base, "event": "x"}) == (
        "event"
    )


# --- The query and the database constraint agree with the re-check ----------------------


@pytest.mark.django_db
@pytest.mark.parametrize("phase", PHASES)
def test_the_build_query_selects_exactly_what_share_refusal_allows(phase):
    canada, united_states = PortFactory(), PortFactory(us=True)
    for _phase, source, event, category, nationality in every_combination():
        if _phase != phase:
            continue
        port = {Event.LAND_ENTRY_CANADA: canada, Event.LAND_ENTRY_US: united_states}.get(event)
        CrossingRecordFactory(
            source=source,
            event=event,
            status=category,
            nationality=nationality,
            port=port,
            airport_code="" if port else "YVR",
        )
    selected = set(CrossingRecord.objects.filter(shareable_records_q(phase)))
    for record in CrossingRecord.objects.all():
        allowed = not share_refusal(
            phase=phase,
            source=record.source,
            event=record.event,
            category=record.status,
            nationality=record.nationality,
        )
        assert (record in selected) == allowed, (record.status, record.nationality, record.event)


@pytest.mark.django_db
def test_the_database_constraint_takes_exactly_what_share_refusal_allows():
    record = CrossingRecordFactory()
    batch = ExchangeBatch.objects.create(
        direction="outbound", partner="cbp", phase=1, status="building", created_at=CROSSED_AT
    )
    for phase, category, nationality, event in itertools.product(
        PHASES, C.values, NATIONALITIES, Event.values
    ):
        allowed = not share_refusal(
            phase=phase,
            source=Source.CBSA_PRIMARY,
            event=event,
            category=category,
            nationality=nationality,
        )
        try:
            with transaction.atomic():
                OutboundItem.objects.create(
                    batch=batch,
                    record=record,
                    phase=phase,
                    status=category,
                    nationality=nationality,
                    event=event,
                )
                transaction.set_rollback(True)
            stored = True
        except IntegrityError:
            stored = False
        assert stored == allowed, (phase, category, nationality, event)


# --- The setting -------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "3", "two", "1.5"])
def test_an_unknown_phase_refuses_to_start(value):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "nexus_portal.settings"}
    env["ENTRY_EXIT_PHASE"] = value
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ENTRY_EXIT_PHASE" in result.stderr or "invalid literal" in result.stderr


# --- The generated doc -------------------------------------------------------------------


def test_the_committed_rules_doc_is_what_the_command_generates():
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/entry_exit_rules.md is out of date: run `python manage.py entry_exit_rules_doc`"
    )


def test_check_passes_when_up_to_date_and_fails_on_drift(tmp_path):
    output = tmp_path / "rules.md"
    call_command("entry_exit_rules_doc", output=output, stdout=StringIO())
    call_command("entry_exit_rules_doc", "--check", output=output, stdout=StringIO())
    output.write_text(output.read_text().replace("**never**", "sent", 1))
    with pytest.raises(CommandError, match="out of date"):
        call_command("entry_exit_rules_doc", "--check", output=output, stdout=StringIO())


def test_the_doc_gives_both_phases_every_reason_and_the_phase_2_decision():
    text = render()
    for phase in PHASES:
        assert f"## Phase {phase}" in text
        for rule in SHARE_RULES[phase]:
            assert f"| `{rule.category}` " in text
            assert str(rule.reason) in text
    assert "## Why phase 2 keeps two categories home" in text
    assert "Jay Treaty" in text and "non-refoulement" in text
