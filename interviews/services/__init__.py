"""Every write in the interviews app: booking (``booking.py``) and the two-agency
interview workflow (``workflow.py``)."""

from interviews.errors import InterviewError
from interviews.services.booking import (
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from interviews.services.holds import (
    hold_confirm,
    hold_release,
    holds_release_expired,
    slot_hold,
)
from interviews.services.workflow import (
    appointment_check_in,
    appointment_record_no_show,
    cbsa_share_with_cbp,
    enrolment_expire,
    interview_record_outcome,
    review_decide,
)

__all__ = [
    "InterviewError",
    "appointment_book",
    "appointment_cancel",
    "appointment_check_in",
    "appointment_record_no_show",
    "appointment_reschedule",
    "cbsa_share_with_cbp",
    "enrolment_expire",
    "hold_confirm",
    "hold_release",
    "holds_release_expired",
    "interview_record_outcome",
    "review_decide",
    "slot_hold",
]
