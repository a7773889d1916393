"""Insurance models: what each kind of benefit row may hold, schedules per plan type, coverage
and history rules, and the database constraints behind them."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_scopes import scope

from insurance import scopes
from insurance.models import (
    Benefit,
    Coverage,
    DowngradeRule,
    FeeScheduleEntry,
    InsuranceHistory,
)
from tests.factories import (
    BenefitFactory,
    GroupPlanFactory,
    PatientFactory,
    SubscriptionFactory,
)

# --- Scopes (pure) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("general", "general"),
        (" General ", "general"),
        ("category:crowns", "category:crowns"),
        ("Category: Diagnostic_Xray", "category:diagnostic_xray"),
        ("category:general", "category:general"),
        ("code:d2740", "code:D2740"),
        ("code_group:D0120, d0150 ,D0180", "code_group:D0120,D0150,D0180"),
        ("code_group:D1110", "code_group:D1110"),
    ],
)
def test_scopes_are_stored_in_the_contracts_form(text, canonical):
    assert str(scopes.parse_scope(text)) == canonical


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "required"),
        ("everything", "not a scope"),
        ("category:veneers", "not a category"),
        ("category:", "not a category"),
        ("code:2740", "not a procedure code"),
        ("code:D274", "not a procedure code"),
        ("code:D2740,D2750", "not a procedure code"),
        ("code_group:", "at least one code"),
        ("code_group:D0120,D0120", "more than once"),
        ("code_group:D0120;D0150", "not a procedure code"),
        ("codes:D0120", "not a scope"),
    ],
)
def test_malformed_scopes_say_why(text, reason):
    with pytest.raises(ValueError, match=reason):
        scopes.parse_scope(text)


@pytest.mark.parametrize(
    ("kind", "scope", "allowed"),
    [
        ("frequency", "code:D1110", True),
        ("frequency", "code_group:D0120,D0150", True),
        ("frequency", "category:preventive", False),
        ("frequency", "general", False),
        ("exclusion", "general", False),
        ("exclusion", "category:implants", True),
        ("exclusion", "code:D9972", True),
        ("coverage", "general", True),
        ("maximum", "category:orthodontics", True),
    ],
)
def test_which_scopes_each_kind_takes(kind, scope, allowed):
    problem = scopes.scope_problem(kind, scopes.parse_scope(scope))
    assert (problem is None) == allowed


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("calendar_year", "calendar_year"),
        ("Benefit_Year", "benefit_year"),
        ("last_12_months", "last_12_months"),
        ("months:6", "months:6"),
        ("years: 05", "years:5"),
    ],
)
def test_frequency_periods(text, canonical):
    assert scopes.normalize_period(text) == canonical


@pytest.mark.parametrize("text", ["yearly", "months:0", "years:100", "months:", "weeks:2"])
def test_bad_frequency_periods(text):
    with pytest.raises(ValueError, match="period|number of"):
        scopes.normalize_period(text)


def test_period_labels():
    assert scopes.period_label("years:5") == "every 5 years"
    assert scopes.period_label("months:1") == "every 1 month"
    assert scopes.period_label("calendar_year") == "per calendar year"


@pytest.fixture(autouse=True)
def _in_practice(request):
    """Model tests run inside the practice's scope, as a request does."""
    if "practice" not in request.fixturenames:
        yield
        return
    with scope(practice=request.getfixturevalue("practice")):
        yield


# --- Benefit rows --------------------------------------------------------------------------------


def _benefit(group_plan, **fields) -> Benefit:
    return Benefit(practice=group_plan.practice, group_plan=group_plan, **fields)


@pytest.fixture
def ppo(practice):
    return GroupPlanFactory(practice=practice, plan_type="ppo")


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "coverage", "scope": "category:crowns", "percent": 50},
        {"kind": "coverage", "scope": "general", "percent": 0},
        {
            "kind": "deductible",
            "scope": "general",
            "amount": Decimal("50.00"),
            "level": "individual",
            "period": "benefit_year",
        },
        {
            "kind": "maximum",
            "scope": "category:orthodontics",
            "amount": Decimal("2000.00"),
            "level": "individual",
            "period": "lifetime",
        },
        {
            "kind": "frequency",
            "scope": "code_group:D0120,D0150",
            "count": 2,
            "per": "calendar_year",
        },
        {"kind": "frequency", "scope": "code:D2740", "count": 1, "per": "years:5", "area": "tooth"},
        {"kind": "age_limit", "scope": "category:orthodontics", "max_age": 18},
        {"kind": "waiting_period", "scope": "category:crowns", "months": 12},
        {"kind": "exclusion", "scope": "code:D9972"},
    ],
)
def test_valid_rows_of_every_kind(ppo, fields):
    benefit = _benefit(ppo, **fields)
    benefit.full_clean()
    benefit.save()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "coverage", "scope": "general"}, "percent"),
        ({"kind": "coverage", "scope": "general", "percent": 101}, "percent"),
        ({"kind": "coverage", "scope": "category:veneers", "percent": 80}, "scope"),
        ({"kind": "deductible", "scope": "general", "level": "individual"}, "amount"),
        (
            {"kind": "maximum", "scope": "general", "amount": Decimal("-1"), "level": "family"},
            "amount",
        ),
        ({"kind": "maximum", "scope": "general", "amount": Decimal("1500")}, "level"),
        (
            {
                "kind": "frequency",
                "scope": "category:preventive",
                "count": 2,
                "per": "calendar_year",
            },
            "scope",
        ),
        ({"kind": "frequency", "scope": "general", "count": 2, "per": "calendar_year"}, "scope"),
        ({"kind": "frequency", "scope": "code:D1110", "count": 2, "per": "twice"}, "per"),
        ({"kind": "frequency", "scope": "code:D1110", "count": 0, "per": "benefit_year"}, "count"),
        ({"kind": "frequency", "scope": "code:D1110", "per": "benefit_year"}, "count"),
        ({"kind": "age_limit", "scope": "category:orthodontics"}, "max_age"),
        ({"kind": "waiting_period", "scope": "category:crowns", "months": 0}, "months"),
        ({"kind": "exclusion", "scope": "general"}, "scope"),
        # A value the kind does not use is refused rather than silently kept.
        ({"kind": "exclusion", "scope": "code:D9972", "percent": 0}, "percent"),
        ({"kind": "coverage", "scope": "general", "percent": 80, "max_age": 18}, "max_age"),
    ],
)
def test_invalid_rows_name_the_field(ppo, fields, field):
    with pytest.raises(ValidationError) as error:
        _benefit(ppo, **fields).full_clean()
    assert field in error.value.message_dict


def test_clean_stores_the_canonical_scope_and_period(ppo):
    benefit = _benefit(ppo, kind="frequency", scope="code_group: d0120 ,D0150", count=2)
    benefit.per = "Months:6"
    benefit.full_clean()
    assert (benefit.scope, benefit.per) == ("code_group:D0120,D0150", "months:6")
    assert benefit.scope_label == "D0120, D0150"
    assert benefit.period_label == "every 6 months"


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "coverage", "scope": "general"},
        {"kind": "exclusion", "scope": "general"},
        {"kind": "frequency", "scope": "category:preventive", "count": 1, "per": "benefit_year"},
        {"kind": "deductible", "scope": "general", "level": "individual", "period": "lifetime"},
        {"kind": "coverage", "scope": "general", "percent": 120},
    ],
)
def test_the_database_refuses_what_clean_refuses(ppo, fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        _benefit(ppo, **fields).save()


# --- Fee schedules and downgrades ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("plan_type", "schedule", "allowed"),
    [
        ("percentage", "allowed", True),
        ("percentage", "plan_fees", True),
        ("percentage", "fixed_benefit", False),
        ("ppo", "allowed", True),
        ("ppo", "copay", True),
        ("ppo", "plan_fees", False),
        ("ppo_fixed_benefit", "fixed_benefit", True),
        ("ppo_fixed_benefit", "copay", False),
        ("flat_copay", "copay", True),
        ("flat_copay", "plan_fees", False),
        ("capitation", "plan_fees", True),
        ("capitation", "allowed", False),
    ],
)
def test_fee_schedules_a_plan_type_uses(practice, plan_type, schedule, allowed):
    plan = GroupPlanFactory(practice=practice, plan_type=plan_type)
    entry = FeeScheduleEntry(
        practice=practice, group_plan=plan, schedule=schedule, code="D2740", amount=Decimal("0")
    )
    if allowed:
        entry.full_clean()
    else:
        with pytest.raises(ValidationError) as error:
            entry.full_clean()
        assert "schedule" in error.value.message_dict


def test_one_amount_per_code_and_schedule(ppo):
    FeeScheduleEntry.objects.create(
        practice=ppo.practice, group_plan=ppo, schedule="allowed", code="D2740", amount=1
    )
    FeeScheduleEntry.objects.create(
        practice=ppo.practice, group_plan=ppo, schedule="copay", code="D2740", amount=1
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        FeeScheduleEntry.objects.create(
            practice=ppo.practice, group_plan=ppo, schedule="allowed", code="D2740", amount=2
        )


def test_a_downgrade_pays_as_another_code(ppo):
    rule = DowngradeRule(practice=ppo.practice, group_plan=ppo, code="D2392", to_code="D2392")
    with pytest.raises(ValidationError):
        rule.full_clean()
    rule.to_code = "D2150"
    rule.when = "posterior"
    rule.full_clean()
    rule.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        DowngradeRule.objects.create(
            practice=ppo.practice, group_plan=ppo, code="D2392", to_code="D2160", when="posterior"
        )


def test_rows_of_another_practice_cannot_be_linked(practice, other_practice):
    plan = GroupPlanFactory(practice=other_practice)
    with pytest.raises(ValidationError) as error:
        Benefit(
            practice=practice, group_plan=plan, kind="exclusion", scope="code:D9972"
        ).full_clean()
    assert "group_plan" in error.value.message_dict


# --- Coverage and history ------------------------------------------------------------------------


@pytest.fixture
def family(practice, ppo):
    subscription = SubscriptionFactory(practice=practice, group_plan=ppo)
    child = PatientFactory(practice=practice)
    return subscription, child


def test_coverage_relationship_follows_the_subscriber(practice, family):
    subscription, child = family
    own = Coverage(
        practice=practice,
        patient=subscription.subscriber,
        subscription=subscription,
        ordinal=1,
        relationship="child",
    )
    with pytest.raises(ValidationError):
        own.full_clean()
    own.relationship = "self"
    own.full_clean()
    own.save()
    childs = Coverage(
        practice=practice, patient=child, subscription=subscription, ordinal=1, relationship="self"
    )
    with pytest.raises(ValidationError):
        childs.full_clean()
    childs.relationship = "child"
    childs.full_clean()
    childs.save()


def test_a_patient_has_one_coverage_per_ordinal_and_subscription(practice, ppo, family):
    subscription, child = family
    Coverage.objects.create(
        practice=practice, patient=child, subscription=subscription, ordinal=1, relationship="child"
    )
    other = SubscriptionFactory(practice=practice, group_plan=ppo)
    with pytest.raises(IntegrityError), transaction.atomic():
        Coverage.objects.create(
            practice=practice, patient=child, subscription=other, ordinal=1, relationship="child"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Coverage.objects.create(
            practice=practice,
            patient=child,
            subscription=subscription,
            ordinal=2,
            relationship="child",
        )
    with pytest.raises(ValidationError):
        Coverage(
            practice=practice, patient=child, subscription=other, ordinal=5, relationship="child"
        ).full_clean()


def _history(subscription, **fields) -> InsuranceHistory:
    return InsuranceHistory(
        practice=subscription.practice,
        subscription=subscription,
        patient=subscription.subscriber,
        service_date=datetime.date(2026, 3, 2),
        **fields,
    )


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "paid", "code": "D2740", "amount": Decimal("640.00"), "tooth": "3"},
        {"kind": "pending", "code": "D2391", "tooth": "30", "surfaces": "MO"},
        {"kind": "benefits_used", "amount": Decimal("300.00"), "deductible": Decimal("50.00")},
        {"kind": "done_elsewhere", "code": "D1110"},
        {"kind": "paid", "code": "D4341", "area": "UR", "writeoff": Decimal("0.00")},
    ],
)
def test_valid_history(family, fields):
    entry = _history(family[0], **fields)
    entry.full_clean()
    entry.save()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "paid"}, "code"),
        ({"kind": "benefits_used", "code": "D2740"}, "code"),
        ({"kind": "benefits_used", "writeoff": Decimal("1")}, "writeoff"),
        ({"kind": "done_elsewhere", "code": "D1110", "amount": Decimal("80")}, "amount"),
        ({"kind": "paid", "code": "D2740", "tooth": "33"}, "tooth"),
        ({"kind": "paid", "code": "D2391", "surfaces": "MO"}, "surfaces"),
        ({"kind": "paid", "code": "D2391", "tooth": "3", "surfaces": "MM"}, "surfaces"),
        ({"kind": "paid", "code": "D2740", "tooth": "3", "area": "UR"}, "area"),
    ],
)
def test_invalid_history_names_the_field(family, fields, field):
    with pytest.raises(ValidationError) as error:
        _history(family[0], **fields).full_clean()
    assert field in error.value.message_dict


def test_practice_estimate_settings_have_the_contracts_defaults(practice):
    assert practice.blank_copay_is_zero is True
    assert not any(
        getattr(practice, name)
        for name in (
            "secondary_ppo_writeoffs",
            "zero_writeoff_when_max_reached",
            "zero_writeoff_on_frequency_or_age_limit",
            "office_fee_for_exclusions",
            "blank_fixed_benefit_is_zero",
            "blank_allowed_is_zero",
        )
    )
    assert practice.benefits_stale_after_days == 30


def test_benefit_factory_makes_a_valid_row(ppo):
    BenefitFactory(group_plan=ppo).full_clean()
