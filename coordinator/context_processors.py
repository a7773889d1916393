"""Template context every page needs: the current practice, role and what the role may do."""

from django.http import HttpRequest

from coordinator.roles import ROLE_CAPABILITIES


def practice(request: HttpRequest) -> dict:
    # django-htmx's script tag reads `csp_nonce`; django-csp creates it lazily per request.
    nonce = getattr(request, "csp_nonce", "")
    membership = getattr(request, "membership", None)
    if membership is None:
        return {
            "practice": None,
            "membership": None,
            "capabilities": frozenset(),
            "csp_nonce": nonce,
        }
    return {
        "csp_nonce": nonce,
        "practice": membership.practice,
        "membership": membership,
        "capabilities": {c.replace(".", "_") for c in ROLE_CAPABILITIES[membership.role]},
    }
