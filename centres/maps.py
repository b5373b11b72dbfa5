"""Links to a centre on a public map, built from its address (no coordinates are kept)."""

from urllib.parse import urlencode

from centres.models import Centre

OPENSTREETMAP_SEARCH = "https://www.openstreetmap.org/search"


def directions_url(centre: Centre) -> str:
    """An OpenStreetMap search for the centre's street address, from which the map's own
    "directions" takes over. No API key, no script and nothing of the applicant's is sent:
    only the centre's public address, as the query of an ordinary link."""
    country = "Canada" if centre.country == Centre.Country.CANADA else "United States"
    parts = [
        centre.address,
        centre.city,
        " ".join(p for p in (centre.region, centre.postal_code) if p),
        country,
    ]
    return f"{OPENSTREETMAP_SEARCH}?{urlencode({'query': ', '.join(p for p in parts if p)})}"
