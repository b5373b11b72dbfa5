from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from common.inputs import DATE_VALIDATORS


class Applicant(models.Model):
    """A person the agencies know from their application: name and date of birth as on
    the application. ``user`` is their portal account, set when they link it (by
    application number and date of birth); until then it is empty."""

    class Language(models.TextChoices):
        ENGLISH = "en", _("English")
        FRENCH = "fr", _("French")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="applicant",
    )
    given_names = models.CharField(_("given names"), max_length=150, blank=True)
    surname = models.CharField(_("surname"), max_length=150)
    preferred_language = models.CharField(
        _("preferred language"), max_length=2, choices=Language.choices, default=Language.ENGLISH
    )
    date_of_birth = models.DateField(_("date of birth"), validators=DATE_VALIDATORS)

    class Meta:
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.surname}".strip()


class Membership(models.Model):
    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="memberships")
    number = models.CharField(_("membership number (PASSID)"), max_length=9, unique=True)
    issued_on = models.DateField(_("issued on"), validators=DATE_VALIDATORS)
    expires_on = models.DateField(_("expires on"), validators=DATE_VALIDATORS)
    auto_renewed = models.BooleanField(_("auto-renewed"), default=False)
    # Set while a renewal applied for before expiry is pending (up to five years).
    benefits_extended_until = models.DateField(
        _("benefits extended until"), null=True, blank=True, validators=DATE_VALIDATORS
    )

    class Meta:
        ordering = ["-expires_on"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=F("issued_on")), name="membership_expires_after_issue"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class Application(models.Model):
    class Kind(models.TextChoices):
        NEW = "new", _("New membership")
        RENEWAL = "renewal", _("Renewal")

    class Status(models.TextChoices):
        PENDING = "pending", _("Under review")
        CONDITIONALLY_APPROVED = "conditionally_approved", _("Conditionally approved")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    class Path(models.TextChoices):
        AIRPORT = "airport", _("CBSA at a Canadian airport, then CBP at airport preclearance")
        JOINT = "joint", _("Joint CBSA and CBP interview at a US land-border centre")
        SPLIT_SITE = "split_site", _("Split-site interview at a land port")

    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="applications")
    number = models.CharField(_("application number"), max_length=12, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.NEW)
    membership = models.ForeignKey(
        Membership,
        verbose_name=_("membership being renewed"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewals",
    )
    status = models.CharField(
        _("status"), max_length=32, choices=Status.choices, default=Status.PENDING
    )
    # Chosen by the applicant's first booking (or explicitly); fixes where they may book.
    path = models.CharField(_("interview path"), max_length=16, choices=Path.choices, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    conditionally_approved_at = models.DateTimeField(
        _("conditionally approved at"), null=True, blank=True
    )

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="new", membership__isnull=True)
                | Q(kind="renewal", membership__isnull=False),
                name="application_renewal_names_its_membership",
            ),
            models.CheckConstraint(
                condition=~Q(status="conditionally_approved")
                | Q(conditionally_approved_at__isnull=False),
                name="application_approval_has_a_time",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def may_book(self) -> bool:
        return self.status == self.Status.CONDITIONALLY_APPROVED
