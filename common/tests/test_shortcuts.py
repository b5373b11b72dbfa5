import pytest
from django.http import Http404

from common.shortcuts import found_or_404


def test_what_a_selector_found_is_given_back():
    found = object()
    assert found_or_404(found) is found
    assert found_or_404(0) == 0  # falsy, but found


def test_nothing_found_is_a_404():
    with pytest.raises(Http404):
        found_or_404(None)
