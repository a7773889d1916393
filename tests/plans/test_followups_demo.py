"""The demo's follow-ups: touches in its history, and live follow-ups for recent undecided plans."""

import datetime
from collections import Counter

import pytest
from django_scopes import scopes_disabled

from coordinator import demo
from plans.followup_models import FollowUp, Reminder, ReminderStatus, Touch
from plans.models import Decision

# Friday 27 November 2026, 9:00 in Chicago.
NOW = datetime.datetime(2026, 11, 27, 15, tzinfo=datetime.UTC)


@pytest.fixture
def loaded(db, settings, time_machine):
    settings.DEBUG = True
    time_machine.move_to(NOW, tick=False)
    return demo.load()


def test_the_demo_history_has_follow_up_touches(loaded):
    with scopes_disabled():
        touches = list(Touch.objects.select_related("plan", "by"))
        first_decision = {}
        for decision in Decision.objects.select_related("procedure__option").order_by("at"):
            first_decision.setdefault(decision.procedure.option.plan_id, decision.at)
    assert len(touches) > 50
    channels = Counter(t.channel for t in touches)
    assert channels["call"] > 20
    assert channels["email"] > 5
    assert channels["sms"] > 0
    assert {t.by.email.split("@")[0] for t in touches if t.channel == "call"} <= {
        "alicia",
        "jordan",
    }
    assert all(t.by is None for t in touches if t.channel != "call")
    assert {t.outcome for t in touches if t.channel == "call"} == {
        "reached",
        "voicemail",
        "no_answer",
    }
    for touch in touches:
        assert touch.at >= touch.plan.first_presented_at
        assert touch.at < first_decision.get(touch.plan_id, NOW)
    # Some patients said yes after a follow-up touch: what follow-up conversion counts.
    assert sum(1 for t in touches if t.plan.status in ("accepted", "completed", "in_treatment")) > 5


def test_recent_undecided_plans_have_live_follow_ups_with_calls_due(loaded):
    assert loaded.created > 0
    with scopes_disabled():
        follow_ups = list(FollowUp.objects.filter(status="active").select_related("plan", "owner"))
        calls = list(
            Reminder.objects.filter(
                follow_up__status="active", channel="call", status=ReminderStatus.PENDING
            )
        )
        answered = Reminder.objects.filter(touch__isnull=False)
        assert answered.exists()
        assert all(r.status in ("done", "sent") for r in answered)
    assert len(follow_ups) >= 5
    assert {f.owner.email.split("@")[0] for f in follow_ups} <= {"alicia", "jordan"}
    for follow_up in follow_ups:
        assert follow_up.plan.status in ("presented", "partially_accepted")
        assert follow_up.anchor_at >= NOW - datetime.timedelta(days=demo.FOLLOW_UP_DAYS + 1)
    end_of_today = datetime.datetime(2026, 11, 28, 6, tzinfo=datetime.UTC)
    start_of_today = datetime.datetime(2026, 11, 27, 6, tzinfo=datetime.UTC)
    due = [c for c in calls if c.due_at < end_of_today]
    assert any(c.due_at < start_of_today for c in due), "overdue calls"
    assert any(c.due_at >= start_of_today for c in due), "calls today"
    assert all(c.assigned_to_id for c in calls)


def test_loading_the_demo_again_starts_nothing_new(loaded):
    with scopes_disabled():
        before = (
            FollowUp.objects.count(),
            sorted(Reminder.objects.values_list("id", "status")),
            Touch.objects.count(),
        )
    assert demo.load().created == 0
    with scopes_disabled():
        after = (
            FollowUp.objects.count(),
            sorted(Reminder.objects.values_list("id", "status")),
            Touch.objects.count(),
        )
    assert after == before
