"""The coordinator's main flow in a real browser (headless Chromium), under the real CSP."""

import os
import re
from pathlib import Path

import pytest
from django.db import connections
from playwright.sync_api import Page, expect

from tests.factories import TEST_PASSWORD, PatientFactory

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "test-results"))


# Playwright keeps an event loop running in the main thread, and Django then keys database
# connections by context instead of by thread: the connection from before the loop, and the one
# opened while it runs, would each be left open and keep the test database from being dropped.
@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_playwright():
    connections.close_all()


@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_playwright_stops(_close_connections_before_playwright, playwright):
    yield
    connections.close_all()


@pytest.mark.browser
def test_coordinator_finds_edits_and_signs_out(
    page: Page, live_server, transactional_db, practice, alice, patient
):
    PatientFactory(practice=practice, first_name="Marco", last_name="Polanski")
    policy_problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            policy_problems.append(message.text)
            if "Content Security Policy" in message.text or "Refused to" in message.text
            else None
        ),
    )
    script_errors: list[str] = []
    page.on("pageerror", lambda error: script_errors.append(str(error)))

    # Sign in with email and password.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Practice").get_by_role("link", name="Patients").click()
    expect(page).to_have_url(re.compile(rf"/p/{practice.slug}/patients/$"))
    results = page.locator("#patient-results")
    expect(results).to_contain_text("Polanski, Marco")

    # Search as you type: htmx swaps the results; the page itself is not reloaded.
    page.evaluate("window.sameDocument = true")
    with page.expect_response(lambda response: "q=Gom" in response.url) as search:
        page.locator("#patient-search").press_sequentially("Gom", delay=40)
    assert search.value.request.headers.get("hx-request") == "true"
    assert search.value.request.headers.get("hx-target") == "patient-results"
    expect(results).to_contain_text("Gomez, Maria")
    expect(results).not_to_contain_text("Polanski")
    assert page.evaluate("window.sameDocument") is True
    # What was typed (a name, a birth date) stays out of the address bar and browser history.
    expect(page).to_have_url(re.compile(rf"/p/{practice.slug}/patients/$"))
    expect(page.locator("#patient-results")).to_have_count(1)  # replaced, not nested
    # htmx keeps no copy of patient pages in browser storage, where it would outlive sign-out.
    cached = page.evaluate(
        "JSON.stringify([Object.assign({}, localStorage), Object.assign({}, sessionStorage)])"
    )
    assert "Gomez" not in cached
    assert "Polanski" not in cached

    # Open the patient and change the phone, typed in another format.
    page.get_by_role("link", name="Gomez, Maria").click()
    expect(page.get_by_role("heading", name="Maria Gomez")).to_be_visible()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Phone").fill("773.555.0142")
    page.get_by_role("button", name="Save changes").click()
    expect(page).to_have_url(f"{live_server.url}/p/{practice.slug}/patients/{patient.pk}/")
    expect(page.get_by_role("status")).to_contain_text("Changes saved.")
    expect(page.locator("dd", has_text="(773) 555-0142")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "patient-phone-normalized.png"), full_page=True)

    # Sign out: back on the sign-in page, and the patient is out of reach.
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto(f"{live_server.url}/p/{practice.slug}/patients/{patient.pk}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    expect(page.get_by_text("Maria Gomez")).to_have_count(0)

    assert policy_problems == []
    assert script_errors == []
