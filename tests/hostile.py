"""Requests of the hostile-input tests, counted: how many were made and how many were
answered with a server error. ``tests/conftest.py`` prints both at the end of the run.

A response header with a control character counts as a server error too: the test client
passes it, but a WSGI server (gunicorn) refuses to send it and answers 500."""

from common.inputs import has_control_characters

COUNTS = {"requests": 0, "server_errors": 0}


def request(client, method: str, url: str, data: dict, **extra):
    COUNTS["requests"] += 1
    try:
        response = getattr(client, method)(url, data, **extra)
    except Exception:  # the test client re-raises a view's exception: a 500
        COUNTS["server_errors"] += 1
        raise
    unsendable = any(has_control_characters(value) for value in response.headers.values())
    if response.status_code >= 500 or unsendable:
        COUNTS["server_errors"] += 1
    assert not unsendable, f"a header gunicorn would refuse: {dict(response.headers)!r}"
    return response
