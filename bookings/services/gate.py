"""What the interview workflow says about booking, without this app importing it.

The workflow (``interviews``) sits above bookings: it reads appointments, checks them in
and marks them missed. Booking in turn must ask it two things — is the interview already
under way (nothing left to book), and "an appointment was booked" (the interview starts
with the first booking; after a missed one it is rebooked). The workflow answers through
the gate it registers at start-up (``interviews.apps``), so the layers only point down.
Without a gate (the bookings app on its own) nothing is under way and nothing is told.
"""

from typing import Protocol

from common.actors import Actor
from enrolment.models import Application


class InterviewGate(Protocol):
    def under_way(self, application: Application) -> str | None:
        """The interview's state, as the applicant reads it, when it is past booking;
        None when the applicant may book (no interview yet, or it awaits one)."""

    def booked(self, application: Application, *, actor: Actor) -> None:
        """An appointment was booked, in the booking's transaction."""


class _NoInterviews:
    def under_way(self, application: Application) -> str | None:
        return None

    def booked(self, application: Application, *, actor: Actor) -> None:
        return None


_gate: list[InterviewGate] = [_NoInterviews()]


def interview_gate_register(gate: InterviewGate) -> InterviewGate:
    _gate[0] = gate
    return gate


def interview_gate() -> InterviewGate:
    return _gate[0]
