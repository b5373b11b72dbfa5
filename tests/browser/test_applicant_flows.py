"""The applicant's whole journey in a real browser, once in English and once in French:
sign up, confirm the e-mail address, link the application, book a CBSA airport
appointment, move it, cancel it — with axe-core on every page and a screenshot of each
(``var/screenshots/``). Then two applicants racing for the last booth.

Selectors are addresses and form field names, not words, so the same steps drive both
languages; what each page says is checked per language where it matters.
"""

import datetime
import re
import zoneinfo
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.utils import timezone

from bookings.models import Appointment
from centres.models import Slot
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.tests.factories import ApplicantFactory, ApplicationFactory, UserFactory
from tests.browser.helpers import axe_check, screenshot

VANCOUVER = zoneinfo.ZoneInfo("America/Vancouver")
PASSWORD = "a long and unusual passphrase 2026"
TIME = {"en": "10:20", "fr": "10 h 20"}


def _local(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate(timezone=VANCOUVER) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=VANCOUVER)


@pytest.fixture
def yvr(transactional_db):
    return CentreFactory(
        name="Vancouver International Airport",
        short_name="YVR",
        address="3211 Grant McConachie Way",
        city="Richmond",
        region="BC",
        time_zone="America/Vancouver",
    )


def _check(page, lang: str, name: str) -> None:
    """Every page: the right language, no axe violation, a screenshot for the reviewer."""
    assert page.locator("html").get_attribute("lang") == lang
    axe_check(page, f"{name} ({lang})")
    screenshot(page, f"applicant-{lang}-{name}")


def _submit(page) -> None:
    page.locator("main form[method=post] button[type=submit]").first.click()


def _confirmation_path(email_address: str) -> str:
    message = next(m for m in reversed(mail.outbox) if email_address in m.to)
    url = re.search(r"https?://\S+/confirm/\S+/", message.body).group(0)
    return urlparse(url).path


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_a_new_applicant_signs_up_links_books_moves_and_cancels(page, lang, yvr):
    applicant = ApplicantFactory(user=None, date_of_birth=datetime.date(1990, 1, 20))
    application = ApplicationFactory(applicant=applicant, number=f"NX20269{lang.upper()}001")
    first = SlotFactory(centre=yvr, capacity=1, starts_at=_local(5, 10, 20))
    second = SlotFactory(centre=yvr, capacity=1, starts_at=_local(6, 14, 40))
    email = f"alex.{lang}@example.com"

    # 1. Sign up, then confirm the address from the e-mail.
    page.goto(f"/{lang}/accounts/sign-up/")
    _check(page, lang, "01-sign-up")
    page.fill("input[name=first_name]", "Alex")
    page.fill("input[name=last_name]", "Tremblay")
    page.fill("input[name=email]", email)
    page.fill("input[name=password1]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    _submit(page)
    page.wait_for_url("**/sign-up/sent/")
    _check(page, lang, "02-check-your-e-mail")
    page.goto(_confirmation_path(email))
    _check(page, lang, "03-confirm")
    page.fill("input[name=password]", PASSWORD)
    _submit(page)
    page.wait_for_url(f"**/{lang}/my/")
    _check(page, lang, "04-dashboard-unlinked")

    # 2. Link the application with its number and the date of birth.
    page.locator(f"main a[href='/{lang}/my/link/']").click()
    _check(page, lang, "05-link")
    page.fill("input[name=number]", application.number.lower())  # as typed, in any case
    page.fill("input[name=date_of_birth_year]", "1990")  # the design system's date input
    page.select_option("select[name=date_of_birth_month]", "1")
    page.fill("input[name=date_of_birth_day]", "20")
    _submit(page)
    page.wait_for_url(f"**/{lang}/my/")
    _check(page, lang, "06-dashboard-linked")
    assert page.locator(".standing").inner_text().strip()

    # 3. Book: a centre that fits, a day, a time held while confirming, confirm.
    page.locator("main a[href*='/book/']").first.click()
    _check(page, lang, "07-choose-centre")
    page.locator(f"main a[href*='/book/{yvr.pk}/']").click()
    _check(page, lang, "08-choose-time")
    zone = {"en": "Pacific time", "fr": "heure du Pacifique"}[lang]  # in words, no IANA name
    assert zone in page.locator("main").inner_text()
    assert "America/" not in page.locator("main").inner_text()
    assert TIME[lang] in page.locator("main").inner_text()
    page.check(f"input[name=slot][value='{first.pk}']")
    _submit(page)
    page.wait_for_url("**/hold/")
    _check(page, lang, "09-confirm-held-time")
    page.locator("button[value=confirm]").click()
    page.wait_for_url("**/appointments/*/")
    _check(page, lang, "10-appointment-booked")
    booked = Appointment.objects.get(application=application, status="booked")
    assert booked.slot_id == first.pk
    message = mail.outbox[-1]
    assert message.to == [email] and message.attachments[0][0].endswith(".ics")
    assert message.extra_headers["Content-Language"] == lang

    # 4. Move it to another time, from the dashboard.
    page.goto(f"/{lang}/my/")
    _check(page, lang, "11-dashboard-booked")
    assert TIME[lang] in page.locator(".standing").inner_text()
    page.locator("main a[href*='?move=']").first.click()
    second_day = timezone.localtime(second.starts_at, VANCOUVER).date().isoformat()
    page.locator(f"main .month-grid a[href*='day={second_day}']").click()
    page.check(f"input[name=slot][value='{second.pk}']")
    _check(page, lang, "12-choose-new-time")
    _submit(page)
    page.wait_for_url("**/hold/")
    page.locator("button[value=confirm]").click()
    page.wait_for_url("**/appointments/*/")
    moved = Appointment.objects.get(application=application, status="booked")
    assert moved.slot_id == second.pk and moved.rescheduled_from_id == booked.pk
    assert Slot.objects.get(pk=first.pk).booked == 0

    # 5. Cancel it: a question, then the answer.
    page.locator("main a[href$='/cancel/']").click()
    _check(page, lang, "13-cancel")
    _submit(page)
    page.wait_for_url(f"**/{lang}/my/")
    _check(page, lang, "14-dashboard-cancelled")
    assert Appointment.objects.get(pk=moved.pk).status == "cancelled"
    assert Slot.objects.get(pk=second.pk).booked == 0

    # 6. The history tells it all in plain words.
    page.locator("main a[href*='/history/']").click()
    _check(page, lang, "15-history")
    assert page.locator("ol.timeline li").count() >= 5


def _sign_in(page, username: str, lang: str = "en") -> None:
    page.goto(f"/{lang}/accounts/sign-in/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "correct horse battery staple")
    _submit(page)
    page.wait_for_url(f"**/{lang}/my/")


def test_two_applicants_race_for_the_last_booth(new_context, yvr):
    last = SlotFactory(centre=yvr, capacity=1, starts_at=_local(5, 10, 20))
    SlotFactory(centre=yvr, capacity=1, starts_at=_local(5, 11, 0))
    pages = []
    for _ in range(2):
        user = UserFactory()
        application = ApplicationFactory(applicant=ApplicantFactory(user=user))
        page = new_context().new_page()
        _sign_in(page, user.username)
        page.goto(f"/en/my/applications/{application.number}/book/{yvr.pk}/")
        page.check(f"input[name=slot][value='{last.pk}']")
        pages.append(page)
    winner, loser = pages
    # Both see the time open; the first to press gets it.
    _submit(winner)
    winner.wait_for_url("**/hold/")
    winner.locator("button[value=confirm]").click()
    winner.wait_for_url("**/appointments/*/")
    _submit(loser)
    alert = loser.locator("[role=alert]")
    assert "This time has just been taken; please choose another." in alert.inner_text()
    assert loser.locator(f"input[name=slot][value='{last.pk}']").count() == 0  # not offered
    axe_check(loser, "time taken (en)")
    screenshot(loser, "applicant-en-race-lost")
    assert Slot.objects.get(pk=last.pk).booked == 1
    assert Appointment.objects.filter(slot=last).count() == 1
