"""The procedure catalog as staff use it: find codes; managers add, change and reprice them."""

from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from coordinator.models import AuditEvent
from plans import services
from plans.models import PlannedProcedure, ProcedureCode

HTMX = {"HX-Request": "true"}
RESULTS = {**HTMX, "HX-Target": "catalog-results"}


def _code(practice, code, description, fee, category, **extra) -> ProcedureCode:
    return ProcedureCode.objects.create(
        practice=practice,
        code=code,
        description=description,
        fee=Decimal(fee),
        category=category,
        **extra,
    )


@pytest.fixture
def catalog(practice, other_practice):
    crown = _code(practice, "D2740", "Porcelain crown", "1250.00", "crowns", site="tooth")
    _code(practice, "D1110", "Teeth cleaning", "95.00", "preventive")
    _code(practice, "D0120", "Routine check-up exam", "65.00", "diagnostic", minutes=15)
    _code(practice, "D2750", "Gold crown (retired)", "1100.00", "crowns", is_active=False)
    _code(other_practice, "D2740", "Their crown", "999.00", "crowns")
    return crown


def _list(practice) -> str:
    return reverse("catalog:list", args=[practice.slug])


def _codes_on(response) -> list[str]:
    text = response.content.decode()
    return sorted(code for code in ("D0120", "D1110", "D2740", "D2750") if f">{code}<" in text)


def _reload(code: ProcedureCode) -> ProcedureCode:
    with scopes_disabled():
        return ProcedureCode.objects.get(pk=code.pk)


def _events(action: str) -> list[AuditEvent]:
    with scopes_disabled():
        return list(AuditEvent.objects.filter(action=action).select_related("actor"))


# Reading


def test_a_coordinator_reads_the_catalog_but_cannot_change_it(client_for, alice, practice, catalog):
    response = client_for(alice).get(_list(practice))
    assert response.status_code == 200
    assert _codes_on(response) == ["D0120", "D1110", "D2740"]
    text = response.content.decode()
    assert "Porcelain crown" in text
    assert "$1,250.00" in text
    assert "Their crown" not in text
    assert "Add a code" not in text
    assert reverse("catalog:fee", args=[practice.slug, catalog.pk]) not in text


def test_a_manager_sees_the_fee_links_and_the_promise_about_plans(
    client_for, bob, practice, catalog
):
    text = client_for(bob).get(_list(practice)).content.decode()
    assert reverse("catalog:fee", args=[practice.slug, catalog.pk]) in text
    assert "Add a code" in text
    assert "never changes procedures already on plans" in text


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("D2740", ["D2740"]),
        ("d27", ["D2740"]),
        ("2740", ["D2740"]),
        ("D0", ["D0120"]),
        ("crown", ["D2740"]),
        ("porcelain CROWN", ["D2740"]),
        ("check exam", ["D0120"]),
        ("crown cleaning", []),
        ("\x00", ["D0120", "D1110", "D2740"]),
    ],
)
def test_search_by_code_or_words(client_for, alice, practice, catalog, query, codes):
    assert _codes_on(client_for(alice).get(_list(practice), {"q": query})) == codes


def test_filter_by_category_and_show_inactive(client_for, alice, practice, catalog):
    client = client_for(alice)
    assert _codes_on(client.get(_list(practice), {"category": "crowns"})) == ["D2740"]
    shown = client.get(_list(practice), {"category": "crowns", "inactive": "1"})
    assert _codes_on(shown) == ["D2740", "D2750"]
    assert "Inactive" in shown.content.decode()
    # An unknown category is ignored rather than an error.
    assert _codes_on(client.get(_list(practice), {"category": "nope"})) == [
        "D0120",
        "D1110",
        "D2740",
    ]


def test_htmx_search_returns_only_the_results_partial(client_for, alice, practice, catalog):
    response = client_for(alice).get(_list(practice), {"q": "crown"}, headers=RESULTS)
    text = response.content.decode()
    assert response.status_code == 200
    assert text.lstrip().startswith('<div id="catalog-results"')
    assert "<html" not in text
    assert _codes_on(response) == ["D2740"]


@pytest.mark.parametrize(
    ("params", "headers"),
    [({}, {}), ({"q": "D"}, {}), ({"q": "D"}, RESULTS)],
    ids=["list", "search", "htmx-partial"],
)
def test_query_count_does_not_grow_with_codes(
    client_for, bob, practice, django_assert_num_queries, params, headers
):
    client = client_for(bob)
    url = _list(practice)
    with time_machine.travel(timezone.now(), tick=False):
        client.get(url)
        _code(practice, "D9000", "Code 0", "10.00", "adjunctive")
        with CaptureQueriesContext(connection) as one:
            assert client.get(url, params, headers=headers).status_code == 200
        assert len(one) <= 10, "\n".join(q["sql"] for q in one.captured_queries)
        for n in range(1, 30):
            _code(practice, f"D9{n:03d}", f"Code {n}", "10.00", "adjunctive")
        with django_assert_num_queries(len(one)):
            response = client.get(url, params, headers=headers)
    assert response.content.decode().count("<code>D9") == 30


# Adding


def _new(**overrides) -> dict:
    data = {"code": "d2950", "description": " Core build-up ", "fee": "310.00", "minutes": "45"}
    data.update(overrides)
    return data


def test_a_manager_adds_a_code_with_category_and_site_from_its_range(client_for, bob, practice):
    response = client_for(bob).post(reverse("catalog:create", args=[practice.slug]), _new())
    assert response.status_code == 302
    assert response["Location"].startswith(_list(practice))
    with scopes_disabled():
        added = ProcedureCode.objects.get(practice=practice)
    assert (added.code, added.description, added.fee, added.minutes) == (
        "D2950",
        "Core build-up",
        Decimal("310.00"),
        45,
    )
    assert (added.category, added.site, added.is_active) == ("restorative", "tooth", True)
    (event,) = _events("catalog.code_created")
    assert event.actor == bob
    assert event.object_id == str(added.pk)
    assert "fee" in event.detail["fields"]
    assert "310" not in str(event.detail)


def test_a_manager_may_choose_category_and_site(client_for, bob, practice):
    client_for(bob).post(
        reverse("catalog:create", args=[practice.slug]),
        _new(code="D4341", category="other", site="arch"),
    )
    with scopes_disabled():
        added = ProcedureCode.objects.get(practice=practice)
    assert (added.category, added.site) == ("other", "arch")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"code": "X123"}, "is not a procedure code"),
        ({"code": "D27400"}, "Ensure this value has at most 5 characters"),
        ({"code": ""}, "This field is required"),
        ({"fee": "-5"}, "A fee cannot be negative."),
        ({"fee": "12.345"}, "Use at most two decimal places (cents)."),
        ({"fee": "12,50"}, "Enter an amount such as 1250.00"),
        ({"fee": "abc"}, "Enter an amount such as 1250.00"),
        ({"fee": "12345678901.00"}, "That amount is too large."),
        ({"fee": ""}, "This field is required"),
        ({"description": "   "}, "This field is required"),
        ({"minutes": "-1"}, "greater than or equal to 0"),
        ({"category": "cosmetic"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_with_422_and_nothing_is_saved(
    client_for, bob, practice, overrides, message
):
    response = client_for(bob).post(
        reverse("catalog:create", args=[practice.slug]), _new(**overrides)
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    with scopes_disabled():
        assert not ProcedureCode.objects.filter(practice=practice).exists()
    assert not _events("catalog.code_created")


def test_a_code_already_in_the_catalog_cannot_be_added_again(client_for, bob, practice, catalog):
    response = client_for(bob).post(
        reverse("catalog:create", args=[practice.slug]), _new(code="D2740")
    )
    assert response.status_code == 422
    assert "D2740 is already in the catalog." in response.content.decode()
    assert _reload(catalog).description == "Porcelain crown"


def test_another_practice_may_have_the_same_code(client_for, bob, practice, other_practice):
    _code(other_practice, "D2950", "Theirs", "300.00", "crowns")
    response = client_for(bob).post(reverse("catalog:create", args=[practice.slug]), _new())
    assert response.status_code == 302


# Editing


def _edit(code: ProcedureCode, **overrides) -> dict:
    data = {
        "description": code.description,
        "fee": str(code.fee),
        "minutes": str(code.minutes),
        "category": code.category,
        "site": code.site,
        "is_active": "on" if code.is_active else "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value != ""}


def test_a_manager_edits_and_deactivates_a_code(client_for, bob, practice, catalog):
    url = reverse("catalog:edit", args=[practice.slug, catalog.pk])
    client = client_for(bob)
    assert "Porcelain crown" in client.get(url).content.decode()
    response = client.post(
        url, _edit(catalog, description="All-ceramic crown", fee="1300", is_active="")
    )
    assert response.status_code == 302
    saved = _reload(catalog)
    assert (saved.description, saved.fee, saved.is_active) == (
        "All-ceramic crown",
        Decimal("1300.00"),
        False,
    )
    (event,) = _events("catalog.code_updated")
    assert event.detail == {"fields": ["description", "fee", "is_active"]}
    # Deactivated, not deleted: hidden from the list until inactive codes are shown.
    assert _codes_on(client.get(_list(practice))) == ["D0120", "D1110"]


def test_saving_without_changes_writes_no_event(client_for, bob, practice, catalog):
    url = reverse("catalog:edit", args=[practice.slug, catalog.pk])
    assert client_for(bob).post(url, _edit(catalog)).status_code == 302
    assert not _events("catalog.code_updated")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"fee": "-5"}, "A fee cannot be negative."),
        ({"fee": "12.345"}, "Use at most two decimal places (cents)."),
        ({"site": "elbow"}, "Select a valid choice"),
        ({"description": "x" * 201}, "at most 200 characters"),
        ({"description": "Crown\x07"}, "control characters"),
    ],
)
def test_a_bad_edit_is_refused_with_422_and_nothing_changes(
    client_for, bob, practice, catalog, overrides, message
):
    url = reverse("catalog:edit", args=[practice.slug, catalog.pk])
    response = client_for(bob).post(url, _edit(catalog, **overrides))
    assert response.status_code == 422
    assert message in response.content.decode()
    saved = _reload(catalog)
    assert (saved.description, saved.fee, saved.site) == (
        "Porcelain crown",
        Decimal("1250.00"),
        "tooth",
    )
    assert not _events("catalog.code_updated")


# Fees in place (htmx)


def test_clicking_a_fee_gives_its_editor_in_place(client_for, bob, practice, catalog):
    url = reverse("catalog:fee", args=[practice.slug, catalog.pk])
    response = client_for(bob).get(url, headers=HTMX)
    text = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in text
    assert f'hx-post="{url}"' in text
    assert 'value="1250.00"' in text
    assert 'type="number"' not in text  # the browser must not swallow "12,50"


def test_saving_a_fee_in_place_answers_the_new_fee(client_for, bob, practice, catalog):
    url = reverse("catalog:fee", args=[practice.slug, catalog.pk])
    response = client_for(bob).post(url, {"fee": "1300.00"}, headers=HTMX)
    text = response.content.decode()
    assert response.status_code == 200
    assert "$1,300.00" in text
    assert "Saved" in text
    assert "<html" not in text
    assert _reload(catalog).fee == Decimal("1300.00")
    (event,) = _events("catalog.code_updated")
    assert event.detail == {"fields": ["fee"]}


@pytest.mark.parametrize(
    ("fee", "message"),
    [
        ("-5", "A fee cannot be negative."),
        ("12.345", "Use at most two decimal places (cents)."),
        ("12,50", "Enter an amount such as 1250.00"),
        ("", "This field is required."),
    ],
)
def test_a_bad_fee_in_place_answers_422_with_the_message(
    client_for, bob, practice, catalog, fee, message
):
    url = reverse("catalog:fee", args=[practice.slug, catalog.pk])
    response = client_for(bob).post(url, {"fee": fee}, headers=HTMX)
    text = response.content.decode()
    assert response.status_code == 422
    assert message in text
    assert f'hx-post="{url}"' in text
    assert "<html" not in text
    assert _reload(catalog).fee == Decimal("1250.00")
    assert not _events("catalog.code_updated")


def test_cancel_puts_the_fee_back(client_for, bob, practice, catalog):
    url = reverse("catalog:fee", args=[practice.slug, catalog.pk])
    response = client_for(bob).get(url, {"cancel": "1"}, headers=HTMX)
    assert response.status_code == 200
    assert "$1,250.00" in response.content.decode()
    assert "<form" not in response.content.decode()


def test_the_fee_page_works_without_javascript(client_for, bob, practice, catalog):
    url = reverse("catalog:fee", args=[practice.slug, catalog.pk])
    client = client_for(bob)
    page = client.get(url).content.decode()
    assert "<html" in page
    assert "hx-post" not in page
    refused = client.post(url, {"fee": "-5"})
    assert refused.status_code == 422
    assert "<html" in refused.content.decode()
    saved = client.post(url, {"fee": "1299.99"})
    assert saved.status_code == 302
    assert _reload(catalog).fee == Decimal("1299.99")


def test_planned_procedures_keep_their_fee_when_the_catalog_fee_changes(
    client_for, bob, dave, practice, patient, catalog
):
    request = RequestFactory().post("/")
    request.user = dave
    with scope(practice=practice):
        plan = services.plan_create(
            practice=practice, patient=patient, dentist=dave, request=request
        )
        option = plan.options.get()
        planned = services.procedure_add(
            option=option,
            phase=option.phases.get(),
            code=catalog,
            tooth="14",
            request=request,
            expected_version=plan.version,
        )
    assert planned.fee == Decimal("1250.00")

    url = reverse("catalog:fee", args=[practice.slug, catalog.pk])
    assert client_for(bob).post(url, {"fee": "1400.00"}, headers=HTMX).status_code == 200

    assert _reload(catalog).fee == Decimal("1400.00")
    with scopes_disabled():
        assert PlannedProcedure.objects.get(pk=planned.pk).fee == Decimal("1250.00")


# Who may do what


def _write_urls(practice, code) -> list[str]:
    return [
        reverse("catalog:create", args=[practice.slug]),
        reverse("catalog:edit", args=[practice.slug, code.pk]),
        reverse("catalog:fee", args=[practice.slug, code.pk]),
        reverse("catalog:import", args=[practice.slug]),
        reverse("catalog:import_preview", args=[practice.slug]),
    ]


@pytest.mark.parametrize("actor", ["alice", "dave", "erin"])
def test_only_managers_may_change_the_catalog(request, client_for, practice, catalog, actor):
    client = client_for(request.getfixturevalue(actor))
    assert client.get(_list(practice)).status_code == 200
    for url in _write_urls(practice, catalog):
        assert client.get(url).status_code == 403, url
        assert client.get(url, headers=HTMX).status_code == 403, url
        assert client.post(url, {"fee": "1.00", **_new()}).status_code == 403, url
    assert _reload(catalog).fee == Decimal("1250.00")
    with scopes_disabled():
        assert ProcedureCode.objects.filter(practice=practice).count() == 4


def test_the_owner_may_change_the_catalog(client_for, olivia, practice, catalog):
    url = reverse("catalog:fee", args=[practice.slug, catalog.pk])
    assert client_for(olivia).post(url, {"fee": "1.00"}).status_code == 302


def test_another_practices_member_gets_404(client_for, charlie, practice, catalog):
    client = client_for(charlie)
    assert client.get(_list(practice)).status_code == 404
    for url in _write_urls(practice, catalog):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"fee": "1.00"}).status_code == 404, url


def test_another_practices_code_is_not_found_from_this_practice(
    client_for, bob, practice, other_practice, catalog
):
    with scopes_disabled():
        theirs = ProcedureCode.objects.get(practice=other_practice)
    client = client_for(bob)
    for name in ("catalog:edit", "catalog:fee"):
        url = reverse(name, args=[practice.slug, theirs.pk])
        assert client.get(url).status_code == 404
        assert client.post(url, {"fee": "1.00"}).status_code == 404
    assert _reload(theirs).fee == Decimal("999.00")
