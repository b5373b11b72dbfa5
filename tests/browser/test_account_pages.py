"""axe-core on the applicant pages the journeys do not pass through, and on pages showing
errors (an error must be announced and tied to its field, in both languages)."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.tests.factories import ApplicantFactory, ApplicationFactory, UserFactory
from tests.browser.helpers import axe_check, screenshot

PASSWORD = "correct horse battery staple"


def _check(page, lang: str, name: str) -> None:
    assert page.locator("html").get_attribute("lang") == lang
    axe_check(page, f"{name} ({lang})")
    screenshot(page, f"account-{lang}-{name}")


def _submit(page) -> None:
    page.locator("main form[method=post] button[type=submit]").first.click()


def _sign_in(page, user, lang: str) -> None:
    page.goto(f"/{lang}/accounts/sign-in/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    _submit(page)
    page.wait_for_url(f"**/{lang}/my/")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_forms_with_errors_tie_each_error_to_its_field(page, lang, transactional_db):
    page.goto(f"/{lang}/accounts/sign-up/")
    page.fill("input[name=email]", "not an address")
    page.fill("input[name=password1]", "short")
    page.fill("input[name=password2]", "different")
    _submit(page)
    email = page.locator("input[name=email]")
    described = email.get_attribute("aria-describedby") or ""
    assert "id_email_error" in described.split()
    assert page.locator("#id_email_error").inner_text().strip()
    assert email.get_attribute("aria-invalid") == "true"
    _check(page, lang, "sign-up-errors")

    page.goto(f"/{lang}/accounts/sign-in/")
    page.fill("input[name=username]", "nobody@example.com")
    page.fill("input[name=password]", "wrong")
    _submit(page)
    assert page.locator("#form-errors[role=alert]").inner_text().strip()
    assert "form-errors" in page.locator("input[name=username]").get_attribute("aria-describedby")
    _check(page, lang, "sign-in-errors")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_account_pages(page, lang, transactional_db):
    user = UserFactory()
    ApplicationFactory(applicant=ApplicantFactory(user=user))
    page.goto(f"/{lang}/accounts/password-reset/")
    _check(page, lang, "password-reset")
    page.fill("input[name=email]", user.email)
    _submit(page)
    page.wait_for_url("**/password-reset/sent/")
    _check(page, lang, "password-reset-sent")
    assert any(user.email in message.to for message in mail.outbox)

    _sign_in(page, user, lang)
    page.goto(f"/{lang}/accounts/")
    _check(page, lang, "account")
    page.goto(f"/{lang}/accounts/password/")
    _check(page, lang, "password-change")
    page.goto(f"/{lang}/accounts/email/")
    _check(page, lang, "email-change")
    page.goto(f"/{lang}/my/link/")
    page.fill("input[name=number]", "NX0000000000")
    page.fill("input[name=date_of_birth_year]", "1970")
    page.select_option("select[name=date_of_birth_month]", "1")
    page.fill("input[name=date_of_birth_day]", "1")
    _submit(page)
    assert page.locator("#form-errors[role=alert]").inner_text().strip()
    _check(page, lang, "link-no-match")
    # A day that does not exist: the error is on the date, the parts come back as typed.
    page.fill("input[name=date_of_birth_day]", "31")
    page.select_option("select[name=date_of_birth_month]", "2")
    _submit(page)
    expect(page.locator("#id_date_of_birth_error")).to_be_visible()
    expect(page.locator("input[name=date_of_birth_day]")).to_have_value("31")
    expect(page.locator("select[name=date_of_birth_month]")).to_have_value("2")
    page.locator("#form-errors a[href='#id_date_of_birth_0']").click()
    expect(page.locator("input[name=date_of_birth_year]")).to_be_focused()
    _check(page, lang, "link-bad-date")


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_the_earlier_time_request(page, lang, transactional_db):
    user = UserFactory()
    application = ApplicationFactory(applicant=ApplicantFactory(user=user))
    centre = CentreFactory(name="Toronto Pearson")
    SlotFactory(centre=centre, starts_at=timezone.now() + datetime.timedelta(days=4))
    _sign_in(page, user, lang)
    page.goto(f"/{lang}/my/applications/{application.number}/earlier-time/")
    _check(page, lang, "earlier-time")
    for box in page.locator("main input[name=times]").all():  # no time of day: an error
        box.uncheck()
    _submit(page)
    assert page.locator("#id_times_error").inner_text().strip()
    _check(page, lang, "earlier-time-errors")
    page.locator("main input[name=times]").first.check()
    page.locator("main input[name=centres]").first.check()
    _submit(page)
    page.wait_for_url(f"**/{lang}/my/")
    _check(page, lang, "dashboard-waiting")
