"""A plan through the coordinator's day in a real browser: presented, an option chosen, and the
home lists follow ("To present" → "Undecided" → "Accepted, not scheduled")."""

import os
import re
from pathlib import Path

import pytest
from django.db import connections
from django_scopes import scope
from playwright.sync_api import Page, expect

from tests.factories import TEST_PASSWORD
from tests.plans.overview_builders import PlanMaker, make_catalog

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "test-results"))


# As in tests/test_browser.py: Playwright's event loop makes Django key connections by context,
# so close them before it starts and before it stops, or the test database cannot be dropped.
@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_playwright():
    connections.close_all()


@pytest.fixture(scope="session", autouse=True)
def _close_connections_before_playwright_stops(_close_connections_before_playwright, playwright):
    yield
    connections.close_all()


@pytest.mark.browser
def test_presenting_and_choosing_an_option_moves_the_plan_through_the_home_lists(
    page: Page, live_server, transactional_db, practice, alice, dave, patient
):
    with scope(practice=practice):
        maker = PlanMaker(practice, alice, dave, make_catalog(practice))
        built = maker.plan(
            patient,
            ("Implant", [("implant", {"tooth": "19"})]),
            (
                "Bridge",
                [("bridge", {"tooth": "19"}), ("filling", {"tooth": "30", "surfaces": "MO"})],
            ),
            title="Missing lower molar",
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
    page.on("dialog", lambda dialog: dialog.accept())  # "Patient chose this option?"

    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Email").fill(alice.email)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"/p/{practice.slug}/home/$"))

    to_present = page.locator("#queue-to_present")
    undecided = page.locator("#queue-undecided")
    accepted = page.locator("#queue-accepted_unscheduled")
    expect(to_present).to_contain_text("Gomez, Maria")
    expect(to_present).to_contain_text("$2,100.00")  # the recommended implant
    expect(undecided).not_to_contain_text("Gomez, Maria")

    # Present it from the plan page.
    to_present.get_by_role("link", name="Missing lower molar").click()
    expect(page).to_have_url(re.compile(rf"/plans/{built.plan.pk}/"))
    page.get_by_role("button", name="Record presentation").click()
    expect(page.locator("ul.presentations")).to_contain_text("In person")

    page.get_by_role("navigation", name="Practice").get_by_role("link", name="Home").click()
    expect(undecided).to_contain_text("Gomez, Maria")
    expect(undecided).to_contain_text("$2,100.00")
    expect(to_present).not_to_contain_text("Gomez, Maria")
    expect(accepted).not_to_contain_text("Gomez, Maria")

    # The patient chooses the second option, the bridge.
    undecided.get_by_role("link", name="Missing lower molar").click()
    page.get_by_role("navigation", name="Treatment options").get_by_role(
        "link", name=re.compile("^Bridge")
    ).click()
    expect(page.get_by_role("heading", name="Bridge")).to_be_visible()
    page.get_by_role("button", name="Patient chose this option").click()
    expect(page.locator(".option-counts").last).to_contain_text("2 accepted")

    page.get_by_role("navigation", name="Practice").get_by_role("link", name="Home").click()
    expect(accepted).to_contain_text("Gomez, Maria")
    expect(accepted).to_contain_text("$1,360.00")
    expect(accepted).to_contain_text("Accepted")
    expect(undecided).not_to_contain_text("Gomez, Maria")
    expect(to_present).not_to_contain_text("Gomez, Maria")

    # Sorting swaps the lists in place and keeps the address shareable.
    page.evaluate("window.sameDocument = true")
    accepted.get_by_role("link", name="Age").click()
    expect(page).to_have_url(re.compile(r"\?sort=-age"))
    expect(page.locator("#home-lists")).to_have_count(1)
    assert page.evaluate("window.sameDocument") is True
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "home-after-acceptance.png"), full_page=True)
    assert problems == []
