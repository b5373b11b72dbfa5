"""How a booking is said to the applicant: a time in the centre's zone, a date, the
interview step inside a sentence. Pages, messages and the standing all say it so."""

from datetime import date, datetime

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from bookings.models import Step
from centres.models import Centre


def local_when(moment: datetime, centre: Centre) -> str:
    """The local date and time in the centre's zone, e.g. "Tuesday 14 March 2027 at 10:20"."""
    local = timezone.localtime(moment, centre.tz)
    return _("%(date)s at %(time)s") % {
        "date": formats.date_format(local, "DATE_FORMAT"),
        "time": formats.time_format(local, "TIME_FORMAT"),
    }


def local_date(day: date) -> str:
    return formats.date_format(day, "DATE_FORMAT")


def step_name(step: str) -> str:
    """The interview step as a sentence names it ("your CBSA interview")."""
    names: dict[str, str] = {
        Step.CBSA: pgettext("inside a sentence", "CBSA interview"),
        Step.JOINT: pgettext("inside a sentence", "joint CBSA and CBP interview"),
    }
    return names[step]
