"""Signing in and out, the second factor, and passwords."""

import time
from base64 import b32encode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from coordinator import services
from coordinator.audit import audit_record
from coordinator.forms import EmailAuthenticationForm, StaffPasswordResetForm, TokenForm
from coordinator.middleware import LAST_ACTIVITY, LOGIN_TIME


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form):
        response = super().form_valid(form)  # rotates the session key
        now = time.time()
        self.request.session[LOGIN_TIME] = now
        self.request.session[LAST_ACTIVITY] = now
        audit_record(action="auth.signed_in", request=self.request)
        return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        audit_record(action="auth.signed_out", request=request)
    logout(request)  # deletes the server-side session
    messages.info(request, "You are signed out.")
    return redirect("login")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return reverse_lazy("home")


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """Verify with the authenticator app, or enroll one on the first sign-in."""
    if request.user.is_verified():
        return redirect(_next_url(request))
    form = TokenForm(request.POST or None)
    if user_has_device(request.user):
        if request.method == "POST" and form.is_valid():
            device = match_token(request.user, form.cleaned_data["token"])
            if device is not None:
                otp_login(request, device)
                request.session.cycle_key()
                audit_record(action="auth.second_factor_passed", request=request)
                return redirect(_next_url(request))
            form.add_error(
                "token", "That code is not right, or it was already used. Try the next one."
            )
        return render(
            request, "registration/second_factor.html", {"form": form, "next": _next_url(request)}
        )

    device = services.totp_pending_device(user=request.user)
    if request.method == "POST" and form.is_valid():
        codes = services.totp_confirm(
            device=device, token=form.cleaned_data["token"], request=request
        )
        if codes is not None:
            otp_login(request, device)
            request.session.cycle_key()
            return render(
                request,
                "registration/recovery_codes.html",
                {"codes": codes, "next": _next_url(request)},
            )
        form.add_error(
            "token", "That code did not match. Check the app's clock and try the newest code."
        )
    return render(
        request,
        "registration/second_factor_setup.html",
        {
            "form": form,
            "qr_svg": services.totp_qr_svg(device),
            "secret": b32encode(device.bin_key).decode(),
            "next": _next_url(request),
        },
    )


class PasswordResetView(auth_views.PasswordResetView):
    form_class = StaffPasswordResetForm


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(action="auth.password_changed", request=self.request)
        messages.success(
            self.request, "Your password was changed. Your other sessions were signed out."
        )
        return response
