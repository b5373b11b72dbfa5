from datetime import timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from common import inputs
from entry_exit.forms import TravellerLookUpForm
from entry_exit.reconciliation.selectors import MAX_DAYS

DEFAULT_DAYS = 30


class PeriodForm(forms.Form):
    """The figures' period (UTC days, both included); the last 30 days by default."""

    start = inputs.DateField(label=_("From"), required=False, widget=inputs.IsoDateInput())
    end = inputs.DateField(label=_("To"), required=False, widget=inputs.IsoDateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data
        if self.errors:
            return data
        today = timezone.now().date()
        end = data.get("end") or today
        start = data.get("start") or end - timedelta(days=DEFAULT_DAYS - 1)
        if start > end:
            raise forms.ValidationError(_("The start comes after the end."), code="order")
        if (end - start).days + 1 > MAX_DAYS:
            raise forms.ValidationError(
                _("Choose a period of at most %(days)s days.") % {"days": MAX_DAYS},
                code="too_long",
            )
        data["start"], data["end"] = start, end
        return data


class PurposeForm(forms.Form):
    """Why the analyst opens a review's records: the look-up's purposes, the same rule
    for "other"."""

    purpose = TravellerLookUpForm.base_fields["purpose"]
    purpose_text = TravellerLookUpForm.base_fields["purpose_text"]

    def clean_purpose_text(self) -> str:
        text = self.cleaned_data["purpose_text"].strip()
        if inputs.has_control_characters(text):
            raise forms.ValidationError(_("Enter plain text."), code="invalid")
        return text

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data
        if data.get("purpose") == "other" and not data.get("purpose_text"):
            self.add_error("purpose_text", _("Say why you are consulting these records."))
        return data


class ConfirmForm(forms.Form):
    entry = forms.IntegerField(min_value=1, max_value=2**63 - 1)
