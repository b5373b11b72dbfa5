import datetime

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from enrolment.models import Applicant, Application, Membership


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("correct horse battery staple")


class ApplicantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Applicant

    user = factory.SubFactory(UserFactory)
    given_names = factory.LazyAttribute(lambda a: a.user.first_name if a.user else "Alex")
    surname = factory.LazyAttribute(lambda a: a.user.last_name if a.user else "Tremblay")
    date_of_birth = datetime.date(1985, 6, 15)
    preferred_language = Applicant.Language.ENGLISH


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    applicant = factory.SubFactory(ApplicantFactory)
    number = factory.Sequence(lambda n: f"{100000000 + n}")
    issued_on = datetime.date(2021, 9, 1)
    expires_on = datetime.date(2026, 12, 31)


class ApplicationFactory(factory.django.DjangoModelFactory):
    """A conditionally approved new application: the state in which one may book."""

    class Meta:
        model = Application

    applicant = factory.SubFactory(ApplicantFactory)
    number = factory.Sequence(lambda n: f"NX{n:010d}")
    kind = Application.Kind.NEW
    status = Application.Status.CONDITIONALLY_APPROVED
    conditionally_approved_at = factory.LazyFunction(timezone.now)

    class Params:
        pending = factory.Trait(status=Application.Status.PENDING, conditionally_approved_at=None)
        renewal = factory.Trait(
            kind=Application.Kind.RENEWAL,
            membership=factory.SubFactory(
                MembershipFactory, applicant=factory.SelfAttribute("..applicant")
            ),
        )
