from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from centres.models import Centre, Closure, ExtraCapacity, OpeningRule
from common.forms import DescribedErrorsMixin
from common.inputs import IsoDateInput, IsoTimeInput

_DATE = IsoDateInput()
_TIME = IsoTimeInput()


class ClosureForm(DescribedErrorsMixin, forms.ModelForm):
    class Meta:
        model = Closure
        fields = ["first_day", "last_day", "from_time", "until_time", "reason", "note"]
        widgets = {"first_day": _DATE, "last_day": _DATE, "from_time": _TIME, "until_time": _TIME}


class ExtraCapacityForm(DescribedErrorsMixin, forms.ModelForm):
    class Meta:
        model = ExtraCapacity
        fields = ["first_day", "last_day", "from_time", "until_time", "extra_booths", "note"]
        widgets = {"first_day": _DATE, "last_day": _DATE, "from_time": _TIME, "until_time": _TIME}


class OpeningRuleForm(DescribedErrorsMixin, forms.ModelForm):
    class Meta:
        model = OpeningRule
        fields = [
            "weekday",
            "opens_at",
            "closes_at",
            "slot_minutes",
            "booths",
            "valid_from",
            "valid_until",
        ]
        widgets = {
            "opens_at": _TIME,
            "closes_at": _TIME,
            "valid_from": _DATE,
            "valid_until": _DATE,
        }


# The kinds of change, by the name in the URL.
FORMS: dict[str, type[forms.ModelForm]] = {
    "closure": ClosureForm,
    "extra": ExtraCapacityForm,
    "rule": OpeningRuleForm,
}
MODELS: dict[str, type[Closure] | type[ExtraCapacity] | type[OpeningRule]] = {
    "closure": Closure,
    "extra": ExtraCapacity,
    "rule": OpeningRule,
}


class AlsoAtForm(DescribedErrorsMixin, forms.Form):
    """Programme administrators: the same change at other centres, with one preview."""

    also_at = forms.ModelMultipleChoiceField(
        label=_("Also at these centres"),
        queryset=Centre.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: object, centres: QuerySet[Centre], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["also_at"].queryset = centres  # type: ignore[attr-defined]
