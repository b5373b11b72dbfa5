"""What reconciliation stores: one ``ExitMatch`` per exit record (matched to an entry, in
the analysts' review queue, or unmatched) and one ``Stay`` per entry whose authorised
period has been computed. Crossing records are never changed; a purged record takes its
match and its stay with it (CASCADE)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from entry_exit.models import CrossingRecord


class Outcome(models.TextChoices):
    MATCHED = "matched", _("Matched")
    REVIEW = "review", _("Waiting for an analyst")
    UNMATCHED = "unmatched", _("No entry found")


class Tier(models.TextChoices):
    DOCUMENT = "document", _("Same document and date of birth")
    NAME = "name", _("Similar names, same date of birth and nationality")
    ANALYST = "analyst", _("Confirmed by an analyst")


class Reason(models.TextChoices):
    DOCUMENT = "document", _("Same document number, issuing country and date of birth.")
    DOCUMENT_CHANGED = (
        "document_changed",
        _(
            "No entry on this document: the same traveller by name, date of birth and "
            "nationality entered on another document."
        ),
    )
    LATER_ENTRY_OTHER_DOCUMENT = (
        "later_entry_other_document",
        _(
            "The document matches an older entry; the same traveller by name, date of birth "
            "and nationality entered again later on another document."
        ),
    )
    CLOSE_CANDIDATES = (
        "close_candidates",
        _("Two or more entries are close candidates: an analyst decides."),
    )
    GREY_SCORE = "grey_score", _("The names are similar but not close enough to be sure.")
    DOCUMENT_NAME_DIFFER = "document_name_differ", _("The document matches but the names differ.")
    NO_CANDIDATE = "no_candidate", _("No earlier entry of this traveller on record.")
    ENTRY_TAKEN = (
        "entry_taken",
        _("The traveller's latest entry is already matched to another exit."),
    )
    ANALYST_CONFIRMED = "analyst_confirmed", _("An analyst confirmed the match.")
    ANALYST_REJECTED = "analyst_rejected", _("An analyst rejected every candidate.")


class ExitMatch(models.Model):
    """One exit record (a US land entry received from the partner, or an air exit) and
    what reconciliation made of it: its entry into Canada, a review, or nothing found.

    ``score`` is the name similarity (0–100) of the exit and the entry (or the best
    candidate); ``candidates`` lists, for a review, each candidate entry's id and score.
    ``decided_by`` is set once an analyst has confirmed or rejected: the background job
    never touches such a row again.
    """

    Outcome = Outcome
    Tier = Tier
    Reason = Reason

    exit = models.OneToOneField(
        CrossingRecord,
        verbose_name=_("exit record"),
        on_delete=models.CASCADE,
        related_name="exit_match",
    )
    entry = models.ForeignKey(
        CrossingRecord,
        verbose_name=_("entry record"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="entry_matches",
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome)
    tier = models.CharField(_("tier"), max_length=16, choices=Tier, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=32, choices=Reason)
    candidates = models.JSONField(_("candidates"), default=list, blank=True)
    computed_at = models.DateTimeField(_("computed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        ordering = ["-computed_at", "-id"]
        verbose_name = _("exit match")
        verbose_name_plural = _("exit matches")
        constraints = [
            # An entry ends one stay: two exits never both claim it. Two workers that
            # both chose the same entry: the database keeps the first.
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(outcome="matched"),
                name="exitmatch_entry_matched_once",
            ),
            models.CheckConstraint(
                condition=(
                    Q(outcome="matched", entry__isnull=False)
                    | Q(outcome__in=["review", "unmatched"], entry__isnull=True)
                ),
                name="exitmatch_entry_iff_matched",
            ),
        ]
        indexes = [
            models.Index(fields=["outcome", "computed_at"], name="exitmatch_outcome"),
        ]

    def __str__(self) -> str:
        return f"exit #{self.exit_id}: {self.outcome}"


class Stay(models.Model):
    """The authorised period of the stay that an entry into Canada began, fixed when it
    was computed (from ``ENTRY_EXIT_AUTHORISED_STAY_DAYS`` for the entry's status
    category). ``authorised_until`` is the last day (in the port's time zone) the stay
    may run. Only entries whose category has a limit get one: an entry without a
    ``Stay`` has no authorised end (citizens, permanent residents …). The stay's exit is
    the entry's matched ``ExitMatch``."""

    entry = models.OneToOneField(
        CrossingRecord,
        verbose_name=_("entry record"),
        on_delete=models.CASCADE,
        related_name="stay",
    )
    authorised_days = models.PositiveIntegerField(_("authorised days"))
    authorised_until = models.DateField(_("authorised until"))
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        ordering = ["-authorised_until", "-id"]
        verbose_name = _("stay")
        verbose_name_plural = _("stays")
        indexes = [models.Index(fields=["authorised_until"], name="stay_authorised_until")]

    def __str__(self) -> str:
        return f"stay from entry #{self.entry_id}"


# The review queue's legal moves, the only transitions of an ``ExitMatch`` made by a
# person (the background job sets matched, review or unmatched on rows no one decided).
REVIEW_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Outcome.REVIEW: (Outcome.MATCHED, Outcome.UNMATCHED),
}
