"""How an exit is matched to an entry: the name comparison and the decision, in pure
Python (no database), so that every rule is tested on its own.

Tiers (``docs/entry_exit_reconciliation.md``):

1. **document**: an entry with the exit's document number, issuing country and date of
   birth; the latest before the exit.
2. **name**: when the document changed, entries with the exit's date of birth,
   nationality and sex (an unspecified sex, X, fits either) whose names are similar
   (``name_score``, RapidFuzz over the ICAO 9303 forms): the latest of one traveller's
   entries.

A tier-1 entry is also checked against later entries by a similar name, the same date of
birth, nationality and sex on another document: a traveller who carries two documents (a
passport and a NEXUS card) may have come in on the other one since, and the stay would
run from that later entry — or it is someone else with the same names and date of birth.
The records cannot tell the two apart, so an analyst decides. Whatever is not clear-cut
goes to an analyst (``Outcome.REVIEW``).
"""

from dataclasses import dataclass, field
from datetime import datetime

from rapidfuzz import fuzz

from entry_exit.reconciliation.models import Outcome, Reason, Tier

# Name scores (0–100). At or above ACCEPT: the same traveller. From REVIEW up to ACCEPT:
# the grey band, for an analyst. Below REVIEW: someone else.
ACCEPT = 90
REVIEW = 80
# Between two travellers' candidates (different documents), the best must beat the next by
# this much to be chosen without an analyst.
MARGIN = 8
# A given name left out ("JEAN LUC" for "JEAN LUC MARIE"): nearly, not quite, identical.
MIDDLE_NAME_DROPPED = 96
SURNAME_WEIGHT = 0.6


def _given_score(exit_given: str, entry_given: str) -> float:
    if exit_given == entry_given:
        return 100.0
    exit_words, entry_words = exit_given.split(), entry_given.split()
    shorter, longer = sorted((exit_words, entry_words), key=len)
    if shorter and longer[: len(shorter)] == shorter:
        return float(MIDDLE_NAME_DROPPED)
    if not exit_words or not entry_words:
        # No given names on one side (a document that prints none): the surname decides.
        return float(REVIEW)
    return fuzz.ratio(exit_given, entry_given)


def name_score(*, exit_surname: str, exit_given: str, entry_surname: str, entry_given: str) -> int:
    """How alike two travellers' normalised names are, 0 to 100: the surnames' and the
    given names' similarity (RapidFuzz's normalised Indel distance), weighted 60/40;
    given names missing at the end (a middle name dropped) score MIDDLE_NAME_DROPPED."""
    if exit_surname == entry_surname and exit_given == entry_given:
        return 100
    surname = fuzz.ratio(exit_surname, entry_surname)
    given = _given_score(exit_given, entry_given)
    return int(SURNAME_WEIGHT * surname + (1 - SURNAME_WEIGHT) * given)


@dataclass(frozen=True)
class Traveller:
    """The fields matching compares, of an exit or an entry record."""

    pk: int
    surname: str
    given: str
    document_number: str
    document_country: str
    occurred_at: datetime
    sex: str = "X"


@dataclass(frozen=True)
class Decision:
    outcome: str
    reason: str
    tier: str = ""
    entry: int | None = None
    score: int | None = None
    candidates: list[dict] = field(default_factory=list)


def _score(exit: Traveller, entry: Traveller) -> int:
    if "X" not in (exit.sex, entry.sex) and exit.sex != entry.sex:
        return 0  # recorded as another sex: someone else, whatever the names
    return name_score(
        exit_surname=exit.surname,
        exit_given=exit.given,
        entry_surname=entry.surname,
        entry_given=entry.given,
    )


def _latest(entries: list[Traveller]) -> Traveller:
    return max(entries, key=lambda entry: (entry.occurred_at, entry.pk))


def match_decide(
    *, exit: Traveller, by_document: Traveller | None, by_name: list[Traveller]
) -> Decision:
    """Decide one exit.

    ``by_document``: the latest entry before the exit with its document, issuing country
    and date of birth (tier 1), if any. ``by_name``: entries before the exit with its date
    of birth and nationality — only those after ``by_document`` when there is one.
    """
    scored = [(entry, _score(exit, entry)) for entry in by_name]
    close = [(entry, score) for entry, score in scored if score >= REVIEW]
    if by_document is not None:
        document_score = _score(exit, by_document)
        later = [
            (entry, score)
            for entry, score in close
            if (entry.occurred_at, entry.pk) > (by_document.occurred_at, by_document.pk)
            and (entry.document_number, entry.document_country)
            != (by_document.document_number, by_document.document_country)
        ]
        if later:
            # The same traveller on two documents, or two travellers with the same names
            # and date of birth: the records cannot tell, an analyst decides.
            return Decision(
                Outcome.REVIEW,
                Reason.LATER_ENTRY_OTHER_DOCUMENT,
                score=document_score,
                candidates=_candidates([(by_document, document_score), *later]),
            )
        if document_score < REVIEW:
            return Decision(
                Outcome.REVIEW,
                Reason.DOCUMENT_NAME_DIFFER,
                score=document_score,
                candidates=_candidates([(by_document, document_score)]),
            )
        return Decision(
            Outcome.MATCHED, Reason.DOCUMENT, Tier.DOCUMENT, by_document.pk, document_score
        )
    if not close:
        return Decision(Outcome.UNMATCHED, Reason.NO_CANDIDATE)
    # One traveller per document: their latest entry, with their best score.
    travellers: dict[tuple[str, str], tuple[Traveller, int]] = {}
    for entry, score in close:
        key = (entry.document_number, entry.document_country)
        latest, best = travellers.get(key, (entry, score))
        travellers[key] = (_latest([latest, entry]), max(best, score))
    ranked = sorted(travellers.values(), key=lambda item: (-item[1], -item[0].pk))
    entry, score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else None
    if runner_up is not None and score - runner_up < MARGIN:
        return Decision(
            Outcome.REVIEW, Reason.CLOSE_CANDIDATES, score=score, candidates=_candidates(ranked)
        )
    if score < ACCEPT:
        return Decision(
            Outcome.REVIEW, Reason.GREY_SCORE, score=score, candidates=_candidates(ranked)
        )
    return Decision(Outcome.MATCHED, Reason.DOCUMENT_CHANGED, Tier.NAME, entry.pk, score)


# At most this many candidates are put before an analyst, best first.
MAX_CANDIDATES = 5


def _candidates(scored: list[tuple[Traveller, int]]) -> list[dict]:
    ranked = sorted(scored, key=lambda item: (-item[1], -item[0].pk))
    return [{"entry": entry.pk, "score": score} for entry, score in ranked[:MAX_CANDIDATES]]
