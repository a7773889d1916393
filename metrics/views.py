"""The metrics dashboard, the cases behind each figure, their CSV exports, and the goals."""

import csv
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from coordinator.audit import audit_record, audit_record_patients
from coordinator.money import format_money
from coordinator.permissions import can, practice_view
from coordinator.roles import Capability
from metrics import selectors, services
from metrics.forms import GoalsForm, PeriodForm
from metrics.selectors import Cut, Figure, Metrics

PAGE_SIZE = 50


@dataclass(frozen=True)
class Line:
    """One figure of `Metrics` as the dashboard says it."""

    name: str
    label: str
    kind: str  # "count", "money" or "rate"
    explains: str
    figure: Figure


LINES = (
    Line(
        "case_acceptance_rate",
        "Case acceptance",
        "rate",
        "Value accepted out of value presented, for cases first presented in the period.",
        Figure.ACCEPTED,
    ),
    Line(
        "cases_presented",
        "Cases presented",
        "count",
        "Cases whose first presentation fell in the period.",
        Figure.PRESENTED,
    ),
    Line(
        "presented_value",
        "Value presented",
        "money",
        "Fees of the recommended option at each case's first presentation.",
        Figure.PRESENTED,
    ),
    Line(
        "cases_accepted",
        "Cases accepted",
        "count",
        "Of those cases, the ones with at least one procedure accepted or done by today.",
        Figure.ACCEPTED,
    ),
    Line(
        "accepted_value",
        "Value accepted",
        "money",
        "Fees of their accepted or completed procedures, of any option.",
        Figure.ACCEPTED,
    ),
    Line(
        "presentation_to_acceptance_ratio",
        "Presentation to acceptance",
        "rate",
        "Cases accepted out of cases presented.",
        Figure.ACCEPTED,
    ),
    Line(
        "cases_diagnosed",
        "Cases diagnosed",
        "count",
        "Cases diagnosed in the period.",
        Figure.DIAGNOSED,
    ),
    Line(
        "presentation_rate",
        "Presentation rate",
        "rate",
        "Cases diagnosed in the period that have been presented by today, out of all diagnosed.",
        Figure.DIAGNOSED_PRESENTED,
    ),
    Line(
        "production",
        "Production",
        "money",
        "Fees of procedures completed in the period, planned or not.",
        Figure.PRODUCTION,
    ),
    Line(
        "patients_seen",
        "Patients seen",
        "count",
        "Patients with a procedure completed in the period.",
        Figure.PRODUCTION,
    ),
    Line("visits", "Visits", "count", "A patient seen on a day.", Figure.PRODUCTION),
    Line(
        "production_per_patient",
        "Production per patient",
        "money",
        "Production divided by patients seen.",
        Figure.PRODUCTION,
    ),
    Line(
        "production_per_visit",
        "Production per visit",
        "money",
        "Production divided by visits.",
        Figure.PRODUCTION,
    ),
    Line(
        "cases_followed_up",
        "Cases followed up",
        "count",
        "Cases whose first follow-up while still undecided fell in the period.",
        Figure.FOLLOWED_UP,
    ),
    Line(
        "cases_converted",
        "Converted after follow-up",
        "count",
        "Of those, the cases that accepted after the follow-up, by today.",
        Figure.CONVERTED,
    ),
    Line(
        "follow_up_conversion_rate",
        "Follow-up conversion",
        "rate",
        "Cases converted out of cases followed up.",
        Figure.CONVERTED,
    ),
)
LINE = {line.name: line for line in LINES}
HEADLINES = (
    "case_acceptance_rate",
    "presentation_rate",
    "presentation_to_acceptance_ratio",
    "production_per_patient",
    "follow_up_conversion_rate",
)
# The cut's columns: a coordinator owns the cases they first presented and their follow-ups;
# diagnosis and production are not theirs.
CUT_COLUMNS = {
    Cut.COORDINATOR: (
        "cases_presented",
        "presented_value",
        "cases_accepted",
        "accepted_value",
        "case_acceptance_rate",
        "presentation_to_acceptance_ratio",
        "cases_followed_up",
        "cases_converted",
        "follow_up_conversion_rate",
    ),
    Cut.DENTIST: (
        "cases_diagnosed",
        "presentation_rate",
        "cases_presented",
        "presented_value",
        "accepted_value",
        "case_acceptance_rate",
        "production",
        "production_per_patient",
        "cases_followed_up",
        "follow_up_conversion_rate",
    ),
}
FIGURE_TITLES = {
    Figure.PRESENTED: ("Cases presented", "Cases whose first presentation fell in the period."),
    Figure.ACCEPTED: (
        "Cases accepted",
        "Cases first presented in the period with a procedure accepted or done by today.",
    ),
    Figure.DIAGNOSED: ("Cases diagnosed", "Cases diagnosed in the period."),
    Figure.DIAGNOSED_PRESENTED: (
        "Diagnosed and presented",
        "Cases diagnosed in the period that have been presented by today, on any date.",
    ),
    Figure.FOLLOWED_UP: (
        "Cases followed up",
        "Cases whose first follow-up while still undecided fell in the period.",
    ),
    Figure.CONVERTED: (
        "Converted after follow-up",
        "Followed-up cases that accepted after the follow-up, by today.",
    ),
    Figure.PRODUCTION: ("Production", "Procedures completed in the period, planned or not."),
}


def _points(rate: Decimal) -> Decimal:
    """A rate in percentage points to one decimal, rounded half-up like the contract's rates."""
    return (rate * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def shown(kind: str, value) -> str:
    """A figure in plain words: 61.7%, $1,250.00, 12; a dash when there is nothing to divide."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{_points(value)}%"
    if kind == "money":
        return format_money(value)
    return str(value)


def change(kind: str, now, before) -> str:
    if now is None or before is None:
        return ""
    difference = now - before
    if kind == "rate":
        return f"{'+' if difference >= 0 else ''}{_points(difference)} pts"
    if kind == "money":
        return ("+" if difference >= 0 else "") + format_money(difference)
    return f"{difference:+d}"


def _staff_form(request: HttpRequest) -> PeriodForm:
    staff = selectors.practice_staff(practice=request.practice)
    return PeriodForm(request.GET, staff=staff, today=timezone.localdate())


def _pace(metrics: Metrics, goals) -> list[dict]:
    """Each goal against this period's figure: ahead or behind, and by how much."""
    paces = []
    for name, goal in (
        ("case_acceptance_rate", goals.case_acceptance_rate),
        ("presentation_rate", goals.presentation_rate),
        ("follow_up_conversion_rate", goals.follow_up_conversion_rate),
    ):
        if goal is None:
            continue
        value = getattr(metrics, name)
        pace = {"name": name, "label": LINE[name].label, "goal": shown("rate", goal)}
        if value is None:
            pace["words"] = "Nothing to measure yet in this period."
        elif value >= goal:
            pace["words"] = f"On pace: {_points(value - goal)} points above the goal."
            pace["ahead"] = True
        elif name == "case_acceptance_rate":
            needed = metrics.presented_value * goal - metrics.accepted_value
            pace["words"] = (
                f"Behind: {format_money(needed)} more accepted from this period's cases "
                "would reach the goal."
            )
        else:
            pace["words"] = f"Behind by {_points(goal - value)} points."
        paces.append(pace)
    return paces


def _cut_rows(form: PeriodForm, cut: Cut, figures: dict, names: dict) -> list[dict]:
    rows = []
    for key, metrics in figures.items():
        user = names.get(str(key))
        link = form.query(**{cut.value: str(key)}) if user else None
        cells = []
        for name in CUT_COLUMNS[cut]:
            line = LINE[name]
            value = getattr(metrics, name)
            cells.append(
                {
                    "shown": shown(line.kind, value),
                    "figure": line.figure.value if link and line.kind == "count" else "",
                }
            )
        rows.append({"name": user.name if user else "Former staff", "link": link, "cells": cells})
    rows.sort(key=lambda row: row["name"].lower())
    return rows


@practice_view(Capability.METRICS_VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    form = _staff_form(request)
    template = "metrics/dashboard.html"
    if request.htmx and request.htmx.target == "metrics-body":
        template += "#body"
    if not form.is_valid():
        return render(request, template, {"form": form}, status=422)
    practice = request.practice
    period, previous = form.chosen(), form.previous()
    coordinator, dentist = form.member("coordinator"), form.member("dentist")
    now = selectors.practice_metrics(
        practice=practice, period=period, coordinator=coordinator, dentist=dentist
    )
    before = selectors.practice_metrics(
        practice=practice, period=previous, coordinator=coordinator, dentist=dentist
    )
    cuts = [
        {
            "title": title,
            "columns": [LINE[name].label for name in CUT_COLUMNS[cut]],
            "rows": _cut_rows(
                form,
                cut,
                selectors.practice_metrics_by(
                    practice=practice,
                    period=period,
                    cut=cut,
                    coordinator=coordinator,
                    dentist=dentist,
                ),
                form.staff,
            ),
        }
        for cut, title in ((Cut.COORDINATOR, "By coordinator"), (Cut.DENTIST, "By dentist"))
    ]
    lines = [
        {
            "line": line,
            "now": shown(line.kind, getattr(now, line.name)),
            "before": shown(line.kind, getattr(before, line.name)),
            "change": change(line.kind, getattr(now, line.name), getattr(before, line.name)),
        }
        for line in LINES
    ]
    return render(
        request,
        template,
        {
            "form": form,
            "period": period,
            "previous": previous,
            "figures": now,
            "previous_figures": before,
            "coordinator": coordinator,
            "dentist": dentist,
            "query": form.query(),
            "lines": lines,
            "headlines": [row for row in lines if row["line"].name in HEADLINES],
            "per_visit": shown("money", now.production_per_visit),
            "paces": _pace(now, selectors.practice_goals(practice=practice)),
            "cuts": cuts,
            "can_set_goals": can(request, Capability.METRICS_GOALS),
        },
    )


# Typed text that a spreadsheet would run as a formula when the export is opened.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def _csv_response(request: HttpRequest, name: str) -> tuple[HttpResponse, csv.writer]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = (
        f'attachment; filename="{request.practice.slug}-{name}-{stamp}.csv"'
    )
    return response, csv.writer(response)


def _raw(value) -> str:
    # Money and rates as the contract writes them (strings, no symbols); a dash-free empty cell.
    return "" if value is None else str(value)


@practice_view(Capability.METRICS_VIEW)
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    form = _staff_form(request)
    if not form.is_valid():
        return render(request, "metrics/dashboard.html", {"form": form}, status=422)
    practice = request.practice
    period, previous = form.chosen(), form.previous()
    coordinator, dentist = form.member("coordinator"), form.member("dentist")
    now = selectors.practice_metrics(
        practice=practice, period=period, coordinator=coordinator, dentist=dentist
    )
    before = selectors.practice_metrics(
        practice=practice, period=previous, coordinator=coordinator, dentist=dentist
    )
    response, writer = _csv_response(request, "figures")
    writer.writerow(["scope", "figure", "start", "end", "as_of", "value"])

    def rows(scope: str, which, metrics: Metrics):
        for line in LINES:
            writer.writerow(
                [
                    _cell(scope),
                    line.name,
                    which.start.isoformat(),
                    which.end.isoformat(),
                    which.as_of.isoformat(),
                    _raw(getattr(metrics, line.name)),
                ]
            )

    filtered = " ".join(
        f"{label}: {user.name}"
        for label, user in (("coordinator", coordinator), ("dentist", dentist))
        if user
    )
    rows(filtered or "practice", period, now)
    rows(f"{filtered or 'practice'} (previous period)", previous, before)
    for cut in Cut:
        figures = selectors.practice_metrics_by(
            practice=practice, period=period, cut=cut, coordinator=coordinator, dentist=dentist
        )
        for key, metrics in sorted(figures.items(), key=lambda item: str(item[0])):
            user = form.staff.get(str(key))
            rows(f"{cut.value}: {user.name if user else key}", period, metrics)
    audit_record(
        action="metrics.figures_exported",
        request=request,
        detail={"start": period.start.isoformat(), "end": period.end.isoformat()},
    )
    return response


def _list(request: HttpRequest, form: PeriodForm, figure: Figure) -> list:
    arguments = {
        "practice": request.practice,
        "period": form.chosen(),
        "dentist": form.member("dentist"),
    }
    if figure == Figure.PRODUCTION:
        return selectors.work_rows(**arguments)
    return selectors.case_rows(figure=figure, coordinator=form.member("coordinator"), **arguments)


def _figure(value: str) -> Figure:
    if value not in {figure.value for figure in Figure}:
        raise Http404("No such figure.")
    return Figure(value)


@practice_view(Capability.METRICS_VIEW)
def case_list(request: HttpRequest, figure: str) -> HttpResponse:
    figure = _figure(figure)
    form = _staff_form(request)
    title, explains = FIGURE_TITLES[figure]
    context = {"form": form, "figure": figure.value, "title": title, "explains": explains}
    if not form.is_valid():
        return render(request, "metrics/case_list.html", context, status=422)
    rows = _list(request, form, figure)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    if figure == Figure.PRODUCTION:
        totals = {"fee": sum((row.fee for row in rows), Decimal("0.00"))}
    else:
        totals = {
            "presented": sum((row.presented_value for row in rows), Decimal("0.00")),
            "accepted": sum((row.accepted_value for row in rows), Decimal("0.00")),
        }
    audit_record(
        action="metrics.cases_listed",
        request=request,
        detail={"figure": figure.value, "rows": len(rows), "shown": len(page)},
    )
    return render(
        request,
        "metrics/case_list.html",
        context
        | {
            "period": form.chosen(),
            "coordinator": form.member("coordinator"),
            "dentist": form.member("dentist"),
            "page": page,
            "count": len(rows),
            "totals": totals,
            "query": form.query(),
            "production": figure == Figure.PRODUCTION,
        },
    )


@practice_view(Capability.METRICS_VIEW)
def case_list_csv(request: HttpRequest, figure: str) -> HttpResponse:
    figure = _figure(figure)
    form = _staff_form(request)
    if not form.is_valid():
        title, explains = FIGURE_TITLES[figure]
        context = {"form": form, "figure": figure.value, "title": title, "explains": explains}
        return render(request, "metrics/case_list.html", context, status=422)
    rows = _list(request, form, figure)
    response, writer = _csv_response(request, f"{figure.value}-cases")
    if figure == Figure.PRODUCTION:
        writer.writerow(
            ["completed_on", "patient", "code", "description", "tooth", "fee", "plan", "dentist"]
        )
        for row in rows:
            writer.writerow(
                [
                    row.completed_on.isoformat(),
                    _cell(row.patient_name),
                    row.code,
                    _cell(row.description),
                    row.tooth,
                    row.fee,
                    _cell(row.plan_label),
                    _cell(row.dentist),
                ]
            )
    else:
        writer.writerow(
            [
                "patient",
                "plan",
                "plan_id",
                "first_presented_on",
                "presented_by",
                "dentist",
                "presented_value",
                "accepted_value",
                "status",
            ]
        )
        for row in rows:
            presented = row.first_presented_at
            writer.writerow(
                [
                    _cell(row.patient_name),
                    _cell(row.plan_label),
                    row.plan_id,
                    timezone.localdate(presented).isoformat() if presented else "",
                    _cell(row.presented_by),
                    _cell(row.dentist),
                    row.presented_value,
                    row.accepted_value,
                    row.status_label,
                ]
            )
    patient_ids = list(dict.fromkeys(row.patient_id for row in rows))
    audit_record(
        action="metrics.cases_exported",
        request=request,
        detail={"figure": figure.value, "rows": len(rows)},
    )
    audit_record_patients(action="patient.exported", request=request, patient_ids=patient_ids)
    return response


@practice_view(Capability.METRICS_GOALS)
def goals(request: HttpRequest) -> HttpResponse:
    current = selectors.practice_goals(practice=request.practice)
    form = GoalsForm(request.POST or None, instance=current)
    if request.method == "POST":
        if form.is_valid():
            services.goals_set(
                practice=request.practice,
                request=request,
                case_acceptance_rate=form.cleaned_data["case_acceptance_rate"],
                presentation_rate=form.cleaned_data["presentation_rate"],
                follow_up_conversion_rate=form.cleaned_data["follow_up_conversion_rate"],
            )
            messages.success(request, "Goals saved.")
            return redirect(reverse("metrics:dashboard", args=[request.practice.slug]))
        return render(request, "metrics/goals.html", {"form": form}, status=422)
    return render(request, "metrics/goals.html", {"form": form})
