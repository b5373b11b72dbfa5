from datetime import date, timedelta

from django.utils import timezone

from entry_exit.reconciliation.models import ExitMatch, Outcome, Reason
from entry_exit.reconciliation.services import reconciliation_run
from entry_exit.tests.factories import CrossingRecordFactory


def exit_match_for_review() -> ExitMatch:
    """An exit in the review queue with two candidate entries."""
    exit = CrossingRecordFactory(us_entry=True, document_number="R0000001")
    one = CrossingRecordFactory(document_number="R0000002")
    two = CrossingRecordFactory(document_number="R0000003", given_names="Anne")
    return ExitMatch.objects.create(
        exit=exit,
        outcome=Outcome.REVIEW,
        reason=Reason.CLOSE_CANDIDATES,
        score=100,
        candidates=[{"entry": one.pk, "score": 100}, {"entry": two.pk, "score": 96}],
        computed_at=timezone.now(),
    )


def crossings_matched(days: int) -> None:
    """The last ``days`` days, each with an entry and its exit, and an exit with no entry;
    then the matching run over them."""
    start = timezone.now() - timedelta(days=days)
    for n in range(days):
        at = start + timedelta(days=n)
        CrossingRecordFactory(document_number=f"M{n}", occurred_at=at)
        CrossingRecordFactory(
            us_entry=True, document_number=f"M{n}", occurred_at=at + timedelta(hours=2)
        )
        CrossingRecordFactory(
            us_entry=True,
            document_number=f"N{n}",
            date_of_birth=date(1990, 1, 1) + timedelta(days=n),
            occurred_at=at + timedelta(hours=3),
        )
    reconciliation_run()
