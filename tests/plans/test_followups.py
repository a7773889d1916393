"""Follow-ups through the real services: presenting starts them, decisions stop or move them,
touches, call-backs, opt-outs, and plans nobody answered."""

import datetime

import pytest
from django.utils import timezone
from django_scopes import scope

from coordinator.models import AuditEvent
from insurance.models import Coverage
from plans import followup_services as fs
from plans import services
from plans.followup_models import (
    Cadence,
    Channel,
    FollowUp,
    FollowUpStatus,
    Reminder,
    ReminderKind,
    ReminderStatus,
    StopReason,
    Touch,
)
from plans.models import CloseReason, PlanStatus
from tests.factories import GroupPlanFactory, PatientFactory, SubscriptionFactory
from tests.plans.followup_helpers import (
    NOW,
    a_plan,
    a_presented_plan,
    a_request,
    present,
    procedures,
)

CHICAGO = datetime.timezone(datetime.timedelta(hours=-6))
CHICAGO_SUMMER = datetime.timezone(datetime.timedelta(hours=-5))


@pytest.fixture(autouse=True)
def _monday_morning(time_machine):
    time_machine.move_to(NOW, tick=False)


def _steps(follow_up):
    return list(follow_up.reminders.filter(kind=ReminderKind.STEP).order_by("step_number"))


def _active(plan):
    return FollowUp.objects.filter(plan=plan, status=FollowUpStatus.ACTIVE).first()


# --- Cadences --------------------------------------------------------------------------------


def test_the_default_cadence_is_2_2_2_and_made_once(practice):
    with scope(practice=practice):
        cadence = fs.default_cadence(practice)
        assert fs.default_cadence(practice) == cadence
        assert cadence.name == "2-2-2"
        assert cadence.is_default
        steps = list(cadence.steps.order_by("number"))
        assert [(s.days, s.after, s.channel) for s in steps] == [
            (2, "presentation", "call"),
            (14, "presentation", "email"),
            (60, "presentation", "sms"),
        ]
        for step in steps[1:]:
            text = step.subject + step.body
            assert "{first_name}" in text
            assert "{plan_link}" in text
            assert "$" not in text
            assert "crown" not in text.lower()
        assert Cadence.objects.filter(practice=practice).count() == 1


def test_a_cadence_named_2_2_2_without_a_default_becomes_the_default(practice):
    with scope(practice=practice):
        made = Cadence.objects.create(practice=practice, name="2-2-2")
        assert fs.default_cadence(practice) == made
        made.refresh_from_db()
        assert made.is_default


def test_each_practice_has_its_own_default(practice, other_practice):
    with scope(practice=practice):
        ours = fs.default_cadence(practice)
    with scope(practice=other_practice):
        theirs = fs.default_cadence(other_practice)
    assert ours != theirs


# --- Presenting starts it --------------------------------------------------------------------


def test_presenting_starts_the_default_cadence_owned_by_the_presenter(
    practice, patient, alice, dave
):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        follow_up = _active(plan)
        assert follow_up.owner == alice
        assert follow_up.cadence.name == "2-2-2"
        assert follow_up.anchor_at == datetime.datetime.fromisoformat(NOW)
        call, email, text = _steps(follow_up)
        # 10:00 in Chicago: CST before 8 March, CDT after.
        assert call.due_at == datetime.datetime(2026, 3, 4, 10, tzinfo=CHICAGO)
        assert email.due_at == datetime.datetime(2026, 3, 16, 10, tzinfo=CHICAGO_SUMMER)
        assert text.due_at == datetime.datetime(2026, 5, 1, 10, tzinfo=CHICAGO_SUMMER)
        assert (call.channel, call.assigned_to) == (Channel.CALL, alice)
        assert (email.channel, email.assigned_to) == (Channel.EMAIL, None)
        assert (text.channel, text.assigned_to) == (Channel.SMS, None)
        assert {r.status for r in (call, email, text)} == {ReminderStatus.PENDING}
        assert all(r.plan == plan for r in (call, email, text))


def test_steps_after_the_previous_one_count_from_its_day(practice, patient, alice, dave):
    with scope(practice=practice):
        cadence = Cadence.objects.create(practice=practice, name="Close", is_default=True)
        for number, days, after, channel in (
            (1, 1, "presentation", "call"),
            (2, 3, "previous", "email"),
            (3, 10, "previous", "call"),
        ):
            cadence.steps.create(
                practice=practice, number=number, days=days, after=after, channel=channel
            )
        plan = a_presented_plan(practice, patient, dave, alice)
        days = [r.due_at.astimezone(practice.tzinfo).date() for r in _steps(_active(plan))]
        assert days == [
            datetime.date(2026, 3, 3),
            datetime.date(2026, 3, 6),
            datetime.date(2026, 3, 16),
        ]
        assert [r.assigned_to for r in _steps(_active(plan))] == [alice, None, alice]


def test_presenting_the_same_version_again_keeps_the_follow_up(
    practice, patient, alice, bob, dave, time_machine
):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        first = _active(plan)
        time_machine.shift(datetime.timedelta(days=1))
        present(plan, bob)
        assert _active(plan) == first
        assert FollowUp.objects.filter(plan=plan).count() == 1


def test_presenting_a_changed_plan_restarts_it(practice, patient, alice, bob, dave, time_machine):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        first = _active(plan)
        option = plan.options.get()
        services.procedure_add(
            option=option,
            phase=option.phases.get(),
            code=procedures(plan)[0].procedure_code,
            tooth="30",
            request=a_request(alice),
            expected_version=plan.version,
        )
        time_machine.shift(datetime.timedelta(days=3))
        present(plan, bob)
        first.refresh_from_db()
        assert (first.status, first.stop_reason) == (FollowUpStatus.STOPPED, StopReason.RESTARTED)
        assert {r.status for r in first.reminders.all()} == {ReminderStatus.CANCELLED}
        second = _active(plan)
        assert second.owner == bob
        assert _steps(second)[0].due_at == datetime.datetime(2026, 3, 7, 10, tzinfo=CHICAGO)


def test_presenting_a_plan_already_accepted_starts_nothing(practice, patient, alice, dave):
    with scope(practice=practice):
        plan = a_plan(practice, patient, dave, alice)
        services.option_accept(option=plan.options.get(), request=a_request(alice), by=alice)
        present(plan, alice)
        assert not FollowUp.objects.filter(plan=plan).exists()


def test_a_late_start_skips_old_automatic_steps_but_keeps_the_calls(practice, patient, alice, dave):
    with scope(practice=practice):
        plan = a_plan(practice, patient, dave, alice)
        present(plan, alice, at=timezone.now() - datetime.timedelta(days=20))
        call, email, text = _steps(_active(plan))
        assert call.status == ReminderStatus.PENDING  # overdue in the queue
        assert email.status == ReminderStatus.SKIPPED
        assert text.status == ReminderStatus.PENDING


def test_no_follow_up_for_a_closed_plan_or_an_inactive_cadence(practice, patient, alice, dave):
    with scope(practice=practice):
        plan = a_plan(practice, patient, dave, alice)
        cadence = fs.default_cadence(practice)
        Cadence.objects.filter(pk=cadence.pk).update(is_active=False)
        present(plan, alice)
        assert not FollowUp.objects.filter(plan=plan).exists()
        services.plan_close(plan=plan, request=a_request(alice), reason=CloseReason.ABANDONED)
        cadence.refresh_from_db()
        Cadence.objects.filter(pk=cadence.pk).update(is_active=True)
        assert fs.follow_up_start(plan=plan, owner=alice, anchor_at=timezone.now()) is None


# --- Decisions stop it -----------------------------------------------------------------------


def test_accepting_stops_it_and_cancels_what_was_not_sent(practice, patient, alice, dave):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        follow_up = _active(plan)
        call, email, text = _steps(follow_up)
        Reminder.objects.filter(pk=email.pk).update(status=ReminderStatus.SENDING)
        Reminder.objects.filter(pk=text.pk).update(status=ReminderStatus.QUEUED)
        services.option_accept(option=plan.options.get(), request=a_request(alice), by=alice)
        follow_up.refresh_from_db()
        assert (follow_up.status, follow_up.stop_reason) == (
            FollowUpStatus.STOPPED,
            StopReason.ACCEPTED,
        )
        assert follow_up.ended_at == timezone.now()
        statuses = {r.step_number: r.status for r in follow_up.reminders.all()}
        assert statuses == {
            1: ReminderStatus.CANCELLED,
            2: ReminderStatus.SENDING,  # the worker re-checks under its lock
            3: ReminderStatus.CANCELLED,
        }


def test_accepting_part_while_the_rest_is_deferred_keeps_it(practice, patient, alice, dave):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        first, second = procedures(plan)
        services.procedure_decide(
            procedure=first, request=a_request(alice), kind="accepted", by=alice
        )
        services.procedure_decide(
            procedure=second, request=a_request(alice), kind="deferred", by=alice, reason="time"
        )
        plan.refresh_from_db()
        assert plan.status == PlanStatus.PARTIALLY_ACCEPTED
        assert _active(plan) is not None
        services.procedure_decide(
            procedure=second, request=a_request(alice), kind="declined", by=alice, reason="fear"
        )
        follow_up = FollowUp.objects.get(plan=plan)
        assert follow_up.stop_reason == StopReason.ACCEPTED


def test_declining_everything_stops_it(practice, patient, alice, dave):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        first, second = procedures(plan)
        services.procedure_decide(
            procedure=first, request=a_request(alice), kind="declined", by=alice, reason="fear"
        )
        assert _active(plan) is not None
        services.procedure_decide(
            procedure=second, request=a_request(alice), kind="declined", by=alice, reason="fear"
        )
        follow_up = FollowUp.objects.get(plan=plan)
        assert (follow_up.status, follow_up.stop_reason) == ("stopped", StopReason.DECLINED)


def test_completing_work_stops_it(practice, patient, alice, dave):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice, teeth=("3",))
        services.procedure_complete(
            procedure=procedures(plan)[0],
            request=a_request(alice),
            completed_on=timezone.localdate(),
            dentist=dave,
            by=alice,
        )
        assert FollowUp.objects.get(plan=plan).stop_reason == StopReason.ACCEPTED


def test_closing_stops_it_and_reopening_does_not_restart(practice, patient, alice, dave):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        call = _steps(_active(plan))[0]
        fs.touch_record(
            plan=plan,
            channel="call",
            outcome="voicemail",
            by=alice,
            reminder=call,
            call_back_on=datetime.date(2026, 3, 10),
        )
        services.plan_close(plan=plan, request=a_request(alice), reason=CloseReason.ABANDONED)
        follow_up = FollowUp.objects.get(plan=plan)
        assert follow_up.stop_reason == StopReason.CLOSED
        call_back = Reminder.objects.get(plan=plan, kind=ReminderKind.CALL_BACK)
        assert call_back.status == ReminderStatus.CANCELLED
        services.plan_reopen(plan=plan, request=a_request(alice))
        assert _active(plan) is None
        assert fs.follow_up_start(plan=plan, owner=alice, anchor_at=timezone.now()) is not None


# --- Reasons ---------------------------------------------------------------------------------


def test_waiting_for_benefits_without_insurance_calls_after_january_1(
    practice, patient, alice, dave
):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        first = _active(plan)
        for procedure in procedures(plan):
            services.procedure_decide(
                procedure=procedure,
                request=a_request(alice),
                kind="deferred",
                by=alice,
                reason="waiting_for_benefits",
            )
        first.refresh_from_db()
        assert first.stop_reason == StopReason.RESTARTED
        follow_up = _active(plan)
        assert follow_up.cadence.name == fs.BENEFITS_CADENCE_NAME
        assert follow_up.cadence.reasons == ["waiting_for_benefits"]
        assert follow_up.owner == alice
        assert FollowUp.objects.filter(plan=plan).count() == 2  # the second deferral kept it
        (call,) = _steps(follow_up)
        assert call.channel == Channel.CALL
        assert call.assigned_to == alice
        assert call.due_at == datetime.datetime(2027, 1, 2, 10, tzinfo=CHICAGO)


def test_waiting_for_benefits_follows_the_primary_plans_renewal_month(
    practice, patient, alice, bob, dave
):
    with scope(practice=practice):
        group_plan = GroupPlanFactory(practice=practice, renewal_month=7)
        subscription = SubscriptionFactory(
            practice=practice, group_plan=group_plan, subscriber=patient
        )
        Coverage.objects.create(
            practice=practice,
            patient=patient,
            subscription=subscription,
            ordinal=1,
            relationship="self",
        )
        plan = a_presented_plan(practice, patient, dave, alice, teeth=("3",))
        services.procedure_decide(
            procedure=procedures(plan)[0],
            request=a_request(bob),
            kind="deferred",
            by=bob,
            reason="waiting_for_benefits",
        )
        follow_up = _active(plan)
        assert follow_up.owner == alice  # the owner stays
        (call,) = _steps(follow_up)
        assert call.due_at == datetime.datetime(2026, 7, 2, 10, tzinfo=CHICAGO_SUMMER)


def test_a_reason_the_manager_mapped_moves_the_follow_up_to_that_cadence(
    practice, patient, alice, dave
):
    with scope(practice=practice):
        fear = Cadence.objects.create(practice=practice, name="Gentle", reasons=["fear"])
        fear.steps.create(practice=practice, number=1, days=5, channel="call")
        plan = a_presented_plan(practice, patient, dave, alice)
        services.procedure_decide(
            procedure=procedures(plan)[0],
            request=a_request(alice),
            kind="deferred",
            by=alice,
            reason="fear",
        )
        follow_up = _active(plan)
        assert follow_up.cadence == fear
        assert _steps(follow_up)[0].due_at == datetime.datetime(2026, 3, 7, 10, tzinfo=CHICAGO)


def test_a_manager_can_turn_the_benefits_cadence_off(practice, patient, alice, dave):
    with scope(practice=practice):
        fs.reason_cadence(practice, "waiting_for_benefits")
        Cadence.objects.filter(name=fs.BENEFITS_CADENCE_NAME).update(reasons=[])
        assert fs.reason_cadence(practice, "waiting_for_benefits") is None
        assert Cadence.objects.filter(name=fs.BENEFITS_CADENCE_NAME).count() == 1


@pytest.mark.parametrize(
    ("reason", "suggestion"),
    [("co_decider", "Send the second link"), ("cost", "Rebuild around a monthly budget")],
)
def test_co_decider_and_cost_leave_a_suggestion_for_the_queue(
    practice, patient, alice, dave, reason, suggestion
):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        first = _active(plan)
        assert first.suggestion == ""
        services.procedure_decide(
            procedure=procedures(plan)[0],
            request=a_request(alice),
            kind="declined",
            by=alice,
            reason=reason,
        )
        follow_up = _active(plan)
        assert follow_up == first  # same cadence, same follow-up
        assert follow_up.suggestion == suggestion


# --- Touches ---------------------------------------------------------------------------------


def test_logging_a_call_marks_the_task_done_and_books_a_call_back(
    practice, patient, alice, bob, dave
):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        call = _steps(_active(plan))[0]
        touch = fs.touch_record(
            plan=plan,
            channel="call",
            outcome="reached",
            by=bob,
            note="Wants to talk to her husband ",
            reminder=call,
            call_back_on=datetime.date(2026, 3, 12),
            request=a_request(bob),
        )
        assert (touch.by, touch.outcome, touch.note) == (
            bob,
            "reached",
            "Wants to talk to her husband",
        )
        assert touch.at == timezone.now()
        call.refresh_from_db()
        assert call.status == ReminderStatus.DONE
        call_back = Reminder.objects.get(plan=plan, kind=ReminderKind.CALL_BACK)
        assert call_back.due_at == datetime.datetime(2026, 3, 12, 9, tzinfo=CHICAGO_SUMMER)
        assert call_back.assigned_to == alice  # the owner's queue
        assert call_back.follow_up == _active(plan)
        assert (call_back.channel, call_back.status) == (Channel.CALL, ReminderStatus.PENDING)
        assert _active(plan) is not None  # reaching the patient does not stop it
        event = AuditEvent.objects.get(action="plan.touch_recorded")
        assert event.actor == bob
        assert event.detail["outcome"] == "reached"


def test_a_reply_stops_the_follow_up(practice, patient, alice, dave):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        email = _steps(_active(plan))[1]
        fs.touch_record(plan=plan, channel="email", outcome="sent", by=None, reminder=email)
        email.refresh_from_db()
        assert email.status == ReminderStatus.PENDING  # the delivery worker sets sent itself
        fs.touch_record(plan=plan, channel="email", outcome="replied", by=None)
        follow_up = FollowUp.objects.get(plan=plan)
        assert follow_up.stop_reason == StopReason.REPLIED
        assert not AuditEvent.objects.filter(action="plan.touch_recorded").exists()
        assert Touch.objects.filter(plan=plan).count() == 2


def test_a_call_back_without_a_follow_up_goes_to_whoever_logged_it(
    practice, patient, alice, bob, dave
):
    with scope(practice=practice):
        plan = a_plan(practice, patient, dave, alice)
        fs.touch_record(
            plan=plan,
            channel="call",
            outcome="no_answer",
            by=bob,
            call_back_on=datetime.date(2026, 3, 3),
        )
        call_back = Reminder.objects.get(plan=plan)
        assert (call_back.assigned_to, call_back.follow_up) == (bob, None)


def test_a_touch_checks_its_channel_outcome_and_reminder(practice, patient, alice, dave):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        other = a_presented_plan(practice, patient, dave, alice)
        with pytest.raises(fs.ValidationError):
            fs.touch_record(plan=plan, channel="fax", outcome="sent", by=alice)
        with pytest.raises(fs.ValidationError):
            fs.touch_record(plan=plan, channel="call", outcome="maybe", by=alice)
        with pytest.raises(fs.ValidationError):
            fs.touch_record(
                plan=plan,
                channel="call",
                outcome="reached",
                by=alice,
                reminder=_steps(_active(other))[0],
            )
        assert not Touch.objects.exists()


# --- Opting out ------------------------------------------------------------------------------


def test_opting_out_stops_every_follow_up_of_the_patient(practice, patient, alice, dave):
    with scope(practice=practice):
        first = a_presented_plan(practice, patient, dave, alice)
        second = a_presented_plan(practice, patient, dave, alice)
        someone_else = a_presented_plan(practice, PatientFactory(practice=practice), dave, alice)
        fs.patient_opt_out(patient=patient, source="link")
        patient.refresh_from_db()
        assert patient.reminders_opted_out_at == timezone.now()
        for plan in (first, second):
            follow_up = FollowUp.objects.get(plan=plan)
            assert follow_up.stop_reason == StopReason.OPTED_OUT
            assert not follow_up.reminders.filter(status=ReminderStatus.PENDING).exists()
        assert _active(someone_else) is not None
        event = AuditEvent.objects.get(action="patient.reminders_opted_out")
        assert event.detail == {"source": "link"}
        assert event.system_actor == "system"


def test_opting_out_twice_keeps_the_first_time(practice, patient, alice, time_machine):
    with scope(practice=practice):
        fs.patient_opt_out(patient=patient, source="sms_stop")
        first = timezone.now()
        time_machine.shift(datetime.timedelta(hours=2))
        fs.patient_opt_out(patient=patient, source="link", request=a_request(alice))
        patient.refresh_from_db()
        assert patient.reminders_opted_out_at == first
        assert AuditEvent.objects.filter(action="patient.reminders_opted_out").count() == 1


# --- Nobody answered -------------------------------------------------------------------------


def _finish_steps(follow_up):
    Reminder.objects.filter(follow_up=follow_up, channel="call").update(status=ReminderStatus.DONE)
    Reminder.objects.filter(follow_up=follow_up).exclude(channel="call").update(
        status=ReminderStatus.SENT
    )


def test_after_the_last_step_without_an_answer_the_plan_closes(
    practice, patient, alice, dave, time_machine
):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        follow_up = _active(plan)
        _finish_steps(follow_up)
        last = _steps(follow_up)[-1].due_at
    time_machine.move_to(last + fs.ANSWER_WINDOW - datetime.timedelta(minutes=1), tick=False)
    assert fs.close_unresponsive_plans() == 0
    time_machine.move_to(last + fs.ANSWER_WINDOW, tick=False)
    assert fs.close_unresponsive_plans() == 1
    assert fs.close_unresponsive_plans() == 0
    with scope(practice=practice):
        follow_up.refresh_from_db()
        plan.refresh_from_db()
        assert follow_up.status == FollowUpStatus.FINISHED
        assert follow_up.ended_at == timezone.now()
        assert (plan.status, plan.close_reason) == (PlanStatus.CLOSED, CloseReason.UNRESPONSIVE)


def test_an_open_call_or_unsent_reminder_keeps_the_plan_open(
    practice, patient, alice, dave, time_machine
):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        follow_up = _active(plan)
        _finish_steps(follow_up)
        first_call = _steps(follow_up)[0]
        Reminder.objects.filter(pk=first_call.pk).update(status=ReminderStatus.PENDING)
    time_machine.shift(datetime.timedelta(days=120))
    assert fs.close_unresponsive_plans() == 0
    with scope(practice=practice):
        Reminder.objects.filter(pk=first_call.pk).update(status=ReminderStatus.DONE)
        # A pending call-back (not a step) also waits for its call.
        Reminder.objects.create(
            practice=practice,
            plan=plan,
            follow_up=follow_up,
            kind=ReminderKind.CALL_BACK,
            channel="call",
            due_at=timezone.now(),
            assigned_to=alice,
        )
    assert fs.close_unresponsive_plans() == 0


def test_a_partly_accepted_plan_finishes_without_closing(
    practice, patient, alice, dave, time_machine
):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)
        first, second = procedures(plan)
        services.procedure_decide(
            procedure=first, request=a_request(alice), kind="accepted", by=alice
        )
        follow_up = _active(plan)
        _finish_steps(follow_up)
    time_machine.shift(datetime.timedelta(days=120))
    assert fs.close_unresponsive_plans() == 1
    with scope(practice=practice):
        plan.refresh_from_db()
        follow_up.refresh_from_db()
        assert plan.status == PlanStatus.PARTIALLY_ACCEPTED
        assert follow_up.status == FollowUpStatus.FINISHED


def test_the_sweep_takes_a_bounded_batch(practice, patient, alice, dave, time_machine):
    with scope(practice=practice):
        for _ in range(3):
            _finish_steps(_active(a_presented_plan(practice, patient, dave, alice)))
    time_machine.shift(datetime.timedelta(days=120))
    assert fs.close_unresponsive_plans(limit=2) == 2
    assert fs.close_unresponsive_plans(limit=2) == 1


def test_the_stop_is_part_of_the_decisions_transaction(practice, patient, alice, dave, monkeypatch):
    with scope(practice=practice):
        plan = a_presented_plan(practice, patient, dave, alice)

        def fail(*args, **kwargs):
            raise RuntimeError("audit down")

        monkeypatch.setattr(services, "_audit", fail)
        with pytest.raises(RuntimeError):
            services.option_accept(option=plan.options.get(), request=a_request(alice), by=alice)
        follow_up = _active(plan)
        assert follow_up is not None
        assert {r.status for r in follow_up.reminders.all()} == {ReminderStatus.PENDING}
