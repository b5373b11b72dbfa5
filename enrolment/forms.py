from django import forms
from django.utils.translation import gettext_lazy as _

from common import inputs
from common.forms import DescribedErrorsMixin


class LinkApplicationForm(DescribedErrorsMixin, forms.Form):
    number = forms.CharField(
        label=_("Application number"),
        help_text=_("As on your conditional-approval letter, for example NX2026000002."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )
    date_of_birth = inputs.DateField(
        label=_("Date of birth"),
        help_text=_("As on your passport, for example 1985, June, 15."),
        widget=inputs.MemorableDateInput(),
    )
