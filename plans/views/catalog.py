"""Procedure catalog pages: find codes; managers add and change them, edit fees inline, import CSV.

The import is two steps. The upload stores the file's raw rows (strings) in the session under a
random token and shows a preview; confirming checks those rows again against the catalog as it
is then and applies all of them in one transaction. Nothing in the confirm form carries values.
"""

import secrets
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from coordinator.permissions import can, practice_view
from coordinator.roles import Capability
from plans import catalog_selectors as selectors
from plans import catalog_services as services
from plans.catalog_forms import CatalogImportForm, FeeForm, ProcedureCodeForm
from plans.catalog_import import RawRow, RowStatus, compare_rows, results_digest
from plans.models import Category

PAGE_SIZE = 50
IMPORT_SESSION_KEY = "catalog_import"


@practice_view(Capability.PLANS_VIEW)
def catalog_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    category = request.GET.get("category", "")
    if category not in Category.values:
        category = ""
    inactive = request.GET.get("inactive") == "1"
    codes = selectors.catalog_list(
        practice=request.practice, query=query, category=category, include_inactive=inactive
    )
    page = Paginator(codes, PAGE_SIZE).get_page(request.GET.get("page"))
    filters = {"q": query, "category": category, "inactive": "1" if inactive else ""}
    template = "plans/catalog_list.html"
    if request.htmx and request.htmx.target == "catalog-results":
        template += "#results"
    return render(
        request,
        template,
        {
            "page": page,
            "query": query,
            "category": category,
            "inactive": inactive,
            "categories": Category.choices,
            "page_query": urlencode({key: value for key, value in filters.items() if value}),
            "can_manage": can(request, Capability.CATALOG_MANAGE),
        },
    )


def _render_code_form(request: HttpRequest, form: ProcedureCodeForm, procedure_code=None):
    return render(
        request,
        "plans/catalog_form.html",
        {"form": form, "procedure_code": procedure_code},
        status=422 if request.method == "POST" else 200,
    )


@practice_view(Capability.CATALOG_MANAGE)
def catalog_create(request: HttpRequest) -> HttpResponse:
    form = ProcedureCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            procedure_code = services.catalog_code_create(
                practice=request.practice, request=request, **form.code_data()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{procedure_code.code} was added to the catalog.")
            return redirect(_list_url(request, procedure_code.code))
    return _render_code_form(request, form)


@practice_view(Capability.CATALOG_MANAGE)
def catalog_edit(request: HttpRequest, code_id) -> HttpResponse:
    procedure_code = selectors.catalog_code_get(practice=request.practice, code_id=code_id)
    form = ProcedureCodeForm(request.POST or None, procedure_code=procedure_code)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.catalog_code_update(
                code=procedure_code, request=request, data=form.code_data()
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, f"{procedure_code.code} saved." if changed else "Nothing was changed."
            )
            return redirect(_list_url(request, procedure_code.code))
    return _render_code_form(request, form, procedure_code)


def _list_url(request: HttpRequest, query: str = "") -> str:
    url = reverse("catalog:list", args=[request.practice.slug])
    return f"{url}?{urlencode({'q': query, 'inactive': '1'})}" if query else url


@practice_view(Capability.CATALOG_MANAGE)
def catalog_fee(request: HttpRequest, code_id) -> HttpResponse:
    """Change one fee: its own small page, or in place in the list's fee cell with htmx."""
    procedure_code = selectors.catalog_code_get(practice=request.practice, code_id=code_id)
    template = "plans/catalog_fee.html"
    context = {"procedure_code": procedure_code, "can_manage": True, "inline": bool(request.htmx)}
    if request.htmx and request.GET.get("cancel"):
        return render(request, f"{template}#fee_display", context)
    form = FeeForm(request.POST or None, procedure_code=procedure_code)
    context["form"] = form
    if request.method == "POST":
        if form.is_valid():
            changed = services.catalog_code_update(
                code=procedure_code, request=request, data={"fee": form.cleaned_data["fee"]}
            )
            if request.htmx:
                context["saved"] = bool(changed)
                return render(request, f"{template}#fee_display", context)
            messages.success(
                request,
                f"The fee of {procedure_code.code} was saved." if changed else "Nothing changed.",
            )
            return redirect(_list_url(request, procedure_code.code))
        return render(
            request, f"{template}#fee_form" if request.htmx else template, context, status=422
        )
    return render(request, f"{template}#fee_form" if request.htmx else template, context)


# --- Import --------------------------------------------------------------------------------------


def _stored_import(request: HttpRequest, token: str) -> dict | None:
    stored = request.session.get(IMPORT_SESSION_KEY)
    if (
        not token
        or not isinstance(stored, dict)
        or stored.get("practice") != str(request.practice.pk)
        or not secrets.compare_digest(str(stored.get("token", "")).encode(), token.encode())
    ):
        return None
    return stored


@practice_view(Capability.CATALOG_MANAGE)
def catalog_import(request: HttpRequest) -> HttpResponse:
    """Step 1: upload the file. Nothing is written to the catalog here."""
    form = CatalogImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        token = secrets.token_urlsafe(16)
        # One import in progress per session: a new upload replaces an unconfirmed one.
        request.session[IMPORT_SESSION_KEY] = {
            "token": token,
            "practice": str(request.practice.pk),
            "file_name": form.file_name,
            "rows": [row.as_list() for row in form.cleaned_data["file"]],
        }
        preview = reverse("catalog:import_preview", args=[request.practice.slug])
        return redirect(f"{preview}?{urlencode({'token': token})}")
    return render(
        request,
        "plans/catalog_import.html",
        {"form": form},
        status=422 if request.method == "POST" else 200,
    )


@practice_view(Capability.CATALOG_MANAGE)
def catalog_import_preview(request: HttpRequest) -> HttpResponse:
    """Step 2: what the file would do, row by row; confirming (POST) applies all rows or none."""
    token = (request.POST if request.method == "POST" else request.GET).get("token", "")
    stored = _stored_import(request, token)
    if stored is None:
        messages.error(request, "That import is no longer open. Upload the file again.")
        return redirect("catalog:import", request.practice.slug)
    rows = [RawRow.from_list(row) for row in stored["rows"]]
    if request.method == "POST":
        try:
            counts = services.catalog_import_apply(
                practice=request.practice,
                request=request,
                rows=rows,
                expected_digest=request.POST.get("digest", ""),
            )
        except services.ImportRefused as refusal:
            messages.error(request, str(refusal))
            return redirect(f"{request.path}?{urlencode({'token': token})}")
        del request.session[IMPORT_SESSION_KEY]
        messages.success(
            request,
            f"Imported {stored['file_name']}: {counts.created} new, {counts.changed} changed, "
            f"{counts.unchanged} unchanged.",
        )
        return redirect("catalog:list", request.practice.slug)
    results = compare_rows(rows, selectors.catalog_entries(practice=request.practice))
    counts = {status.value: 0 for status in RowStatus}
    for result in results:
        counts[result.status.value] += 1
    return render(
        request,
        "plans/catalog_import_preview.html",
        {
            "results": results,
            "counts": counts,
            "errors": [message for result in results for message in result.messages],
            "file_name": stored["file_name"],
            "token": token,
            "digest": results_digest(results),
        },
    )
