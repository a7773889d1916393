"""Adding a spouse's coverage and importing an eligibility answer, in a real browser (headless
Chromium, under the real CSP): the searches swap their results in place."""

import datetime
import os
from pathlib import Path

import pytest
from django.db import connections
from django_scopes import scopes_disabled
from playwright.sync_api import Page, expect

from insurance.models import Coverage, InsuranceHistory
from tests.factories import TEST_PASSWORD, PatientFactory
from tests.insurance.coverage_support import jane_doe
from tests.insurance.x12.x12_text import SAMPLE_271

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "test-results"))


@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_playwright():
    connections.close_all()


@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_playwright_stops(_close_connections_before_playwright, playwright):
    yield
    connections.close_all()


@pytest.mark.browser
def test_a_spouse_is_covered_and_the_answer_imported(
    page: Page, live_server, transactional_db, practice, erin
):
    with scopes_disabled():
        jane = jane_doe(practice)
        john = PatientFactory(
            practice=practice,
            first_name="John",
            last_name="Doe",
            birth_date=datetime.date(1983, 2, 1),
        )
    problems: list[str] = []
    page.on(
        "console",
        lambda message: problems.append(message.text) if "Refused" in message.text else None,
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(erin.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.goto(f"{live_server.url}/p/{practice.slug}/patients/{john.pk}/")
    page.get_by_role("link", name="Add coverage").click()
    page.evaluate("window.sameDocument = true")
    with page.expect_response(lambda response: "plan_q=acme" in response.url):
        page.get_by_label("Find the group plan").press_sequentially("acme", delay=30)
    page.get_by_label("Example Dental Plan · Acme Corp · G100200").check()
    with page.expect_response(lambda response: "subscriber_q=04" in response.url):
        page.get_by_label("Find the subscriber").fill("04/12/1985")
    page.get_by_label("Doe, Jane, born 04/12/1985").check()
    assert page.evaluate("window.sameDocument") is True
    page.get_by_label("The patient is the subscriber's").select_option("spouse")
    page.get_by_role("button", name="Add coverage").click()

    expect(page.get_by_text("The coverage was added to John Doe.")).to_be_visible()
    with scopes_disabled():
        assert Coverage.objects.get(patient=john).subscription_id == jane.subscription.pk

    page.goto(f"{live_server.url}/p/{practice.slug}/patients/{jane.patient.pk}/insurance/")
    page.get_by_role("link", name="Import the answer (271)").click()
    page.get_by_label("Or paste the 271").fill(SAMPLE_271)
    page.get_by_role("button", name="Preview the import").click()
    expect(page.get_by_text("ACME DENTAL PPO").first).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "eligibility-preview.png", full_page=True)
    page.get_by_role("button", name="Confirm the import").click()

    expect(page.get_by_text("The eligibility answer of 01/15/2025 was imported")).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "insurance-page.png", full_page=True)
    with scopes_disabled():
        assert InsuranceHistory.objects.filter(patient=jane.patient).count() == 4
    assert problems == []
