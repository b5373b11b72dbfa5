"""CSV downloads: a response that saves as a file, and cells no spreadsheet runs."""

import csv
from typing import Any

from django.http import HttpResponse


def csv_download(filename: str) -> tuple[HttpResponse, Any]:
    """A response that the browser saves as ``filename``, and a csv writer into it."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response, csv.writer(response)


def spreadsheet_safe(text: str) -> str:
    """A name that could start with = + - @ is quoted, so no spreadsheet runs it."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
