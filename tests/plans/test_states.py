"""The state machine of plans/states.py: every procedure transition, and every plan status."""

import itertools

import pytest

from plans.models import PlanStatus, ProcedureStatus
from plans.states import (
    ACCEPTED_STATES,
    PROCEDURE_TRANSITIONS,
    OptionState,
    TransitionNotAllowed,
    check_procedure_transition,
    chosen_option,
    is_editable,
    plan_status,
)

P = ProcedureStatus

ALLOWED = {
    (P.PROPOSED, P.ACCEPTED),
    (P.PROPOSED, P.DECLINED),
    (P.PROPOSED, P.DEFERRED),
    (P.PROPOSED, P.COMPLETED),
    (P.ACCEPTED, P.DECLINED),
    (P.ACCEPTED, P.DEFERRED),
    (P.ACCEPTED, P.SCHEDULED),
    (P.ACCEPTED, P.COMPLETED),
    (P.DEFERRED, P.ACCEPTED),
    (P.DEFERRED, P.DECLINED),
    (P.DEFERRED, P.COMPLETED),
    (P.DECLINED, P.ACCEPTED),
    (P.DECLINED, P.DEFERRED),
    (P.DECLINED, P.COMPLETED),
    (P.SCHEDULED, P.ACCEPTED),
    (P.SCHEDULED, P.COMPLETED),
}
EVERY_PAIR = list(itertools.product(P, P))


def test_the_table_covers_every_state():
    assert set(PROCEDURE_TRANSITIONS) == set(P)
    assert {(a, b) for a, targets in PROCEDURE_TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize(("current", "new"), sorted(ALLOWED), ids=lambda s: str(s))
def test_allowed_transition(current, new):
    check_procedure_transition(current, new)


@pytest.mark.parametrize(
    ("current", "new"),
    [pair for pair in EVERY_PAIR if pair not in ALLOWED],
    ids=lambda s: str(s),
)
def test_forbidden_transition_is_refused_with_a_message(current, new):
    with pytest.raises(TransitionNotAllowed) as refused:
        check_procedure_transition(current, new)
    message = str(refused.value)
    assert message.endswith(".")
    if current == new:
        assert message == f"It is already {P(current).label.lower()}."
    elif current == P.COMPLETED:
        assert "completed work cannot change" in message
    elif current == P.SCHEDULED:
        assert "cancel the appointment first" in message
    else:
        assert P(new).label.lower() in message


@pytest.mark.parametrize("status", list(P))
def test_only_scheduled_and_completed_work_is_frozen(status):
    assert is_editable(status) is (status not in (P.SCHEDULED, P.COMPLETED))


def _option(*statuses, recommended=False) -> OptionState:
    return OptionState(recommended=recommended, statuses=tuple(statuses))


# (diagnosed, presented, closed, options) → plan status, one case (or more) per status.
PLAN_CASES = {
    "draft": (False, False, False, [_option(P.PROPOSED, recommended=True)], PlanStatus.DRAFT),
    "draft-even-with-decisions": (
        False,
        False,
        False,
        [_option(P.ACCEPTED, recommended=True)],
        PlanStatus.DRAFT,
    ),
    "diagnosed": (
        True,
        False,
        False,
        [_option(P.PROPOSED, recommended=True)],
        PlanStatus.DIAGNOSED,
    ),
    "diagnosed-empty": (True, False, False, [_option(recommended=True)], PlanStatus.DIAGNOSED),
    "presented": (True, True, False, [_option(P.PROPOSED, recommended=True)], PlanStatus.PRESENTED),
    "presented-deferred": (
        True,
        True,
        False,
        [_option(P.DEFERRED, P.PROPOSED, recommended=True)],
        PlanStatus.PRESENTED,
    ),
    "accepted": (
        True,
        True,
        False,
        [_option(P.ACCEPTED, P.ACCEPTED, recommended=True)],
        PlanStatus.ACCEPTED,
    ),
    "accepted-the-alternative": (
        True,
        True,
        False,
        [_option(P.DECLINED, recommended=True), _option(P.ACCEPTED)],
        PlanStatus.ACCEPTED,
    ),
    "partially-accepted": (
        True,
        True,
        False,
        [_option(P.ACCEPTED, P.DEFERRED, recommended=True)],
        PlanStatus.PARTIALLY_ACCEPTED,
    ),
    "declined": (
        True,
        True,
        False,
        [_option(P.DECLINED, recommended=True), _option(P.DECLINED)],
        PlanStatus.DECLINED,
    ),
    "scheduled": (
        True,
        True,
        False,
        [_option(P.SCHEDULED, P.ACCEPTED, recommended=True)],
        PlanStatus.SCHEDULED,
    ),
    "in-treatment": (
        True,
        True,
        False,
        [_option(P.COMPLETED, P.ACCEPTED, recommended=True)],
        PlanStatus.IN_TREATMENT,
    ),
    "completed": (
        True,
        True,
        False,
        [_option(P.COMPLETED, P.DECLINED, recommended=True)],
        PlanStatus.COMPLETED,
    ),
    "completed-without-a-recorded-acceptance": (
        True,
        False,
        False,
        [_option(P.COMPLETED, recommended=True)],
        PlanStatus.COMPLETED,
    ),
    "closed": (True, True, True, [_option(P.ACCEPTED, recommended=True)], PlanStatus.CLOSED),
}


@pytest.mark.parametrize("case", PLAN_CASES)
def test_plan_status(case):
    diagnosed, presented, closed, options, expected = PLAN_CASES[case]
    assert (
        plan_status(diagnosed=diagnosed, presented=presented, closed=closed, options=options)
        == expected
    )


def test_every_plan_status_has_a_case():
    assert {case[-1] for case in PLAN_CASES.values()} == set(PlanStatus)


def test_the_chosen_option_is_the_one_with_accepted_work_else_the_recommended():
    recommended = _option(P.PROPOSED, recommended=True)
    alternative = _option(P.PROPOSED)
    assert chosen_option([alternative, recommended]) is recommended
    accepted = _option(P.SCHEDULED)
    assert chosen_option([recommended, accepted]) is accepted
    assert chosen_option([]) is None
    assert P.COMPLETED in ACCEPTED_STATES


def test_deferred_work_keeps_a_plan_in_treatment():
    option = OptionState(recommended=True, statuses=("completed", "deferred"))
    status = plan_status(diagnosed=True, presented=True, closed=False, options=[option])
    assert status == PlanStatus.IN_TREATMENT
