"""The one way a practice view checks who may use it."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from coordinator.roles import Capability, role_can


def practice_view(capability: Capability) -> Callable:
    """Require a signed-in member of the URL's practice whose role has `capability`.

    The practice middleware has already resolved `request.practice` (404 for non-members); the
    view receives the request without the `practice_slug` argument and runs in the practice's
    time zone.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, practice_slug: str, *args, **kwargs) -> HttpResponse:
            if request.membership is None:
                raise Http404("No such practice.")
            if not role_can(request.membership.role, capability):
                raise PermissionDenied("Your role in this practice cannot do that.")
            # Dates and times on the practice's pages are the practice's local ones.
            with timezone.override(request.practice.tzinfo):
                return view(request, *args, **kwargs)

        wrapped.capability = capability
        return wrapped

    return decorator


def can(request: HttpRequest, capability: Capability) -> bool:
    membership = getattr(request, "membership", None)
    return membership is not None and role_can(membership.role, capability)
