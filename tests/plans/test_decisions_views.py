"""Recording the patient's decisions and the work done, from the plan page."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django_scopes import scopes_disabled

from plans.models import (
    CompletedProcedure,
    Decision,
    PlanStatus,
    ProcedureStatus,
    TreatmentOption,
)
from tests.plans.builder_helpers import add_option, add_procedure, make_catalog, reload, start_plan

HTMX = {"HX-Request": "true", "HX-Target": "builder"}


@pytest.fixture
def codes(practice):
    return make_catalog(practice)


@pytest.fixture
def presented(client_for, alice, practice, patient, dave, codes):
    """Implant or bridge for tooth 19, with a build-up in the implant option; presented."""
    plan = start_plan(practice, patient, dave, title="Missing lower molar")
    implant = add_procedure(plan, codes["implant"], tooth="19")
    crown = add_procedure(plan, codes["crown"], tooth="19")
    bridge_option = add_option(plan, "Bridge")
    bridge = add_procedure(plan, codes["bridge"], option=bridge_option, tooth="19")
    response = client_for(alice).post(
        _url("present", plan), {"version": reload(plan).version, "mode": "in_person"}
    )
    assert response.status_code == 302
    return plan, implant, crown, bridge


def _url(name, plan, *ids):
    return reverse(f"plans:{name}", args=[plan.practice.slug, plan.pk, *ids])


def _decisions(procedure):
    with scopes_disabled():
        return list(Decision.objects.filter(procedure=procedure).order_by("at", "id"))


def test_accepting_one_procedure(client_for, alice, presented):
    plan, implant, crown, bridge = presented
    response = client_for(alice).post(
        _url("procedure_decide", plan, implant.pk), {"kind": "accepted"}, headers=HTMX
    )
    assert response.status_code == 200
    assert reload(implant).status == ProcedureStatus.ACCEPTED
    assert reload(plan).status == PlanStatus.PARTIALLY_ACCEPTED
    [decision] = _decisions(implant)
    assert (decision.kind, decision.recorded_by, decision.reason) == ("accepted", alice, "")
    html = response.content.decode()
    assert "D6010: accepted." in html
    assert 'class="badge status status-accepted">Accepted<' in html
    assert 'class="badge status status-partially_accepted">Partially accepted<' in html


def test_a_decline_needs_a_reason_shown_next_to_the_field(client_for, alice, presented):
    plan, implant, crown, bridge = presented
    for headers in ({}, HTMX):
        response = client_for(alice).post(
            _url("procedure_decide", plan, crown.pk),
            {"kind": "declined", "reason": "", "note": "Thinking"},
            headers=headers,
        )
        assert response.status_code == 422
        html = response.content.decode()
        reason = re.search(r'<div class="field field-reason has-error">(.*?)</div>', html, re.S)
        assert reason
        assert "This field is required." in reason.group(1)
        # The note typed is still there.
        assert 'value="Thinking"' in html
    assert reload(crown).status == ProcedureStatus.PROPOSED
    assert _decisions(crown) == []


def test_another_option_is_not_a_reason_staff_choose(client_for, alice, presented):
    plan, implant, crown, bridge = presented
    page = client_for(alice).get(_url("detail", plan), {"open": crown.pk}).content.decode()
    assert 'value="waiting_for_benefits"' in page
    assert 'value="other_option"' not in page
    response = client_for(alice).post(
        _url("procedure_decide", plan, crown.pk), {"kind": "declined", "reason": "other_option"}
    )
    assert response.status_code == 422
    assert _decisions(crown) == []


def test_a_later_decision_supersedes_and_the_history_keeps_both(client_for, alice, presented):
    plan, implant, crown, bridge = presented
    client = client_for(alice)
    with time_machine.travel(datetime.datetime(2026, 3, 2, 15, 0, tzinfo=datetime.UTC)):
        deferred = client.post(
            _url("procedure_decide", plan, crown.pk),
            {"kind": "deferred", "reason": "waiting_for_benefits", "note": "Renews in January"},
        )
    assert deferred.status_code == 302
    assert reload(crown).status == ProcedureStatus.DEFERRED
    with time_machine.travel(datetime.datetime(2026, 3, 2, 15, 5, tzinfo=datetime.UTC)):
        client.post(_url("procedure_decide", plan, crown.pk), {"kind": "accepted"}, headers=HTMX)
    assert reload(crown).status == ProcedureStatus.ACCEPTED
    assert [d.kind for d in _decisions(crown)] == ["deferred", "accepted"]

    # Still within the session's idle limit of the travelled clock.
    with time_machine.travel(datetime.datetime(2026, 3, 2, 15, 6, tzinfo=datetime.UTC)):
        html = client.get(_url("detail", plan), {"open": crown.pk}, headers=HTMX).content.decode()
    history = html.split('<div class="history">')[1].split("</div>")[0]
    entries = re.findall(r"<li.*?</li>", history, re.S)
    assert len(entries) == 2
    assert "Deferred (not now)" in entries[0]
    assert "Waiting for benefits to renew" in entries[0]
    assert "“Renews in January”" in entries[0]
    assert "by Alice Coordinator" in entries[0]
    # Shown in the practice's time zone (Chicago).
    assert "Mar 2, 2026 9:00 a.m." in entries[0]
    assert "Accepted" in entries[1]
    assert "stands" in entries[1]
    assert "stands" not in entries[0]


def test_the_patient_chooses_the_second_option(client_for, alice, presented):
    plan, implant, crown, bridge = presented
    with scopes_disabled():
        bridge_option = TreatmentOption.objects.get(plan=plan, name="Bridge")
    response = client_for(alice).post(_url("option_accept", plan, bridge_option.pk), headers=HTMX)
    assert response.status_code == 200
    assert reload(bridge).status == ProcedureStatus.ACCEPTED
    for declined in (implant, crown):
        assert reload(declined).status == ProcedureStatus.DECLINED
        [decision] = _decisions(declined)
        assert (decision.reason, decision.note) == ("other_option", "Chose Bridge")
    assert reload(plan).status == PlanStatus.ACCEPTED
    html = response.content.decode()
    assert "The patient chose “Bridge”" in html
    assert 'class="badge status status-accepted">Accepted<' in html


def test_accepting_an_empty_option_is_refused(client_for, alice, presented):
    plan, implant, crown, bridge = presented
    empty = add_option(plan, "Wait and see")
    response = client_for(alice).post(_url("option_accept", plan, empty.pk), headers=HTMX)
    assert response.status_code == 422
    assert "This option has no procedures to accept." in response.content.decode()
    assert reload(implant).status == ProcedureStatus.PROPOSED


def test_a_dentist_cannot_record_the_patients_decision(client_for, dave, presented):
    plan, implant, crown, bridge = presented
    client = client_for(dave)
    with scopes_disabled():
        option = TreatmentOption.objects.get(plan=plan, name="Bridge")
    assert client.post(_url("option_accept", plan, option.pk)).status_code == 403
    response = client.post(
        _url("procedure_decide", plan, implant.pk), {"kind": "accepted"}, headers=HTMX
    )
    assert response.status_code == 403
    assert _decisions(implant) == []
    page = client.get(_url("detail", plan)).content.decode()
    assert "Patient chose this option" not in page
    assert ">Accept</button>" not in page


def test_decisions_wait_for_the_diagnosis(client_for, alice, practice, patient, dave, codes):
    plan = start_plan(practice, patient, dave)
    add_procedure(plan, codes["crown"], tooth="3")
    page = client_for(alice).get(_url("detail", plan)).content.decode()
    assert ">Accept</button>" not in page
    assert "Patient chose this option" not in page


# Completed work


def test_completing_work_defaults_to_today_in_the_practices_time_zone(
    client_for, alice, dave, presented
):
    plan, implant, crown, bridge = presented
    client = client_for(alice)
    client.post(_url("procedure_decide", plan, bridge.pk), {"kind": "accepted"})
    # 02:30 UTC on March 10 is still March 9 in Chicago.
    with time_machine.travel(datetime.datetime(2026, 3, 10, 2, 30, tzinfo=datetime.UTC)):
        page = client.get(_url("detail", plan), {"open": bridge.pk, "option": bridge.option_id})
        html = page.content.decode()
        assert re.search(r'name="completed_on" value="2026-03-09"', html)
        assert re.search(rf'<option value="{dave.pk}" selected>Dave Dentist</option>', html)
        response = client.post(
            _url("procedure_complete", plan, bridge.pk),
            {"completed_on": "2026-03-09", "dentist": str(dave.pk)},
            headers=HTMX,
        )
    assert response.status_code == 200
    assert "D6240 recorded as done on Mar 9, 2026." in response.content.decode()
    with scopes_disabled():
        done = CompletedProcedure.objects.get(planned=bridge)
    assert (done.completed_on, done.dentist, done.recorded_by) == (
        datetime.date(2026, 3, 9),
        dave,
        alice,
    )
    assert done.fee == bridge.fee
    assert reload(bridge).status == ProcedureStatus.COMPLETED


def test_work_done_cannot_be_in_the_future(client_for, dave, presented):
    plan, implant, crown, bridge = presented
    with time_machine.travel(datetime.datetime(2026, 3, 10, 18, 0, tzinfo=datetime.UTC)):
        response = client_for(dave).post(
            _url("procedure_complete", plan, implant.pk),
            {"completed_on": "2026-03-11", "dentist": str(dave.pk)},
            headers=HTMX,
        )
    assert response.status_code == 422
    html = response.content.decode()
    field = re.search(r'<div class="field field-completed_on has-error">(.*?)</div>', html, re.S)
    assert "Completed work cannot be in the future." in field.group(1)
    assert reload(implant).status == ProcedureStatus.PROPOSED


def test_completed_work_is_final_and_a_refusal_changes_nothing(client_for, alice, dave, presented):
    plan, implant, crown, bridge = presented
    client = client_for(alice)
    client.post(
        _url("procedure_complete", plan, implant.pk),
        {"completed_on": "2026-01-05", "dentist": str(dave.pk)},
    )
    assert reload(implant).status == ProcedureStatus.COMPLETED
    # Completed work counts as accepted even though nobody recorded an acceptance.
    assert reload(plan).status == PlanStatus.IN_TREATMENT

    for data in (
        {"kind": "declined", "reason": "cost"},
        {"kind": "accepted"},
    ):
        response = client.post(_url("procedure_decide", plan, implant.pk), data, headers=HTMX)
        assert response.status_code == 422
        assert "It is already completed: completed work cannot change." in response.content.decode()
    again = client.post(
        _url("procedure_complete", plan, implant.pk),
        {"completed_on": "2026-01-06", "dentist": str(dave.pk)},
        headers=HTMX,
    )
    assert again.status_code == 422
    assert "It is already completed." in again.content.decode()
    assert _decisions(implant) == []
    with scopes_disabled():
        assert CompletedProcedure.objects.filter(planned=implant).count() == 1
    assert reload(implant).status == ProcedureStatus.COMPLETED


def test_accepting_twice_is_refused_with_its_reason(client_for, alice, presented):
    plan, implant, crown, bridge = presented
    client = client_for(alice)
    client.post(_url("procedure_decide", plan, implant.pk), {"kind": "accepted"})
    response = client.post(
        _url("procedure_decide", plan, implant.pk), {"kind": "accepted"}, headers=HTMX
    )
    assert response.status_code == 422
    assert "It is already accepted." in response.content.decode()
    assert len(_decisions(implant)) == 1


def test_front_desk_cannot_record_work(client_for, erin, dave, presented):
    plan, implant, crown, bridge = presented
    response = client_for(erin).post(
        _url("procedure_complete", plan, implant.pk),
        {"completed_on": "2026-01-05", "dentist": str(dave.pk)},
    )
    assert response.status_code == 403
    assert reload(implant).status == ProcedureStatus.PROPOSED
