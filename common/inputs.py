"""Reading values that come from outside: URL paths, query strings, form fields, JSON bodies.

One place says what a date, a whole number and an identifier may be, so a value that date
arithmetic or the database cannot take never gets past the boundary where it enters:

* **Dates** are ISO ``YYYY-MM-DD`` in ASCII digits, between ``EARLIEST_DATE`` and
  ``LATEST_DATE``. Far enough apart for any date of birth and any plan; far enough from
  ``date.max`` (9999-12-31) that adding a year or two never overflows.
* **Whole numbers** are ASCII digits with an optional sign (``"²"`` passes
  ``str.isdigit()`` and then fails ``int()``; ``"١٢"`` would be read as 12), or a JSON
  integer — never a boolean (``True`` is 1 to Python) nor a fraction (``19621.9`` would be
  truncated to 19621) — and within the bounds of the column they are compared with.
* **Identifiers** are whole numbers from 1 to PostgreSQL's ``bigint`` maximum.
* **Lists** have at most ``MAX_LIST_ITEMS`` items.

Each reader raises ``InputError`` with a message in the active language; the form fields,
serializer fields, query readers and URL converters built on them turn it into a form
error, a 400 in the API's error shape, or a 404 for a path that matches nothing.
"""

import re
from collections.abc import Mapping, Sized
from datetime import date
from typing import TYPE_CHECKING, overload

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
INT_MAX = 2**31 - 1  # PostgreSQL integer
ID_MAX = 2**63 - 1  # PostgreSQL bigint (every primary key)
MAX_LIST_ITEMS = 50
# For the model date fields people type in (the admin's forms): the same bounds.
DATE_VALIDATORS = [MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)]


class IsoDateInput(forms.DateInput):
    """A browser's date field. Its value is always ISO (2026-12-31), whatever the page's
    language writes dates as: a French 31/12/2026 would leave the field blank."""

    input_type = "date"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class MemorableDateInput(forms.MultiWidget):
    """The design system's date input, for a date a person knows rather than picks (a date
    of birth): the year and the day typed, the month chosen by name in the page's
    language, in a fieldset (``templates/common/_field.html``). The field gets one value,
    ISO ``YYYY-MM-DD``, and checks it as it checks any date; a part that is not ASCII
    digits makes it no date at all. A client that is no browser may send the plain
    ``<name>=YYYY-MM-DD`` instead."""

    template_name = "common/widgets/memorable_date.html"
    use_fieldset = True
    _PARTS = {
        "year": re.compile(r"[0-9]{4}", re.ASCII),
        "month": re.compile(r"[0-9]{1,2}", re.ASCII),
        "day": re.compile(r"[0-9]{1,2}", re.ASCII),
    }

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        number = {"inputmode": "numeric", "spellcheck": "false"}
        months = [("", _("Choose a month")), *((str(n), name) for n, name in MONTHS.items())]
        year = {**number, "maxlength": "4", "size": "4", "autocomplete": "bday-year"}
        day = {**number, "maxlength": "2", "size": "2", "autocomplete": "bday-day"}
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {
            "year": forms.TextInput(year),
            "month": forms.Select({"autocomplete": "bday-month"}, choices=months),
            "day": forms.TextInput(day),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, list):
            return value
        if isinstance(value, date):
            return [str(value.year), str(value.month), str(value.day)]
        found = _ISO_DATE.fullmatch(value or "")
        if found is None:
            return [None, None, None]
        return [found[1], str(int(found[2])), str(int(found[3]))]

    def value_from_datadict(self, data, files, name):
        if name in data:
            return data[name]
        parts = {part: (data.get(f"{name}_{part}") or "").strip() for part in self._PARTS}
        if not any(parts.values()):
            return ""
        if not all(pattern.fullmatch(parts[part]) for part, pattern in self._PARTS.items()):
            # No date: the field says so, and the parts come back as they were typed.
            return [parts["year"], parts["month"], parts["day"]]
        return f"{parts['year']}-{int(parts['month']):02d}-{int(parts['day']):02d}"

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else id_  # the year, the first of the three


class IsoTimeInput(forms.TimeInput):
    """A browser's time field, its value always 24-hour ``HH:MM``."""

    input_type = "time"

    def __init__(self, attrs: dict[str, str] | None = None) -> None:
        super().__init__(attrs, format="%H:%M")


_WHOLE = re.compile(r"[+-]?[0-9]{1,40}", re.ASCII)
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)

MESSAGES = {
    "whole": _("Enter a whole number."),
    "range": _("Enter a number from %(minimum)s to %(maximum)s."),
    "date": _("Enter a date as YYYY-MM-DD."),
    "date_range": _("Enter a date from %(earliest)s to %(latest)s."),
    "id": _("Enter a valid identifier."),
    "too_many": _("Give at most %(limit)s items."),
}


class InputError(ValueError):
    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message


def _date_range_message() -> str:
    return MESSAGES["date_range"] % {
        "earliest": EARLIEST_DATE.isoformat(),
        "latest": LATEST_DATE.isoformat(),
    }


def read_int(
    value: object, *, minimum: int = -INT_MAX, maximum: int = INT_MAX, clamp: bool = False
) -> int:
    """A whole number from a string of ASCII digits or a JSON integer, within bounds (or
    brought within them with ``clamp``, for parameters that document clamping)."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InputError(MESSAGES["whole"])
    if isinstance(value, str):
        text = value.strip()
        if not _WHOLE.fullmatch(text):
            raise InputError(MESSAGES["whole"])
        value = int(text)
    if clamp:
        return min(max(value, minimum), maximum)
    if not minimum <= value <= maximum:
        raise InputError(MESSAGES["range"] % {"minimum": minimum, "maximum": maximum})
    return value


def read_id(value: object) -> int:
    try:
        return read_int(value, minimum=1, maximum=ID_MAX)
    except InputError:
        raise InputError(MESSAGES["id"]) from None


def check_date(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise InputError(_date_range_message())
    return value


def read_date(value: object) -> date:
    """A calendar date from ``YYYY-MM-DD`` (ASCII digits), within the bounds."""
    if isinstance(value, date):
        return check_date(value)
    match = _ISO_DATE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise InputError(MESSAGES["date"])
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise InputError(MESSAGES["date"]) from None
    return check_date(day)


# C0 controls, DEL and C1 controls; one regex search, not a loop over the characters (the
# Entry/Exit import checks every field of a million rows).
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")


def has_control_characters(text: str) -> bool:
    """A NUL byte, a newline, any C0/C1 control: nothing a URL sent back in a header (a
    redirect's ``Location``) may carry — the WSGI server refuses such a header."""
    return _CONTROL_CHARACTER.search(text) is not None


def check_list_length(items: Sized, limit: int = MAX_LIST_ITEMS) -> None:
    if len(items) > limit:
        raise InputError(MESSAGES["too_many"] % {"limit": limit})


# --- Form fields -----------------------------------------------------------------------


class DateField(forms.DateField):
    """Django's date field (every input format it knows), within the bounds."""

    def to_python(self, value):
        if isinstance(value, list | tuple):  # MemorableDateInput's parts, not a date
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        day = super().to_python(value)
        if day is None:
            return None
        try:
            return check_date(day)
        except InputError as error:
            raise forms.ValidationError(error.message, code="date_range") from None


# The mixin goes before a form field class, whose clean() it extends: its base for the
# type checker, none at run time.
if TYPE_CHECKING:
    _FieldBase = forms.Field
else:
    _FieldBase = object


class BoundedMultipleChoiceMixin(_FieldBase):
    """For a multiple choice form field: at most ``MAX_LIST_ITEMS`` values, checked
    before each one is looked up."""

    max_items = MAX_LIST_ITEMS

    def clean(self, value):
        if isinstance(value, list | tuple):
            try:
                check_list_length(value, self.max_items)
            except InputError as error:
                raise forms.ValidationError(error.message, code="too_many") from None
        return super().clean(value)


class IdsChoiceField(BoundedMultipleChoiceMixin, forms.ModelMultipleChoiceField):
    """Django's multiple choice of objects, whose ids it looks up together (``pk__in``):
    at most ``MAX_LIST_ITEMS`` of them, each a whole number within the column, checked
    first (SQLite and PostgreSQL refuse an integer past 64 bits: a server error)."""

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        assert self.queryset is not None  # a choice of objects has its queryset
        if key == "pk" and self.queryset.model._meta.pk.get_internal_type().endswith("AutoField"):
            for pk in value:
                try:
                    read_id(str(pk))
                except InputError:
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    ) from None
        # django-stubs leave out this private method of ModelMultipleChoiceField.
        return super()._check_values(value)  # type: ignore[misc]


# --- Serializer fields -----------------------------------------------------------------


class DateSerializerField(serializers.DateField):
    """An ISO date within the bounds (a JSON string or a query parameter)."""

    def to_internal_value(self, value):
        try:
            return read_date(value)
        except InputError as error:
            raise serializers.ValidationError(error.message, code="invalid") from None


class IdRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key that is a whole number (a JSON integer or a string of ASCII digits) —
    never a boolean or a fraction — of an object in ``queryset``. With ``many=True``: a
    list of at most ``max_items`` distinct ids, looked up in one query."""

    def to_internal_value(self, data):
        return super().to_internal_value(self.read_pk(data))

    def read_pk(self, data) -> int:
        try:
            return read_id(data)
        except InputError:
            self.fail("incorrect_type", data_type=type(data).__name__)
            raise  # fail() raises; for the type checker

    @classmethod
    def many_init(cls, *args, **kwargs):
        max_items = kwargs.pop("max_items", MAX_LIST_ITEMS)
        list_kwargs = {
            key: kwargs[key]
            for key in ("allow_empty", "required", "help_text", "label", "source", "default")
            if key in kwargs
        }
        child_kwargs = {
            key: value
            for key, value in kwargs.items()
            if key not in ("allow_empty", "help_text", "label")
        }
        return IdListField(child_relation=cls(**child_kwargs), max_items=max_items, **list_kwargs)


class IdReferenceField(IdRelatedField):
    """An id checked as an id, and not looked up: the object, unsaved, with only its
    primary key, for a service that reads the row itself in its transaction anyway (the
    booking reads the slot with its centre). A row that does not exist is the service's
    ``DoesNotExist``, which the view answers as this field's error
    (``missing``)."""

    def to_internal_value(self, data):
        return self.queryset.model(pk=self.read_pk(data))  # type: ignore[union-attr,arg-type]

    @classmethod
    def missing(cls, field_name: str, pk: int) -> serializers.ValidationError:
        """The error this field gives for an id of no row, as PrimaryKeyRelatedField's."""
        message = cls.default_error_messages["does_not_exist"].format(pk_value=pk)
        return serializers.ValidationError({field_name: [message]}, code="does_not_exist")


class IdListField(serializers.ManyRelatedField):
    def __init__(self, *args, max_items: int = MAX_LIST_ITEMS, **kwargs):
        self.max_items = max_items
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        if isinstance(data, str | dict) or not hasattr(data, "__iter__"):
            self.fail("not_a_list", input_type=type(data).__name__)
        data = list(data)
        if not self.allow_empty and not data:
            self.fail("empty")
        try:
            check_list_length(data, self.max_items)
            pks = list(dict.fromkeys(read_id(item) for item in data))
        except InputError as error:
            raise serializers.ValidationError(error.message, code="invalid") from None
        queryset = self.child_relation.get_queryset()
        assert queryset is not None  # a writable related field has its queryset
        found = queryset.in_bulk(pks)
        missing = next((pk for pk in pks if pk not in found), None)
        if missing is not None:
            self.child_relation.fail("does_not_exist", pk_value=missing)
        return [found[pk] for pk in pks]


class QuerySerializer(serializers.Serializer):
    """Query parameters: a parameter given blank (``?kind=``) is refused like any other
    value its field does not take, not read as absent as DRF reads an HTML form."""

    def to_internal_value(self, data):
        # Iterating the fields gives their names: the DRF stubs say Field objects.
        blank: list[str] = [
            name  # type: ignore[misc]
            for name in self.fields
            if name in data and data.get(name) == ""
        ]
        if blank:
            message = serializers.CharField.default_error_messages["blank"]
            raise serializers.ValidationError({name: [message] for name in blank})
        return super().to_internal_value(data)


# --- Query parameters read by hand (the API's error shape on a bad value) --------------


@overload
def query_int(
    params: Mapping[str, str],
    name: str,
    *,
    default: int,
    minimum: int = ...,
    maximum: int = ...,
    clamp: bool = ...,
) -> int: ...
@overload
def query_int(
    params: Mapping[str, str],
    name: str,
    *,
    default: None = ...,
    minimum: int = ...,
    maximum: int = ...,
    clamp: bool = ...,
) -> int | None: ...
def query_int(
    params: Mapping[str, str],
    name: str,
    *,
    default: int | None = None,
    minimum: int = -INT_MAX,
    maximum: int = INT_MAX,
    clamp: bool = False,
) -> int | None:
    raw = params.get(name, "")
    if raw.strip() == "":
        return default
    try:
        return read_int(raw, minimum=minimum, maximum=maximum, clamp=clamp)
    except InputError as error:
        raise serializers.ValidationError({name: [error.message]}) from None


# --- URL converters --------------------------------------------------------------------


class IdConverter:
    """``<id:pk>``: 1 to 18 ASCII digits (always within bigint); anything else is no match,
    so a 404 before any query."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


class NumberConverter:
    """``<number:number>``: an application or membership number — letters and digits, no
    longer than the column; anything else (a NUL byte, a space, 200 characters) is no
    match."""

    regex = "[A-Za-z0-9]{1,12}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)
