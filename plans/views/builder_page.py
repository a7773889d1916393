"""What the plan page shows: its options, chart, phases and rows, and each form in its place.

`page_context` builds the whole context in a fixed number of queries, whatever the number of
procedures; a refused change passes its bound form in `PageState.forms` so that the page shows
it where it was, with its errors.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django import forms as django_forms
from django.http import HttpRequest
from django.utils import timezone

from coordinator.permissions import can
from coordinator.roles import Capability
from insurance import engine
from insurance.adapter import next_benefit_year_start
from insurance.plan_estimates import (
    CoverageStatus,
    OptionEstimate,
    ProcedureEstimate,
    SplitSuggestion,
    Totals,
    estimate_option,
    patient_coverages,
    suggest_split,
)
from plans import selectors
from plans.benefits_display import source_sentence, split_sentence
from plans.chart import Chart, ToothWork, chart_layout, mark_work
from plans.forms import (
    CloseForm,
    CompleteForm,
    DecisionForm,
    NameForm,
    PhaseNameForm,
    PlanUpdateForm,
    PresentForm,
    ProcedureAddForm,
    ProcedureEditForm,
    VersionForm,
    WaitForm,
)
from plans.models import (
    CompletedProcedure,
    Decision,
    Phase,
    PlannedProcedure,
    ProcedureStatus,
    TreatmentOption,
    TreatmentPlan,
)
from plans.states import (
    ACCEPTED_STATES,
    PROCEDURE_TRANSITIONS,
    OptionState,
    chosen_option,
    is_editable,
)
from plans.teeth import PRIMARY_TEETH
from plans.totals import FeeLine, OptionTotals, option_totals

# Children below this age get the primary-teeth chart as well.
CHILD_AGE = 13


@dataclass
class ProcedureRow:
    procedure: PlannedProcedure
    decisions: list[Decision]
    can_edit: bool = False
    can_remove: bool = False
    can_accept: bool = False
    can_decline: bool = False
    can_complete: bool = False
    is_open: bool = False
    edit_form: ProcedureEditForm | None = None
    decide_form: DecisionForm | None = None
    complete_form: CompleteForm | None = None
    error: str = ""
    # The insurance estimate (None: no insurance on file, or declined work, which uses none).
    estimate: ProcedureEstimate | None = None

    @property
    def latest(self) -> Decision | None:
        return self.decisions[-1] if self.decisions else None

    @property
    def completion(self) -> CompletedProcedure | None:
        try:
            return self.procedure.completion
        except CompletedProcedure.DoesNotExist:
            return None

    @property
    def where(self) -> str:
        procedure = self.procedure
        if procedure.tooth:
            where = f"Tooth {procedure.tooth}"
            return f"{where} · {procedure.surfaces}" if procedure.surfaces else where
        return procedure.get_area_display() if procedure.area else "Whole mouth"


@dataclass
class PhaseView:
    phase: Phase
    total: Decimal
    rows: list[ProcedureRow] = field(default_factory=list)
    rename_form: PhaseNameForm | None = None
    wait_form: WaitForm | None = None
    # Offered to editors when the patient has insurance: move to the other benefit year.
    move_to: str = ""
    error: str = ""
    estimate: Totals | None = None


@dataclass(frozen=True)
class CoverageView:
    """One coverage on the plan page: where its benefit data came from, and what is left."""

    status: CoverageStatus

    @property
    def sentence(self) -> str:
        status = self.status
        return source_sentence(status.source, status.verified_on, status.age_days)


@dataclass
class SplitView:
    suggestion: SplitSuggestion
    can_apply: bool = False

    @property
    def sentence(self) -> str:
        suggestion = self.suggestion
        return split_sentence(
            suggestion.next_year_phases, suggestion.next_year_starts, suggestion.saving
        )

    @property
    def phases_value(self) -> str:
        return ",".join(str(number) for number in sorted(self.suggestion.next_year_phases))


@dataclass
class OptionView:
    option: TreatmentOption
    totals: OptionTotals
    procedures: list[PlannedProcedure]
    selected: bool = False
    phases: list[PhaseView] = field(default_factory=list)
    rename_form: NameForm | None = None
    add_form: ProcedureAddForm | None = None
    chart: Chart | None = None
    primary_chart: Chart | None = None
    error: str = ""
    can_accept: bool = False
    can_remove: bool = False
    # Insurance: None without coverage on file (the page then shows fees only).
    estimate: OptionEstimate | None = None
    estimate_problem: str = ""
    coverages: list[CoverageView] = field(default_factory=list)
    split: SplitView | None = None
    next_year_starts: date | None = None

    @property
    def columns(self) -> int:
        """Columns of the procedure tables: three more for the estimate."""
        return 9 if self.estimate else 6

    @property
    def phase_totals(self) -> list[tuple[Phase, Decimal]]:
        return [
            (phase, self.totals.by_phase.get(phase.number, Decimal("0.00")))
            for phase in self.option.phases.all()
        ]

    @property
    def accepted_count(self) -> int:
        return sum(1 for p in self.procedures if p.status in ACCEPTED_STATES)

    @property
    def declined_count(self) -> int:
        return sum(1 for p in self.procedures if p.status == ProcedureStatus.DECLINED)


@dataclass
class PageState:
    """What the request asked to see, and the forms to show bound (with their errors)."""

    option_id: uuid.UUID | None = None
    edit_id: uuid.UUID | None = None
    open_id: uuid.UUID | None = None
    tooth: str = ""
    primary: bool = False
    add_phase_id: uuid.UUID | None = None
    forms: dict[str, django_forms.Form] = field(default_factory=dict)
    notice: str = ""
    problem: str = ""
    # Keys of the bound forms (or their messages) the page has found a place for.
    shown: set[str] = field(default_factory=set)

    def form(self, key: str, make: Callable[[], django_forms.Form]):
        if key in self.forms:
            self.shown.add(key)
            return self.forms[key]
        return make()

    def error(self, key: str) -> str:
        form = self.forms.get(key)
        if form is None:
            return ""
        self.shown.add(key)
        return " ".join(form.non_field_errors())

    def all_errors(self, key: str) -> str:
        form = self.forms.get(key)
        if form is None:
            return ""
        self.shown.add(key)
        return " ".join(message for messages in form.errors.values() for message in messages)

    def unshown_errors(self) -> str:
        """What was refused where the page no longer offers the form (a plan closed meanwhile)."""
        return " ".join(self.all_errors(key) for key in list(self.forms) if key not in self.shown)


def as_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


def _age(birth_date: date | None, today: date) -> int | None:
    if birth_date is None:
        return None
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def _pick_option(options: list[TreatmentOption], option_id) -> TreatmentOption | None:
    for option in options:
        if option.pk == option_id:
            return option
    states = [
        OptionState(option.recommended, tuple(p.status for p in option.procedures.all()))
        for option in options
    ]
    chosen = chosen_option(states)
    if chosen is not None:
        return options[states.index(chosen)]
    return options[0] if options else None


def _charts(procedures, *, child: bool, primary: bool) -> tuple[Chart, Chart | None]:
    work = [ToothWork(p.tooth, p.procedure_code.code, p.status) for p in procedures if p.tooth]
    chart = mark_work(chart_layout(primary=False), work)
    wants_primary = child or primary or any(item.tooth in PRIMARY_TEETH for item in work)
    primary_chart = mark_work(chart_layout(primary=True), work) if wants_primary else None
    return chart, primary_chart


class _PageBuilder:
    """Builds the plan page's context: what each role may do, and each form in its place."""

    def __init__(self, request: HttpRequest, plan: TreatmentPlan, state: PageState) -> None:
        self.request, self.plan, self.state = request, plan, state
        is_open = plan.closed_at is None
        self.may_edit = can(request, Capability.PLANS_EDIT) and is_open
        # Decisions follow a diagnosis; the patient cannot say yes to a draft.
        self.may_decide = (
            can(request, Capability.PLANS_DECIDE) and is_open and plan.diagnosed_at is not None
        )
        self.may_complete = can(request, Capability.PLANS_COMPLETE) and is_open
        self.may_present = can(request, Capability.PLANS_PRESENT) and is_open
        self.dentists = (
            selectors.practice_dentists(practice=request.practice)
            if self.may_edit or self.may_complete
            else []
        )
        self.age = _age(plan.patient.birth_date, timezone.localdate())
        self.option_count = 0

    def version_form(self, key: str, form_class=VersionForm, initial=None, **kwargs):
        initial = {"version": self.plan.version, **(initial or {})}
        return self.state.form(key, lambda: form_class(initial=initial, **kwargs))

    def context(self) -> dict:
        plan, state = self.plan, self.state
        options = list(selectors.plan_page_options(plan=plan))
        self.option_count = len(options)
        selected = _pick_option(options, state.option_id)
        views = []
        for option in options:
            procedures = list(option.procedures.all())
            totals = option_totals(FeeLine(p.phase.number, p.fee) for p in procedures)
            view = OptionView(option=option, totals=totals, procedures=procedures)
            if option is selected:
                self.fill_selected(view)
            views.append(view)
        context = {
            "plan": plan,
            "patient": plan.patient,
            "age": self.age,
            "options": views,
            "selected": next((view for view in views if view.selected), None),
            "presentations": list(selectors.plan_presentations(plan=plan)),
            "may_edit": self.may_edit,
            "may_decide": self.may_decide,
            "may_present": self.may_present,
            "add_option_form": (
                self.version_form("add-option", NameForm, auto_id="new-option-%s")
                if self.may_edit
                else None
            ),
            "plan_form": (
                self.version_form(
                    "plan-edit",
                    PlanUpdateForm,
                    initial={"title": plan.title, "dentist": str(plan.dentist_id)},
                    dentists=self.dentists,
                    auto_id="plan-%s",
                )
                if self.may_edit
                else None
            ),
            "present_form": (
                self.version_form("present", PresentForm, auto_id="present-%s")
                if self.may_present
                else None
            ),
            "close_form": (
                self.state.form("close", lambda: CloseForm(auto_id="close-%s"))
                if self.may_edit
                else None
            ),
            "can_reopen": can(self.request, Capability.PLANS_EDIT) and plan.closed_at is not None,
            "may_edit_patient": can(self.request, Capability.PATIENTS_EDIT),
            # The hidden version field of the forms that carry nothing else (no ids: many copies).
            "version_form": VersionForm(initial={"version": plan.version}, auto_id=False),
            "notice": state.notice,
            "problem": state.problem,
            "show_primary": state.primary,
            "tooth": state.tooth,
        }
        context["plan_error"] = " ".join(
            filter(None, [state.error("plan"), state.unshown_errors()])
        )
        return context

    def fill_selected(self, view: OptionView) -> None:
        """The shown option in full: its chart, phases, rows and the forms to change them."""
        option, state, procedures = view.option, self.state, view.procedures
        phases = list(option.phases.all())
        view.selected = True
        view.error = state.error(f"option-{option.pk}")
        view.can_accept = self.may_decide and any(
            ProcedureStatus.ACCEPTED in PROCEDURE_TRANSITIONS[p.status] for p in procedures
        )
        # Options with decisions or work stay on record (the service says so too).
        view.can_remove = (
            self.may_edit
            and self.option_count > 1
            and all(p.status == ProcedureStatus.PROPOSED for p in procedures)
        )
        child = self.age is not None and self.age < CHILD_AGE
        view.chart, view.primary_chart = _charts(procedures, child=child, primary=state.primary)
        if self.may_edit:
            view.rename_form = self.version_form(
                f"option-rename-{option.pk}",
                NameForm,
                initial={"name": option.name},
                auto_id="option-name-%s",
            )
            add_phase = next(
                (p for p in phases if p.pk == state.add_phase_id), phases[-1] if phases else None
            )
            view.add_form = self.version_form(
                "add-procedure",
                ProcedureAddForm,
                initial={"tooth": state.tooth, "phase": str(add_phase.pk) if add_phase else ""},
                practice=self.request.practice,
                phases=phases,
                auto_id="add-%s",
            )
        self.insure(view, phases)
        estimate = view.estimate
        by_phase: dict[uuid.UUID, PhaseView] = {}
        for phase in phases:
            phase_view = PhaseView(phase, view.totals.by_phase.get(phase.number, Decimal("0.00")))
            phase_view.error = state.error(f"phase-{phase.pk}")
            if estimate:
                phase_view.estimate = estimate.by_phase.get(phase.number, Totals())
            if self.may_edit:
                phase_view.rename_form = self.version_form(
                    f"phase-rename-{phase.pk}",
                    PhaseNameForm,
                    initial={"name": phase.name},
                    auto_id=f"phase-{phase.pk}-%s",
                )
                phase_view.wait_form = self.version_form(
                    f"phase-wait-{phase.pk}",
                    WaitForm,
                    initial={"may_wait_months": phase.may_wait_months},
                    auto_id=f"phase-wait-{phase.pk}-%s",
                )
                # Moving back stays possible when the insurance is gone meanwhile.
                if phase.next_benefit_year:
                    phase_view.move_to = "this"
                elif estimate:
                    phase_view.move_to = "next"
            by_phase[phase.pk] = phase_view
        for procedure in procedures:
            row = self.row(procedure, phases)
            if estimate:
                row.estimate = estimate.procedures.get(procedure.pk)
            by_phase[procedure.phase_id].rows.append(row)
        view.phases = list(by_phase.values())

    def insure(self, view: OptionView, phases: list[Phase]) -> None:
        """The option's insurance estimate, its coverages, and a cheaper split to suggest.

        Coverage loads in a fixed handful of queries; the rest is arithmetic.
        """
        plan, today = self.plan, timezone.localdate()
        coverages = patient_coverages(patient=plan.patient, as_of=today)
        if not coverages:
            return
        given = {
            "practice": self.request.practice,
            "patient": plan.patient,
            "procedures": view.procedures,
            "coverages": coverages,
            "as_of": today,
        }
        try:
            estimate = estimate_option(**given)
            suggestion = suggest_split(phases=phases, **given)
        except engine.ScenarioError as error:
            # Benefit records the engine cannot read: say so, and show fees only.
            view.estimate_problem = (
                f"No insurance estimate: the patient's insurance records need attention "
                f"({error.problem})."
            )
            return
        view.estimate = estimate
        view.coverages = [CoverageView(status) for status in estimate.coverages]
        view.next_year_starts = next_benefit_year_start(coverages, today)
        if suggestion is not None:
            view.split = SplitView(suggestion, can_apply=self.may_edit)

    def row(self, procedure: PlannedProcedure, phases: list[Phase]) -> ProcedureRow:
        state, key = self.state, procedure.pk
        next_states = PROCEDURE_TRANSITIONS[procedure.status]
        row = ProcedureRow(procedure=procedure, decisions=list(procedure.decisions.all()))
        row.can_edit = self.may_edit and is_editable(procedure.status)
        row.can_remove = (
            self.may_edit and procedure.status == ProcedureStatus.PROPOSED and not row.decisions
        )
        row.can_accept = self.may_decide and ProcedureStatus.ACCEPTED in next_states
        row.can_decline = self.may_decide and bool(
            {ProcedureStatus.DECLINED, ProcedureStatus.DEFERRED} & next_states
        )
        row.can_complete = self.may_complete and ProcedureStatus.COMPLETED in next_states
        row.error = state.error(f"row-{key}")
        row.is_open = state.open_id == key or any(
            f"{form}-{key}" in state.forms for form in ("decide", "complete")
        )
        if row.can_edit and (state.edit_id == key or f"edit-{key}" in state.forms):
            row.edit_form = state.form(
                f"edit-{key}",
                lambda: ProcedureEditForm(
                    procedure=procedure,
                    phases=phases,
                    version=self.plan.version,
                    auto_id=f"edit-{key}-%s",
                ),
            )
        if row.is_open and row.can_decline:
            row.decide_form = state.form(
                f"decide-{key}", lambda: DecisionForm(auto_id=f"decide-{key}-%s")
            )
        if row.is_open and row.can_complete:
            row.complete_form = state.form(
                f"complete-{key}",
                lambda: CompleteForm(
                    dentists=self.dentists, dentist=self.plan.dentist, auto_id=f"complete-{key}-%s"
                ),
            )
        # A refused change whose form this row no longer offers still says why, on the row.
        shown = {"edit": row.edit_form, "decide": row.decide_form, "complete": row.complete_form}
        for name, form in shown.items():
            if form is None and f"{name}-{key}" in state.forms:
                row.error = row.error or state.all_errors(f"{name}-{key}")
        return row


def page_context(request: HttpRequest, plan: TreatmentPlan, state: PageState) -> dict:
    """Everything the plan page shows, in a fixed number of queries."""
    return _PageBuilder(request, plan, state).context()
