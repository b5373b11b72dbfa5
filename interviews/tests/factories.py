import factory

from centres.models import Centre, StaffProfile
from centres.tests.factories import CentreFactory
from enrolment.tests.factories import UserFactory


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    role = StaffProfile.Role.CBSA_OFFICER

    @factory.post_generation
    def centres(self, create, extracted, **kwargs):
        if create and extracted:
            self.centres.set(extracted)


def split_site_pair(**fields) -> tuple[Centre, Centre]:
    """A Canadian split site and its US counterpart across the border, paired both ways."""
    us_side = CentreFactory(
        split_site=True, country=Centre.Country.UNITED_STATES, region="NY", has_cbsa=False,
        has_cbp=True, takes_appointments=False, city="Alexandria Bay", **fields,
    )  # fmt: skip
    ca_side = CentreFactory(split_site=True, counterpart=us_side, **fields)
    us_side.counterpart = ca_side
    us_side.save(update_fields=["counterpart"])
    return ca_side, us_side


def officer(agency: str, *centres: Centre):
    """A CBSA or CBP officer (the user) assigned to ``centres``."""
    role = {"cbsa": StaffProfile.Role.CBSA_OFFICER, "cbp": StaffProfile.Role.CBP_OFFICER}[agency]
    return StaffProfileFactory(role=role, centres=list(centres)).user
