"""Estimates on a treatment plan: from the practice's coverage records through the engine."""

import datetime
import json
from decimal import Decimal

import pytest
from django_scopes import scopes_disabled

from insurance import engine
from insurance.plan_estimates import (
    estimate_option,
    patient_coverages,
    stale_warnings,
    suggest_split,
)
from plans.models import Phase, PresentedOption, PresentedProcedure
from tests.insurance.coverage_builders import cover, group_plan, used
from tests.plans.builder_helpers import add_procedure, make_catalog, request_as, start_plan

TODAY = datetime.date(2026, 11, 27)
PPO_FEES = {("allowed", "D2740"): "820.00", ("allowed", "D2391"): "150.00"}


@pytest.fixture
def catalog(practice):
    return make_catalog(practice)


@pytest.fixture
def plan(practice, patient, dave):
    return start_plan(practice, patient, dave)


def _estimate(practice, patient, plan, as_of=TODAY, **kwargs):
    with scopes_disabled():
        option = plan.options.get()
        procedures = list(
            option.procedures.select_related("phase", "procedure_code").order_by(
                "phase__number", "position"
            )
        )
        coverages = patient_coverages(patient=patient, as_of=as_of)
        return procedures, estimate_option(
            practice=practice,
            patient=patient,
            procedures=procedures,
            coverages=coverages,
            as_of=as_of,
            **kwargs,
        )


def test_a_ppo_plan_shows_insurance_writeoff_and_patient_portion(practice, patient, plan, catalog):
    coverage = cover(patient, group_plan(practice, fees=PPO_FEES))
    used(coverage, amount="1000.00", deductible="25.00")  # $500 of the maximum left
    crown = add_procedure(plan, catalog["crown"], tooth="19")
    filling = add_procedure(plan, catalog["filling"], tooth="3", surfaces="O")

    _, estimate = _estimate(practice, patient, plan)

    # Plan order puts tooth 3 before tooth 19. Filling: allowed 150, the last 25 of the
    # deductible -> (150 - 25) x 80% = 100.00.
    filling_estimate = estimate.procedures[filling.pk]
    assert (filling_estimate.order, filling_estimate.totals.insurance) == (1, Decimal("100.00"))
    assert filling_estimate.deductible == Decimal("25.00")
    # Crown: 820 x 50% = 410, but only 500 - 100 = 400 of the maximum is left.
    crown_estimate = estimate.procedures[crown.pk]
    assert crown_estimate.totals.insurance == Decimal("400.00")
    assert crown_estimate.totals.writeoff == Decimal("430.00")
    assert crown_estimate.totals.patient == Decimal("420.00")
    assert crown_estimate.codes == ["over_annual_max"]
    assert "The annual maximum is reached." in crown_estimate.notes
    assert estimate.total.insurance == Decimal("500.00")
    assert estimate.total.fee == Decimal("1445.00")
    assert estimate.by_phase == {1: estimate.total}
    [status] = estimate.coverages
    assert (status.maximum_before, status.maximum_after) == (Decimal("500.00"), Decimal("0.00"))
    assert (status.deductible_before, status.deductible_after) == (Decimal("25.00"), Decimal(0))


def test_a_secondary_plan_lowers_what_the_patient_pays(practice, patient, plan, catalog):
    cover(patient, group_plan(practice, fees=PPO_FEES))
    crown = add_procedure(plan, catalog["crown"], tooth="19")
    _, alone = _estimate(practice, patient, plan)

    spouse = group_plan(
        practice,
        plan_type="percentage",
        carrier="Spouse Mutual",
        benefits=[{"kind": "coverage", "scope": "category:crowns", "percent": 50}],
    )
    cover(patient, spouse, ordinal=2)
    _, both = _estimate(practice, patient, plan)

    # (1250 - 430 write-off) - (820 - 50 deductible) x 50% = 435.00 left for the patient.
    assert alone.procedures[crown.pk].totals.patient == Decimal("435.00")
    # Standard COB: the secondary pays what the patient still owes, up to its 625.00.
    assert both.procedures[crown.pk].totals.patient == Decimal("0.00")
    assert [share.label for share in both.procedures[crown.pk].shares] == [
        "Delta Test (primary)",
        "Spouse Mutual (secondary)",
    ]


def test_declined_work_uses_no_benefits(practice, patient, plan, catalog, alice):
    from plans import services

    cover(patient, group_plan(practice, fees=PPO_FEES))
    crown = add_procedure(plan, catalog["crown"], tooth="19")
    add_procedure(plan, catalog["filling"], tooth="3", surfaces="O")
    with scopes_disabled():
        services.procedure_decide(
            procedure=crown, request=request_as(alice), kind="declined", by=alice, reason="cost"
        )

    _, estimate = _estimate(practice, patient, plan)

    assert crown.pk not in estimate.procedures
    assert estimate.total.fee == Decimal("195.00")


def test_family_members_share_the_family_maximum(practice, patient, plan, catalog):
    from tests.factories import PatientFactory

    child = PatientFactory(practice=practice)
    family_plan = group_plan(
        practice,
        fees=PPO_FEES,
        benefits=[
            {"kind": "coverage", "scope": "category:crowns", "percent": 50},
            {"kind": "maximum", "scope": "general", "amount": "3000.00", "level": "family"},
        ],
    )
    mine = cover(patient, family_plan)
    cover(child, family_plan, subscriber=patient)
    used(mine, patient=child, amount="2800.00")
    crown = add_procedure(plan, catalog["crown"], tooth="19")

    _, estimate = _estimate(practice, patient, plan)

    assert estimate.procedures[crown.pk].totals.insurance == Decimal("200.00")
    assert estimate.procedures[crown.pk].codes == ["over_family_annual_max"]


def test_moving_a_phase_to_next_benefit_year_sees_a_fresh_maximum(practice, patient, plan, catalog):
    coverage = cover(patient, group_plan(practice, fees=PPO_FEES))
    used(coverage, amount="1400.00", deductible="50.00")
    first = add_procedure(plan, catalog["crown"], tooth="19")
    with scopes_disabled():
        option = plan.options.get()
        second_phase = Phase.objects.create(practice=practice, option=option, number=2)
    second = add_procedure(plan, catalog["crown"], tooth="30")
    with scopes_disabled():
        second.phase = second_phase
        second.save()

    _, this_year = _estimate(practice, patient, plan)
    assert this_year.procedures[first.pk].totals.insurance == Decimal("100.00")
    assert this_year.procedures[second.pk].totals.insurance == Decimal("0.00")

    with scopes_disabled():
        second_phase.next_benefit_year = True
        second_phase.save()
    _, split = _estimate(practice, patient, plan)
    # New year: deductible 50 again, (820 - 50) x 50% = 385.00.
    assert split.procedures[second.pk].totals.insurance == Decimal("385.00")
    assert split.procedures[second.pk].next_benefit_year
    assert split.total.patient == this_year.total.patient - Decimal("385.00")
    [status] = split.coverages
    assert status.maximum_after == Decimal("0.00")
    assert status.next_year_maximum_after == Decimal("1115.00")


def test_the_split_suggestion_respects_how_long_the_dentist_lets_a_phase_wait(
    practice, patient, plan, catalog
):
    coverage = cover(patient, group_plan(practice, fees=PPO_FEES))
    used(coverage, amount="1400.00", deductible="50.00")
    add_procedure(plan, catalog["crown"], tooth="19")
    with scopes_disabled():
        option = plan.options.get()
        later = Phase.objects.create(practice=practice, option=option, number=2)
    second = add_procedure(plan, catalog["crown"], tooth="30")
    with scopes_disabled():
        second.phase = later
        second.save()

    def suggestion():
        with scopes_disabled():
            procedures, _ = _estimate(practice, patient, plan)
            return suggest_split(
                practice=practice,
                patient=patient,
                procedures=procedures,
                phases=list(option.phases.order_by("number")),
                coverages=patient_coverages(patient=patient, as_of=TODAY),
                as_of=TODAY,
            )

    assert suggestion() is None  # the dentist has not allowed any wait

    with scopes_disabled():
        later.may_wait_months = 2  # renewal is 2027-01-01, within two months of Nov 27
        later.save()
    offered = suggestion()
    assert offered.next_year_phases == frozenset({2})
    assert offered.saving == Decimal("385.00")
    assert offered.next_year_starts == datetime.date(2027, 1, 1)


def test_the_document_is_what_the_estimate_command_reads(practice, patient, plan, catalog):
    coverage = cover(patient, group_plan(practice, fees=PPO_FEES, missing_tooth_clause=True))
    used(coverage, kind="done_elsewhere", code="D0274", day=datetime.date(2026, 5, 1))
    add_procedure(plan, catalog["bridge"], tooth="4")

    _, estimate = _estimate(practice, patient, plan)

    replayed = engine.result_json(
        engine.estimate(engine.read_scenario(json.loads(json.dumps(estimate.scenario))))
    )
    assert replayed["estimates"][0]["notes"] == ["missing_tooth_clause"]
    assert estimate.coverages[0].warnings == ("Benefits are assumed, not verified with the payer.",)


def test_a_patient_without_insurance_pays_the_fee(practice, patient, plan, catalog):
    crown = add_procedure(plan, catalog["crown"], tooth="19")
    _, estimate = _estimate(practice, patient, plan)
    assert not estimate.has_insurance
    assert estimate.procedures[crown.pk].totals.patient == Decimal("1250.00")


def test_loading_coverage_takes_a_fixed_number_of_queries(
    practice, patient, django_assert_max_num_queries
):
    for ordinal in (1, 2):
        coverage = cover(patient, group_plan(practice, carrier=f"C{ordinal}"), ordinal=ordinal)
        for month in range(1, 10):
            used(coverage, day=datetime.date(2026, month, 3), amount="10.00")
    with scopes_disabled(), django_assert_max_num_queries(5):
        coverages = patient_coverages(patient=patient, as_of=TODAY)
        assert len(coverages) == 2
        estimate_option(
            practice=practice, patient=patient, procedures=[], coverages=coverages, as_of=TODAY
        )


def test_presenting_freezes_the_estimate(practice, patient, plan, catalog, alice, time_machine):
    from plans import services

    time_machine.move_to(datetime.datetime(2026, 11, 27, 15, 0, tzinfo=datetime.UTC), tick=False)
    gp = group_plan(
        practice,
        fees=PPO_FEES,
        benefits_source="manual",
        benefits_updated_on=datetime.date(2026, 11, 13),
    )
    cover(patient, gp)
    add_procedure(plan, catalog["crown"], tooth="19")
    with scopes_disabled():
        plan.refresh_from_db()
        services.plan_present(
            plan=plan,
            request=request_as(alice),
            expected_version=plan.version,
            presented_by=alice,
            mode="in_person",
        )
        gp.benefits.filter(scope="category:crowns").update(percent=80)  # changes later

        shown = PresentedOption.objects.get(presentation__plan=plan)
        row = PresentedProcedure.objects.get(presented_option=shown)
    # (820 - 50) x 50% = 385.00 as presented, whatever the plan says now.
    assert (row.insurance, row.writeoff, row.patient_portion) == (
        Decimal("385.00"),
        Decimal("430.00"),
        Decimal("435.00"),
    )
    assert (shown.total_insurance, shown.total_patient) == (Decimal("385.00"), Decimal("435.00"))
    assert shown.benefits_summary[0]["age_days"] == 14
    assert shown.benefits_summary[0]["source"] == "manual"
    assert shown.estimate_scenario["plans"][0]["benefits"]["coverage"]


@pytest.mark.parametrize(
    ("source", "verified_on", "expected"),
    [
        ("eligibility_271", datetime.date(2026, 11, 20), ()),
        ("assumed", None, ("Benefits are assumed, not verified with the payer.",)),
        ("manual", datetime.date(2026, 9, 1), ("Verified more than 30 days ago.",)),
        (
            "manual",
            datetime.date(2025, 12, 20),
            (
                "Verified more than 30 days ago.",
                "Verified before this benefit year started: used maximums and deductibles "
                "have reset.",
            ),
        ),
        ("manual", None, ("The verification date is unknown.",)),
    ],
)
def test_stale_benefit_data_is_flagged(source, verified_on, expected):
    assert (
        stale_warnings(source, verified_on, TODAY, renewal_month=1, stale_after_days=30) == expected
    )


def test_a_percentage_plan_pays_a_downgraded_filling_on_the_cheaper_codes_office_fee(
    practice, patient, plan, catalog
):
    from insurance.models import DowngradeRule
    from plans.models import ProcedureCode

    indemnity = group_plan(
        practice,
        plan_type="percentage",
        benefits=[{"kind": "coverage", "scope": "category:restorative", "percent": 80}],
    )
    with scopes_disabled():
        ProcedureCode.objects.create(
            practice=practice,
            code="D2140",
            category="restorative",
            description="Silver filling",
            fee=Decimal("150.00"),
        )
        DowngradeRule.objects.create(
            practice=practice,
            group_plan=indemnity,
            code="D2392",
            to_code="D2140",
            when="posterior",
        )
    cover(patient, indemnity)
    filling = add_procedure(plan, catalog["filling2"], tooth="30", surfaces="MO")

    _, estimate = _estimate(practice, patient, plan)

    [share] = estimate.procedures[filling.pk].shares
    assert (share.substituted_code, share.allowed) == ("D2140", Decimal("150.00"))
    assert share.insurance == Decimal("120.00")  # 80% of the silver filling's 150.00
    assert estimate.procedures[filling.pk].totals.patient == Decimal("125.00")
