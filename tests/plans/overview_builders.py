"""Building plans through the real services, for the overview, diff and timeline tests."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.test import RequestFactory
from django.utils import timezone

from coordinator.models import Practice, User
from patients.models import Patient
from plans import services
from plans.models import (
    PlannedProcedure,
    Presentation,
    ProcedureCode,
    TreatmentOption,
    TreatmentPlan,
)

# (key, code, category, fee, site)
CODES = (
    ("exam", "D0150", "diagnostic", Decimal("95.00"), "mouth"),
    ("crown", "D2740", "crowns", Decimal("1250.00"), "tooth"),
    ("filling", "D2391", "restorative", Decimal("210.00"), "surfaces"),
    ("implant", "D6010", "implants", Decimal("2100.00"), "tooth"),
    ("bridge", "D6240", "prosthodontics", Decimal("1150.00"), "tooth"),
    ("srp", "D4341", "periodontics", Decimal("260.00"), "quadrant"),
)


def make_catalog(practice: Practice) -> dict[str, ProcedureCode]:
    return {
        key: ProcedureCode.objects.create(
            practice=practice,
            code=code,
            category=category,
            description=f"{key.title()} (plain words)",
            fee=fee,
            site=site,
        )
        for key, code, category, fee, site in CODES
    }


def request_as(user: User):
    request = RequestFactory().post("/")
    request.user = user
    return request


@dataclass
class Built:
    plan: TreatmentPlan
    options: list[TreatmentOption]
    # Procedures by option index, in the order given.
    procedures: list[list[PlannedProcedure]] = field(default_factory=list)

    def refresh(self) -> "Built":
        self.plan.refresh_from_db()
        return self


@dataclass
class PlanMaker:
    """Makes plans as staff would: `alice` edits and presents, `dentist` diagnoses."""

    practice: Practice
    user: User
    dentist: User
    catalog: dict[str, ProcedureCode]

    def plan(
        self,
        patient: Patient,
        *options: tuple[str, list[tuple[str, dict]]],
        diagnose: bool = True,
        title: str = "",
        dentist: User | None = None,
    ) -> Built:
        """Options as (name, [(catalog key, procedure_add kwargs)]); the first is recommended."""
        plan = services.plan_create(
            practice=self.practice,
            patient=patient,
            dentist=dentist or self.dentist,
            request=request_as(self.user),
            title=title,
        )
        built = Built(plan=plan, options=[])
        for index, (name, procedures) in enumerate(options):
            plan.refresh_from_db()
            if index == 0:
                option = plan.options.get()
                services.option_update(
                    option=option,
                    request=request_as(self.user),
                    expected_version=plan.version,
                    name=name,
                )
            else:
                option = services.option_add(
                    plan=plan,
                    request=request_as(self.user),
                    expected_version=plan.version,
                    name=name,
                )
            built.options.append(option)
            added = []
            for key, kwargs in procedures:
                plan.refresh_from_db()
                added.append(
                    services.procedure_add(
                        option=option,
                        phase=kwargs.pop("phase", None) or option.phases.order_by("number").first(),
                        code=self.catalog[key],
                        request=request_as(self.user),
                        expected_version=plan.version,
                        **kwargs,
                    )
                )
            built.procedures.append(added)
        if diagnose:
            plan.refresh_from_db()
            services.plan_diagnose(
                plan=plan, request=request_as(self.dentist), expected_version=plan.version
            )
        return built.refresh()

    def present(
        self, built: Built, *, by: User | None = None, at: datetime | None = None, mode="in_person"
    ) -> Presentation:
        built.plan.refresh_from_db()
        presentation = services.plan_present(
            plan=built.plan,
            request=request_as(by or self.user),
            expected_version=built.plan.version,
            presented_by=by or self.user,
            mode=mode,
            at=at,
            note="Talked through both options.",
        )
        built.refresh()
        return presentation

    def accept_option(self, built: Built, index: int) -> None:
        services.option_accept(
            option=built.options[index], request=request_as(self.user), by=self.user
        )
        built.refresh()

    def decide(
        self, built: Built, procedure: PlannedProcedure, kind: str, reason: str = ""
    ) -> None:
        services.procedure_decide(
            procedure=procedure,
            request=request_as(self.user),
            kind=kind,
            by=self.user,
            reason=reason,
            note="Asked about payment plans." if reason else "",
        )
        built.refresh()

    def complete(self, built: Built, procedure: PlannedProcedure, on=None) -> None:
        services.procedure_complete(
            procedure=procedure,
            request=request_as(self.user),
            completed_on=on or timezone.localdate(),
            dentist=self.dentist,
            by=self.user,
        )
        built.refresh()

    def change(self, built: Built, procedure: PlannedProcedure, **changes) -> None:
        """Edit a live procedure (fee, tooth, surfaces, area, phase) as the builder would."""
        procedure.refresh_from_db()
        built.plan.refresh_from_db()
        values = {
            "phase": procedure.phase,
            "tooth": procedure.tooth,
            "surfaces": procedure.surfaces,
            "area": procedure.area,
            "fee": procedure.fee,
            "fee_reason": procedure.fee_reason,
            **changes,
        }
        if values["fee"] != procedure.procedure_code.fee and not values["fee_reason"]:
            values["fee_reason"] = "Lab fee went up"
        services.procedure_update(
            procedure=procedure,
            request=request_as(self.user),
            expected_version=built.plan.version,
            **values,
        )
        built.refresh()
