"""The leads board in a browser, on a desk and on a phone: drag and drop, counts, the Move control
with the keyboard, Show more, the My/All filter, the phone's sideways row of columns, no JavaScript."""

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import Lead, LeadStatus
from tests.browser.conftest import SCREENS, check_accessibility, sign_in, wait_until
from tests.conftest import stored
from tests.factories import make_lead, make_user

pytestmark = pytest.mark.browser
OPEN, WORKING, CONVERTED = "Open - Not Contacted", "Working - Contacted", "Closed - Converted"
APARNA = {"first_name": "Aparna", "last_name": "Bosu", "company": "Get Cloudy West", "rating": "Hot"}


def status_id(app, label):
    with app.app_context():
        return db.session.scalar(sa.select(LeadStatus.id).where(LeadStatus.label == label))


def status_of(app, lead_id):
    with app.app_context():
        return db.session.get(Lead, lead_id).status.label


def open_board(page, user, path="/leads/board"):
    sign_in(page, user.email)
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(path)
    # board.js has run: the lists are sortable (SortableJS marks them with its expando).
    wait_until(page, "[...document.querySelectorAll('.board-cards')].every(l => Sortable.get(l))")
    page.evaluate("window.__sameDocument = true")  # survives htmx swaps, not a page load


def still_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def drag(page, card, target_list):
    """A real pointer drag, in steps (SortableJS follows the moves), from the card's company line
    to the top left of the other list: on a phone only that corner of the next column shows."""
    card.scroll_into_view_if_needed()
    start = card.locator(".board-card-company").bounding_box()
    page.mouse.move(start["x"] + 10, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 30, start["y"] + 30, steps=5)
    end = target_list.bounding_box()
    page.mouse.move(end["x"] + 20, end["y"] + 20, steps=20)
    page.mouse.move(end["x"] + 24, end["y"] + 24, steps=2)
    page.mouse.up()


@pytest.fixture
def board(app, rep):
    """Aparna and another lead open, one lead working."""
    return {
        "aparna": stored(app, make_lead, actor=rep, status=OPEN, **APARNA),
        "other": stored(app, make_lead, actor=rep, status=OPEN, first_name="Olaf", last_name="Open"),
        "working": stored(app, make_lead, actor=rep, status=WORKING, first_name="Wanda", last_name="Working"),
        "open_id": status_id(app, OPEN),
        "working_id": status_id(app, WORKING),
    }


def test_drag_a_card_to_the_other_column(page, app, rep, board):
    aparna, open_id, working_id = board["aparna"], board["open_id"], board["working_id"]
    open_board(page, rep)
    expect(page.locator(f"#board-count-{open_id}")).to_have_text("2 leads")
    expect(page.locator(f"#board-count-{working_id}")).to_have_text("1 lead")
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")

    with page.expect_response(re.compile(rf"/leads/{aparna.id}/move$")) as answer:
        drag(page, page.locator(f"#lead-card-{aparna.id}"), page.locator(f"#board-cards-{working_id}"))
    # htmx.ajax, given the card as its source, sent the CSRF header inherited from <body>.
    assert answer.value.request.headers["x-csrftoken"] == token
    assert answer.value.status == 200
    expect(page.locator(f"#board-count-{open_id}")).to_have_text("1 lead")
    expect(page.locator(f"#board-count-{working_id}")).to_have_text("2 leads")
    expect(page.locator(f"#board-cards-{working_id} > li").first).to_have_id(f"lead-card-{aparna.id}")
    expect(page.locator(f"#lead-card-{aparna.id}")).to_have_count(1)
    expect(page.locator("#messages")).to_have_text("Aparna Bosu moved to Working - Contacted.")
    assert still_same_document(page)
    # The card's Move control now offers the status it left.
    expect(page.get_by_label("Move Aparna Bosu to").locator("option")).to_have_text([OPEN])

    page.reload()
    expect(page.locator(f"#board-cards-{working_id} #lead-card-{aparna.id}")).to_be_visible()
    expect(page.locator(f"#board-cards-{open_id} > li")).to_have_count(1)
    assert status_of(app, aparna.id) == WORKING


def test_the_move_control_with_the_keyboard(page, app, rep, board):
    aparna, open_id, working_id = board["aparna"], board["open_id"], board["working_id"]
    with app.app_context():
        # A third open status, after the others: the select then has a choice to make.
        db.session.add(LeadStatus(label="Nurturing", position=2))
        db.session.commit()
    nurturing_id = status_id(app, "Nurturing")
    open_board(page, rep)
    page.get_by_role("link", name="Aparna Bosu").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_label("Move Aparna Bosu to")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_label("Move Aparna Bosu to")).to_have_value(str(nurturing_id))
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Move Aparna Bosu")).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator(f"#board-cards-{nurturing_id} #lead-card-{aparna.id}")).to_be_visible()
    expect(page.locator(f"#board-count-{open_id}")).to_have_text("1 lead")
    expect(page.locator(f"#board-count-{nurturing_id}")).to_have_text("1 lead")
    expect(page.locator(f"#board-count-{working_id}")).to_have_text("1 lead")
    # The focus followed the card to its new column.
    expect(page.get_by_role("button", name="Move Aparna Bosu")).to_be_focused()
    assert still_same_document(page)
    assert status_of(app, aparna.id) == "Nurturing"


@pytest.mark.parametrize("screen_name", list(SCREENS))
def test_a_refused_drop_puts_the_card_back_and_says_why(browser, live_server, app, rep, board, screen_name):
    # Its own context: the 409 is expected, and the browser and htmx both log it as an error.
    context = browser.new_context(base_url=live_server, **SCREENS[screen_name])
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    aparna, open_id, working_id = board["aparna"], board["open_id"], board["working_id"]
    open_board(page, rep)
    cards_ids = "list => [...list.children].map(card => card.id)"
    before = page.locator(f"#board-cards-{open_id}").evaluate(cards_ids)
    with app.app_context():
        # Someone converts the lead while the board is open.
        lead = db.session.get(Lead, aparna.id)
        lead.status = db.session.scalar(sa.select(LeadStatus).where(LeadStatus.label == CONVERTED))
        db.session.commit()

    with page.expect_response(re.compile(rf"/leads/{aparna.id}/move$")) as answer:
        drag(page, page.locator(f"#lead-card-{aparna.id}"), page.locator(f"#board-cards-{working_id}"))
    assert answer.value.status == 409
    expect(page.locator("#messages")).to_contain_text("A converted lead is read-only.")
    expect(page.locator(f"#board-cards-{open_id} #lead-card-{aparna.id}")).to_be_visible()
    # Back in its place, not merely in its column.
    assert page.locator(f"#board-cards-{open_id}").evaluate(cards_ids) == before
    assert before.index(f"lead-card-{aparna.id}") == 1  # not first: the test would prove less
    expect(page.locator(f"#lead-card-{aparna.id}")).not_to_have_class(re.compile("is-saving"))
    expect(page.locator(f"#board-count-{open_id}")).to_have_text("2 leads")
    expect(page.locator(f"#board-count-{working_id}")).to_have_text("1 lead")
    assert still_same_document(page)
    found = []
    check_accessibility(page, found)
    context.close()
    assert found == []
    assert errors and all("409" in e for e in errors), errors


def touch(cdp, kind, x=0, y=0):
    points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})


def test_on_a_phone_a_swipe_scrolls_and_a_hold_drags(browser, live_server, app, rep, board):
    # Its own phone-sized context: touch events go through the DevTools protocol.
    context = browser.new_context(base_url=live_server, **SCREENS["phone"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    aparna, working_id = board["aparna"], board["working_id"]
    open_board(page, rep)
    cdp = context.new_cdp_session(page)
    row = page.locator(".board-columns")
    company = page.locator(f"#lead-card-{aparna.id} .board-card-company")

    box = company.bounding_box()
    x, y = box["x"] + 10, box["y"] + 5
    touch(cdp, "touchStart", x, y)  # a swipe, no hold: the row scrolls, nothing is dragged
    for step in range(1, 8):
        touch(cdp, "touchMove", x - 20 * step, y)
        page.wait_for_timeout(16)
    touch(cdp, "touchEnd")
    wait_until(page, "document.querySelector('.board-columns').scrollLeft > 0")
    page.wait_for_timeout(1000)  # the fling ends
    assert page.evaluate("Sortable.dragged") is None
    expect(page.locator(f"#board-count-{working_id}")).to_have_text("1 lead")

    row.evaluate("el => el.scrollTo(0, 0)")
    wait_until(page, "document.querySelector('.board-columns').scrollLeft === 0")
    box, target = company.bounding_box(), page.locator(f"#board-cards-{working_id}").bounding_box()
    x, y = box["x"] + 10, box["y"] + 5
    touch(cdp, "touchStart", x, y)  # a hold, then a move: a drag, even after the swipe
    page.wait_for_timeout(300)
    for step in range(1, 21):
        touch(cdp, "touchMove", x + (target["x"] + 20 - x) * step / 20, y + (target["y"] + 20 - y) * step / 20)
        page.wait_for_timeout(20)
    touch(cdp, "touchEnd")
    expect(page.locator(f"#board-count-{working_id}")).to_have_text("2 leads")
    expect(page.locator(f"#board-cards-{working_id} #lead-card-{aparna.id}")).to_be_visible()
    found = []
    check_accessibility(page, found)
    context.close()
    assert found == [] and errors == []
    assert status_of(app, aparna.id) == WORKING


def test_show_more_loads_the_next_cards_in_place(page, app, rep):
    with app.app_context():
        for n in range(27):
            make_lead(rep, status=OPEN, first_name="Card", last_name=f"{n:02}")
    open_id = status_id(app, OPEN)
    open_board(page, rep)
    cards = page.locator(f"#board-cards-{open_id} > li")
    expect(cards).to_have_count(25)
    expect(page.locator(f"#board-count-{open_id}")).to_have_text("27 leads")
    more = page.get_by_role("button", name=f"Show more ({OPEN})")
    more.focus()
    page.keyboard.press("Enter")
    expect(cards).to_have_count(27)
    expect(more).to_have_count(0)  # the column is complete
    # The keyboard goes on from the first card added.
    expect(cards.nth(25).get_by_role("link")).to_be_focused()
    assert still_same_document(page)
    # htmx processed the cards it added: their Move control works in place too.
    working_id = status_id(app, WORKING)
    cards.nth(26).get_by_role("button", name=re.compile("^Move")).click()
    expect(page.locator(f"#board-count-{working_id}")).to_have_text("1 lead")
    expect(page.locator(f"#board-count-{open_id}")).to_have_text("26 leads")
    assert still_same_document(page)


def test_my_leads_filter_keeps_its_address(page, app, rep, board):
    stored(app, make_lead, actor=stored(app, make_user, name="Olivia Other"), status=OPEN,
           first_name="Theirs", last_name="Lead")
    open_id = board["open_id"]
    open_board(page, rep)
    theirs = page.get_by_role("link", name="Theirs Lead")
    expect(theirs).to_be_visible()
    expect(page.locator(f"#board-count-{open_id}")).to_have_text("3 leads")
    page.get_by_role("link", name="My leads").click()
    expect(page).to_have_url(re.compile(r"/leads/board\?owner=me$"))
    expect(theirs).to_have_count(0)
    expect(page.locator(f"#board-count-{open_id}")).to_have_text("2 leads")
    expect(page.get_by_role("link", name="My leads")).to_have_attribute("aria-current", "true")
    assert still_same_document(page)
    # The board swapped in is sortable again.
    wait_until(page, "[...document.querySelectorAll('.board-cards')].every(l => Sortable.get(l))")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/leads/board$"))
    expect(theirs).to_be_visible()


def test_columns_side_by_side_on_a_desk_a_snapping_row_on_a_phone(page, screen, rep, board):
    open_board(page, rep)
    columns = page.locator(".board-column")
    expect(columns).to_have_count(2)
    first, second = columns.nth(0).bounding_box(), columns.nth(1).bounding_box()
    assert second["x"] > first["x"] + first["width"] - 1 and abs(second["y"] - first["y"]) < 1
    # Whatever the screen, the page itself is never wider than it.
    width = SCREENS[screen]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    row = page.locator(".board-columns")
    expect(row).to_have_css("scroll-snap-type", "x mandatory")
    if screen == "phone":
        # The second column waits off screen; a sideways swipe brings it in.
        assert second["x"] + second["width"] > width
        assert row.evaluate("el => el.scrollWidth > el.clientWidth")
        button = page.get_by_role("button", name="Move Aparna Bosu")
        assert button.bounding_box()["height"] >= 44
        # A card and its Move control fit inside the column.
        card = page.locator(f"#lead-card-{board['aparna'].id}").bounding_box()
        assert card["x"] + card["width"] <= first["x"] + first["width"]


@pytest.mark.parametrize("screen_name", list(SCREENS))
def test_move_without_javascript(browser, live_server, app, rep, board, screen_name):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, **SCREENS[screen_name])
    page = context.new_page()
    sign_in(page, rep.email)
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/leads/board?owner=me")
    expect(page.get_by_role("button", name=re.compile("Show more"))).to_have_count(0)
    page.get_by_role("button", name="Move Aparna Bosu").click()  # a plain POST, then 303
    expect(page).to_have_url(re.compile(r"/leads/board\?owner=me$"))
    expect(page.get_by_text("Aparna Bosu moved to Working - Contacted.")).to_be_visible()
    expect(page.locator(f"#board-cards-{board['working_id']} #lead-card-{board['aparna'].id}")).to_be_visible()
    expect(page.locator(f"#board-count-{board['open_id']}")).to_have_text("1 lead")
    context.close()
    assert status_of(app, board["aparna"].id) == WORKING
