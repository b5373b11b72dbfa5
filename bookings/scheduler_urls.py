"""``/schedulerapi/``: the TTP-compatible public scheduler API (``interviews.scheduler_api``).

Paths are those of the US Trusted Traveler Programs scheduler, with and without the
trailing slash, so a client written for either spelling works unchanged.
"""

from django.urls import path, re_path

from bookings import scheduler_api

app_name = "schedulerapi"

urlpatterns = [
    re_path(r"^locations/?$", scheduler_api.LocationsView.as_view(), name="locations"),
    path(
        "locations/<id:location_id>/slots",
        scheduler_api.LocationSlotsView.as_view(),
        name="location-slots",
    ),
    path("locations/<id:location_id>/slots/", scheduler_api.LocationSlotsView.as_view()),
    re_path(r"^slots/?$", scheduler_api.SlotsView.as_view(), name="slots"),
    re_path(
        r"^slots/asLocations/?$",
        scheduler_api.SlotsAsLocationsView.as_view(),
        name="slots-as-locations",
    ),
    re_path(
        r"^slot-availability/?$",
        scheduler_api.SlotAvailabilityView.as_view(),
        name="slot-availability",
    ),
]
