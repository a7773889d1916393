"""Insurance estimates on the plan page and the presentation page, and moving phases between
benefit years (rules document, sections 25-26)."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent
from plans import services
from plans.models import Phase, Presentation
from tests.factories import MembershipFactory, PatientFactory, UserFactory
from tests.insurance.coverage_builders import cover, group_plan, used
from tests.plans.builder_helpers import (
    add_procedure,
    make_catalog,
    reload,
    request_as,
    start_plan,
)

NOW = datetime.datetime(2026, 11, 27, 15, 0, tzinfo=datetime.UTC)
PPO_FEES = {("allowed", "D2740"): "820.00", ("allowed", "D2391"): "150.00"}
VERIFIED = {
    "benefits_source": "eligibility_271",
    "benefits_updated_on": datetime.date(2026, 11, 13),
}
HTMX = {"HX-Request": "true", "HX-Target": "builder"}
# What the three benefit-year forms post between them.
EVERY_FIELD = {"benefit_year": "next", "may_wait_months": "6", "next_year_phases": "2"}


@pytest.fixture(autouse=True)
def _today(time_machine):
    time_machine.move_to(NOW, tick=False)


@pytest.fixture
def catalog(practice):
    return make_catalog(practice)


@pytest.fixture
def insured(patient):
    """A patient with a birth date on file (the factory's is random)."""
    with scopes_disabled():
        patient.birth_date = datetime.date(1980, 5, 1)
        patient.save(update_fields=["birth_date"])
    return patient


@pytest.fixture
def plan(practice, insured, dave, catalog):
    return start_plan(practice, insured, dave, title="Both sides")


def _url(name: str, plan, *ids) -> str:
    return reverse(f"plans:{name}", args=[plan.practice.slug, plan.pk, *ids])


def _page(client, plan, **params) -> str:
    response = client.get(_url("detail", plan), params)
    assert response.status_code == 200
    return response.content.decode()


def _row(html: str, procedure) -> str:
    """One procedure's row and its estimate line."""
    start = html.index(f'id="procedure-{procedure.pk}"')
    end = html.index("</tr>", html.index('class="estimate-detail"', start))
    return html[start:end]


def _cells(row: str) -> tuple[str, str, str]:
    return tuple(re.search(rf"data-{name}>([^<]*)<", row).group(1) for name in _CELLS)


_CELLS = ("insurance", "writeoff", "patient")


def _option_estimate(html: str) -> tuple[str, str, str]:
    block = html[html.index("data-option-estimate") :]
    return _cells(block[: block.index("</dl>")])


def _first_option(plan):
    with scopes_disabled():
        return plan.options.get()


def _second_phase(plan, catalog, tooth="30") -> tuple[Phase, object]:
    """A second phase with a crown in it."""
    with scopes_disabled():
        plan.refresh_from_db()
        option = plan.options.get()
        phase = services.phase_add(
            option=option, request=request_as(plan.dentist), expected_version=plan.version
        )
    crown = add_procedure(plan, catalog["crown"], tooth=tooth)
    return phase, crown


# What the page shows


def test_a_ppo_patient_sees_insurance_writeoff_and_patient_portion(
    client_for, alice, practice, insured, plan, catalog
):
    coverage = cover(insured, group_plan(practice, fees=PPO_FEES, **VERIFIED))
    used(coverage, amount="1000.00", deductible="25.00")  # $500 of the maximum left
    crown = add_procedure(plan, catalog["crown"], tooth="19")
    filling = add_procedure(plan, catalog["filling"], tooth="3", surfaces="O")

    html = _page(client_for(alice), plan)

    # Filling: (150 allowed - 25 deductible) x 80% = 100. Crown: 820 x 50% = 410, capped by
    # the 400 left of the maximum; write-off 1250 - 820.
    assert _cells(_row(html, filling)) == ("$100.00", "$45.00", "$50.00")
    assert _cells(_row(html, crown)) == ("$400.00", "$430.00", "$420.00")
    filling_line = _row(html, filling)
    assert "Deductible applied $25.00" in filling_line
    assert "Delta Test (primary) $100.00 (80% of $150.00 allowed)" in filling_line
    assert "The annual maximum is reached." in _row(html, crown)
    assert _option_estimate(html) == ("$500.00", "$475.00", "$470.00")
    assert "Estimate, not a guarantee" in html
    # The coverage: where its data came from, its age, and what this option uses of it.
    assert "Delta Test (primary)" in html
    assert "Benefits verified by eligibility check 14 days ago" in html
    assert "(Nov 13, 2026)" in html
    assert "$500.00 → $0.00 after this option" in html
    assert "$25.00 → $0.00" in html
    assert "estimate-warnings" not in html
    assert "No insurance on file" not in html
    # The phase's totals add up the rows.
    footer = html[html.index("data-phase-estimate") :]
    assert _cells(footer[: footer.index("</tr>")]) == ("$500.00", "$475.00", "$470.00")


def test_dual_coverage_shows_each_plans_share(client_for, alice, practice, insured, plan, catalog):
    cover(insured, group_plan(practice, fees=PPO_FEES, **VERIFIED))
    spouse = group_plan(
        practice,
        plan_type="percentage",
        carrier="Spouse Mutual",
        benefits=[{"kind": "coverage", "scope": "category:crowns", "percent": 50}],
        **VERIFIED,
    )
    cover(insured, spouse, ordinal=2)
    crown = add_procedure(plan, catalog["crown"], tooth="19")

    html = _page(client_for(alice), plan)

    # Primary (820 - 50) x 50% = 385; the secondary pays the 435 the patient still owes.
    assert _cells(_row(html, crown)) == ("$820.00", "$430.00", "$0.00")
    line = _row(html, crown)
    assert "Delta Test (primary) $385.00 (50% of $820.00 allowed)" in line
    assert "Spouse Mutual (secondary) $435.00" in line
    assert html.count("data-coverage") == 2
    assert "Spouse Mutual (secondary)" in html


def test_stale_and_assumed_benefits_and_the_missing_tooth_clause_are_flagged(
    client_for, alice, practice, insured, plan, catalog
):
    cover(insured, group_plan(practice, fees=PPO_FEES, missing_tooth_clause=True))  # assumed
    stale = group_plan(
        practice,
        carrier="Old Data",
        benefits_source="manual",
        benefits_updated_on=datetime.date(2026, 9, 1),
    )
    cover(insured, stale, ordinal=2)
    bridge = add_procedure(plan, catalog["bridge"], tooth="4")

    html = _page(client_for(alice), plan)

    assert "Benefits assumed, not verified" in html
    assert "Benefits are assumed, not verified with the payer." in html
    assert "Benefits entered by hand 87 days ago" in html
    assert "Verified more than 30 days ago." in html
    assert html.count('class="coverage has-warnings"') == 2
    notes = _row(html, bridge)
    assert '<ul class="estimate-notes">' in notes
    # With two plans, each note says which plan it is about.
    assert "Delta Test (primary): This plan may not pay if the tooth was missing" in notes


def test_without_a_birth_date_age_limits_are_assumed_and_the_patient_can_be_edited(
    client_for, alice, dave, practice, insured, plan, catalog
):
    cover(insured, group_plan(practice, fees=PPO_FEES, **VERIFIED))
    add_procedure(plan, catalog["crown"], tooth="19")
    with scopes_disabled():
        insured.birth_date = None
        insured.save(update_fields=["birth_date"])

    html = _page(client_for(alice), plan)

    assert "age limits assume the patient is past them" in html
    assert reverse("patients:edit", args=[practice.slug, insured.pk]) in html
    # A dentist cannot edit patients: the warning, without the link.
    html = _page(client_for(dave), plan)
    assert "age limits assume the patient is past them" in html
    assert reverse("patients:edit", args=[practice.slug, insured.pk]) not in html


def test_without_insurance_the_page_shows_fees_only(client_for, alice, plan, catalog):
    add_procedure(plan, catalog["crown"], tooth="19")

    html = _page(client_for(alice), plan)

    assert "No insurance on file — the patient pays the full fee." in html
    assert "Write-off" not in html
    assert "data-option-estimate" not in html
    assert "estimate-detail" not in html
    assert "Move to next benefit year" not in html
    assert "$1,250.00" in html


def test_declined_work_has_no_estimate(client_for, alice, practice, insured, plan, catalog):
    cover(insured, group_plan(practice, fees=PPO_FEES, **VERIFIED))
    crown = add_procedure(plan, catalog["crown"], tooth="19")
    filling = add_procedure(plan, catalog["filling"], tooth="3", surfaces="O")
    with scopes_disabled():
        services.procedure_decide(
            procedure=crown, request=request_as(alice), kind="declined", by=alice, reason="cost"
        )

    html = _page(client_for(alice), plan)

    crown_row = html[html.index(f'id="procedure-{crown.pk}"') :]
    crown_row = crown_row[: crown_row.index("</tr>")]
    assert "Declined: no estimate" in crown_row
    assert "data-insurance" not in crown_row
    assert _cells(_row(html, filling))[0] == "$80.00"  # (150 - 50 deductible) x 80%
    assert "(declined work not counted)" in html
    assert "declined work is not counted" in html


# Benefit years


def test_moving_a_phase_to_next_benefit_year_changes_the_estimate(
    client_for, alice, practice, insured, plan, catalog
):
    coverage = cover(insured, group_plan(practice, fees=PPO_FEES, **VERIFIED))
    used(coverage, amount="1400.00", deductible="50.00")  # $100 of the maximum left
    add_procedure(plan, catalog["crown"], tooth="19")
    phase, later_crown = _second_phase(plan, catalog)
    client = client_for(alice)

    before = _page(client, plan)
    assert _cells(_row(before, later_crown))[0] == "$0.00"
    assert "Next benefit year (from" not in before
    version = reload(plan).version

    response = client.post(
        _url("phase_benefit_year", plan, phase.pk),
        {"version": version, "benefit_year": "next"},
        headers=HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "Phase 2 is planned for the next benefit year" in html
    assert "Next benefit year (from 1 Jan 2027)" in html
    # A fresh maximum and deductible: (820 - 50) x 50%.
    assert _cells(_row(html, later_crown))[0] == "$385.00"
    assert "$1,115.00 of the maximum left after the phases planned from 1 Jan 2027" in html
    assert "Back to this benefit year" in html
    assert reload(phase).next_benefit_year
    assert reload(plan).version == version + 1
    with scopes_disabled():
        event = AuditEvent.objects.get(action="plan.phase_benefit_year")
    assert event.detail == {"phase": 2, "next_benefit_year": True}

    back = client.post(
        _url("phase_benefit_year", plan, phase.pk),
        {"version": version + 1, "benefit_year": "this"},
    )
    assert back.status_code == 302
    assert not reload(phase).next_benefit_year
    assert _cells(_row(_page(client, plan), later_crown))[0] == "$0.00"


def test_the_dentist_lets_a_phase_wait_and_the_split_is_suggested_and_applied(
    client_for, alice, dave, practice, insured, plan, catalog
):
    coverage = cover(insured, group_plan(practice, fees=PPO_FEES, **VERIFIED))
    used(coverage, amount="1400.00", deductible="50.00")
    add_procedure(plan, catalog["crown"], tooth="19")
    phase, later_crown = _second_phase(plan, catalog)
    suggestion = "Doing phase 2 after the plan renews on 1 Jan 2027 saves the patient $385.00"
    assert suggestion not in _page(client_for(alice), plan)  # no phase may wait yet

    too_long = client_for(dave).post(
        _url("phase_wait", plan, phase.pk),
        {"version": reload(plan).version, "may_wait_months": "25"},
        headers=HTMX,
    )
    assert too_long.status_code == 422
    assert "less than or equal to 24" in too_long.content.decode()
    assert reload(phase).may_wait_months == 0

    waited = client_for(dave).post(
        _url("phase_wait", plan, phase.pk),
        {"version": reload(plan).version, "may_wait_months": "2"},
        headers=HTMX,
    )
    assert waited.status_code == 200
    html = waited.content.decode()
    assert "May wait up to 2 months" in html
    assert suggestion in html
    assert 'name="next_year_phases" value="2"' in html
    assert reload(phase).may_wait_months == 2

    applied = client_for(alice).post(
        _url("option_split", plan, phase.option_id),
        {"version": reload(plan).version, "next_year_phases": "2"},
        headers=HTMX,
    )

    assert applied.status_code == 200
    html = applied.content.decode()
    assert "Split applied" in html
    assert suggestion not in html
    assert _cells(_row(html, later_crown))[0] == "$385.00"
    assert reload(phase).next_benefit_year
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="plan.benefit_years_split").count() == 1


def test_a_split_naming_a_phase_the_option_lacks_is_refused(
    client_for, alice, practice, insured, plan, catalog
):
    cover(insured, group_plan(practice, fees=PPO_FEES, **VERIFIED))
    add_procedure(plan, catalog["crown"], tooth="19")
    version = reload(plan).version
    client = client_for(alice)
    for phases in ("7", "two"):
        response = client.post(
            _url("option_split", plan, _first_option(plan).pk),
            {"version": version, "next_year_phases": phases},
            headers=HTMX,
        )
        assert response.status_code == 422
    assert reload(plan).version == version


def test_a_wrong_version_is_refused_and_changes_nothing(
    client_for, alice, practice, insured, plan, catalog
):
    cover(insured, group_plan(practice, fees=PPO_FEES, **VERIFIED))
    add_procedure(plan, catalog["crown"], tooth="19")
    phase, _ = _second_phase(plan, catalog)
    stale = reload(plan).version - 1
    client = client_for(alice)
    posts = [
        (_url("phase_benefit_year", plan, phase.pk), {"benefit_year": "next"}),
        (_url("phase_wait", plan, phase.pk), {"may_wait_months": "6"}),
        (_url("option_split", plan, phase.option_id), {"next_year_phases": "2"}),
    ]
    for url, data in posts:
        for headers in ({}, HTMX):
            response = client.post(url, {"version": stale, **data}, headers=headers)
            assert response.status_code == 422
            assert "Someone else changed this plan" in response.content.decode()
    after = reload(phase)
    assert (after.next_benefit_year, after.may_wait_months) == (False, 0)
    assert reload(plan).version == stale + 1


def test_a_closed_plan_refuses(client_for, alice, practice, insured, plan, catalog):
    cover(insured, group_plan(practice, fees=PPO_FEES, **VERIFIED))
    add_procedure(plan, catalog["crown"], tooth="19")
    phase, _ = _second_phase(plan, catalog)
    with scopes_disabled():
        services.plan_close(plan=reload(plan), request=request_as(alice), reason="abandoned")
    version = reload(plan).version
    client = client_for(alice)
    page = _page(client, plan)
    assert "Move to next benefit year" not in page
    assert "May wait…" not in page
    posts = [
        (_url("phase_benefit_year", plan, phase.pk), {"benefit_year": "next"}),
        (_url("phase_wait", plan, phase.pk), {"may_wait_months": "6"}),
        (_url("option_split", plan, phase.option_id), {"next_year_phases": "2"}),
    ]
    for url, data in posts:
        response = client.post(url, {"version": version, **data}, headers=HTMX)
        assert response.status_code == 422
        assert "This plan is closed: reopen it first." in response.content.decode()
    after = reload(phase)
    assert (after.next_benefit_year, after.may_wait_months) == (False, 0)
    assert reload(plan).version == version


@pytest.mark.parametrize("name", ["phase_benefit_year", "phase_wait", "option_split"])
def test_front_desk_cannot_move_phases(client_for, erin, practice, insured, plan, catalog, name):
    cover(insured, group_plan(practice, fees=PPO_FEES, **VERIFIED))
    add_procedure(plan, catalog["crown"], tooth="19")
    phase, _ = _second_phase(plan, catalog)
    target = phase.option_id if name == "option_split" else phase.pk
    version = reload(plan).version
    response = client_for(erin).post(
        _url(name, plan, target),
        {
            "version": version,
            "benefit_year": "next",
            "may_wait_months": "6",
            "next_year_phases": "2",
        },
        headers=HTMX,
    )
    assert response.status_code == 403
    assert reload(plan).version == version
    html = _page(client_for(erin), plan)
    assert "Move to next benefit year" not in html
    assert "May wait…" not in html


def test_another_practices_plan_and_phase_are_404(
    client_for, bob, alice, practice, other_practice, outsider_patient, plan, catalog
):
    b_dentist = UserFactory(email="dr.b@bright.example", name="Dr Bright")
    MembershipFactory(user=b_dentist, practice=other_practice, role="dentist")
    b_codes = make_catalog(other_practice)
    b_plan = start_plan(other_practice, outsider_patient, b_dentist, title="Quixote plan")
    add_procedure(b_plan, b_codes["crown"], tooth="3")
    with scopes_disabled():
        b_option = b_plan.options.get()
        b_phase = b_option.phases.get()
    data = {
        "version": reload(b_plan).version,
        "benefit_year": "next",
        "may_wait_months": "3",
        "next_year_phases": "1",
    }
    urls = [
        reverse("plans:phase_benefit_year", args=[practice.slug, b_plan.pk, b_phase.pk]),
        reverse("plans:phase_wait", args=[practice.slug, b_plan.pk, b_phase.pk]),
        reverse("plans:option_split", args=[practice.slug, b_plan.pk, b_option.pk]),
        # My plan with their phase or option inside.
        _url("phase_benefit_year", plan, b_phase.pk),
        _url("phase_wait", plan, b_phase.pk),
        _url("option_split", plan, b_option.pk),
    ]
    for url in urls:
        response = client_for(bob).post(url, data)
        assert response.status_code == 404, url
        assert b"Quixote" not in response.content
    after = reload(b_phase)
    assert (after.next_benefit_year, after.may_wait_months) == (False, 0)


# The presentation page


def _present(plan, user) -> Presentation:
    with scopes_disabled():
        return services.plan_present(
            plan=reload(plan),
            request=request_as(user),
            expected_version=None,
            presented_by=user,
            mode="in_person",
        )


def _presentation_url(plan, presentation) -> str:
    return reverse("overview:presentation", args=[plan.practice.slug, plan.pk, presentation.pk])


def test_the_presentation_shows_the_frozen_estimate_after_benefits_change(
    client_for, alice, practice, insured, plan, catalog
):
    manual = {"benefits_source": "manual", "benefits_updated_on": datetime.date(2026, 9, 1)}
    gp = group_plan(practice, fees=PPO_FEES, missing_tooth_clause=True, **manual)
    coverage = cover(insured, gp)
    used(coverage, amount="1000.00", deductible="25.00")
    add_procedure(plan, catalog["crown"], tooth="19")
    phase, _ = _second_phase(plan, catalog)
    add_procedure(plan, catalog["bridge"], tooth="4")
    with scopes_disabled():
        services.phase_set_benefit_year(
            phase=phase,
            request=request_as(alice),
            expected_version=reload(plan).version,
            next_benefit_year=True,
        )
    presentation = _present(plan, alice)
    # Later the payer's answer changes: the crown would be paid at 80%.
    with scopes_disabled():
        gp.benefits.filter(scope="category:crowns").update(percent=80)
        gp.benefits_source = "eligibility_271"
        gp.benefits_updated_on = datetime.date(2026, 11, 27)
        gp.save()

    html = client_for(alice).get(_presentation_url(plan, presentation)).content.decode()

    # As shown: (820 - the last 25 of the deductible) x 50% = 397.50.
    crown_row = html[html.index("<code>D2740</code>") :]
    crown_row = crown_row[: crown_row.index("</tr>")]
    assert _cells(crown_row) == ("$397.50", "$430.00", "$422.50")
    with scopes_disabled():
        shown = presentation.options.get()
    assert _option_estimate(html) == tuple(
        f"${amount:,}"
        for amount in (shown.total_insurance, shown.total_writeoff, shown.total_patient)
    )
    assert html.count('<span class="badge next-year">Next benefit year</span>') == 2
    assert "This plan may not pay if the tooth was missing before coverage started" in html
    assert "Benefits entered by hand 87 days before the presentation" in html
    assert "Verified more than 30 days ago." in html
    assert "$500.00 → " in html
    assert "Estimate, not a guarantee" in html
    assert "eligibility check" not in html


def test_a_presentation_without_an_estimate_shows_fees_only(client_for, alice, plan, catalog):
    add_procedure(plan, catalog["crown"], tooth="19")
    presentation = _present(plan, alice)  # no insurance on file: the estimate fields stay null

    html = client_for(alice).get(_presentation_url(plan, presentation)).content.decode()

    assert "$1,250.00" in html
    assert "Write-off" not in html
    assert "data-option-estimate" not in html
    assert "Estimate, not a guarantee" not in html


# Queries


def test_the_estimate_adds_a_fixed_handful_of_queries(
    client_for, alice, practice, insured, plan, catalog, dave, django_assert_num_queries
):
    """Without insurance, then with two coverages, their benefits and a year of history: the
    page runs the same queries for 2 or 20 procedures, and only a few more than without."""
    bare = start_plan(practice, PatientFactory(practice=practice), dave)
    for each in (bare, plan):
        add_procedure(each, catalog["crown"], tooth="19")
        add_procedure(each, catalog["filling"], tooth="3", surfaces="O")
    client = client_for(alice)
    _page(client, plan)  # the session's first page does a little more
    bare_url = _url("detail", bare)
    with CaptureQueriesContext(connection) as uninsured:
        client.get(bare_url)
    for ordinal in (1, 2):
        gp = group_plan(practice, carrier=f"Carrier {ordinal}", fees=PPO_FEES, **VERIFIED)
        coverage = cover(insured, gp, ordinal=ordinal)
        for month in range(12):
            day = datetime.date(2025, 12, 3) + datetime.timedelta(days=30 * month)
            used(coverage, day=day, amount="20.00")

    url = _url("detail", plan)
    with CaptureQueriesContext(connection) as insured_small:
        client.get(url)
    for _ in range(18):
        add_procedure(plan, catalog["exam"])
    with django_assert_num_queries(len(insured_small)):
        html = client.get(url).content.decode()

    assert html.count('class="estimate-detail"') == 20
    # Benefits, downgrades, fee schedules and history: one query each.
    assert len(insured_small) - len(uninsured) == 4, (len(uninsured), len(insured_small))
