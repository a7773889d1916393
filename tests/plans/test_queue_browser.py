"""The follow-up queue in a real browser (headless Chromium), under the real CSP: two clicks log
a call, the row leaves, and a call-back shows under Upcoming."""

import datetime
import os
import re
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import Page, expect

from plans.followup_models import Channel, Reminder
from tests.factories import TEST_PASSWORD, PatientFactory
from tests.plans.overview_builders import PlanMaker, make_catalog

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


def _presented_call(maker: PlanMaker, last_name: str) -> Reminder:
    """A plan presented three days ago: its first call (due after two days) is overdue."""
    patient = PatientFactory(practice=maker.practice, first_name="Pat", last_name=last_name)
    built = maker.plan(patient, ("Restore", [("crown", {"tooth": "14"})]))
    maker.present(built, at=timezone.now() - datetime.timedelta(days=3))
    return Reminder.objects.get(plan=built.plan, channel=Channel.CALL, step_number=1)


@pytest.mark.browser
def test_coordinator_logs_calls_in_two_clicks(
    page: Page, live_server, transactional_db, practice, alice, dave
):
    with scope(practice=practice):
        maker = PlanMaker(practice, alice, dave, make_catalog(practice))
        voicemail = _presented_call(maker, "Gomez")
        call_back = _presented_call(maker, "Nguyen")
    with timezone.override(practice.tzinfo):
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
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

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    nav = page.get_by_role("navigation", name="Practice")
    expect(nav.locator("#queue-badge")).to_have_text(re.compile(r"^2"))
    nav.get_by_role("link", name=re.compile("^Calls")).click()
    expect(page).to_have_url(re.compile(rf"/p/{practice.slug}/queue/$"))

    # Click one opens the outcome form in the row; click two logs it and the row leaves.
    row = page.locator(f"#call-{voicemail.pk}")
    expect(row).to_contain_text("Gomez, Pat")
    page.evaluate("window.sameDocument = true")
    row.get_by_role("link", name=re.compile("^Log outcome")).click()
    row.get_by_role("button", name="Voicemail").click()
    expect(page.locator(f"#call-{voicemail.pk}")).to_have_count(0)
    expect(page.locator("#queue-notice")).to_have_text("Pat Gomez: voicemail logged.")
    expect(nav.locator("#queue-badge")).to_have_text(re.compile(r"^1"))
    assert page.evaluate("window.sameDocument") is True

    # A call-back on a date: the row leaves today's list and shows under Upcoming.
    row = page.locator(f"#call-{call_back.pk}")
    row.get_by_role("link", name=re.compile("^Log outcome")).click()
    row.get_by_label("Call back on").fill(tomorrow.isoformat())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "queue-outcome-form.png"), full_page=True)
    row.get_by_role("button", name="Call back").click()
    expect(page.locator(f"#call-{call_back.pk}")).to_have_count(0)
    expect(page.locator("#queue-notice")).to_contain_text("Pat Nguyen: call back on")
    page.get_by_role("navigation", name="When").get_by_role(
        "link", name=re.compile("^Upcoming")
    ).click()
    expect(page).to_have_url(re.compile(r"tab=upcoming"))
    upcoming = page.locator("#queue-list tbody.call")
    expect(upcoming).to_have_count(1)
    expect(upcoming).to_contain_text("Nguyen, Pat")
    expect(upcoming).to_contain_text("Call back")
    expect(upcoming).to_contain_text(f"{tomorrow:%a %b} {tomorrow.day}")
    page.screenshot(path=str(SCREENSHOTS / "queue-upcoming.png"), full_page=True)

    assert policy_problems == []
    assert script_errors == []
