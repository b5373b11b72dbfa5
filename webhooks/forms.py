from django import forms
from django.utils.translation import gettext_lazy as _

from common.forms import DescribedErrorsMixin
from webhooks.models import Event


class SubscriptionForm(DescribedErrorsMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    url = forms.URLField(
        label=_("Address (HTTPS)"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Deliveries are POSTed here. It must be reachable on the public internet."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=Event.choices, widget=forms.CheckboxSelectMultiple
    )
