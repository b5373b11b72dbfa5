"""Selectors answer data or None, never an HTTP 404: the view decides (common.shortcuts)."""

import pytest
from django.contrib.auth.models import AnonymousUser

from enrolment.selectors import own_application
from enrolment.tests.factories import ApplicantFactory, ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_applicant_finds_their_own_application_and_nobody_else_does():
    application = ApplicationFactory(applicant=ApplicantFactory())
    owner = application.applicant.user

    assert own_application(owner, application.number) == application
    assert own_application(UserFactory(), application.number) is None
    assert own_application(AnonymousUser(), application.number) is None
    assert own_application(owner, "NX9999999999") is None


def test_an_application_with_no_account_yet_is_nobodys():
    application = ApplicationFactory(applicant=ApplicantFactory(user=None))

    assert own_application(AnonymousUser(), application.number) is None
