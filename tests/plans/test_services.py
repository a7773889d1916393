"""The plan services end to end: build, present (frozen), decide, complete; statuses follow."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import timezone
from django_scopes import scope

from plans import services
from plans.models import PlanStatus, ProcedureCode, ProcedureStatus
from plans.states import TransitionNotAllowed


@pytest.fixture
def catalog(practice):
    def code(code, category, fee, site):
        return ProcedureCode.objects.create(
            practice=practice, code=code, category=category, description=code, fee=fee, site=site
        )

    return {
        "crown": code("D2740", "crowns", Decimal("1250.00"), "tooth"),
        "filling": code("D2391", "restorative", Decimal("210.00"), "surfaces"),
        "implant": code("D6010", "implants", Decimal("2100.00"), "tooth"),
        "bridge": code("D6240", "prosthodontics", Decimal("1150.00"), "tooth"),
        "srp": code("D4341", "periodontics", Decimal("260.00"), "quadrant"),
    }


@pytest.fixture
def request_for(alice):
    def make():
        request = RequestFactory().post("/")
        request.user = alice
        return request

    return make


def _two_options(practice, patient, dave, catalog, request_for):
    plan = services.plan_create(
        practice=practice, patient=patient, dentist=dave, request=request_for()
    )
    implant = plan.options.get()
    implant_work = services.procedure_add(
        option=implant,
        phase=implant.phases.get(),
        code=catalog["implant"],
        tooth="19",
        request=request_for(),
        expected_version=plan.version,
    )
    plan.refresh_from_db()
    bridge = services.option_add(
        plan=plan, request=request_for(), expected_version=plan.version, name="Bridge"
    )
    plan.refresh_from_db()
    bridge_work = services.procedure_add(
        option=bridge,
        phase=bridge.phases.get(),
        code=catalog["bridge"],
        tooth="19",
        request=request_for(),
        expected_version=plan.version,
    )
    plan.refresh_from_db()
    return plan, implant_work, bridge_work


def test_a_plan_moves_from_draft_to_completed(practice, patient, alice, dave, catalog, request_for):
    with scope(practice=practice):
        plan, implant_work, bridge_work = _two_options(
            practice, patient, dave, catalog, request_for
        )
        implant, bridge = implant_work.option, bridge_work.option
        assert plan.status == PlanStatus.DRAFT

        presentation = services.plan_present(
            plan=plan,
            request=request_for(),
            expected_version=plan.version,
            presented_by=alice,
            mode="in_person",
        )
        plan.refresh_from_db()
        assert plan.status == PlanStatus.PRESENTED
        assert [o.total_fee for o in presentation.options.all()] == [
            Decimal("2100.00"),
            Decimal("1150.00"),
        ]

        services.option_accept(option=bridge, request=request_for(), by=alice)
        plan.refresh_from_db()
        assert plan.status == PlanStatus.ACCEPTED
        assert implant.procedures.get().status == ProcedureStatus.DECLINED

        services.procedure_complete(
            procedure=bridge_work,
            request=request_for(),
            completed_on=timezone.localdate(),
            dentist=dave,
            by=alice,
        )
        plan.refresh_from_db()
        assert plan.status == PlanStatus.COMPLETED
        with pytest.raises(TransitionNotAllowed):
            services.procedure_decide(
                procedure=bridge_work,
                request=request_for(),
                kind="declined",
                by=alice,
                reason="cost",
            )


def test_a_stale_editor_is_told_to_reload(practice, patient, dave, catalog, request_for):
    with scope(practice=practice):
        plan = services.plan_create(
            practice=practice, patient=patient, dentist=dave, request=request_for()
        )
        seen = plan.version
        services.option_add(plan=plan, request=request_for(), expected_version=seen, name="B")
        with pytest.raises(services.PlanChanged):
            services.option_add(plan=plan, request=request_for(), expected_version=seen, name="C")


def test_a_filling_needs_surfaces_and_a_crown_has_none(
    practice, patient, dave, catalog, request_for
):
    with scope(practice=practice):
        plan = services.plan_create(
            practice=practice, patient=patient, dentist=dave, request=request_for()
        )
        option = plan.options.get()
        with pytest.raises(ValidationError) as error:
            services.procedure_add(
                option=option,
                phase=option.phases.get(),
                code=catalog["crown"],
                tooth="3",
                surfaces="MO",
                request=request_for(),
                expected_version=plan.version,
            )
        assert "surfaces" in error.value.message_dict
        with pytest.raises(ValidationError) as error:
            services.procedure_add(
                option=option,
                phase=option.phases.get(),
                code=catalog["srp"],
                request=request_for(),
                expected_version=plan.version,
            )
        assert "area" in error.value.message_dict


def test_accepting_work_of_a_second_alternative_is_refused(
    practice, patient, alice, dave, catalog, request_for
):
    with scope(practice=practice):
        plan, implant_work, bridge_work = _two_options(
            practice, patient, dave, catalog, request_for
        )
        services.procedure_decide(
            procedure=implant_work, request=request_for(), kind="accepted", by=alice
        )
        with pytest.raises(TransitionNotAllowed, match="accept this whole option"):
            services.procedure_decide(
                procedure=bridge_work, request=request_for(), kind="accepted", by=alice
            )
        bridge_work.refresh_from_db()
        assert bridge_work.status == ProcedureStatus.PROPOSED


def test_decisions_on_a_closed_plan_are_refused(
    practice, patient, alice, dave, catalog, request_for
):
    with scope(practice=practice):
        plan, implant_work, _ = _two_options(practice, patient, dave, catalog, request_for)
        services.plan_close(plan=plan, request=request_for(), reason="abandoned")
        with pytest.raises(TransitionNotAllowed, match="reopen"):
            services.option_accept(option=implant_work.option, request=request_for(), by=alice)
        implant_work.refresh_from_db()
        assert implant_work.status == ProcedureStatus.PROPOSED


def test_completed_work_on_a_draft_marks_it_diagnosed(
    practice, patient, alice, dave, catalog, request_for
):
    with scope(practice=practice):
        plan, implant_work, _ = _two_options(practice, patient, dave, catalog, request_for)
        services.procedure_complete(
            procedure=implant_work,
            request=request_for(),
            completed_on=timezone.localdate(),
            dentist=dave,
            by=alice,
        )
        plan.refresh_from_db()
        assert plan.diagnosed_at is not None
        # The implant is the chosen option and its work is done; the bridge was the alternative.
        assert plan.status == PlanStatus.COMPLETED


def test_a_fee_above_the_largest_is_refused(practice, patient, dave, catalog, request_for):
    with scope(practice=practice):
        plan = services.plan_create(
            practice=practice, patient=patient, dentist=dave, request=request_for()
        )
        option = plan.options.get()
        with pytest.raises(ValidationError) as error:
            services.procedure_add(
                option=option,
                phase=option.phases.get(),
                code=catalog["crown"],
                tooth="3",
                fee=Decimal("100000.00"),
                fee_reason="typo",
                request=request_for(),
                expected_version=plan.version,
            )
        assert "fee" in error.value.message_dict
