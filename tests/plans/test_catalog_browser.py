"""The office manager's catalog flow in a real browser (headless Chromium), under the real CSP."""

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

from plans.models import ProcedureCode
from tests.conftest import sign_in

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
    """The browser carries the session of `user` (second factor passed)."""
    client = sign_in(Client(), user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


@pytest.mark.browser
def test_manager_searches_reprices_in_place_and_imports(
    page: Page, live_server, transactional_db, practice, bob, tmp_path
):
    for code, description, fee, category in (
        ("D2740", "Porcelain crown", "1250.00", "crowns"),
        ("D1110", "Teeth cleaning", "95.00", "preventive"),
        ("D0120", "Routine check-up exam", "65.00", "diagnostic"),
    ):
        ProcedureCode.objects.create(
            practice=practice, code=code, description=description, fee=fee, category=category
        )
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
    _signed_in(page, live_server, bob)
    page.goto(f"{live_server.url}/p/{practice.slug}/catalog/")
    results = page.locator("#catalog-results")
    expect(results).to_contain_text("Teeth cleaning")

    # Search as you type, without reloading the page.
    page.evaluate("window.sameDocument = true")
    page.locator("#catalog-search").press_sequentially("crown", delay=40)
    expect(results).not_to_contain_text("Teeth cleaning")
    expect(results).to_contain_text("Porcelain crown")

    # Click the fee, type a bad one: the message appears in place and nothing is saved.
    page.get_by_role("link", name="$1,250.00").click()
    fee = page.get_by_label("Office fee for D2740")
    expect(fee).to_be_focused()
    fee.fill("12,50")
    fee.press("Enter")
    expect(results).to_contain_text("Enter an amount such as 1250.00")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "catalog-fee-error.png"), full_page=True)
    page.get_by_label("Office fee for D2740").fill("1300")
    page.get_by_role("button", name="Save").click()
    expect(results).to_contain_text("$1,300.00")
    expect(results).to_contain_text("Saved")
    assert page.evaluate("window.sameDocument") is True
    with scopes_disabled():
        assert ProcedureCode.objects.get(practice=practice, code="D2740").fee == Decimal("1300")

    # Import: upload, see the preview, confirm.
    csv_file = tmp_path / "codes.csv"
    csv_file.write_text(
        "code,description,fee\nD0140,Limited exam,80.00\nD1110,Teeth cleaning,99.00\n"
    )
    page.get_by_role("link", name="Import CSV").click()
    page.get_by_label("Code file (CSV)").set_input_files(str(csv_file))
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_role("heading", name=re.compile("Import preview"))).to_be_visible()
    expect(page.locator(".catalog-preview")).to_contain_text("$95.00 → $99.00")
    page.screenshot(path=str(SCREENSHOTS / "catalog-import-preview.png"), full_page=True)
    page.get_by_role("button", name="Confirm the import").click()
    expect(page.get_by_role("status")).to_contain_text("1 new, 1 changed, 0 unchanged")
    expect(page.locator("#catalog-results")).to_contain_text("Limited exam")
    page.screenshot(path=str(SCREENSHOTS / "catalog-list.png"), full_page=True)
    assert problems == []
