"""Every write of the two-agency interview workflow (``workflow.py``). Booking is in
``bookings.services``."""

from interviews.errors import InterviewError
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
    "appointment_check_in",
    "appointment_record_no_show",
    "cbsa_share_with_cbp",
    "enrolment_expire",
    "interview_record_outcome",
    "review_decide",
]
