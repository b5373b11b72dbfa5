from datetime import UTC, datetime, timedelta

from entry_exit.reconciliation.matching import (
    ACCEPT,
    MIDDLE_NAME_DROPPED,
    REVIEW,
    Traveller,
    match_decide,
    name_score,
)
from entry_exit.reconciliation.models import Outcome, Reason, Tier

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


def _t(pk, surname="TREMBLAY", given="MARIE EVE", doc="AB123456", days=0, sex="F"):
    return Traveller(pk, surname, given, doc, "CAN", T0 + timedelta(days=days), sex)


def _score(a, b, c, d):
    return name_score(exit_surname=a, exit_given=b, entry_surname=c, entry_given=d)


def test_identical_names_score_100():
    assert _score("TREMBLAY", "MARIE", "TREMBLAY", "MARIE") == 100


def test_a_dropped_middle_name_scores_high_but_not_100():
    assert _score("TREMBLAY", "MARIE", "TREMBLAY", "MARIE EVE") >= ACCEPT
    assert _score("TREMBLAY", "MARIE", "TREMBLAY", "MARIE EVE") < 100
    assert _score("TREMBLAY", "MARIE EVE", "TREMBLAY", "MARIE") == _score(
        "TREMBLAY", "MARIE", "TREMBLAY", "MARIE EVE"
    )
    assert MIDDLE_NAME_DROPPED < 100


def test_one_typo_in_a_surname_still_scores_as_the_same_traveller():
    assert _score("TREMBLYA", "MARIE", "TREMBLAY", "MARIE") >= REVIEW
    assert _score("GAGNON", "LIAM", "GAGNN", "LIAM") >= ACCEPT


def test_other_names_score_low():
    assert _score("TREMBLAY", "MARIE", "NGUYEN", "LIAM") < REVIEW


def test_tier_one_match_by_document():
    exit = _t(1, days=10)
    decision = match_decide(exit=exit, by_document=_t(2), by_name=[])
    assert (decision.outcome, decision.tier, decision.entry) == (
        Outcome.MATCHED,
        Tier.DOCUMENT,
        2,
    )
    assert decision.reason == Reason.DOCUMENT
    assert decision.score == 100


def test_tier_one_with_other_names_goes_to_review():
    decision = match_decide(exit=_t(1, days=10), by_document=_t(2, "NGUYEN", "LIAM"), by_name=[])
    assert decision.outcome == Outcome.REVIEW
    assert decision.reason == Reason.DOCUMENT_NAME_DIFFER
    assert decision.candidates == [{"entry": 2, "score": decision.score}]


def test_a_later_entry_on_another_document_goes_to_review_with_both():
    # The same traveller on a NEXUS card since, or a namesake born the same day.
    later = _t(3, doc="NEXUS999", days=5)
    decision = match_decide(exit=_t(1, days=10), by_document=_t(2), by_name=[later])
    assert (decision.outcome, decision.reason) == (
        Outcome.REVIEW,
        Reason.LATER_ENTRY_OTHER_DOCUMENT,
    )
    assert {item["entry"] for item in decision.candidates} == {2, 3}


def test_later_entries_on_the_same_document_change_nothing():
    later = _t(3, days=5)  # the tier-1 look-up would have found it: only others count
    decision = match_decide(exit=_t(1, days=10), by_document=_t(2), by_name=[later])
    assert (decision.outcome, decision.entry) == (Outcome.MATCHED, 2)


def test_a_later_entry_with_other_names_changes_nothing():
    later = _t(3, surname="NGUYEN", given="LIAM", doc="NEXUS999", days=5)
    decision = match_decide(exit=_t(1, days=10), by_document=_t(2), by_name=[later])
    assert (decision.outcome, decision.entry) == (Outcome.MATCHED, 2)


def test_changed_document_matches_by_name_the_latest_entry_of_that_traveller():
    exit = _t(1, doc="NEW0001", days=10)
    entries = [_t(2, days=0), _t(3, days=4)]
    decision = match_decide(exit=exit, by_document=None, by_name=entries)
    assert (decision.outcome, decision.tier, decision.entry) == (Outcome.MATCHED, Tier.NAME, 3)
    assert decision.reason == Reason.DOCUMENT_CHANGED


def test_two_close_travellers_go_to_review():
    exit = _t(1, doc="NEW0001", days=10)
    entries = [_t(2, doc="A1"), _t(3, doc="B2", given="MARIE")]
    decision = match_decide(exit=exit, by_document=None, by_name=entries)
    assert decision.outcome == Outcome.REVIEW
    assert decision.reason == Reason.CLOSE_CANDIDATES
    assert len(decision.candidates) == 2


def test_a_grey_score_goes_to_review():
    exit = _t(1, surname="TREMBLAY", given="MARIE", doc="NEW0001", days=10)
    entry = _t(2, surname="TREMBLAY", given="MARTA")
    decision = match_decide(exit=exit, by_document=None, by_name=[entry])
    assert REVIEW <= decision.score < ACCEPT
    assert (decision.outcome, decision.reason) == (Outcome.REVIEW, Reason.GREY_SCORE)


def test_someone_of_the_other_sex_is_not_a_candidate():
    exit = _t(1, doc="NEW0001", days=10, sex="M")
    decision = match_decide(exit=exit, by_document=None, by_name=[_t(2, sex="F")])
    assert (decision.outcome, decision.reason) == (Outcome.UNMATCHED, Reason.NO_CANDIDATE)
    unspecified = match_decide(exit=exit, by_document=None, by_name=[_t(2, sex="X")])
    assert unspecified.outcome == Outcome.MATCHED


def test_nobody_close_is_unmatched():
    exit = _t(1, doc="NEW0001", days=10)
    decision = match_decide(exit=exit, by_document=None, by_name=[_t(2, "NGUYEN", "LIAM")])
    assert (decision.outcome, decision.reason, decision.entry) == (
        Outcome.UNMATCHED,
        Reason.NO_CANDIDATE,
        None,
    )
