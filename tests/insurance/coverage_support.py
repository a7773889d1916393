"""A patient's coverage for the coverage and verification tests: Jane Doe of the composed
X12 samples (tests/insurance/x12/fixtures), her PPO with Example Dental Plan, and helpers."""

import datetime
from types import SimpleNamespace

from django.urls import reverse
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent
from insurance.models import Benefit, Coverage, EligibilityCheck, InsuranceHistory, Subscription
from tests.factories import CarrierFactory, GroupPlanFactory, PatientFactory
from tests.insurance.x12.x12_text import SAMPLE_271

NPI = "1234567893"
SUBMITTER = "SMILEDENTAL01"
ANSWERED = datetime.date(2025, 1, 15)


def jane_doe(practice, *, member_id="W123456789", effective_date=None) -> SimpleNamespace:
    """Jane (the subscriber of the sample 271) covered by the ACME PPO, with eligibility ids
    on the practice."""
    with scopes_disabled():
        practice.npi = NPI
        practice.x12_submitter_id = SUBMITTER
        practice.save(update_fields=["npi", "x12_submitter_id"])
        carrier = CarrierFactory(practice=practice, name="Example Dental Plan", payer_id="99999")
        group_plan = GroupPlanFactory(
            practice=practice,
            carrier=carrier,
            employer="Acme Corp",
            group_number="G100200",
            plan_type="ppo",
        )
        jane = PatientFactory(
            practice=practice,
            first_name="Jane",
            last_name="Doe",
            birth_date=datetime.date(1985, 4, 12),
        )
        subscription = Subscription.objects.create(
            practice=practice,
            group_plan=group_plan,
            subscriber=jane,
            member_id=member_id,
            effective_date=effective_date,
        )
        coverage = Coverage.objects.create(
            practice=practice,
            patient=jane,
            subscription=subscription,
            ordinal=1,
            relationship="self",
        )
    return SimpleNamespace(
        practice=practice,
        carrier=carrier,
        group_plan=group_plan,
        patient=jane,
        subscription=subscription,
        coverage=coverage,
    )


def child_of(family: SimpleNamespace, *, first_name="Jimmy", ordinal=1) -> Coverage:
    with scopes_disabled():
        child = PatientFactory(
            practice=family.practice,
            first_name=first_name,
            last_name="Doe",
            birth_date=datetime.date(2014, 6, 2),
        )
        return Coverage.objects.create(
            practice=family.practice,
            patient=child,
            subscription=family.subscription,
            ordinal=ordinal,
            relationship="child",
        )


def url(name: str, coverage: Coverage, **kwargs) -> str:
    args = {
        "practice_slug": coverage.practice.slug,
        "patient_id": coverage.patient_id,
        "coverage_id": coverage.pk,
        **kwargs,
    }
    return reverse(f"coverage:{name}", kwargs=args)


def page_url(patient) -> str:
    return reverse("coverage:page", args=[patient.practice.slug, patient.pk])


def upload_271(client, coverage: Coverage, text: str = SAMPLE_271):
    """Upload (step 1) and return the preview's URL, or the upload's response if refused."""
    response = client.post(url("import_271", coverage), {"text": text})
    if response.status_code != 302:
        return response
    return response["Location"]


def import_271(client, coverage: Coverage, text: str = SAMPLE_271):
    """Upload, open the preview and confirm it; the confirm's response."""
    preview = upload_271(client, coverage, text)
    assert isinstance(preview, str), preview.content.decode()[:2000]
    assert client.get(preview).status_code == 200
    token = preview.split("token=")[1]
    return client.post(preview.split("?")[0], {"token": token})


def snapshot(practice) -> tuple:
    """Every row the coverage and verification pages change, to show a refusal changed none."""
    with scopes_disabled():
        return (
            sorted(map(str, Subscription.objects.filter(practice=practice).values_list())),
            sorted(map(str, Coverage.objects.filter(practice=practice).values_list())),
            sorted(map(str, Benefit.objects.filter(practice=practice).values_list())),
            sorted(map(str, InsuranceHistory.objects.filter(practice=practice).values_list())),
            sorted(map(str, EligibilityCheck.objects.filter(practice=practice).values_list())),
            sorted(
                map(
                    str,
                    practice.group_plans.values_list(
                        "benefits_source", "benefits_updated_on", "missing_tooth_clause"
                    ),
                )
            ),
        )


def audit_actions(practice) -> list[str]:
    with scopes_disabled():
        return list(
            AuditEvent.objects.filter(practice=practice)
            .order_by("at", "id")
            .values_list("action", flat=True)
        )
