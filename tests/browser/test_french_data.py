"""A French applicant's pages name the centre as it is named in French, at phone width,
with no axe-core violation: « Centre d'inscription de l'Aéroport international
Montréal-Trudeau », « 975, boulevard Roméo-Vachon Nord », « heure de l'Est »."""

import datetime
import zoneinfo

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from bookings.services import appointment_book
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.tests.factories import ApplicationFactory
from tests.browser.helpers import axe_check, screenshot

TORONTO = zoneinfo.ZoneInfo("America/Toronto")
PHONE = {"width": 390, "height": 844}
NAME_FR = "Centre d'inscription de l'Aéroport international Montréal-Trudeau"
ADDRESS_FR = "975, boulevard Roméo-Vachon Nord, Dorval, QC"


def _local(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate(timezone=TORONTO) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=TORONTO)


@pytest.fixture
def yul(transactional_db):
    return CentreFactory(
        name="Montréal–Trudeau International Airport enrolment centre",
        name_fr=NAME_FR,
        short_name="Montréal–Trudeau (YUL)",
        short_name_fr="Montréal-Trudeau (YUL)",
        address="975 Roméo-Vachon Boulevard North",
        address_fr="975, boulevard Roméo-Vachon Nord",
        address_additional="Room T1476",
        address_additional_fr="Local T1476",
        city="Dorval",
        region="QC",
        time_zone="America/Toronto",
    )


def _signed_in(context, site: str, user) -> None:
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": site}])


def _fits_the_phone(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_a_french_applicant_sees_the_french_centre_name_at_phone_width(
    new_context, site, applicant, yul
):
    application = ApplicationFactory(applicant=applicant)
    SlotFactory(centre=yul, starts_at=_local(4, 9, 40))
    appointment = appointment_book(
        application=application,
        slot=SlotFactory(centre=yul, starts_at=_local(3, 10, 20)),
        actor=applicant.user,
    )
    context = new_context(locale="fr-CA", viewport=PHONE)
    _signed_in(context, site, applicant.user)
    page = context.new_page()

    with translation.override("fr"):
        appointment_url = reverse("booking:appointment", args=[appointment.pk])
        time_url = reverse("booking:time", args=[application.number, yul.pk])

    page.goto(appointment_url)
    facts = page.locator("main dl.facts").inner_text()
    assert NAME_FR in facts and ADDRESS_FR in facts and "heure de l'Est" in facts
    assert page.locator("html").get_attribute("lang") == "fr"
    assert _fits_the_phone(page)
    axe_check(page, "appointment (fr, phone)")
    screenshot(page, "french-data-appointment-fr-phone")

    page.goto(time_url)
    assert NAME_FR in page.locator("h1").inner_text()
    assert NAME_FR in page.title()
    main = page.locator("main").inner_text()
    assert ADDRESS_FR in main and "America/" not in main and "EST" not in main
    assert _fits_the_phone(page)
    axe_check(page, "choose a time (fr, phone)")
    screenshot(page, "french-data-choose-time-fr-phone")
