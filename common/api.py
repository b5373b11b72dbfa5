"""One JSON error shape for every 4xx the API answers.

``{"code": "...", "message": "...", "fields": {"field": ["message", ...]}}``
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.errors import ApplicationError

_STATUS_FOR_KIND = {
    "conflict": status.HTTP_409_CONFLICT,
    "not_found": status.HTTP_404_NOT_FOUND,
    "invalid": status.HTTP_400_BAD_REQUEST,
    "forbidden": status.HTTP_403_FORBIDDEN,
}


def exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        body = {"code": exc.code, "message": str(exc.message), "fields": {}}
        return Response(body, status=_STATUS_FOR_KIND[exc.kind])
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    fields: dict = {}
    message = ""
    code = getattr(exc, "default_code", "error")
    if isinstance(exc, exceptions.ValidationError) and isinstance(response.data, dict):
        for name, errors in response.data.items():
            items = errors if isinstance(errors, list) else [errors]
            if name == "non_field_errors":
                message = " ".join(str(e) for e in items)
            else:
                fields[name] = [str(e) for e in items]
        message = message or str(exceptions.ValidationError.default_detail)
        code = "invalid"
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        message = str(detail)
        code = getattr(detail, "code", code)
    response.data = {"code": code, "message": message, "fields": fields}
    return response
