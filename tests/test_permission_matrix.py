"""Who may open what: every URL name × method × actor gives the expected status.

REGISTRY must name every URL of the app; `test_every_url_has_a_registry_entry` fails when a new
URL arrives without one. Practice pages follow one rule (anonymous → sign-in page, allowed role →
the page, other member → 403, member of another practice → 404); account pages list their
expectations per actor.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_scopes import scopes_disabled

from coordinator.roles import ROLE_CAPABILITIES, Capability, Role
from patients.models import Patient
from tests.conftest import sign_in

LOGIN = "/accounts/login/"
STAFF = {
    "alice": Role.COORDINATOR,
    "bob": Role.OFFICE_MANAGER,
    "dave": Role.DENTIST,
    "erin": Role.FRONT_DESK,
    "olivia": Role.OWNER,
}
OUTSIDER = "charlie"
ACTORS = ("anonymous", *STAFF, OUTSIDER)
SIGNED_IN = (*STAFF, OUTSIDER)

EVERY_ROLE = frozenset(Role)
EDITORS = frozenset({Role.COORDINATOR, Role.FRONT_DESK, Role.OFFICE_MANAGER, Role.OWNER})
MANAGERS = frozenset({Role.OFFICE_MANAGER, Role.OWNER})


def _practice(ctx) -> dict:
    return {"practice_slug": ctx.practice.slug}


def _patient(ctx) -> dict:
    return {"practice_slug": ctx.practice.slug, "patient_id": ctx.patient.pk}


def _no_kwargs(ctx) -> dict:
    return {}


def _new_patient(ctx) -> dict:
    return {
        "first_name": "Nora",
        "last_name": "Newcomer",
        "birth_date": "1990-04-02",
        "phone": "(312) 555-0177",
        "preferred_contact": "phone",
        "best_time": "any",
    }


def _edited_patient(ctx) -> dict:
    return {**_new_patient(ctx), "first_name": "Maria", "last_name": "Gomez-Ruiz"}


def _settings(ctx) -> dict:
    return {"name": "Smile North Dental", "timezone": "America/Chicago", "phone": "", "email": ""}


@dataclass(frozen=True)
class PracticeRoute:
    """A page inside /p/<practice>/: the role rule applies to every method in `ok`."""

    kwargs: Callable[..., dict]
    allowed: frozenset[str]
    # Method → (status, where a redirect goes) for an allowed role.
    ok: dict[str, tuple[int, str]]
    data: Callable[..., dict] | None = None
    # Methods the view refuses whoever asks (405), except the outsider, who gets 404 first.
    refused: tuple[str, ...] = ()

    def expect(self, method: str, actor: str) -> tuple[int, str]:
        if actor == OUTSIDER:
            return 404, ""
        if method in self.refused:
            return 405, ""
        if actor == "anonymous":
            return 302, LOGIN
        if STAFF[actor] in self.allowed:
            return self.ok[method]
        return 403, ""

    @property
    def methods(self) -> tuple[str, ...]:
        return (*self.ok, *self.refused)


@dataclass(frozen=True)
class AccountRoute:
    """A page outside any practice: the expected (status, redirect) per method and actor."""

    kwargs: Callable[..., dict]
    # Method → actor → (status, redirect); the key "signed_in" stands for every signed-in actor.
    expected: dict[str, dict[str, tuple[int, str]]]
    data: Callable[..., dict] | None = None

    def expect(self, method: str, actor: str) -> tuple[int, str]:
        by_actor = self.expected[method]
        if actor in by_actor:
            return by_actor[actor]
        return by_actor["signed_in"]

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(self.expected)


def _everyone(result: tuple[int, str]) -> dict[str, tuple[int, str]]:
    return {"anonymous": result, "signed_in": result}


PATIENT_DETAIL = "/p/{practice}/patients/{patient}/"

REGISTRY: dict[str, PracticeRoute | AccountRoute] = {
    # Accounts: signing in and out, the second factor, passwords.
    "home": AccountRoute(
        _no_kwargs,
        {
            "GET": {
                "anonymous": (302, LOGIN),
                # One practice each: straight to it.
                "signed_in": (302, "/p/{practice}/"),
                OUTSIDER: (302, "/p/{other_practice}/"),
            }
        },
    ),
    "login": AccountRoute(_no_kwargs, {"GET": {"anonymous": (200, ""), "signed_in": (302, "/")}}),
    "logout": AccountRoute(
        _no_kwargs,
        {"POST": _everyone((302, LOGIN)), "GET": _everyone((405, ""))},
    ),
    "second_factor": AccountRoute(
        _no_kwargs,
        {
            "GET": {
                "anonymous": (302, LOGIN),
                # Without a device: the enrollment page. Verified managers go on.
                "signed_in": (200, ""),
                "bob": (302, "/"),
                "olivia": (302, "/"),
            }
        },
    ),
    "password_change": AccountRoute(
        _no_kwargs, {"GET": {"anonymous": (302, LOGIN), "signed_in": (200, "")}}
    ),
    "password_reset": AccountRoute(_no_kwargs, {"GET": _everyone((200, ""))}),
    "password_reset_done": AccountRoute(_no_kwargs, {"GET": _everyone((200, ""))}),
    # A made-up link: the "invalid link" page, never an error.
    "password_reset_confirm": AccountRoute(
        lambda ctx: {"uidb64": "MTIz", "token": "not-a-real-token"}, {"GET": _everyone((200, ""))}
    ),
    "password_reset_complete": AccountRoute(_no_kwargs, {"GET": _everyone((200, ""))}),
    # Practice pages.
    "practice_home": PracticeRoute(
        _practice, EVERY_ROLE, {"GET": (302, "/p/{practice}/patients/")}
    ),
    "practice_settings": PracticeRoute(
        _practice,
        MANAGERS,
        {"GET": (200, ""), "POST": (302, "/p/{practice}/settings/")},
        data=_settings,
    ),
    "practice_audit": PracticeRoute(_practice, MANAGERS, {"GET": (200, "")}),
    "patients:list": PracticeRoute(_practice, EVERY_ROLE, {"GET": (200, "")}),
    "patients:create": PracticeRoute(
        _practice,
        EDITORS,
        {"GET": (200, ""), "POST": (302, "/p/{practice}/patients/")},
        data=_new_patient,
    ),
    "patients:export": PracticeRoute(_practice, MANAGERS, {"GET": (200, "")}),
    "patients:detail": PracticeRoute(_patient, EVERY_ROLE, {"GET": (200, "")}),
    "patients:edit": PracticeRoute(
        _patient,
        EDITORS,
        {"GET": (200, ""), "POST": (302, PATIENT_DETAIL)},
        data=_edited_patient,
    ),
    "patients:archive": PracticeRoute(
        _patient, EDITORS, {"POST": (302, PATIENT_DETAIL)}, refused=("GET",)
    ),
    "patients:restore": PracticeRoute(
        _patient, EDITORS, {"POST": (302, PATIENT_DETAIL)}, refused=("GET",)
    ),
    "patients:access_history": PracticeRoute(_patient, MANAGERS, {"GET": (200, "")}),
}


def url_names(resolver: URLResolver | None = None, namespace: str = "") -> list[str]:
    """Every URL name the app serves, namespaced ("patients:detail"); unnamed ones by route."""
    names = []
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            prefix = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += url_names(pattern, prefix)
        elif isinstance(pattern, URLPattern):
            names.append(f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {pattern}>")
    return names


def test_every_url_has_a_registry_entry():
    served = set(url_names())
    missing = sorted(served - REGISTRY.keys())
    assert not missing, f"Add these URL names to REGISTRY in {__name__}: {missing}"


def test_registry_names_only_urls_that_exist():
    stale = sorted(REGISTRY.keys() - set(url_names()))
    assert not stale, f"REGISTRY names URLs that no longer exist: {stale}"


CASES = [
    pytest.param(name, method, actor, id=f"{name}-{method}-{actor}")
    for name, route in REGISTRY.items()
    for method in route.methods
    for actor in ACTORS
]


@pytest.mark.parametrize(("name", "method", "actor"), CASES)
def test_permission_matrix(request, name, method, actor, practice, other_practice, patient):
    route = REGISTRY[name]
    ctx = SimpleNamespace(practice=practice, patient=patient)
    client = Client() if actor == "anonymous" else sign_in(Client(), request.getfixturevalue(actor))
    url = reverse(name, kwargs=route.kwargs(ctx))
    data = route.data(ctx) if route.data and method == "POST" else {}

    response = client.generic(method, url) if method != "POST" else client.post(url, data)

    status, location = route.expect(method, actor)
    assert response.status_code == status, (
        f"{actor} {method} {url}: expected {status}, got {response.status_code}"
    )
    if status == 302:
        expected = location.format(
            practice=practice.slug, other_practice=other_practice.slug, patient=patient.pk
        )
        assert response["Location"].startswith(expected), response["Location"]
        # A redirect for an allowed role must not be a disguised trip to the sign-in page.
        if expected != LOGIN:
            assert not response["Location"].startswith(LOGIN)


def test_registry_roles_match_the_documented_capabilities():
    """The registry spells the roles out; a change in roles.py must show up here on purpose."""

    def roles_with(capability):
        return frozenset(role for role, caps in ROLE_CAPABILITIES.items() if capability in caps)

    assert roles_with(Capability.PATIENTS_VIEW) == EVERY_ROLE
    assert roles_with(Capability.PATIENTS_EDIT) == EDITORS
    assert roles_with(Capability.PATIENTS_EXPORT) == MANAGERS
    assert roles_with(Capability.AUDIT_VIEW) == MANAGERS
    assert roles_with(Capability.PRACTICE_SETTINGS) == MANAGERS


def test_create_by_an_allowed_role_saves_the_patient(client_for, erin, practice):
    """The matrix's 302 for a POST is the real thing, not a bounce: the patient now exists."""
    response = client_for(erin).post(
        reverse("patients:create", args=[practice.slug]), _new_patient(None)
    )
    assert response.status_code == 302
    with scopes_disabled():
        nora = Patient.objects.get(practice=practice, last_name="Newcomer")
    assert nora.birth_date == datetime.date(1990, 4, 2)
    assert response["Location"] == reverse("patients:detail", args=[practice.slug, nora.pk])
