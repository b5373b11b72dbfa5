from centres.models import StaffProfile
from enrolment.tests.factories import UserFactory

Role = StaffProfile.Role


def staff(role: str):
    """A staff member (the user) with ``role`` and no centre."""
    return StaffProfile.objects.create(user=UserFactory(), role=role).user


def analyst():
    return staff(Role.ENTRY_EXIT_ANALYST)


def operator():
    return staff(Role.ENTRY_EXIT_OPERATOR)


def programme_admin():
    return staff(Role.PROGRAMME_ADMIN)
