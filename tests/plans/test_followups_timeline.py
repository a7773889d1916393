"""Every touch and every reminder sent, failed or skipped is on the patient's timeline."""

import datetime

import pytest
from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from plans import followup_services as fs
from plans.followup_models import FollowUp, Reminder, ReminderKind, ReminderStatus
from plans.overview_selectors import patient_timeline
from tests.plans.followup_helpers import NOW, a_presented_plan


@pytest.fixture(autouse=True)
def _monday_morning(time_machine):
    time_machine.move_to(NOW, tick=False)


def _follow_up_history(practice, patient, alice, dave, time_machine):
    """A presented plan; a voicemail; an email sent (with its touch); a text that failed; a
    call-back skipped; the rest still pending or cancelled."""
    plan = a_presented_plan(practice, patient, dave, alice)
    follow_up = FollowUp.objects.get(plan=plan)
    call, email, text = follow_up.reminders.order_by("step_number")
    time_machine.shift(datetime.timedelta(days=2))
    fs.touch_record(
        plan=plan,
        channel="call",
        outcome="voicemail",
        by=alice,
        note="Left our number",
        reminder=call,
    )
    time_machine.shift(datetime.timedelta(days=12))
    Reminder.objects.filter(pk=email.pk).update(status=ReminderStatus.SENT, sent_at=timezone.now())
    fs.touch_record(plan=plan, channel="email", outcome="sent", by=None, reminder=email)
    time_machine.shift(datetime.timedelta(days=1))
    Reminder.objects.filter(pk=text.pk).update(
        status=ReminderStatus.FAILED,
        claimed_at=timezone.now(),
        last_error="The provider refused the number",
    )
    Reminder.objects.create(
        practice=practice,
        plan=plan,
        follow_up=follow_up,
        kind=ReminderKind.CALL_BACK,
        channel="sms",
        due_at=timezone.now() + datetime.timedelta(hours=1),
        status=ReminderStatus.SKIPPED,
        note="No consent to texts",
    )
    Reminder.objects.create(
        practice=practice,
        plan=plan,
        follow_up=follow_up,
        kind=ReminderKind.CALL_BACK,
        channel="call",
        due_at=timezone.now() + datetime.timedelta(days=3),
        assigned_to=alice,
    )
    return plan


def test_touches_and_reminders_are_on_the_timeline(practice, patient, alice, dave, time_machine):
    with scope(practice=practice):
        plan = _follow_up_history(practice, patient, alice, dave, time_machine)
        entries = patient_timeline(practice=practice, patient=patient)
    follow_up_entries = [
        (e.kind, e.title, e.by, e.detail, e.reason, e.note)
        for e in entries
        if e.kind == "touch" or e.kind.startswith("reminder")
    ]
    assert follow_up_entries == [
        ("reminder-skipped", "Text reminder skipped", None, "", "No consent to texts", ""),
        (
            "reminder-failed",
            "Text reminder failed",
            None,
            "",
            "The provider refused the number",
            "",
        ),
        # The email sent shows once: as its touch.
        ("touch", "Email: sent", None, "automatic", "", ""),
        ("touch", "Call: left a voicemail", alice, "", "", "Left our number"),
    ]
    assert {e.plan for e in entries if e.kind == "touch"} == {plan}


def test_the_patient_page_shows_them(practice, patient, alice, dave, time_machine, client_for):
    with scope(practice=practice):
        _follow_up_history(practice, patient, alice, dave, time_machine)
    html = client_for(alice).get(reverse("patients:detail", args=[practice.slug, patient.pk]))
    html = html.content.decode()
    assert "Call: left a voicemail" in html
    assert "by Alice Coordinator" in html
    assert "“Left our number”" in html
    assert "Email: sent" in html
    assert "Text reminder failed" in html
    assert "(The provider refused the number)" in html
    assert html.index("Text reminder failed") < html.index("Call: left a voicemail")


def test_the_timeline_takes_the_same_queries_however_many_touches(
    practice, patient, alice, dave, time_machine, client_for, django_assert_max_num_queries
):
    url = reverse("patients:detail", args=[practice.slug, patient.pk])
    with scope(practice=practice):
        _follow_up_history(practice, patient, alice, dave, time_machine)
    client = client_for(alice)
    client.get(url)  # the session settles on the first request
    reset_queries()  # the history filled the query log
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    small = len(few)  # now: the query log is a ring, later history overwrites it
    assert small <= 13
    with scope(practice=practice):
        for _ in range(3):
            _follow_up_history(practice, patient, alice, dave, time_machine)
    client = client_for(alice)  # signed in again: the history took weeks
    client.get(url)
    with django_assert_max_num_queries(small):
        response = client.get(url)
    assert response.content.decode().count("Call: left a voicemail") == 4
