from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Q
from django_otp.plugins.otp_totp.models import TOTPDevice

from bookings.models import Appointment
from centres.models import Centre, OpeningRule, Slot, StaffProfile
from centres.reference import REFERENCE_FILE
from common.models import AuditEvent
from demo.management.commands.load_demo_data import DEMO_TOTP_KEY
from enrolment.models import Applicant, Application, Membership
from entry_exit.models import Port
from entry_exit.reference import reference_rows

# A Monday, six days before North American clocks spring forward (8 March 2026).
NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

AIRPORTS = {
    5026: "America/Vancouver",
    5030: "America/Edmonton",
    5032: "America/Edmonton",
    5029: "America/Winnipeg",
    5027: "America/Toronto",
    5025: "America/Toronto",
    5028: "America/Toronto",
    5031: "America/Halifax",
}

LAND_BORDER = {
    5020: "America/Los_Angeles",
    5021: "America/New_York",
    16511: "America/New_York",
    5024: "America/New_York",
    5080: "America/New_York",
    5161: "America/New_York",
    16546: "America/New_York",
    5120: "America/Denver",
    5100: "America/Chicago",
    5060: "America/Chicago",
    5160: "America/Chicago",
    5223: "America/New_York",
    5101: "America/New_York",
    5500: "America/New_York",
}

# Canadian side (TTP id) -> US side (city).
SPLIT_PAIRS = {5520: "Alexandria Bay", 5022: "Buffalo"}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _short_history(monkeypatch):
    """A month of the programme's figures, not five years (demo/tests/test_history.py
    checks the whole history): every load here stays fast."""
    monkeypatch.setattr(
        "demo.management.commands.load_demo_data.DEMO_HISTORY_START",
        NOW.date() - timedelta(days=30),
    )


@pytest.fixture
def demo(db, settings, frozen):
    # The test runner sets DEBUG=False; the command runs only in development.
    settings.DEBUG = True
    settings.SLOT_HORIZON_DAYS = 21
    load()


def load(*args: str) -> str:
    out = StringIO()
    call_command("load_demo_data", *args, stdout=out, stderr=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = [
        Centre,
        OpeningRule,
        Slot,
        Group,
        Applicant,
        Membership,
        Application,
        Appointment,
        Port,
    ]
    result = {model.__name__: model.objects.count() for model in models}
    result["User"] = get_user_model().objects.count()
    result["AuditEvent"] = AuditEvent.objects.count()
    result["booked"] = sum(Slot.objects.values_list("booked", flat=True))
    return result


def test_it_loads_the_eight_airport_enrolment_centres(demo):
    airports = Centre.objects.filter(kind=Centre.Kind.AIRPORT_ENROLMENT)

    assert {c.ttp_location_id: c.time_zone for c in airports} == AIRPORTS
    assert all(c.country == "CA" and c.has_cbsa and c.takes_appointments for c in airports)
    assert airports.get(ttp_location_id=5028).name.startswith("Montréal")


def test_it_loads_a_walk_in_preclearance_area_at_each_airport(demo):
    areas = Centre.objects.filter(kind=Centre.Kind.PRECLEARANCE).select_related("airport")

    assert len(areas) == 8
    assert {a.airport.ttp_location_id for a in areas} == set(AIRPORTS)
    for area in areas:
        assert area.ttp_location_id is None
        assert area.has_cbp and area.country == "CA"
        assert not area.takes_appointments
        assert area.time_zone == area.airport.time_zone
        assert not area.opening_rules.exists()
        assert not area.slots.exists()


def test_it_loads_the_fourteen_us_land_border_centres(demo):
    centres = Centre.objects.filter(kind=Centre.Kind.LAND_BORDER)

    assert {c.ttp_location_id: c.time_zone for c in centres} == LAND_BORDER
    assert all(c.country == "US" and c.has_cbsa and c.has_cbp for c in centres)
    assert centres.get(ttp_location_id=16511).time_zone == "America/New_York"


def test_it_leaves_out_closed_and_event_locations(demo):
    assert not Centre.objects.filter(ttp_location_id__in=[5041, 16502]).exists()


def test_each_canadian_split_site_points_to_its_us_counterpart(demo):
    split_sites = Centre.objects.filter(kind=Centre.Kind.SPLIT_SITE)
    assert split_sites.count() == 4

    for ttp_id, us_city in SPLIT_PAIRS.items():
        canadian = Centre.objects.get(ttp_location_id=ttp_id)
        us_side = canadian.counterpart
        assert canadian.country == "CA" and canadian.has_cbsa and canadian.takes_appointments
        assert us_side.city == us_city
        assert us_side.country == "US" and us_side.has_cbp
        assert us_side.kind == Centre.Kind.SPLIT_SITE
        assert us_side.ttp_location_id is None
        assert not us_side.takes_appointments
        assert us_side.time_zone == "America/New_York"
        assert us_side.counterpart == canadian


def test_it_generates_slots_ahead_for_every_bookable_centre(demo):
    bookable = Centre.objects.filter(takes_appointments=True)

    assert bookable.count() == 8 + 14 + 2
    for centre in bookable:
        assert centre.opening_rules.exists()
        assert centre.slots.filter(starts_at__gt=NOW).exists()
    assert not Slot.objects.filter(centre__takes_appointments=False).exists()


def test_slots_follow_local_wall_clock_time_across_dst(demo):
    blaine = Centre.objects.get(ttp_location_id=5020)
    starts = [slot.local_start() for slot in blaine.slots.order_by("starts_at")]

    first_each_weekday = {s.date(): s for s in reversed(starts) if s.weekday() < 5}
    assert {(s.hour, s.minute) for s in first_each_weekday.values()} == {(7, 30)}
    assert {s.utcoffset().total_seconds() / 3600 for s in starts} == {-8, -7}


def test_it_puts_each_demo_applicant_in_their_stage(demo):
    def application(username):
        return Application.objects.get(applicant__user__username=username)

    pending = application("applicant1")
    assert pending.status == Application.Status.PENDING
    assert not pending.may_book
    assert not pending.appointments.exists()

    approved = application("applicant2")
    assert approved.status == Application.Status.CONDITIONALLY_APPROVED
    assert approved.kind == Application.Kind.NEW
    assert not approved.appointments.exists()

    airport = application("applicant3").appointments.get()
    assert airport.application.path == Application.Path.AIRPORT
    assert airport.slot.centre.ttp_location_id == 5028

    renewal = application("applicant4")
    assert renewal.kind == Application.Kind.RENEWAL
    assert len(renewal.membership.number) == 9 and renewal.membership.number.isdigit()
    assert renewal.membership.expires_on > NOW.date()
    assert renewal.path == Application.Path.JOINT
    assert renewal.appointments.get().slot.centre.kind == Centre.Kind.LAND_BORDER

    split = application("applicant5")
    assert split.path == Application.Path.SPLIT_SITE
    assert split.appointments.get().slot.centre.ttp_location_id == 5520

    languages = set(Applicant.objects.values_list("preferred_language", flat=True))
    assert languages == {"en", "fr"}
    assert all(len(a.number) <= 12 for a in Application.objects.all())


def test_demo_accounts_sign_in_with_the_published_password(demo):
    for username in ["admin", "centre.admin", "cbsa.officer", "cbp.officer", "applicant1"]:
        assert authenticate(username=username, password="nexus-demo-2026") is not None


def test_accounts_have_their_roles(demo):
    users = get_user_model().objects
    assert users.get(username="admin").is_superuser

    centre_admin = users.get(username="centre.admin")
    assert centre_admin.is_staff and not centre_admin.is_superuser
    assert centre_admin.has_perms(
        [
            "centres.add_openingrule",
            "centres.change_closure",
            "centres.delete_extracapacity",
            "centres.view_centre",
            "centres.view_slot",
        ]
    )
    assert not centre_admin.has_perm("centres.change_centre")
    assert not centre_admin.has_perm("centres.change_slot")

    assert users.get(username="cbsa.officer").groups.filter(name="CBSA officers").exists()
    assert users.get(username="cbp.officer").groups.filter(name="CBP officers").exists()


def test_it_loads_the_ports_of_entry_in_pairs(demo):
    assert Port.objects.count() == len(reference_rows())
    assert not Port.objects.filter(counterpart__isnull=True).exists()


def test_running_it_twice_changes_nothing(demo):
    before = counts()

    load()

    assert counts() == before
    assert before["Appointment"] == 3 + 2  # the demo applicants', and today's two walk-ins


def test_running_it_again_later_books_nothing_new_but_that_day_s_walk_ins(demo):
    with time_machine.travel(datetime(2026, 3, 4, 15, 0, tzinfo=UTC), tick=False):
        load()

    assert Appointment.objects.count() == 3 + 2 + 2
    # 5 with accounts, 2 waiting to be linked, two walk-ins on each day it was loaded.
    assert Application.objects.count() == 7 + 2 + 2


def test_two_applications_wait_to_be_linked(demo):
    unlinked = Application.objects.filter(applicant__user__isnull=True)
    assert sorted(unlinked.values_list("number", flat=True)) == ["NX2026000006", "NX2026000007"]
    assert all(application.may_book for application in unlinked)


def test_every_slot_counts_exactly_its_active_appointments(demo):
    load()
    slots = Slot.objects.annotate(
        active=Count("appointments", filter=Q(appointments__status__in=Appointment.ACTIVE))
    )

    assert all(slot.booked == slot.active for slot in slots)
    assert sum(slot.booked for slot in slots) == 3 + 2


def test_it_leaves_opening_rules_an_administrator_changed(demo):
    rule = OpeningRule.objects.filter(centre__ttp_location_id=5027).first()
    rule.booths = 7
    rule.save()

    load()

    rule.refresh_from_db()
    assert rule.booths == 7


def test_it_restores_reference_facts_and_records_the_change(demo):
    Centre.objects.filter(ttp_location_id=5031).update(phone="", time_zone="UTC")
    audits = AuditEvent.objects.filter(action="centre.imported").count()

    output = load()

    halifax = Centre.objects.get(ttp_location_id=5031)
    assert halifax.time_zone == "America/Halifax"
    assert halifax.phone == "+1 902-873-7788"
    assert "1 updated" in output
    assert AuditEvent.objects.filter(action="centre.imported").count() == audits + 1


def test_it_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        load()

    assert not Centre.objects.exists()
    assert not get_user_model().objects.exists()


def test_it_runs_with_debug_off_when_forced(db, settings, frozen):
    settings.DEBUG = False
    settings.SLOT_HORIZON_DAYS = 7

    output = load("--force")

    assert "nexus-demo-2026" in output
    assert Centre.objects.count() == 34


def test_the_reference_data_lives_inside_the_project():
    assert REFERENCE_FILE.is_relative_to(django_settings.BASE_DIR)


def test_staff_accounts_have_their_staff_profiles_and_centres(demo):
    def profile(username):
        return StaffProfile.objects.get(user__username=username)

    def ids(p):
        return set(p.centres.values_list("ttp_location_id", flat=True))

    assert profile("admin").role == StaffProfile.Role.PROGRAMME_ADMIN
    assert not profile("admin").centres.exists()

    centre_admin = profile("centre.admin")
    assert centre_admin.role == StaffProfile.Role.CENTRE_ADMIN
    assert ids(centre_admin) == {5028, 5020}

    cbsa = profile("cbsa.officer")
    assert cbsa.role == StaffProfile.Role.CBSA_OFFICER
    assert ids(cbsa) == {5028, 5520, 5020}

    cbp = profile("cbp.officer")
    assert cbp.role == StaffProfile.Role.CBP_OFFICER
    centres = cbp.centres.all()
    assert len(centres) == 8 + 2
    assert sum(c.kind == Centre.Kind.PRECLEARANCE for c in centres) == 8
    assert Centre.objects.get(ttp_location_id=5020) in centres
    assert Centre.objects.get(ttp_location_id=5520).counterpart in centres
    assert not StaffProfile.objects.filter(user__username__startswith="applicant").exists()


def test_staff_accounts_have_a_confirmed_authenticator_with_the_demo_secret(demo):
    devices = TOTPDevice.objects.filter(confirmed=True)

    assert {d.user.username for d in devices} == {
        "admin",
        "centre.admin",
        "cbsa.officer",
        "cbp.officer",
    }
    assert {d.key for d in devices} == {DEMO_TOTP_KEY}
    assert len(bytes.fromhex(DEMO_TOTP_KEY)) == 20


def test_running_it_twice_keeps_one_profile_and_one_authenticator_each(demo):
    device = TOTPDevice.objects.get(user__username="cbsa.officer")
    device.confirmed = False
    device.save()

    load()

    assert StaffProfile.objects.count() == 4
    assert TOTPDevice.objects.count() == 4
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert StaffProfile.objects.get(user__username="cbp.officer").centres.count() == 10


def test_it_tells_how_staff_sign_in_with_their_one_time_code(demo):
    output = load()

    assert "manage.py totp_code cbsa.officer" in output
    assert "otpauth://totp/NEXUS%20Portal%3Acbsa.officer?secret=" in output


def test_it_loads_a_few_days_of_crossings_in_both_directions_once(demo):
    from demo.management.commands.load_demo_data import (
        DEMO_CROSSING_DAYS,
        DEMO_CROSSINGS_PER_DAY,
    )
    from entry_exit.choices import Event, Source, StatusCategory
    from entry_exit.models import CrossingRecord, ExchangeBatch

    def by_direction():
        return dict(CrossingRecord.objects.values_list("event").annotate(n=Count("id")).order_by())

    entries = CrossingRecord.objects.filter(event=Event.LAND_ENTRY_CANADA)
    exits = CrossingRecord.objects.filter(event=Event.LAND_ENTRY_US)
    assert entries.count() == DEMO_CROSSING_DAYS * DEMO_CROSSINGS_PER_DAY
    assert set(entries.values_list("source", flat=True)) == {Source.CBSA_PRIMARY}
    assert set(exits.values_list("source", flat=True)) == {Source.US_PARTNER}
    batches = ExchangeBatch.objects.filter(direction="inbound", partner="cbp")
    assert batches.count() == DEMO_CROSSING_DAYS
    # Each day's partner batch is whole: imported rows plus the few spoilt on purpose.
    for batch in batches:
        assert batch.rows_ok + batch.rows_refused == DEMO_CROSSINGS_PER_DAY
        assert batch.rows_duplicate == 0
    assert (
        exits.count()
        == sum(batch.rows_ok for batch in batches)
        > 0.9 * DEMO_CROSSING_DAYS * (DEMO_CROSSINGS_PER_DAY)
    )
    # Every category appears over both directions, most of them in each.
    assert set(CrossingRecord.objects.values_list("status", flat=True)) == set(
        StatusCategory.values
    )
    for records in (entries, exits):
        assert len(set(records.values_list("status", flat=True))) >= 5
    moments = CrossingRecord.objects.exclude(event=Event.AIR_EXIT).values_list(
        "occurred_at", flat=True
    )
    days = {moment.astimezone(UTC).date() for moment in moments}
    assert len(days) == DEMO_CROSSING_DAYS and max(days) < NOW.date()
    before = (by_direction(), batches.count(), counts())

    load()

    assert (by_direction(), batches.count(), counts()) == before


def test_it_loads_a_few_days_of_air_exits_from_carrier_manifests_once(demo):
    from demo.management.commands.load_demo_data import (
        DEMO_CREW_PER_FLIGHT,
        DEMO_CROSSING_DAYS,
        DEMO_FLIGHTS_PER_DAY,
        DEMO_PASSENGERS_PER_FLIGHT,
    )
    from entry_exit.choices import Event
    from entry_exit.manifests.models import ManifestInterchange, ManifestTraveller
    from entry_exit.models import CrossingRecord

    air_exits = CrossingRecord.objects.filter(event=Event.AIR_EXIT)
    per_day = DEMO_FLIGHTS_PER_DAY * (DEMO_PASSENGERS_PER_FLIGHT + DEMO_CREW_PER_FLIGHT)
    assert air_exits.count() == DEMO_CROSSING_DAYS * per_day
    assert ManifestTraveller.objects.filter(role="crew").count() == (
        DEMO_CROSSING_DAYS * DEMO_FLIGHTS_PER_DAY * DEMO_CREW_PER_FLIGHT
    )
    assert max(air_exits.values_list("occurred_at", flat=True)) < NOW
    assert set(ManifestInterchange.objects.values_list("status", flat=True)) == {"imported"}

    load()

    assert air_exits.count() == DEMO_CROSSING_DAYS * per_day
    assert ManifestInterchange.objects.count() == DEMO_CROSSING_DAYS


@pytest.mark.parametrize(
    "instant",
    [
        datetime(2026, 3, 8, 5, 2, tzinfo=UTC),  # Sunday 00:02 in Montréal
        datetime(2026, 3, 2, 15, 0, tzinfo=UTC),  # Monday 10:00
        datetime(2026, 3, 7, 4, 55, tzinfo=UTC),  # Friday 23:55
    ],
)
def test_the_officers_always_have_appointments_to_check_in_today(db, settings, instant):
    from interviews.services import appointment_check_in

    settings.DEBUG = True
    settings.SLOT_HORIZON_DAYS = 3
    with time_machine.travel(instant, tick=False):
        out = load()
        montreal = Centre.objects.get(ttp_location_id=5028)
        today = instant.astimezone(montreal.tz).date()
        todays = Appointment.objects.filter(
            slot__centre=montreal, status=Appointment.Status.BOOKED
        ).select_related("slot")
        todays = [a for a in todays if a.slot.local_start().date() == today]
        assert len(todays) == 2
        assert f"NXT{today:%y%m%d}01" in out
        officer = get_user_model().objects.get(username="cbsa.officer")
        appointment_check_in(appointment=todays[0], officer=officer)
        load()  # a second load adds nothing
        assert Application.objects.filter(number__startswith=f"NXT{today:%y%m%d}").count() == 2


def test_the_demo_accounts_are_printed_last_after_any_e_mail(transactional_db, settings, frozen):
    import contextlib

    settings.DEBUG = True
    settings.SLOT_HORIZON_DAYS = 21
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    out = StringIO()
    # Real commits (transactional_db), as with make run: the e-mails go as the load commits.
    with contextlib.redirect_stdout(out):
        call_command("load_demo_data", stdout=out, stderr=out)
    printed = out.getvalue()
    assert "Subject:" in printed  # the demo bookings' e-mails, on the same console
    assert printed.rindex("Subject:") < printed.index("Demo accounts")
    assert printed.rstrip().endswith("Demo data loaded.")
