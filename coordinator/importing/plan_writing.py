"""Writing the treatment sections: plans, presentations, decisions, follow-up touches and
completed work.

Every plan the file touches is loaded with its options, phases, procedures, presentations,
decisions and completions (a few queries for all of them). The file is applied to these rows in
memory; procedure and plan statuses are then derived with the pure rules of plans/states.py (the
ones `plan_refresh_status` applies), and only what differs is written, in bulk. A second import
of the same file therefore writes nothing.

Rules the contract leaves open (docs/import-format.md, "Plans and what happened to them"):
- A procedure's status is its latest decision by time; completed work wins over any decision.
- A presentation freezes the plan as it stands after the import when it is first imported, or
  when its own record (by, at, mode) changes; a changed fee in a later import changes the live
  plan only, never what a patient was shown.
- A follow-up touch is history only: stored as given (also before the presentation or after the
  acceptance, as the metrics need), it starts, stops and schedules nothing.
"""

import datetime
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable

from django.db import models
from django.utils import timezone

from coordinator.importing.plan_sections import (
    CHUNK,
    CompletionData,
    DecisionData,
    FollowUpData,
    OptionData,
    PlanData,
    PresentationData,
)
from coordinator.importing.validation import ImportPlan
from coordinator.models import Membership, Practice
from patients.models import Patient
from plans import followup_services
from plans.followup_models import FollowUp, FollowUpStatus, Touch
from plans.models import (
    CompletedProcedure,
    Decision,
    DecisionKind,
    Phase,
    PlannedProcedure,
    Presentation,
    PresentedOption,
    PresentedProcedure,
    ProcedureCode,
    ProcedureStatus,
    TreatmentOption,
    TreatmentPlan,
)
from plans.states import OptionState, plan_status
from plans.totals import FeeLine, option_totals

BATCH_SIZE = 1000


class _Table:
    """New and changed rows of one model, written in bulk at the end."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.new: dict = {}
        self.changed: dict = {}
        self.fields: set[str] = set()

    def add(self, obj: models.Model) -> models.Model:
        self.new[obj.pk] = obj
        return obj

    def is_new(self, obj: models.Model) -> bool:
        return obj.pk in self.new

    def set(self, obj: models.Model, **values) -> list[str]:
        """Give `obj` these attribute values; the names of the fields that changed."""
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        for name in changed:
            setattr(obj, name, values[name])
        names = [self.model._meta.get_field(name).name for name in changed]
        if names and obj.pk not in self.new:
            self.changed[obj.pk] = obj
            self.fields.update(names)
        return names

    def create(self) -> None:
        self.model.objects.bulk_create(self.new.values(), batch_size=BATCH_SIZE)

    def update(self) -> None:
        if self.changed:
            self.model.objects.bulk_update(
                self.changed.values(), sorted(self.fields), batch_size=BATCH_SIZE
            )


def write_treatment(practice: Practice, plan: ImportPlan, result, record) -> None:
    """Apply the file's plans, presentations, decisions and completed work to the practice."""
    if not (
        plan.plans or plan.presentations or plan.decisions or plan.follow_ups or plan.completed
    ):
        return
    writer = _TreatmentWriter(practice, plan, result, record)
    writer.load()
    for data in plan.plans:
        writer.apply_plan(data)
    for data in plan.presentations:
        writer.apply_presentation(data)
    for data in plan.decisions:
        writer.apply_decision(data)
    for data in plan.follow_ups:
        writer.apply_follow_up(data)
    for data in plan.completed:
        writer.apply_completion(data)
    writer.derive()
    writer.save()


def _chunks(values: Iterable) -> Iterable[list]:
    values = list(values)
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


class _TreatmentWriter:
    def __init__(self, practice: Practice, plan: ImportPlan, result, record) -> None:
        self.practice = practice
        self.file = plan
        self.result = result
        self.record = record
        self.zone = zoneinfo.ZoneInfo(practice.timezone)
        self.now = timezone.now()
        self.plans = _Table(TreatmentPlan)
        self.options = _Table(TreatmentOption)
        self.phases = _Table(Phase)
        self.procedures = _Table(PlannedProcedure)
        self.presentations = _Table(Presentation)
        self.decisions = _Table(Decision)
        self.touches = _Table(Touch)
        self.completions = _Table(CompletedProcedure)
        # Per plan: the rows created and updated under it by kind, for its audit event, and
        # whether its live content changed (which makes a new version, as the services do).
        self.plan_changes: dict = defaultdict(lambda: defaultdict(set))
        self.plan_fields: dict = defaultdict(set)
        self.live_changed: set = set()
        self.to_freeze: dict = defaultdict(list)  # plan id: presentations to freeze
        self.refrozen: list[Presentation] = []
        self.status_changed: set = set()  # plan ids: their follow-up may have to stop

    # --- Loading --------------------------------------------------------------------------

    def _filter(self, manager, field: str, values: Iterable) -> list:
        rows = []
        for chunk in _chunks(sorted(set(values), key=str)):
            rows.extend(manager.filter(practice=self.practice, **{f"{field}__in": chunk}))
        return rows

    def load(self) -> None:
        file = self.file
        self.codes = {c.code: c for c in ProcedureCode.objects.filter(practice=self.practice)}
        self.code_by_id = {c.pk: c for c in self.codes.values()}
        staff_refs = {d.dentist for d in file.plans} | {p.by for p in file.presentations}
        staff_refs |= {t.by for t in file.follow_ups if t.by}
        staff_refs |= {c.dentist for c in file.completed if c.dentist}
        memberships = self._filter(Membership.objects, "ref", staff_refs)
        self.staff = {m.ref: m.user_id for m in memberships}
        patient_refs = {d.patient for d in file.plans} | {c.patient for c in file.completed}
        self.patients = {
            p.ref: p.pk
            for p in self._filter(Patient.objects.only("ref"), "ref", patient_refs - {None})
        }

        plan_ids = {known.id for known in file.known_plans.values()}
        plan_ids |= {known.plan_id for known in file.known_procedures.values()}
        self.plan_by_id = {p.pk: p for p in self._filter(TreatmentPlan.objects, "id", plan_ids)}
        self.plan_by_ref = {p.ref: p for p in self.plan_by_id.values() if p.ref}
        self.options_of = defaultdict(list)
        self.option_by_ref = {}
        self.option_by_id = {}
        for option in self._filter(TreatmentOption.objects, "plan_id", plan_ids):
            self._index_option(option)
        self.phase_by_id = {}
        self.phases_of = defaultdict(dict)
        for phase in self._filter(Phase.objects, "option__plan_id", plan_ids):
            self.phase_by_id[phase.pk] = phase
            self.phases_of[phase.option_id][phase.number] = phase
        self.procedures_of = defaultdict(list)
        self.procedure_by_ref = {}
        self.procedure_by_id = {}
        for procedure in self._filter(PlannedProcedure.objects, "option__plan_id", plan_ids):
            self._index_procedure(procedure)
        self.presentations_of = defaultdict(list)
        self.presentation_by_ref = {}
        for presentation in self._filter(Presentation.objects, "plan_id", plan_ids):
            self.presentations_of[presentation.plan_id].append(presentation)
            if presentation.ref:
                self.presentation_by_ref[presentation.ref] = presentation
        self.decisions_of = defaultdict(list)
        self.decisions_at = defaultdict(list)  # (procedure id, time): decisions
        decisions = self._filter(Decision.objects, "procedure__option__plan_id", plan_ids)
        for decision in sorted(decisions, key=lambda d: (d.at, str(d.pk))):
            self._index_decision(decision)
        self.touch_by_ref = {
            t.ref: t for t in self._filter(Touch.objects, "ref", {t.ref for t in file.follow_ups})
        }
        self.completion_of = {
            c.planned_id: c
            for c in self._filter(CompletedProcedure.objects, "planned__option__plan_id", plan_ids)
        }
        unplanned_refs = {c.ref for c in file.completed if c.ref}
        self.unplanned_by_ref = {
            c.ref: c for c in self._filter(CompletedProcedure.objects, "ref", unplanned_refs)
        }

    def _index_option(self, option: TreatmentOption) -> None:
        self.options_of[option.plan_id].append(option)
        self.option_by_id[option.pk] = option
        if option.ref:
            self.option_by_ref[option.ref] = option

    def _index_procedure(self, procedure: PlannedProcedure) -> None:
        self.procedures_of[procedure.option_id].append(procedure)
        self.procedure_by_id[procedure.pk] = procedure
        if procedure.ref:
            self.procedure_by_ref[procedure.ref] = procedure

    def _index_decision(self, decision: Decision) -> None:
        self.decisions_of[decision.procedure_id].append(decision)
        self.decisions_at[(decision.procedure_id, decision.at)].append(decision)

    # --- Applying the file ------------------------------------------------------------------

    def apply_plan(self, data: PlanData) -> None:
        plan = self.plan_by_ref.get(data.ref)
        patient_id = self.patients[data.patient]
        dentist_id = self.staff[data.dentist]
        if plan is None:
            plan = self.plans.add(
                TreatmentPlan(
                    practice=self.practice,
                    ref=data.ref,
                    patient_id=patient_id,
                    dentist_id=dentist_id,
                    diagnosed_at=data.diagnosed_at,
                    # A plan from another system is as old as its diagnosis, not its import.
                    created_at=data.diagnosed_at,
                    status_changed_at=data.diagnosed_at,
                )
            )
            self.plan_by_ref[data.ref] = self.plan_by_id[plan.pk] = plan
            self._plan_changed(plan, ["patient", "dentist", "diagnosed_at"])
        else:
            changed = self.plans.set(plan, dentist_id=dentist_id, diagnosed_at=data.diagnosed_at)
            self._plan_changed(plan, changed, live=bool(changed))
        for position, option_data in enumerate(data.options):
            self._apply_option(plan, option_data, position)
        # The file names the recommended option: any other the plan has is not.
        in_file = {option.ref for option in data.options}
        for option in self.options_of[plan.pk]:
            if option.ref not in in_file and option.recommended:
                self.options.set(option, recommended=False)
                self._note(plan, "options", option, live=True)

    def _plan_changed(self, plan: TreatmentPlan, fields: Iterable[str], *, live=False) -> None:
        self.plan_fields[plan.pk].update(fields)
        if live:
            self.live_changed.add(plan.pk)

    def _note(self, plan: TreatmentPlan, kind: str, obj: models.Model, *, live=False) -> None:
        """Record that `obj`, a row under `plan`, was created or changed."""
        self.plan_changes[plan.pk][kind].add(obj.pk)  # `kind` names the table, see _audit
        if live:
            self.live_changed.add(plan.pk)

    def _apply_option(self, plan: TreatmentPlan, data: OptionData, position: int) -> None:
        option = self.option_by_ref.get(data.ref)
        if option is None:
            name = data.name or ("Recommended" if data.recommended else f"Option {position + 1}")
            option = self.options.add(
                TreatmentOption(
                    practice=self.practice,
                    plan=plan,
                    ref=data.ref,
                    name=name,
                    recommended=data.recommended,
                    position=position,
                )
            )
            self._index_option(option)
            self._note(plan, "options", option, live=True)
        elif self.options.set(
            option,
            name=data.name or option.name,
            recommended=data.recommended,
            position=position,
        ):
            self._note(plan, "options", option, live=True)
        for index, procedure_data in enumerate(data.procedures):
            self._apply_procedure(plan, option, procedure_data, index)

    def _phase(self, plan: TreatmentPlan, option: TreatmentOption, number: int) -> Phase:
        phase = self.phases_of[option.pk].get(number)
        if phase is None:
            phase = self.phases.add(Phase(practice=self.practice, option=option, number=number))
            self.phases_of[option.pk][number] = self.phase_by_id[phase.pk] = phase
            self._note(plan, "phases", phase, live=True)
        return phase

    def _apply_procedure(self, plan, option, data, position: int) -> None:
        procedure = self.procedure_by_ref.get(data.ref)
        code = self.codes[data.code]
        if procedure is None:
            procedure = self.procedures.add(
                PlannedProcedure(
                    practice=self.practice,
                    option=option,
                    phase=self._phase(plan, option, data.phase or 1),
                    ref=data.ref,
                    procedure_code=code,
                    tooth=data.tooth,
                    surfaces=data.surfaces,
                    area=data.area,
                    fee=code.fee if data.fee is None else data.fee,
                    position=position,
                    status=ProcedureStatus.PROPOSED,
                    # Proposed when the plan was diagnosed, or now when added to a known plan.
                    status_changed_at=(plan.diagnosed_at if self.plans.is_new(plan) else self.now),
                )
            )
            self._index_procedure(procedure)
            self._note(plan, "procedures", procedure, live=True)
            return
        number = data.phase or self.phase_by_id[procedure.phase_id].number
        changed = self.procedures.set(
            procedure,
            procedure_code_id=code.pk,
            tooth=data.tooth,
            surfaces=data.surfaces,
            area=data.area,
            fee=procedure.fee if data.fee is None else data.fee,
            phase_id=self._phase(plan, option, number).pk,
            position=position,
        )
        if changed:
            self._note(plan, "procedures", procedure, live=True)

    def apply_presentation(self, data: PresentationData) -> None:
        plan = self.plan_by_ref[data.plan]
        presentation = self.presentation_by_ref.get(data.ref)
        values = {"presented_by_id": self.staff[data.by], "at": data.at, "mode": data.mode}
        if presentation is None:
            presentation = self.presentations.add(
                Presentation(
                    practice=self.practice, plan=plan, ref=data.ref, plan_version=1, **values
                )
            )
            self.presentations_of[plan.pk].append(presentation)
            self.to_freeze[plan.pk].append(presentation)
            self._note(plan, "presentations", presentation)
        elif self.presentations.set(presentation, **values):
            # The file restates this presentation: freeze it again from the plan as it stands.
            self.to_freeze[plan.pk].append(presentation)
            self.refrozen.append(presentation)
            self._note(plan, "presentations", presentation)

    def apply_decision(self, data: DecisionData) -> None:
        procedure = self.procedure_by_ref[data.procedure]
        plan = self._plan_of(procedure)
        # Recognised by procedure, decision and time; a different decision at the same time is
        # the same event corrected (two answers at one moment would contradict each other).
        same_time = self.decisions_at.get((procedure.pk, data.at), [])
        decision = next((d for d in same_time if d.kind == data.kind), None)
        decision = decision or next(iter(same_time), None)
        if decision is None:
            decision = self.decisions.add(
                Decision(
                    practice=self.practice,
                    procedure=procedure,
                    kind=data.kind,
                    at=data.at,
                    reason=data.reason,
                )
            )
            self._index_decision(decision)
            self._note(plan, "decisions", decision)
        elif self.decisions.set(decision, kind=data.kind, reason=data.reason):
            self._note(plan, "decisions", decision)

    def apply_follow_up(self, data: FollowUpData) -> None:
        plan = self.plan_by_ref[data.plan]
        touch = self.touch_by_ref.get(data.ref)
        values = {
            "by_id": self.staff[data.by] if data.by else None,
            "at": data.at,
            "channel": data.channel,
            "outcome": data.outcome,
        }
        if data.note is not None or touch is None:
            values["note"] = data.note or ""
        if touch is None:
            touch = self.touches.add(
                Touch(
                    practice=self.practice,
                    plan=plan,
                    ref=data.ref,
                    recorded_at=self.now,
                    **values,
                )
            )
            self.touch_by_ref[data.ref] = touch
            self._note(plan, "touches", touch)
        elif self.touches.set(touch, **values):
            self._note(plan, "touches", touch)

    def apply_completion(self, data: CompletionData) -> None:
        if data.procedure is None:
            self._apply_unplanned(data)
            return
        procedure = self.procedure_by_ref[data.procedure]
        plan = self._plan_of(procedure)
        values = {
            "patient_id": plan.patient_id,
            "procedure_code_id": procedure.procedure_code_id,
            "tooth": procedure.tooth,
            "fee": procedure.fee,
            "completed_on": data.on,
            "dentist_id": self.staff[data.dentist] if data.dentist else plan.dentist_id,
        }
        completion = self.completion_of.get(procedure.pk)
        if completion is None:
            completion = self.completions.add(
                CompletedProcedure(practice=self.practice, planned=procedure, **values)
            )
            self.completion_of[procedure.pk] = completion
            self._note(plan, "completions", completion)
        elif self.completions.set(completion, **values):
            self._note(plan, "completions", completion)

    def _apply_unplanned(self, data: CompletionData) -> None:
        completion = self.unplanned_by_ref.get(data.ref)
        code = self.codes[data.code]
        fee = data.fee
        if fee is None:
            fee = completion.fee if completion is not None else code.fee
        values = {
            "patient_id": self.patients[data.patient],
            "procedure_code_id": code.pk,
            "fee": fee,
            "completed_on": data.on,
            "dentist_id": self.staff[data.dentist],
        }
        if completion is None:
            completion = self.completions.add(
                CompletedProcedure(practice=self.practice, ref=data.ref, **values)
            )
            self.unplanned_by_ref[data.ref] = completion
            changed = sorted(_name(key) for key in values)
        else:
            changed = self.completions.set(completion, **values)
        if changed:
            self.record(
                "completed_procedure.imported",
                completion,
                {"fields": sorted(changed), "created": self.completions.is_new(completion)},
                patient_id=completion.patient_id,
            )

    def _plan_of(self, procedure: PlannedProcedure) -> TreatmentPlan:
        return self.plan_by_id[self.option_by_id[procedure.option_id].plan_id]

    # --- Deriving statuses ------------------------------------------------------------------

    def derive(self) -> None:
        for plan in self.plan_by_id.values():
            self._derive_plan(plan)

    def _completion_moment(self, completion: CompletedProcedure) -> datetime.datetime:
        # A completion has a date, not a time: the start of that day where the practice is.
        start = datetime.datetime.combine(completion.completed_on, datetime.time(), self.zone)
        return start.astimezone(datetime.UTC)

    def _derive_procedure(self, procedure: PlannedProcedure) -> datetime.datetime | None:
        """Set the procedure's status from its decisions and completion; the moment of the event
        that decides it (None while nothing was decided)."""
        completion = self.completion_of.get(procedure.pk)
        decisions = self.decisions_of.get(procedure.pk, [])
        latest = max(decisions, key=lambda d: d.at) if decisions else None
        if completion is not None:
            status, moment = ProcedureStatus.COMPLETED, self._completion_moment(completion)
        elif latest is not None:
            status, moment = latest.kind, latest.at
            if status == DecisionKind.ACCEPTED and procedure.status == ProcedureStatus.SCHEDULED:
                status = ProcedureStatus.SCHEDULED  # booked after the acceptance: still booked
        else:
            status, moment = ProcedureStatus.PROPOSED, None
        if status != procedure.status:
            self.procedures.set(
                procedure, status=status, status_changed_at=min(moment or self.now, self.now)
            )
            self._note(self._plan_of(procedure), "procedures", procedure)
        return moment

    def _derive_plan(self, plan: TreatmentPlan) -> None:
        events = [plan.diagnosed_at] if plan.diagnosed_at else []
        options = sorted(self.options_of[plan.pk], key=lambda o: (o.position, o.name))
        states = []
        for option in options:
            statuses = []
            for procedure in self.procedures_of[option.pk]:
                moment = self._derive_procedure(procedure)
                events.append(moment)
                statuses.append(procedure.status)
            states.append(OptionState(recommended=option.recommended, statuses=tuple(statuses)))
        presented = [p.at for p in self.presentations_of[plan.pk]]
        events.extend(presented)
        values = {}
        if presented:
            values["first_presented_at"] = min(presented)
            if plan.diagnosed_at is None:
                values["diagnosed_at"] = min(presented)  # presenting a plan means it was diagnosed
        if plan.pk in self.live_changed and not self.plans.is_new(plan):
            values["version"] = plan.version + 1
        values["status"] = plan_status(
            diagnosed=(values.get("diagnosed_at") or plan.diagnosed_at) is not None,
            presented=(values.get("first_presented_at") or plan.first_presented_at) is not None,
            closed=plan.closed_at is not None,
            options=states,
        )
        if values["status"] != plan.status:
            latest = max((moment for moment in events if moment is not None), default=self.now)
            values["status_changed_at"] = min(latest, self.now)
        changed = self.plans.set(plan, **values)
        if "status" in changed and not self.plans.is_new(plan):
            self.status_changed.add(plan.pk)
        if changed and not self.plans.is_new(plan):
            self.plans.set(plan, updated_at=self.now)  # bulk_update does not set auto_now
        self._plan_changed(plan, changed)
        for presentation in self.to_freeze.get(plan.pk, []):
            self.presentations.set(presentation, plan_version=plan.version)

    # --- Freezing presentations ---------------------------------------------------------------

    def _frozen_rows(self, presentation: Presentation):
        """The presented options and procedures of the plan as it now stands (as plan_present)."""
        options = sorted(self.options_of[presentation.plan_id], key=lambda o: (o.position, o.name))
        shown, rows = [], []
        for position, option in enumerate(options):
            procedures = sorted(
                self.procedures_of[option.pk],
                key=lambda p: (self.phase_by_id[p.phase_id].number, p.position),
            )
            totals = option_totals(
                FeeLine(self.phase_by_id[p.phase_id].number, p.fee) for p in procedures
            )
            presented_option = PresentedOption(
                practice=self.practice,
                presentation=presentation,
                option=option,
                name=option.name,
                recommended=option.recommended,
                position=position,
                total_fee=totals.total,
            )
            shown.append(presented_option)
            for index, procedure in enumerate(procedures):
                code = self.code_by_id[procedure.procedure_code_id]
                phase = self.phase_by_id[procedure.phase_id]
                rows.append(
                    PresentedProcedure(
                        practice=self.practice,
                        presented_option=presented_option,
                        procedure=procedure,
                        code=code.code,
                        category=code.category,
                        description=code.description,
                        tooth=procedure.tooth,
                        surfaces=procedure.surfaces,
                        area=procedure.area,
                        phase_number=phase.number,
                        phase_name=phase.name,
                        fee=procedure.fee,
                        position=index,
                    )
                )
        return shown, rows

    # --- Writing ------------------------------------------------------------------------------

    def save(self) -> None:
        self.plans.create()
        self.plans.update()
        # One recommended option per plan at every moment: take the flag away first.
        losing = [o.pk for o in self.options.changed.values() if not o.recommended]
        if losing and "recommended" in self.options.fields:
            for chunk in _chunks(losing):
                TreatmentOption.objects.filter(pk__in=chunk).update(recommended=False)
        self.options.create()
        self.options.update()
        self.phases.create()
        self.procedures.create()
        self.procedures.update()
        if self.refrozen:
            ids = [p.pk for p in self.refrozen]
            for chunk in _chunks(ids):
                PresentedProcedure.objects.filter(
                    presented_option__presentation_id__in=chunk
                ).delete()
                PresentedOption.objects.filter(presentation_id__in=chunk).delete()
        self.presentations.create()
        self.presentations.update()
        shown, rows = [], []
        for presentation in (p for group in self.to_freeze.values() for p in group):
            options, procedures = self._frozen_rows(presentation)
            shown.extend(options)
            rows.extend(procedures)
        PresentedOption.objects.bulk_create(shown, batch_size=BATCH_SIZE)
        PresentedProcedure.objects.bulk_create(rows, batch_size=BATCH_SIZE)
        self.decisions.create()
        self.decisions.update()
        self.touches.create()
        self.touches.update()
        self.completions.create()
        self.completions.update()
        self._stop_follow_ups()
        self._audit()

    def _stop_follow_ups(self) -> None:
        """Imported decisions stop the follow-up of a plan they decide, as the app's do: no
        reminder goes out about an accepted or declined plan."""
        if not self.status_changed:
            return
        active = FollowUp.objects.filter(
            practice=self.practice,
            plan_id__in=sorted(self.status_changed, key=str),
            status=FollowUpStatus.ACTIVE,
        ).select_related("plan__practice")
        for follow_up in active:
            if followup_services.follow_up_stop_if_decided(plan=follow_up.plan):
                self.result.updated["follow_ups"] += 1

    def _audit(self) -> None:
        for table, key in (
            (self.plans, "plans"),
            (self.options, "options"),
            (self.phases, "phases"),
            (self.procedures, "procedures"),
            (self.presentations, "presentations"),
            (self.decisions, "decisions"),
            (self.touches, "touches"),
            (self.completions, "completed_procedures"),
        ):
            self.result.created[key] += len(table.new)
            self.result.updated[key] += len(table.changed)
        for plan in self.plan_by_id.values():
            changes = {
                kind: self._how(getattr(self, kind), pks)
                for kind, pks in sorted(self.plan_changes.get(plan.pk, {}).items())
            }
            fields = self.plan_fields.get(plan.pk, set()) - {"updated_at"}
            if changes or fields:
                detail = {"created": self.plans.is_new(plan), "fields": sorted(fields), **changes}
                self.record("plan.imported", plan, detail, patient_id=plan.patient_id)

    @staticmethod
    def _how(table: _Table, pks: set) -> dict[str, int]:
        """How many of these rows were created and how many changed."""
        created = sum(1 for pk in pks if pk in table.new)
        return {key: n for key, n in (("created", created), ("updated", len(pks) - created)) if n}


def _name(attribute: str) -> str:
    return attribute.removesuffix("_id")
