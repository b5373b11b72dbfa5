"""The project's own pages that belong to no app: the language switch and the health check.

Signing in and out and the applicant's account are in ``accounts/views.py``.
"""

from django.db import connection
from django.http import JsonResponse
from django.views import i18n as i18n_views
from django.views.decorators.http import require_GET

from common.inputs import has_control_characters


def set_language(request):
    """Django's language switch, with a ``next`` that a header can carry: one with a
    control character (a NUL byte) is no page, as an off-site one is, and the switch goes
    back to where the visitor came from instead."""
    for method in ("GET", "POST"):
        values = getattr(request, method)
        if has_control_characters(values.get("next", "")):
            values = values.copy()
            del values["next"]
            setattr(request, method, values)
    return i18n_views.set_language(request)


@require_GET
def health(request):
    """Liveness and database reachability, for the container health check."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
