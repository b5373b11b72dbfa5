"""The Canadian airports a manifest's departure may name, with their time zones.

Only a flight whose departure airport (``LOC+125``) is on this list makes air exit
records: a manifest of a flight leaving elsewhere (arriving in Canada, or between two
foreign airports) is read and set aside. Kept as data, not as a rule on the code: most
Canadian IATA codes start with Y, but not every Y code is Canadian (YAP is Yap, in
Micronesia) and a few Canadian ones do not. The list holds the airports with scheduled
international or transborder departures (and the main domestic hubs); an airport added
here needs its IANA time zone, because carriers give departure times in the airport's
local time (WCO/IATA/ICAO API guidelines).
"""

import zoneinfo

CANADIAN_AIRPORTS: dict[str, str] = {
    "YAM": "America/Toronto",  # Sault Ste. Marie
    "YBG": "America/Toronto",  # Saguenay-Bagotville
    "YDF": "America/St_Johns",  # Deer Lake
    "YEG": "America/Edmonton",  # Edmonton
    "YFB": "America/Iqaluit",  # Iqaluit
    "YFC": "America/Moncton",  # Fredericton
    "YHM": "America/Toronto",  # Hamilton
    "YHZ": "America/Halifax",  # Halifax
    "YKF": "America/Toronto",  # Region of Waterloo
    "YLW": "America/Vancouver",  # Kelowna
    "YMM": "America/Edmonton",  # Fort McMurray
    "YOW": "America/Toronto",  # Ottawa
    "YQB": "America/Toronto",  # Québec City
    "YQG": "America/Toronto",  # Windsor
    "YQM": "America/Moncton",  # Moncton
    "YQQ": "America/Vancouver",  # Comox
    "YQR": "America/Regina",  # Regina
    "YQT": "America/Toronto",  # Thunder Bay
    "YQX": "America/St_Johns",  # Gander
    "YQY": "America/Glace_Bay",  # Sydney (Nova Scotia)
    "YSB": "America/Toronto",  # Sudbury
    "YSJ": "America/Moncton",  # Saint John
    "YTS": "America/Toronto",  # Timmins
    "YTZ": "America/Toronto",  # Toronto Billy Bishop
    "YUL": "America/Toronto",  # Montréal-Trudeau
    "YVR": "America/Vancouver",  # Vancouver
    "YWG": "America/Winnipeg",  # Winnipeg
    "YXE": "America/Regina",  # Saskatoon
    "YXS": "America/Vancouver",  # Prince George
    "YXU": "America/Toronto",  # London (Ontario)
    "YXX": "America/Vancouver",  # Abbotsford
    "YXY": "America/Whitehorse",  # Whitehorse
    "YYC": "America/Edmonton",  # Calgary
    "YYG": "America/Halifax",  # Charlottetown
    "YYJ": "America/Vancouver",  # Victoria
    "YYT": "America/St_Johns",  # St. John's
    "YYZ": "America/Toronto",  # Toronto Pearson
    "YZF": "America/Edmonton",  # Yellowknife (Mountain time, as Edmonton)
}


def airport_time_zone(code: str) -> zoneinfo.ZoneInfo | None:
    """The time zone of a Canadian airport, or None for an airport not on the list."""
    name = CANADIAN_AIRPORTS.get(code)
    return zoneinfo.ZoneInfo(name) if name else None
