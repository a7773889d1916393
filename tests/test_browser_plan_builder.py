"""Building, presenting and deciding a plan in a real browser (headless Chromium, real CSP)."""

import os
import re
from pathlib import Path

import pytest
from django.db import connections
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from plans.models import PlanStatus, ProcedureStatus, TreatmentPlan
from tests.factories import TEST_PASSWORD
from tests.plans.builder_helpers import make_catalog

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "test-results"))


# Playwright keeps an event loop running in the main thread, and Django then keys database
# connections by context instead of by thread: close them around the browser session so the
# test database can be dropped (the same fixtures as tests/test_browser.py).
@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_playwright():
    connections.close_all()


@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_playwright_stops(_close_connections_before_playwright, playwright):
    yield
    connections.close_all()


def _add(page: Page, *, tooth: str, words: str, code: str) -> None:
    """Pick the tooth on the chart, find the code by typing words, add it."""
    page.locator(f'a[data-tooth="{tooth}"]').click()
    expect(page.locator("#add-tooth")).to_have_value(tooth)
    page.locator("#add-code_query").press_sequentially(words, delay=30)
    choice = page.get_by_role("radio", name=re.compile(code))
    expect(choice).to_be_visible()
    choice.check()
    page.get_by_role("button", name="Add procedure").click()
    expect(page.locator("#builder .message.success")).to_contain_text(f"Added {code}")


@pytest.mark.browser
def test_alice_builds_two_options_presents_and_the_patient_chooses_the_second(
    page: Page, live_server, transactional_db, practice, alice, dave, patient
):
    make_catalog(practice)
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
    page.on("dialog", lambda dialog: dialog.accept())
    page.set_viewport_size({"width": 1366, "height": 900})

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    # Start the plan for the patient, diagnosed by Dave.
    page.goto(f"{live_server.url}/p/{practice.slug}/plans/new/{patient.pk}/")
    page.get_by_label("Title").fill("Missing lower left molar")
    page.get_by_label("Diagnosing dentist").select_option(label="Dave Dentist")
    page.get_by_role("button", name="Start plan").click()
    expect(page.get_by_role("heading", name=re.compile("Missing lower left molar"))).to_be_visible()

    # From here on, everything happens in this one document.
    page.evaluate("window.sameDocument = true")
    tabs = page.locator(".option-tabs")

    page.locator(".option-head summary", has_text="Rename").click()
    page.locator("#option-name-name").fill("Implant")
    page.get_by_role("button", name="Save name").click()
    expect(page.locator("#option-title")).to_contain_text("Implant")

    _add(page, tooth="19", words="implant post", code="D6010")
    expect(tabs.locator(".option-tab.selected .option-total")).to_have_text("$2,100.00")
    _add(page, tooth="19", words="porcelain crown", code="D2740")
    expect(tabs.locator(".option-tab.selected .option-total")).to_have_text("$3,350.00")
    expect(page.locator('a[data-tooth="19"]')).to_have_class(re.compile("status-proposed"))

    # A second option: a bridge from 18 to 20.
    page.locator("#new-option-name").fill("Bridge")
    page.get_by_role("button", name="Add option").click()
    expect(page.locator("#option-title")).to_contain_text("Bridge")
    _add(page, tooth="19", words="bridge", code="D6240")
    _add(page, tooth="18", words="porcelain crown", code="D2740")
    expect(tabs.locator(".option-tab.selected .option-total")).to_have_text("$2,400.00")
    expect(tabs.locator(".option-tab", has_text="Implant")).to_contain_text("$3,350.00")
    assert page.evaluate("window.sameDocument") is True

    # Present it, in person.
    page.get_by_label("Mode").select_option(label="In person")
    page.get_by_role("button", name="Record presentation").click()
    expect(page.locator("#builder .message.success")).to_contain_text("Presentation recorded")
    expect(page.locator(".plan-head .badge.status")).to_have_text("Presented")
    expect(page.locator(".presentations")).to_contain_text("In person · by Alice Coordinator")

    # The patient chooses the bridge.
    page.get_by_role("button", name="Patient chose this option").click()
    expect(page.locator("#builder .message.success")).to_contain_text("The patient chose “Bridge”")
    expect(page.locator(".plan-head .badge.status")).to_have_text("Accepted")
    bridge_rows = page.locator("tr.procedure")
    expect(bridge_rows).to_have_count(2)
    for row in bridge_rows.all():
        expect(row.locator(".badge.status")).to_have_text("Accepted")
    expect(page.locator('a[data-tooth="18"]')).to_have_class(re.compile("status-accepted"))

    tabs.locator(".option-tab", has_text="Implant").click()
    expect(page.locator("#option-title")).to_contain_text("Implant")
    for row in page.locator("tr.procedure").all():
        expect(row.locator(".badge.status")).to_have_text("Declined")
        expect(row).to_contain_text("Chose another option")
    assert page.evaluate("window.sameDocument") is True
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "plan-builder-declined-option.png"), full_page=True)

    with scopes_disabled():
        plan = TreatmentPlan.objects.get(patient=patient)
        statuses = {
            (p.option.name, p.procedure_code.code, p.tooth): p.status
            for option in plan.options.all()
            for p in option.procedures.select_related("procedure_code", "option")
        }
    assert plan.status == PlanStatus.ACCEPTED
    assert statuses == {
        ("Implant", "D6010", "19"): ProcedureStatus.DECLINED,
        ("Implant", "D2740", "19"): ProcedureStatus.DECLINED,
        ("Bridge", "D6240", "19"): ProcedureStatus.ACCEPTED,
        ("Bridge", "D2740", "18"): ProcedureStatus.ACCEPTED,
    }
    assert policy_problems == []
    assert script_errors == []
