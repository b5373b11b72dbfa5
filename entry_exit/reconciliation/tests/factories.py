from django.utils import timezone

from entry_exit.reconciliation.models import ExitMatch, Outcome, Reason
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
