"""Request plumbing: the practice from the URL, session timeouts, the second factor, caching."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect
from django_scopes import scope

from coordinator.models import Membership

LOGIN_TIME = "login_time"
LAST_ACTIVITY = "last_activity"


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(url)
    return redirect(url)


class NoStoreMiddleware:
    """Pages carry health information: browsers and proxies must not keep copies."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Cache-Control", "no-store")
        patch_vary_headers(response, ["HX-Request"])
        return response


class SessionTimeoutMiddleware:
    """Signs staff out after SESSION_IDLE_SECONDS idle or SESSION_ABSOLUTE_SECONDS in all."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            login_time = session.setdefault(LOGIN_TIME, now)
            last_activity = session.get(LAST_ACTIVITY, now)
            if now - last_activity > settings.SESSION_IDLE_SECONDS:
                return self._sign_out(
                    request, "You were signed out after a while without activity."
                )
            if now - login_time > settings.SESSION_ABSOLUTE_SECONDS:
                return self._sign_out(
                    request, "Your session reached its time limit. Please sign in again."
                )
            # Writing on every request would be one UPDATE each; a few seconds of slack is harmless.
            if now - last_activity > 10 or LAST_ACTIVITY not in session:
                session[LAST_ACTIVITY] = now
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest, message: str) -> HttpResponse:
        logout(request)
        messages.info(request, message)
        return _redirect(request, f"{reverse(settings.LOGIN_URL)}?next={request.path}")


# Paths a signed-in user may reach before passing the second factor.
_SECOND_FACTOR_OPEN = ("second_factor", "logout")


class SecondFactorMiddleware:
    """Users who must use an authenticator app reach nothing else until they have passed it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not user.is_verified()
            and not request.path.startswith(settings.STATIC_URL)
            and self._url_name(request) not in _SECOND_FACTOR_OPEN
            and user.requires_second_factor()
        ):
            return _redirect(request, f"{reverse('second_factor')}?next={request.path}")
        return self.get_response(request)

    @staticmethod
    def _url_name(request: HttpRequest) -> str | None:
        try:
            return resolve(request.path_info).url_name
        except Resolver404:
            return None


class PracticeMiddleware:
    """Resolves the practice from the URL once and runs the request inside its scope.

    A user who is not a member of that practice gets 404, never a hint that it exists.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.practice = None
        request.membership = None
        slug = self._practice_slug(request)
        if slug is None or not request.user.is_authenticated:
            return self.get_response(request)
        membership = (
            Membership.objects.select_related("practice")
            .filter(user=request.user, practice__slug=slug, is_active=True)
            .first()
        )
        if membership is None:
            raise Http404("No such practice.")
        request.practice = membership.practice
        request.membership = membership
        with scope(practice=membership.practice):
            return self.get_response(request)

    @staticmethod
    def _practice_slug(request: HttpRequest) -> str | None:
        try:
            return resolve(request.path_info).kwargs.get("practice_slug")
        except Resolver404:
            return None
