"""The applicant's booking pages, issue 15: the held time says until when and what then,
the booked appointment's reference, printable sheet, map and centre links, and the one
thing the page after asking for an earlier time says."""

import datetime
import re
import zoneinfo
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation

from bookings.models import Appointment, SlotHold, WaitlistOffer, WaitlistRequest
from bookings.models import appointment_reference as reference_of
from bookings.services import appointment_book, slot_hold
from bookings.services.waitlist import (
    waitlist_match_request,
    waitlist_request_create,
    waitlist_request_first_match,
)
from centres.maps import directions_url
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

UTC = datetime.UTC
VANCOUVER = zoneinfo.ZoneInfo("America/Vancouver")
NOW = datetime.datetime(2027, 3, 1, 17, 0, tzinfo=UTC)  # Monday 09:00 in Vancouver
TODAY = NOW.astimezone(VANCOUVER).date()


@pytest.fixture(autouse=True)
def _clock(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def yvr():
    return CentreFactory(
        name="Vancouver International Airport",
        address="3211 Grant McConachie Way",
        city="Richmond",
        region="BC",
        postal_code="V7B 0A4",
        time_zone="America/Vancouver",
    )


@pytest.fixture
def application(applicant):
    return ApplicationFactory(applicant=applicant)


@pytest.fixture
def client_in(client, applicant):
    client.force_login(applicant.user)
    return client


def _at(days: int, hour: int, minute: int = 0) -> datetime.datetime:
    day = TODAY + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=VANCOUVER)


def _slot(centre, days, hour, minute=0, capacity=1):
    return SlotFactory(centre=centre, starts_at=_at(days, hour, minute), capacity=capacity)


def _text(response) -> str:
    """The page's text, tags dropped and spaces (no-break ones too) made plain."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)).replace("\xa0", " "))


# --- The held time ----------------------------------------------------------------------


def test_the_hold_page_says_until_when_in_the_centre_s_zone_and_what_happens_then(
    client_in, application, yvr, time_machine
):
    slot_hold(application=application, slot=_slot(yvr, 3, 10, 20), actor=application.applicant.user)
    # Held at 09:00 Vancouver for ten minutes; read 40 seconds later: about 9 left.
    time_machine.move_to(NOW + datetime.timedelta(seconds=40), tick=False)
    url = reverse("booking:hold", args=[application.number])
    text = _text(client_in.get(url))
    assert "held for you until 09:10 (Pacific time), about 9 minutes from now" in text
    assert "the time is released for other applicants and you can choose a time again" in text
    with translation.override("fr"):
        text = _text(client_in.get(reverse("booking:hold", args=[application.number])))
    assert "jusqu’à 9 h 10 (heure du Pacifique), dans environ 9 minutes" in text


def test_the_hold_page_says_less_than_a_minute_at_the_end(
    client_in, application, yvr, time_machine
):
    slot_hold(application=application, slot=_slot(yvr, 3, 10, 20), actor=application.applicant.user)
    time_machine.move_to(NOW + datetime.timedelta(minutes=9, seconds=45), tick=False)
    text = _text(client_in.get(reverse("booking:hold", args=[application.number])))
    assert "until 09:10 (Pacific time), less than a minute from now" in text


# --- The booked appointment -------------------------------------------------------------


def test_the_booking_reference_is_the_id_with_a_check_digit():
    assert reference_of(1234) == "NX-001234-4"
    assert reference_of(7992739871) == "NX-7992739871-3"  # Luhn's own example
    # Any one digit changed, or two neighbours swapped, gives another check digit.
    assert reference_of(1243)[-1] != reference_of(1234)[-1]
    assert reference_of(1235)[-1] != reference_of(1234)[-1]


def _booked(application, yvr) -> Appointment:
    return appointment_book(
        application=application, slot=_slot(yvr, 3, 10, 20), actor=application.applicant.user
    )


def test_the_appointment_page_shows_the_reference_the_map_and_the_centre(
    client_in, application, yvr
):
    appointment = _booked(application, yvr)
    response = client_in.get(reverse("booking:appointment", args=[appointment.pk]))
    page = response.content.decode()
    assert f"<strong>{appointment.reference}</strong>" in page
    assert re.fullmatch(r"NX-\d{6}-\d", appointment.reference)
    link = re.search(r'<a href="([^"]+)" rel="noopener external">Directions on a map', page)
    assert link is not None
    url = urlsplit(link.group(1).replace("&amp;", "&"))
    assert (url.scheme, url.netloc, url.path) == ("https", "www.openstreetmap.org", "/search")
    assert parse_qs(url.query)["query"] == [
        "3211 Grant McConachie Way, Richmond, BC V7B 0A4, Canada"
    ]
    assert reverse("centres:detail", args=[yvr.pk]) in page
    assert "Opening hours and closures of Vancouver International Airport" in page
    assert reverse("booking:print", args=[appointment.pk]) in page
    assert "Print this page" in page
    assert 'href="/static/css/bookings.css"' in page


def test_the_print_view_is_one_sheet_without_navigation(client_in, application, yvr):
    appointment = _booked(application, yvr)
    response = client_in.get(reverse("booking:print", args=[appointment.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert appointment.reference in page and "Vancouver International Airport" in page
    assert "What to bring" in page and "10:20" in page
    assert "<nav" not in page and "<form" not in page and "Sign out" not in page
    assert "<script>" not in page  # the print button comes from a static file (CSP)
    assert 'src="/static/js/print-button.js" defer' in page
    assert reverse("booking:appointment", args=[appointment.pk]) in page
    with translation.override("fr"):
        page = client_in.get(reverse("booking:print", args=[appointment.pk])).content.decode()
    assert 'lang="fr"' in page and "Numéro de réservation" in page


def test_the_print_view_of_another_persons_appointment_is_not_found(
    client_in, other_applicant, yvr
):
    theirs = _booked(ApplicationFactory(applicant=other_applicant), yvr)
    assert client_in.get(reverse("booking:print", args=[theirs.pk])).status_code == 404
    assert client_in.post(reverse("booking:print", args=[theirs.pk])).status_code == 405


def test_the_confirmation_mail_gives_the_reference(
    application, yvr, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = _booked(application, yvr)
    (message,) = mail.outbox
    assert f"Booking reference: {appointment.reference}" in message.body
    html = message.alternatives[0][0]
    assert f"<strong>{appointment.reference}</strong>" in html


def test_the_directions_link_of_a_us_centre_names_the_country():
    centre = CentreFactory(land_border=True, address="1 Peace Arch", postal_code="98230")
    query = parse_qs(urlsplit(directions_url(centre)).query)["query"]
    assert query == ["1 Peace Arch, Blaine, WA 98230, United States"]


# --- Asking for an earlier time ---------------------------------------------------------


@pytest.fixture
def booked(application, yvr):
    appointment_book(
        application=application, slot=_slot(yvr, 10, 9), actor=application.applicant.user
    )
    return application


def _form(centres, **overrides) -> dict:
    return {
        "centres": [c.pk for c in centres],
        "earliest": (TODAY + datetime.timedelta(days=1)).isoformat(),
        "latest": (TODAY + datetime.timedelta(days=9)).isoformat(),
        "times": ["mornings", "afternoons"],
        **overrides,
    }


def test_with_nothing_free_the_next_page_says_we_will_write(client_in, booked, yvr):
    response = client_in.post(reverse("booking:waitlist", args=[booked.number]), _form([yvr]))
    assert response["Location"] == reverse("enrolment:dashboard")
    text = _text(client_in.get(response["Location"]))
    assert "We will e-mail you when an earlier time frees up." in text
    assert "We found" not in text


def test_a_time_free_at_once_is_named_on_the_next_page_to_accept_or_let_go(
    client_in, booked, yvr, django_capture_on_commit_callbacks
):
    free = _slot(yvr, 2, 10, 20)
    response = client_in.post(reverse("booking:waitlist", args=[booked.number]), _form([yvr]))
    hold_url = reverse("booking:hold", args=[booked.number])
    assert response["Location"] == hold_url
    text = _text(client_in.get(hold_url))
    assert (
        "We found Wednesday 3 March 2027 at 10:20, at Vancouver International Airport: "
        "accept it or let it go." in text
    )
    assert "We will e-mail you" not in text  # one thing only
    assert "Accept this time" in text and "Let it go" in text
    assert SlotHold.objects.get(application=booked).slot == free
    # Letting it go: back to the dashboard, which says so; the request keeps looking.
    with django_capture_on_commit_callbacks(execute=True):
        response = client_in.post(hold_url, {"action": "release"})
    assert response["Location"] == reverse("enrolment:dashboard")
    text = _text(client_in.get(response["Location"]))
    assert "You let the time go. We are still looking" in text
    assert not SlotHold.objects.filter(application=booked).exists()
    assert WaitlistRequest.objects.get().is_active
    assert WaitlistOffer.objects.get().status == WaitlistOffer.Status.DECLINED


def test_a_time_free_at_once_named_in_french(client_in, booked, yvr):
    _slot(yvr, 2, 10, 20)
    with translation.override("fr"):
        url = reverse("booking:waitlist", args=[booked.number])
        response = client_in.post(url, _form([yvr]), follow=True)
    text = _text(response)
    assert "Nous avons trouvé mercredi 3 mars 2027 à 10 h 20" in text
    assert "acceptez-la ou renoncez-y" in text


def test_a_time_booked_at_once_for_an_auto_rebook_request_goes_to_the_appointment(
    client_in, booked, yvr
):
    _slot(yvr, 2, 10, 20)
    response = client_in.post(
        reverse("booking:waitlist", args=[booked.number]), _form([yvr], auto_rebook="on")
    )
    moved = Appointment.objects.get(application=booked, status=Appointment.Status.BOOKED)
    assert response["Location"] == reverse("booking:appointment", args=[moved.pk])
    text = _text(client_in.get(response["Location"]))
    assert "We found an earlier time and booked it for you: Wednesday 3 March 2027" in text


def test_matching_again_after_the_first_match_does_nothing(booked, yvr):
    _slot(yvr, 2, 10, 20)
    _slot(yvr, 3, 10, 20)
    request = waitlist_request_create(
        application=booked,
        actor=booked.applicant.user,
        centres=[yvr],
        earliest=TODAY,
        latest=TODAY + datetime.timedelta(days=9),
        mornings=True,
        afternoons=True,
        evenings=True,
        auto_rebook=False,
    )
    offer = waitlist_request_first_match(request=request)
    assert offer is not None and offer.status == WaitlistOffer.Status.OFFERED
    assert waitlist_match_request(request_id=request.pk) == 0  # the outbox's delivery
    assert WaitlistOffer.objects.count() == 1


def test_without_an_appointment_the_link_explains_itself(client_in, application, yvr):
    _slot(yvr, 2, 10, 20)
    text = _text(client_in.get(reverse("enrolment:dashboard")))
    assert "No time that suits you? Ask us to look out for one" in text
    assert "Ask for an earlier time" not in text
    text = _text(client_in.get(reverse("booking:waitlist", args=[application.number])))
    assert "Ask us to look out for a time" in text and "You have no appointment yet." in text
    assert "earlier than your appointment" not in text


def test_with_an_appointment_the_link_asks_for_an_earlier_time(client_in, booked):
    text = _text(client_in.get(reverse("enrolment:dashboard")))
    assert "Ask for an earlier time" in text and "look out for one" not in text


def test_an_offer_that_ran_out_sends_to_the_dashboard_saying_so(
    client_in, booked, yvr, time_machine, settings
):
    _slot(yvr, 2, 10, 20)
    client_in.post(reverse("booking:waitlist", args=[booked.number]), _form([yvr]))
    assert SlotHold.objects.filter(application=booked).exists()
    later = NOW + datetime.timedelta(minutes=settings.WAITLIST_OFFER_MINUTES, seconds=1)
    time_machine.move_to(later, tick=False)
    client_in.force_login(booked.applicant.user)  # the idle session has ended meanwhile
    response = client_in.get(reverse("booking:hold", args=[booked.number]))
    assert response["Location"] == reverse("enrolment:dashboard")
    text = _text(client_in.get(response["Location"]))
    assert "went to the next person in line. We are still looking" in text
