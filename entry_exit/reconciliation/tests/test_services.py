from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth.models import AnonymousUser

from common.models import AuditEvent
from entry_exit.models import CrossingRecord, Port
from entry_exit.reconciliation.errors import ReconciliationError
from entry_exit.reconciliation.models import ExitMatch, Outcome, Reason, Stay, Tier
from entry_exit.reconciliation.services import (
    exit_match_confirm,
    exit_match_reject,
    exits_reconcile,
    reconciliation_run,
    stays_record,
)
from entry_exit.reconciliation.synthetic import reconcile_world
from entry_exit.tests import people
from entry_exit.tests.factories import CrossingRecordFactory, PortFactory

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 1, 15, 0, tzinfo=UTC)


def _entry(days=0, **fields):
    fields.setdefault("occurred_at", T0 + timedelta(days=days))
    return CrossingRecordFactory(**fields)


def _exit(days=10, **fields):
    return CrossingRecordFactory(us_entry=True, occurred_at=T0 + timedelta(days=days), **fields)


def _match(exit) -> ExitMatch:
    return ExitMatch.objects.get(exit=exit)


def test_an_exit_matches_the_latest_earlier_entry_on_its_document():
    _entry(days=0, document_number="P1")
    latest = _entry(days=5, document_number="P1")
    _entry(days=20, document_number="P1")  # after the exit
    exit = _exit(days=10, document_number="P1")
    exits_reconcile(exit_ids=[exit.pk])
    match = _match(exit)
    assert (match.outcome, match.entry, match.tier, match.reason) == (
        Outcome.MATCHED,
        latest,
        Tier.DOCUMENT,
        Reason.DOCUMENT,
    )
    assert match.score == 100


def test_an_air_exit_is_matched_too():
    entry = _entry(document_number="P2")
    exit = CrossingRecordFactory(
        air_exit=True, occurred_at=T0 + timedelta(days=3), document_number="P2"
    )
    exits_reconcile(exit_ids=[exit.pk])
    assert _match(exit).entry == entry


def test_a_changed_document_matches_by_names_date_of_birth_and_nationality():
    entry = _entry(document_number="OLD1", given_names="Anne-Sophie Claire")
    exit = _exit(document_number="NEW1", given_names="Anne-Sophie")
    exits_reconcile(exit_ids=[exit.pk])
    match = _match(exit)
    assert (match.outcome, match.entry, match.tier, match.reason) == (
        Outcome.MATCHED,
        entry,
        Tier.NAME,
        Reason.DOCUMENT_CHANGED,
    )


def test_an_exit_with_no_entry_is_unmatched():
    _entry(document_number="X1", surname="Nguyen", given_names="Liam")
    exit = _exit(document_number="X2")
    exits_reconcile(exit_ids=[exit.pk])
    match = _match(exit)
    assert (match.outcome, match.entry, match.reason) == (
        Outcome.UNMATCHED,
        None,
        Reason.NO_CANDIDATE,
    )


def test_entries_are_never_given_to_two_exits():
    entry = _entry(document_number="P3")
    first, second = _exit(days=2, document_number="P3"), _exit(days=4, document_number="P3")
    exits_reconcile(exit_ids=[second.pk, first.pk])
    assert _match(first).entry == entry
    assert (_match(second).outcome, _match(second).reason) == (
        Outcome.UNMATCHED,
        Reason.ENTRY_TAKEN,
    )
    # And in a later run as well.
    third = _exit(days=6, document_number="P3")
    exits_reconcile(exit_ids=[third.pk])
    assert _match(third).reason == Reason.ENTRY_TAKEN


def test_running_twice_changes_nothing():
    _entry(document_number="P4")
    exit = _exit(document_number="P4")
    first = reconciliation_run()
    before = list(ExitMatch.objects.values())
    second = reconciliation_run()
    assert first["written"] == 1
    assert second["written"] == 0
    assert list(ExitMatch.objects.values()) == before
    again = exits_reconcile(exit_ids=[exit.pk], again=True)
    assert again.written == 0
    assert list(ExitMatch.objects.values()) == before


def test_a_late_entry_gives_an_unmatched_exit_its_match():
    exit = _exit(document_number="P5")
    reconciliation_run()
    assert _match(exit).outcome == Outcome.UNMATCHED
    from entry_exit.models import ExchangeBatch

    batch = ExchangeBatch.objects.create(
        direction="inbound", partner="cbsa", status="imported", created_at=T0, partner_batch_id=7
    )
    late = _entry(document_number="P5", inbound_batch=batch)
    result = reconciliation_run(batch_id=batch.pk)
    assert result["decided_again"] == 1
    assert (_match(exit).outcome, _match(exit).entry) == (Outcome.MATCHED, late)


def test_a_late_entry_after_the_matched_one_moves_the_match():
    from entry_exit.models import ExchangeBatch

    older = _entry(days=1, document_number="P6")
    exit = _exit(days=10, document_number="P6")
    reconciliation_run()
    assert _match(exit).entry == older
    batch = ExchangeBatch.objects.create(
        direction="inbound", partner="cbsa", status="imported", created_at=T0, partner_batch_id=8
    )
    newer = _entry(days=6, document_number="P6", inbound_batch=batch)
    reconciliation_run(batch_id=batch.pk)
    assert _match(exit).entry == newer


def _review() -> tuple[ExitMatch, CrossingRecord, CrossingRecord]:
    one = _entry(document_number="A1")
    two = _entry(document_number="B2", given_names="Anne-Sophie Marie")
    exit = _exit(document_number="C3")
    exits_reconcile(exit_ids=[exit.pk])
    match = _match(exit)
    assert (match.outcome, match.reason) == (Outcome.REVIEW, Reason.CLOSE_CANDIDATES)
    return match, one, two


def test_an_analyst_confirms_a_candidate_and_it_is_audited():
    match, one, _two = _review()
    analyst = people.analyst()
    exit_match_confirm(match=match, entry_id=one.pk, actor=analyst)
    match.refresh_from_db()
    assert (match.outcome, match.entry, match.tier, match.reason, match.decided_by) == (
        Outcome.MATCHED,
        one,
        Tier.ANALYST,
        Reason.ANALYST_CONFIRMED,
        analyst,
    )
    event = AuditEvent.objects.get(action="exitmatch.confirmed")
    assert event.actor == analyst
    assert event.data["old"] == "review" and event.data["new"] == "matched"
    # The job never undoes a person's decision.
    exits_reconcile(exit_ids=[match.exit_id], again=True)
    match.refresh_from_db()
    assert match.tier == Tier.ANALYST


def test_an_analyst_rejects_and_it_is_audited():
    match, _one, _two = _review()
    analyst = people.analyst()
    exit_match_reject(match=match, actor=analyst)
    match.refresh_from_db()
    assert (match.outcome, match.reason, match.entry) == (
        Outcome.UNMATCHED,
        Reason.ANALYST_REJECTED,
        None,
    )
    assert AuditEvent.objects.filter(action="exitmatch.rejected", actor=analyst).exists()
    reconciliation_run()
    match.refresh_from_db()
    assert match.reason == Reason.ANALYST_REJECTED


def test_only_a_review_can_be_decided_and_only_for_a_candidate():
    match, one, _two = _review()
    analyst = people.analyst()
    outsider = _entry(document_number="Z9", surname="Other")
    with pytest.raises(ReconciliationError) as error:
        exit_match_confirm(match=match, entry_id=outsider.pk, actor=analyst)
    assert error.value.code == "not_a_candidate"
    exit_match_reject(match=match, actor=analyst)
    with pytest.raises(ReconciliationError) as error:
        exit_match_confirm(match=match, entry_id=one.pk, actor=analyst)
    assert error.value.code == "not_in_review"
    with pytest.raises(ReconciliationError):
        exit_match_reject(match=match, actor=analyst)


@pytest.mark.parametrize("nobody", [None, AnonymousUser()])
def test_only_a_person_decides_a_review(nobody):
    match, one, _two = _review()
    for decide in (
        lambda: exit_match_confirm(match=match, entry_id=one.pk, actor=nobody),
        lambda: exit_match_reject(match=match, actor=nobody),
    ):
        with pytest.raises(ReconciliationError) as error:
            decide()
        assert (error.value.code, error.value.kind) == ("no_analyst", "forbidden")
    match.refresh_from_db()
    assert (match.outcome, match.decided_by) == (Outcome.REVIEW, None)


def test_a_confirmed_entry_must_still_be_free():
    match, one, _two = _review()
    ExitMatch.objects.create(
        exit=_exit(days=12, document_number="A1"),
        entry=one,
        outcome=Outcome.MATCHED,
        tier=Tier.DOCUMENT,
        reason=Reason.DOCUMENT,
        computed_at=T0,
    )
    with pytest.raises(ReconciliationError) as error:
        exit_match_confirm(match=match, entry_id=one.pk, actor=people.analyst())
    assert error.value.code == "entry_taken"


def test_stays_are_recorded_for_limited_categories_only():
    port = PortFactory(time_zone="America/Vancouver")
    visitor = _entry(port=port, occurred_at=datetime(2026, 1, 10, 6, 0, tzinfo=UTC))
    citizen = _entry(status="canadian_citizen", nationality="CAN")
    assert stays_record(entry_ids=[visitor.pk, citizen.pk]) == 1
    stay = Stay.objects.get()
    # 06:00 UTC on 10 January is still 9 January in Vancouver.
    assert (stay.entry, stay.authorised_days, stay.authorised_until) == (
        visitor,
        183,
        date(2026, 1, 9) + timedelta(days=182),
    )
    assert stays_record(entry_ids=[visitor.pk]) == 0


def test_synthetic_noisy_data_reconciles_near_the_public_figure_without_wrong_matches():
    day = date(2026, 6, 1)
    world = reconcile_world(travellers=1000, seed=3, day=day)
    ports = dict(Port.objects.values_list("code", "id"))
    records = []
    for row in [*world.entries, *world.exits]:
        fields = {key: value for key, value in row.items() if key != "port_code"}
        records.append(
            CrossingRecord(
                **fields,
                port_id=ports.get(row["port_code"]),
                received_at=T0,
                purge_on=date(2041, 1, 1),
            )
        )
    CrossingRecord.objects.bulk_create(records)
    reconciliation_run()
    source = dict(CrossingRecord.objects.values_list("id", "source_record_id"))
    matched = ExitMatch.objects.filter(outcome=Outcome.MATCHED)
    wrong = [
        m
        for m in matched.values_list("exit_id", "entry_id")
        if world.truth[source[m[0]]] != source[m[1]]
    ]
    assert wrong == []
    assert 100 * matched.count() / len(world.exits) >= 94.5
