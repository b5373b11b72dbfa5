from datetime import UTC, date, datetime, timedelta

import factory

from entry_exit.choices import Event, Source, StatusCategory
from entry_exit.models import CrossingRecord, Port, purge_date
from entry_exit.names import name_normalise

# A Monday afternoon in UTC, before North American clocks spring forward.
CROSSED_AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


class PortFactory(factory.django.DjangoModelFactory):
    """A Canadian port unless ``us=True``; codes of their own ("T-…"), so they never meet
    the reference ports."""

    class Meta:
        model = Port

    code = factory.Sequence(lambda n: f"T-CA-{n}")
    name = factory.Sequence(lambda n: f"Test port {n}")
    country = "CA"
    region = "ON"
    time_zone = "America/Toronto"

    class Params:
        us = factory.Trait(
            code=factory.Sequence(lambda n: f"T-US-{n}"),
            country="US",
            region="NY",
            time_zone="America/New_York",
        )


def port_pair() -> tuple[Port, Port]:
    canada, united_states = PortFactory(), PortFactory(us=True)
    canada.counterpart, united_states.counterpart = united_states, canada
    canada.save(update_fields=["counterpart"])
    united_states.save(update_fields=["counterpart"])
    return canada, united_states


class CrossingRecordFactory(factory.django.DjangoModelFactory):
    """A foreign national's entry into Canada at a land port, from CBSA primary
    inspection: shareable in every phase unless told otherwise."""

    class Meta:
        model = CrossingRecord

    surname = "Müller"
    given_names = "Anne-Sophie"
    surname_normalised = factory.LazyAttribute(lambda o: name_normalise(o.surname))
    given_names_normalised = factory.LazyAttribute(
        lambda o: name_normalise(o.given_names) if o.given_names else ""
    )
    date_of_birth = date(1984, 5, 17)
    sex = "F"
    nationality = "DEU"
    document_type = CrossingRecord.DocumentType.PASSPORT
    document_number = factory.Sequence(lambda n: f"C{n:08d}")
    document_country = factory.SelfAttribute("nationality")
    status = StatusCategory.FOREIGN_NATIONAL
    event = Event.LAND_ENTRY_CANADA
    occurred_at = CROSSED_AT
    port = factory.SubFactory(PortFactory)
    airport_code = ""
    source = Source.CBSA_PRIMARY
    source_record_id = factory.Sequence(lambda n: f"rec-{n}")
    received_at = factory.LazyAttribute(lambda o: o.occurred_at + timedelta(minutes=1))
    purge_on = factory.LazyAttribute(lambda o: purge_date(o.received_at, 15))

    class Params:
        us_entry = factory.Trait(
            event=Event.LAND_ENTRY_US,
            source=Source.US_PARTNER,
            port=factory.SubFactory(PortFactory, us=True),
        )
        air_exit = factory.Trait(
            event=Event.AIR_EXIT, source=Source.CARRIER_MANIFEST, port=None, airport_code="YUL"
        )
