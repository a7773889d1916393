"""import_practice: the `follow_ups` section (touches), as the contract says."""

import datetime
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent, Membership
from plans import followup_services
from plans.followup_models import FollowUp, Reminder, Touch
from tests.test_import_plans import (
    DELETE,
    ISO_EXAMPLE,
    _set,
    document,
    plan,
    row_counts,
    run_import,
)

UTC = datetime.UTC
CHICAGO = datetime.timezone(datetime.timedelta(hours=-6))

# The contract's example touch, one before the presentation (a reminder the other system sent
# for the consultation) and one after the acceptance (a thank-you call): stored as given.
FOLLOW_UPS = [
    {
        "ref": "fu-1",
        "plan": "tp-1",
        "by": "anna",
        "at": "2026-01-07T09:00",
        "channel": "call",
        "outcome": "voicemail",
    },
    {
        "ref": "fu-0",
        "plan": "tp-1",
        "at": "2026-01-04T18:00",
        "channel": "sms",
        "outcome": "sent",
    },
    {
        "ref": "fu-2",
        "plan": "tp-1",
        "by": "anna",
        "at": "2026-01-20T11:15:00-06:00",
        "channel": "call",
        "outcome": "reached",
        "note": "Happy with the bridge",
    },
    {
        "ref": "fu-3",
        "plan": "tp-2",
        "by": "dr-kim",
        "at": "2026-02-12T08:00:00Z",
        "channel": "email",
        "outcome": "replied",
    },
]
SUMMARY = (
    "imported smile-dental: 2 staff, 6 procedure codes, 2 patients, 2 plans, 1 presentation, "
    "2 decisions, 4 follow-ups, 2 completed procedures"
)


def with_follow_ups(follow_ups=None) -> dict:
    return document(follow_ups=json.loads(json.dumps(follow_ups or FOLLOW_UPS)))


def touches() -> dict[str, Touch]:
    with scopes_disabled():
        return {t.ref: t for t in Touch.objects.select_related("plan", "by")}


def test_touches_are_imported_as_given(db):
    code, stdout, errors = run_import(with_follow_ups())

    assert (code, stdout, errors) == (0, SUMMARY, [])
    stored = touches()
    assert sorted(stored) == ["fu-0", "fu-1", "fu-2", "fu-3"]
    first = stored["fu-1"]
    assert first.plan == plan("tp-1")
    assert first.by.email == "anna@smile.example"
    assert first.at == datetime.datetime(2026, 1, 7, 9, tzinfo=CHICAGO)
    assert (first.channel, first.outcome, first.note) == ("call", "voicemail", "")
    assert first.reminder is None
    # Before the presentation (10:30 on 5 January) and after the acceptance (12 January).
    assert stored["fu-0"].by is None
    assert stored["fu-0"].at < plan("tp-1").first_presented_at
    assert stored["fu-2"].at == datetime.datetime(2026, 1, 20, 17, 15, tzinfo=UTC)
    assert stored["fu-2"].note == "Happy with the bridge"
    assert stored["fu-3"].at == datetime.datetime(2026, 2, 12, 8, tzinfo=UTC)
    with scopes_disabled():
        membership = Membership.objects.get(ref="dr-kim")
    assert stored["fu-3"].by == membership.user


def test_imported_touches_create_no_follow_up_and_no_reminder(db):
    run_import(with_follow_ups())

    with scopes_disabled():
        assert not FollowUp.objects.exists()
        assert not Reminder.objects.exists()


def test_importing_the_same_touches_again_writes_nothing(db):
    run_import(with_follow_ups())
    before = row_counts()
    before_touches = {ref: (t.pk, t.recorded_at) for ref, t in touches().items()}

    with CaptureQueriesContext(connection) as queries:
        code, stdout, _errors = run_import(with_follow_ups())

    assert (code, stdout) == (0, SUMMARY)
    assert row_counts() == before
    assert {ref: (t.pk, t.recorded_at) for ref, t in touches().items()} == before_touches
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []


def test_a_changed_touch_is_updated_not_duplicated(db):
    run_import(with_follow_ups())
    changed = json.loads(json.dumps(FOLLOW_UPS))
    changed[0].update(outcome="no_answer", at="2026-01-07T09:30", note="Rang twice")
    del changed[1]  # a touch the file no longer has stays

    code, _stdout, errors = run_import(with_follow_ups(changed))

    assert (code, errors) == (0, [])
    stored = touches()
    assert len(stored) == 4
    assert (stored["fu-1"].outcome, stored["fu-1"].note) == ("no_answer", "Rang twice")
    assert stored["fu-1"].at == datetime.datetime(2026, 1, 7, 9, 30, tzinfo=CHICAGO)
    with scopes_disabled():
        event = AuditEvent.objects.filter(action="plan.imported").order_by("-at", "-id").first()
    assert event.detail["touches"] == {"updated": 1}


def test_an_absent_note_keeps_the_note_a_touch_has(db):
    run_import(with_follow_ups())
    changed = json.loads(json.dumps(FOLLOW_UPS))
    del changed[2]["note"]

    assert run_import(with_follow_ups(changed))[0] == 0

    assert touches()["fu-2"].note == "Happy with the bridge"


def test_a_touch_may_name_a_plan_and_staff_the_practice_already_has(db):
    run_import()
    doc = document(
        staff=[],
        procedure_codes=[],
        patients=[],
        plans=[],
        presentations=[],
        decisions=[],
        completed=[],
        follow_ups=[FOLLOW_UPS[0]],
    )

    code, stdout, errors = run_import(doc)

    assert (code, errors) == (0, [])
    assert stdout.endswith("0 decisions, 1 follow-up, 0 completed procedures")
    assert touches()["fu-1"].plan == plan("tp-1")


def test_the_audit_trail_counts_touches_per_plan_and_in_the_summary(db):
    run_import(with_follow_ups())

    with scopes_disabled():
        events = list(AuditEvent.objects.filter(system_actor="command:import_practice"))
        plans = {str(p.pk): p.ref for p in [plan("tp-1"), plan("tp-2")]}
    per_plan = {plans[e.object_id]: e.detail for e in events if e.action == "plan.imported"}
    assert per_plan["tp-1"]["touches"] == {"created": 3}
    assert per_plan["tp-2"]["touches"] == {"created": 1}
    (summary,) = [e for e in events if e.action == "practice.imported"]
    assert summary.detail["records"]["follow_ups"] == 4
    assert summary.detail["created"]["touches"] == 4
    stored = json.dumps([e.detail for e in events])
    for value in ("voicemail", "bridge", "2026-01-07"):
        assert value not in stored


def test_dry_run_counts_the_touches_and_writes_nothing(db):
    code, stdout, _errors = run_import(with_follow_ups(), "--dry-run")

    assert code == 0
    assert stdout == SUMMARY.replace("imported", "dry run, nothing written: would import")
    assert row_counts() == dict.fromkeys(row_counts(), 0)
    assert not touches()


def test_many_touches_take_no_query_per_row(db):
    def with_touches(n: int) -> dict:
        return with_follow_ups(
            [
                {**FOLLOW_UPS[0], "ref": f"fu-{i}", "at": f"2026-01-{1 + i % 28:02d}T09:00"}
                for i in range(n)
            ]
        )

    with CaptureQueriesContext(connection) as few:
        assert run_import(with_touches(2))[0] == 0
    with scopes_disabled():
        Touch.objects.all().delete()
    with CaptureQueriesContext(connection) as many:
        assert run_import(with_touches(300))[0] == 0

    assert len(many) <= len(few) + 2


F0 = "follow_ups.0"
E0 = "follow_ups[0]"
ERRORS = [
    (f"{F0}.ref", DELETE, f"{E0}.ref: required"),
    (f"{F0}.ref", 12, f'{E0}.ref: must be text (put the id in quotes: "12")'),
    (f"{F0}.plan", DELETE, f"{E0}.plan: required"),
    (f"{F0}.plan", "tp-9", f'{E0}.plan: unknown plan "tp-9"'),
    (f"{F0}.by", "bob", f'{E0}.by: unknown staff "bob"'),
    (f"{F0}.at", DELETE, f"{E0}.at: required"),
    (f"{F0}.at", "7 Jan 2026", f'{E0}.at: "7 Jan 2026" is not a time {ISO_EXAMPLE}'),
    (f"{F0}.channel", DELETE, f"{E0}.channel: required"),
    (
        f"{F0}.channel",
        "fax",
        f'{E0}.channel: "fax" is not a channel (call, email, sms, letter)',
    ),
    (f"{F0}.outcome", DELETE, f"{E0}.outcome: required"),
    (
        f"{F0}.outcome",
        "accepted",
        f'{E0}.outcome: "accepted" is not an outcome '
        "(reached, voicemail, no_answer, sent, replied, bounced)",
    ),
    (f"{F0}.channel", "email", f'{E0}.outcome: "voicemail" is the outcome of a call'),
    (f"{F0}.note", "x" * 501, f"{E0}.note: is longer than 500 characters"),
    (
        f"{F0}.result",
        "ok",
        f"{E0}.result: unknown field (expected ref, plan, by, at, channel, outcome, note)",
    ),
    ("follow_ups.1.ref", "fu-1", 'follow_ups[1].ref: "fu-1" is used twice (also follow_ups[0])'),
    ("follow_ups.1", "fu-1", "follow_ups[1]: must be an object ({...})"),
    ("follow_ups", {"ref": "fu-1"}, "follow_ups: must be a list ([...])"),
]


@pytest.mark.parametrize(
    ("path", "value", "error"),
    ERRORS,
    ids=[
        f"{path}={'(deleted)' if value is DELETE else str(value)[:12]!r}"
        for path, value, _e in ERRORS
    ],
)
def test_a_bad_touch_is_reported_with_its_path_and_nothing_is_written(db, path, value, error):
    doc = with_follow_ups()
    _set(path, value)(doc)

    code, stdout, errors = run_import(doc)

    assert (code, stdout, errors) == (2, "", [error])
    assert row_counts() == dict.fromkeys(row_counts(), 0)
    assert not touches()


def test_a_touch_of_another_plan_is_an_error_not_a_move(db):
    run_import(with_follow_ups())
    moved = json.loads(json.dumps(FOLLOW_UPS))
    moved[0]["plan"] = "tp-2"

    code, _stdout, errors = run_import(with_follow_ups(moved))

    assert code == 2
    assert errors == [
        'follow_ups[0].plan: follow-up "fu-1" is of another plan: an import does not move a '
        "follow-up"
    ]
    assert touches()["fu-1"].plan == plan("tp-1")


def test_a_reference_to_a_plan_with_problems_is_not_reported_twice(db):
    doc = with_follow_ups()
    doc["plans"][0]["dentist"] = "dr-who"

    code, _stdout, errors = run_import(doc)

    assert code == 2
    assert [e for e in errors if e.startswith("follow_ups")] == []


def test_imported_decisions_stop_the_follow_up_of_a_plan_they_decide(db):
    run_import()
    with scopes_disabled():
        tp2 = plan("tp-2")
        owner = Membership.objects.get(ref="anna").user
        tp2.first_presented_at = datetime.datetime(2026, 2, 10, 21, tzinfo=UTC)
        tp2.save(update_fields=["first_presented_at"])
        follow_up = followup_services.follow_up_start(
            plan=tp2, owner=owner, anchor_at=tp2.first_presented_at
        )
    decided = document(
        decisions=[
            {"procedure": "tp-2-a-1", "decision": "accepted", "at": "2026-02-20T10:00"},
            {"procedure": "tp-2-a-2", "decision": "accepted", "at": "2026-02-20T10:00"},
        ]
    )

    assert run_import(decided)[0] == 0

    with scopes_disabled():
        follow_up.refresh_from_db()
        assert (follow_up.status, follow_up.stop_reason) == ("stopped", "accepted")
        assert not follow_up.reminders.filter(status="pending").exists()
