"""Building presented plans through the real services, for the follow-up tests."""

from decimal import Decimal

from django.test import RequestFactory

from plans import services
from plans.models import ProcedureCode, TreatmentPlan

# Monday 2 March 2026, 9:00 in Chicago (CST, UTC-6); daylight saving starts on 8 March.
NOW = "2026-03-02T15:00:00+00:00"


def a_request(user):
    request = RequestFactory().post("/")
    request.user = user
    return request


def catalog(practice) -> dict[str, ProcedureCode]:
    def code(code, category, fee, site):
        return ProcedureCode.objects.get_or_create(
            practice=practice,
            code=code,
            defaults={"category": category, "description": code, "fee": fee, "site": site},
        )[0]

    return {
        "crown": code("D2740", "crowns", Decimal("1250.00"), "tooth"),
        "implant": code("D6010", "implants", Decimal("2100.00"), "tooth"),
        "bridge": code("D6240", "prosthodontics", Decimal("1150.00"), "tooth"),
    }


def a_plan(practice, patient, dentist, user, *, teeth=("3", "14")) -> TreatmentPlan:
    """A diagnosed plan with one option and a crown on each of `teeth` (not presented)."""
    codes = catalog(practice)
    plan = services.plan_create(
        practice=practice, patient=patient, dentist=dentist, request=a_request(user)
    )
    option = plan.options.get()
    for tooth in teeth:
        plan.refresh_from_db()
        services.procedure_add(
            option=option,
            phase=option.phases.get(),
            code=codes["crown"],
            tooth=tooth,
            request=a_request(user),
            expected_version=plan.version,
        )
    plan.refresh_from_db()
    return plan


def present(plan, user, **kwargs):
    plan.refresh_from_db()
    presentation = services.plan_present(
        plan=plan,
        request=a_request(user),
        expected_version=plan.version,
        presented_by=user,
        mode="in_person",
        **kwargs,
    )
    plan.refresh_from_db()
    return presentation


def a_presented_plan(practice, patient, dentist, user, **kwargs) -> TreatmentPlan:
    plan = a_plan(practice, patient, dentist, user, **kwargs)
    present(plan, user)
    return plan


def procedures(plan):
    return list(
        plan.options.get(recommended=True).procedures.order_by("position").select_related("option")
    )
