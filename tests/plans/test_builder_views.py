"""The plan page: starting a plan, building it with htmx (or without JavaScript), and the rules."""

import datetime
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent
from plans.models import (
    Phase,
    PlannedProcedure,
    PlanStatus,
    Presentation,
    ProcedureCode,
    TreatmentOption,
    TreatmentPlan,
)
from tests.factories import MembershipFactory, PatientFactory, UserFactory
from tests.insurance.coverage_builders import cover, group_plan, used
from tests.plans.builder_helpers import (
    add_option,
    add_procedure,
    make_catalog,
    reload,
    start_plan,
)

HTMX = {"HX-Request": "true", "HX-Target": "builder"}
CONFLICT = "Someone else changed this plan"


@pytest.fixture
def codes(practice):
    return make_catalog(practice)


@pytest.fixture
def plan(practice, patient, dave, codes):
    return start_plan(practice, patient, dave, title="Lower left molar")


def _url(name: str, plan: TreatmentPlan, *ids) -> str:
    return reverse(f"plans:{name}", args=[plan.practice.slug, plan.pk, *ids])


def _first_option(plan) -> TreatmentOption:
    with scopes_disabled():
        return plan.options.order_by("position").first()


def _options(plan) -> list[TreatmentOption]:
    with scopes_disabled():
        return list(TreatmentOption.objects.filter(plan=plan).order_by("position"))


def _procedures(plan) -> list[PlannedProcedure]:
    with scopes_disabled():
        return list(
            PlannedProcedure.objects.filter(option__plan=plan)
            .select_related("procedure_code")
            .order_by("option__position", "phase__number", "position")
        )


def _version(plan) -> int:
    return reload(plan).version


def _add_form(plan, **data) -> dict:
    option = _first_option(plan)
    with scopes_disabled():
        phase = option.phases.order_by("number").first()
    return {"version": _version(plan), "phase": str(phase.pk), **data}


# Starting a plan


def test_a_coordinator_starts_a_plan_for_a_patient(client_for, alice, dave, practice, patient):
    client = client_for(alice)
    url = reverse("plans:create", args=[practice.slug, patient.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    # Only the practice's dentists can be chosen; alice is not one, so nobody is preselected.
    assert "Dave Dentist" in html
    assert "Alice Coordinator</option>" not in html
    assert "selected>Dave Dentist" not in html

    response = client.post(url, {"title": " Upper right ", "dentist": str(dave.pk)})
    with scopes_disabled():
        plan = TreatmentPlan.objects.get(patient=patient)
        option = plan.options.get()
        assert option.recommended
        assert option.phases.count() == 1
    assert response.status_code == 302
    assert response["Location"] == reverse("plans:detail", args=[practice.slug, plan.pk])
    assert plan.title == "Upper right"
    assert plan.dentist == dave
    assert plan.status == PlanStatus.DRAFT


def test_a_dentist_starting_a_plan_is_the_default_dentist(client_for, dave, practice, patient):
    page = client_for(dave).get(reverse("plans:create", args=[practice.slug, patient.pk]))
    assert re.search(
        rf'<option value="{dave.pk}" selected>Dave Dentist</option>', page.content.decode()
    )


def test_a_plan_needs_a_dentist(client_for, alice, dave, practice, patient):
    response = client_for(alice).post(
        reverse("plans:create", args=[practice.slug, patient.pk]),
        {"title": "x", "dentist": str(alice.pk)},
    )
    assert response.status_code == 422
    assert b"Select a valid choice" in response.content
    with scopes_disabled():
        assert not TreatmentPlan.objects.exists()


def test_without_a_dentist_no_plan_can_be_started(client_for, alice, practice, patient):
    url = reverse("plans:create", args=[practice.slug, patient.pk])
    page = client_for(alice).get(url).content.decode()
    assert "No dentist works at Smile North Dental in Coordinator yet" in page
    assert client_for(alice).post(url, {"title": "x"}).status_code == 422


def test_a_plan_for_another_practices_patient_is_404(
    client_for, bob, practice, outsider_patient, dave
):
    url = reverse("plans:create", args=[practice.slug, outsider_patient.pk])
    assert client_for(bob).get(url).status_code == 404
    assert client_for(bob).post(url, {"dentist": str(dave.pk)}).status_code == 404


# The page


def test_the_plan_page_shows_patient_options_phases_and_procedures(
    client_for, erin, practice, patient, plan, codes
):
    add_procedure(plan, codes["crown"], tooth="19")
    add_procedure(plan, codes["filling"], tooth="30", surfaces="OM")
    with scopes_disabled():
        bridge = add_option(plan, "Bridge")
    add_procedure(
        plan,
        codes["bridge"],
        option=bridge,
        tooth="19",
        fee=Decimal("1000"),
        fee_reason="Family discount",
    )

    response = client_for(erin).get(_url("detail", plan))
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/p/{practice.slug}/patients/{patient.pk}/"' in html
    assert "Lower left molar" in html
    assert "Dave Dentist" in html
    assert 'class="badge status status-draft">Draft<' in html
    assert f"version {reload(plan).version}" in html
    # Both options with their totals; the recommended one is shown in full.
    assert "$1,445.00" in html
    assert "$1,000.00" in html
    assert "★ Recommended" in html
    assert "Porcelain crown (cap) over the whole tooth" in html
    assert "Tooth 30 · MO" in html  # surfaces in their usual order
    assert 'aria-label="Tooth 19: D2740 (proposed)"' in html
    # Front desk sees the plan but no way to change it.
    assert "Add a procedure" not in html
    assert "Add option" not in html
    assert "Record presentation" not in html
    assert 'name="version"' not in html

    bridge_page = client_for(erin).get(_url("detail", plan), {"option": bridge.pk}).content.decode()
    assert "Fee changed: Family discount" in bridge_page


def test_viewing_the_plan_is_audited(client_for, alice, plan):
    client_for(alice).get(_url("detail", plan))
    with scopes_disabled():
        event = AuditEvent.objects.get(action="plan.viewed")
    assert event.actor == alice
    assert event.object_id == str(plan.pk)
    assert event.patient_id == plan.patient_id


def test_htmx_gets_the_builder_partial_only(client_for, alice, plan):
    client = client_for(alice)
    full = client.get(_url("detail", plan)).content.decode()
    partial = client.get(_url("detail", plan), headers=HTMX).content.decode()
    assert full.startswith("<!doctype html>")
    assert "<html" not in partial
    assert partial.strip().startswith('<div id="builder"')
    assert 'id="builder"' in full


def test_a_child_gets_the_primary_teeth_too(client_for, alice, practice, dave, codes):
    child = PatientFactory(practice=practice, birth_date=datetime.date(2019, 5, 1))
    plan = start_plan(practice, child, dave)
    html = client_for(alice).get(_url("detail", plan)).content.decode()
    assert "Primary teeth, A to T" in html
    assert 'data-tooth="K"' in html
    grown_up = PatientFactory(practice=practice, birth_date=datetime.date(1980, 1, 1))
    adult = client_for(alice).get(_url("detail", start_plan(practice, grown_up, dave)))
    adult = adult.content.decode()
    assert "Primary teeth, A to T" not in adult
    assert "Show primary teeth (A-T)" in adult


def test_a_tooth_link_fills_the_tooth_field_without_javascript(client_for, alice, plan):
    html = client_for(alice).get(_url("detail", plan), {"tooth": "14"}).content.decode()
    assert re.search(r'<input type="text" name="tooth" value="14"', html)
    assert 'data-tooth="14"' in html


# Adding procedures


def test_a_procedure_found_by_a_few_words_gets_the_catalog_fee(client_for, alice, plan):
    response = client_for(alice).post(
        _url("procedure_add", plan, _first_option(plan).pk),
        _add_form(plan, code_query="porcelain crown", tooth="14"),
        headers=HTMX,
    )
    assert response.status_code == 200
    [crown] = _procedures(plan)
    assert crown.procedure_code.code == "D2740"
    assert crown.tooth == "14"
    assert crown.fee == Decimal("1250.00")
    html = response.content.decode()
    assert "Added D2740" in html
    assert "$1,250.00" in html
    assert response["HX-Replace-Url"].startswith(_url("detail", plan))


@pytest.mark.parametrize("typed", ["D2391", "d2391", "2391"])
def test_a_procedure_found_by_its_code(client_for, alice, plan, typed):
    response = client_for(alice).post(
        _url("procedure_add", plan, _first_option(plan).pk),
        _add_form(plan, code_query=typed, tooth="30", surfaces="om"),
    )
    assert response.status_code == 302
    [filling] = _procedures(plan)
    assert (filling.procedure_code.code, filling.surfaces) == ("D2391", "MO")


def test_several_matches_ask_to_pick_one_then_the_pick_wins(client_for, alice, plan):
    client = client_for(alice)
    url = _url("procedure_add", plan, _first_option(plan).pk)
    response = client.post(url, _add_form(plan, code_query="white filling", tooth="30"))
    assert response.status_code == 422
    html = response.content.decode()
    assert "Several procedures match: pick one." in html
    assert 'value="D2391"' in html
    assert 'value="D2392"' in html
    assert _procedures(plan) == []

    response = client.post(
        url,
        _add_form(plan, code_query="white filling", code="D2392", tooth="30", surfaces="MOD"),
    )
    assert response.status_code == 302
    assert _procedures(plan)[0].procedure_code.code == "D2392"


def test_the_code_search_offers_active_codes_of_this_practice_only(
    client_for, alice, practice, other_practice, codes
):
    with scopes_disabled():
        ProcedureCode.objects.filter(pk=codes["filling2"].pk).update(is_active=False)
        ProcedureCode.objects.create(
            practice=other_practice,
            code="D2393",
            category="restorative",
            description="White filling on a back tooth, three sides",
            fee="300",
        )
    url = reverse("plans:code_search", args=[practice.slug])
    html = client_for(alice).get(url, {"code_query": "white filling"}, headers=HTMX).content
    html = html.decode()
    assert 'value="D2391"' in html
    assert "checked" in html  # the only match is picked already
    assert "D2392" not in html
    assert "D2393" not in html
    by_code = client_for(alice).get(url, {"code_query": "D27"}).content.decode()
    assert 'value="D2740"' in by_code
    nothing = client_for(alice).get(url, {"code_query": "zirconia"}).content.decode()
    assert "No active procedure matches “zirconia”" in nothing


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"code_query": "crown"}, "tooth", "This procedure needs a tooth."),
        ({"code_query": "crown", "tooth": "33"}, "tooth", "is not a tooth (1-32 or A-T)"),
        ({"code_query": "crown", "tooth": "3", "surfaces": "MO"}, "surfaces", "has no surfaces"),
        ({"code_query": "D2391", "tooth": "3", "surfaces": "MOM"}, "surfaces", "repeats a surface"),
        ({"code_query": "D2391", "tooth": "3"}, "surfaces", "A filling needs its surfaces"),
        ({"code_query": "D4341"}, "area", "needs a quadrant"),
        ({"code_query": "D4341", "area": "U"}, "area", "needs a quadrant"),
        ({"code_query": "D5110", "area": "UR"}, "area", "needs an arch"),
        ({"code_query": "crown", "tooth": "3", "fee": "900"}, "fee_reason", "Say why the fee"),
        ({"code_query": "crown", "tooth": "3", "fee": "-5"}, "fee", "greater than or equal to 0"),
        ({"code_query": ""}, "code_query", "Type a code or a few words"),
        ({"code_query": "zirconia"}, "code_query", "No procedure in the catalog matches"),
        ({"code_query": "x", "code": "D9999"}, "code_query", "D9999 is not in the catalog"),
    ],
)
def test_an_invalid_procedure_is_refused_next_to_its_field(
    client_for, alice, plan, data, field, message
):
    for headers in ({}, HTMX):
        response = client_for(alice).post(
            _url("procedure_add", plan, _first_option(plan).pk),
            _add_form(plan, **data),
            headers=headers,
        )
        assert response.status_code == 422
        html = response.content.decode()
        block = re.search(rf'<div class="field field-{field} has-error">(.*?)</div>', html, re.S)
        assert block, f"no error on {field}"
        assert message in block.group(1)
    assert _procedures(plan) == []
    assert reload(plan).version == plan.version


def test_a_changed_fee_needs_and_keeps_its_reason(client_for, alice, plan):
    response = client_for(alice).post(
        _url("procedure_add", plan, _first_option(plan).pk),
        _add_form(plan, code_query="D2740", tooth="3", fee="1100", fee_reason="Long-time patient"),
    )
    assert response.status_code == 302
    [crown] = _procedures(plan)
    assert (crown.fee, crown.fee_reason) == (Decimal("1100.00"), "Long-time patient")


# Editing, removing


def test_editing_a_procedure_changes_its_tooth_fee_and_phase(client_for, alice, plan, codes):
    crown = add_procedure(plan, codes["crown"], tooth="3")
    client = client_for(alice)
    option = _first_option(plan)
    client.post(_url("phase_add", plan, option.pk), {"version": _version(plan)}, headers=HTMX)
    with scopes_disabled():
        second = option.phases.get(number=2)

    form = client.get(_url("detail", plan), {"edit": crown.pk}, headers=HTMX).content.decode()
    assert f'action="{_url("procedure_edit", plan, crown.pk)}"' in form
    assert 'name="surfaces"' not in form.split('class="edit-procedure"')[1].split("</form>")[0]

    response = client.post(
        _url("procedure_edit", plan, crown.pk),
        {
            "version": _version(plan),
            "phase": str(second.pk),
            "tooth": "4",
            "fee": "1200",
            "fee_reason": "Insurance courtesy",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    crown = reload(crown)
    assert (crown.phase_id, crown.tooth, crown.fee) == (second.pk, "4", Decimal("1200.00"))
    assert crown.fee_reason == "Insurance courtesy"
    assert "Phase 2" in response.content.decode()


def test_an_invalid_edit_is_refused_in_the_row(client_for, alice, plan, codes):
    crown = add_procedure(plan, codes["crown"], tooth="3")
    response = client_for(alice).post(
        _url("procedure_edit", plan, crown.pk),
        {"version": _version(plan), "phase": str(crown.phase_id), "tooth": "", "fee": "1250"},
        headers=HTMX,
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="edit-procedure"' in html
    assert "This procedure needs a tooth." in html
    assert reload(crown).tooth == "3"


def test_removing_a_procedure_and_what_cannot_be_removed(client_for, alice, plan, codes):
    crown = add_procedure(plan, codes["crown"], tooth="3")
    filling = add_procedure(plan, codes["filling"], tooth="30", surfaces="O")
    client = client_for(alice)
    client.post(_url("diagnose", plan), {"version": _version(plan)})
    client.post(_url("procedure_decide", plan, filling.pk), {"kind": "accepted"})

    refused = client.post(
        _url("procedure_remove", plan, filling.pk), {"version": _version(plan)}, headers=HTMX
    )
    assert refused.status_code == 422
    assert "has a decision on record: decline it instead" in refused.content.decode()

    response = client.post(_url("procedure_remove", plan, crown.pk), {"version": _version(plan)})
    assert response.status_code == 302
    assert [p.pk for p in _procedures(plan)] == [filling.pk]


# Options and phases


def test_options_are_added_renamed_recommended_moved_and_removed(client_for, alice, plan):
    client = client_for(alice)
    response = client.post(
        _url("option_add", plan), {"version": _version(plan), "name": "Bridge"}, headers=HTMX
    )
    assert response.status_code == 200
    implant, bridge = _options(plan)
    assert "Option “Bridge” added" in response.content.decode()
    # The new option is the one shown next.
    assert bridge.pk.hex in response["HX-Replace-Url"].replace("-", "")

    client.post(
        _url("option_rename", plan, implant.pk), {"version": _version(plan), "name": "Implant"}
    )
    client.post(_url("option_recommend", plan, bridge.pk), {"version": _version(plan)})
    client.post(
        _url("option_move", plan, bridge.pk), {"version": _version(plan), "direction": "left"}
    )
    assert [(o.name, o.recommended) for o in _options(plan)] == [
        ("Bridge", True),
        ("Implant", False),
    ]

    response = client.post(_url("option_remove", plan, bridge.pk), {"version": _version(plan)})
    assert response.status_code == 302
    [left] = _options(plan)
    assert (left.name, left.recommended) == ("Implant", True)

    refused = client.post(
        _url("option_remove", plan, left.pk), {"version": _version(plan)}, headers=HTMX
    )
    assert refused.status_code == 422
    assert "A plan needs at least one option." in refused.content.decode()


def test_an_option_needs_a_name(client_for, alice, plan):
    response = client_for(alice).post(
        _url("option_add", plan), {"version": _version(plan), "name": "  "}, headers=HTMX
    )
    assert response.status_code == 422
    assert "This field is required." in response.content.decode()
    assert len(_options(plan)) == 1


def test_phases_are_added_renamed_and_removed_when_empty(client_for, alice, plan, codes):
    add_procedure(plan, codes["exam"])
    client = client_for(alice)
    option = _first_option(plan)
    client.post(_url("phase_add", plan, option.pk), {"version": _version(plan)})
    with scopes_disabled():
        first, second = Phase.objects.filter(option=option).order_by("number")
    client.post(
        _url("phase_rename", plan, second.pk), {"version": _version(plan), "name": "After healing"}
    )
    assert reload(second).name == "After healing"

    refused = client.post(
        _url("phase_remove", plan, first.pk), {"version": _version(plan)}, headers=HTMX
    )
    assert refused.status_code == 422
    assert "Move or remove this phase&#x27;s procedures first." in refused.content.decode()

    client.post(_url("phase_remove", plan, second.pk), {"version": _version(plan)})
    with scopes_disabled():
        assert list(option.phases.values_list("number", flat=True)) == [1]


# The version check


def test_a_stale_version_changes_nothing_and_says_reload(client_for, alice, bob, plan, codes):
    seen = _version(plan)
    client_for(bob).post(_url("option_add", plan), {"version": seen, "name": "Bridge"})
    for headers in ({}, HTMX):
        response = client_for(alice).post(
            _url("procedure_add", plan, _first_option(plan).pk),
            {**_add_form(plan, code_query="D2740", tooth="3"), "version": seen},
            headers=headers,
        )
        assert response.status_code == 422
        html = response.content.decode()
        assert CONFLICT in html
        assert "Reload" in html
        # The page shows the other person's change.
        assert "Bridge" in html
    assert _procedures(plan) == []
    assert reload(plan).version == seen + 1


def test_a_post_without_a_version_is_refused(client_for, alice, plan):
    response = client_for(alice).post(_url("option_add", plan), {"name": "Bridge"}, headers=HTMX)
    assert response.status_code == 422
    assert "This page is out of date" in response.content.decode()
    assert len(_options(plan)) == 1


# The plan: diagnose, close, reopen, details, present


def test_diagnose_close_and_reopen(client_for, dave, plan, codes):
    client = client_for(dave)
    empty = client.post(_url("diagnose", plan), {"version": _version(plan)}, headers=HTMX)
    assert empty.status_code == 422
    assert "Add at least one procedure before marking it diagnosed." in empty.content.decode()

    add_procedure(plan, codes["crown"], tooth="3")
    assert client.post(_url("diagnose", plan), {"version": _version(plan)}).status_code == 302
    assert reload(plan).status == PlanStatus.DIAGNOSED

    refused = client.post(_url("close", plan), {"reason": ""}, headers=HTMX)
    assert refused.status_code == 422
    assert reload(plan).closed_at is None

    client.post(_url("close", plan), {"reason": "abandoned"})
    closed = reload(plan)
    assert (closed.status, closed.close_reason) == (PlanStatus.CLOSED, "abandoned")
    page = client.get(_url("detail", plan)).content.decode()
    assert "Add a procedure" not in page
    assert "Reopen plan" in page

    again = client.post(_url("close", plan), {"reason": "expired"}, headers=HTMX)
    assert again.status_code == 422
    assert "This plan is already closed." in again.content.decode()

    client.post(_url("reopen", plan))
    assert reload(plan).status == PlanStatus.DIAGNOSED


def test_changing_the_title_and_dentist(client_for, alice, plan, dave, practice):
    response = client_for(alice).post(
        _url("update", plan),
        {"version": _version(plan), "title": "Both sides", "dentist": str(dave.pk)},
    )
    assert response.status_code == 302
    assert reload(plan).title == "Both sides"


def test_presenting_records_the_version_and_lists_it(client_for, alice, plan, codes):
    add_procedure(plan, codes["crown"], tooth="3")
    version = _version(plan)
    response = client_for(alice).post(
        _url("present", plan),
        {"version": version, "mode": "phone", "note": "Called her"},
        headers=HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"version {version} is kept exactly as shown" in html
    assert "Phone · by Alice Coordinator" in html
    with scopes_disabled():
        presentation = Presentation.objects.get(plan=plan)
    assert (presentation.plan_version, presentation.note) == (version, "Called her")
    assert reload(plan).status == PlanStatus.PRESENTED


def test_presenting_an_empty_plan_is_refused(client_for, alice, plan):
    response = client_for(alice).post(
        _url("present", plan), {"version": _version(plan), "mode": "in_person"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "There is nothing to present yet" in response.content.decode()
    with scopes_disabled():
        assert not Presentation.objects.exists()


# Who may do what


@pytest.mark.parametrize(
    ("name", "target"),
    [
        ("option_add", None),
        ("option_rename", "option"),
        ("option_remove", "option"),
        ("phase_add", "option"),
        ("procedure_add", "option"),
        ("procedure_edit", "procedure"),
        ("procedure_remove", "procedure"),
        ("diagnose", None),
        ("close", None),
        ("update", None),
        ("present", None),
        ("procedure_decide", "procedure"),
        ("option_accept", "option"),
    ],
)
def test_front_desk_cannot_change_anything(client_for, erin, plan, codes, name, target):
    crown = add_procedure(plan, codes["crown"], tooth="3")
    ids = {"option": [_first_option(plan).pk], "procedure": [crown.pk], None: []}[target]
    before = _version(plan)
    data = {
        "version": before,
        "name": "x",
        "fee": "1",
        "fee_reason": "x",
        "tooth": "4",
        "phase": str(crown.phase_id),
        "code_query": "D2740",
        "reason": "abandoned",
        "mode": "in_person",
        "kind": "accepted",
    }
    response = client_for(erin).post(_url(name, plan, *ids), data, headers=HTMX)
    assert response.status_code == 403
    after = reload(crown)
    assert (after.fee, after.tooth, after.status) == (crown.fee, crown.tooth, crown.status)
    assert _version(plan) == before


def test_a_dentist_edits_plans(client_for, dave, plan):
    response = client_for(dave).post(
        _url("procedure_add", plan, _first_option(plan).pk),
        _add_form(plan, code_query="D2740", tooth="3", fee="1000", fee_reason="Courtesy"),
        headers=HTMX,
    )
    assert response.status_code == 200
    assert _procedures(plan)[0].fee == Decimal("1000.00")


# Another practice's plan


@pytest.fixture
def b_plan(other_practice, outsider_patient):
    b_dentist = UserFactory(email="dr.b@bright.example", name="Dr Bright")
    MembershipFactory(user=b_dentist, practice=other_practice, role="dentist")
    codes = make_catalog(other_practice)
    plan = start_plan(other_practice, outsider_patient, b_dentist, title="Quixote plan")
    procedure = add_procedure(plan, codes["crown"], tooth="3")
    return plan, procedure


def test_another_practices_plan_under_my_slug_is_404(client_for, bob, practice, b_plan):
    plan, procedure = b_plan
    option = _first_option(plan)
    client = client_for(bob)
    urls = [
        reverse("plans:detail", args=[practice.slug, plan.pk]),
        reverse("plans:option_add", args=[practice.slug, plan.pk]),
        reverse("plans:present", args=[practice.slug, plan.pk]),
        reverse("plans:option_accept", args=[practice.slug, plan.pk, option.pk]),
        reverse("plans:procedure_add", args=[practice.slug, plan.pk, option.pk]),
        reverse("plans:procedure_decide", args=[practice.slug, plan.pk, procedure.pk]),
        reverse("plans:procedure_complete", args=[practice.slug, plan.pk, procedure.pk]),
    ]
    for url in urls:
        method = client.get if url.endswith(f"{plan.pk}/") else client.post
        response = method(url, {"version": 2, "name": "x", "kind": "accepted"})
        assert response.status_code == 404, url
        assert b"Quixote" not in response.content
    assert reload(procedure).status == "proposed"
    assert len(_options(plan)) == 1


def test_my_plan_through_my_option_ids_only(client_for, alice, practice, plan, b_plan, codes):
    """An id of another plan (of another practice) inside my plan's URL is 404 too."""
    b, b_procedure = b_plan
    crown = add_procedure(plan, codes["crown"], tooth="3")
    client = client_for(alice)
    assert (
        client.post(
            _url("procedure_decide", plan, b_procedure.pk), {"kind": "accepted"}
        ).status_code
        == 404
    )
    assert client.post(_url("option_accept", plan, _first_option(b).pk)).status_code == 404
    assert reload(crown).status == "proposed"


# Queries


def _seed(plan, codes, count: int) -> None:
    keys = ["crown", "filling", "srp", "exam", "implant"]
    sites = {
        "crown": {"tooth": "3"},
        "filling": {"tooth": "30", "surfaces": "MO"},
        "srp": {"area": "UR"},
        "exam": {},
        "implant": {"tooth": "19"},
    }
    for n in range(count):
        key = keys[n % len(keys)]
        add_procedure(plan, codes[key], **sites[key])


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "partial"])
def test_the_plan_page_runs_the_same_queries_for_2_and_40_procedures(
    client_for, alice, practice, patient, dave, codes, headers, django_assert_num_queries
):
    small, large = start_plan(practice, patient, dave), start_plan(practice, patient, dave)
    _seed(small, codes, 2)
    _seed(large, codes, 40)
    for plan in (small, large):
        bridge = add_option(plan, "Bridge")
        add_procedure(plan, codes["bridge"], option=bridge, tooth="19")
        plan.refresh_from_db()
    client = client_for(alice)
    # Decisions and a presentation on both, so their history is on the page too.
    for plan in (small, large):
        client.post(_url("present", plan), {"version": _version(plan), "mode": "in_person"})
        for procedure in _procedures(plan)[:2]:
            client.post(_url("procedure_decide", plan, procedure.pk), {"kind": "accepted"})
    # Two coverages with their benefits, fees and a year of history: the estimate loads them
    # in a fixed handful of queries.
    today = timezone.localdate()
    for ordinal in (1, 2):
        coverage = cover(patient, group_plan(practice, carrier=f"C{ordinal}"), ordinal=ordinal)
        for month in range(12):
            used(coverage, day=today - datetime.timedelta(days=30 * month), amount="25.00")
    with time_machine.travel(timezone.now(), tick=False):
        client.get(_url("detail", small))
        open_small = {"open": _procedures(small)[0].pk}
        with CaptureQueriesContext(connection) as queries:
            assert client.get(_url("detail", small), open_small, headers=headers).status_code == 200
        assert len(queries) <= 17, "\n".join(q["sql"] for q in queries.captured_queries)
        open_large = {"open": _procedures(large)[0].pk}
        with django_assert_num_queries(len(queries)):
            page = client.get(_url("detail", large), open_large, headers=headers)
    assert page.content.count(b'class="procedure"') == 40
    assert page.content.count(b'class="estimate-detail"') == 40
