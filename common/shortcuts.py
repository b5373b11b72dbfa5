"""What views do with a selector's answer. Selectors return data or ``None`` and never know
about HTTP; the view decides that nothing found is a 404 (in the API, DRF's handler turns
the same ``Http404`` into the project's JSON error)."""

from typing import TypeVar

from django.http import Http404

from common.errors import STATUS_FOR_KIND, ApplicationError

T = TypeVar("T")


def found_or_404(found: T | None) -> T:
    """``found``, or a 404 when the selector found nothing (or nothing the caller may see)."""
    if found is None:
        raise Http404
    return found


def refusal_status(refusal: ApplicationError) -> int:
    """The status of the page that shows a domain refusal (as the API's handler answers
    it); a refusal of kind ``not_found`` is the 404 itself: the object is not the caller's
    to see, and the page never says that it exists."""
    if refusal.kind == "not_found":
        raise Http404
    return STATUS_FOR_KIND[refusal.kind]
