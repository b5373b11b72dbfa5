from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from centres.models import Centre
from common import inputs

# The first day a range may start on, and the longest range (the charts stay readable
# by month; the query count does not depend on it).
EARLIEST = date(2000, 1, 1)
MAX_YEARS = 10
DEFAULT_WEEKS = 52


class FiguresFilter(forms.Form):
    """The dashboard's question: from when to when (both included), by week or month,
    one centre or all those in the administrator's scope. By default the 52 weeks up to
    the last recorded day, by week, every centre."""

    start = inputs.DateField(
        label=_("From"),
        required=False,
        widget=inputs.IsoDateInput(),
    )
    end = inputs.DateField(
        label=_("To"),
        required=False,
        widget=inputs.IsoDateInput(),
    )
    centre = forms.TypedChoiceField(label=_("Centre"), coerce=int, required=False, empty_value=None)
    grain = forms.ChoiceField(
        label=_("Totals by"),
        choices=[("week", _("week")), ("month", _("month"))],
        required=False,
    )

    def __init__(self, *args: Any, centres: list[Centre], last_day: date, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # The centres in scope, read once by the view (no query of the form's own).
        choices = [("", _("All centres")), *((str(c.pk), c.display_name) for c in centres)]
        self.fields["centre"].choices = choices  # type: ignore[attr-defined]
        self.last_day = last_day

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data
        if self.errors:
            return data
        end = data.get("end") or self.last_day
        start = data.get("start") or end - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1)
        if start > end:
            raise forms.ValidationError(_("The start comes after the end."), code="order")
        if start < EARLIEST:
            raise forms.ValidationError(
                _("Choose a start on or after %(day)s.") % {"day": EARLIEST.isoformat()},
                code="too_early",
            )
        if end > start.replace(year=start.year + MAX_YEARS):
            raise forms.ValidationError(
                _("Choose a range of at most %(years)s years.") % {"years": MAX_YEARS},
                code="too_long",
            )
        data["start"], data["end"] = start, end
        data["grain"] = data.get("grain") or "week"
        return data
