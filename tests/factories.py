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


# --- Insurance -----------------------------------------------------------------------------------


class CarrierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "insurance.Carrier"

    practice = factory.SubFactory(PracticeFactory)
    name = factory.Sequence(lambda n: f"Carrier {n} Dental")
    payer_id = factory.Sequence(lambda n: f"P{n:05d}")


class GroupPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "insurance.GroupPlan"

    practice = factory.SubFactory(PracticeFactory)
    carrier = factory.SubFactory(CarrierFactory, practice=factory.SelfAttribute("..practice"))
    employer = factory.Sequence(lambda n: f"Employer {n} Inc")
    group_number = factory.Sequence(lambda n: f"G{n:06d}")
    plan_type = "ppo"


class BenefitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "insurance.Benefit"

    group_plan = factory.SubFactory(GroupPlanFactory)
    practice = factory.SelfAttribute("group_plan.practice")
    kind = "coverage"
    scope = "category:preventive"
    percent = 100


class FeeScheduleEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "insurance.FeeScheduleEntry"

    group_plan = factory.SubFactory(GroupPlanFactory)
    practice = factory.SelfAttribute("group_plan.practice")
    schedule = "allowed"
    code = factory.Sequence(lambda n: f"D{n % 10000:04d}")
    amount = factory.Sequence(lambda n: f"{50 + n % 900}.00")


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "insurance.Subscription"

    group_plan = factory.SubFactory(GroupPlanFactory)
    practice = factory.SelfAttribute("group_plan.practice")
    subscriber = factory.SubFactory(PatientFactory, practice=factory.SelfAttribute("..practice"))
    member_id = factory.Sequence(lambda n: f"M{n:08d}")
