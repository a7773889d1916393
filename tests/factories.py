"""Factories for test data. Practice-owned rows are created with .create(), which scopes allow."""

import datetime

import factory
from django_otp.plugins.otp_totp.models import TOTPDevice

from coordinator.models import Membership, Practice, User
from patients.models import Patient

TEST_PASSWORD = "correct-horse-battery-staple-42"


class PracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practice

    slug = factory.Sequence(lambda n: f"practice-{n}")
    name = factory.Sequence(lambda n: f"Practice {n} Dental")
    timezone = "America/Chicago"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    name = factory.Faker("name")
    password = factory.PostGenerationMethodCall("set_password", TEST_PASSWORD)

    @factory.post_generation
    def save_password(self, create, extracted, **kwargs):
        if create:
            self.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    practice = factory.SubFactory(PracticeFactory)
    role = "coordinator"


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    practice = factory.SubFactory(PracticeFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    birth_date = factory.Faker(
        "date_between", start_date=datetime.date(1940, 1, 1), end_date=datetime.date(2015, 12, 31)
    )
    email = factory.LazyAttribute(lambda p: f"{p.first_name}.{p.last_name}@example.net".lower())
    phone = factory.Sequence(lambda n: f"+1312555{n % 10000:04d}")


def confirmed_totp_device(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
