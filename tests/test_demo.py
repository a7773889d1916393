"""load_demo: the Lakeside Dental demo through the practice import, safe to run every time."""

import datetime
import io
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scopes_disabled

from coordinator import demo, importing
from coordinator.models import AuditEvent, Membership, Organization, Practice, User
from coordinator.roles import Role
from patients.models import Patient
from plans.models import (
    CompletedProcedure,
    Decision,
    PlannedProcedure,
    Presentation,
    ProcedureCode,
    TreatmentPlan,
)

DEMO_EMAILS = [f"{local}@{demo.DOMAIN}" for _ref, _name, local, _roles in demo.STAFF]


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


def load_demo() -> str:
    stdout = io.StringIO()
    call_command("load_demo", stdout=stdout)
    return stdout.getvalue()


def test_load_demo_refuses_to_run_without_debug(db):
    with pytest.raises(CommandError, match="runs only with DJANGO_DEBUG=true"):
        call_command("load_demo")

    assert not Practice.objects.exists()


def test_the_demo_documents_are_the_same_every_time_and_valid(db):
    documents = demo.documents()

    assert documents == demo.documents()
    for document in documents:
        assert importing.validate(document)[1] == []


def test_the_demo_is_one_organization_with_two_locations_and_sixty_patients(db, debug):
    load_demo()

    group = Organization.objects.get(slug="lakeside-dental")
    assert group.name == "Lakeside Dental Group"
    locations = {p.slug: p for p in group.practices.all()}
    assert sorted(locations) == ["lakeside-downtown", "lakeside-northgate"]
    assert locations["lakeside-downtown"].name == "Lakeside Dental Downtown"
    assert locations["lakeside-downtown"].timezone == "America/Chicago"
    with scopes_disabled():
        patients = list(Patient.objects.select_related("practice"))
        assert ProcedureCode.objects.filter(practice__slug="lakeside-northgate").count() == 26
    by_location = {slug: [p for p in patients if p.practice.slug == slug] for slug in locations}
    assert (len(by_location["lakeside-downtown"]), len(by_location["lakeside-northgate"])) == (
        36,
        24,
    )
    assert len({p.phone for p in patients}) == 60
    assert sum(p.is_archived for p in patients) == 2
    assert any(not p.email for p in patients)
    assert any(p.preferred_contact == "sms" and not p.email for p in patients)
    assert any(p.unencrypted_email_consent for p in patients)
    years = [p.birth_date.year for p in patients]
    assert min(years) < 1960
    assert max(years) > 2010


def test_the_demo_has_staff_in_every_role(db, debug):
    load_demo()

    assert set(Membership.objects.values_list("role", flat=True)) == set(Role.values)
    owner = User.objects.get(email=f"rebecca@{demo.DOMAIN}")
    assert sorted(owner.memberships.values_list("practice__slug", "role")) == [
        ("lakeside-downtown", "owner"),
        ("lakeside-northgate", "owner"),
    ]
    for slug in ("lakeside-downtown", "lakeside-northgate"):
        assert Membership.objects.filter(practice__slug=slug, role="office_manager").count() == 1


def test_loading_the_demo_again_changes_nothing(db, debug):
    load_demo()
    with scopes_disabled():
        events = AuditEvent.objects.count()

    with CaptureQueriesContext(connection) as queries:
        output = load_demo()

    assert "60 patients; nothing changed." in output.splitlines()[0]
    writes = [q["sql"] for q in queries if q["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}]
    assert writes == []
    with scopes_disabled():
        assert AuditEvent.objects.count() == events


def test_load_demo_prints_every_login_and_how_to_get_a_code(db, debug):
    output = load_demo()

    assert f"with password {demo.PASSWORD}" in output
    lines = {line.split()[0]: line for line in output.splitlines() if line.startswith("  ")}
    assert sorted(lines) == sorted(DEMO_EMAILS)
    assert lines[f"marcus@{demo.DOMAIN}"].endswith(
        "office manager at lakeside-downtown  (needs a code)"
    )
    assert "needs a code" not in lines[f"alicia@{demo.DOMAIN}"]
    assert "manage.py demo_totp EMAIL" in output
    assert demo.TOTP_SECRET in output


def test_the_demo_password_passes_the_password_rules(db, debug):
    load_demo()

    for user in User.objects.filter(email__in=DEMO_EMAILS):
        validate_password(demo.PASSWORD, user)
        assert user.check_password(demo.PASSWORD)


def test_a_demo_manager_signs_in_with_the_password_and_a_demo_totp_code(db, debug, client):
    load_demo()
    email = f"marcus@{demo.DOMAIN}"

    response = client.post("/accounts/login/", {"username": email, "password": demo.PASSWORD})
    assert response.status_code == 302
    assert client.get("/p/lakeside-downtown/patients/").status_code == 302  # the code first

    stdout = io.StringIO()
    call_command("demo_totp", email, stdout=stdout)
    code = stdout.getvalue().strip()
    assert re.fullmatch(r"\d{6}", code)
    response = client.post("/accounts/second-factor/", {"token": code})

    assert response.status_code == 302
    page = client.get("/p/lakeside-downtown/patients/")
    assert page.status_code == 200
    assert "Garcia" in page.text


def test_loading_the_demo_again_brings_back_a_deactivated_demo_login(db, debug):
    load_demo()
    call_command("deactivate_user", f"tina@{demo.DOMAIN}", stdout=io.StringIO())

    assert "1 updated" in load_demo().splitlines()[0]

    assert User.objects.get(email=f"tina@{demo.DOMAIN}").is_active


def test_the_demo_has_a_year_of_treatment_history_ending_yesterday(db, debug):
    today = datetime.date(2026, 11, 27)
    demo.load(today)

    with scopes_disabled():
        plans = list(TreatmentPlan.objects.select_related("practice", "dentist"))
        presentations = list(Presentation.objects.select_related("presented_by"))
        decisions = list(Decision.objects.all())
        completions = list(CompletedProcedure.objects.all())
        procedures = list(PlannedProcedure.objects.select_related("procedure_code", "option"))
    assert 150 <= len(plans) <= 250
    zone = datetime.timezone(datetime.timedelta(hours=-6))
    diagnosed = [plan.diagnosed_at.astimezone(zone).date() for plan in plans]
    assert min(diagnosed) >= today - datetime.timedelta(days=365)
    latest = max(
        [presentation.at for presentation in presentations] + [d.at for d in decisions]
    ).astimezone(zone)
    assert latest.date() < today
    assert max(c.completed_on for c in completions) < today
    # Patients have several plans over time.
    assert Counter(plan.patient_id for plan in plans).most_common(1)[0][1] >= 3
    # Alternatives in some plans (implant, bridge, partial denture).
    with_alternatives = {p.option.plan_id for p in procedures if not p.option.recommended}
    assert 0.08 <= len(with_alternatives) / len(plans) <= 0.25
    statuses = Counter(plan.status for plan in plans)
    for status in ("diagnosed", "presented", "accepted", "declined", "completed"):
        assert statuses[status] >= 3, statuses
    assert {p.presented_by.email.split("@")[0] for p in presentations} == {"alicia", "jordan"}
    assert {p.dentist.email.split("@")[0] for p in plans} == {"dr.adeyemi", "dr.chen"}
    reasons = Counter(d.reason for d in decisions if d.kind == "declined")
    assert reasons.most_common(1)[0][0] == "cost"
    assert any(d.kind == "deferred" and d.reason == "waiting_for_benefits" for d in decisions)
    # Some work outside any plan (checkups, cleanings); some done without a recorded yes.
    assert sum(c.planned_id is None for c in completions) > 100
    decided = {d.procedure_id for d in decisions if d.kind == "accepted"}
    assert any(c.planned_id and c.planned_id not in decided for c in completions)


def test_acceptance_differs_by_coordinator_and_category(db, debug):
    demo.load(datetime.date(2026, 11, 27))

    with scopes_disabled():
        first_presenter = {}
        for presentation in Presentation.objects.select_related("presented_by").order_by("at"):
            first_presenter.setdefault(presentation.plan_id, presentation.presented_by.email)
        procedures = list(
            PlannedProcedure.objects.select_related("procedure_code", "option").filter(
                option__recommended=True
            )
        )
    shown, taken = Counter(), Counter()
    for procedure in procedures:
        if procedure.option.plan_id not in first_presenter:
            continue
        keys = [first_presenter[procedure.option.plan_id], procedure.procedure_code.category]
        for key in keys:
            shown[key] += procedure.fee
            taken[key] += procedure.fee * (procedure.status in ("accepted", "completed"))
    rate = {key: taken[key] / shown[key] for key in shown}  # Decimal fees, Decimal rates
    assert rate[f"alicia@{demo.DOMAIN}"] > rate[f"jordan@{demo.DOMAIN}"] + Decimal("0.05")
    assert rate["preventive"] > rate["implants"] + Decimal("0.2")


def test_a_later_day_adds_what_happened_since_and_keeps_what_was_there(db, debug):
    demo.load(datetime.date(2026, 11, 20))
    with scopes_disabled():
        before = {
            "decisions": set(Decision.objects.values_list("procedure__ref", "kind", "at")),
            "presentations": set(Presentation.objects.values_list("ref", "at", "mode")),
            "completed": set(CompletedProcedure.objects.values_list("planned__ref", "ref")),
        }

    outcome = demo.load(datetime.date(2026, 11, 27))

    assert outcome.created > 0
    with scopes_disabled():
        after = {
            "decisions": set(Decision.objects.values_list("procedure__ref", "kind", "at")),
            "presentations": set(Presentation.objects.values_list("ref", "at", "mode")),
            "completed": set(CompletedProcedure.objects.values_list("planned__ref", "ref")),
        }
    for key in before:
        assert before[key] < after[key], key
    assert demo.load(datetime.date(2026, 11, 27)).created == 0


def test_the_demo_has_ppo_percentage_and_dual_coverage_with_estimates(db, debug):
    from insurance.models import Coverage
    from insurance.plan_estimates import estimate_option, patient_coverages

    load_demo()

    with scopes_disabled():
        coverages = list(Coverage.objects.select_related("subscription__group_plan", "patient"))
        kinds = Counter(c.subscription.group_plan.plan_type for c in coverages if c.ordinal == 1)
        assert kinds["ppo"] > 5
        assert kinds["percentage"] > 3
        dual = {c.patient for c in coverages if c.ordinal == 2}
        assert dual
        plan = TreatmentPlan.objects.filter(patient__in=dual).order_by("created_at").first()
        assert plan is not None, "a patient with two plans has a treatment plan"
        option = plan.options.order_by("position").first()
        procedures = list(option.procedures.select_related("phase", "procedure_code"))
        today = timezone.localdate()
        estimate = estimate_option(
            practice=plan.practice,
            patient=plan.patient,
            procedures=procedures,
            coverages=patient_coverages(patient=plan.patient, as_of=today),
            as_of=today,
        )
        assert len(estimate.coverages) == 2
        assert estimate.total.insurance > 0


def test_loading_the_demo_again_adds_no_insurance(db, debug):
    from insurance.models import Carrier, Coverage

    load_demo()
    with scopes_disabled():
        counts = (Carrier.objects.count(), Coverage.objects.count())
    assert "nothing changed" in load_demo()
    with scopes_disabled():
        assert (Carrier.objects.count(), Coverage.objects.count()) == counts
