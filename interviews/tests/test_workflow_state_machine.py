"""The interview workflow as a state machine: random actors make random moves through
the real services, and the workflow's invariants hold after every step.

Each hypothesis example builds its own world (centres for every path, officers with and
without business, applicants with conditionally approved applications, slots today and
later) inside a transaction that its teardown rolls back, so examples are isolated from
each other within the one pytest-django test. Every centre is in UTC and time is a
simulated clock passed to the services as ``now``, so "today" is simple and the run is
repeatable.

Alongside the database, the machine keeps its own model: the state each enrolment should
be in, every transition it expects to have happened (and whether Enrollment on Arrival
was on at the time), and the referral each review resumes. A service either succeeds —
and its move must then be a declared transition from the modelled state — or raises
``InterviewError`` and changes nothing; any other exception fails the test.
"""

import collections
import datetime

import pytest
from django.db import transaction
from django.db.models import Count, Q
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from bookings.errors import BookingError
from bookings.models import Appointment, path_for_centre
from bookings.selectors import path_settled
from bookings.services import appointment_book, appointment_cancel, appointment_reschedule
from centres.models import Centre, Slot, StaffProfile
from centres.tests.factories import CentreFactory, SlotFactory
from enrolment.models import Application, Membership
from enrolment.tests.factories import (
    ApplicantFactory,
    ApplicationFactory,
    MembershipFactory,
    UserFactory,
)
from interviews.models import (
    BOOKABLE_STATES,
    TERMINAL_STATES,
    Agency,
    EnrolmentEvent,
    Interview,
    transition_for,
)
from interviews.services import (
    InterviewError,
    appointment_check_in,
    appointment_record_no_show,
    cbsa_share_with_cbp,
    enrolment_expire,
    interview_record_outcome,
    review_decide,
)
from interviews.tests.factories import StaffProfileFactory

# A booking or a workflow step refused: either app's error.
REFUSED = (BookingError, InterviewError)

pytestmark = pytest.mark.django_db

S = Interview.State
UTC = datetime.UTC
# A Monday morning; the clock only moves forward from here.
BASE = datetime.datetime(2030, 3, 4, 7, 0, tzinfo=UTC)
DAY0 = BASE.date()
CBP_OUTCOMES = frozenset({"cbp_pass", "cbp_refuse", "cbp_refer"})
EOA = "ENROLMENT_ON_ARRIVAL"

# What the runs saw (moves made, refusals by code), summed over examples: for a longer
# exploratory run to print, e.g. to see which declared transitions it reached.
STATS: collections.Counter[str] = collections.Counter()


def _note(label: str) -> None:
    STATS[label] += 1


def _at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(
        DAY0 + datetime.timedelta(days=day), datetime.time(hour, minute), tzinfo=UTC
    )


def _add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class WorkflowMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # One transaction per example, rolled back in teardown: examples never see each
        # other's rows. The services' own atomic blocks nest as savepoints inside it.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self._switch: override_settings | None = None
        try:
            self._set_on_arrival(False)
            self.now = BASE
            self._build_world()
        except BaseException:
            self.teardown()  # hypothesis only tears down a machine it managed to build
            raise
        # The model.
        self.state: dict[int, str] = {app.pk: S.AWAITING_INTERVIEW for app in self.applications}
        self.resume: dict[int, str] = {}
        self.review_agency: dict[int, str] = {}
        self.expected_events = 0
        self.on_arrival_at: dict[int, bool] = {}  # event pk -> the switch when it happened
        self.appointment_pks: list[int] = []

    def teardown(self) -> None:
        try:
            if self._switch is not None:
                self._switch.disable()
        finally:
            transaction.set_rollback(True)
            self._atomic.__exit__(None, None, None)

    # The world -----------------------------------------------------------------------

    def _build_world(self) -> None:
        self.airport = CentreFactory(name="Airport", time_zone="UTC")
        self.pre1 = CentreFactory(
            name="Preclearance 1", preclearance=True, airport=self.airport, time_zone="UTC"
        )
        self.pre2 = CentreFactory(name="Preclearance 2", preclearance=True, time_zone="UTC")
        self.land = CentreFactory(name="Land", land_border=True, has_cbsa=True, time_zone="UTC")
        self.split_us = CentreFactory(
            name="Split US", split_site=True, country="US", region="NY", has_cbp=True,
            takes_appointments=False, time_zone="UTC",
        )  # fmt: skip
        self.split_ca = CentreFactory(
            name="Split CA", split_site=True, counterpart=self.split_us, time_zone="UTC"
        )
        self.split_us.counterpart = self.split_ca
        self.split_us.save()
        # A land-border centre nobody here books at: its officers have no business.
        self.unrelated = CentreFactory(
            name="Unrelated land", land_border=True, has_cbsa=True, time_zone="UTC"
        )
        self.centres = [
            self.airport, self.pre1, self.pre2, self.land, self.split_ca, self.split_us,
            self.unrelated,
        ]  # fmt: skip
        self.path_centres = {
            Application.Path.AIRPORT: {self.airport, self.pre1, self.pre2},
            Application.Path.JOINT: {self.land},
            Application.Path.SPLIT_SITE: {self.split_ca, self.split_us},
        }

        cbsa, cbp = StaffProfile.Role.CBSA_OFFICER, StaffProfile.Role.CBP_OFFICER
        self.staff = [
            self._staff("cbsa_airport", cbsa, [self.airport]),
            self._staff("cbsa_land", cbsa, [self.land]),
            self._staff("cbsa_split", cbsa, [self.split_ca]),
            self._staff("cbsa_multi", cbsa, [self.airport, self.land, self.split_ca]),
            self._staff("cbsa_unrelated", cbsa, [self.unrelated]),
            self._staff("cbsa_nowhere", cbsa, []),
            self._staff("cbp_pre1", cbp, [self.pre1]),
            self._staff("cbp_pre2", cbp, [self.pre2]),
            self._staff("cbp_land", cbp, [self.land]),
            self._staff("cbp_split_us", cbp, [self.split_us]),
            self._staff("cbp_land_and_pre1", cbp, [self.land, self.pre1]),
            self._staff("cbp_unrelated", cbp, [self.unrelated]),
            self._staff("centre_admin", StaffProfile.Role.CENTRE_ADMIN, [self.airport, self.land]),
        ]
        self.superuser = UserFactory(username="sm_superuser", is_staff=True, is_superuser=True)
        self.staff.append(self.superuser)
        self.centres_of = {
            user.pk: set(user.staff_profile.centres.all())
            for user in self.staff
            if hasattr(user, "staff_profile")
        }

        self.applications = [ApplicationFactory() for _ in range(3)]
        self.renewed = MembershipFactory(
            issued_on=datetime.date(2025, 3, 5),
            expires_on=DAY0 + datetime.timedelta(days=1),
            benefits_extended_until=_add_years(DAY0 + datetime.timedelta(days=1), 5),
        )
        self.applications.append(
            ApplicationFactory(
                applicant=self.renewed.applicant, renewal=True, membership=self.renewed
            )
        )
        self.stranger = ApplicantFactory().user

        self.slots = []
        for centre in (self.airport, self.land, self.split_ca):
            for start, capacity in (
                (_at(0, 9), 1), (_at(0, 11), 2), (_at(1, 9), 1), (_at(2, 10), 1),
            ):  # fmt: skip
                self.slots.append(self._slot(centre, start, capacity))
        self.slots += [
            self._slot(self.airport, _at(1, 11), 0),  # closed
            self._slot(self.pre1, _at(0, 10), 1),  # a walk-in area takes no appointments
            self._slot(self.airport, _at(400, 9), 1),  # beyond the booking horizon
        ]

    @staticmethod
    def _staff(username: str, role: str, centres: list[Centre]):
        return StaffProfileFactory(
            user=UserFactory(username=f"sm_{username}"), role=role, centres=centres
        ).user

    @staticmethod
    def _slot(centre: Centre, start: datetime.datetime, capacity: int) -> Slot:
        return SlotFactory(centre=centre, starts_at=start, capacity=capacity)

    def _set_on_arrival(self, on: bool) -> None:
        if self._switch is not None:
            self._switch.disable()
        self._switch = override_settings(ENROLMENT_ON_ARRIVAL=on)
        self._switch.enable()
        self.on_arrival = on

    def _enabled(self) -> frozenset[str]:
        return frozenset({EOA}) if self.on_arrival else frozenset()

    # Drawing actors ------------------------------------------------------------------

    def _draw_officer(self, data, centres: set[Centre]):
        """An officer at one of ``centres`` (likely to have business) or anyone on staff."""
        fit = [user for user in self.staff if self.centres_of.get(user.pk, set()) & centres]
        choices = st.sampled_from(self.staff)
        if fit:
            choices = st.one_of(st.sampled_from(fit), choices)
        return data.draw(choices, label="officer")

    def _centres_for(self, application: Application) -> set[Centre]:
        application.refresh_from_db(fields=["path"])
        if application.path:
            return self.path_centres[application.path]
        return set().union(*self.path_centres.values())

    def _draw_applicant_side(self, data, application: Application):
        who = data.draw(st.sampled_from(["owner", "stranger", "superuser"]), label="actor")
        return {
            "owner": application.applicant.user,
            "stranger": self.stranger,
            "superuser": self.superuser,
        }[who]

    # Calling the services ------------------------------------------------------------

    def _snapshot(self):
        return (
            EnrolmentEvent.objects.count(),
            list(
                Interview.objects.order_by("pk").values_list(
                    "pk",
                    "state",
                    "membership",
                    "review_agency",
                    "resume_state",
                    "shared_at",
                    "cbsa_centre",
                    "completed_at",
                )
            ),
            list(Appointment.objects.order_by("pk").values_list("pk", "status")),
            list(Slot.objects.order_by("pk").values_list("pk", "booked")),
            list(Membership.objects.order_by("pk").values_list("pk", "issued_on", "expires_on")),
            list(Application.objects.order_by("pk").values_list("pk", "path")),
        )

    def _call(self, name: str, service, *, expect: bool | None = None, **kwargs):
        """Call ``service``; on ``InterviewError`` check that nothing changed and return None.

        ``expect``: True when the move must work (legal, by the right person, at the right
        place), False when it must be refused, None when either may happen.
        """
        before = self._snapshot()
        try:
            result = service(**kwargs)
        except REFUSED as error:
            assert error.kind in ("conflict", "not_found", "invalid", "forbidden")
            _note(f"refused {name}: {error.code}")
            assert self._snapshot() == before, f"{name} raised {error.code} but changed rows"
            assert expect is not True, f"{name} should have worked: {error.code}: {error}"
            return None
        _note(f"ok {name}")
        assert expect is not False, f"{name} should have been refused"
        return result

    def _record(self, application: Application, event: EnrolmentEvent) -> None:
        """A service made a transition: it must be the declared one from the modelled state."""
        assert isinstance(event, EnrolmentEvent)
        application.refresh_from_db(fields=["path"])
        old = self.state[application.pk]
        assert event.from_state == old, (event.action, event.from_state, old)
        declared = transition_for(
            action=event.action,
            state=old,
            path=application.path,
            agency=event.agency or None,
            resume=self.resume.get(application.pk, ""),
            enabled=self._enabled(),
        )
        assert declared is not None, f"undeclared move {event} on the {application.path} path"
        assert declared.target == event.to_state
        if event.action.startswith("review_"):
            assert event.agency == self.review_agency.pop(application.pk)
            self.resume.pop(application.pk)
        if event.action.endswith("_refer"):
            self.resume[application.pk] = old
            self.review_agency[application.pk] = event.agency
        self.state[application.pk] = event.to_state
        self.expected_events += 1
        self.on_arrival_at[event.pk] = self.on_arrival
        _note(f"reached {event.to_state}")
        _note(f"{application.path} {event.action} {event.from_state}->{event.to_state}")

    def _check_completion(self, application: Application, event, old_expiry) -> None:
        if event is None or event.to_state != S.ENROLLED:
            return
        enrolment = Interview.objects.select_related("membership").get(application=application)
        membership = enrolment.membership
        today = self.now.date()
        assert membership is not None and enrolment.completed_at == self.now
        assert membership.issued_on == today
        if application.kind == Application.Kind.RENEWAL:
            # Renewed before expiry: the new term starts at the old expiry; after: today.
            start = old_expiry if today <= old_expiry else today
            assert membership.pk == application.membership_id
            assert membership.expires_on == _add_years(start, 5)
            assert membership.benefits_extended_until is None
            _note("renewed " + ("before expiry" if today <= old_expiry else "after expiry"))
        else:
            assert membership.applicant_id == application.applicant_id
            assert membership.expires_on == _add_years(today, 5)

    def _old_expiry(self, application: Application):
        if application.membership_id is None:
            return None
        return Membership.objects.get(pk=application.membership_id).expires_on

    # Rules: the clock and the switch -------------------------------------------------

    @rule(step=st.sampled_from([20, 60, 180, 24 * 60]))
    def time_passes(self, step: int) -> None:
        self.now += datetime.timedelta(minutes=step)

    @rule(on=st.booleans())
    def switch_enrolment_on_arrival(self, on: bool) -> None:
        self._set_on_arrival(on)

    # Rules: the applicant ------------------------------------------------------------

    @rule(data=st.data())
    def book(self, data) -> None:
        application = data.draw(st.sampled_from(self.applications), label="application")
        slot = data.draw(st.sampled_from(self.slots), label="slot")
        actor = self._draw_applicant_side(data, application)
        path_before = Application.objects.get(pk=application.pk).path
        # The path holds once an appointment is booked, held or missed; after cancelling
        # every one the applicant may choose again (bookings.selectors.path_settled).
        path_held = path_settled(Application.objects.get(pk=application.pk))
        events_before = EnrolmentEvent.objects.count()
        appointment = self._call(
            "book", appointment_book, application=application, slot=slot, actor=actor,
            now=self.now,
        )  # fmt: skip
        if appointment is None:
            return
        self.appointment_pks.append(appointment.pk)
        application.refresh_from_db(fields=["path"])
        assert application.path == path_for_centre(slot.centre)
        assert path_before in ("", application.path) or not path_held
        assert self.state[application.pk] in BOOKABLE_STATES
        if self.state[application.pk] == S.NO_SHOW:
            # Booking again after a missed interview is itself a transition.
            assert EnrolmentEvent.objects.count() == events_before + 1
            rebook = EnrolmentEvent.objects.filter(interview__application=application).last()
            assert rebook.action == "rebook"
            self._record(application, rebook)
        else:
            assert EnrolmentEvent.objects.count() == events_before

    @precondition(lambda self: self.appointment_pks)
    @rule(data=st.data())
    def reschedule(self, data) -> None:
        appointment = self._draw_appointment(data)
        slot = data.draw(st.sampled_from(self.slots), label="slot")
        actor = self._draw_applicant_side(data, appointment.application)
        new = self._call(
            "reschedule", appointment_reschedule, appointment=appointment, slot=slot,
            actor=actor, now=self.now,
        )  # fmt: skip
        if new is not None:
            self.appointment_pks.append(new.pk)
            assert new.rescheduled_from_id == appointment.pk
            assert Appointment.objects.get(pk=appointment.pk).status == "rescheduled"

    @precondition(lambda self: self.appointment_pks)
    @rule(data=st.data())
    def cancel(self, data) -> None:
        appointment = self._draw_appointment(data)
        actor = self._draw_applicant_side(data, appointment.application)
        self._call("cancel", appointment_cancel, appointment=appointment, actor=actor, now=self.now)

    def _draw_appointment(self, data) -> Appointment:
        pk = data.draw(st.sampled_from(self.appointment_pks), label="appointment")
        return Appointment.objects.select_related("application", "slot__centre").get(pk=pk)

    # Rules: officers at the appointment ----------------------------------------------

    @precondition(lambda self: self.appointment_pks)
    @rule(data=st.data())
    def check_in(self, data) -> None:
        appointment = self._draw_appointment(data)
        officer = self._draw_officer(data, {appointment.slot.centre})
        done = self._call(
            "check_in", appointment_check_in, appointment=appointment, officer=officer,
            now=self.now,
        )  # fmt: skip
        if done is not None and self.state[appointment.application_id] not in BOOKABLE_STATES:
            _note(f"checked in while {self.state[appointment.application_id]}")

    @precondition(lambda self: self.appointment_pks)
    @rule(data=st.data())
    def no_show(self, data) -> None:
        appointment = self._draw_appointment(data)
        officer = self._draw_officer(data, {appointment.slot.centre})
        # A no-show is recorded after the slot has started.
        self.now = max(self.now, appointment.slot.starts_at + datetime.timedelta(minutes=5))
        event = self._call(
            "no_show", appointment_record_no_show, appointment=appointment, officer=officer,
            now=self.now,
        )  # fmt: skip
        if event is not None:
            assert event.action == "no_show"
            self._record(appointment.application, event)

    # Rules: outcomes, share, review, expiry ------------------------------------------

    @rule(
        data=st.data(),
        outcome=st.sampled_from(["pass", "refuse", "refer"]),
        at=st.one_of(st.none(), st.integers(0, 6)),
    )
    def record_outcome(self, data, outcome: str, at: int | None) -> None:
        application = data.draw(st.sampled_from(self.applications), label="application")
        officer = self._draw_officer(data, self._centres_for(application))
        centre = None if at is None else self.centres[at]
        old_expiry = self._old_expiry(application)
        event = self._call(
            f"outcome {outcome}", interview_record_outcome, application=application,
            officer=officer, outcome=outcome, centre=centre, now=self.now,
        )  # fmt: skip
        if event is not None:
            assert event.action == f"{event.agency}_{outcome}"
            self._record(application, event)
            self._check_completion(application, event, old_expiry)

    @rule(data=st.data())
    def share_with_cbp(self, data) -> None:
        application = data.draw(st.sampled_from(self.applications), label="application")
        officer = self._draw_officer(data, self._centres_for(application))
        event = self._call(
            "share", cbsa_share_with_cbp, application=application, officer=officer, now=self.now
        )
        if event is not None:
            assert event.action == "share_with_cbp"
            self._record(application, event)
            assert Interview.objects.get(application=application).shared_at == self.now

    @rule(data=st.data(), clear=st.booleans())
    def decide_review(self, data, clear: bool) -> None:
        application = data.draw(st.sampled_from(self.applications), label="application")
        officer = self._draw_officer(data, self._centres_for(application))
        old_expiry = self._old_expiry(application)
        event = self._call(
            f"review {'clear' if clear else 'refuse'}", review_decide, application=application,
            officer=officer, clear=clear, now=self.now,
        )  # fmt: skip
        if event is not None:
            self._record(application, event)
            self._check_completion(application, event, old_expiry)

    # The conditional approvals here run out from the second day: the periodic job
    # expiring everything from the first step on would leave little else to explore.
    @precondition(lambda self: self.now >= _at(1, 0))
    @rule(data=st.data())
    def expire(self, data) -> None:
        application = data.draw(st.sampled_from(self.applications), label="application")
        event = self._call("expire", enrolment_expire, application=application)
        if event is not None:
            self._record(application, event)

    # Rule: the next sensible move, by the right person at the right place ------------
    #
    # Random actors rarely get an enrolment far; this rule walks one application along
    # its path so deep states are reached, and is an oracle as well: such a move must
    # work exactly when the declared table allows it.

    @rule(data=st.data(), moves=st.integers(1, 6))
    def advance(self, data, moves: int) -> None:
        application = data.draw(st.sampled_from(self.applications), label="application")
        for _ in range(moves):
            self._advance_once(data, application)

    def _advance_once(self, data, application: Application) -> None:
        application.refresh_from_db(fields=["path"])
        state = self.state[application.pk]
        active = (
            Appointment.objects.filter(application=application, status__in=Appointment.ACTIVE)
            .select_related("slot__centre")
            .first()
        )
        if state in TERMINAL_STATES:
            return
        if state in BOOKABLE_STATES and active is None:
            self._advance_book(data, application)
        elif state == S.AWAITING_INTERVIEW and active.status == Appointment.Status.BOOKED:
            self._advance_attend(data, active)
        elif state == S.UNDER_REVIEW:
            self._advance_review(data, application)
        elif state == S.CBSA_PASSED and application.path != Application.Path.JOINT:
            # CBP before the share: refused, unless Enrollment on Arrival (airports only).
            next_move = data.draw(st.sampled_from(["share", "cbp first", "cbp on arrival"]))
            if next_move == "share":
                self._advance_share(application)
                return
            if next_move == "cbp on arrival":
                self._set_on_arrival(True)
            self._advance_outcome(data, application, Agency.CBP)
        elif state in (S.CBSA_PASSED, S.SHARED_WITH_CBP):
            self._advance_outcome(data, application, Agency.CBP)
        elif state == S.CBP_PASSED:
            self._advance_outcome(data, application, Agency.CBSA)
        elif active is not None:  # checked in, awaiting the interview
            agencies = [Agency.CBSA]
            if application.path == Application.Path.JOINT:
                agencies.append(Agency.CBP)
            agency = data.draw(st.sampled_from(agencies), label="agency")
            self._advance_outcome(data, application, agency)

    def _officers(self, agency: str, centre: Centre) -> list:
        return [
            user
            for user in self.staff
            if hasattr(user, "staff_profile")
            and user.staff_profile.agency == agency
            and centre in self.centres_of[user.pk]
        ]

    def _advance_book(self, data, application: Application) -> None:
        centres = [c for c in self._centres_for(application) if c.takes_appointments]
        centre = data.draw(st.sampled_from(sorted(centres, key=lambda c: c.pk)), label="centre")
        slot = (
            Slot.objects.open()
            .filter(centre=centre, starts_at__gt=self.now, starts_at__lt=_at(30, 0))
            .order_by("starts_at")
            .first()
        )
        if slot is None:
            start = datetime.datetime.combine(
                self.now.date() + datetime.timedelta(days=1), datetime.time(9), tzinfo=UTC
            )
            while Slot.objects.filter(centre=centre, starts_at=start).exists():
                start += datetime.timedelta(minutes=20)
            slot = self._slot(centre, start, 1)
            self.slots.append(slot)
        events_before = EnrolmentEvent.objects.count()
        appointment = self._call(
            "advance: book", appointment_book, expect=True, application=application, slot=slot,
            actor=application.applicant.user, now=self.now,
        )  # fmt: skip
        self.appointment_pks.append(appointment.pk)
        if self.state[application.pk] == S.NO_SHOW:
            assert EnrolmentEvent.objects.count() == events_before + 1
            self._record(
                application,
                EnrolmentEvent.objects.filter(interview__application=application).last(),
            )

    def _advance_attend(self, data, appointment: Appointment) -> None:
        start = appointment.slot.starts_at
        if self.now.date() < start.date():
            self.now = start - datetime.timedelta(minutes=30)
        agencies = [Agency.CBSA]
        if appointment.application.path == Application.Path.JOINT:
            agencies.append(Agency.CBP)
        agency = data.draw(st.sampled_from(agencies), label="agency")
        officer = data.draw(st.sampled_from(self._officers(agency, appointment.slot.centre)))
        if self.now.date() == start.date():
            self._call(
                "advance: check in", appointment_check_in, expect=True, appointment=appointment,
                officer=officer, now=self.now,
            )  # fmt: skip
            return
        event = self._call(
            "advance: no-show", appointment_record_no_show, expect=True,
            appointment=appointment, officer=officer, now=self.now,
        )  # fmt: skip
        self._record(appointment.application, event)

    def _legal_now(self, application: Application, action: str, agency: str) -> bool:
        return (
            transition_for(
                action=action,
                state=self.state[application.pk],
                path=application.path,
                agency=agency,
                resume=self.resume.get(application.pk, ""),
                enabled=self._enabled(),
            )
            is not None
        )

    def _advance_share(self, application: Application) -> None:
        cbsa_centre = Interview.objects.get(application=application).cbsa_centre
        officer = self._officers(Agency.CBSA, cbsa_centre)[0]
        event = self._call(
            "advance: share", cbsa_share_with_cbp, expect=True, application=application,
            officer=officer, now=self.now,
        )  # fmt: skip
        self._record(application, event)

    def _advance_outcome(self, data, application: Application, agency: str) -> None:
        # Passes weigh double, so that enrolments get far enough to finish.
        outcome = data.draw(st.sampled_from(["pass", "pass", "refer", "refuse"]), label="outcome")
        interview = (
            Appointment.objects.filter(
                application=application,
                status__in=(Appointment.Status.CHECKED_IN, Appointment.Status.ATTENDED),
            )
            .select_related("slot__centre")
            .order_by("-slot__starts_at")
            .first()
        )
        if agency == Agency.CBSA or application.path == Application.Path.JOINT:
            site = interview.slot.centre
        elif application.path == Application.Path.SPLIT_SITE:
            site = self.split_us
        else:
            site = data.draw(st.sampled_from([self.pre1, self.pre2]), label="preclearance")
        officer = data.draw(st.sampled_from(self._officers(agency, site)), label="officer")
        old_expiry = self._old_expiry(application)
        legal = self._legal_now(application, f"{agency}_{outcome}", agency)
        event = self._call(
            f"advance: {agency} {outcome}", interview_record_outcome, expect=legal,
            application=application, officer=officer, outcome=outcome, centre=site,
            now=self.now,
        )  # fmt: skip
        if event is not None:
            self._record(application, event)
            self._check_completion(application, event, old_expiry)

    def _advance_review(self, data, application: Application) -> None:
        clear = data.draw(st.sampled_from([True, False]), label="clear")
        referral = EnrolmentEvent.objects.filter(
            interview__application=application, action__endswith="_refer"
        ).last()
        action = "review_clear" if clear else "review_refuse"
        legal = self._legal_now(application, action, referral.agency)
        old_expiry = self._old_expiry(application)
        event = self._call(
            f"advance: {action}", review_decide, expect=legal, application=application,
            officer=referral.actor, clear=clear, now=self.now,
        )  # fmt: skip
        if event is not None:
            self._record(application, event)
            self._check_completion(application, event, old_expiry)

    # Invariants ----------------------------------------------------------------------

    @invariant()
    def every_state_is_declared_and_modelled(self) -> None:
        states = dict(Interview.objects.values_list("application_id", "state"))
        for application_pk, modelled in self.state.items():
            actual = states.get(application_pk, S.AWAITING_INTERVIEW)
            assert actual in S.values
            assert actual == modelled, (application_pk, actual, modelled)

    @invariant()
    def every_transition_is_recorded_once(self) -> None:
        assert EnrolmentEvent.objects.count() == self.expected_events

    @invariant()
    def history_is_a_chain_and_respects_the_paths(self) -> None:
        events = collections.defaultdict(list)
        for event in EnrolmentEvent.objects.select_related("centre").order_by("created_at", "id"):
            events[event.interview_id].append(event)
        for enrolment in Interview.objects.select_related("application"):
            history = events.get(enrolment.pk, [])
            path = enrolment.application.path
            state = S.AWAITING_INTERVIEW
            shared = False
            for event in history:
                assert event.from_state == state, [str(e) for e in history]
                state = event.to_state
                shared = shared or event.action == "share_with_cbp"
                is_cbp_outcome = event.agency == Agency.CBP and event.action in CBP_OUTCOMES
                if path != Application.Path.JOINT and is_cbp_outcome and not shared:
                    # Only Enrollment on Arrival lets CBP go first, and only at airports.
                    assert path == Application.Path.AIRPORT, str(event)
                    assert self.on_arrival_at[event.pk], str(event)
                if path == Application.Path.AIRPORT and event.centre is not None:
                    assert event.centre.kind != Centre.Kind.LAND_BORDER, str(event)
                    if is_cbp_outcome:
                        assert event.centre.kind == Centre.Kind.PRECLEARANCE, str(event)
            assert state == enrolment.state

    @invariant()
    def slots_count_their_booths(self) -> None:
        slots = Slot.objects.annotate(
            holding=Count(
                "appointments", filter=Q(appointments__status__in=Appointment.HOLDS_BOOTH)
            )
        )
        for slot in slots:
            assert slot.booked == slot.holding, (slot.pk, slot.booked, slot.holding)
            assert 0 <= slot.booked <= slot.capacity

    @invariant()
    def one_active_appointment_per_step(self) -> None:
        active = (
            Appointment.objects.filter(status__in=Appointment.ACTIVE)
            .values("application", "step")
            .annotate(n=Count("pk"))
        )
        assert all(row["n"] == 1 for row in active)

    @invariant()
    def a_finished_enrolment_holds_no_appointment(self) -> None:
        assert not Appointment.objects.filter(
            status__in=Appointment.ACTIVE,
            application__interview__state__in=TERMINAL_STATES,
        ).exists()

    @invariant()
    def enrolled_exactly_when_a_membership_is_linked(self) -> None:
        for state, membership, completed_at in Interview.objects.values_list(
            "state", "membership", "completed_at"
        ):
            assert (state == S.ENROLLED) == (membership is not None)
            assert (state == S.ENROLLED) == (completed_at is not None)


def test_the_workflow_keeps_its_invariants_whatever_anyone_does():
    run_state_machine_as_test(
        WorkflowMachine,
        settings=settings(
            max_examples=40,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )


def test_an_expired_enrolment_holds_no_appointment_and_no_booth():
    """Nothing can follow an expiry, so it cancels the appointment and frees the booth."""
    airport = CentreFactory(time_zone="UTC")
    officer = StaffProfileFactory(centres=[airport]).user
    application = ApplicationFactory()
    slot = SlotFactory(centre=airport, starts_at=_at(0, 9))
    appointment = appointment_book(
        application=application, slot=slot, actor=application.applicant.user, now=BASE
    )

    enrolment_expire(application=application, reason="conditional approval ran out")

    slot.refresh_from_db()
    appointment.refresh_from_db()
    assert not appointment.is_active
    assert slot.booked == 0
    with pytest.raises(REFUSED):
        appointment_check_in(appointment=appointment, officer=officer, now=BASE)
