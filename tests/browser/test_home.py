"""The home dashboard in a browser: cards that stack on a phone, the Me / My team switch swapping
only the dashboard."""

import re
from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from crm.extensions import db
from tests.browser.conftest import sign_in, wait_until
from tests.factories import make_account, make_lead, make_opportunity, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def team(app):
    with app.app_context():
        mona = make_user(email="mona@example.com", name="Mona Manager", role="manager")
        ann = make_user(email="ann@example.com", name="Ann Rep")
        ann.manager_id = mona.id
        db.session.commit()
        make_lead(mona, owner=mona, last_name="Mine")
        for n in range(3):
            make_lead(ann, owner=ann, last_name=f"Ann's {n}")
        make_opportunity(make_account(ann, name="Initech"), ann, name="Initech renewal", amount=Decimal("900"),
                         close_date=date.today())
        return {"ann": ann.id}


def test_a_manager_switches_between_me_and_the_team(page, screen, team):
    sign_in(page, "mona@example.com")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Mona Manager")
    expect(page.get_by_role("heading", name="My open leads by status")).to_be_visible()
    expect(page.get_by_role("link", name="Initech renewal")).to_have_count(0)
    page.evaluate("window.__sameDocument = true")

    page.get_by_role("link", name="My team").click()
    expect(page.get_by_role("heading", name="Team members")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/\?scope=team$"))
    expect(page.get_by_role("link", name="Initech renewal")).to_be_visible()
    expect(page.get_by_role("link", name="My team")).to_have_attribute("aria-current", "page")
    assert page.evaluate("window.__sameDocument === true")  # only the dashboard was swapped

    # Ann's row links to her open leads.
    page.get_by_role("link", name=re.compile(r"^Open leads of Ann Rep")).click()
    expect(page).to_have_url(re.compile(rf"/leads\?view=all_open&owner={team['ann']}$"))
    expect(page.get_by_role("link", name="Ann's 0")).to_be_visible()

    page.goto("/?scope=team")
    page.get_by_role("link", name="Me", exact=True).click()
    expect(page.get_by_role("heading", name="My tasks", exact=True)).to_be_visible()
    expect(page).to_have_url(re.compile(r"/$"))


def test_the_cards_stack_on_a_phone_and_sit_side_by_side_on_a_desk(page, screen, team):
    sign_in(page, "ann@example.com")
    expect(page.get_by_role("heading", name="My pipeline by stage")).to_be_visible()
    expect(page.locator(".scope-switch")).to_have_count(0)  # reps have no team
    boxes = [page.locator(f"#{card}").bounding_box() for card in ("card-leads", "card-tasks", "card-pipeline")]
    if screen == "phone":
        assert boxes[0]["x"] == boxes[1]["x"] == boxes[2]["x"]
        assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
        assert all(box["x"] + box["width"] <= 360 for box in boxes)
    else:
        assert boxes[0]["y"] == boxes[1]["y"] and boxes[0]["x"] < boxes[1]["x"]
    wait_until(page, "document.documentElement.scrollWidth <= window.innerWidth")
    # The open-leads figure opens the lead list filtered to the same leads.
    page.get_by_role("link", name=re.compile(r"^3 leads Open - Not Contacted")).click()
    expect(page).to_have_url(re.compile(r"/leads\?view=my_open&status=\d+$"))
    expect(page.get_by_role("link", name="Ann's 2")).to_be_visible()
