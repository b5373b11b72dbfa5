"""The applicant's booking pages through Django's test client: every step as a plain GET
or POST, refusals that keep the choice, scope (another person's things are 404), CSRF,
the confirmation e-mail and its calendar entry, English and French."""

import datetime
import re
import zoneinfo

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from icalendar import Calendar

from bookings.models import Appointment, SlotHold
from bookings.services import appointment_book, appointment_cancel
from centres.models import Centre, Slot
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.models import Applicant
from enrolment.tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

VANCOUVER = zoneinfo.ZoneInfo("America/Vancouver")


def _local(days: int, hour: int, minute: int = 0, tz=VANCOUVER) -> datetime.datetime:
    day = timezone.localdate(timezone=tz) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz)


@pytest.fixture
def yvr():
    return CentreFactory(
        name="Vancouver International Airport",
        city="Richmond",
        region="BC",
        time_zone="America/Vancouver",
    )


@pytest.fixture
def application(applicant):
    return ApplicationFactory(applicant=applicant)


@pytest.fixture
def client_in(client, applicant):
    client.force_login(applicant.user)
    return client


def _url(name, **kwargs):
    return reverse(f"booking:{name}", kwargs=kwargs)


def _hold_via_page(client, application, slot, **extra):
    day = timezone.localtime(slot.starts_at, slot.centre.tz).date().isoformat()
    return client.post(
        _url("time", number=application.number, centre_pk=slot.centre_id),
        {"slot": slot.pk, "day": day, **extra},
    )


def test_signed_out_visitors_are_sent_to_sign_in(client, application):
    for url in (
        reverse("enrolment:dashboard"),
        _url("centres", number=application.number),
        _url("hold", number=application.number),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/sign-in/" in response["Location"]


def test_only_centres_that_fit_the_path_are_offered(client_in, application, yvr):
    land = CentreFactory(land_border=True, name="Blaine land border")
    precl = CentreFactory(preclearance=True, name="Preclearance area")
    SlotFactory(centre=yvr, starts_at=_local(3, 10))
    SlotFactory(centre=land, starts_at=_local(3, 10))
    page = client_in.get(_url("centres", number=application.number)).content.decode()
    # No path yet: any centre that takes appointments, never a walk-in preclearance area.
    assert yvr.name in page and land.name in page and precl.name not in page
    booked = appointment_book(
        application=application, slot=SlotFactory(centre=yvr, starts_at=_local(4, 10)),
        actor=application.applicant.user,
    )  # fmt: skip
    page = client_in.get(_url("centres", number=application.number)).content.decode()
    assert yvr.name in page and land.name not in page
    # A centre of another path cannot be reached by typing its address either.
    response = client_in.get(_url("time", number=application.number, centre_pk=land.pk))
    assert response.status_code == 404
    # Once the appointment is cancelled, the same centres as before the first booking.
    appointment_cancel(appointment=booked, actor=application.applicant.user)
    page = client_in.get(_url("centres", number=application.number)).content.decode()
    assert yvr.name in page and land.name in page and precl.name not in page


def test_centres_filter_by_kind_and_region(client_in, application, yvr):
    toronto = CentreFactory(name="Toronto Pearson", region="ON")
    page = client_in.get(
        _url("centres", number=application.number), {"region": "ON"}
    ).content.decode()
    assert toronto.name in page and yvr.name not in page
    page = client_in.get(
        _url("centres", number=application.number), {"kind": Centre.Kind.LAND_BORDER}
    ).content.decode()
    assert toronto.name not in page and yvr.name not in page


def test_the_time_page_names_the_zone_and_shows_local_times(client_in, application, yvr):
    slot = SlotFactory(centre=yvr, starts_at=_local(3, 10, 20))
    response = client_in.get(_url("time", number=application.number, centre_pk=yvr.pk))
    page = response.content.decode()
    assert "local time: Pacific time." in page and "America/Vancouver" not in page
    assert ">10:20<" in page
    assert f'value="{slot.pk}"' in page
    with translation.override("fr"):
        url = _url("time", number=application.number, centre_pk=yvr.pk)
    page = client_in.get(url).content.decode()
    assert ">10 h 20<" in page and 'lang="fr"' in page
    # The zone in words, in French: no IANA name, no abbreviation.
    assert "heure du Pacifique" in page and "America/" not in page and "PST" not in page


def test_book_by_holding_then_confirming(
    client_in, application, yvr, django_capture_on_commit_callbacks
):
    slot = SlotFactory(centre=yvr, capacity=1, starts_at=_local(3, 10, 20))
    response = _hold_via_page(client_in, application, slot)
    assert response.status_code == 302
    assert response["Location"] == _url("hold", number=application.number)
    page = client_in.get(response["Location"]).content.decode()
    assert "about 10 minutes from now" in page and yvr.name in page and "10:20" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client_in.post(_url("hold", number=application.number), {"action": "confirm"})
    appointment = Appointment.objects.get()
    assert response["Location"] == _url("appointment", pk=appointment.pk)
    assert Slot.objects.get(pk=slot.pk).booked == 1
    page = client_in.get(response["Location"]).content.decode()
    assert "Your appointment is booked" in page and "10:20" in page
    # The dashboard says it in one sentence.
    page = client_in.get(reverse("enrolment:dashboard")).content.decode()
    assert "Your CBSA interview is on" in page and "at Vancouver International Airport" in page


def test_the_confirmation_mail_carries_a_calendar_entry_right_in_any_zone(
    client_in, application, yvr, django_capture_on_commit_callbacks
):
    slot = SlotFactory(centre=yvr, starts_at=_local(3, 10, 20))
    _hold_via_page(client_in, application, slot)
    with django_capture_on_commit_callbacks(execute=True):
        client_in.post(_url("hold", number=application.number), {"action": "confirm"})
    (message,) = mail.outbox
    assert message.to == [application.applicant.user.email]
    assert "10:20" in message.body and "Pacific time" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and "10:20" in html
    name, content, mimetype = message.attachments[0]
    assert name.endswith(".ics") and mimetype.startswith("text/calendar")
    calendar = Calendar.from_ical(content)
    event = next(iter(calendar.walk("VEVENT")))
    start = event.decoded("dtstart")
    assert start == slot.starts_at  # the same instant
    assert str(start.tzinfo) == "America/Vancouver"
    assert (start.hour, start.minute) == (10, 20)
    assert "TZID:America/Vancouver" in str(content)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/Vancouver"]
    assert str(calendar["METHOD"]) == "REQUEST"


def test_mail_is_in_the_applicants_language(
    client_in, application, yvr, django_capture_on_commit_callbacks
):
    Applicant.objects.filter(pk=application.applicant_id).update(preferred_language="fr")
    slot = SlotFactory(centre=yvr, starts_at=_local(3, 10, 20))
    _hold_via_page(client_in, application, slot)  # an English page...
    with django_capture_on_commit_callbacks(execute=True):
        client_in.post(_url("hold", number=application.number), {"action": "confirm"})
    (message,) = mail.outbox  # ...a French message
    assert message.extra_headers["Content-Language"] == "fr"
    assert "10 h 20" in message.body
    assert "/fr/my/" in message.body


def test_the_last_booth_goes_to_one_applicant_and_the_other_is_told_clearly(
    client_in, application, other_applicant, yvr
):
    slot = SlotFactory(centre=yvr, capacity=1, starts_at=_local(3, 10, 20))
    SlotFactory(centre=yvr, capacity=1, starts_at=_local(3, 11, 20))  # another time that day
    other = ApplicationFactory(applicant=other_applicant)
    rival = Client()
    rival.force_login(other_applicant.user)
    assert _hold_via_page(rival, other, slot).status_code == 302
    response = _hold_via_page(client_in, application, slot)
    assert response.status_code == 409
    page = response.content.decode()
    assert "This time has just been taken; please choose another." in page
    assert 'aria-describedby="time-error"' in page  # the message is tied to the choice
    # The last time of all taken: the message still shows, with no choice left to tie it to.
    Slot.objects.filter(starts_at=_local(3, 11, 20)).update(capacity=0)
    page = _hold_via_page(client_in, application, slot).content.decode()
    assert "This time has just been taken; please choose another." in page
    assert not SlotHold.objects.filter(application=application).exists()


def test_an_expired_hold_goes_back_to_the_choice_with_the_time_still_selected(
    client_in, application, yvr, time_machine
):
    slot = SlotFactory(centre=yvr, capacity=1, starts_at=_local(3, 10, 20))
    _hold_via_page(client_in, application, slot)
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=11))
    response = client_in.post(_url("hold", number=application.number), {"action": "confirm"})
    assert not Appointment.objects.exists()
    assert response.status_code == 302
    back = response["Location"]
    assert back.startswith(_url("time", number=application.number, centre_pk=yvr.pk))
    page = client_in.get(back).content.decode()
    assert "so it was released" in page
    assert re.search(rf'value="{slot.pk}"\s+checked', page)  # nothing lost: still ticked
    assert Slot.objects.get(pk=slot.pk).booked == 0


def test_walking_away_frees_the_time_for_others(
    client_in, application, other_applicant, yvr, time_machine
):
    slot = SlotFactory(centre=yvr, capacity=1, starts_at=_local(3, 10, 20))
    _hold_via_page(client_in, application, slot)
    rival = Client()
    rival.force_login(other_applicant.user)
    other = ApplicationFactory(applicant=other_applicant)
    url = _url("time", number=other.number, centre_pk=yvr.pk)
    assert f'value="{slot.pk}"' not in rival.get(url).content.decode()  # held: not offered
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=10, seconds=1))
    assert f'value="{slot.pk}"' in rival.get(url).content.decode()  # released on its own


def test_the_times_page_offers_a_lapsed_hold_s_time_without_writing_anything(
    client_in, application, other_applicant, yvr, time_machine
):
    slot = SlotFactory(centre=yvr, capacity=1, starts_at=_local(3, 10, 20))
    _hold_via_page(client_in, application, slot)
    time_machine.move_to(timezone.now() + datetime.timedelta(minutes=10, seconds=1))
    rival = Client()
    rival.force_login(other_applicant.user)
    other = ApplicationFactory(applicant=other_applicant)
    url = _url("time", number=other.number, centre_pk=yvr.pk)
    before = (list(SlotHold.objects.values_list("pk", "slot_id")), _booked(slot))

    page = rival.get(url).content.decode()

    assert f'value="{slot.pk}"' in page  # the lapsed hold's booth counts as free
    assert (list(SlotHold.objects.values_list("pk", "slot_id")), _booked(slot)) == before
    # Choosing it ends the lapsed hold on the spot and holds the time for the rival.
    response = rival.post(url, {"slot": slot.pk})
    assert response.status_code == 302
    assert list(SlotHold.objects.values_list("application", flat=True)) == [other.pk]
    assert _booked(slot) == 1


def _booked(slot) -> int:
    return Slot.objects.get(pk=slot.pk).booked


def test_choosing_nothing_re_shows_the_times_with_a_message(client_in, application, yvr):
    slot = SlotFactory(centre=yvr, starts_at=_local(3, 10, 20))
    day = timezone.localtime(slot.starts_at, VANCOUVER).date().isoformat()
    response = client_in.post(
        _url("time", number=application.number, centre_pk=yvr.pk), {"day": day}
    )
    assert response.status_code == 400
    assert "Choose a time." in response.content.decode()
    assert not SlotHold.objects.exists()


def test_reschedule_then_cancel(client_in, application, yvr, django_capture_on_commit_callbacks):
    first = SlotFactory(centre=yvr, starts_at=_local(3, 10, 20))
    later = SlotFactory(centre=yvr, starts_at=_local(4, 9, 0))
    old = appointment_book(application=application, slot=first, actor=application.applicant.user)
    page = client_in.get(reverse("enrolment:dashboard")).content.decode()
    assert f"?move={old.pk}" in page
    assert _hold_via_page(client_in, application, later, move=old.pk).status_code == 302
    page = client_in.get(_url("hold", number=application.number)).content.decode()
    assert "Confirm the new time" in page and "will be released when you confirm" in page
    with django_capture_on_commit_callbacks(execute=True):
        client_in.post(_url("hold", number=application.number), {"action": "confirm"})
    new = Appointment.objects.get(status=Appointment.Status.BOOKED)
    assert new.slot == later and new.rescheduled_from == old
    moved_mail = mail.outbox[-1]
    assert "moved" in moved_mail.subject
    event = next(iter(Calendar.from_ical(moved_mail.attachments[0][1]).walk("VEVENT")))
    assert str(event["UID"]) == f"appointment-{old.pk}@nexus-portal"  # the same calendar event
    assert int(event["SEQUENCE"]) == 1
    # Cancel: a question first, then the POST.
    page = client_in.get(_url("cancel", pk=new.pk)).content.decode()
    assert "Cancel your appointment?" in page and Appointment.objects.get(pk=new.pk).is_active
    with django_capture_on_commit_callbacks(execute=True):
        response = client_in.post(_url("cancel", pk=new.pk))
    assert response["Location"] == reverse("enrolment:dashboard")
    assert Appointment.objects.get(pk=new.pk).status == Appointment.Status.CANCELLED
    assert Slot.objects.get(pk=later.pk).booked == 0
    cancel = Calendar.from_ical(mail.outbox[-1].attachments[0][1])
    assert str(cancel["METHOD"]) == "CANCEL"
    page = client_in.get(reverse("enrolment:dashboard")).content.decode()
    assert "Book your CBSA interview." in page


def test_letting_the_hold_go_returns_to_the_same_day(client_in, application, yvr):
    slot = SlotFactory(centre=yvr, starts_at=_local(3, 10, 20))
    _hold_via_page(client_in, application, slot)
    response = client_in.post(_url("hold", number=application.number), {"action": "release"})
    assert response.status_code == 302 and "day=" in response["Location"]
    assert not SlotHold.objects.exists() and Slot.objects.get(pk=slot.pk).booked == 0


def test_the_calendar_download(client_in, application, yvr):
    slot = SlotFactory(centre=yvr, starts_at=_local(3, 10, 20))
    appointment = appointment_book(
        application=application, slot=slot, actor=application.applicant.user
    )
    response = client_in.get(_url("calendar", pk=appointment.pk))
    assert response["Content-Type"].startswith("text/calendar")
    assert "attachment" in response["Content-Disposition"]
    assert b"TZID=America/Vancouver" in response.content


def test_another_persons_things_are_not_found(client, application, other_applicant, yvr):
    slot = SlotFactory(centre=yvr, starts_at=_local(3, 10, 20))
    appointment = appointment_book(
        application=application, slot=slot, actor=application.applicant.user
    )
    client.force_login(other_applicant.user)
    for url in (
        _url("centres", number=application.number),
        _url("time", number=application.number, centre_pk=yvr.pk),
        _url("hold", number=application.number),
        _url("appointment", pk=appointment.pk),
        _url("cancel", pk=appointment.pk),
        _url("calendar", pk=appointment.pk),
        reverse("enrolment:history", kwargs={"number": application.number}),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(_url("cancel", pk=appointment.pk)).status_code == 404
    other = ApplicationFactory(applicant=other_applicant)
    response = _hold_via_page(client, other, slot, move=appointment.pk)  # someone else's move
    assert response.status_code == 404
    assert Appointment.objects.get(pk=appointment.pk).is_active


def test_an_application_not_yet_approved_cannot_book(client_in, applicant, yvr):
    pending = ApplicationFactory(applicant=applicant, pending=True)
    assert client_in.get(_url("centres", number=pending.number)).status_code == 404
    page = client_in.get(reverse("enrolment:dashboard")).content.decode()
    assert "still being reviewed" in page


def test_forms_need_the_csrf_token(applicant, application, yvr):
    client = Client(enforce_csrf_checks=True)
    client.force_login(applicant.user)
    slot = SlotFactory(centre=yvr, starts_at=_local(3, 10, 20))
    assert _hold_via_page(client, application, slot).status_code == 403
    assert not SlotHold.objects.exists()


def test_the_dashboard_invites_an_unlinked_account_to_link(client, django_user_model):
    user = django_user_model.objects.create_user("new@example.com", "new@example.com", "x")
    client.force_login(user)
    page = client.get(reverse("enrolment:dashboard")).content.decode()
    assert reverse("enrolment:link") in page


# --- Hostile values (issue 10) --------------------------------------------------------------


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2027-02-30", "²", "\x00"])
def test_a_day_past_the_calendar_or_no_day_at_all_shows_the_first_open_days(
    client_in, application, yvr, day
):
    SlotFactory(centre=yvr, starts_at=_local(2, 9))
    url = _url("time", number=application.number, centre_pk=yvr.pk)

    response = client_in.get(url, {"day": day, "from": day})

    assert response.status_code == 200
    assert response.context["day"] == _local(2, 9).date()


@pytest.mark.parametrize("value", ["²", "١٢", "19621.9", "9" * 40, "-1", "\x00"])
def test_a_slot_or_move_that_is_no_id_is_refused_and_holds_nothing(
    client_in, application, yvr, value
):
    SlotFactory(centre=yvr, starts_at=_local(2, 9))
    url = _url("time", number=application.number, centre_pk=yvr.pk)

    assert client_in.post(url, {"slot": value}).status_code == 400
    assert client_in.get(url, {"move": value}).status_code == 404
    assert not SlotHold.objects.exists()


@pytest.mark.parametrize(
    "path",
    [
        "/en/my/applications/NX%00/history/",
        "/en/my/applications/NX0000000001%00/book/",
        "/en/my/applications/{number}%00/hold/",
        "/en/my/appointments/99999999999999999999999/",
        "/en/my/appointments/%C2%B2/",
    ],
)
def test_a_path_parameter_no_column_can_hold_is_a_404(client_in, application, path):
    assert client_in.get(path.format(number=application.number)).status_code == 404
