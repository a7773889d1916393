"""Who may open what: every URL name × method × actor gives the expected status.

REGISTRY must name every URL of the app; `test_every_url_has_a_registry_entry` fails when a new
URL arrives without one. Practice pages follow one rule (anonymous → sign-in page, allowed role →
the page, other member → 403, member of another practice → 404); account pages list their
expectations per actor.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from coordinator.roles import ROLE_CAPABILITIES, Capability, Role
from insurance.models import (
    Coverage,
    DowngradeRule,
    EligibilityCheck,
    InsuranceHistory,
    Subscription,
)
from patients.models import Patient
from plans import services as plan_services
from plans.followup_models import Cadence, CadenceStep, Reminder
from plans.models import ProcedureCode
from tests.conftest import sign_in
from tests.factories import (
    BenefitFactory,
    CarrierFactory,
    FeeScheduleEntryFactory,
    GroupPlanFactory,
    MembershipFactory,
    UserFactory,
)
from tests.insurance.x12.x12_text import SAMPLE_271

LOGIN = "/accounts/login/"
STAFF = {
    "alice": Role.COORDINATOR,
    "bob": Role.OFFICE_MANAGER,
    "dave": Role.DENTIST,
    "erin": Role.FRONT_DESK,
    "olivia": Role.OWNER,
}
OUTSIDER = "charlie"
ACTORS = ("anonymous", *STAFF, OUTSIDER)
SIGNED_IN = (*STAFF, OUTSIDER)

EVERY_ROLE = frozenset(Role)
EDITORS = frozenset({Role.COORDINATOR, Role.FRONT_DESK, Role.OFFICE_MANAGER, Role.OWNER})
MANAGERS = frozenset({Role.OFFICE_MANAGER, Role.OWNER})


def _practice(ctx) -> dict:
    return {"practice_slug": ctx.practice.slug}


def _patient(ctx) -> dict:
    return {"practice_slug": ctx.practice.slug, "patient_id": ctx.patient.pk}


def _figure(ctx) -> dict:
    return {"practice_slug": ctx.practice.slug, "figure": "accepted"}


def _no_kwargs(ctx) -> dict:
    return {}


def _new_patient(ctx) -> dict:
    return {
        "first_name": "Nora",
        "last_name": "Newcomer",
        "birth_date": "1990-04-02",
        "phone": "(312) 555-0177",
        "preferred_contact": "phone",
        "best_time": "any",
    }


def _edited_patient(ctx) -> dict:
    return {**_new_patient(ctx), "first_name": "Maria", "last_name": "Gomez-Ruiz"}


def _settings(ctx) -> dict:
    return {"name": "Smile North Dental", "timezone": "America/Chicago", "phone": "", "email": ""}


@dataclass(frozen=True)
class PracticeRoute:
    """A page inside /p/<practice>/: the role rule applies to every method in `ok`."""

    kwargs: Callable[..., dict]
    allowed: frozenset[str]
    # Method → (status, where a redirect goes) for an allowed role.
    ok: dict[str, tuple[int, str]]
    data: Callable[..., dict] | None = None
    # Methods the view refuses whoever asks (405), except the outsider, who gets 404 first.
    refused: tuple[str, ...] = ()

    def expect(self, method: str, actor: str) -> tuple[int, str]:
        if actor == OUTSIDER:
            return 404, ""
        if method in self.refused:
            return 405, ""
        if actor == "anonymous":
            return 302, LOGIN
        if STAFF[actor] in self.allowed:
            return self.ok[method]
        return 403, ""

    @property
    def methods(self) -> tuple[str, ...]:
        return (*self.ok, *self.refused)


@dataclass(frozen=True)
class AccountRoute:
    """A page outside any practice: the expected (status, redirect) per method and actor."""

    kwargs: Callable[..., dict]
    # Method → actor → (status, redirect); the key "signed_in" stands for every signed-in actor.
    expected: dict[str, dict[str, tuple[int, str]]]
    data: Callable[..., dict] | None = None

    def expect(self, method: str, actor: str) -> tuple[int, str]:
        by_actor = self.expected[method]
        if actor in by_actor:
            return by_actor[actor]
        return by_actor["signed_in"]

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self.expected)


def _everyone(result: tuple[int, str]) -> dict[str, tuple[int, str]]:
    return {"anonymous": result, "signed_in": result}


# Procedure catalog: a code to edit, and what managers post.
def _catalog_code(ctx) -> dict:
    with scopes_disabled():
        code, _ = ProcedureCode.objects.get_or_create(
            practice=ctx.practice,
            code="D2740",
            defaults={"category": "crowns", "description": "Crown", "fee": "1250.00"},
        )
    return {"practice_slug": ctx.practice.slug, "code_id": code.pk}


def _new_catalog_code(ctx) -> dict:
    return {"code": "D2950", "description": "Core build-up", "fee": "310.00", "minutes": "30"}


def _edited_catalog_code(ctx) -> dict:
    return {
        "description": "Porcelain crown",
        "fee": "1300.00",
        "minutes": "90",
        "category": "crowns",
        "site": "tooth",
        "is_active": "on",
    }


def _catalog_file(ctx) -> dict:
    content = b"code,description,fee\nD0120,Check-up exam,65.00\n"
    return {"file": SimpleUploadedFile("codes.csv", content, content_type="text/csv")}


# Insurance: a carrier and a PPO group plan with one row of each kind the pages act on.
INSURANCE_KEEPERS = frozenset({Role.COORDINATOR, Role.OFFICE_MANAGER, Role.OWNER})
INSURANCE_PLANS = "/p/{practice}/insurance/plans/"


def _insurance(ctx) -> SimpleNamespace:
    if not hasattr(ctx, "insurance"):
        carrier = CarrierFactory(practice=ctx.practice, name="Delta Matrix")
        group_plan = GroupPlanFactory(practice=ctx.practice, carrier=carrier, plan_type="ppo")
        ctx.insurance = SimpleNamespace(
            carrier=carrier,
            group_plan=group_plan,
            benefit=BenefitFactory(group_plan=group_plan, practice=ctx.practice),
            downgrade=DowngradeRule.objects.create(
                practice=ctx.practice, group_plan=group_plan, code="D2392", to_code="D2150"
            ),
            fee=FeeScheduleEntryFactory(
                group_plan=group_plan, practice=ctx.practice, code="D2740", amount="815.00"
            ),
        )
    return ctx.insurance


def _carrier(ctx) -> dict:
    return {"practice_slug": ctx.practice.slug, "carrier_id": _insurance(ctx).carrier.pk}


def _group_plan(ctx, **extra) -> dict:
    return {"practice_slug": ctx.practice.slug, "plan_id": _insurance(ctx).group_plan.pk, **extra}


def _benefit(ctx) -> dict:
    return _group_plan(ctx, benefit_id=_insurance(ctx).benefit.pk)


def _downgrade(ctx) -> dict:
    return _group_plan(ctx, rule_id=_insurance(ctx).downgrade.pk)


def _allowed_fees(ctx) -> dict:
    return _group_plan(ctx, schedule="allowed")


def _new_carrier(ctx) -> dict:
    return {"name": "Guardian Dental", "payer_id": "GI813", "phone": ""}


def _new_group_plan(ctx) -> dict:
    return {
        "carrier": str(_insurance(ctx).carrier.pk),
        "employer": "Acme Tools",
        "group_number": "G-1001",
        "plan_type": "ppo",
        "cob_rule": "standard",
        "renewal_month": "1",
        "downgrades_enabled": "on",
        "writeoff_on_downgraded": "on",
        "benefits_source": "assumed",
    }


def _edited_group_plan(ctx) -> dict:
    return {**_new_group_plan(ctx), "employer": "Acme Tools Inc", "is_active": "on"}


def _fee_file(ctx) -> dict:
    content = b"code,amount\nD0120,42.00\n"
    return {"file": SimpleUploadedFile("fees.csv", content, content_type="text/csv")}


# A patient's insurance: the matrix patient covered by the matrix group plan, with one history
# entry and one eligibility check (a 270 made), and the practice's eligibility ids.
INSURANCE_PAGE = "/p/{practice}/patients/{patient}/insurance/"


def _patient_coverage(ctx) -> SimpleNamespace:
    if not hasattr(ctx, "coverage"):
        group_plan = _insurance(ctx).group_plan
        with scopes_disabled():
            ctx.practice.npi = "1234567893"
            ctx.practice.x12_submitter_id = "MATRIX01"
            ctx.practice.save(update_fields=["npi", "x12_submitter_id"])
            subscription = Subscription.objects.create(
                practice=ctx.practice, group_plan=group_plan, subscriber=ctx.patient, member_id="M1"
            )
            coverage = Coverage.objects.create(
                practice=ctx.practice,
                patient=ctx.patient,
                subscription=subscription,
                ordinal=1,
                relationship="self",
            )
            entry = InsuranceHistory.objects.create(
                practice=ctx.practice,
                subscription=subscription,
                patient=ctx.patient,
                kind="paid",
                code="D1110",
                service_date=datetime.date(2024, 5, 1),
            )
            check = EligibilityCheck.objects.create(
                practice=ctx.practice,
                coverage=coverage,
                kind="x12",
                checked_on=datetime.date(2025, 1, 2),
                trace_number="000000001",
                request_270="ISA*00*~",
            )
        ctx.coverage = SimpleNamespace(coverage=coverage, entry=entry, check=check)
    return ctx.coverage


def _coverage(ctx, **extra) -> dict:
    return {**_patient(ctx), "coverage_id": _patient_coverage(ctx).coverage.pk, **extra}


def _new_coverage(ctx) -> dict:
    return {
        "group_plan": str(_insurance(ctx).group_plan.pk),
        "subscriber": str(ctx.patient.pk),
        "relationship": "self",
        "member_id": "M9",
    }


def _new_history_entry(ctx) -> dict:
    return {
        "patient": str(ctx.patient.pk),
        "kind": "done_elsewhere",
        "code": "D0120",
        "service_date": "2024-06-03",
    }


def _phone_call(ctx) -> dict:
    with timezone.override(ctx.practice.tzinfo):
        today = timezone.localdate()
    return {"spoke_with": "Pat", "checked_on": today.isoformat(), "active": "yes"}


# Plan page (builder): one plan per test, made on first use, with a procedure to act on, a
# second option and a second (empty) phase, and the dentist who diagnosed it.
PLAN_EDITORS = frozenset({Role.COORDINATOR, Role.DENTIST, Role.OFFICE_MANAGER, Role.OWNER})
PLAN_DECIDERS = frozenset({Role.COORDINATOR, Role.OFFICE_MANAGER, Role.OWNER})
PLAN_PAGE = "/p/{practice}/plans/"


def _builder(ctx) -> SimpleNamespace:
    if not hasattr(ctx, "builder"):
        dentist = UserFactory(email="dr.matrix@smile.example", name="Dr Matrix")
        MembershipFactory(user=dentist, practice=ctx.practice, role="dentist")
        request = RequestFactory().post("/")
        request.user = dentist
        with scopes_disabled():
            code, _ = ProcedureCode.objects.get_or_create(
                practice=ctx.practice,
                code="D3330",
                defaults={
                    "category": "endodontics",
                    "description": "Root canal on a molar",
                    "fee": Decimal("1150.00"),
                    "site": "tooth",
                },
            )
            plan = plan_services.plan_create(
                practice=ctx.practice, patient=ctx.patient, dentist=dentist, request=request
            )
            option = plan.options.get()
            phase = option.phases.get()
            procedure = plan_services.procedure_add(
                option=option,
                phase=phase,
                code=code,
                tooth="3",
                request=request,
                expected_version=plan.version,
            )
            plan.refresh_from_db()
            other = plan_services.option_add(
                plan=plan, request=request, expected_version=plan.version, name="Alternative"
            )
            plan.refresh_from_db()
            empty_phase = plan_services.phase_add(
                option=option, request=request, expected_version=plan.version
            )
            plan.refresh_from_db()
        ctx.builder = SimpleNamespace(
            dentist=dentist,
            plan=plan,
            option=option,
            other=other,
            phase=phase,
            empty_phase=empty_phase,
            procedure=procedure,
            request=request,
        )
    return ctx.builder


# Overview: a presentation of the plan page's plan.
def _presentation(ctx) -> dict:
    built = _builder(ctx)
    with scopes_disabled():
        presentation = plan_services.plan_present(
            plan=built.plan,
            request=built.request,
            expected_version=None,
            presented_by=built.dentist,
            mode="in_person",
        )
    return {**_plan(ctx), "presentation_id": presentation.pk}


def _plan_for_patient(ctx) -> dict:
    _builder(ctx)
    return {"practice_slug": ctx.practice.slug, "patient_id": ctx.patient.pk}


def _plan(ctx) -> dict:
    return {"practice_slug": ctx.practice.slug, "plan_id": _builder(ctx).plan.pk}


def _closed_plan(ctx) -> dict:
    built = _builder(ctx)
    with scopes_disabled():
        plan_services.plan_close(plan=built.plan, request=built.request, reason="abandoned")
    return _plan(ctx)


def _plan_option(ctx) -> dict:
    return {**_plan(ctx), "option_id": _builder(ctx).other.pk}


def _plan_first_option(ctx) -> dict:
    return {**_plan(ctx), "option_id": _builder(ctx).option.pk}


def _plan_phase(ctx) -> dict:
    return {**_plan(ctx), "phase_id": _builder(ctx).empty_phase.pk}


def _plan_procedure(ctx) -> dict:
    return {**_plan(ctx), "procedure_id": _builder(ctx).procedure.pk}


def _version(ctx, **data) -> dict:
    return {"version": str(_builder(ctx).plan.version), **data}


def _new_plan(ctx) -> dict:
    return {"title": "Upper right", "dentist": str(_builder(ctx).dentist.pk)}


def _new_plan_update(ctx) -> dict:
    return _version(ctx, **_new_plan(ctx))


def _completion(ctx) -> dict:
    with timezone.override(ctx.practice.tzinfo):
        today = timezone.localdate()
    return {"completed_on": today.isoformat(), "dentist": str(_builder(ctx).dentist.pk)}


def _new_procedure(ctx) -> dict:
    return _version(ctx, code_query="D3330", tooth="14", phase=str(_builder(ctx).phase.pk))


def _edited_procedure(ctx) -> dict:
    built = _builder(ctx)
    return _version(ctx, phase=str(built.phase.pk), tooth="2", fee="1150.00")


# Follow-ups: the plan page's plan presented (its follow-up starts with a pending first call),
# a coordinator to hand calls to, and a cadence of one step that nothing uses yet.
WORKERS = frozenset({Role.COORDINATOR, Role.FRONT_DESK, Role.OFFICE_MANAGER, Role.OWNER})
QUEUE = "/p/{practice}/queue/"
CADENCES = "/p/{practice}/cadences/"


def _follow_ups(ctx) -> SimpleNamespace:
    if not hasattr(ctx, "follow_ups"):
        built = _builder(ctx)
        caller = UserFactory(email="quinn@smile.example", name="Quinn Caller")
        MembershipFactory(user=caller, practice=ctx.practice, role="coordinator")
        with scopes_disabled():
            plan_services.plan_present(
                plan=built.plan,
                request=built.request,
                expected_version=None,
                presented_by=built.dentist,
                mode="in_person",
            )
            call = Reminder.objects.get(plan=built.plan, channel="call", step_number=1)
            cadence = Cadence.objects.create(practice=ctx.practice, name="Matrix cadence")
            step = CadenceStep.objects.create(
                practice=ctx.practice, cadence=cadence, number=1, days=3, channel="call"
            )
        ctx.follow_ups = SimpleNamespace(call=call, caller=caller, cadence=cadence, step=step)
    return ctx.follow_ups


def _call(ctx) -> dict:
    return {**_practice(ctx), "reminder_id": _follow_ups(ctx).call.pk}


def _follow_up(ctx) -> dict:
    return {**_practice(ctx), "follow_up_id": _follow_ups(ctx).call.follow_up_id}


def _to_caller(ctx) -> dict:
    return {"to": str(_follow_ups(ctx).caller.pk)}


def _cadence(ctx) -> dict:
    return {**_practice(ctx), "cadence_id": _follow_ups(ctx).cadence.pk}


def _cadence_step(ctx) -> dict:
    return {**_cadence(ctx), "step_id": _follow_ups(ctx).step.pk}


def _new_step(ctx) -> dict:
    return {"days": "5", "after": "previous", "channel": "sms", "body": "Hi {first_name}"}


PATIENT_DETAIL = "/p/{practice}/patients/{patient}/"

REGISTRY: dict[str, PracticeRoute | AccountRoute] = {
    # Accounts: signing in and out, the second factor, passwords.
    "home": AccountRoute(
        _no_kwargs,
        {
            "GET": {
                "anonymous": (302, LOGIN),
                # One practice each: straight to it.
                "signed_in": (302, "/p/{practice}/"),
                OUTSIDER: (302, "/p/{other_practice}/"),
            }
        },
    ),
    "login": AccountRoute(_no_kwargs, {"GET": {"anonymous": (200, ""), "signed_in": (302, "/")}}),
    "logout": AccountRoute(
        _no_kwargs,
        {"POST": _everyone((302, LOGIN)), "GET": _everyone((405, ""))},
    ),
    "second_factor": AccountRoute(
        _no_kwargs,
        {
            "GET": {
                "anonymous": (302, LOGIN),
                # Without a device: the enrollment page. Verified managers go on.
                "signed_in": (200, ""),
                "bob": (302, "/"),
                "olivia": (302, "/"),
            }
        },
    ),
    "password_change": AccountRoute(
        _no_kwargs, {"GET": {"anonymous": (302, LOGIN), "signed_in": (200, "")}}
    ),
    "password_reset": AccountRoute(_no_kwargs, {"GET": _everyone((200, ""))}),
    "password_reset_done": AccountRoute(_no_kwargs, {"GET": _everyone((200, ""))}),
    # A made-up link: the "invalid link" page, never an error.
    "password_reset_confirm": AccountRoute(
        lambda ctx: {"uidb64": "MTIz", "token": "not-a-real-token"}, {"GET": _everyone((200, ""))}
    ),
    "password_reset_complete": AccountRoute(_no_kwargs, {"GET": _everyone((200, ""))}),
    # The SMS provider's webhook: only a request signed with the provider's token gets in.
    "sms_inbound": AccountRoute(
        _no_kwargs, {"POST": _everyone((403, "")), "GET": _everyone((405, ""))}
    ),
    # Practice pages.
    "practice_home": PracticeRoute(_practice, EVERY_ROLE, {"GET": (302, "/p/{practice}/home/")}),
    "practice_settings": PracticeRoute(
        _practice,
        MANAGERS,
        {"GET": (200, ""), "POST": (302, "/p/{practice}/settings/")},
        data=_settings,
    ),
    "practice_audit": PracticeRoute(_practice, MANAGERS, {"GET": (200, "")}),
    # Metrics: the practice's figures and goals are the office manager's and the owner's.
    "metrics:dashboard": PracticeRoute(_practice, MANAGERS, {"GET": (200, "")}),
    "metrics:dashboard_csv": PracticeRoute(_practice, MANAGERS, {"GET": (200, "")}),
    "metrics:cases": PracticeRoute(_figure, MANAGERS, {"GET": (200, "")}),
    "metrics:cases_csv": PracticeRoute(_figure, MANAGERS, {"GET": (200, "")}),
    "metrics:goals": PracticeRoute(
        _practice,
        MANAGERS,
        {"GET": (200, ""), "POST": (302, "/p/{practice}/metrics/")},
        data=lambda ctx: {"case_acceptance_rate": "80"},
    ),
    "patients:list": PracticeRoute(_practice, EVERY_ROLE, {"GET": (200, "")}),
    "patients:create": PracticeRoute(
        _practice,
        EDITORS,
        {"GET": (200, ""), "POST": (302, "/p/{practice}/patients/")},
        data=_new_patient,
    ),
    "patients:export": PracticeRoute(_practice, MANAGERS, {"GET": (200, "")}),
    "patients:detail": PracticeRoute(_patient, EVERY_ROLE, {"GET": (200, "")}),
    "patients:edit": PracticeRoute(
        _patient,
        EDITORS,
        {"GET": (200, ""), "POST": (302, PATIENT_DETAIL)},
        data=_edited_patient,
    ),
    "patients:archive": PracticeRoute(
        _patient, EDITORS, {"POST": (302, PATIENT_DETAIL)}, refused=("GET",)
    ),
    "patients:restore": PracticeRoute(
        _patient, EDITORS, {"POST": (302, PATIENT_DETAIL)}, refused=("GET",)
    ),
    "patients:access_history": PracticeRoute(_patient, MANAGERS, {"GET": (200, "")}),
    # Procedure catalog
    "catalog:list": PracticeRoute(_practice, EVERY_ROLE, {"GET": (200, "")}),
    "catalog:create": PracticeRoute(
        _practice,
        MANAGERS,
        {"GET": (200, ""), "POST": (302, "/p/{practice}/catalog/")},
        data=_new_catalog_code,
    ),
    "catalog:edit": PracticeRoute(
        _catalog_code,
        MANAGERS,
        {"GET": (200, ""), "POST": (302, "/p/{practice}/catalog/")},
        data=_edited_catalog_code,
    ),
    "catalog:fee": PracticeRoute(
        _catalog_code,
        MANAGERS,
        {"GET": (200, ""), "POST": (302, "/p/{practice}/catalog/")},
        data=lambda ctx: {"fee": "1299.00"},
    ),
    "catalog:import": PracticeRoute(
        _practice,
        MANAGERS,
        {"GET": (200, ""), "POST": (302, "/p/{practice}/catalog/import/preview/")},
        data=_catalog_file,
    ),
    # Without an open import (no token in this session): back to the upload page.
    "catalog:import_preview": PracticeRoute(
        _practice,
        MANAGERS,
        {
            "GET": (302, "/p/{practice}/catalog/import/"),
            "POST": (302, "/p/{practice}/catalog/import/"),
        },
    ),
    # Plan page (builder)
    "plans:create": PracticeRoute(
        _plan_for_patient,
        PLAN_EDITORS,
        {"GET": (200, ""), "POST": (302, PLAN_PAGE)},
        data=_new_plan,
    ),
    "plans:code_search": PracticeRoute(_practice, PLAN_EDITORS, {"GET": (200, "")}),
    "plans:detail": PracticeRoute(_plan, EVERY_ROLE, {"GET": (200, "")}),
    "plans:update": PracticeRoute(
        _plan, PLAN_EDITORS, {"POST": (302, PLAN_PAGE)}, data=_new_plan_update, refused=("GET",)
    ),
    "plans:diagnose": PracticeRoute(
        _plan, PLAN_EDITORS, {"POST": (302, PLAN_PAGE)}, data=_version, refused=("GET",)
    ),
    "plans:close": PracticeRoute(
        _plan,
        PLAN_EDITORS,
        {"POST": (302, PLAN_PAGE)},
        data=lambda ctx: {"reason": "abandoned"},
        refused=("GET",),
    ),
    "plans:reopen": PracticeRoute(
        _closed_plan, PLAN_EDITORS, {"POST": (302, PLAN_PAGE)}, refused=("GET",)
    ),
    "plans:present": PracticeRoute(
        _plan,
        PLAN_DECIDERS,
        {"POST": (302, PLAN_PAGE)},
        data=lambda ctx: _version(ctx, mode="in_person"),
        refused=("GET",),
    ),
    "plans:option_add": PracticeRoute(
        _plan,
        PLAN_EDITORS,
        {"POST": (302, PLAN_PAGE)},
        data=lambda ctx: _version(ctx, name="Partial denture"),
        refused=("GET",),
    ),
    "plans:option_rename": PracticeRoute(
        _plan_option,
        PLAN_EDITORS,
        {"POST": (302, PLAN_PAGE)},
        data=lambda ctx: _version(ctx, name="Bridge"),
        refused=("GET",),
    ),
    "plans:option_recommend": PracticeRoute(
        _plan_option, PLAN_EDITORS, {"POST": (302, PLAN_PAGE)}, data=_version, refused=("GET",)
    ),
    "plans:option_move": PracticeRoute(
        _plan_option,
        PLAN_EDITORS,
        {"POST": (302, PLAN_PAGE)},
        data=lambda ctx: _version(ctx, direction="left"),
        refused=("GET",),
    ),
    "plans:option_remove": PracticeRoute(
        _plan_option, PLAN_EDITORS, {"POST": (302, PLAN_PAGE)}, data=_version, refused=("GET",)
    ),
    "plans:option_accept": PracticeRoute(
        _plan_first_option, PLAN_DECIDERS, {"POST": (302, PLAN_PAGE)}, refused=("GET",)
    ),
    "plans:phase_add": PracticeRoute(
        _plan_first_option,
        PLAN_EDITORS,
        {"POST": (302, PLAN_PAGE)},
        data=_version,
        refused=("GET",),
    ),
    "plans:procedure_add": PracticeRoute(
        _plan_first_option,
        PLAN_EDITORS,
        {"POST": (302, PLAN_PAGE)},
        data=_new_procedure,
        refused=("GET",),
    ),
    "plans:phase_rename": PracticeRoute(
        _plan_phase,
        PLAN_EDITORS,
        {"POST": (302, PLAN_PAGE)},
        data=lambda ctx: _version(ctx, name="Second visit"),
        refused=("GET",),
    ),
    "plans:phase_remove": PracticeRoute(
        _plan_phase, PLAN_EDITORS, {"POST": (302, PLAN_PAGE)}, data=_version, refused=("GET",)
    ),
    "plans:phase_benefit_year": PracticeRoute(
        _plan_phase,
        PLAN_EDITORS,
        {"POST": (302, PLAN_PAGE)},
        data=lambda ctx: _version(ctx, benefit_year="next"),
        refused=("GET",),
    ),
    "plans:phase_wait": PracticeRoute(
        _plan_phase,
        PLAN_EDITORS,
        {"POST": (302, PLAN_PAGE)},
        data=lambda ctx: _version(ctx, may_wait_months="6"),
        refused=("GET",),
    ),
    "plans:option_split": PracticeRoute(
        _plan_first_option,
        PLAN_EDITORS,
        {"POST": (302, PLAN_PAGE)},
        data=lambda ctx: _version(ctx, next_year_phases="2"),
        refused=("GET",),
    ),
    "plans:procedure_edit": PracticeRoute(
        _plan_procedure,
        PLAN_EDITORS,
        {"POST": (302, PLAN_PAGE)},
        data=_edited_procedure,
        refused=("GET",),
    ),
    "plans:procedure_remove": PracticeRoute(
        _plan_procedure, PLAN_EDITORS, {"POST": (302, PLAN_PAGE)}, data=_version, refused=("GET",)
    ),
    "plans:procedure_decide": PracticeRoute(
        _plan_procedure,
        PLAN_DECIDERS,
        {"POST": (302, PLAN_PAGE)},
        data=lambda ctx: {"kind": "accepted"},
        refused=("GET",),
    ),
    "plans:procedure_complete": PracticeRoute(
        _plan_procedure,
        PLAN_EDITORS,
        {"POST": (302, PLAN_PAGE)},
        data=_completion,
        refused=("GET",),
    ),
    # Overview: home, plans, presentations
    "overview:home": PracticeRoute(_practice, EVERY_ROLE, {"GET": (200, "")}),
    "overview:plans": PracticeRoute(_practice, EVERY_ROLE, {"GET": (200, "")}),
    "overview:presentation": PracticeRoute(_presentation, EVERY_ROLE, {"GET": (200, "")}),
    # Insurance: carriers, group plans, benefits, downgrades, fee schedules
    "insurance:plans": PracticeRoute(_practice, EVERY_ROLE, {"GET": (200, "")}),
    "insurance:plan_create": PracticeRoute(
        _practice,
        INSURANCE_KEEPERS,
        {"GET": (200, ""), "POST": (302, INSURANCE_PLANS)},
        data=_new_group_plan,
    ),
    "insurance:plan_detail": PracticeRoute(_group_plan, EVERY_ROLE, {"GET": (200, "")}),
    "insurance:plan_edit": PracticeRoute(
        _group_plan,
        INSURANCE_KEEPERS,
        {"GET": (200, ""), "POST": (302, INSURANCE_PLANS)},
        data=_edited_group_plan,
    ),
    "insurance:plan_copy": PracticeRoute(
        _group_plan,
        INSURANCE_KEEPERS,
        {"GET": (200, ""), "POST": (302, INSURANCE_PLANS)},
        data=lambda ctx: {"employer": "Beta Works", "group_number": "G-2002"},
    ),
    "insurance:benefit_create": PracticeRoute(
        lambda ctx: _group_plan(ctx, kind="coverage"),
        INSURANCE_KEEPERS,
        {"GET": (200, ""), "POST": (302, INSURANCE_PLANS)},
        data=lambda ctx: {"applies_to": "category:crowns", "percent": "50"},
    ),
    "insurance:benefit_edit": PracticeRoute(
        _benefit,
        INSURANCE_KEEPERS,
        {"GET": (200, ""), "POST": (302, INSURANCE_PLANS)},
        data=lambda ctx: {"applies_to": "category:preventive", "percent": "90"},
    ),
    "insurance:benefit_delete": PracticeRoute(
        _benefit, INSURANCE_KEEPERS, {"POST": (302, INSURANCE_PLANS)}, refused=("GET",)
    ),
    "insurance:downgrade_create": PracticeRoute(
        _group_plan,
        INSURANCE_KEEPERS,
        {"GET": (200, ""), "POST": (302, INSURANCE_PLANS)},
        data=lambda ctx: {"code": "D2391", "to_code": "D2140", "when": "molar"},
    ),
    "insurance:downgrade_delete": PracticeRoute(
        _downgrade, INSURANCE_KEEPERS, {"POST": (302, INSURANCE_PLANS)}, refused=("GET",)
    ),
    "insurance:fee_set": PracticeRoute(
        _allowed_fees,
        INSURANCE_KEEPERS,
        {"GET": (200, ""), "POST": (302, INSURANCE_PLANS)},
        data=lambda ctx: {"code": "D2740", "amount": "800.00"},
    ),
    "insurance:fee_clear": PracticeRoute(
        _allowed_fees, INSURANCE_KEEPERS, {"GET": (200, ""), "POST": (302, INSURANCE_PLANS)}
    ),
    "insurance:fee_export": PracticeRoute(_allowed_fees, EVERY_ROLE, {"GET": (200, "")}),
    "insurance:fee_import": PracticeRoute(
        _allowed_fees,
        INSURANCE_KEEPERS,
        {"GET": (200, ""), "POST": (302, INSURANCE_PLANS)},
        data=_fee_file,
    ),
    # Without an open import (no token in this session): back to the upload page.
    "insurance:fee_import_preview": PracticeRoute(
        _allowed_fees,
        INSURANCE_KEEPERS,
        {"GET": (302, INSURANCE_PLANS), "POST": (302, INSURANCE_PLANS)},
    ),
    "insurance:carriers": PracticeRoute(_practice, EVERY_ROLE, {"GET": (200, "")}),
    "insurance:carrier_create": PracticeRoute(
        _practice,
        INSURANCE_KEEPERS,
        {"GET": (200, ""), "POST": (302, "/p/{practice}/insurance/carriers/")},
        data=_new_carrier,
    ),
    "insurance:carrier_edit": PracticeRoute(
        _carrier,
        INSURANCE_KEEPERS,
        {"GET": (200, ""), "POST": (302, "/p/{practice}/insurance/carriers/")},
        data=lambda ctx: {"name": "Delta Matrix Dental", "payer_id": "", "phone": ""},
    ),
    # A patient's insurance: coverage, history, eligibility checks
    "coverage:page": PracticeRoute(_patient, EVERY_ROLE, {"GET": (200, "")}),
    "coverage:add": PracticeRoute(
        _patient,
        EDITORS,
        {"GET": (200, ""), "POST": (302, INSURANCE_PAGE)},
        data=_new_coverage,
    ),
    "coverage:edit": PracticeRoute(
        _coverage,
        EDITORS,
        {"GET": (200, ""), "POST": (302, INSURANCE_PAGE)},
        data=lambda ctx: {"member_id": "M2", "effective_date": ""},
    ),
    "coverage:make_primary": PracticeRoute(
        _coverage, EDITORS, {"POST": (302, INSURANCE_PAGE)}, refused=("GET",)
    ),
    "coverage:end": PracticeRoute(
        _coverage,
        EDITORS,
        {"GET": (200, ""), "POST": (302, INSURANCE_PAGE)},
        data=lambda ctx: {"ended_on": "2030-12-31"},
    ),
    "coverage:remove": PracticeRoute(
        _coverage, EDITORS, {"POST": (302, INSURANCE_PAGE)}, refused=("GET",)
    ),
    "coverage:history": PracticeRoute(_coverage, EVERY_ROLE, {"GET": (200, "")}),
    "coverage:history_add": PracticeRoute(
        _coverage,
        EDITORS,
        {"POST": (302, INSURANCE_PAGE)},
        data=_new_history_entry,
        refused=("GET",),
    ),
    "coverage:history_delete": PracticeRoute(
        lambda ctx: _coverage(ctx, entry_id=_patient_coverage(ctx).entry.pk),
        EDITORS,
        {"POST": (302, INSURANCE_PAGE)},
        refused=("GET",),
    ),
    # The 270 itself, as a file (the file transport).
    "coverage:request_270": PracticeRoute(
        _coverage, EDITORS, {"POST": (200, "")}, refused=("GET",)
    ),
    "coverage:import_271": PracticeRoute(
        _coverage,
        EDITORS,
        {"GET": (200, ""), "POST": (302, INSURANCE_PAGE)},
        data=lambda ctx: {"text": SAMPLE_271},
    ),
    # Without an open import (no token in this session): back to the upload page.
    "coverage:import_271_preview": PracticeRoute(
        _coverage, EDITORS, {"GET": (302, INSURANCE_PAGE), "POST": (302, INSURANCE_PAGE)}
    ),
    "coverage:phone_check": PracticeRoute(
        _coverage,
        EDITORS,
        {"GET": (200, ""), "POST": (302, INSURANCE_PAGE)},
        data=_phone_call,
    ),
    "coverage:check_detail": PracticeRoute(
        lambda ctx: _coverage(ctx, check_id=_patient_coverage(ctx).check.pk),
        EVERY_ROLE,
        {"GET": (200, "")},
    ),
    "coverage:check_270": PracticeRoute(
        lambda ctx: _coverage(ctx, check_id=_patient_coverage(ctx).check.pk),
        EDITORS,
        {"GET": (200, "")},
    ),
    # Follow-ups: the queue, its calls, and cadences
    "follow_ups:queue": PracticeRoute(_practice, WORKERS, {"GET": (200, "")}),
    "follow_ups:badge": PracticeRoute(_practice, WORKERS, {"GET": (200, "")}),
    "follow_ups:call_outcome": PracticeRoute(
        _call,
        WORKERS,
        {"GET": (200, ""), "POST": (302, QUEUE)},
        data=lambda ctx: {"outcome": "voicemail"},
    ),
    "follow_ups:call_reassign": PracticeRoute(
        _call, MANAGERS, {"GET": (200, ""), "POST": (302, QUEUE)}, data=_to_caller
    ),
    "follow_ups:follow_up_reassign": PracticeRoute(
        _follow_up, MANAGERS, {"GET": (200, ""), "POST": (302, QUEUE)}, data=_to_caller
    ),
    "follow_ups:cadences": PracticeRoute(_practice, MANAGERS, {"GET": (200, "")}),
    "follow_ups:cadence_create": PracticeRoute(
        _practice,
        MANAGERS,
        {"GET": (200, ""), "POST": (302, CADENCES)},
        data=lambda ctx: {"name": "Cost worries", "reasons": ["cost"]},
    ),
    "follow_ups:cadence_edit": PracticeRoute(
        _cadence,
        MANAGERS,
        {"GET": (200, ""), "POST": (302, CADENCES)},
        data=lambda ctx: {"name": "Matrix cadence, renamed"},
    ),
    "follow_ups:cadence_delete": PracticeRoute(
        _cadence, MANAGERS, {"POST": (302, CADENCES)}, refused=("GET",)
    ),
    "follow_ups:cadence_active": PracticeRoute(
        _cadence,
        MANAGERS,
        {"POST": (302, CADENCES)},
        data=lambda ctx: {"active": "0"},
        refused=("GET",),
    ),
    "follow_ups:step_add": PracticeRoute(
        _cadence, MANAGERS, {"GET": (200, ""), "POST": (302, CADENCES)}, data=_new_step
    ),
    "follow_ups:step_edit": PracticeRoute(
        _cadence_step,
        MANAGERS,
        {"GET": (200, ""), "POST": (302, CADENCES)},
        data=lambda ctx: {"days": "4", "after": "presentation", "channel": "call"},
    ),
    "follow_ups:step_remove": PracticeRoute(
        _cadence_step, MANAGERS, {"POST": (302, CADENCES)}, refused=("GET",)
    ),
    "follow_ups:step_move": PracticeRoute(
        _cadence_step,
        MANAGERS,
        {"POST": (302, CADENCES)},
        data=lambda ctx: {"direction": "down"},
        refused=("GET",),
    ),
}


def url_names(resolver: URLResolver | None = None, namespace: str = "") -> list[str]:
    """Every URL name the app serves, namespaced ("patients:detail"); unnamed ones by route."""
    names = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += url_names(pattern, prefix)
        elif isinstance(pattern, URLPattern):
            names.append(f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {pattern}>")
    return names


def test_every_url_has_a_registry_entry():
    served = set(url_names())
    missing = sorted(served - REGISTRY.keys())
    assert not missing, f"Add these URL names to REGISTRY in {__name__}: {missing}"


def test_registry_names_only_urls_that_exist():
    stale = sorted(REGISTRY.keys() - set(url_names()))
    assert not stale, f"REGISTRY names URLs that no longer exist: {stale}"


CASES = [
    pytest.param(name, method, actor, id=f"{name}-{method}-{actor}")
    for name, route in REGISTRY.items()
    for method in route.methods
    for actor in ACTORS
]


@pytest.mark.parametrize(("name", "method", "actor"), CASES)
def test_permission_matrix(request, name, method, actor, practice, other_practice, patient):
    route = REGISTRY[name]
    ctx = SimpleNamespace(practice=practice, patient=patient)
    client = Client() if actor == "anonymous" else sign_in(Client(), request.getfixturevalue(actor))
    url = reverse(name, kwargs=route.kwargs(ctx))
    data = route.data(ctx) if route.data and method == "POST" else {}

    response = client.generic(method, url) if method != "POST" else client.post(url, data)

    status, location = route.expect(method, actor)
    assert response.status_code == status, (
        f"{actor} {method} {url}: expected {status}, got {response.status_code}"
    )
    if status == 302:
        expected = location.format(
            practice=practice.slug, other_practice=other_practice.slug, patient=patient.pk
        )
        assert response["Location"].startswith(expected), response["Location"]
        # A redirect for an allowed role must not be a disguised trip to the sign-in page.
        if expected != LOGIN:
            assert not response["Location"].startswith(LOGIN)


def test_registry_roles_match_the_documented_capabilities():
    """The registry spells the roles out; a change in roles.py must show up here on purpose."""

    def roles_with(capability):
        return frozenset(role for role, caps in ROLE_CAPABILITIES.items() if capability in caps)

    assert roles_with(Capability.PATIENTS_VIEW) == EVERY_ROLE
    assert roles_with(Capability.PATIENTS_EDIT) == EDITORS
    assert roles_with(Capability.PATIENTS_EXPORT) == MANAGERS
    assert roles_with(Capability.AUDIT_VIEW) == MANAGERS
    assert roles_with(Capability.PRACTICE_SETTINGS) == MANAGERS
    assert roles_with(Capability.METRICS_VIEW) == MANAGERS
    assert roles_with(Capability.METRICS_GOALS) == MANAGERS
    assert roles_with(Capability.INSURANCE_VIEW) == EVERY_ROLE
    assert roles_with(Capability.INSURANCE_EDIT) == EDITORS
    assert roles_with(Capability.INSURANCE_MANAGE) == INSURANCE_KEEPERS


def test_create_by_an_allowed_role_saves_the_patient(client_for, erin, practice):
    """The matrix's 302 for a POST is the real thing, not a bounce: the patient now exists."""
    response = client_for(erin).post(
        reverse("patients:create", args=[practice.slug]), _new_patient(None)
    )
    assert response.status_code == 302
    with scopes_disabled():
        nora = Patient.objects.get(practice=practice, last_name="Newcomer")
    assert nora.birth_date == datetime.date(1990, 4, 2)
    assert response["Location"] == reverse("patients:detail", args=[practice.slug, nora.pk])


def test_plan_page_roles_match_the_documented_capabilities():
    """The plan page's role sets spell out roles.py: a change there must show up here."""

    def roles_with(capability):
        return frozenset(role for role, caps in ROLE_CAPABILITIES.items() if capability in caps)

    assert roles_with(Capability.PLANS_VIEW) == EVERY_ROLE
    assert roles_with(Capability.PLANS_EDIT) == PLAN_EDITORS
    assert roles_with(Capability.PLANS_COMPLETE) == PLAN_EDITORS
    assert roles_with(Capability.PLANS_PRESENT) == PLAN_DECIDERS
    assert roles_with(Capability.PLANS_DECIDE) == PLAN_DECIDERS
