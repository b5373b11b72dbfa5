import re

from django import forms
from django.utils.translation import gettext_lazy as _

from common import inputs
from entry_exit.countries import ISSUER_CODES
from entry_exit.models import AccessPurpose
from entry_exit.names import NameRefused, name_normalise

_DOCUMENT_NUMBER = re.compile(r"[A-Z0-9]{1,20}", re.ASCII)


class TravellerLookUpForm(forms.Form):
    """Why, then who: a purpose from the list (or in words) and either a travel document
    (number and issuing country) or a surname and date of birth. Nothing is looked up, and
    nothing logged, unless the whole form is valid."""

    purpose = forms.ChoiceField(
        label=_("Why are you consulting these records?"),
        choices=AccessPurpose.choices,
        widget=forms.RadioSelect,
    )
    purpose_text = forms.CharField(
        label=_("If other, say why"),
        max_length=200,
        required=False,
    )
    document_number = forms.CharField(
        label=_("Document number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    document_country = forms.CharField(
        label=_("Issuing country (3 letters, e.g. CAN)"),
        max_length=3,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": "4"}),
    )
    surname = forms.CharField(
        label=_("Surname"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    date_of_birth = inputs.DateField(
        label=_("Date of birth"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def clean_purpose_text(self) -> str:
        text = self.cleaned_data["purpose_text"].strip()
        if inputs.has_control_characters(text):
            raise forms.ValidationError(_("Enter plain text."), code="invalid")
        return text

    def clean_document_number(self) -> str:
        number = self.cleaned_data["document_number"].strip().upper()
        if number and not _DOCUMENT_NUMBER.fullmatch(number):
            raise forms.ValidationError(
                _("A document number has letters A to Z and digits only."), code="invalid"
            )
        return number

    def clean_document_country(self) -> str:
        country = self.cleaned_data["document_country"].strip().upper()
        if country and country not in ISSUER_CODES:
            raise forms.ValidationError(
                _("Enter the issuing country's three-letter code, e.g. CAN or USA."),
                code="invalid",
            )
        return country

    def clean_surname(self) -> str:
        surname = self.cleaned_data["surname"].strip()
        if not surname:
            return ""
        try:
            return name_normalise(surname)
        except NameRefused:
            raise forms.ValidationError(
                _("Enter the surname in Latin or Cyrillic letters."), code="invalid"
            ) from None

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("purpose") == AccessPurpose.OTHER and not data.get("purpose_text"):
            self.add_error("purpose_text", _("Say why you are consulting these records."))
        by_document = bool(data.get("document_number") or data.get("document_country"))
        by_name = bool(data.get("surname") or data.get("date_of_birth"))
        if by_document == by_name:
            raise forms.ValidationError(
                _(
                    "Give either a document number and its issuing country, or a surname "
                    "and a date of birth."
                ),
                code="criteria",
            )
        if by_document and not (data.get("document_number") and data.get("document_country")):
            raise forms.ValidationError(
                _("Give both the document number and its issuing country."), code="criteria"
            )
        if by_name and not (data.get("surname") and data.get("date_of_birth")):
            raise forms.ValidationError(
                _("Give both the surname and the date of birth."), code="criteria"
            )
        return data

    @property
    def criteria_kind(self) -> str:
        return "document" if self.cleaned_data.get("document_number") else "name_dob"

    def criteria_values(self) -> list[str]:
        data = self.cleaned_data
        if self.criteria_kind == "document":
            return [data["document_number"], data["document_country"]]
        return [data["surname"], data["date_of_birth"].isoformat()]
