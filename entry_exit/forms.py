import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from common import inputs
from entry_exit.countries import ISSUER_CODES
from entry_exit.models import AccessPurpose, IdentityCheck, LegalHoldBasis, LegalHoldLiftGrounds
from entry_exit.names import NameRefused, name_normalise

_DOCUMENT_NUMBER = re.compile(r"[A-Z0-9]{1,20}", re.ASCII)


class TravellerCriteriaForm(forms.Form):
    """Who: either a travel document (number and issuing country) or a surname and date of
    birth, checked and normalised as the records are."""

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
        widget=inputs.IsoDateInput(),
    )

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

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        assert data is not None  # Django's clean() returns cleaned_data
        if self.errors:
            return data
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


def _plain(text: str) -> str:
    text = text.strip()
    if inputs.has_control_characters(text):
        raise forms.ValidationError(_("Enter plain text."), code="invalid")
    return text


# The purposes a look-up may give: "right of access" is the traveller's report's own.
LOOK_UP_PURPOSES = [
    (value, label)
    for value, label in AccessPurpose.choices
    if value != AccessPurpose.RIGHT_OF_ACCESS
]


class TravellerLookUpForm(TravellerCriteriaForm):
    """Why, then who: a purpose from the list (or in words) and the traveller's criteria.
    Nothing is looked up, and nothing logged, unless the whole form is valid."""

    purpose = forms.ChoiceField(
        label=_("Why are you consulting these records?"),
        choices=LOOK_UP_PURPOSES,
        widget=forms.RadioSelect,
    )
    purpose_text = forms.CharField(
        label=_("If other, say why"),
        max_length=200,
        required=False,
    )

    def clean_purpose_text(self) -> str:
        return _plain(self.cleaned_data["purpose_text"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("purpose") == AccessPurpose.OTHER and not data.get("purpose_text"):
            self.add_error("purpose_text", _("Say why you are consulting these records."))
        return data


class LegalHoldForm(forms.Form):
    """The hold itself, once the traveller has been looked up: which of the records shown,
    on what basis, the reference and the reason. ``records`` are offered from that
    look-up's records alone (the page posts its sequence in the access log along)."""

    records = forms.TypedMultipleChoiceField(
        label=_("Records to hold"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one record.")},
    )
    basis = forms.ChoiceField(
        label=_("Basis"), choices=LegalHoldBasis.choices, widget=forms.RadioSelect
    )
    reference = forms.CharField(
        label=_("Reference (court file, order or request number)"), max_length=100
    )
    reason = forms.CharField(
        label=_("Reason for the hold"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(
        self, *args: Any, record_choices: Iterable[tuple[int, str]] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        records = self.fields["records"]
        assert isinstance(records, forms.TypedMultipleChoiceField)  # declared above
        records.choices = list(record_choices)

    def clean_reference(self) -> str:
        return _plain(self.cleaned_data["reference"])

    def clean_reason(self) -> str:
        text = self.cleaned_data["reason"].strip()
        if inputs.has_control_characters(text.replace("\r\n", "\n").replace("\n", " ")):
            raise forms.ValidationError(_("Enter plain text."), code="invalid")
        return text


class LegalHoldLiftForm(forms.Form):
    grounds = forms.ChoiceField(
        label=_("Grounds for lifting the hold"),
        choices=LegalHoldLiftGrounds.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def clean_note(self) -> str:
        return _plain(self.cleaned_data["note"])


class TravellerReportForm(TravellerCriteriaForm):
    """The traveller's own report: how their identity was checked, the request it
    answers, the language they asked for, and who they are."""

    identity_check = forms.ChoiceField(
        label=_("How was the traveller's identity checked?"),
        choices=IdentityCheck.choices,
        widget=forms.RadioSelect,
    )
    request_reference = forms.CharField(
        label=_("Request reference (e.g. the access request number)"), max_length=100
    )
    language = forms.ChoiceField(
        label=_("Language of the report"),
        choices=settings.LANGUAGES,
        widget=forms.RadioSelect,
    )

    def clean_request_reference(self) -> str:
        return _plain(self.cleaned_data["request_reference"])
