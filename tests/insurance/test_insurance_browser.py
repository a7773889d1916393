"""Keeping a group plan in a real browser (headless Chromium), under the real CSP."""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from insurance.models import Benefit, FeeScheduleEntry
from tests.conftest import sign_in
from tests.factories import CarrierFactory, GroupPlanFactory

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "test-results"))


# See tests/test_browser.py: connections opened around Playwright's event loop must be closed.
@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_playwright():
    connections.close_all()


@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_playwright_stops(_close_connections_before_playwright, playwright):
    yield
    connections.close_all()


def _signed_in(page: Page, live_server, user) -> None:
    client = sign_in(Client(), user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


@pytest.mark.browser
def test_coordinator_finds_a_plan_adds_benefits_and_imports_fees(
    page: Page, live_server, transactional_db, practice, alice, tmp_path
):
    delta = CarrierFactory(practice=practice, name="Delta Dental")
    plan = GroupPlanFactory(
        practice=practice, carrier=delta, employer="Acme Tools", group_number="G-100"
    )
    GroupPlanFactory(practice=practice, employer="Zeta Corp", group_number="Z-9")
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    _signed_in(page, live_server, alice)
    page.goto(f"{live_server.url}/p/{practice.slug}/patients/")
    page.get_by_role("link", name="Insurance", exact=True).click()
    results = page.locator("#plan-results")
    expect(results).to_contain_text("Zeta Corp")

    # Search as you type, without reloading the page.
    page.evaluate("window.sameDocument = true")
    page.locator("#plan-search").press_sequentially("delta", delay=40)
    expect(results).not_to_contain_text("Zeta Corp")
    assert page.evaluate("window.sameDocument") is True
    results.get_by_role("link", name="Acme Tools").click()

    # A coverage row: a bad percentage is refused next to the field, then corrected.
    page.locator("#benefits-coverage").get_by_role("link", name="Add").click()
    page.get_by_label("Applies to").select_option("category:crowns")
    page.get_by_label("Plan pays (%)").fill("150")
    page.get_by_role("button", name="Add").click()
    expect(page.locator(".field.has-error")).to_contain_text("less than or equal to 100")
    page.get_by_label("Plan pays (%)").fill("50")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("#benefits-coverage")).to_contain_text("Crowns")
    expect(page.locator("#benefits-coverage")).to_contain_text("Plan pays 50%")

    # A downgrade from the plan page's own form.
    downgrades = page.locator("#downgrades")
    downgrades.get_by_label("Procedure").fill("D2392")
    downgrades.get_by_label("paid as").fill("D2150")
    downgrades.get_by_role("combobox").select_option("posterior")
    downgrades.get_by_role("button", name="Add downgrade").click()
    expect(page.locator("#downgrades")).to_contain_text("D2150")

    # Fees: import the allowed schedule, preview, confirm.
    csv_file = tmp_path / "fees.csv"
    csv_file.write_text("code,amount\nD0120,42.00\nD2740,815.00\n")
    page.locator("#fees-allowed").get_by_role("link", name="Import CSV").click()
    page.get_by_label("Fee file (CSV)").set_input_files(str(csv_file))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name=re.compile("Import preview"))).to_be_visible()
    page.get_by_role("button", name="Confirm the import").click()
    expect(page.get_by_role("status")).to_contain_text("2 new, 0 changed, 0 removed")
    page.locator("#fees-allowed summary").click()
    expect(page.locator("#fees-allowed")).to_contain_text("$815.00")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "insurance-group-plan.png"), full_page=True)
    with scopes_disabled():
        assert Benefit.objects.get(group_plan=plan).scope == "category:crowns"
        assert FeeScheduleEntry.objects.get(group_plan=plan, code="D2740").amount == Decimal(
            "815.00"
        )
    assert problems == []
