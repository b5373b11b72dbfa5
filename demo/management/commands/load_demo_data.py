"""Load the demonstration data: real centres, demo hours, demo accounts, the Entry/Exit
ports of entry, and the programme's figures since 2022 (``demo.history``).

Idempotent: a second run finds everything in place and changes nothing. Every account
it creates has the same published password, and every staff account an authenticator
with the same published TOTP secret, so it refuses to run with ``DEBUG=False`` unless
told ``--force``.
"""

import hashlib
from base64 import b32encode
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from bookings.models import Appointment
from bookings.services import BookingError, appointment_book
from centres.models import Centre, Slot, StaffProfile
from centres.reference import centres_import_reference, reference_load
from centres.services import centre_slots_generate
from demo.history import history_load
from enrolment.models import Applicant, Application, Membership
from entry_exit.choices import Source
from entry_exit.manifests.carriers import Carrier
from entry_exit.manifests.models import ManifestInterchange
from entry_exit.manifests.services import manifest_interchange_import
from entry_exit.manifests.synthetic import paxlst_interchange
from entry_exit.models import BatchDirection, ExchangeBatch
from entry_exit.partners import DEFAULT_PARTNER, Partner
from entry_exit.reference import ports_import_reference
from entry_exit.services import inbound_batch_import
from entry_exit.services.records import crossing_record_create
from entry_exit.synthetic import batch_file, batch_id, crossing_rows
from figures.services import last_complete_day

DEMO_PASSWORD = "nexus-demo-2026"  # noqa: S105 -- published on purpose: demo accounts only
# The TOTP secret of every demo staff account's authenticator, published on purpose like
# the password: 20 bytes, hex ("NEXUS-DEMO-ONLY-0000" in ASCII). Never use it for a real
# account; real devices get a random key when an administrator adds them in the admin.
DEMO_TOTP_KEY = "4e455855532d44454d4f2d4f4e4c592d30303030"
DEMO_DEVICE_NAME = "Demo authenticator"

CENTRE_ADMINISTRATORS = "Centre administrators"
CBSA_OFFICERS = "CBSA officers"
CBP_OFFICERS = "CBP officers"

# Group -> (app label, model, actions). Officers' own permissions (their agency, their
# centres) are enforced by the services; these only open the read-only views.
GROUP_PERMISSIONS: dict[str, list[tuple[str, str, tuple[str, ...]]]] = {
    CENTRE_ADMINISTRATORS: [
        ("centres", "openingrule", ("add", "change", "delete", "view")),
        ("centres", "closure", ("add", "change", "delete", "view")),
        ("centres", "extracapacity", ("add", "change", "delete", "view")),
        ("centres", "centre", ("view",)),
        ("centres", "slot", ("view",)),
    ],
    CBSA_OFFICERS: [
        ("centres", "centre", ("view",)),
        ("centres", "slot", ("view",)),
        ("bookings", "appointment", ("view",)),
    ],
    CBP_OFFICERS: [
        ("centres", "centre", ("view",)),
        ("bookings", "appointment", ("view",)),
    ],
}


# Entry/Exit demo crossings: the last DEMO_CROSSING_DAYS full UTC days, each with
# DEMO_CROSSINGS_PER_DAY entries into Canada (CBSA primary) and as many US land entries
# (a batch from the US partner, a few rows spoilt so its report shows row errors).
DEMO_CROSSING_DAYS = 3
DEMO_CROSSINGS_PER_DAY = 60
DEMO_CROSSING_SEED = 2026
DEMO_BAD_SHARE = 0.03
# Air exits: each of DEMO_CROSSING_DAYS days, a carrier's PAXLST manifests of
# DEMO_FLIGHTS_PER_DAY departures from Canadian airports (entry_exit.manifests.synthetic),
# each with its passenger and its crew list. The days end the day before yesterday: a flight
# leaves until 22:00 local time, which in Vancouver is already the next UTC day.
DEMO_FLIGHTS_PER_DAY = 4
DEMO_PASSENGERS_PER_FLIGHT = 30
DEMO_CREW_PER_FLIGHT = 5
DEMO_CARRIER = "demo-air"

# The programme's figures (demo.history) are written for every day from this one to the last
# day that has ended at every centre.
DEMO_HISTORY_START = date(2022, 1, 1)

# Where demo staff work: TTP location ids, plus two kinds of centre without one.
PRECLEARANCE_AREAS = "preclearance areas"  # the walk-in CBP area at each of the 8 airports
ALEXANDRIA_BAY = "alexandria bay"  # the US side of the Lansdowne (5520) split site


@dataclass(frozen=True)
class StaffAccount:
    username: str
    role: str
    first_name: str
    last_name: str
    group: str = ""
    is_staff: bool = False
    is_superuser: bool = False
    profile_role: str = StaffProfile.Role.PROGRAMME_ADMIN
    centres: tuple[int | str, ...] = ()


STAFF = [
    StaffAccount(
        "admin", "programme administrator", "Hélène", "Bergeron", is_staff=True, is_superuser=True
    ),
    StaffAccount(
        "centre.admin",
        "centre administrator",
        "Gregory",
        "Mackenzie",
        CENTRE_ADMINISTRATORS,
        is_staff=True,
        profile_role=StaffProfile.Role.CENTRE_ADMIN,
        centres=(5028, 5020),  # Montréal airport, Blaine
    ),
    StaffAccount(
        "cbsa.officer",
        "CBSA officer",
        "Nathalie",
        "Côté",
        CBSA_OFFICERS,
        profile_role=StaffProfile.Role.CBSA_OFFICER,
        centres=(5028, 5520, 5020),  # Montréal airport, Lansdowne, Blaine
    ),
    StaffAccount(
        "cbp.officer",
        "CBP officer",
        "Derek",
        "Lindqvist",
        CBP_OFFICERS,
        profile_role=StaffProfile.Role.CBP_OFFICER,
        centres=(PRECLEARANCE_AREAS, 5020, ALEXANDRIA_BAY),
    ),
]


@dataclass(frozen=True)
class DemoApplicant:
    username: str
    first_name: str
    last_name: str
    language: str
    date_of_birth: date
    application_number: str
    stage: str
    approved: bool = True
    membership_number: str = ""
    # Where and how far ahead to book (TTP location id, days from now); None: no booking.
    book_at: int | None = None
    book_after_days: int = 0


APPLICANTS = [
    DemoApplicant(
        "applicant1",
        "Émilie",
        "Gagnon",
        Applicant.Language.FRENCH,
        date(1986, 4, 12),
        "NX2026000001",
        "application under review: cannot book yet",
        approved=False,
    ),
    DemoApplicant(
        "applicant2",
        "Daniel",
        "Okafor",
        Applicant.Language.ENGLISH,
        date(1979, 11, 3),
        "NX2026000002",
        "conditionally approved, no appointment yet",
    ),
    DemoApplicant(
        "applicant3",
        "Sophie",
        "Lavoie",
        Applicant.Language.FRENCH,
        date(1992, 7, 28),
        "NX2026000003",
        "CBSA appointment at Montréal airport (YUL)",
        book_at=5028,
        book_after_days=7,
    ),
    DemoApplicant(
        "applicant4",
        "Robert",
        "Chen",
        Applicant.Language.ENGLISH,
        date(1968, 2, 17),
        "NX2026000004",
        "renewal, membership expiring; joint appointment at Blaine",
        membership_number="159000004",
        book_at=5020,
        book_after_days=10,
    ),
    DemoApplicant(
        "applicant5",
        "Marie-Claire",
        "Dubois",
        Applicant.Language.FRENCH,
        date(1983, 9, 5),
        "NX2026000005",
        "split-site appointment at Lansdowne (CBP part at Alexandria Bay)",
        book_at=5520,
        book_after_days=14,
    ),
]

# Conditionally approved applications with no portal account yet: sign up, then link one
# with its number and date of birth (as on the letter the agencies send).
UNLINKED = [
    ("NX2026000006", "Jordan", "Tremblay", date(1990, 1, 20), Applicant.Language.ENGLISH),
    ("NX2026000007", "Camille", "Bergeron", date(1995, 5, 2), Applicant.Language.FRENCH),
]

# Walk-ins for the officers to try at once: applications booked at Montréal airport on the
# day the demo is loaded (at whatever hour), one pair per day, numbered by the day.
TODAY_CENTRE = 5028
TODAY_APPLICANTS = [
    ("Alex", "Martin", date(1988, 3, 14), Applicant.Language.ENGLISH),
    ("Léa", "Roy", date(1991, 10, 8), Applicant.Language.FRENCH),
]

# A renewing member's card runs out this many days after the first load.
MEMBERSHIP_EXPIRES_IN_DAYS = 45


class Command(BaseCommand):
    help = (
        "Load demonstration data: the real enrolment centres with demo opening hours and "
        f"slots, and demo accounts whose password is {DEMO_PASSWORD!r}. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG=False (creates accounts with a published password).",
        )

    def handle(self, *args, force: bool = False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is False: refusing to create demo accounts with a published password. "
                "Use --force if this really is a demonstration database."
            )
        now = timezone.now()
        with transaction.atomic():
            self._load_centres(now)
            self._load_ports()
            self._load_crossings(now)
            self._load_manifests(now)
            self._load_history(now)
            groups = self._load_groups()
            self._load_staff(groups)
            self._load_applicants(now)
            self._load_unlinked(now)
            self._load_today(now)
        self._print_accounts()

    def _load_centres(self, now: datetime) -> None:
        reference = reference_load()
        result = centres_import_reference(
            rows=reference["centres"],
            rules_valid_from=date.fromisoformat(reference["rules_valid_from"]),
        )
        slots_created = 0
        for centre in result.centres.values():
            if centre.takes_appointments and centre.is_active:
                slots_created += centre_slots_generate(centre=centre, now=now).created
        self.stdout.write(
            f"Centres: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged; {result.rules_created} opening rules created; "
            f"{slots_created} slots created."
        )

    def _load_ports(self) -> None:
        # Migration entry_exit 0002 loads them too; this applies later edits of the file.
        result = ports_import_reference()
        self.stdout.write(
            f"Ports of entry: {result.created} created, {result.updated} updated, "
            f"{result.unchanged} unchanged."
        )

    def _load_crossings(self, now: datetime) -> None:
        """A few days of synthetic crossings in both directions (``entry_exit.synthetic``),
        through the services a real feed goes through; the same days again add nothing."""
        today = now.date()
        entries = batches = 0
        for back in range(DEMO_CROSSING_DAYS, 0, -1):
            day = today - timedelta(days=back)
            rows = crossing_rows(
                count=DEMO_CROSSINGS_PER_DAY, seed=DEMO_CROSSING_SEED, direction="out", day=day
            )
            for row in rows:
                entries += crossing_record_create(
                    row=row, source=Source.CBSA_PRIMARY, received_at=now
                )[1]
            partner_batch = batch_id(seed=DEMO_CROSSING_SEED, direction="in", day=day)
            done = ExchangeBatch.objects.filter(
                direction=BatchDirection.INBOUND,
                partner=DEFAULT_PARTNER,
                partner_batch_id=partner_batch,
            ).exclude(status=ExchangeBatch.Status.RECEIVED)
            if done.exists():
                continue  # imported by an earlier run (delivering it again would audit it)
            body = synthetic_batch(day=day)
            inbound_batch_import(
                partner=Partner(name=DEFAULT_PARTNER),
                body=body,
                now=now,
                file_name=f"demo-{day.isoformat()}.jsonl",
                received_by="manage.py load_demo_data",
            )
            batches += 1
        self.stdout.write(
            f"Entry/Exit crossings: {entries} entries into Canada and {batches} US partner "
            f"batches added over the last {DEMO_CROSSING_DAYS} days."
        )

    def _load_manifests(self, now: datetime) -> None:
        """A few days of carriers' manifests (air exits), through the carriers' import; the
        same days again add nothing."""
        added = 0
        for back in range(DEMO_CROSSING_DAYS + 1, 1, -1):
            day = now.date() - timedelta(days=back)
            body = paxlst_interchange(
                seed=DEMO_CROSSING_SEED,
                day=day,
                flights=DEMO_FLIGHTS_PER_DAY,
                passengers=DEMO_PASSENGERS_PER_FLIGHT,
                crew=DEMO_CREW_PER_FLIGHT,
                reference=int(day.strftime("%Y%m%d")),
            )
            held = ManifestInterchange.objects.filter(
                carrier=DEMO_CARRIER, checksum=hashlib.sha256(body).hexdigest()
            ).exclude(status=ManifestInterchange.Status.REFUSED)
            if held.exists():
                continue  # imported by an earlier run
            result = manifest_interchange_import(
                carrier=Carrier(name=DEMO_CARRIER),
                body=body,
                now=now,
                file_name=f"demo-{day.isoformat()}.edi",
                received_by="manage.py load_demo_data",
            )
            added += result.report["imported"]
        self.stdout.write(
            f"Entry/Exit air exits: {added} passengers and crew members added from carrier "
            f"manifests over {DEMO_CROSSING_DAYS} days."
        )

    def _load_history(self, now: datetime) -> None:
        """The programme's figures since ``DEMO_HISTORY_START`` (``demo.history``), up to the
        last day that has ended at every centre, so the dashboard has years to show; days
        already recorded (by an earlier run or by the nightly job) are left as they are."""
        centres = list(Centre.objects.filter(is_active=True))
        today = last_complete_day(now, centres) + timedelta(days=1)
        written = history_load(today=today, start=DEMO_HISTORY_START, centres=centres)
        self.stdout.write(f"Programme figures: {written} days of history written.")

    def _load_groups(self) -> dict[str, Group]:
        groups = {}
        for name, grants in GROUP_PERMISSIONS.items():
            codenames = [
                (app_label, f"{action}_{model}")
                for app_label, model, actions in grants
                for action in actions
            ]
            permissions = [
                Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                ).first()
                for app_label, codename in codenames
            ]
            missing = [c for c, p in zip(codenames, permissions, strict=True) if p is None]
            if missing:
                raise CommandError(f"Permissions missing (run migrate first): {missing}")
            group, _ = Group.objects.get_or_create(name=name)
            group.permissions.add(*(p for p in permissions if p is not None))  # all, past the check
            groups[name] = group
        return groups

    def _user(self, *, username: str, first_name: str, last_name: str, **flags):
        user_model = get_user_model()
        fields = {
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@example.com",
            **flags,
        }
        user, created = user_model.objects.get_or_create(username=username, defaults=fields)
        changed = created
        for name, value in fields.items():
            if getattr(user, name) != value:
                setattr(user, name, value)
                changed = True
        if created or not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            changed = True
        if changed:
            user.save()
        return user

    def _load_staff(self, groups: dict[str, Group]) -> None:
        for account in STAFF:
            user = self._user(
                username=account.username,
                first_name=account.first_name,
                last_name=account.last_name,
                is_staff=account.is_staff,
                is_superuser=account.is_superuser,
            )
            if account.group:
                user.groups.add(groups[account.group])
            profile, _ = StaffProfile.objects.get_or_create(
                user=user, defaults={"role": account.profile_role}
            )
            if profile.role != account.profile_role:
                profile.role = account.profile_role
                profile.save(update_fields=["role"])
            # add(), not set(): centres an administrator added since are left in place.
            profile.centres.add(*self._centres(account.centres))
            self._authenticator(user)

    def _centres(self, where: tuple[int | str, ...]) -> list[Centre]:
        centres: list[Centre] = []
        for place in where:
            if place == PRECLEARANCE_AREAS:
                centres += Centre.objects.filter(kind=Centre.Kind.PRECLEARANCE)
            elif place == ALEXANDRIA_BAY:
                counterpart = Centre.objects.get(ttp_location_id=5520).counterpart
                assert counterpart is not None  # the reference data pairs every split site
                centres.append(counterpart)
            else:
                centres.append(Centre.objects.get(ttp_location_id=place))
        return centres

    def _authenticator(self, user) -> TOTPDevice:
        """A confirmed TOTP device with the published demo key, like the published password."""
        device, created = TOTPDevice.objects.get_or_create(
            user=user,
            name=DEMO_DEVICE_NAME,
            defaults={"key": DEMO_TOTP_KEY, "confirmed": True},
        )
        if not created and (device.key != DEMO_TOTP_KEY or not device.confirmed):
            device.key = DEMO_TOTP_KEY
            device.confirmed = True
            device.save(update_fields=["key", "confirmed"])
        return device

    def _load_applicants(self, now: datetime) -> None:
        today = timezone.localdate(now)
        for demo in APPLICANTS:
            user = self._user(
                username=demo.username, first_name=demo.first_name, last_name=demo.last_name
            )
            applicant, _ = Applicant.objects.get_or_create(
                user=user,
                defaults={
                    "given_names": demo.first_name,
                    "surname": demo.last_name,
                    "date_of_birth": demo.date_of_birth,
                    "preferred_language": demo.language,
                },
            )
            membership = None
            if demo.membership_number:
                expires_on = today + timedelta(days=MEMBERSHIP_EXPIRES_IN_DAYS)
                membership, _ = Membership.objects.get_or_create(
                    number=demo.membership_number,
                    defaults={
                        "applicant": applicant,
                        "issued_on": expires_on - timedelta(days=5 * 365 + 1),
                        "expires_on": expires_on,
                    },
                )
            # An existing application is left as it is: it may have moved on since.
            application, _ = Application.objects.get_or_create(
                number=demo.application_number,
                defaults={
                    "applicant": applicant,
                    "kind": Application.Kind.RENEWAL if membership else Application.Kind.NEW,
                    "membership": membership,
                    "status": (
                        Application.Status.CONDITIONALLY_APPROVED
                        if demo.approved
                        else Application.Status.PENDING
                    ),
                    "conditionally_approved_at": now - timedelta(days=3) if demo.approved else None,
                },
            )
            if demo.book_at is not None:
                self._book(application=application, user=user, demo=demo, now=now)

    def _load_unlinked(self, now: datetime) -> None:
        for number, given_names, surname, born, language in UNLINKED:
            if Application.objects.filter(number=number).exists():
                continue
            applicant = Applicant.objects.create(
                given_names=given_names,
                surname=surname,
                date_of_birth=born,
                preferred_language=language,
            )
            Application.objects.create(
                applicant=applicant,
                number=number,
                status=Application.Status.CONDITIONALLY_APPROVED,
                conditionally_approved_at=now - timedelta(days=1),
            )

    def _load_today(self, now: datetime) -> None:
        """Two appointments today at Montréal airport, which the demo officers cover, so
        check-in, outcome, share and the CBP walk-in can be tried at once whatever the day
        and hour: each in a slot of its own today (30 and 10 minutes ago, or just after
        local midnight), booked the day before. Once per local day."""
        centre = Centre.objects.get(ttp_location_id=TODAY_CENTRE)
        local = timezone.localtime(now, centre.tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        for index, (given, surname, born, language) in enumerate(TODAY_APPLICANTS):
            number = f"NXT{local:%y%m%d}{index + 1:02d}"[:12]
            if Application.objects.filter(number=number).exists():
                continue
            wanted = local - timedelta(minutes=30 - 20 * index)
            start = wanted if wanted >= midnight else midnight + timedelta(minutes=5 + 20 * index)
            start = start.replace(second=0, microsecond=0)
            slot, _ = Slot.objects.get_or_create(
                centre=centre,
                starts_at=start,
                defaults={"ends_at": start + timedelta(minutes=20), "capacity": 1},
            )
            try:
                with transaction.atomic():
                    user = self._user(username=number.lower(), first_name=given, last_name=surname)
                    applicant = Applicant.objects.create(
                        user=user, given_names=given, surname=surname, date_of_birth=born,
                        preferred_language=language,
                    )  # fmt: skip
                    application = Application.objects.create(
                        applicant=applicant, number=number,
                        status=Application.Status.CONDITIONALLY_APPROVED,
                        conditionally_approved_at=now - timedelta(days=7),
                    )  # fmt: skip
                    appointment_book(
                        application=application, slot=slot, actor=user,
                        now=start - timedelta(days=1),
                    )  # fmt: skip
            except BookingError as exc:
                self.stderr.write(f"Could not book today's demo appointment {number}: {exc}")
        booked = Appointment.objects.filter(
            slot__centre=centre,
            slot__starts_at__gte=midnight,
            slot__starts_at__lt=midnight + timedelta(days=1),
            application__number__startswith=f"NXT{local:%y%m%d}",
        ).values_list("application__number", flat=True)
        self.stdout.write(
            f"Today at {centre.short_name or centre.name}: demo appointments "
            f"{', '.join(sorted(booked)) or 'none'} to check in (cbsa.officer)."
        )

    def _book(self, *, application: Application, user, demo: DemoApplicant, now: datetime) -> None:
        if Appointment.objects.filter(
            application=application, status__in=Appointment.ACTIVE
        ).exists():
            return
        centre = Centre.objects.get(ttp_location_id=demo.book_at)
        slot = (
            Slot.objects.open()
            .filter(centre=centre, starts_at__gte=now + timedelta(days=demo.book_after_days))
            .order_by("starts_at")
            .first()
        )
        if slot is None:
            self.stderr.write(f"No open slot at {centre} for {demo.username}; not booked.")
            return
        try:
            appointment_book(application=application, slot=slot, actor=user, now=now)
        except BookingError as exc:
            self.stderr.write(f"Could not book {slot} for {demo.username}: {exc}")

    def _print_accounts(self) -> None:
        header = ("username", "role", "password", "")
        rows = [(a.username, a.role, DEMO_PASSWORD, "") for a in STAFF]
        rows += [(a.username, "applicant", DEMO_PASSWORD, a.stage) for a in APPLICANTS]
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(3)]

        def line(*cells: str) -> str:
            padded = [cell.ljust(width) for cell, width in zip(cells, widths, strict=False)]
            return "  " + "  ".join([*padded, cells[3]]).rstrip()

        self.stdout.write("")
        self.stdout.write("Demo accounts (for demonstration only: the password is published):")
        self.stdout.write(line(*header))
        self.stdout.write(line(*("-" * width for width in widths), ""))
        for row in rows:
            self.stdout.write(line(*row))
        self._print_sign_in()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))

    def _print_sign_in(self) -> None:
        self.stdout.write("")
        self.stdout.write(
            "To try the applicant side from the start, sign up at /en/accounts/sign-up/ "
            "(the confirmation e-mail is printed on this console), then link one of these "
            "applications at /en/my/link/:"
        )
        for number, _given, _surname, born, _language in UNLINKED:
            self.stdout.write(f"  application {number}, date of birth {born.isoformat()}")
        example = "cbsa.officer"
        device = TOTPDevice.objects.get(user__username=example, name=DEMO_DEVICE_NAME)
        secret = b32encode(device.bin_key).decode()
        self.stdout.write("")
        self.stdout.write(
            "Staff accounts (admin, centre.admin, cbsa.officer, cbp.officer) sign in at "
            "/en/accounts/sign-in/ with the password, then a 6-digit one-time code."
        )
        self.stdout.write("Get the current code for an account with:")
        self.stdout.write(f"  .venv/bin/python manage.py totp_code {example}")
        self.stdout.write(
            "or add the demo secret to an authenticator app (all staff accounts share it; "
            "demonstration only: it is published):"
        )
        self.stdout.write(f"  secret (base32): {secret}")
        self.stdout.write(f"  {device.config_url}")


def synthetic_batch(*, day: date) -> bytes:
    """The US partner's demo batch for ``day``."""
    return batch_file(
        count=DEMO_CROSSINGS_PER_DAY,
        seed=DEMO_CROSSING_SEED,
        direction="in",
        day=day,
        bad_share=DEMO_BAD_SHARE,
    )
