"""The vocabulary of a crossing record, shared by the models and the share rules.

Kept apart from ``models.py`` so that ``rules.py`` can declare the rules over these values
and ``models.py`` can build its database constraint from ``rules.py`` without an import
cycle. The models expose each one as an attribute too (``CrossingRecord.Status``).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class StatusCategory(models.TextChoices):
    """The traveller's status, as the agency that recorded the crossing determined it."""

    CANADIAN_CITIZEN = "canadian_citizen", _("Canadian citizen")
    US_CITIZEN = "us_citizen", _("US citizen")
    REGISTERED_INDIAN = "registered_indian", _("Registered Indian")
    PROTECTED_PERSON = "protected_person", _("Protected person")
    PERMANENT_RESIDENT_CA = "permanent_resident_ca", _("Permanent resident of Canada")
    LAWFUL_PERMANENT_RESIDENT_US = (
        "lawful_permanent_resident_us",
        _("Lawful permanent resident of the US"),
    )
    FOREIGN_NATIONAL = "foreign_national", _("Foreign national")


class Event(models.TextChoices):
    LAND_ENTRY_CANADA = "land_entry_canada", _("Entry into Canada at a land port")
    # Received from the United States: for Canada, the traveller's exit from Canada.
    LAND_ENTRY_US = "land_entry_us", _("Entry into the US at a land port (exit from Canada)")
    AIR_EXIT = "air_exit", _("Exit from Canada by air")


class Source(models.TextChoices):
    CBSA_PRIMARY = "cbsa_primary", _("CBSA primary inspection")
    US_PARTNER = "us_partner", _("US partner feed")
    CARRIER_MANIFEST = "carrier_manifest", _("Carrier passenger manifest")


# The one event each source records: a CBSA officer sees entries into Canada, the US
# partner sends its land entries, a carrier's manifest lists air departures.
SOURCE_EVENT: dict[str, str] = {
    Source.CBSA_PRIMARY: Event.LAND_ENTRY_CANADA,
    Source.US_PARTNER: Event.LAND_ENTRY_US,
    Source.CARRIER_MANIFEST: Event.AIR_EXIT,
}

LAND_EVENTS = (Event.LAND_ENTRY_CANADA, Event.LAND_ENTRY_US)


class DocumentType(models.TextChoices):
    PASSPORT = "passport", _("Passport")
    PASSPORT_CARD = "passport_card", _("US passport card")
    NEXUS_CARD = "nexus_card", _("NEXUS card")
    ENHANCED_DRIVERS_LICENCE = "enhanced_drivers_licence", _("Enhanced driver's licence")
    PERMANENT_RESIDENT_CARD = "permanent_resident_card", _("Permanent resident card")
    OTHER = "other", _("Other travel document")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    UNSPECIFIED = "X", _("Unspecified")


class Country(models.TextChoices):
    CANADA = "CA", _("Canada")
    UNITED_STATES = "US", _("United States")


# The country whose land port records each land event.
EVENT_PORT_COUNTRY: dict[str, str] = {
    Event.LAND_ENTRY_CANADA: Country.CANADA,
    Event.LAND_ENTRY_US: Country.UNITED_STATES,
}

# ISO 3166-1 alpha-3 of the two countries, as nationality and issuing state.
CANADA = "CAN"
UNITED_STATES = "USA"
