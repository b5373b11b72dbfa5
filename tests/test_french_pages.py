"""French pages and e-mails (issue 15, part 2): a centre's French name and address where it
has one, its time zone in words (« heure de l'Est »), never an IANA zone name
(America/Toronto) nor an abbreviation (EST, PDT, HNE).

The audit visits every page of the site in French, as the persona it is for (the pages
and the world of ``tests/test_hostile_input.py``), and renders every e-mail in French.
The ``.ics`` calendar entry is left out on purpose: its TZID and TZNAME are data for the
calendar application, which shows the time in its own words.
"""

import datetime
import re
import zoneinfo
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from bookings.models import Appointment, WaitlistRequest
from bookings.services import appointment_book
from centres.models import Centre
from centres.tests.factories import CentreFactory, SlotFactory
from common.mail import mail_render
from enrolment.models import Applicant
from enrolment.tests.factories import ApplicationFactory
from interviews.models import Interview
from tests.test_hostile_input import PAGES, _client, _url, world  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db

TORONTO = zoneinfo.ZoneInfo("America/Toronto")
IANA_NAME = re.compile(
    r"\b(?:Africa|America|Antarctica|Asia|Atlantic|Australia|Canada|Europe|Indian|Pacific|US"
    r"|Etc)/[A-Z][A-Za-z_+-]+"
)
ZONE_ABBREVIATION = re.compile(
    r"(?<![\w-])(?:[ECMPAHN][SD]T|AKST|AKDT|HST|HN[ERCPAT]|HA[ERCPAT]|HE[ERCPAT]|HAST|HADT)(?![\w-])"
)
FRENCH = {
    "name": "Montréal–Trudeau International Airport enrolment centre",
    "name_fr": "Centre d'inscription de l'Aéroport international Montréal-Trudeau",
    "address": "975 Roméo-Vachon Boulevard North",
    "address_fr": "975, boulevard Roméo-Vachon Nord",
    "city": "Dorval",
    "region": "QC",
    "time_zone": "America/Toronto",
}


def zone_leaks(text: str) -> list[str]:
    return IANA_NAME.findall(text) + ZONE_ABBREVIATION.findall(text)


def test_the_leak_patterns_find_zone_names_and_abbreviations_and_spare_french_words():
    assert zone_leaks("10 h 20 (America/Toronto), EST, PDT, HNE, Etc/UTC") == [
        "America/Toronto",
        "Etc/UTC",
        "EST",
        "PDT",
        "HNE",
    ]
    assert zone_leaks("heure de l'Est, EST-CE, ESTAMPE, CBSA, CBP, NEXUS, PASSID, UTC") == []


def _local(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = timezone.localdate(timezone=TORONTO) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=TORONTO)


@pytest.fixture
def yul():
    return CentreFactory(**FRENCH)


@pytest.fixture
def french_applicant(applicant):
    Applicant.objects.filter(pk=applicant.pk).update(preferred_language="fr")
    applicant.refresh_from_db()
    return applicant


def _fr(name: str, **kwargs) -> str:
    with translation.override("fr"):
        return reverse(name, kwargs=kwargs)


# --- The centre's French name and address ----------------------------------------------


def test_french_booking_pages_show_the_french_name_and_address(client, applicant, yul):
    application = ApplicationFactory(applicant=applicant)
    SlotFactory(centre=yul, starts_at=_local(3, 10, 20))
    client.force_login(applicant.user)

    centres = client.get(_fr("booking:centres", number=application.number)).content.decode()
    time = client.get(
        _fr("booking:time", number=application.number, centre_pk=yul.pk)
    ).content.decode()

    assert FRENCH["name_fr"].replace("'", "&#x27;") in centres
    assert FRENCH["name"] not in centres
    assert "<title>Choisir une heure au Centre d&#x27;inscription" not in time  # sic: « à »
    assert f"<h1>{FRENCH['name_fr']}".replace("'", "&#x27;") not in time
    assert FRENCH["name_fr"].replace("'", "&#x27;") in time
    assert "975, boulevard Roméo-Vachon Nord, Dorval, QC" in time
    assert "heure de l&#x27;Est" in time and zone_leaks(time) == []
    # In English, the English forms.
    with translation.override("en"):
        url = reverse("booking:time", kwargs={"number": application.number, "centre_pk": yul.pk})
    english = client.get(url).content.decode()
    assert "975 Roméo-Vachon Boulevard North, Dorval, QC" in english
    assert "Eastern time" in english


def test_the_french_appointment_page_and_centre_page_name_the_centre_in_french(
    client, applicant, yul
):
    application = ApplicationFactory(applicant=applicant)
    appointment = appointment_book(
        application=application,
        slot=SlotFactory(centre=yul, starts_at=_local(3, 10, 20)),
        actor=applicant.user,
    )
    client.force_login(applicant.user)

    page = client.get(_fr("booking:appointment", pk=appointment.pk)).content.decode()
    detail = client.get(_fr("centres:detail", pk=yul.pk)).content.decode()
    dashboard = client.get(_fr("enrolment:dashboard")).content.decode()

    name = FRENCH["name_fr"].replace("'", "&#x27;")
    for html in (page, detail, dashboard):
        assert name in html and FRENCH["name"] not in html
        assert zone_leaks(html) == []
    assert "975, boulevard Roméo-Vachon Nord, Dorval, QC" in page
    assert "975, boulevard Roméo-Vachon Nord" in detail


def test_the_french_mail_and_its_calendar_entry_name_the_centre_in_french(
    french_applicant, yul, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(applicant=french_applicant)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_book(
            application=application,
            slot=SlotFactory(centre=yul, starts_at=_local(3, 10, 20)),
            actor=french_applicant.user,
        )

    (message,) = mail.outbox
    html, _mimetype = message.alternatives[0]
    assert message.extra_headers["Content-Language"] == "fr"
    assert f"{FRENCH['name_fr']}, 975, boulevard Roméo-Vachon Nord, Dorval, QC" in message.body
    assert "Montréal-Trudeau" in html and "975, boulevard Roméo-Vachon Nord" in html
    assert FRENCH["name"] not in message.body + html
    assert "heure de l'Est" in message.body
    assert zone_leaks(message.subject + message.body + html) == []
    event = next(iter(Calendar.from_ical(message.attachments[0][1]).walk("VEVENT")))
    assert str(event["LOCATION"]).startswith(FRENCH["name_fr"])


def test_an_english_mail_names_the_centre_in_english(
    applicant, yul, django_capture_on_commit_callbacks
):
    application = ApplicationFactory(applicant=applicant)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_book(
            application=application,
            slot=SlotFactory(centre=yul, starts_at=_local(3, 10, 20)),
            actor=applicant.user,
        )

    (message,) = mail.outbox
    assert f"{FRENCH['name']}, 975 Roméo-Vachon Boulevard North, Dorval, QC" in message.body
    assert FRENCH["name_fr"] not in message.body


def test_a_us_centre_keeps_its_english_name_in_french(client, applicant):
    blaine = CentreFactory(land_border=True, name="Blaine NEXUS and FAST Enrollment Center")

    page = client.get(_fr("centres:detail", pk=blaine.pk)).content.decode()

    assert "Blaine NEXUS and FAST Enrollment Center" in page
    assert "heure du Pacifique" in page and zone_leaks(page) == []


# --- The audit: every page and every e-mail in French ----------------------------------


@pytest.mark.parametrize("name", sorted(PAGES))
def test_no_french_page_shows_a_zone_name_or_abbreviation(world, name):  # noqa: F811
    persona, _params = PAGES[name]
    client = _client(world, persona)
    with translation.override("fr"):
        url = _url(world, name)

    response = client.get(url)

    assert response.status_code < 500
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return  # a POST-only endpoint, a redirect, a CSV file or a calendar entry
    page = response.content.decode()
    assert 'lang="fr"' in page, url
    assert zone_leaks(page) == [], url


def _mail_prefixes() -> list[str]:
    root = Path(settings.BASE_DIR) / "templates"
    return sorted(
        str(path.relative_to(root)).removesuffix("_subject.txt")
        for path in root.glob("*/emails/*_subject.txt")
    )


def test_every_mail_is_audited():
    assert "bookings/emails/appointment" in _mail_prefixes()
    assert len(_mail_prefixes()) >= 12


@pytest.fixture
def mail_context(world, french_applicant):  # noqa: F811
    appointment = Appointment.objects.get(pk=world["appointment"])
    centre = appointment.slot.centre
    centre.name, centre.name_fr = FRENCH["name"], FRENCH["name_fr"]
    centre.address, centre.address_fr = FRENCH["address"], FRENCH["address_fr"]
    centre.save()
    counterpart = CentreFactory(
        split_site=True,
        country=Centre.Country.UNITED_STATES,
        name="Alexandria Bay enrolment centre",
        name_fr="Centre d'inscription d'Alexandria Bay",
        city="Alexandria Bay",
        region="NY",
        time_zone="America/New_York",
    )
    waiting = WaitlistRequest.objects.get(pk=world["waiting"])
    return {
        "applicant": french_applicant,
        "user": french_applicant.user,
        "dashboard_url": "https://nexus.example/fr/my/",
        "site_url": "https://nexus.example",
        "path": "/fr/x/",
        "uidb64": "MQ",
        "uid": "MQ",
        "token": "abc-def",
        "application": appointment.application,
        "appointment": appointment,
        "centre": centre,
        "starts_at": appointment.slot.starts_at,
        "time_zone": centre.time_zone,
        "expires_at": appointment.slot.starts_at - datetime.timedelta(days=1),
        "moving": appointment,
        "moving_centre": centre,
        "moved": True,
        "hold_url": "https://nexus.example/fr/hold/",
        "request": waiting,
        "enrolment": Interview.objects.get(pk=world["enrolment"]),
        "counterpart": counterpart,
        "membership": None,
        "until": datetime.date(2030, 1, 1),
        "subscription": {"name": "Partenaire", "url": "https://93.184.216.34/in"},
    }


MAILS = [(prefix, "booked") for prefix in _mail_prefixes()] + [
    ("bookings/emails/appointment", event) for event in ("rescheduled", "cancelled", "closed")
]


@pytest.mark.parametrize(("prefix", "event"), MAILS)
def test_no_french_mail_shows_a_zone_name_or_abbreviation(mail_context, prefix, event):
    message = mail_render(
        template_prefix=prefix,
        context={**mail_context, "event": event},
        to=["applicant@example.com"],
        language="fr",
    )

    html, _mimetype = message.alternatives[0]
    assert zone_leaks(message.subject + message.body + html) == [], prefix
    if prefix.startswith("bookings/"):  # each names the centre of its appointment
        assert FRENCH["name_fr"] in message.body and "Montréal-Trudeau" in html, prefix
        assert FRENCH["name"] not in message.body + html, prefix
    if prefix == "interviews/emails/cbsa_complete":  # where to complete the CBP part
        assert "Centre d'inscription d'Alexandria Bay" in message.body
