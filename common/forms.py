"""Form helpers every app's forms share."""

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError

from common.errors import ApplicationError

if TYPE_CHECKING:
    from django.forms import BaseForm

FORM_ERRORS_ID = "form-errors"

# The mixin goes before a form class, whose methods it calls: its base for the type
# checker, none at run time.
if TYPE_CHECKING:
    _FormBase = BaseForm
else:
    _FormBase = object


class DescribedErrorsMixin(_FormBase):
    """Ties form-wide errors to every input with aria-describedby.

    Django already does this for a field's own errors and help text; an error about the
    whole form (wrong password, locked out, refused by a service) is announced with each
    input too.
    """

    _form_errors_described = False

    def full_clean(self) -> None:
        super().full_clean()
        self._describe_form_errors()

    def add_refusal(self, error: ApplicationError) -> None:
        """A service refused the valid input: a form-wide error like those of ``clean()``,
        with the same code (the views answer 429 for ``rate_limited``)."""
        self.add_error(None, ValidationError(error.message, code=error.code))
        self._describe_form_errors()

    def _describe_form_errors(self) -> None:
        # Once: a second pass would find the attribute set and drop the field's own ids.
        if self._form_errors_described or not self.non_field_errors():
            return
        self._form_errors_described = True
        for name, field in self.fields.items():
            ids = [FORM_ERRORS_ID, self[name].aria_describedby]
            field.widget.attrs["aria-describedby"] = " ".join(i for i in ids if i)
