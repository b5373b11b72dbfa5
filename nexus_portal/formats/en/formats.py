# Dates spelled out ("Tuesday 14 March 2027") and 24-hour times, as on Canada.ca.
DATE_FORMAT = "l j F Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "l j F Y, H:i"
SHORT_DATE_FORMAT = "Y-m-d"
MONTH_DAY_FORMAT = "l j F"
