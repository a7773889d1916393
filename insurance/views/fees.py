"""A group plan's fee schedules: set one code, import a CSV (preview, then all rows or none),
export a CSV, or clear a schedule.

The import follows the catalog import (plans/views/catalog.py): the upload stores the file's
raw rows in the session under a random token and shows a preview; confirming checks those rows
again against the schedule as it is then. Nothing in the confirm form carries values.
"""

import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from coordinator.permissions import practice_view
from coordinator.roles import Capability
from insurance import fee_services as services
from insurance import selectors
from insurance.fee_import import FeeRow, FeeStatus, compare_fee_rows, fee_csv, fee_digest
from insurance.forms import FeeImportForm, FeeSetForm
from insurance.models import FeeSchedule
from insurance.views.group_plans import plan_for

IMPORT_SESSION_KEY = "insurance_fee_import"


def _schedule(group_plan, schedule: str, *, used: bool = True) -> str:
    """The schedule named in the URL; 404 for a name that is none, or one the plan type does
    not use (when `used`)."""
    if schedule not in FeeSchedule.values or (used and schedule not in group_plan.schedules):
        raise Http404("This plan has no such fee schedule.")
    return schedule


def _detail_url(request: HttpRequest, group_plan, schedule: str) -> str:
    url = reverse("insurance:plan_detail", args=[request.practice.slug, group_plan.pk])
    return f"{url}#fees-{schedule}"


@practice_view(Capability.INSURANCE_MANAGE)
def fee_set(request: HttpRequest, plan_id, schedule: str) -> HttpResponse:
    """One code's amount: its own small page, also posted to from the plan page."""
    group_plan = plan_for(request, plan_id)
    schedule = _schedule(group_plan, schedule)
    form = FeeSetForm(request.POST or None, initial={"code": request.GET.get("code", "")[:5]})
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.fee_set(
                group_plan=group_plan,
                request=request,
                schedule=schedule,
                code=form.cleaned_data["code"],
                amount=form.cleaned_data["amount"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            code = form.cleaned_data["code"]
            messages.success(
                request,
                {
                    "created": f"{code} added.",
                    "changed": f"{code} changed.",
                    "removed": f"{code} removed: no amount on file now.",
                }.get(outcome, "Nothing changed."),
            )
            return redirect(_detail_url(request, group_plan, schedule))
    return render(
        request,
        "insurance/fee_set.html",
        {
            "form": form,
            "group_plan": group_plan,
            "schedule": schedule,
            "schedule_label": FeeSchedule(schedule).label,
        },
        status=422 if request.method == "POST" else 200,
    )


@practice_view(Capability.INSURANCE_MANAGE)
def fee_clear(request: HttpRequest, plan_id, schedule: str) -> HttpResponse:
    """Remove every amount of a schedule: asked first (GET), done on POST."""
    group_plan = plan_for(request, plan_id)
    schedule = _schedule(group_plan, schedule, used=False)
    label = FeeSchedule(schedule).label
    if request.method != "POST":
        entries = selectors.fee_entries(group_plan=group_plan, schedule=schedule)
        return render(
            request,
            "insurance/fee_clear.html",
            {
                "group_plan": group_plan,
                "schedule": schedule,
                "schedule_label": label,
                "count": len(entries),
            },
        )
    removed = services.fees_clear(group_plan=group_plan, request=request, schedule=schedule)
    messages.success(request, f"{label}: {removed} amount{'s' if removed != 1 else ''} removed.")
    return redirect(_detail_url(request, group_plan, schedule))


@practice_view(Capability.INSURANCE_VIEW)
def fee_export(request: HttpRequest, plan_id, schedule: str) -> HttpResponse:
    """The schedule as a CSV file the import reads back."""
    group_plan = plan_for(request, plan_id)
    schedule = _schedule(group_plan, schedule, used=False)
    entries = selectors.fee_entries(group_plan=group_plan, schedule=schedule)
    response = HttpResponse(fee_csv(entries), content_type="text/csv; charset=utf-8")
    name = f"{group_plan.group_number or 'group-plan'}-{schedule}.csv"
    safe = "".join(char if char.isalnum() or char in "-_." else "-" for char in name)
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    return response


# --- Import --------------------------------------------------------------------------------------


def _stored_import(request: HttpRequest, token: str, group_plan, schedule: str) -> dict | None:
    stored = request.session.get(IMPORT_SESSION_KEY)
    if (
        not token
        or not isinstance(stored, dict)
        or stored.get("practice") != str(request.practice.pk)
        or stored.get("plan") != str(group_plan.pk)
        or stored.get("schedule") != schedule
        or not secrets.compare_digest(str(stored.get("token", "")).encode(), token.encode())
    ):
        return None
    return stored


@practice_view(Capability.INSURANCE_MANAGE)
def fee_import(request: HttpRequest, plan_id, schedule: str) -> HttpResponse:
    """Step 1: upload the file. Nothing is written to the schedule here."""
    group_plan = plan_for(request, plan_id)
    schedule = _schedule(group_plan, schedule)
    form = FeeImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = secrets.token_urlsafe(16)
        # One import in progress per session: a new upload replaces an unconfirmed one.
        request.session[IMPORT_SESSION_KEY] = {
            "token": token,
            "practice": str(request.practice.pk),
            "plan": str(group_plan.pk),
            "schedule": schedule,
            "replace": form.cleaned_data["replace"],
            "file_name": form.file_name,
            "rows": [row.as_list() for row in form.cleaned_data["file"]],
        }
        preview = reverse(
            "insurance:fee_import_preview",
            args=[request.practice.slug, group_plan.pk, schedule],
        )
        return redirect(f"{preview}?{urlencode({'token': token})}")
    return render(
        request,
        "insurance/fee_import.html",
        {
            "form": form,
            "group_plan": group_plan,
            "schedule": schedule,
            "schedule_label": FeeSchedule(schedule).label,
        },
        status=422 if request.method == "POST" else 200,
    )


@practice_view(Capability.INSURANCE_MANAGE)
def fee_import_preview(request: HttpRequest, plan_id, schedule: str) -> HttpResponse:
    """Step 2: what the file would do, line by line; confirming (POST) applies all or none."""
    group_plan = plan_for(request, plan_id)
    schedule = _schedule(group_plan, schedule)
    token = (request.POST if request.method == "POST" else request.GET).get("token", "")
    stored = _stored_import(request, token, group_plan, schedule)
    if stored is None:
        messages.error(request, "That import is no longer open. Upload the file again.")
        return redirect("insurance:fee_import", request.practice.slug, group_plan.pk, schedule)
    rows = [FeeRow.from_list(row) for row in stored["rows"]]
    replace = bool(stored["replace"])
    if request.method == "POST":
        try:
            counts = services.fee_import_apply(
                group_plan=group_plan,
                request=request,
                schedule=schedule,
                rows=rows,
                replace=replace,
                expected_digest=request.POST.get("digest", ""),
            )
        except services.ImportRefused as refusal:
            messages.error(request, str(refusal))
            return redirect(f"{request.path}?{urlencode({'token': token})}")
        del request.session[IMPORT_SESSION_KEY]
        messages.success(
            request,
            f"Imported {stored['file_name']}: {counts.created} new, {counts.changed} changed, "
            f"{counts.removed} removed, {counts.unchanged} unchanged.",
        )
        return redirect(_detail_url(request, group_plan, schedule))
    results = compare_fee_rows(
        rows, selectors.fee_amounts(group_plan=group_plan, schedule=schedule), replace=replace
    )
    counts = {status.value: 0 for status in FeeStatus}
    for result in results:
        counts[result.status.value] += 1
    return render(
        request,
        "insurance/fee_import_preview.html",
        {
            "group_plan": group_plan,
            "schedule": schedule,
            "schedule_label": FeeSchedule(schedule).label,
            "results": results,
            "counts": counts,
            "replace": replace,
            "errors": [message for result in results for message in result.messages],
            "file_name": stored["file_name"],
            "token": token,
            "digest": fee_digest(results),
        },
    )
