"""Plans for the plan-page tests, built through the real services."""

from decimal import Decimal

from django.test import RequestFactory
from django_scopes import scopes_disabled

from coordinator.models import Practice, User
from patients.models import Patient
from plans import services
from plans.catalog import category_for_code
from plans.models import PlannedProcedure, ProcedureCode, TreatmentOption, TreatmentPlan
from plans.teeth import site_for_code

# key: (code, plain description, fee); category and site follow from the code.
CODES = {
    "exam": ("D0150", "First full exam for a new patient", "110.00"),
    "filling": ("D2391", "White filling on a back tooth, one side", "195.00"),
    "filling2": ("D2392", "White filling on a back tooth, two sides", "245.00"),
    "crown": ("D2740", "Porcelain crown (cap) over the whole tooth", "1250.00"),
    "srp": ("D4341", "Deep cleaning under the gums, a quarter of the mouth", "265.00"),
    "denture": ("D5110", "Full removable denture for the upper teeth", "1850.00"),
    "implant": ("D6010", "Implant post placed in the jaw", "2100.00"),
    "bridge": ("D6240", "Replacement tooth held by a bridge", "1150.00"),
}


def make_catalog(practice: Practice) -> dict[str, ProcedureCode]:
    with scopes_disabled():
        return {
            key: ProcedureCode.objects.create(
                practice=practice,
                code=code,
                category=category_for_code(code),
                description=description,
                fee=Decimal(fee),
                site=site_for_code(code),
            )
            for key, (code, description, fee) in CODES.items()
        }


def request_as(user: User):
    request = RequestFactory().post("/")
    request.user = user
    return request


def start_plan(
    practice: Practice, patient: Patient, dentist: User, title: str = ""
) -> TreatmentPlan:
    with scopes_disabled():
        return services.plan_create(
            practice=practice,
            patient=patient,
            dentist=dentist,
            request=request_as(dentist),
            title=title,
        )


def add_procedure(
    plan: TreatmentPlan, code: ProcedureCode, option: TreatmentOption | None = None, **site
) -> PlannedProcedure:
    with scopes_disabled():
        plan.refresh_from_db()
        option = option or plan.options.order_by("position").first()
        phase = option.phases.order_by("number").last()
        procedure = services.procedure_add(
            option=option,
            phase=phase,
            code=code,
            request=request_as(plan.dentist),
            expected_version=plan.version,
            **site,
        )
        plan.refresh_from_db()
        return procedure


def add_option(plan: TreatmentPlan, name: str) -> TreatmentOption:
    with scopes_disabled():
        plan.refresh_from_db()
        option = services.option_add(
            plan=plan, request=request_as(plan.dentist), expected_version=plan.version, name=name
        )
        plan.refresh_from_db()
        return option


def reload(obj):
    with scopes_disabled():
        return type(obj).objects.get(pk=obj.pk)
