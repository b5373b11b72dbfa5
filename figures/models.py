"""The programme's figures, recorded once a day (``figures.services.figures_record``):
one ``FiguresDay`` per day with the net inventory of applicants taken at the end of it,
and one ``CentreDay`` per centre with what happened there that (local) day. The
dashboard reads only these rows and the open times of today, so it costs the same few
queries whatever the range."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from centres.models import Centre


class FiguresDay(models.Model):
    """A day whose figures are recorded: written once (the day is its key).

    The inventory is the count when the day was recorded, just after it ended at every
    centre; a day recorded late (the job was down) has its centre figures, rebuilt from
    the records, but no inventory (None): nobody counted the applicants that night.
    """

    day = models.DateField(_("day"), unique=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    # Conditionally approved, not yet enrolled, refused or expired (withdrawn: out).
    inventory = models.PositiveIntegerField(_("net inventory of applicants"), null=True)
    # The same applicants by where they are: no interview booked yet (or missed), booked,
    # between the two agencies' parts, referred for review.
    inventory_to_book = models.PositiveIntegerField(null=True)
    inventory_booked = models.PositiveIntegerField(null=True)
    inventory_between_parts = models.PositiveIntegerField(null=True)
    inventory_under_review = models.PositiveIntegerField(null=True)
    # Airport path: CBSA part passed, CBP part not yet done.
    airport_waiting_for_cbp = models.PositiveIntegerField(null=True)

    class Meta:
        ordering = ["day"]
        verbose_name = _("figures day")
        verbose_name_plural = _("figures days")
        constraints = [
            models.CheckConstraint(
                condition=Q(inventory__isnull=True)
                | Q(
                    inventory_to_book__isnull=False,
                    inventory_booked__isnull=False,
                    inventory_between_parts__isnull=False,
                    inventory_under_review__isnull=False,
                    airport_waiting_for_cbp__isnull=False,
                ),
                name="figures_day_inventory_whole",
            ),
        ]

    def __str__(self) -> str:
        return str(self.day)


class CentreDay(models.Model):
    """What one centre did on one of its local days."""

    day = models.DateField(_("day"))
    centre = models.ForeignKey(Centre, on_delete=models.PROTECT, related_name="+")
    # Booths offered by the day's slots (a closed slot offers none) and taken by an
    # appointment (booked, checked in, interviewed or missed; holds are not counted).
    booths_offered = models.PositiveIntegerField(default=0)
    booths_booked = models.PositiveIntegerField(default=0)
    attended = models.PositiveIntegerField(default=0)
    no_shows = models.PositiveIntegerField(default=0)
    # Each agency's part passed here (a cleared review counts as that agency's pass).
    cbsa_passed = models.PositiveIntegerField(default=0)
    cbp_passed = models.PositiveIntegerField(default=0)
    # Enrolments completed here (the last part passed).
    enrolled = models.PositiveIntegerField(default=0)
    # Airport path, CBP part done here: the days each waited since the CBSA share, summed.
    cbp_after_share = models.PositiveIntegerField(default=0)
    cbp_after_share_days = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day", "centre"]
        verbose_name = _("centre day")
        verbose_name_plural = _("centre days")
        constraints = [
            models.UniqueConstraint(fields=["day", "centre"], name="centre_day_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.centre_id} {self.day}"
