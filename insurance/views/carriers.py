"""Carriers: everyone with insurance access sees them; plan keepers add and change them."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from coordinator.permissions import can, practice_view
from coordinator.roles import Capability
from insurance import selectors, services
from insurance.forms import CarrierForm
from plans.forms import apply_service_errors


@practice_view(Capability.INSURANCE_VIEW)
def carrier_list(request: HttpRequest) -> HttpResponse:
    carriers = selectors.carrier_list(practice=request.practice)
    return render(
        request,
        "insurance/carrier_list.html",
        {"carriers": carriers, "can_manage": can(request, Capability.INSURANCE_MANAGE)},
    )


def _render_form(request: HttpRequest, form: CarrierForm, carrier=None) -> HttpResponse:
    return render(
        request,
        "insurance/carrier_form.html",
        {"form": form, "carrier": carrier},
        status=422 if request.method == "POST" else 200,
    )


@practice_view(Capability.INSURANCE_MANAGE)
def carrier_create(request: HttpRequest) -> HttpResponse:
    form = CarrierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            carrier = services.carrier_create(
                practice=request.practice, request=request, data=form.carrier_data()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{carrier.name} was added.")
            return redirect("insurance:carriers", request.practice.slug)
    return _render_form(request, form)


@practice_view(Capability.INSURANCE_MANAGE)
def carrier_edit(request: HttpRequest, carrier_id) -> HttpResponse:
    carrier = selectors.carrier_get(practice=request.practice, carrier_id=carrier_id)
    carrier.practice = request.practice
    form = CarrierForm(request.POST or None, carrier=carrier)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.carrier_update(
                carrier=carrier, request=request, data=form.carrier_data()
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, f"{carrier.name} saved." if changed else "Nothing changed.")
            return redirect("insurance:carriers", request.practice.slug)
    return _render_form(request, form, carrier)
