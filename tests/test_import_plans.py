"""import_practice: plans, presentations, decisions and completed work, as the contract says."""

import copy
import datetime
import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent
from plans.models import (
    CompletedProcedure,
    Decision,
    Phase,
    PlannedProcedure,
    PlanStatus,
    Presentation,
    PresentedOption,
    PresentedProcedure,
    TreatmentOption,
    TreatmentPlan,
)
from plans.services import plan_refresh_status

UTC = datetime.UTC

# The contract's example, with a catalog for its codes and a second patient.
DOCUMENT = {
    "format": "coordinator-practice/1",
    "practice": {"slug": "smile-dental", "name": "Smile Dental", "timezone": "America/Chicago"},
    "staff": [
        {"ref": "anna", "name": "Anna Lee", "email": "anna@smile.example", "role": "coordinator"},
        {"ref": "dr-kim", "name": "Jane Kim, DDS", "email": "kim@smile.example", "role": "dentist"},
    ],
    "procedure_codes": [
        {"code": "D6010", "description": "Implant post", "fee": "2100.00", "minutes": 90},
        {"code": "D6058", "description": "Crown on an implant", "fee": "1450.00"},
        {"code": "D6240", "description": "Bridge tooth", "fee": "1150.00", "minutes": 90},
        {"code": "D2391", "description": "White filling, one side", "fee": "195.00"},
        {"code": "D1110", "description": "Cleaning for adults", "fee": "115.00"},
        {"code": "D4341", "description": "Deep cleaning, a quadrant", "fee": "265.00"},
    ],
    "patients": [
        {"ref": "pt-1", "first_name": "Maria", "last_name": "Gomez"},
        {"ref": "pt-2", "first_name": "Leo", "last_name": "Park"},
    ],
    "plans": [
        {
            "ref": "tp-1",
            "patient": "pt-1",
            "dentist": "dr-kim",
            "diagnosed_at": "2026-01-05T09:10",
            "options": [
                {
                    "ref": "tp-1-a",
                    "name": "Implant",
                    "recommended": True,
                    "procedures": [
                        {"ref": "tp-1-a-1", "code": "D6010", "tooth": "19", "fee": "2100.00"},
                        {"ref": "tp-1-a-2", "code": "D6058", "tooth": "19", "phase": 2},
                    ],
                },
                {
                    "ref": "tp-1-b",
                    "name": "Bridge",
                    "procedures": [
                        {
                            "ref": "tp-1-b-1",
                            "code": "D6240",
                            "tooth": "19",
                            "fee": "1150.00",
                            "phase": 1,
                        }
                    ],
                },
            ],
        },
        {
            "ref": "tp-2",
            "patient": "pt-2",
            "dentist": "dr-kim",
            "diagnosed_at": "2026-02-10T14:00:00-06:00",
            "options": [
                {
                    "ref": "tp-2-a",
                    "procedures": [
                        {"ref": "tp-2-a-1", "code": "D2391", "tooth": "30", "surfaces": "OM"},
                        {"ref": "tp-2-a-2", "code": "D4341", "area": "UR", "fee": "250.00"},
                    ],
                }
            ],
        },
    ],
    "presentations": [
        {"ref": "pr-1", "plan": "tp-1", "by": "anna", "at": "2026-01-05T10:30", "mode": "in_person"}
    ],
    "decisions": [
        {"procedure": "tp-1-b-1", "decision": "accepted", "at": "2026-01-12T16:00"},
        {
            "procedure": "tp-1-a-1",
            "decision": "declined",
            "at": "2026-01-12T16:00",
            "reason": "cost",
        },
    ],
    "completed": [
        {"procedure": "tp-1-b-1", "on": "2026-02-02"},
        {
            "ref": "cp-9",
            "patient": "pt-1",
            "code": "D1110",
            "fee": "115.00",
            "on": "2026-02-02",
            "dentist": "dr-kim",
        },
    ],
}
SUMMARY = (
    "imported smile-dental: 2 staff, 6 procedure codes, 2 patients, 2 plans, 1 presentation, "
    "2 decisions, 0 follow-ups, 2 completed procedures"
)


def document(**sections) -> dict:
    return {**copy.deepcopy(DOCUMENT), **sections}


def run_import(doc=None, *args):
    stdin = io.StringIO(json.dumps(doc if doc is not None else DOCUMENT))
    stdout, stderr = io.StringIO(), io.StringIO()
    try:
        call_command("import_practice", "-", *args, stdin=stdin, stdout=stdout, stderr=stderr)
        code = 0
    except SystemExit as exit:
        code = exit.code
    return code, stdout.getvalue().strip(), stderr.getvalue().splitlines()


MODELS = [
    TreatmentPlan,
    TreatmentOption,
    Phase,
    PlannedProcedure,
    Presentation,
    PresentedOption,
    PresentedProcedure,
    Decision,
    CompletedProcedure,
    AuditEvent,
]


def row_counts() -> dict:
    with scopes_disabled():
        return {model.__name__: model.objects.count() for model in MODELS}


def plan(ref: str) -> TreatmentPlan:
    with scopes_disabled():
        return TreatmentPlan.objects.get(ref=ref)


def procedure(ref: str) -> PlannedProcedure:
    with scopes_disabled():
        return PlannedProcedure.objects.select_related("phase", "procedure_code").get(ref=ref)


# --- The happy path, section by section ------------------------------------------------------


def test_the_contract_example_imports_every_section(db):
    code, stdout, errors = run_import()

    assert (code, stdout, errors) == (0, SUMMARY, [])
    implant_plan = plan("tp-1")
    assert implant_plan.patient.ref == "pt-1"
    assert implant_plan.dentist.email == "kim@smile.example"
    assert implant_plan.diagnosed_at == datetime.datetime(2026, 1, 5, 15, 10, tzinfo=UTC)
    assert implant_plan.created_at == implant_plan.diagnosed_at
    assert implant_plan.first_presented_at == datetime.datetime(2026, 1, 5, 16, 30, tzinfo=UTC)
    # The bridge was accepted and done; the implant declined: the chosen option is finished.
    assert implant_plan.status == PlanStatus.COMPLETED
    assert implant_plan.version == 1


def test_plans_options_phases_and_procedures(db):
    run_import()

    with scopes_disabled():
        options = list(TreatmentOption.objects.filter(plan__ref="tp-1").order_by("position"))
        phases = sorted(Phase.objects.filter(option__ref="tp-1-a").values_list("number", flat=True))
        single = TreatmentOption.objects.get(ref="tp-2-a")
    assert [(o.ref, o.name, o.recommended) for o in options] == [
        ("tp-1-a", "Implant", True),
        ("tp-1-b", "Bridge", False),
    ]
    assert phases == [1, 2]
    # A single option is recommended without saying so, and gets a name.
    assert (single.recommended, single.name) == (True, "Recommended")
    implant_crown = procedure("tp-1-a-2")
    # No fee: the catalog's. No phase: phase 1.
    assert (implant_crown.fee, implant_crown.phase.number) == (Decimal("1450.00"), 2)
    filling = procedure("tp-2-a-1")
    assert (filling.tooth, filling.surfaces, filling.area, filling.phase.number) == (
        "30",
        "MO",
        "",
        1,
    )
    assert (filling.fee, filling.procedure_code.code) == (Decimal("195.00"), "D2391")
    srp = procedure("tp-2-a-2")
    assert (srp.tooth, srp.area, srp.fee) == ("", "UR", Decimal("250.00"))
    assert plan("tp-2").status == PlanStatus.DIAGNOSED
    assert plan("tp-2").diagnosed_at == datetime.datetime(2026, 2, 10, 20, 0, tzinfo=UTC)


def test_a_presentation_freezes_the_plan_as_the_file_describes_it(db):
    run_import()

    with scopes_disabled():
        presentation = Presentation.objects.select_related("presented_by").get(ref="pr-1")
        shown = list(PresentedOption.objects.filter(presentation=presentation).order_by("position"))
        rows = {
            option.name: list(option.procedures.order_by("phase_number", "position"))
            for option in shown
        }
    assert presentation.presented_by.email == "anna@smile.example"
    assert presentation.mode == "in_person"
    assert presentation.at == datetime.datetime(2026, 1, 5, 16, 30, tzinfo=UTC)
    assert presentation.plan_version == 1
    assert [(o.name, o.recommended, o.total_fee) for o in shown] == [
        ("Implant", True, Decimal("3550.00")),
        ("Bridge", False, Decimal("1150.00")),
    ]
    assert [
        (r.code, r.tooth, r.phase_number, r.fee, r.description, r.procedure.ref)
        for r in rows["Implant"]
    ] == [
        ("D6010", "19", 1, Decimal("2100.00"), "Implant post", "tp-1-a-1"),
        ("D6058", "19", 2, Decimal("1450.00"), "Crown on an implant", "tp-1-a-2"),
    ]
    assert [(r.code, r.category, r.fee) for r in rows["Bridge"]] == [
        ("D6240", "prosthodontics", Decimal("1150.00"))
    ]


def test_decisions_set_the_procedure_statuses(db):
    run_import()

    declined = procedure("tp-1-a-1")
    assert declined.status == "declined"
    assert declined.status_changed_at == datetime.datetime(2026, 1, 12, 22, 0, tzinfo=UTC)
    with scopes_disabled():
        decision = Decision.objects.get(procedure=declined)
    assert (decision.kind, decision.reason, decision.recorded_by) == ("declined", "cost", None)
    # Undecided work stays proposed.
    assert procedure("tp-1-a-2").status == "proposed"


def test_completed_work_planned_and_outside_a_plan(db):
    run_import()

    with scopes_disabled():
        planned = CompletedProcedure.objects.select_related("planned", "dentist", "patient").get(
            planned__ref="tp-1-b-1"
        )
        cleaning = CompletedProcedure.objects.select_related("procedure_code", "patient").get(
            ref="cp-9"
        )
    assert planned.completed_on == datetime.date(2026, 2, 2)
    # The planned fee, the plan's patient and dentist.
    assert (planned.fee, planned.patient.ref, planned.dentist.email) == (
        Decimal("1150.00"),
        "pt-1",
        "kim@smile.example",
    )
    assert planned.tooth == "19"
    assert procedure("tp-1-b-1").status == "completed"
    assert (cleaning.planned, cleaning.procedure_code.code, cleaning.fee) == (
        None,
        "D1110",
        Decimal("115.00"),
    )
    assert cleaning.patient.ref == "pt-1"


def test_importing_the_same_file_again_writes_nothing(db):
    run_import()
    before = row_counts()

    with CaptureQueriesContext(connection) as queries:
        code, stdout, _errors = run_import()

    assert (code, stdout) == (0, SUMMARY)
    assert row_counts() == before
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []


def test_the_import_takes_a_handful_of_queries_however_many_plans(db):
    def with_plans(n: int) -> dict:
        doc = document(presentations=[], decisions=[], completed=[])
        template = doc["plans"][0]
        doc["plans"] = []
        for i in range(n):
            plan_doc = json.loads(json.dumps(template).replace("tp-1", f"tp-{i}"))
            doc["plans"].append(plan_doc)
            presentation = {"ref": f"pr-{i}", "plan": f"tp-{i}", "by": "anna", "mode": "phone"}
            doc["presentations"].append({**presentation, "at": "2026-01-06T10:00"})
            doc["decisions"].append(
                {"procedure": f"tp-{i}-b-1", "decision": "accepted", "at": "2026-01-07T10:00"}
            )
            doc["completed"].append({"procedure": f"tp-{i}-b-1", "on": "2026-01-20"})
        return doc

    with CaptureQueriesContext(connection) as few:
        assert run_import(with_plans(2))[0] == 0
    with CaptureQueriesContext(connection) as many:
        assert run_import(with_plans(40))[0] == 0

    # 38 more plans, each with options, phases, procedures, a presentation, a decision and a
    # completion: no query per row, only the same bulk statements.
    assert len(many) <= len(few) + 5


def test_the_audit_trail_has_an_event_per_plan_and_per_unplanned_completion(db):
    run_import()

    with scopes_disabled():
        events = list(AuditEvent.objects.filter(system_actor="command:import_practice"))
        plans = {str(p.pk): p for p in TreatmentPlan.objects.all()}
    by_action = {}
    for event in events:
        by_action.setdefault(event.action, []).append(event)
    plan_events = {plans[e.object_id].ref: e for e in by_action["plan.imported"]}
    assert sorted(plan_events) == ["tp-1", "tp-2"]
    first = plan_events["tp-1"]
    assert first.patient_id == plan("tp-1").patient_id
    assert first.detail["created"] is True
    assert first.detail["fields"] == sorted(first.detail["fields"])
    assert first.detail["options"] == {"created": 2}
    assert first.detail["procedures"] == {"created": 3}
    assert first.detail["presentations"] == {"created": 1}
    assert first.detail["decisions"] == {"created": 2}
    assert first.detail["completions"] == {"created": 1}
    (cleaning,) = by_action["completed_procedure.imported"]
    assert cleaning.detail == {
        "fields": ["completed_on", "dentist", "fee", "patient", "procedure_code"],
        "created": True,
    }
    summary = by_action["practice.imported"][0]
    assert summary.detail["created"]["plans"] == 2
    assert summary.detail["created"]["completed_procedures"] == 2
    stored = json.dumps([e.detail for e in events])
    for value in ("1150", "2026-01", "19", "Implant", "cost"):
        assert value not in stored


# --- Decisions, completions and the statuses that follow ---------------------------------------


def test_a_later_decision_supersedes_an_earlier_one_whatever_the_order_in_the_file(db):
    decisions = [
        # Listed first, but the latest: the patient came back and said yes.
        {"procedure": "tp-1-a-1", "decision": "accepted", "at": "2026-03-01T11:00"},
        {
            "procedure": "tp-1-a-1",
            "decision": "declined",
            "at": "2026-01-12T16:00",
            "reason": "cost",
        },
        {
            "procedure": "tp-1-a-2",
            "decision": "deferred",
            "at": "2026-01-12T16:00",
            "reason": "waiting_for_benefits",
        },
        {"procedure": "tp-1-a-2", "decision": "accepted", "at": "2026-03-01T11:00"},
    ]

    run_import(document(decisions=decisions, completed=[]))

    implant = procedure("tp-1-a-1")
    assert implant.status == "accepted"
    assert implant.status_changed_at == datetime.datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    with scopes_disabled():
        history = list(implant.decisions.order_by("at").values_list("kind", "reason"))
    assert history == [("declined", "cost"), ("accepted", "")]
    assert plan("tp-1").status == PlanStatus.ACCEPTED


def test_a_later_import_adds_a_decision_that_supersedes_the_stored_one(db):
    run_import(document(completed=[]))
    assert procedure("tp-1-a-1").status == "declined"
    follow_up = {
        "format": "coordinator-practice/1",
        "practice": DOCUMENT["practice"],
        "decisions": [
            {"procedure": "tp-1-a-1", "decision": "accepted", "at": "2026-04-01T09:00"},
        ],
    }

    code, stdout, errors = run_import(follow_up)

    assert (code, errors) == (0, [])
    assert stdout.endswith(
        "0 plans, 0 presentations, 1 decision, 0 follow-ups, 0 completed procedures"
    )
    assert procedure("tp-1-a-1").status == "accepted"
    # Both options now have accepted work: the first (the implant) is the chosen one.
    assert plan("tp-1").status == PlanStatus.PARTIALLY_ACCEPTED


def test_completed_work_counts_as_accepted_even_without_a_decision(db):
    completed = [
        {"procedure": "tp-2-a-1", "on": "2026-02-20"},
    ]

    run_import(document(decisions=[], presentations=[], completed=completed))

    assert procedure("tp-2-a-1").status == "completed"
    assert procedure("tp-2-a-2").status == "proposed"
    assert plan("tp-2").status == PlanStatus.IN_TREATMENT
    # The completion's moment is the start of its day where the practice is.
    assert procedure("tp-2-a-1").status_changed_at == datetime.datetime(
        2026, 2, 20, 6, 0, tzinfo=UTC
    )

    run_import(
        document(
            decisions=[],
            presentations=[],
            completed=[*completed, {"procedure": "tp-2-a-2", "on": "2026-03-20"}],
        )
    )
    assert plan("tp-2").status == PlanStatus.COMPLETED


def test_completion_wins_over_a_later_decline(db):
    decisions = [
        {
            "procedure": "tp-2-a-1",
            "decision": "declined",
            "at": "2026-03-01T09:00",
            "reason": "fear",
        }
    ]
    completed = [{"procedure": "tp-2-a-1", "on": "2026-02-20", "dentist": "anna"}]

    run_import(document(decisions=decisions, completed=completed, presentations=[]))

    assert procedure("tp-2-a-1").status == "completed"
    with scopes_disabled():
        done = CompletedProcedure.objects.select_related("dentist").get(planned__ref="tp-2-a-1")
    assert done.dentist.email == "anna@smile.example"  # the dentist given, not the plan's


def _statuses_document() -> dict:
    """One plan per status the contract can express, each a filling and a cleaning."""
    cases = {
        "diagnosed": ([], [], []),
        "presented": (["pr"], [], []),
        "deferred": (["pr"], [("1", "deferred"), ("2", "deferred")], []),
        "accepted": (["pr"], [("1", "accepted"), ("2", "accepted")], []),
        "partially_accepted": (["pr"], [("1", "accepted"), ("2", "declined")], []),
        "declined": (["pr"], [("1", "declined"), ("2", "declined")], []),
        "in_treatment": (["pr"], [("1", "accepted"), ("2", "accepted")], ["1"]),
        "completed": ([], [], ["1", "2"]),
    }
    doc = document(plans=[], presentations=[], decisions=[], completed=[])
    for name, (presentations, decisions, completed) in cases.items():
        doc["plans"].append(
            {
                "ref": name,
                "patient": "pt-1",
                "dentist": "dr-kim",
                "diagnosed_at": "2026-05-04T08:00",
                "options": [
                    {
                        "ref": f"{name}-a",
                        "procedures": [
                            {"ref": f"{name}-1", "code": "D2391", "tooth": "3", "surfaces": "O"},
                            {"ref": f"{name}-2", "code": "D1110"},
                        ],
                    }
                ],
            }
        )
        for prefix in presentations:
            presentation = {"ref": f"{prefix}-{name}", "plan": name, "by": "anna", "mode": "video"}
            doc["presentations"].append({**presentation, "at": "2026-05-04T09:00"})
        for number, kind in decisions:
            decision = {"procedure": f"{name}-{number}", "decision": kind, "at": "2026-05-05T09:00"}
            if kind != "accepted":
                decision["reason"] = "insurance"
            doc["decisions"].append(decision)
        for number in completed:
            doc["completed"].append({"procedure": f"{name}-{number}", "on": "2026-05-20"})
    return doc


def test_every_plan_status_the_contract_can_express(db):
    # Not reachable from a file: draft (diagnosed_at is required), scheduled (no appointments
    # in the format) and closed (no closing in the format).
    assert run_import(_statuses_document())[0] == 0

    with scopes_disabled():
        statuses = dict(TreatmentPlan.objects.values_list("ref", "status"))
    assert statuses == {
        "diagnosed": "diagnosed",
        "presented": "presented",
        "deferred": "presented",  # not now: still undecided
        "accepted": "accepted",
        "partially_accepted": "partially_accepted",
        "declined": "declined",
        "in_treatment": "in_treatment",
        "completed": "completed",
    }
    # The status dates from the event that set it, not from the import.
    assert plan("declined").status_changed_at == datetime.datetime(2026, 5, 5, 14, 0, tzinfo=UTC)
    assert plan("diagnosed").status_changed_at == plan("diagnosed").diagnosed_at


# --- Time zones ----------------------------------------------------------------------------


def test_a_time_without_an_offset_is_in_the_practice_time_zone(db):
    doc = document(presentations=[], decisions=[], completed=[])
    doc["plans"][0]["diagnosed_at"] = "2026-01-05T23:30"
    doc["plans"][1]["diagnosed_at"] = "2026-07-05T23:30:15"  # daylight saving time: UTC-5

    run_import(doc)

    assert plan("tp-1").diagnosed_at == datetime.datetime(2026, 1, 6, 5, 30, tzinfo=UTC)
    assert plan("tp-2").diagnosed_at == datetime.datetime(2026, 7, 6, 4, 30, 15, tzinfo=UTC)


def test_a_time_with_an_offset_or_z_is_that_instant(db):
    doc = document(presentations=[], decisions=[], completed=[])
    doc["plans"][0]["diagnosed_at"] = "2026-01-05T23:30Z"
    doc["plans"][1]["diagnosed_at"] = "2026-01-05T23:30+01:00"

    run_import(doc)

    assert plan("tp-1").diagnosed_at == datetime.datetime(2026, 1, 5, 23, 30, tzinfo=UTC)
    assert plan("tp-2").diagnosed_at == datetime.datetime(2026, 1, 5, 22, 30, tzinfo=UTC)


# --- Alternatives --------------------------------------------------------------------------


def test_two_recommended_options_are_an_error(db):
    doc = document()
    doc["plans"][0]["options"][1]["recommended"] = True

    code, _stdout, errors = run_import(doc)

    assert (code, errors) == (
        2,
        ["plans[0].options[1].recommended: only one option can be recommended (also options[0])"],
    )
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_alternatives_without_a_recommended_one_are_an_error(db):
    doc = document()
    del doc["plans"][0]["options"][0]["recommended"]

    code, _stdout, errors = run_import(doc)

    assert (code, errors) == (
        2,
        ['plans[0].options: one option must be "recommended": true (none is)'],
    )


def test_the_recommended_option_can_change_on_a_later_import(db):
    run_import()
    doc = document()
    doc["plans"][0]["options"][0]["recommended"] = False
    doc["plans"][0]["options"][1]["recommended"] = True

    assert run_import(doc)[0] == 0

    with scopes_disabled():
        flags = dict(
            TreatmentOption.objects.filter(plan__ref="tp-1").values_list("ref", "recommended")
        )
    assert flags == {"tp-1-a": False, "tp-1-b": True}
    assert plan("tp-1").version == 2  # the live plan changed


# --- Changes on a later import -------------------------------------------------------------


def test_a_changed_fee_updates_the_live_procedure_but_not_what_was_presented(db):
    run_import()
    with scopes_disabled():
        last_event = AuditEvent.objects.order_by("id").last().id
    doc = document()
    doc["plans"][0]["options"][0]["procedures"][0]["fee"] = "1995.00"

    code, _stdout, _errors = run_import(doc, "-v", "2")

    assert code == 0
    assert procedure("tp-1-a-1").fee == Decimal("1995.00")
    assert plan("tp-1").version == 2
    with scopes_disabled():
        shown = PresentedProcedure.objects.get(procedure__ref="tp-1-a-1")
        assert Presentation.objects.get(ref="pr-1").plan_version == 1
        (event,) = AuditEvent.objects.filter(id__gt=last_event, action="plan.imported")
    assert shown.fee == Decimal("2100.00")
    assert event.detail == {
        "created": False,
        "fields": ["version"],
        "procedures": {"updated": 1},
    }


def test_a_changed_presentation_is_frozen_again_from_the_plan_as_it_now_stands(db):
    run_import()
    doc = document()
    doc["plans"][0]["options"][0]["procedures"][0]["fee"] = "1995.00"
    doc["presentations"][0]["mode"] = "video"

    assert run_import(doc)[0] == 0

    with scopes_disabled():
        presentation = Presentation.objects.get(ref="pr-1")
        fees = list(
            PresentedProcedure.objects.filter(presented_option__presentation=presentation)
            .order_by("presented_option__position", "position")
            .values_list("fee", flat=True)
        )
        assert PresentedOption.objects.count() == 2  # replaced, not added
    assert (presentation.mode, presentation.plan_version) == ("video", 2)
    assert fees == [Decimal("1995.00"), Decimal("1450.00"), Decimal("1150.00")]


def test_a_later_import_changes_a_completion_date_and_a_procedure_phase(db):
    run_import()
    doc = document()
    doc["completed"][0]["on"] = "2026-02-03"
    doc["plans"][1]["options"][0]["procedures"][1]["phase"] = 2

    assert run_import(doc)[0] == 0

    with scopes_disabled():
        assert CompletedProcedure.objects.get(planned__ref="tp-1-b-1").completed_on == (
            datetime.date(2026, 2, 3)
        )
        assert CompletedProcedure.objects.count() == 2
    assert procedure("tp-2-a-2").phase.number == 2


def test_an_absent_fee_keeps_the_fee_a_procedure_has(db):
    run_import()
    with scopes_disabled():
        PlannedProcedure.objects.filter(ref="tp-1-a-2").update(fee=Decimal("1400.00"))

    run_import()

    assert procedure("tp-1-a-2").fee == Decimal("1400.00")


def test_dry_run_checks_the_plans_and_writes_nothing(db):
    code, stdout, _errors = run_import(DOCUMENT, "--dry-run")

    assert (code, stdout) == (
        0,
        SUMMARY.replace("imported", "dry run, nothing written: would import"),
    )
    assert row_counts() == dict.fromkeys(row_counts(), 0)


# --- Errors: PATH: message, exit status 2, nothing written ---------------------------------


def _set(path: str, value):
    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        target = doc
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        key = int(last) if last.isdigit() else last
        if value is DELETE:
            del target[key]
        else:
            target[key] = value

    return change


DELETE = object()
ISO_EXAMPLE = '(ISO 8601, e.g. "2026-01-05T09:10")'
P0 = "plans.0.options.0.procedures.0"
E0 = "plans[0].options[0].procedures[0]"
ERRORS = [
    (f"{P0}.tooth", "33", f'{E0}.tooth: "33" is not a tooth (1-32 or A-T)'),
    (f"{P0}.tooth", 19, f'{E0}.tooth: must be text (put the tooth in quotes: "19")'),
    (f"{P0}.surfaces", "MOO", f'{E0}.surfaces: "MOO" repeats a surface'),
    (
        f"{P0}.surfaces",
        "X",
        f'{E0}.surfaces: "X" is not a set of surfaces (one to five of M, O, D, B, L, I, F)',
    ),
    (
        f"{P0}.area",
        "UX",
        f'{E0}.area: "UX" is not a quadrant or arch (UR, UL, LR, LL, U, L)',
    ),
    (f"{P0}.area", "UR", f"{E0}.area: a procedure has a tooth or an area, not both"),
    (f"{P0}.code", "D9999", f'{E0}.code: unknown procedure code "D9999"'),
    (
        f"{P0}.code",
        "2740",
        f'{E0}.code: "2740" is not a procedure code (D followed by four digits)',
    ),
    (f"{P0}.fee", "2100", f'{E0}.fee: "2100" is not an amount (two decimals, e.g. "1250.00")'),
    (f"{P0}.fee", 2100.5, f'{E0}.fee: must be a string with two decimals, e.g. "1250.00"'),
    (f"{P0}.phase", 0, f"{E0}.phase: 0 is not a phase (a whole number, 1 to 20)"),
    (
        "plans.1.options.0.procedures.1.ref",
        "tp-2-a-1",
        'plans[1].options[0].procedures[1].ref: "tp-2-a-1" is used twice '
        "(also plans[1].options[0].procedures[0])",
    ),
    (
        f"{P0}.shade",
        "A2",
        f"{E0}.shade: unknown field (expected ref, code, tooth, surfaces, area, fee, phase)",
    ),
    (
        "plans.1.options.0.procedures.0.tooth",
        DELETE,
        "plans[1].options[0].procedures[0].surfaces: surfaces need a tooth",
    ),
    ("plans.1.options.0.procedures", [], "plans[1].options[0].procedures: must not be empty"),
    ("plans.1.options", [], "plans[1].options: must not be empty"),
    (
        "plans.0.options.1.ref",
        "tp-1-a",
        'plans[0].options[1].ref: "tp-1-a" is used twice (also plans[0].options[0])',
    ),
    (
        "plans.1.options.0.recommended",
        False,
        "plans[1].options[0].recommended: a plan's only option is its recommended one",
    ),
    ("plans.0.patient", "pt-9", 'plans[0].patient: unknown patient "pt-9"'),
    ("plans.0.dentist", "dr-who", 'plans[0].dentist: unknown staff "dr-who"'),
    ("plans.1.ref", "tp-1", 'plans[1].ref: "tp-1" is used twice (also plans[0])'),
    (
        "plans.0.diagnosed_at",
        "2026-01-05 09:10",
        f'plans[0].diagnosed_at: "2026-01-05 09:10" is not a time {ISO_EXAMPLE}',
    ),
    (
        "plans.0.diagnosed_at",
        "2026-02-30T09:10",
        f'plans[0].diagnosed_at: "2026-02-30T09:10" is not a time {ISO_EXAMPLE}',
    ),
    (
        "plans.0.diagnosed_at",
        "2099-01-05T09:10",
        'plans[0].diagnosed_at: "2099-01-05T09:10" is in the future',
    ),
    ("plans.0.diagnosed_at", DELETE, "plans[0].diagnosed_at: required"),
    ("presentations.0.plan", "tp-9", 'presentations[0].plan: unknown plan "tp-9"'),
    ("presentations.0.by", "bob", 'presentations[0].by: unknown staff "bob"'),
    (
        "presentations.0.mode",
        "fax",
        'presentations[0].mode: "fax" is not a mode (in_person, phone, video, link)',
    ),
    (
        "presentations.0.at",
        1767626400,
        'presentations[0].at: must be a time as text, e.g. "2026-01-05T09:10"',
    ),
    ("decisions.0.procedure", "tp-9-a-1", 'decisions[0].procedure: unknown procedure "tp-9-a-1"'),
    (
        "decisions.0.decision",
        "maybe",
        'decisions[0].decision: "maybe" is not a decision (accepted, declined, deferred)',
    ),
    ("decisions.0.reason", "cost", "decisions[0].reason: an acceptance has no reason"),
    (
        "decisions.1.reason",
        DELETE,
        "decisions[1].reason: required when declined (cost, insurance, waiting_for_benefits, time, "
        "fear, co_decider, second_opinion, not_a_priority, other)",
    ),
    (
        "decisions.1.reason",
        "other_option",
        'decisions[1].reason: "other_option" is not a reason (cost, insurance, '
        "waiting_for_benefits, time, fear, co_decider, second_opinion, not_a_priority, other)",
    ),
    (
        "decisions.1",
        {
            "procedure": "tp-1-b-1",
            "decision": "declined",
            "at": "2026-01-12T16:00",
            "reason": "cost",
        },
        "decisions[1]: contradicts decisions[0]: two decisions on one procedure at the same time",
    ),
    (
        "decisions.1",
        {"procedure": "tp-1-b-1", "decision": "accepted", "at": "2026-01-12T22:00Z"},
        "decisions[1]: the same decision as decisions[0]",
    ),
    ("completed.0.procedure", "tp-9", 'completed[0].procedure: unknown procedure "tp-9"'),
    (
        "completed.0.on",
        "2026-02-02T10:00",
        'completed[0].on: "2026-02-02T10:00" is not a date (YYYY-MM-DD, e.g. "2026-02-02")',
    ),
    (
        "completed.0.fee",
        "1.00",
        'completed[0].fee: not with "procedure": planned work has its procedure\'s',
    ),
    ("completed.1.dentist", DELETE, "completed[1].dentist: required"),
    ("completed.1.patient", "pt-9", 'completed[1].patient: unknown patient "pt-9"'),
    ("completed.1.code", "D0000", 'completed[1].code: unknown procedure code "D0000"'),
    (
        "completed.1",
        {"on": "2026-02-02"},
        'completed[1]: either "procedure" (planned work) or "ref", "patient", "code" and "dentist" '
        "(work outside a plan)",
    ),
    (
        "completed.1",
        {"procedure": "tp-1-b-1", "on": "2026-02-03"},
        'completed[1].procedure: "tp-1-b-1" is completed twice (also completed[0])',
    ),
]


@pytest.mark.parametrize(
    ("path", "value", "error"),
    ERRORS,
    ids=[f"{path}={'(deleted)' if value is DELETE else value!r}" for path, value, _e in ERRORS],
)
def test_a_bad_value_is_reported_with_its_path_and_nothing_is_written(db, path, value, error):
    doc = document()
    _set(path, value)(doc)

    code, stdout, errors = run_import(doc)

    assert (code, stdout, errors) == (2, "", [error])
    assert row_counts() == dict.fromkeys(row_counts(), 0)


def test_a_ref_the_practice_has_elsewhere_is_an_error_not_a_move(db):
    run_import()
    doc = document(decisions=[], completed=[])
    second = doc["plans"][1]
    second["patient"] = "pt-1"
    del second["options"][0]["procedures"][0]
    doc["presentations"][0]["plan"] = "tp-2"
    third = {
        "ref": "tp-3",
        "patient": "pt-2",
        "dentist": "dr-kim",
        "diagnosed_at": "2026-03-01T10:00",
        "options": [
            {"ref": "tp-1-b", "procedures": [{"ref": "tp-3-a-1", "code": "D1110"}]},
            {
                "ref": "tp-3-b",
                "recommended": True,
                "procedures": [{"ref": "tp-2-a-1", "code": "D1110"}],
            },
        ],
    }
    doc["plans"] = [second, third]
    before = row_counts()

    code, _stdout, errors = run_import(doc)

    assert code == 2
    assert errors == [
        'plans[0].patient: plan "tp-2" is patient "pt-2"\'s: an import does not move a plan to '
        "another patient",
        'plans[1].options[0].ref: "tp-1-b" is an option of plan "tp-1"',
        'plans[1].options[1].procedures[0].ref: "tp-2-a-1" is a procedure of option "tp-2-a"',
        'presentations[0].plan: presentation "pr-1" is of another plan: an import does not move '
        "a presentation",
    ]
    assert row_counts() == before


def test_every_problem_of_the_treatment_sections_is_reported_at_once(db):
    doc = document()
    doc["plans"][0]["options"][0]["procedures"][0]["tooth"] = "33"
    doc["presentations"][0]["mode"] = "fax"
    doc["decisions"][1]["reason"] = "money"
    doc["completed"][1]["fee"] = "free"

    code, _stdout, errors = run_import(doc)

    assert code == 2
    assert [line.split(":")[0] for line in errors] == [
        "plans[0].options[0].procedures[0].tooth",
        "presentations[0].mode",
        "decisions[1].reason",
        "completed[1].fee",
    ]


def test_imported_statuses_are_what_plan_refresh_status_derives(db):
    run_import(_statuses_document())

    with scopes_disabled():
        plans = list(TreatmentPlan.objects.all())
        for imported in plans:
            status, changed_at = imported.status, imported.status_changed_at
            plan_refresh_status(imported)
            assert (imported.ref, imported.status, imported.status_changed_at) == (
                imported.ref,
                status,
                changed_at,
            )


def test_references_resolve_to_what_the_practice_already_has(db):
    run_import(document(plans=[], presentations=[], decisions=[], completed=[]))
    later = {
        "format": "coordinator-practice/1",
        "practice": DOCUMENT["practice"],
        "plans": [DOCUMENT["plans"][1]],
        "presentations": [
            {"ref": "pr-2", "plan": "tp-2", "by": "anna", "at": "2026-02-10T15:00", "mode": "link"}
        ],
        "completed": [
            {
                "ref": "cp-1",
                "patient": "pt-2",
                "code": "D1110",
                "on": "2026-02-10",
                "dentist": "dr-kim",
            }
        ],
    }

    code, _stdout, errors = run_import(later)

    assert (code, errors) == (0, [])
    assert plan("tp-2").status == PlanStatus.PRESENTED
    with scopes_disabled():
        cleaning = CompletedProcedure.objects.get(ref="cp-1")
    assert cleaning.fee == Decimal("115.00")  # no fee: the catalog's


def test_a_corrected_decision_at_the_same_time_replaces_the_stored_one(db):
    run_import()
    doc = document()
    doc["decisions"][1].update(decision="deferred", reason="waiting_for_benefits")

    assert run_import(doc)[0] == 0

    with scopes_disabled():
        decisions = list(
            Decision.objects.filter(procedure__ref="tp-1-a-1").values_list("kind", "reason")
        )
    assert decisions == [("deferred", "waiting_for_benefits")]
    assert procedure("tp-1-a-1").status == "deferred"
