"""Parsing and validating what staff type on the plan page."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from coordinator.models import Practice, User
from coordinator.money import MAX_FEE
from plans import selectors
from plans.models import (
    MAX_WAIT_MONTHS,
    Area,
    CloseReason,
    DecisionKind,
    DecisionReason,
    Phase,
    PlannedProcedure,
    PresentationMode,
    ProcedureCode,
)
from plans.teeth import Site

# Decline and defer reasons staff choose from; "chose another option" is recorded automatically.
DECISION_REASONS = [
    (value, label)
    for value, label in DecisionReason.choices
    if value != DecisionReason.OTHER_OPTION
]


def apply_service_errors(form: forms.Form, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: next to its field, or above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _user_choices(users: list[User]) -> list[tuple[str, str]]:
    return [(str(user.pk), user.name or user.email) for user in users]


class VersionForm(forms.Form):
    """Every change of the live plan carries the version the editor saw."""

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    # Fields the page fills in, not the user: their errors are about the page, not a field.
    page_fields: tuple[str, ...] = ("version",)

    def full_clean(self) -> None:
        super().full_clean()
        if any(name in self._errors for name in self.page_fields):
            # A missing version is a stale or hand-made page, not something to fix in a field.
            for name in self.page_fields:
                self._errors.pop(name, None)
            self.add_error(None, "This page is out of date: reload it and try again.")


class DentistChoiceField(forms.ChoiceField):
    """A dentist of the practice, chosen from a list built once per page (no query per form)."""

    def __init__(self, *, dentists: list[User], **kwargs) -> None:
        self.dentists = {str(user.pk): user for user in dentists}
        super().__init__(choices=[("", "Choose a dentist"), *_user_choices(dentists)], **kwargs)

    def clean(self, value) -> User:
        return self.dentists[super().clean(value)]


class PlanForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        required=False,
        help_text="Optional: a few words the team will recognise, e.g. “Lower left molar”.",
    )

    def __init__(self, data=None, *, dentists: list[User], **kwargs) -> None:
        super().__init__(data, **kwargs)
        self.fields["dentist"] = DentistChoiceField(dentists=dentists, label="Diagnosing dentist")


class PlanUpdateForm(VersionForm, PlanForm):
    pass


class NameForm(VersionForm):
    name = forms.CharField(max_length=100)


class PhaseNameForm(VersionForm):
    name = forms.CharField(max_length=100, required=False, label="Phase name")


class BenefitYearForm(VersionForm):
    """Move a phase to the primary insurance's next benefit year, or back."""

    benefit_year = forms.ChoiceField(choices=[("next", "Next benefit year"), ("this", "This one")])
    page_fields = ("version", "benefit_year")


class WaitForm(VersionForm):
    may_wait_months = forms.IntegerField(
        min_value=0,
        max_value=MAX_WAIT_MONTHS,
        label="May wait up to (months)",
        help_text=f"0 to {MAX_WAIT_MONTHS}: how long this phase can safely wait.",
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )


class SplitForm(VersionForm):
    """The phases (by number) a split suggestion moves to the next benefit year, as "2,3"."""

    next_year_phases = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    page_fields = ("version", "next_year_phases")

    def clean_next_year_phases(self) -> frozenset[int]:
        parts = [part.strip() for part in self.cleaned_data["next_year_phases"].split(",")]
        parts = [part for part in parts if part]
        if not all(part.isdigit() and len(part) < 4 for part in parts):
            raise ValidationError("Not a list of phase numbers.")
        return frozenset(int(part) for part in parts)


class MoveForm(VersionForm):
    direction = forms.ChoiceField(choices=[("left", "Left"), ("right", "Right")])


class SiteFieldsMixin:
    """Tooth and surfaces as typed ("a", "m o"), tidied; the service checks them for the code."""

    def clean_tooth(self) -> str:
        return self.cleaned_data.get("tooth", "").upper()

    def clean_surfaces(self) -> str:
        return "".join(self.cleaned_data.get("surfaces", "").split()).upper()


def _phase_choices(phases: list[Phase]) -> list[tuple[str, str]]:
    return [
        (str(phase.pk), f"{phase.number}. {phase}" if phase.name else str(phase))
        for phase in phases
    ]


class PhaseChoiceField(forms.ChoiceField):
    def __init__(self, *, phases: list[Phase], **kwargs) -> None:
        self.phases = {str(phase.pk): phase for phase in phases}
        super().__init__(choices=_phase_choices(phases), **kwargs)

    def clean(self, value) -> Phase:
        return self.phases[super().clean(value)]


class ProcedureAddForm(SiteFieldsMixin, VersionForm):
    """Find the code by typing it or a few words of its description, then say where and the fee."""

    code_query = forms.CharField(
        max_length=100,
        required=False,
        label="Procedure",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "placeholder": "Code or words, e.g. D2740 or crown"}
        ),
    )
    # Set when the coordinator picks one of the search results.
    code = forms.CharField(max_length=5, required=False)
    tooth = forms.CharField(
        max_length=2,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "1-32 or A-T"}),
        help_text="Type it or pick it on the chart.",
    )
    surfaces = forms.CharField(
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "e.g. MO"}),
        help_text="One to five of M O D B L I F.",
    )
    area = forms.ChoiceField(
        choices=[("", "—"), *Area.choices], required=False, label="Quadrant or arch"
    )
    fee = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_FEE,
        required=False,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "placeholder": "Catalog fee"}
        ),
        help_text="Leave empty for the catalog fee.",
    )
    fee_reason = forms.CharField(max_length=200, required=False, label="Why a different fee")

    field_order = ["code_query", "phase", "tooth", "surfaces", "area", "fee", "fee_reason"]

    def __init__(
        self,
        data=None,
        *,
        practice: Practice,
        phases: list[Phase],
        **kwargs,
    ) -> None:
        super().__init__(data, **kwargs)
        self.practice = practice
        self.fields["phase"] = PhaseChoiceField(phases=phases)
        self.order_fields(self.field_order)
        self.chosen_code: ProcedureCode | None = None
        self.matches: list[ProcedureCode] = []

    def clean(self) -> dict:
        cleaned = super().clean()
        chosen = cleaned.get("code", "").strip().upper()
        query = cleaned.get("code_query", "").strip()
        if chosen:
            self.chosen_code = selectors.procedure_code_find(practice=self.practice, code=chosen)
            if self.chosen_code is None:
                self.add_error("code_query", f"{chosen} is not in the catalog (or is retired).")
        elif not query:
            self.add_error("code_query", "Type a code or a few words, then pick the procedure.")
        else:
            self.chosen_code = selectors.procedure_code_find(practice=self.practice, code=query)
            if self.chosen_code is None:
                self.matches = list(
                    selectors.procedure_code_search(practice=self.practice, query=query)
                )
                if len(self.matches) == 1:
                    self.chosen_code = self.matches[0]
                elif self.matches:
                    self.add_error("code_query", "Several procedures match: pick one.")
                else:
                    self.add_error("code_query", f"No procedure in the catalog matches “{query}”.")
        if self.chosen_code is not None:
            cleaned["procedure_code"] = self.chosen_code
        return cleaned

    @property
    def results(self) -> list[ProcedureCode]:
        """The codes to offer again when the form comes back with an error."""
        if self.chosen_code is not None:
            return [self.chosen_code]
        return self.matches

    @property
    def checked(self) -> str:
        return self.chosen_code.code if self.chosen_code is not None else ""


class ProcedureEditForm(SiteFieldsMixin, VersionForm):
    """Change where a procedure is done, its phase, or its fee (with a reason)."""

    tooth = forms.CharField(max_length=2, required=False)
    surfaces = forms.CharField(max_length=7, required=False)
    area = forms.ChoiceField(choices=[("", "—"), *Area.choices], required=False, label="Area")
    fee = forms.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0"),
        max_value=MAX_FEE,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    fee_reason = forms.CharField(max_length=200, required=False, label="Why a different fee")

    def __init__(
        self,
        data=None,
        *,
        procedure: PlannedProcedure,
        phases: list[Phase],
        version: int,
        **kwargs,
    ) -> None:
        initial = {
            "version": version,
            "phase": str(procedure.phase_id),
            "tooth": procedure.tooth,
            "surfaces": procedure.surfaces,
            "area": procedure.area,
            "fee": procedure.fee,
            "fee_reason": procedure.fee_reason,
        }
        super().__init__(data, initial=initial, **kwargs)
        self.fields["phase"] = PhaseChoiceField(phases=phases)
        # Only the fields this kind of procedure uses: the rest would only invite errors.
        site = procedure.procedure_code.site
        if site not in (Site.TOOTH, Site.SURFACES):
            del self.fields["tooth"]
        if site != Site.SURFACES:
            del self.fields["surfaces"]
        if site not in (Site.QUADRANT, Site.ARCH):
            del self.fields["area"]
        self.order_fields(["phase", "tooth", "surfaces", "area", "fee", "fee_reason"])


class DecisionForm(forms.Form):
    """Decline or defer one procedure: the reason decides the follow-up."""

    kind = forms.ChoiceField(
        choices=[(DecisionKind.DECLINED, "Declined"), (DecisionKind.DEFERRED, "Not now (defer)")],
        widget=forms.RadioSelect,
        initial=DecisionKind.DEFERRED,
        label="The patient",
    )
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *DECISION_REASONS])
    note = forms.CharField(max_length=500, required=False)


class CompleteForm(forms.Form):
    completed_on = forms.DateField(
        label="Done on", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(
        self, data=None, *, dentists: list[User], dentist: User | None = None, **kwargs
    ) -> None:
        initial = {"completed_on": timezone.localdate()}
        if dentist is not None:
            initial["dentist"] = str(dentist.pk)
        super().__init__(data, initial=initial, **kwargs)
        self.fields["dentist"] = DentistChoiceField(dentists=dentists, label="By")


class CloseForm(forms.Form):
    reason = forms.ChoiceField(choices=[("", "Choose a reason"), *CloseReason.choices])


class PresentForm(VersionForm):
    mode = forms.ChoiceField(choices=PresentationMode.choices, initial=PresentationMode.IN_PERSON)
    note = forms.CharField(
        max_length=500, required=False, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
