"""The base domain error every app's own error derives from.

A domain error carries a machine-readable ``code``, a translated human ``message``
and a ``kind`` that says how an interface should present it: ``conflict`` (the
request is valid but the state forbids it: HTTP 409), ``not_found`` (the object is
not the caller's to see: HTTP 404, never revealing that it exists), ``forbidden``
(the caller may see the object but not do this to it, e.g. an officer of the other
agency: HTTP 403), ``invalid`` (the input itself is wrong: HTTP 400) or ``too_many``
(too many attempts: HTTP 429).
"""

from typing import Literal

ErrorKind = Literal["conflict", "not_found", "invalid", "forbidden", "too_many"]

# The HTTP status of each kind, for the API's handler (``common.api``) and the pages
# (``common.shortcuts.refusal_status``) alike.
STATUS_FOR_KIND: dict[str, int] = {
    "conflict": 409,
    "not_found": 404,
    "invalid": 400,
    "forbidden": 403,
    "too_many": 429,
}


class ApplicationError(Exception):
    def __init__(
        self,
        message: str,
        *,
        code: str,
        kind: ErrorKind = "conflict",
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.kind = kind
        self.extra = extra or {}

    def __str__(self) -> str:
        return str(self.message)
