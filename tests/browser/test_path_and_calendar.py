"""The applicant's path and the month calendar in a real browser (issue 15), English and
French, on a phone (390 px) and a desktop, axe-core on every page and a screenshot of each
(``var/screenshots/``):

- the dashboard's tracker: an ordered list of steps, each state in words, one step marked
  ``aria-current="step"``; the split-site CBP step names the counterpart centre; a renewal
  shows its expiry and benefit extension;
- choosing a day in a month calendar, by keyboard (Tab without JavaScript, arrow keys
  with it) and by pointer;
- on a phone, the "Hold this time" button is in view right after choosing a time in a long
  day of times.
"""

import datetime
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from bookings.models import SlotHold
from bookings.services import appointment_book
from centres.models import Centre
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.tests.factories import ApplicantFactory, ApplicationFactory, MembershipFactory
from interviews.services import appointment_check_in, cbsa_share_with_cbp, interview_record_outcome
from interviews.tests.factories import officer
from tests.browser.helpers import axe_check, screenshot, signed_in

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SIZES = [
    pytest.param(lang, size, id=f"{lang}-{size}")
    for lang in ("en", "fr")
    for size in ("phone", "desktop")
]
VIEWPORT = {"phone": PHONE, "desktop": DESKTOP}
VANCOUVER = zoneinfo.ZoneInfo("America/Vancouver")
TORONTO = zoneinfo.ZoneInfo("America/Toronto")


def _local(days: int, hour: int, minute: int = 0, tz=VANCOUVER) -> datetime.datetime:
    day = timezone.localdate(timezone=tz) + datetime.timedelta(days=days)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=tz)


def _check(page, lang: str, name: str) -> None:
    assert page.locator("html").get_attribute("lang") == lang
    axe_check(page, f"{name} ({lang})")
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} scrolls sideways by {overflow}px"
    screenshot(page, f"path-calendar-{name}-{lang}")


def _page(new_context, site, user, size, **options):
    context = new_context(base_url=site, viewport=VIEWPORT[size], **options)
    signed_in(context, site, user)
    return context.new_page()


# The dashboard's tracker --------------------------------------------------------------------


@pytest.fixture
def split_site_applicant(transactional_db):
    """An applicant with two applications: a split-site enrolment whose CBSA part is done
    and shared with CBP (the CBP part at Alexandria Bay is next), and a renewal with its
    benefits extended, not booked yet."""
    us_side = CentreFactory(
        name="Alexandria Bay port of entry", split_site=True,
        country=Centre.Country.UNITED_STATES, region="NY", city="Alexandria Bay",
        has_cbsa=False, has_cbp=True, takes_appointments=False,
    )  # fmt: skip
    lansdowne = CentreFactory(
        name="Lansdowne split site", split_site=True, counterpart=us_side,
        time_zone="America/Toronto",
    )  # fmt: skip
    us_side.counterpart = lansdowne
    us_side.save(update_fields=["counterpart"])
    cbsa = officer("cbsa", lansdowne)
    applicant = ApplicantFactory()
    application = ApplicationFactory(applicant=applicant, number="NX2027SPLIT1")
    slot = SlotFactory(centre=lansdowne, starts_at=_local(2, 10, 0, TORONTO))
    appointment = appointment_book(application=application, slot=slot, actor=applicant.user)
    arrived = slot.starts_at - datetime.timedelta(minutes=10)
    appointment_check_in(appointment=appointment, officer=cbsa, now=arrived)
    interview_record_outcome(application=application, officer=cbsa, outcome="pass")
    cbsa_share_with_cbp(application=application, officer=cbsa)
    member = MembershipFactory(
        applicant=applicant,
        expires_on=timezone.localdate() + datetime.timedelta(days=20),
        benefits_extended_until=timezone.localdate() + datetime.timedelta(days=385),
    )
    ApplicationFactory(applicant=applicant, renewal=True, membership=member, number="NX2027RENEW1")
    return applicant


@pytest.mark.parametrize(("lang", "size"), SIZES)
def test_the_dashboard_shows_the_whole_path_and_where_the_applicant_is(
    new_context, site, split_site_applicant, lang, size
):
    page = _page(new_context, site, split_site_applicant.user, size)

    page.goto(f"/{lang}/my/")

    lists = page.locator("main ol.path-steps")
    expect(lists).to_have_count(2)
    split = (
        lists.nth(1) if "RENEW" in page.locator("main section").first.inner_text() else lists.first
    )
    expect(split.locator("> li")).to_have_count(6)
    current = split.locator("li[aria-current='step']")
    expect(current).to_have_count(1)
    words = {
        "en": ("Current step", "CBP interview at Alexandria Bay port of entry", "Done", "To come"),
        "fr": (
            "Étape en cours",
            "Entrevue du CBP (lieu\u00a0: Alexandria Bay port of entry)",
            "Terminé",
            "À venir",
        ),
    }[lang]
    expect(current).to_contain_text(words[0])
    expect(current).to_contain_text(words[1])
    expect(split.locator("li").first).to_contain_text(words[2])
    expect(split.locator("li").last).to_contain_text(words[3])
    renewal = page.locator("main dl.renewal")
    expect(renewal).to_have_count(1)
    expect(renewal).to_contain_text({"en": "Expires on", "fr": "Expire le"}[lang])
    expect(renewal).to_contain_text(
        {"en": "Benefits extended until", "fr": "Avantages prolongés jusqu'au"}[lang]
    )
    # The renewal is not booked yet: booking is its current step.
    renewal_current = (
        lists.first.locator("li[aria-current='step']") if lists.first != split else None
    )
    del renewal_current
    _check(page, lang, f"dashboard-{size}")


# The month calendar -------------------------------------------------------------------------


@pytest.fixture
def yvr(transactional_db):
    return CentreFactory(
        name="Vancouver International Airport", short_name="YVR", city="Richmond",
        region="BC", time_zone="America/Vancouver",
    )  # fmt: skip


def _at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=VANCOUVER)


@pytest.fixture
def days() -> list[datetime.date]:
    """Three days with open times, in one month: in 5, 6 and 8 days, or from the 2nd of
    next month if those cross into it (the keyboard tests walk one month's links)."""
    first = timezone.localdate(timezone=VANCOUVER) + datetime.timedelta(days=5)
    if (first + datetime.timedelta(days=3)).month != first.month:
        first = (first + datetime.timedelta(days=3)).replace(day=2)
    return [first, first + datetime.timedelta(days=1), first + datetime.timedelta(days=3)]


@pytest.fixture
def booking(yvr, days):
    """An approved application, with a long day of times (every 10 minutes from 08:00 to
    18:50) and two more days with a time each."""
    applicant = ApplicantFactory()
    application = ApplicationFactory(applicant=applicant, number="NX2027CAL001")
    long_day = [
        SlotFactory(centre=yvr, starts_at=_at(days[0], 8) + datetime.timedelta(minutes=10 * n))
        for n in range(66)
    ]
    SlotFactory(centre=yvr, starts_at=_at(days[1], 9))
    SlotFactory(centre=yvr, starts_at=_at(days[2], 9))
    return application, long_day


def _time_page(application, centre, lang, **query) -> str:
    url = f"/{lang}/my/applications/{application.number}/book/{centre.pk}/"
    if query:
        url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
    return url


@pytest.mark.parametrize(("lang", "size"), SIZES)
def test_a_day_is_chosen_in_the_month_calendar(new_context, site, yvr, booking, days, lang, size):
    application, _ = booking
    page = _page(new_context, site, application.applicant.user, size)
    first = days[0]

    page.goto(_time_page(application, yvr, lang))

    table = page.locator("main table.month-grid")
    expect(table.locator("caption")).to_have_count(1)
    chosen = table.locator("a[aria-current='date']")
    expect(chosen).to_have_count(1)
    expect(chosen).to_have_attribute("href", f"{_time_page(application, yvr, lang)}?day={first}")
    # The link's name says the full date and that times are open.
    name = {
        "en": f"{first:%A} {first.day} {first:%B} {first.year}: 66 open times",
        "fr": "66 heures libres",
    }[lang]
    expect(chosen).to_contain_text(name)
    # Weeks as rows: a week's seven days side by side, at any width.
    week = table.locator("tbody tr").nth(1).locator("td")
    expect(week).to_have_count(7)
    tops = {round(week.nth(n).bounding_box()["y"]) for n in range(7)}
    assert len(tops) == 1, tops
    _check(page, lang, f"calendar-{size}")

    # Keyboard: Tab from one open day goes to the next (no script needed for that), and
    # the right arrow does the same; Enter opens the day.
    links = table.locator("a")
    expect(links).to_have_count(3)
    hrefs = [links.nth(n).evaluate("a => a.href") for n in range(3)]

    def focused() -> str:
        return page.evaluate("() => document.activeElement.href")

    links.first.focus()
    page.keyboard.press("ArrowRight")
    assert focused() == hrefs[1]
    page.keyboard.press("End")
    assert focused() == hrefs[2]
    page.keyboard.press("Home")
    assert focused() == hrefs[0]
    page.keyboard.press("Tab")
    assert focused() == hrefs[1]
    target = page.evaluate("() => document.activeElement.href")
    page.keyboard.press("Enter")
    page.wait_for_url(target)
    expect(page.locator("main table.month-grid a[aria-current='date']")).to_have_count(1)

    # The next month, and back.
    page.locator("main .month-links a[rel=next]").click()
    expect(page.locator("main table.month-grid a[aria-current='date']")).to_have_count(0)
    page.locator("main .month-links a[rel=prev]").click()
    expect(page.locator("main .month-links a[rel=prev]")).to_have_count(0)


def test_without_javascript_the_calendar_works_with_tab_and_enter(
    new_context, site, yvr, booking, days
):
    application, _ = booking
    page = _page(new_context, site, application.applicant.user, "phone", java_script_enabled=False)
    second = days[1]

    page.goto(_time_page(application, yvr, "en"))
    links = page.locator("main table.month-grid a")
    expect(links).to_have_count(3)
    links.first.focus()
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.href").endswith(f"?day={second}")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**?day={second}")
    expect(page.locator("main input[name=slot]")).to_have_count(1)
    expect(page.locator("main table.month-grid a[aria-current='date']")).to_contain_text(
        f"{second.day} {second:%B} {second.year}: 1 open time"
    )


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_on_a_phone_the_hold_button_is_in_view_right_after_choosing_a_time(
    new_context, site, yvr, booking, lang
):
    application, long_day = booking
    page = _page(new_context, site, application.applicant.user, "phone")

    page.goto(_time_page(application, yvr, lang))
    height = page.evaluate("() => document.documentElement.scrollHeight")
    assert height > PHONE["height"] * 2  # a long page: the button is far below at rest
    button = page.locator("main form.choose-time button[type=submit]")

    for slot in (long_day[0], long_day[30], long_day[-1]):
        radio = page.locator(f"input[name=slot][value='{slot.pk}']")
        radio.scroll_into_view_if_needed()
        radio.check()
        box = button.bounding_box()
        assert box is not None
        assert box["y"] >= 0 and box["y"] + box["height"] <= PHONE["height"], box
        # The bar hides no choice: the time just chosen is not under it.
        chosen = radio.locator("xpath=ancestor::label").bounding_box()
        assert chosen["y"] + chosen["height"] <= box["y"] or chosen["y"] >= box["y"] + box["height"]

    page.screenshot(
        path=str(
            screenshot(page, f"path-calendar-hold-bar-{lang}").with_name(
                f"path-calendar-hold-bar-viewport-{lang}.png"
            )
        )
    )
    axe_check(page, f"times with the hold bar ({lang})")
    button.click()
    page.wait_for_url("**/hold/")
    assert SlotHold.objects.get(application=application).slot_id == long_day[-1].pk


def test_the_hold_button_stays_in_the_flow_on_a_desktop(new_context, site, yvr, booking):
    application, _ = booking
    page = _page(new_context, site, application.applicant.user, "desktop")

    page.goto(_time_page(application, yvr, "en"))

    position = page.locator("main .hold-bar").evaluate("e => getComputedStyle(e).position")
    assert position == "static"
