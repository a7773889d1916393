"""`manage.py metrics` on a small practice imported by hand, where each definition's edge shows.

Expected figures are worked out in the comments; period Q1 2026 in America/Chicago.
"""

import io
import json

import pytest
from django.core.management import call_command
from django_scopes import scopes_disabled

from plans.models import Touch, TreatmentPlan

CATALOG = [
    ("D1110", "preventive", "115.00"),
    ("D2391", "restorative", "195.00"),
    ("D2740", "crowns", "1250.00"),
    ("D6010", "implants", "2100.00"),
    ("D6240", "prosthodontics", "1150.00"),
    ("D2330", "restorative", "200.00"),
]


def _plan(ref, patient, dentist, diagnosed_at, *options):
    return {
        "ref": ref,
        "patient": patient,
        "dentist": dentist,
        "diagnosed_at": diagnosed_at,
        "options": [
            {
                "ref": f"{ref}-{letter}",
                "name": f"Option {letter}",
                **({"recommended": True} if letter == "a" else {}),
                "procedures": [
                    {"ref": f"{ref}-{letter}-{n}", "code": code, "tooth": tooth, "phase": 1}
                    for n, (code, tooth) in enumerate(procedures, start=1)
                ],
            }
            for letter, procedures in zip("ab", options, strict=False)
        ],
    }


DOCUMENT = {
    "format": "coordinator-practice/1",
    "practice": {"slug": "edge-dental", "name": "Edge Dental", "timezone": "America/Chicago"},
    "staff": [
        {"ref": "anna", "name": "Anna Lee", "email": "anna@edge.example", "role": "coordinator"},
        {"ref": "ben", "name": "Ben Ode", "email": "ben@edge.example", "role": "coordinator"},
        {"ref": "dr-kim", "name": "Jane Kim", "email": "kim@edge.example", "role": "dentist"},
        {"ref": "dr-lee", "name": "Sam Lee", "email": "lee@edge.example", "role": "dentist"},
    ],
    "procedure_codes": [
        {"code": code, "category": category, "description": f"Work {code}", "fee": fee}
        for code, category, fee in CATALOG
    ],
    "patients": [
        {"ref": f"pt-{n}", "first_name": "Pat", "last_name": f"Edge{n}", "birth_date": "1980-01-01"}
        for n in range(1, 8)
    ],
    "plans": [
        # Alternatives: implant recommended (2100), the bridge (1150) accepted.
        _plan("tp-1", "pt-1", "dr-kim", "2026-01-05T09:10", [("D6010", "19")], [("D6240", "19")]),
        # Partial acceptance: the filling (200) of crown + filling (1450).
        _plan("tp-2", "pt-2", "dr-lee", "2026-02-10T09:00", [("D2740", "3"), ("D2330", "8")]),
        # Presented at 23:30 on March 31 in Chicago (April 1 in UTC); completed without a
        # recorded acceptance on April 20.
        _plan("tp-3", "pt-3", "dr-kim", "2026-03-31T22:00", [("D2740", "14")]),
        # Re-presented by Ben in April: still Anna's case (first presentation).
        _plan("tp-4", "pt-4", "dr-kim", "2026-01-20T09:00", [("D2391", "30")]),
        # Diagnosed, never presented.
        _plan("tp-5", "pt-5", "dr-kim", "2026-03-01T09:00", [("D2391", "31")]),
        # Diagnosed in March, presented in April (counts for the presentation rate only).
        _plan("tp-6", "pt-6", "dr-kim", "2026-03-15T09:00", [("D2391", "2")]),
        # Accepted after the period, before as_of.
        _plan("tp-7", "pt-7", "dr-kim", "2026-03-20T09:00", [("D2740", "30")]),
    ],
    "presentations": [
        {
            "ref": "pr-1",
            "plan": "tp-1",
            "by": "anna",
            "at": "2026-01-05T10:30",
            "mode": "in_person",
        },
        {"ref": "pr-2", "plan": "tp-2", "by": "ben", "at": "2026-02-10T10:00", "mode": "in_person"},
        {"ref": "pr-3", "plan": "tp-3", "by": "anna", "at": "2026-03-31T23:30", "mode": "phone"},
        {
            "ref": "pr-4",
            "plan": "tp-4",
            "by": "anna",
            "at": "2026-01-20T10:00",
            "mode": "in_person",
        },
        {"ref": "pr-4b", "plan": "tp-4", "by": "ben", "at": "2026-04-02T10:00", "mode": "phone"},
        {"ref": "pr-6", "plan": "tp-6", "by": "ben", "at": "2026-04-05T10:00", "mode": "in_person"},
        {
            "ref": "pr-7",
            "plan": "tp-7",
            "by": "anna",
            "at": "2026-03-20T10:00",
            "mode": "in_person",
        },
    ],
    "decisions": [
        {"procedure": "tp-1-b-1", "decision": "accepted", "at": "2026-01-12T16:00"},
        {
            "procedure": "tp-1-a-1",
            "decision": "declined",
            "at": "2026-01-12T16:00",
            "reason": "cost",
        },
        {"procedure": "tp-2-a-2", "decision": "accepted", "at": "2026-02-11T09:00"},
        {
            "procedure": "tp-2-a-1",
            "decision": "deferred",
            "at": "2026-02-11T09:00",
            "reason": "waiting_for_benefits",
        },
        {"procedure": "tp-7-a-1", "decision": "accepted", "at": "2026-04-10T11:00"},
    ],
    "completed": [
        {"procedure": "tp-2-a-2", "on": "2026-03-03"},
        {"procedure": "tp-3-a-1", "on": "2026-04-20"},
        {
            "ref": "cp-1",
            "patient": "pt-1",
            "code": "D1110",
            "fee": "115.00",
            "on": "2026-03-03",
            "dentist": "dr-lee",
        },
        {
            "ref": "cp-2",
            "patient": "pt-1",
            "code": "D1110",
            "fee": "115.00",
            "on": "2026-03-10",
            "dentist": "dr-lee",
        },
    ],
}

# (plan, moment in Chicago): which touches count is part of the definition.
TOUCHES = [
    ("tp-1", "2026-01-03T09:00"),  # before the first presentation: not counted
    ("tp-1", "2026-01-13T09:00"),  # after the acceptance: not counted
    ("tp-2", "2026-02-10T15:00"),  # undecided: counted; accepted next day -> converted
    ("tp-4", "2026-01-25T09:00"),  # undecided, never accepted -> not converted
    ("tp-7", "2026-03-22T09:00"),  # undecided; accepted April 10 -> converted
    ("tp-3", "2026-04-02T09:00"),  # undecided, but first touch in April: not in Q1
]


@pytest.fixture
def edge_practice(db, tmp_path):
    path = tmp_path / "edge.json"
    path.write_text(json.dumps(DOCUMENT))
    call_command("import_practice", str(path), stdout=io.StringIO())
    import zoneinfo
    from datetime import datetime

    zone = zoneinfo.ZoneInfo("America/Chicago")
    with scopes_disabled():
        plans = {p.ref: p for p in TreatmentPlan.objects.filter(practice__slug="edge-dental")}
        for ref, moment in TOUCHES:
            plan = plans[ref]
            Touch.objects.create(
                practice=plan.practice,
                plan=plan,
                channel="call",
                outcome="voicemail",
                at=datetime.fromisoformat(moment).replace(tzinfo=zone),
            )


def metrics(*args) -> dict:
    out = io.StringIO()
    call_command("metrics", "--practice", "edge-dental", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_the_quarter_counts_each_definition_at_its_edge(edge_practice):
    figures = metrics("--start", "2026-01-01", "--end", "2026-03-31", "--as-of", "2026-04-30")

    assert figures == {
        "practice": "edge-dental",
        "start": "2026-01-01",
        "end": "2026-03-31",
        "as_of": "2026-04-30",
        # tp-1..7 diagnosed in Q1; all but tp-5 presented by as_of (tp-6 in April).
        "cases_diagnosed": 7,
        "presentation_rate": "0.8571",
        # First presented in Q1: tp-1, tp-2, tp-3 (23:30 local on March 31), tp-4, tp-7.
        "cases_presented": 5,
        "presented_value": "6245.00",  # 2100 + 1450 + 1250 + 195 + 1250
        # tp-1 (the bridge), tp-2 (the filling), tp-3 (completed), tp-7 (after the period).
        "cases_accepted": 4,
        "accepted_value": "3850.00",  # 1150 + 200 + 1250 + 1250
        "case_acceptance_rate": "0.6165",
        "presentation_to_acceptance_ratio": "0.8000",
        # Completed in Q1: the filling (200) and two cleanings (115 each) of pt-1.
        "production": "430.00",
        "patients_seen": 2,
        "visits": 3,
        "production_per_patient": "215.00",
        "production_per_visit": "143.33",
        "cases_followed_up": 3,  # tp-2, tp-4, tp-7
        "cases_converted": 2,  # tp-2, tp-7
        "follow_up_conversion_rate": "0.6667",
    }


def test_events_after_as_of_do_not_exist(edge_practice):
    figures = metrics("--start", "2026-01-01", "--end", "2026-03-31", "--as-of", "2026-04-15")

    # tp-3 is completed on April 20: not yet accepted; tp-7 accepted April 10 still counts.
    assert (figures["cases_accepted"], figures["accepted_value"]) == (3, "2600.00")
    assert figures["cases_converted"] == 2


def test_the_coordinator_is_who_made_the_first_presentation(edge_practice):
    figures = metrics(
        "--start",
        "2026-01-01",
        "--end",
        "2026-03-31",
        "--as-of",
        "2026-04-30",
        "--coordinator",
        "anna",
    )

    assert figures["cases_presented"] == 4  # tp-1, tp-3, tp-4 (re-presented by Ben), tp-7
    assert figures["presented_value"] == "4795.00"
    assert (figures["cases_accepted"], figures["accepted_value"]) == (3, "3650.00")
    assert figures["case_acceptance_rate"] == "0.7612"
    assert (figures["cases_followed_up"], figures["cases_converted"]) == (2, 1)
    # The coordinator filter does not apply to diagnosis or production.
    assert (figures["cases_diagnosed"], figures["production"]) == (7, "430.00")
    assert (
        metrics(
            "--start",
            "2026-01-01",
            "--end",
            "2026-03-31",
            "--as-of",
            "2026-04-30",
            "--coordinator",
            "ben@edge.example",
        )["cases_presented"]
        == 1
    )


def test_the_dentist_filter_applies_to_everything(edge_practice):
    figures = metrics(
        "--start",
        "2026-01-01",
        "--end",
        "2026-03-31",
        "--as-of",
        "2026-04-30",
        "--dentist",
        "dr-kim",
    )

    assert figures["cases_presented"] == 4  # not tp-2 (Dr. Lee's)
    assert figures["cases_diagnosed"] == 6
    # The filling was on Dr. Lee's plan and the cleanings were Dr. Lee's: nothing for Dr. Kim.
    assert (figures["production"], figures["patients_seen"]) == ("0.00", 0)
    assert figures["production_per_patient"] is None


def test_an_empty_period_has_null_rates(edge_practice):
    figures = metrics("--start", "2025-01-01", "--end", "2025-01-31", "--as-of", "2026-04-30")

    assert figures["cases_presented"] == 0
    assert figures["case_acceptance_rate"] is None
    assert figures["follow_up_conversion_rate"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--practice", "nowhere", "--start", "2026-01-01", "--end", "2026-01-31"], "nowhere"),
        (["--practice", "edge-dental", "--start", "2026-02-30", "--end", "2026-03-31"], "--start"),
        (["--practice", "edge-dental", "--start", "2026-03-01", "--end", "2026-01-31"], "--end"),
        (
            [
                "--practice",
                "edge-dental",
                "--start",
                "2026-01-01",
                "--end",
                "2026-01-31",
                "--coordinator",
                "zoe",
            ],
            "zoe",
        ),
    ],
)
def test_bad_arguments_exit_2_with_one_line(edge_practice, args, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("metrics", *args)
    assert exit_info.value.code == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ")
    assert message in error
    assert "\n" not in error
