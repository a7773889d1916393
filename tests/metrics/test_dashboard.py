"""The metrics dashboard, its drill-down lists and CSV exports, on the hand-built edge practice.

The figures must be the `metrics` command's, whatever the page: one selectors module computes
both. Today is April 30, 2026 in Chicago, so Q1 2026 is "last quarter".
"""

import csv
import datetime
import io
import json
import zoneinfo
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_scopes import scopes_disabled

from coordinator.models import AuditEvent, Membership, Practice
from metrics.models import PracticeGoals
from metrics.selectors import Cut, Figure, Period, practice_metrics, practice_metrics_by
from patients.models import Patient
from plans.models import Touch, TreatmentPlan
from tests.factories import MembershipFactory, UserFactory, confirmed_totp_device
from tests.metrics.test_metrics_command import DOCUMENT, TOUCHES, _plan

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
TODAY = datetime.datetime(2026, 4, 30, 12, 0, tzinfo=CHICAGO)
Q1 = {"period": "custom", "start": "2026-01-01", "end": "2026-03-31"}


def _import(tmp_path, document: dict, touches) -> Practice:
    path = tmp_path / "practice.json"
    path.write_text(json.dumps(document))
    call_command("import_practice", str(path), stdout=io.StringIO())
    with scopes_disabled():
        practice = Practice.objects.get(slug=document["practice"]["slug"])
        plans = {plan.ref: plan for plan in TreatmentPlan.objects.filter(practice=practice)}
        for ref, moment in touches:
            Touch.objects.create(
                practice=practice,
                plan=plans[ref],
                channel="call",
                outcome="voicemail",
                at=datetime.datetime.fromisoformat(moment).replace(tzinfo=CHICAGO),
            )
    return practice


@pytest.fixture
def today(time_machine):
    time_machine.move_to(TODAY, tick=False)


@pytest.fixture
def edge(db, tmp_path, today) -> Practice:
    return _import(tmp_path, DOCUMENT, TOUCHES)


def _manager(practice: Practice, role: str = "office_manager", email="mia@edge.example"):
    user = UserFactory(email=email, name="Mia Manager")
    MembershipFactory(user=user, practice=practice, role=role)
    confirmed_totp_device(user)
    return user


@pytest.fixture
def manager_client(edge, client_for):
    return client_for(_manager(edge))


def _staff(practice: Practice, ref: str):
    with scopes_disabled():
        return Membership.objects.select_related("user").get(practice=practice, ref=ref).user


def _command(*args) -> dict:
    out = io.StringIO()
    call_command("metrics", "--practice", "edge-dental", *args, "--json", stdout=out)
    figures = json.loads(out.getvalue())
    for header in ("practice", "start", "end", "as_of"):
        del figures[header]
    return figures


def _as_json(metrics) -> dict:
    return {
        name: str(value) if isinstance(value, Decimal) else value
        for name, value in metrics.as_dict().items()
    }


def _dashboard(client, practice, **query):
    return client.get(reverse("metrics:dashboard", args=[practice.slug]), query)


# --- The dashboard and the command agree ---------------------------------------------------


@pytest.mark.parametrize(
    ("query", "args"),
    [
        (Q1, ["--start", "2026-01-01", "--end", "2026-03-31"]),
        ({"period": "last_quarter"}, ["--start", "2026-01-01", "--end", "2026-03-31"]),
        ({"period": "this_month"}, ["--start", "2026-04-01", "--end", "2026-04-30"]),
        ({"period": "last_month"}, ["--start", "2026-03-01", "--end", "2026-03-31"]),
        ({"period": "this_year"}, ["--start", "2026-01-01", "--end", "2026-12-31"]),
        ({}, ["--start", "2026-04-01", "--end", "2026-04-30"]),  # this month by default
        (
            {**Q1, "coordinator": "anna"},
            ["--start", "2026-01-01", "--end", "2026-03-31", "--coordinator", "anna"],
        ),
        (
            {**Q1, "dentist": "dr-kim"},
            ["--start", "2026-01-01", "--end", "2026-03-31", "--dentist", "dr-kim"],
        ),
        (
            {**Q1, "coordinator": "ben", "dentist": "dr-lee"},
            ["--start", "2026-01-01", "--end", "2026-03-31"]
            + ["--coordinator", "ben", "--dentist", "dr-lee"],
        ),
    ],
)
def test_the_dashboard_shows_the_commands_figures(edge, manager_client, query, args):
    query = dict(query)
    for name in ("coordinator", "dentist"):
        if name in query:
            query[name] = str(_staff(edge, query[name]).pk)

    response = _dashboard(manager_client, edge, **query)

    assert response.status_code == 200
    assert _as_json(response.context["figures"]) == _command(*args, "--as-of", "2026-04-30")


def test_the_previous_period_is_the_quarter_before(edge, manager_client):
    response = _dashboard(manager_client, edge, period="this_quarter")

    assert response.context["previous"] == Period(
        datetime.date(2026, 1, 1), datetime.date(2026, 3, 31), datetime.date(2026, 4, 30)
    )
    assert _as_json(response.context["previous_figures"]) == _command(
        "--start", "2026-01-01", "--end", "2026-03-31", "--as-of", "2026-04-30"
    )


def test_the_dashboard_says_the_figures_in_plain_words(edge, manager_client):
    response = _dashboard(manager_client, edge, **Q1)
    page = response.content.decode()

    assert "Case acceptance" in page
    assert "61.7%" in page  # 3850 of 6245
    assert "$6,245.00" in page
    assert "Goal 75.0%" in page  # the default goal
    # 0.75 × 6245 − 3850 = 833.75 more accepted would reach the goal.
    assert "$833.75 more accepted" in page
    # Compared with Q4 2025, when nothing was presented.
    assert response.context["previous"].start == datetime.date(2025, 10, 3)


def test_the_cuts_list_each_coordinator_and_dentist(edge, manager_client):
    response = _dashboard(manager_client, edge, **Q1)

    coordinators, dentists = response.context["cuts"]
    assert [row["name"] for row in coordinators["rows"]] == ["Anna Lee", "Ben Ode"]
    assert [row["name"] for row in dentists["rows"]] == ["Jane Kim", "Sam Lee"]
    anna = coordinators["rows"][0]["cells"]
    assert [cell["shown"] for cell in anna[:5]] == ["4", "$4,795.00", "3", "$3,650.00", "76.1%"]


# --- The grouped SQL equals one call per person ----------------------------------------------


@pytest.mark.parametrize("cut", list(Cut))
@pytest.mark.parametrize("other", [None, "dr-kim", "anna"])
@pytest.mark.parametrize(
    "dates",
    [
        (datetime.date(2026, 1, 1), datetime.date(2026, 3, 31), datetime.date(2026, 4, 30)),
        (datetime.date(2026, 1, 1), datetime.date(2026, 4, 30), datetime.date(2026, 4, 15)),
        (datetime.date(2026, 4, 1), datetime.date(2026, 4, 30), datetime.date(2026, 4, 30)),
    ],
)
def test_each_cut_equals_the_per_person_figures(edge, cut, other, dates):
    period = Period(*dates)
    filters = {}
    if other:
        member = _staff(edge, other)
        filters = {"dentist": member} if other.startswith("dr-") else {"coordinator": member}
    with scopes_disabled():
        staff = [m.user for m in Membership.objects.filter(practice=edge).select_related("user")]

    grouped = practice_metrics_by(practice=edge, period=period, cut=cut, **filters)

    assert grouped  # every combination here has some figures
    for member in staff:
        alone = practice_metrics(practice=edge, period=period, **(filters | {cut.value: member}))
        if member.pk in grouped:
            assert grouped[member.pk] == alone, member.name
        else:
            assert (alone.cases_presented, alone.cases_followed_up) == (0, 0)
            if cut == Cut.DENTIST:
                assert (alone.cases_diagnosed, alone.production) == (0, Decimal("0.00"))
    assert set(grouped) <= {member.pk for member in staff}


# --- Every count opens the cases behind it ---------------------------------------------------


def _cases(client, practice, figure: Figure, **query):
    return client.get(reverse("metrics:cases", args=[practice.slug, figure.value]), query)


@pytest.mark.parametrize("filters", [{}, {"coordinator": "anna"}, {"dentist": "dr-kim"}])
def test_each_list_holds_as_many_cases_as_its_figure(edge, manager_client, filters):
    query = Q1 | {name: str(_staff(edge, ref).pk) for name, ref in filters.items()}
    figures = _dashboard(manager_client, edge, **query).context["figures"]

    def listed(figure):
        response = _cases(manager_client, edge, figure, **query)
        assert response.status_code == 200
        return response.context

    presented = listed(Figure.PRESENTED)
    assert presented["count"] == figures.cases_presented
    assert presented["totals"]["presented"] == figures.presented_value
    accepted = listed(Figure.ACCEPTED)
    assert accepted["count"] == figures.cases_accepted
    assert accepted["totals"]["accepted"] == figures.accepted_value
    diagnosed = listed(Figure.DIAGNOSED)["count"]
    assert diagnosed == figures.cases_diagnosed
    diagnosed_presented = listed(Figure.DIAGNOSED_PRESENTED)["count"]
    if diagnosed:
        ratio = Decimal(diagnosed_presented) / diagnosed
        assert ratio.quantize(Decimal("0.0001")) == figures.presentation_rate
    assert listed(Figure.FOLLOWED_UP)["count"] == figures.cases_followed_up
    assert listed(Figure.CONVERTED)["count"] == figures.cases_converted
    production = listed(Figure.PRODUCTION)
    assert production["totals"]["fee"] == figures.production
    assert len({row.patient_id for row in production["page"]}) == figures.patients_seen


def test_a_case_row_shows_patient_plan_presenter_and_values(edge, manager_client):
    rows = list(_cases(manager_client, edge, Figure.ACCEPTED, **Q1).context["page"])

    first = rows[0]  # tp-1, first presented on January 5
    assert first.patient_name == "Edge1, Pat"
    assert first.presented_by == "Anna Lee"
    assert first.dentist == "Jane Kim"
    assert (first.presented_value, first.accepted_value) == (Decimal("2100.00"), Decimal("1150.00"))
    with scopes_disabled():
        assert first.plan_id == TreatmentPlan.objects.get(practice=edge, ref="tp-1").pk
    page = _cases(manager_client, edge, Figure.ACCEPTED, **Q1).content.decode()
    assert reverse("plans:detail", args=[edge.slug, first.plan_id]) in page


def test_an_unknown_figure_is_404(edge, manager_client):
    response = manager_client.get(reverse("metrics:cases", args=[edge.slug, "happiness"]))
    assert response.status_code == 404


# --- CSV -----------------------------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_figures_export_holds_the_commands_figures(edge, manager_client):
    response = manager_client.get(reverse("metrics:dashboard_csv", args=[edge.slug]), Q1)

    rows = _csv(response)
    assert rows[0] == ["scope", "figure", "start", "end", "as_of", "value"]
    practice_rows = {row[1]: row[5] for row in rows[1:] if row[0] == "practice"}
    expected = _command("--start", "2026-01-01", "--end", "2026-03-31", "--as-of", "2026-04-30")
    assert practice_rows == {
        name: "" if value is None else str(value) for name, value in expected.items()
    }
    assert any(row[0] == "coordinator: Anna Lee" for row in rows)
    assert any(row[0] == "dentist: Sam Lee" for row in rows)


def test_the_case_list_export_is_safe_in_a_spreadsheet(edge, manager_client):
    with scopes_disabled():
        Patient.objects.filter(practice=edge, last_name="Edge1").update(last_name="=HYPERLINK(1)")

    response = manager_client.get(
        reverse("metrics:cases_csv", args=[edge.slug, Figure.PRESENTED.value]), Q1
    )

    rows = _csv(response)
    assert rows[0][:3] == ["patient", "plan", "plan_id"]
    assert len(rows) == 1 + 5
    assert rows[1][0] == "'=HYPERLINK(1), Pat"
    assert sum(Decimal(row[6]) for row in rows[1:]) == Decimal("6245.00")
    with scopes_disabled():
        assert AuditEvent.objects.filter(action="patient.exported").count() == 5


def test_the_production_export_lists_the_completed_work(edge, manager_client):
    response = manager_client.get(
        reverse("metrics:cases_csv", args=[edge.slug, Figure.PRODUCTION.value]), Q1
    )

    rows = _csv(response)
    assert [row[2] for row in rows[1:]] == ["D1110", "D2330", "D1110"]  # by day, then patient
    assert sum(Decimal(row[5]) for row in rows[1:]) == Decimal("430.00")


# --- Bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"period": "custom", "start": "2026-03-01", "end": "2026-01-31"}, "ends before it starts"),
        ({"period": "custom", "start": "2026-02-30", "end": "2026-03-31"}, "Enter a valid date"),
        ({"period": "custom", "start": "2026-01-01"}, "Give the last day"),
        ({"period": "fortnight"}, "Select a valid choice"),
        ({"period": "this_month", "coordinator": "nobody"}, "Select a valid choice"),
        ({"period": "custom", "start": "2027-01-01", "end": "2027-01-31"}, "after today"),
    ],
)
def test_a_bad_period_re_renders_with_the_error(edge, manager_client, query, message):
    for name in ("metrics:dashboard", "metrics:dashboard_csv"):
        response = manager_client.get(reverse(name, args=[edge.slug]), query)
        assert response.status_code == 422
        assert message in response.content.decode()
    response = _cases(manager_client, edge, Figure.PRESENTED, **query)
    assert response.status_code == 422
    assert message in response.content.decode()


def test_htmx_gets_the_body_partial_even_for_an_error(edge, manager_client):
    headers = {"HX-Request": "true", "HX-Target": "metrics-body"}
    ok = manager_client.get(reverse("metrics:dashboard", args=[edge.slug]), Q1, headers=headers)
    bad = manager_client.get(
        reverse("metrics:dashboard", args=[edge.slug]), {"period": "nope"}, headers=headers
    )

    assert ok.status_code == 200
    assert ok.content.decode().lstrip().startswith('<div id="metrics-body"')
    assert bad.status_code == 422
    assert bad.content.decode().lstrip().startswith('<div id="metrics-body"')


# --- Goals -----------------------------------------------------------------------------------


def test_the_manager_sets_the_goals_and_the_dashboard_shows_them(edge, manager_client):
    url = reverse("metrics:goals", args=[edge.slug])
    assert manager_client.get(url).context["form"].initial["case_acceptance_rate"] == "75"

    response = manager_client.post(url, {"case_acceptance_rate": "60", "presentation_rate": "90"})

    assert response.status_code == 302
    with scopes_disabled():
        goals = PracticeGoals.objects.get(practice=edge)
        assert AuditEvent.objects.filter(action="metrics.goals_set").count() == 1
    assert goals.case_acceptance_rate == Decimal("0.6000")
    assert goals.presentation_rate == Decimal("0.9000")
    assert goals.follow_up_conversion_rate is None
    page = _dashboard(manager_client, edge, **Q1).content.decode()
    assert "Goal 60.0%. On pace: 1.7 points above the goal." in page
    assert "Goal 90.0%. Behind by 4.3 points." in page


@pytest.mark.parametrize("value", ["0", "101", "abc", ""])
def test_a_bad_goal_is_refused_next_to_the_field(edge, manager_client, value):
    response = manager_client.post(
        reverse("metrics:goals", args=[edge.slug]), {"case_acceptance_rate": value}
    )

    assert response.status_code == 422
    assert response.context["form"].errors["case_acceptance_rate"]
    with scopes_disabled():
        assert not PracticeGoals.objects.filter(practice=edge).exists()


# --- A fixed number of queries, whatever the data size ---------------------------------------


def _practice_of(size: int) -> dict:
    slug = f"size-{size}"
    document = json.loads(json.dumps(DOCUMENT))
    document["practice"] = {**document["practice"], "slug": slug, "name": f"Size {size}"}
    for member in document["staff"]:
        member["email"] = member["email"].replace("@", f"+{size}@")
    document["patients"] = [
        {"ref": f"pt-{n}", "first_name": "Pat", "last_name": f"Size{n}", "birth_date": "1980-01-01"}
        for n in range(size)
    ]
    document["plans"], document["presentations"], document["decisions"] = [], [], []
    document["completed"] = []
    touches = []
    for n in range(size):
        ref, dentist, by = f"tp-{n}", ("dr-kim", "dr-lee")[n % 2], ("anna", "ben")[n % 2]
        day = f"2026-03-{n % 28 + 1:02d}"
        document["plans"].append(
            _plan(ref, f"pt-{n}", dentist, f"{day}T09:00", [("D2740", "3")], [("D2391", "3")])
        )
        document["presentations"].append(
            {"ref": f"pr-{n}", "plan": ref, "by": by, "at": f"{day}T10:00", "mode": "in_person"}
        )
        if n % 3 == 0:
            document["decisions"].append(
                {"procedure": f"{ref}-a-1", "decision": "accepted", "at": f"{day}T11:00"}
            )
            document["completed"].append({"procedure": f"{ref}-a-1", "on": "2026-04-20"})
        touches.append((ref, f"{day}T10:30"))
    return document, touches


def _queries(client, url: str, query: dict) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200
    return len(captured)


# Signing in, the practice, its staff and goals (or the audit event), then three statements for
# each set of figures (this period, the one before, by coordinator, by dentist); a list is one.
MOST_QUERIES = {"dashboard": 21, "dashboard_csv": 21, "cases": 10, "cases_csv": 11}


@pytest.mark.parametrize("view", list(MOST_QUERIES))
def test_the_pages_run_the_same_queries_for_1_and_30_plans(
    db, tmp_path, today, client_for, django_assert_max_num_queries, view
):
    counts = []
    for size in (1, 30):
        practice = _import(tmp_path, *_practice_of(size))
        client = client_for(_manager(practice, email=f"mia+{size}@size.example"))
        args = [practice.slug] + (["accepted"] if view.startswith("cases") else [])
        url = reverse(f"metrics:{view}", args=args)
        query = {"period": "this_year"}
        with django_assert_max_num_queries(MOST_QUERIES[view]):
            counts.append(_queries(client, url, query))
    assert counts[0] == counts[1], counts
