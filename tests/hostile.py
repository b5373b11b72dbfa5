"""Requests of the hostile-input tests, counted: how many were made and how many were
answered with a server error. ``tests/conftest.py`` prints both at the end of the run."""

COUNTS = {"requests": 0, "server_errors": 0}


def request(client, method: str, url: str, data: dict, **extra):
    COUNTS["requests"] += 1
    try:
        response = getattr(client, method)(url, data, **extra)
    except Exception:  # the test client re-raises a view's exception: a 500
        COUNTS["server_errors"] += 1
        raise
    if response.status_code >= 500:
        COUNTS["server_errors"] += 1
    return response
