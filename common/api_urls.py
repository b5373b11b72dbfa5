"""The API's own pages: the OpenAPI schema and its docs (Swagger UI, served from
/static/ by drf-spectacular-sidecar: no CDN), and the JSON 404 for any other path.

The docs page has nothing inline, for the Content-Security-Policy: its init script is a
second request to the same view (``?script=``, the split view) and its page style a
static file (``templates/common/swagger_ui.html``)."""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView


class ApiNotFound(APIView):
    """Any other path under ``/api/``: the one error shape, not Django's HTML 404."""

    schema = None
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise exceptions.NotFound()


app_name = "api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="common/swagger_ui.html"
        ),
        name="docs",
    ),
]

# Included last under ``api/``: every path no API view answers.
# [\s\S], not ".": a path with an encoded newline (%0A) is an API path too.
not_found_patterns = [re_path(r"^[\s\S]*$", ApiNotFound.as_view(), name="not_found")]
