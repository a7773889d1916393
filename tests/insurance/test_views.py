"""Carrier and group plan pages: tenancy per object, bad input, copying, audit and settings."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent
from insurance.models import (
    Benefit,
    Carrier,
    DowngradeRule,
    FeeScheduleEntry,
    GroupPlan,
)
from tests.factories import (
    BenefitFactory,
    CarrierFactory,
    FeeScheduleEntryFactory,
    GroupPlanFactory,
)


@pytest.fixture(autouse=True)
def _reads_outside_requests():
    """The test's own reads see every practice; requests still run inside their practice's
    scope (the middleware enters it)."""
    with scopes_disabled():
        yield


@pytest.fixture
def ppo(practice):
    carrier = CarrierFactory(practice=practice, name="Delta Dental")
    plan = GroupPlanFactory(
        practice=practice, carrier=carrier, employer="Acme Tools", group_number="G-100"
    )
    BenefitFactory(group_plan=plan, practice=practice, scope="category:preventive", percent=100)
    BenefitFactory(
        group_plan=plan,
        practice=practice,
        kind="frequency",
        scope="code:D1110",
        percent=None,
        count=2,
        per="calendar_year",
    )
    DowngradeRule.objects.create(
        practice=practice, group_plan=plan, code="D2392", to_code="D2150", when="posterior"
    )
    FeeScheduleEntryFactory(group_plan=plan, practice=practice, code="D2740", amount="815.00")
    FeeScheduleEntryFactory(
        group_plan=plan, practice=practice, schedule="copay", code="D2740", amount="0.00"
    )
    return plan


def _snapshot(practice) -> tuple:
    """Everything the insurance pages can change, to show that a refusal changed nothing."""
    with scopes_disabled():
        return (
            sorted(Carrier.objects.filter(practice=practice).values_list()),
            sorted(map(str, GroupPlan.objects.filter(practice=practice).values_list())),
            sorted(map(str, Benefit.objects.filter(practice=practice).values_list())),
            sorted(DowngradeRule.objects.filter(practice=practice).values_list()),
            sorted(FeeScheduleEntry.objects.filter(practice=practice).values_list()),
        )


def _url(name, practice, **kwargs) -> str:
    return reverse(f"insurance:{name}", kwargs={"practice_slug": practice.slug, **kwargs})


# --- Tenancy: another practice's objects are 404, even through the user's own practice ---------

OBJECT_URLS = {
    "carrier_edit": ("GET", lambda plan: {"carrier_id": plan.carrier_id}),
    "plan_detail": ("GET", lambda plan: {"plan_id": plan.pk}),
    "plan_edit": ("GET", lambda plan: {"plan_id": plan.pk}),
    "plan_copy": ("POST", lambda plan: {"plan_id": plan.pk}),
    "benefit_create": ("GET", lambda plan: {"plan_id": plan.pk, "kind": "coverage"}),
    "benefit_edit": (
        "GET",
        lambda plan: {"plan_id": plan.pk, "benefit_id": plan.benefits.first().pk},
    ),
    "benefit_delete": (
        "POST",
        lambda plan: {"plan_id": plan.pk, "benefit_id": plan.benefits.first().pk},
    ),
    "downgrade_create": ("POST", lambda plan: {"plan_id": plan.pk}),
    "downgrade_delete": (
        "POST",
        lambda plan: {"plan_id": plan.pk, "rule_id": plan.downgrade_rules.first().pk},
    ),
    "fee_set": ("POST", lambda plan: {"plan_id": plan.pk, "schedule": "allowed"}),
    "fee_clear": ("POST", lambda plan: {"plan_id": plan.pk, "schedule": "allowed"}),
    "fee_export": ("GET", lambda plan: {"plan_id": plan.pk, "schedule": "allowed"}),
    "fee_import": ("GET", lambda plan: {"plan_id": plan.pk, "schedule": "allowed"}),
    "fee_import_preview": ("GET", lambda plan: {"plan_id": plan.pk, "schedule": "allowed"}),
}


@pytest.mark.parametrize("name", OBJECT_URLS)
def test_another_practices_objects_are_not_found(
    name, client_for, charlie, other_practice, practice, ppo
):
    method, kwargs = OBJECT_URLS[name]
    with scopes_disabled():
        url = _url(name, other_practice, **kwargs(ppo))
    before = _snapshot(practice)
    client = client_for(charlie)
    response = client.post(url, {"employer": "X"}) if method == "POST" else client.get(url)
    assert response.status_code == 404
    assert _snapshot(practice) == before


def test_a_row_of_another_plan_is_not_found_under_this_plan(client_for, bob, practice, ppo):
    other = GroupPlanFactory(practice=practice, carrier=ppo.carrier)
    with scopes_disabled():
        benefit = ppo.benefits.first()
        rule = ppo.downgrade_rules.first()
    client = client_for(bob)
    assert (
        client.get(
            _url("benefit_edit", practice, plan_id=other.pk, benefit_id=benefit.pk)
        ).status_code
        == 404
    )
    response = client.post(_url("downgrade_delete", practice, plan_id=other.pk, rule_id=rule.pk))
    assert response.status_code == 404
    with scopes_disabled():
        assert DowngradeRule.objects.filter(pk=rule.pk).exists()


@pytest.mark.parametrize("schedule", ["plan_fees", "fixed_benefit", "nonsense"])
def test_a_schedule_the_plan_type_does_not_use_is_not_found(
    client_for, bob, practice, ppo, schedule
):
    response = client_for(bob).get(_url("fee_import", practice, plan_id=ppo.pk, schedule=schedule))
    assert response.status_code == 404


# --- Bad input: the form again with the reason, and nothing changed ----------------------------


def _plan_data(ppo, **changes) -> dict:
    data = {
        "carrier": str(ppo.carrier_id),
        "employer": "Acme Tools",
        "group_number": "G-100",
        "plan_type": "ppo",
        "cob_rule": "standard",
        "renewal_month": "1",
        "downgrades_enabled": "on",
        "writeoff_on_downgraded": "on",
        "benefits_source": "assumed",
        "is_active": "on",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


BAD_POSTS = {
    "carrier without a name": (
        "carrier_create",
        {},
        {"name": "", "phone": ""},
        "This field is required",
    ),
    "carrier with a bad phone": (
        "carrier_create",
        {},
        {"name": "Aetna", "phone": "call us"},
        "not a phone",
    ),
    "plan without employer, group or name": (
        "plan_create",
        {},
        lambda ppo: _plan_data(ppo, employer="", group_number=""),
        "Give the employer",
    ),
    "plan with a 13th month": (
        "plan_edit",
        {"plan_id": True},
        lambda ppo: _plan_data(ppo, renewal_month="13"),
        "Select a valid choice",
    ),
    "plan checked in the future": (
        "plan_edit",
        {"plan_id": True},
        lambda ppo: _plan_data(ppo, benefits_updated_on="2999-01-01"),
        "in the future",
    ),
    "plan with another practice's carrier": (
        "plan_edit",
        {"plan_id": True},
        "other_carrier",
        "Select a valid choice",
    ),
    "ppo turned fixed-benefit with copays on file": (
        "plan_edit",
        {"plan_id": True},
        lambda ppo: _plan_data(ppo, plan_type="ppo_fixed_benefit"),
        "does not use copays",
    ),
    "copy for nobody": ("plan_copy", {"plan_id": True}, {"employer": ""}, "Give the employer"),
    "coverage over 100%": (
        "benefit_create",
        {"plan_id": True, "kind": "coverage"},
        {"applies_to": "general", "percent": "150"},
        "less than or equal to 100",
    ),
    "frequency on a category": (
        "benefit_create",
        {"plan_id": True, "kind": "frequency"},
        {"applies_to": "category:preventive", "count": "2", "per": "calendar_year"},
        "This field is required",
    ),
    "frequency with a bad code": (
        "benefit_create",
        {"plan_id": True, "kind": "frequency"},
        {"applies_to": "codes", "codes": "D1110, 0120", "count": "2", "per": "calendar_year"},
        "not a procedure code",
    ),
    "frequency every … without a number": (
        "benefit_create",
        {"plan_id": True, "kind": "frequency"},
        {"applies_to": "codes", "codes": "D2740", "count": "1", "per": "years"},
        "How many months or years",
    ),
    "exclusion of the whole plan": (
        "benefit_create",
        {"plan_id": True, "kind": "exclusion"},
        {"applies_to": "general"},
        "Select a valid choice",
    ),
    "deductible without an amount": (
        "benefit_create",
        {"plan_id": True, "kind": "deductible"},
        {"applies_to": "general", "amount": "", "level": "individual", "period": "benefit_year"},
        "This field is required",
    ),
    "codes with a category": (
        "benefit_create",
        {"plan_id": True, "kind": "coverage"},
        {"applies_to": "category:crowns", "codes": "D2740", "percent": "50"},
        "only for",
    ),
    "downgrade to itself": (
        "downgrade_create",
        {"plan_id": True},
        {"code": "D2392", "to_code": "D2392", "when": "always"},
        "a different code",
    ),
    "a second posterior downgrade for a code": (
        "downgrade_create",
        {"plan_id": True},
        {"code": "D2392", "to_code": "D2140", "when": "posterior"},
        "already has a rule",
    ),
    "negative fee": (
        "fee_set",
        {"plan_id": True, "schedule": "allowed"},
        {"code": "D2740", "amount": "-5"},
        "cannot be negative",
    ),
    "fee with a decimal comma": (
        "fee_set",
        {"plan_id": True, "schedule": "allowed"},
        {"code": "D2740", "amount": "12,50"},
        "Enter an amount",
    ),
    "fee for a non-code": (
        "fee_set",
        {"plan_id": True, "schedule": "allowed"},
        {"code": "2740", "amount": "12.50"},
        "not a procedure code",
    ),
}


@pytest.mark.parametrize("case", BAD_POSTS)
def test_bad_input_shows_the_form_again_and_changes_nothing(
    case, client_for, alice, practice, other_practice, ppo
):
    name, kwargs, data, message = BAD_POSTS[case]
    kwargs = {key: ppo.pk if value is True else value for key, value in kwargs.items()}
    if data == "other_carrier":
        data = _plan_data(ppo, carrier=str(CarrierFactory(practice=other_practice).pk))
    elif callable(data):
        data = data(ppo)
    before = _snapshot(practice)
    events = AuditEvent.objects.count()

    response = client_for(alice).post(_url(name, practice, **kwargs), data)

    assert response.status_code == 422
    assert message in response.content.decode()
    assert _snapshot(practice) == before
    assert AuditEvent.objects.count() == events


# --- What the pages do -------------------------------------------------------------------------


def test_adding_a_group_plan_and_its_benefits(client_for, alice, practice, ppo):
    client = client_for(alice)
    response = client.post(
        _url("plan_create", practice),
        _plan_data(
            ppo, employer="Beta Works", group_number="", zero_writeoff_when_max_reached="no"
        ),
    )
    assert response.status_code == 302
    with scopes_disabled():
        plan = GroupPlan.objects.get(practice=practice, employer="Beta Works")
    assert response["Location"] == _url("plan_detail", practice, plan_id=plan.pk)
    assert plan.zero_writeoff_when_max_reached is False
    assert plan.office_fee_for_exclusions is None

    posts = [
        (
            "frequency",
            {"applies_to": "codes", "codes": "d0120 d0150", "count": "2", "per": "calendar_year"},
        ),
        (
            "frequency",
            {
                "applies_to": "codes",
                "codes": "D2740",
                "count": "1",
                "per": "years",
                "per_count": "5",
                "area": "tooth",
            },
        ),
        (
            "deductible",
            {
                "applies_to": "general",
                "amount": "50",
                "level": "individual",
                "period": "benefit_year",
            },
        ),
        (
            "maximum",
            {
                "applies_to": "category:orthodontics",
                "amount": "2000",
                "level": "individual",
                "period": "lifetime",
            },
        ),
        ("coverage", {"applies_to": "codes", "codes": "D2740", "percent": "50"}),
        ("age_limit", {"applies_to": "category:orthodontics", "max_age": "18"}),
        ("waiting_period", {"applies_to": "category:crowns", "months": "12"}),
        ("exclusion", {"applies_to": "codes", "codes": "D9972"}),
    ]
    for kind, data in posts:
        response = client.post(_url("benefit_create", practice, plan_id=plan.pk, kind=kind), data)
        assert response.status_code == 302, response.content.decode()
    with scopes_disabled():
        rows = {
            (
                b.kind,
                b.scope,
                b.percent,
                b.amount,
                b.level,
                b.period,
                b.count,
                b.per,
                b.area,
                b.max_age,
                b.months,
            )
            for b in plan.benefits.all()
        }
    assert rows == {
        (
            "frequency",
            "code_group:D0120,D0150",
            None,
            None,
            "",
            "",
            2,
            "calendar_year",
            "",
            None,
            None,
        ),
        ("frequency", "code:D2740", None, None, "", "", 1, "years:5", "tooth", None, None),
        (
            "deductible",
            "general",
            None,
            Decimal("50.00"),
            "individual",
            "benefit_year",
            None,
            "",
            "",
            None,
            None,
        ),
        (
            "maximum",
            "category:orthodontics",
            None,
            Decimal("2000.00"),
            "individual",
            "lifetime",
            None,
            "",
            "",
            None,
            None,
        ),
        ("coverage", "code:D2740", 50, None, "", "", None, "", "", None, None),
        ("age_limit", "category:orthodontics", None, None, "", "", None, "", "", 18, None),
        ("waiting_period", "category:crowns", None, None, "", "", None, "", "", None, 12),
        ("exclusion", "code:D9972", None, None, "", "", None, "", "", None, None),
    }
    page = client.get(_url("plan_detail", practice, plan_id=plan.pk)).content.decode()
    assert "D0120, D0150" in page
    assert "every 5 years" in page
    assert "Covered through age 18" in page


def test_editing_a_benefit_from_an_eligibility_check_makes_it_manual(
    client_for, bob, practice, ppo
):
    with scopes_disabled():
        benefit = ppo.benefits.get(kind="coverage")
        Benefit.objects.filter(pk=benefit.pk).update(source="eligibility_271")
    client = client_for(bob)
    page = client.get(_url("benefit_edit", practice, plan_id=ppo.pk, benefit_id=benefit.pk))
    assert "came from an eligibility check" in page.content.decode()
    assert re.search(r'<option value="category:preventive" selected>', page.content.decode())
    response = client.post(
        _url("benefit_edit", practice, plan_id=ppo.pk, benefit_id=benefit.pk),
        {"applies_to": "category:preventive", "percent": "80"},
    )
    assert response.status_code == 302
    benefit.refresh_from_db()
    assert (benefit.percent, benefit.source) == (80, "manual")
    event = AuditEvent.objects.filter(action="insurance.benefit_updated").get()
    assert event.detail == {"kind": "coverage", "fields": ["percent"]}


def test_removing_a_benefit(client_for, alice, practice, ppo):
    with scopes_disabled():
        benefit = ppo.benefits.get(kind="frequency")
    response = client_for(alice).post(
        _url("benefit_delete", practice, plan_id=ppo.pk, benefit_id=benefit.pk)
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#benefits-frequency")
    with scopes_disabled():
        assert not Benefit.objects.filter(pk=benefit.pk).exists()
    assert AuditEvent.objects.filter(
        action="insurance.benefit_deleted", object_id=str(benefit.pk)
    ).exists()


def test_copying_a_plan_for_another_employer(client_for, alice, practice, ppo):
    GroupPlan.objects.filter(pk=ppo.pk).update(
        benefits_source="eligibility_271", notes="Call first"
    )
    response = client_for(alice).post(
        _url("plan_copy", practice, plan_id=ppo.pk),
        {"employer": "Beta Works", "group_number": "G-200"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        copy = GroupPlan.objects.get(practice=practice, employer="Beta Works")
        assert response["Location"] == _url("plan_detail", practice, plan_id=copy.pk)
        assert (copy.carrier_id, copy.plan_type, copy.group_number, copy.notes) == (
            ppo.carrier_id,
            "ppo",
            "G-200",
            "Call first",
        )
        assert (copy.benefits_source, copy.benefits_updated_on) == ("assumed", None)

        def rows(plan):
            return (
                sorted((b.kind, b.scope, b.percent, b.count, b.per) for b in plan.benefits.all()),
                sorted(plan.downgrade_rules.values_list("code", "to_code", "when")),
                sorted(plan.fees.values_list("schedule", "code", "amount")),
            )

        assert rows(copy) == rows(ppo)
        assert ppo.benefits.count() == 2  # the template keeps its own rows
    assert AuditEvent.objects.filter(
        action="insurance.group_plan_copied", object_id=str(copy.pk)
    ).exists()


def test_changing_the_plan_type_after_removing_its_copays(client_for, bob, practice, ppo):
    client = client_for(bob)
    response = client.post(_url("fee_clear", practice, plan_id=ppo.pk, schedule="copay"))
    assert response.status_code == 302
    response = client.post(
        _url("plan_edit", practice, plan_id=ppo.pk), _plan_data(ppo, plan_type="ppo_fixed_benefit")
    )
    assert response.status_code == 302
    ppo.refresh_from_db()
    assert ppo.plan_type == "ppo_fixed_benefit"
    event = AuditEvent.objects.filter(action="insurance.group_plan_updated").get()
    assert event.detail == {"fields": ["plan_type"]}


def test_one_fee_set_changed_and_removed(client_for, alice, practice, ppo):
    client = client_for(alice)
    url = _url("fee_set", practice, plan_id=ppo.pk, schedule="allowed")

    def on_file():
        with scopes_disabled():
            return dict(ppo.fees.filter(schedule="allowed").values_list("code", "amount"))

    assert client.post(url, {"code": "d0120", "amount": "0"}).status_code == 302
    assert on_file() == {"D2740": Decimal("815.00"), "D0120": Decimal("0.00")}
    assert client.post(url, {"code": "D2740", "amount": "800"}).status_code == 302
    assert client.post(url, {"code": "D0120", "amount": ""}).status_code == 302
    assert on_file() == {"D2740": Decimal("800.00")}
    assert client.get(f"{url}?code=D2740").status_code == 200
    actions = list(
        AuditEvent.objects.filter(action="insurance.fee_set").values_list("detail", flat=True)
    )
    assert [detail["outcome"] for detail in actions] == ["removed", "changed", "created"]


def test_the_export_reads_back_as_an_import(client_for, erin, practice, ppo):
    response = client_for(erin).get(
        _url("fee_export", practice, plan_id=ppo.pk, schedule="allowed")
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="G-100-allowed.csv"' in response["Content-Disposition"]
    assert response.content.decode() == "code,amount\r\nD2740,815.00\r\n"


def test_carriers_added_and_changed(client_for, alice, practice):
    client = client_for(alice)
    response = client.post(
        _url("carrier_create", practice),
        {"name": " Guardian ", "payer_id": "gi813", "phone": "(312) 555-0142"},
    )
    assert response.status_code == 302
    with scopes_disabled():
        carrier = Carrier.objects.get(practice=practice)
    assert (carrier.name, carrier.payer_id, carrier.phone) == ("Guardian", "GI813", "+13125550142")
    response = client.post(
        _url("carrier_edit", practice, carrier_id=carrier.pk),
        {
            "name": "Guardian",
            "payer_id": "GI813",
            "phone": "+13125550142",
            "coinsurance_inverted": "on",
        },
    )
    assert response.status_code == 302
    carrier.refresh_from_db()
    assert carrier.coinsurance_inverted
    assert not carrier.is_active
    event = AuditEvent.objects.filter(action="insurance.carrier_updated").get()
    assert event.detail == {"fields": ["coinsurance_inverted", "is_active"]}
    page = client.get(_url("plan_create", practice)).content.decode()
    assert ">Guardian</option>" not in page  # an inactive carrier is not offered for new plans


def test_plans_are_found_by_employer_group_number_or_carrier(client_for, dave, practice, ppo):
    GroupPlanFactory(practice=practice, employer="Zeta Corp", group_number="Z-9")
    client = client_for(dave)
    for query, found in (("acme", True), ("G-10", True), ("delta", True), ("zeta", False)):
        page = client.get(_url("plans", practice), {"q": query}).content.decode()
        assert ("Acme Tools" in page) == found, query
    partial = client.get(
        _url("plans", practice),
        {"q": "zeta"},
        headers={"HX-Request": "true", "HX-Target": "plan-results"},
    ).content.decode()
    assert "Zeta Corp" in partial
    assert "<html" not in partial
    page = client.get(_url("plans", practice), {"carrier": str(ppo.carrier_id)}).content.decode()
    assert "Acme Tools" in page
    assert "Zeta Corp" not in page


def test_viewers_see_no_edit_controls(client_for, dave, practice, ppo):
    page = client_for(dave).get(_url("plan_detail", practice, plan_id=ppo.pk)).content.decode()
    assert "Export CSV" in page
    for control in ("Import CSV", "Remove all", "Add downgrade", ">Edit<", "Copy for another"):
        assert control not in page


@pytest.mark.parametrize("user", ["alice", "dave", "erin"])
def test_insurance_in_the_navigation(request, client_for, practice, user):
    page = client_for(request.getfixturevalue(user)).get(
        reverse("patients:list", args=[practice.slug])
    )
    assert f'<a href="{_url("plans", practice)}">Insurance</a>' in page.content.decode()


def test_practice_settings_show_and_save_the_estimate_settings(client_for, bob, practice):
    client = client_for(bob)
    url = reverse("practice_settings", args=[practice.slug])
    page = client.get(url).content.decode()
    assert "Insurance estimates" in page
    assert "A missing copay means no copay" in page
    response = client.post(
        url,
        {
            "name": practice.name,
            "timezone": practice.timezone,
            "secondary_ppo_writeoffs": "on",
            "benefits_stale_after_days": "45",
        },
    )
    assert response.status_code == 302
    practice.refresh_from_db()
    assert practice.secondary_ppo_writeoffs
    assert not practice.blank_copay_is_zero
    assert practice.benefits_stale_after_days == 45
    bad = client.post(
        url,
        {"name": practice.name, "timezone": practice.timezone, "benefits_stale_after_days": "0"},
    )
    assert bad.status_code == 422
    practice.refresh_from_db()
    assert practice.benefits_stale_after_days == 45
