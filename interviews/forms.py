from collections.abc import Collection
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from centres.models import Centre
from common import inputs


class DayForm(forms.Form):
    centre = forms.ModelChoiceField(queryset=Centre.objects.none(), label=_("Centre"))
    day = inputs.DateField(label=_("Day"), widget=inputs.IsoDateInput())

    def __init__(self, *args: Any, centres: QuerySet[Centre], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        centre = self.fields["centre"]
        assert isinstance(centre, forms.ModelChoiceField)  # declared above
        centre.queryset = centres


OUTCOMES = [
    ("pass", _("Pass")),
    ("refuse", _("Refuse")),
    ("refer", _("Refer for further review")),
]


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=OUTCOMES,
        widget=forms.RadioSelect,
    )
    centre = forms.ModelChoiceField(
        queryset=Centre.objects.none(),
        label=_("Where the interview took place"),
        required=False,
        help_text=_("The preclearance area or US centre where the CBP interview was held."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self,
        *args: Any,
        centres: QuerySet[Centre],
        outcomes: Collection[str] = ("pass", "refuse", "refer"),
        centre_required: bool = False,
        **kwargs: Any,
    ) -> None:
        """``outcomes``: those the workflow allows now; ``centre_required``: a CBP part
        off appointment (a walk-in at a preclearance area, a split site's US side)."""
        super().__init__(*args, **kwargs)
        centre = self.fields["centre"]
        assert isinstance(centre, forms.ModelChoiceField)  # declared above
        centre.queryset = centres
        centre.required = centre_required
        if centre_required:
            centre.help_text = _(
                "Required: the preclearance area or US centre where the CBP interview was held."
            )
        outcome = self.fields["outcome"]
        assert isinstance(outcome, forms.ChoiceField)  # declared above
        outcome.choices = [(value, label) for value, label in OUTCOMES if value in outcomes]


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Review decision"),
        choices=[("clear", _("Cleared")), ("refuse", _("Refused"))],
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class FindTravellerForm(forms.Form):
    number = forms.CharField(
        label=_("Membership or application number"), required=False, max_length=12
    )
    last_name = forms.CharField(label=_("Last name"), required=False, max_length=150)
    date_of_birth = inputs.DateField(
        label=_("Date of birth"), required=False, widget=inputs.IsoDateInput()
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data
        if not data.get("number") and not (data.get("last_name") and data.get("date_of_birth")):
            raise forms.ValidationError(
                _("Enter a membership or application number, or a last name and date of birth.")
            )
        return data
