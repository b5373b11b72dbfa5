import pytest
from django.http import Http404

from common.errors import ApplicationError
from common.shortcuts import found_or_404, refusal_status


def test_what_a_selector_found_is_given_back():
    found = object()
    assert found_or_404(found) is found
    assert found_or_404(0) == 0  # falsy, but found


def test_nothing_found_is_a_404():
    with pytest.raises(Http404):
        found_or_404(None)


@pytest.mark.parametrize(
    ("kind", "status"), [("conflict", 409), ("invalid", 400), ("forbidden", 403)]
)
def test_a_refusal_is_shown_with_the_status_the_api_gives_it(kind, status):
    assert refusal_status(ApplicationError("No.", code="no", kind=kind)) == status


def test_a_refusal_of_what_the_caller_may_not_see_is_a_404():
    with pytest.raises(Http404):
        refusal_status(ApplicationError("No.", code="not_found", kind="not_found"))
