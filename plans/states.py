"""The states of procedures and plans, and which changes between them are allowed (pure).

Procedure states are recorded; a plan's status follows from its procedures, its presentations
and whether it was closed (DOMAIN.md, "Treatment plans").
"""

from collections.abc import Iterable
from dataclasses import dataclass

from plans.models import PlanStatus, ProcedureStatus

P = ProcedureStatus

# From each state, the states a procedure may move to. A later decision supersedes an earlier
# one; scheduled work must be cancelled (back to accepted) before it can be declined; completed
# work is final.
PROCEDURE_TRANSITIONS: dict[str, frozenset[str]] = {
    P.PROPOSED: frozenset({P.ACCEPTED, P.DECLINED, P.DEFERRED, P.COMPLETED}),
    P.ACCEPTED: frozenset({P.DECLINED, P.DEFERRED, P.SCHEDULED, P.COMPLETED}),
    P.DEFERRED: frozenset({P.ACCEPTED, P.DECLINED, P.COMPLETED}),
    P.DECLINED: frozenset({P.ACCEPTED, P.DEFERRED, P.COMPLETED}),
    P.SCHEDULED: frozenset({P.ACCEPTED, P.COMPLETED}),
    P.COMPLETED: frozenset(),
}

# Where the patient said yes (completed work counts as accepted even if nobody recorded it).
ACCEPTED_STATES = frozenset({P.ACCEPTED, P.SCHEDULED, P.COMPLETED})
UNDECIDED_STATES = frozenset({P.PROPOSED, P.DEFERRED})

_REFUSALS = {
    P.COMPLETED: "It is already completed: completed work cannot change.",
    P.SCHEDULED: "It is scheduled: cancel the appointment first.",
}


class TransitionNotAllowed(Exception):
    """A change the rules forbid; the message says why, in the coordinator's words."""


def check_procedure_transition(current: str, new: str) -> None:
    if new == current:
        raise TransitionNotAllowed(f"It is already {P(current).label.lower()}.")
    if new not in PROCEDURE_TRANSITIONS[current]:
        reason = _REFUSALS.get(current) or (
            f"A {P(current).label.lower()} procedure cannot become {P(new).label.lower()}."
        )
        raise TransitionNotAllowed(reason)


def is_editable(status: str) -> bool:
    """Fee, tooth and phase can change until the work is scheduled or done."""
    return status not in (P.SCHEDULED, P.COMPLETED)


@dataclass(frozen=True)
class OptionState:
    recommended: bool
    statuses: tuple[str, ...]


def chosen_option(options: Iterable[OptionState]) -> OptionState | None:
    """The option the patient went with (any work accepted), else the recommended one."""
    options = list(options)
    for option in options:
        if any(status in ACCEPTED_STATES for status in option.statuses):
            return option
    return next((option for option in options if option.recommended), None)


def plan_status(
    *, diagnosed: bool, presented: bool, closed: bool, options: Iterable[OptionState]
) -> str:
    options = list(options)
    if closed:
        return PlanStatus.CLOSED
    if not diagnosed:
        return PlanStatus.DRAFT
    chosen = chosen_option(options)
    statuses = set(chosen.statuses) if chosen else set()
    if P.COMPLETED in statuses:
        # Deferred work is "not now", not "never": the plan is still in treatment.
        finished = statuses <= {P.COMPLETED, P.DECLINED}
        return PlanStatus.COMPLETED if finished else PlanStatus.IN_TREATMENT
    if P.SCHEDULED in statuses:
        return PlanStatus.SCHEDULED
    if P.ACCEPTED in statuses:
        return PlanStatus.ACCEPTED if statuses == {P.ACCEPTED} else PlanStatus.PARTIALLY_ACCEPTED
    every = {status for option in options for status in option.statuses}
    if every and every == {P.DECLINED}:
        return PlanStatus.DECLINED
    return PlanStatus.PRESENTED if presented else PlanStatus.DIAGNOSED


# Plan statuses a coordinator still has to act on.
OPEN_STATUSES = frozenset(
    {PlanStatus.DIAGNOSED, PlanStatus.PRESENTED, PlanStatus.PARTIALLY_ACCEPTED}
)
