# « mardi 14 mars 2027 » et « 10 h 20 », selon l'usage au Canada.
DATE_FORMAT = "l j F Y"
TIME_FORMAT = r"G \h i"
DATETIME_FORMAT = r"l j F Y, G \h i"
SHORT_DATE_FORMAT = "Y-m-d"
MONTH_DAY_FORMAT = "l j F"
