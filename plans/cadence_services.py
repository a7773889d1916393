"""Writes to cadences and their steps. Each is atomic and audited (field names, no content).

A cadence's steps are copied into reminders when a follow-up starts (`follow_up_start`), so a
change here affects follow-ups started from then on; reminders already scheduled keep their
times. Writes lock the practice's cadences (few rows) so two managers cannot both leave a
practice without a default, or give one reason to two cadences.
"""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.http import HttpRequest

from coordinator.audit import audit_record
from coordinator.models import Practice
from plans.followup_models import Cadence, CadenceStep, FollowUp, FollowUpStatus, StepAnchor
from plans.models import DecisionReason

STEP_FIELDS = ("days", "after", "channel", "subject", "body")


class CadenceRefused(Exception):
    """The change is not allowed as things stand; the message says what to do instead."""


def _audit(request: HttpRequest | None, action: str, cadence: Cadence, **detail) -> None:
    audit_record(
        action=action, request=request, practice=cadence.practice, obj=cadence, detail=detail
    )


def _lock_cadences(practice: Practice) -> list[Cadence]:
    return list(Cadence.objects.select_for_update().filter(practice=practice).order_by("pk"))


def _check(cadences: list[Cadence], cadence: Cadence) -> None:
    """Name unique, and each reason on at most one active cadence."""
    others = [other for other in cadences if other.pk != cadence.pk]
    if any(other.name.casefold() == cadence.name.casefold() for other in others):
        raise ValidationError({"name": f"There is already a cadence named “{cadence.name}”."})
    if not cadence.is_active:
        return
    taken = {
        reason: other.name
        for other in others
        if other.is_active
        for reason in (other.reasons or [])
    }
    clashes = [reason for reason in cadence.reasons if reason in taken]
    if clashes:
        raise ValidationError(
            {
                "reasons": [
                    f"“{DecisionReason(reason).label}” already starts “{taken[reason]}”: "
                    "untick it there first."
                    for reason in clashes
                ]
            }
        )


def _save(cadence: Cadence, cadences: list[Cadence], *, fields: list[str] | None = None) -> None:
    _check(cadences, cadence)
    if cadence.is_default:
        Cadence.objects.filter(practice=cadence.practice, is_default=True).exclude(
            pk=cadence.pk
        ).update(is_default=False)
    cadence.full_clean(exclude=["practice"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            cadence.save(update_fields=fields)
    except IntegrityError:
        raise ValidationError({"name": "That name is taken: choose another."}) from None


@transaction.atomic
def cadence_create(
    *, practice: Practice, request: HttpRequest, name: str, reasons: list[str], is_default: bool
) -> Cadence:
    cadences = _lock_cadences(practice)
    cadence = Cadence(
        practice=practice, name=name.strip(), reasons=sorted(set(reasons)), is_default=is_default
    )
    _save(cadence, cadences)
    _audit(request, "follow_ups.cadence_created", cadence, default=is_default)
    return cadence


@transaction.atomic
def cadence_update(
    *, cadence: Cadence, request: HttpRequest, name: str, reasons: list[str], is_default: bool
) -> list[str]:
    """Change name, reasons and the default flag; return the names of what changed."""
    cadences = _lock_cadences(cadence.practice)
    cadence = next(c for c in cadences if c.pk == cadence.pk)
    if cadence.is_default and not is_default:
        raise ValidationError(
            {"is_default": "A practice always has a default cadence: make another one the default."}
        )
    if is_default and not cadence.is_active:
        raise ValidationError({"is_default": "Activate this cadence before making it the default."})
    values = {"name": name.strip(), "reasons": sorted(set(reasons)), "is_default": is_default}
    changed = [field for field, value in values.items() if getattr(cadence, field) != value]
    if changed:
        for field in changed:
            setattr(cadence, field, values[field])
        _save(cadence, cadences, fields=changed)
        _audit(request, "follow_ups.cadence_updated", cadence, fields=sorted(changed))
    return changed


def active_follow_up_count(cadence: Cadence) -> int:
    return FollowUp.objects.filter(
        practice=cadence.practice_id, cadence=cadence, status=FollowUpStatus.ACTIVE
    ).count()


@transaction.atomic
def cadence_delete(*, cadence: Cadence, request: HttpRequest) -> None:
    """Delete a cadence nobody ever followed; refuse the default and cadences in use."""
    cadence = next(c for c in _lock_cadences(cadence.practice) if c.pk == cadence.pk)
    if cadence.is_default:
        raise CadenceRefused(
            "The default cadence cannot be deleted: make another cadence the default first."
        )
    in_use = active_follow_up_count(cadence)
    if in_use:
        raise CadenceRefused(
            f"{in_use} active follow-up{'s use' if in_use > 1 else ' uses'} this cadence, so it "
            "cannot be deleted. Deactivate it instead: they finish on it, and no new follow-up "
            "starts on it."
        )
    if FollowUp.objects.filter(practice=cadence.practice_id, cadence=cadence).exists():
        raise CadenceRefused(
            "Past follow-ups used this cadence, so it stays on record. Deactivate it instead."
        )
    _audit(request, "follow_ups.cadence_deleted", cadence, name=cadence.name)
    cadence.delete()


@transaction.atomic
def cadence_set_active(*, cadence: Cadence, request: HttpRequest, active: bool) -> bool:
    """Activate or deactivate; True when it changed. Follow-ups already on it carry on."""
    cadences = _lock_cadences(cadence.practice)
    cadence = next(c for c in cadences if c.pk == cadence.pk)
    if cadence.is_active == active:
        return False
    if not active and cadence.is_default:
        raise CadenceRefused(
            "The default cadence cannot be deactivated: make another cadence the default first."
        )
    cadence.is_active = active
    try:
        _check(cadences, cadence)
    except ValidationError as error:
        raise CadenceRefused(" ".join(error.message_dict.get("reasons", error.messages))) from None
    cadence.save(update_fields=["is_active"])
    _audit(
        request,
        "follow_ups.cadence_activated" if active else "follow_ups.cadence_deactivated",
        cadence,
    )
    return True


# --- Steps ---------------------------------------------------------------------------------------


def _lock(cadence: Cadence) -> Cadence:
    return Cadence.objects.select_for_update().get(pk=cadence.pk, practice=cadence.practice_id)


def _step_values(fields: dict) -> dict:
    return {field: fields[field] for field in STEP_FIELDS}


@transaction.atomic
def step_add(*, cadence: Cadence, request: HttpRequest, **fields) -> CadenceStep:
    cadence = _lock(cadence)
    last = CadenceStep.objects.filter(cadence=cadence).aggregate(last=Max("number"))["last"]
    step = CadenceStep(
        practice_id=cadence.practice_id,
        cadence=cadence,
        number=(last or 0) + 1,
        **_step_values(fields),
    )
    step.full_clean(exclude=["practice", "cadence"], validate_constraints=False)
    step.save()
    _audit(request, "follow_ups.step_added", cadence, step=step.number, channel=step.channel)
    return step


@transaction.atomic
def step_update(*, step: CadenceStep, request: HttpRequest, **fields) -> list[str]:
    cadence = _lock(step.cadence)
    step = CadenceStep.objects.get(pk=step.pk, cadence=cadence)
    values = _step_values(fields)
    changed = [field for field, value in values.items() if getattr(step, field) != value]
    if changed:
        for field in changed:
            setattr(step, field, values[field])
        step.full_clean(exclude=["practice", "cadence"], validate_constraints=False)
        step.save(update_fields=changed)
        _audit(request, "follow_ups.step_updated", cadence, step=step.number, fields=changed)
    return changed


def _renumber(cadence: Cadence, steps: list[CadenceStep] | None = None) -> None:
    """Number the steps 1, 2, 3… in their order (`steps`, else their current one); the first
    one counts from the presentation."""
    if steps is None:
        steps = list(CadenceStep.objects.filter(cadence=cadence).order_by("number"))
    # Out of the way first, so the unique (cadence, number) never sees two steps on one number.
    CadenceStep.objects.filter(cadence=cadence).update(number=F("number") + 1000)
    for number, step in enumerate(steps, start=1):
        updates = {"number": number}
        # "After the previous step" means nothing for the first step: it counts from the
        # presentation (the same day the follow-up's reminders would use).
        if number == 1 and step.after == StepAnchor.PREVIOUS:
            updates["after"] = StepAnchor.PRESENTATION
        CadenceStep.objects.filter(pk=step.pk).update(**updates)


@transaction.atomic
def step_remove(*, step: CadenceStep, request: HttpRequest) -> None:
    cadence = _lock(step.cadence)
    count = CadenceStep.objects.filter(cadence=cadence).count()
    if cadence.is_default and count == 1:
        raise CadenceRefused("The default cadence needs at least one step.")
    number = step.number
    CadenceStep.objects.filter(pk=step.pk, cadence=cadence).delete()
    _renumber(cadence)
    _audit(request, "follow_ups.step_removed", cadence, step=number)


@transaction.atomic
def step_move(*, step: CadenceStep, request: HttpRequest, offset: int) -> bool:
    """Move a step earlier (-1) or later (+1); False when it is already at that end."""
    cadence = _lock(step.cadence)
    steps = list(CadenceStep.objects.filter(cadence=cadence).order_by("number"))
    index = next(i for i, candidate in enumerate(steps) if candidate.pk == step.pk)
    target = index + offset
    if not 0 <= target < len(steps):
        return False
    steps.insert(target, steps.pop(index))
    _renumber(cadence, steps)
    _audit(request, "follow_ups.step_moved", cadence, step=step.number, to=target + 1)
    return True
