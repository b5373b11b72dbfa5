"""Dates and times as each language writes them (``FORMAT_MODULE_PATH``).

French writes weekdays in lowercase inside a sentence ("le mardi 14 mars"), but Django's
own French catalogue capitalises them, as for a calendar heading. These msgids put the
lowercase names in our catalogue, which Django reads before its own.
"""

from django.utils.translation import gettext_noop

WEEKDAYS = (
    gettext_noop("Monday"),
    gettext_noop("Tuesday"),
    gettext_noop("Wednesday"),
    gettext_noop("Thursday"),
    gettext_noop("Friday"),
    gettext_noop("Saturday"),
    gettext_noop("Sunday"),
)
