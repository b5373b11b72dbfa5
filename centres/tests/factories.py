import datetime

import factory

from centres.models import Centre, Closure, ExtraCapacity, OpeningRule, Slot


class CentreFactory(factory.django.DjangoModelFactory):
    """A Canadian airport enrolment centre unless told otherwise."""

    class Meta:
        model = Centre

    name = factory.Sequence(lambda n: f"Test airport enrolment centre {n}")
    kind = Centre.Kind.AIRPORT_ENROLMENT
    country = Centre.Country.CANADA
    has_cbsa = True
    city = "Mississauga"
    region = "ON"
    time_zone = "America/Toronto"
    takes_appointments = True

    class Params:
        land_border = factory.Trait(
            kind=Centre.Kind.LAND_BORDER,
            country=Centre.Country.UNITED_STATES,
            has_cbp=True,
            city="Blaine",
            region="WA",
            time_zone="America/Los_Angeles",
        )
        preclearance = factory.Trait(
            kind=Centre.Kind.PRECLEARANCE, has_cbsa=False, has_cbp=True, takes_appointments=False
        )
        split_site = factory.Trait(kind=Centre.Kind.SPLIT_SITE, city="Lansdowne")


class OpeningRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningRule

    centre = factory.SubFactory(CentreFactory)
    weekday = 0
    opens_at = datetime.time(8, 0)
    closes_at = datetime.time(12, 0)
    slot_minutes = 20
    booths = 2
    valid_from = datetime.date(2020, 1, 1)


class ClosureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Closure

    centre = factory.SubFactory(CentreFactory)
    reason = Closure.Reason.HOLIDAY


class ExtraCapacityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExtraCapacity

    centre = factory.SubFactory(CentreFactory)
    extra_booths = 1


class SlotFactory(factory.django.DjangoModelFactory):
    """A slot tomorrow-ish: set ``starts_at`` for anything precise."""

    class Meta:
        model = Slot

    centre = factory.SubFactory(CentreFactory)
    starts_at = factory.LazyFunction(
        lambda: (
            datetime.datetime.now(datetime.UTC).replace(microsecond=0, second=0)
            + datetime.timedelta(days=2)
        )
    )
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + datetime.timedelta(minutes=20))
    capacity = 1
    booked = 0
