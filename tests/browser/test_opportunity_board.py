"""The opportunity board in a browser, on a desk and on a phone: drag and drop with the column
figures following, the loss reason dialog, a card's Move button opening the board's one Move dialog
(with the keyboard), its page without JavaScript, the filters."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import Opportunity, OpportunityStageHistory, PicklistValue, Pipeline, Stage, User
from crm.models.user import utcnow
from tests.browser.conftest import SCREENS, check_accessibility, sign_in, wait_until
from tests.conftest import stored
from tests.factories import make_account, make_opportunity, make_user

pytestmark = pytest.mark.browser
SORTABLE = "[...document.querySelectorAll('.board-cards')].every(l => Sortable.get(l))"


def stage_id(app, name):
    with app.app_context():
        return db.session.scalar(sa.select(Stage.id).where(Stage.name == name))


def saved(app, opportunity_id):
    """The deal's stage, loss reason and how many history rows it has."""
    with app.app_context():
        opportunity = db.session.get(Opportunity, opportunity_id)
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(OpportunityStageHistory)
                                 .where(OpportunityStageHistory.opportunity_id == opportunity_id))
        return opportunity.stage.name, opportunity.loss_reason, rows


def deal(app, owner, stage, name, amount, **fields):
    with app.app_context():
        stage_row = db.session.scalar(sa.select(Stage).where(Stage.name == stage))
        opportunity = make_opportunity(account=make_account(db.session.get(User, owner.id), name=f"{name} Inc"),
                                       actor=db.session.get(User, owner.id), stage=stage_row, name=name,
                                       amount=Decimal(amount), **fields)
        db.session.expunge(opportunity)
        return opportunity


def open_board(page, user, path="/opportunities/board"):
    sign_in(page, user.email)
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(path)
    wait_until(page, SORTABLE)
    page.evaluate("window.__sameDocument = true")  # survives htmx swaps, not a page load


def still_same_document(page) -> bool:
    return page.evaluate("window.__sameDocument === true")


def drag(page, card, target_list):
    """A real pointer drag, in steps, from the card's account line to the top left of the other
    list: on a phone only that corner of the next column shows."""
    card.scroll_into_view_if_needed()
    start = card.locator(".board-card-company").bounding_box()
    page.mouse.move(start["x"] + 10, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 30, start["y"] + 30, steps=5)
    end = target_list.bounding_box()
    page.mouse.move(end["x"] + 20, end["y"] + 20, steps=20)
    page.mouse.move(end["x"] + 24, end["y"] + 24, steps=2)
    page.mouse.up()


def card_order(page, stage):
    return page.locator(f"#board-cards-{stage}").evaluate("list => [...list.children].map(card => card.id)")


@pytest.fixture
def board(app, rep):
    """Two deals in Prospecting, one in Qualification, of the default pipeline."""
    return {
        "aparna": deal(app, rep, "Prospecting", "Cloudy Sneakers", "8000"),
        "other": deal(app, rep, "Prospecting", "Other Deal", "2000"),
        "qualified": deal(app, rep, "Qualification", "Qualified Deal", "1000"),
        "prospecting": stage_id(app, "Prospecting"),
        "qualification": stage_id(app, "Qualification"),
    }


@pytest.fixture
def short(app, rep):
    """A pipeline of three stages (open, lost, won), all on screen, even the phone's lost column
    (the one after the first), with two deals in its open stage."""
    with app.app_context():
        pipeline = Pipeline(name="Renewals", position=2)
        db.session.add(pipeline)
        db.session.flush()
        stages = [Stage(pipeline_id=pipeline.id, name="Talking", position=1, probability=40),
                  Stage(pipeline_id=pipeline.id, name="Lapsed", position=2, probability=0, is_closed=True),
                  Stage(pipeline_id=pipeline.id, name="Renewed", position=3, probability=100, is_closed=True,
                        is_won=True)]
        db.session.add_all(stages)
        db.session.commit()
        ids = {"pipeline": pipeline.id, "talking": stages[0].id, "lapsed": stages[1].id, "renewed": stages[2].id}
    ids["first"] = deal(app, rep, "Talking", "First Renewal", "5000")
    ids["second"] = deal(app, rep, "Talking", "Second Renewal", "3000")
    ids["path"] = f"/opportunities/board?pipeline={ids['pipeline']}"
    return ids


def test_drag_a_card_to_another_column_and_see_the_figures_change(page, screen, app, rep, board):
    aparna, prospecting, qualification = board["aparna"], board["prospecting"], board["qualification"]
    open_board(page, rep)
    figures_p = page.locator(f"#board-figures-{prospecting}")
    figures_q = page.locator(f"#board-figures-{qualification}")
    expect(figures_p).to_have_text(re.compile(r"2 deals\s+Total 10,000\s+Weighted 1,000"))
    expect(figures_q).to_have_text(re.compile(r"1 deal\s+Total 1,000\s+Weighted 100"))
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")

    with page.expect_response(re.compile(rf"/opportunities/{aparna.id}/board-move$")) as answer:
        drag(page, page.locator(f"#opportunity-card-{aparna.id}"), page.locator(f"#board-cards-{qualification}"))
    assert answer.value.request.headers["x-csrftoken"] == token
    assert answer.value.status == 200
    assert "stage=" in answer.value.request.post_data and "status=" not in answer.value.request.post_data
    expect(figures_p).to_have_text(re.compile(r"1 deal\s+Total 2,000\s+Weighted 200"))
    expect(figures_q).to_have_text(re.compile(r"2 deals\s+Total 9,000\s+Weighted 900"))
    expect(page.locator(f"#board-cards-{qualification} > li").first).to_have_id(f"opportunity-card-{aparna.id}")
    expect(page.locator(f"#opportunity-card-{aparna.id}")).to_have_count(1)
    expect(page.locator("#messages")).to_have_text("Cloudy Sneakers moved to Qualification.")
    assert still_same_document(page)
    assert saved(app, aparna.id) == ("Qualification", None, 2)

    # On a phone the page itself never scrolls sideways (the row of columns does) and the
    # controls are big enough for a finger.
    width = SCREENS[screen]["viewport"]["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert page.get_by_role("button", name="Move Cloudy Sneakers").bounding_box()["height"] >= 44
    assert page.get_by_label("Owner").bounding_box()["height"] >= 44
    page.reload()
    expect(page.locator(f"#board-cards-{qualification} #opportunity-card-{aparna.id}")).to_be_visible()


def test_a_drop_on_the_lost_column_asks_the_reason(page, app, rep, short):
    first, talking, lapsed = short["first"], short["talking"], short["lapsed"]
    open_board(page, rep, short["path"])
    before = card_order(page, talking)
    assert before.index(f"opportunity-card-{first.id}") == 1  # not first: putting it back proves more
    dialog = page.get_by_role("dialog", name="Why was this deal lost?")

    drag(page, page.locator(f"#opportunity-card-{first.id}"), page.locator(f"#board-cards-{lapsed}"))
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("First Renewal")
    expect(dialog.get_by_label("Loss reason")).to_be_focused()
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    wait_until(page, f"document.querySelector('#board-cards-{talking}').children.length === 2")
    assert card_order(page, talking) == before
    expect(page.locator(f"#opportunity-card-{first.id}")).not_to_have_class(re.compile("is-saving"))
    expect(page.locator(f"#board-figures-{lapsed}")).to_have_text(re.compile(r"^\s*0 deals"))
    assert saved(app, first.id) == ("Talking", None, 1)

    drag(page, page.locator(f"#opportunity-card-{first.id}"), page.locator(f"#board-cards-{lapsed}"))
    expect(dialog).to_be_visible()
    dialog.get_by_label("Loss reason").select_option("Lost to Competitor")
    with page.expect_response(re.compile(rf"/opportunities/{first.id}/board-move$")) as answer:
        dialog.get_by_role("button", name="Close as lost").click()
    assert answer.value.status == 200
    expect(dialog).to_be_hidden()
    expect(page.locator(f"#opportunity-card-{first.id}")).to_have_count(0)  # closed deals are not listed
    expect(page.locator(f"#board-figures-{lapsed}")).to_have_text(re.compile(r"1 deal\s+Total 5,000\s+Weighted 0"))
    expect(page.locator(f"#board-figures-{talking}")).to_have_text(re.compile(r"1 deal\s+Total 3,000\s+Weighted 1,200"))
    assert saved(app, first.id) == ("Lapsed", "Lost to Competitor", 2)
    assert still_same_document(page)


def test_the_move_dialog_with_the_keyboard_and_the_loss_reason(page, app, rep, short):
    first, second, talking = short["first"], short["second"], short["talking"]
    lapsed, renewed = short["lapsed"], short["renewed"]
    open_board(page, rep, short["path"])
    dialog = page.get_by_role("dialog", name="Move a deal")

    # To the won stage: a plain move. The card's Move button opens the board's one form.
    page.get_by_role("link", name="Second Renewal").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Move Second Renewal")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Second Renewal")
    stage = dialog.get_by_label("New stage")
    reason = dialog.get_by_label("Loss reason")
    expect(stage).to_be_focused()
    expect(stage.locator("option:not([hidden])")).to_have_text(["Lapsed", "Renewed"])  # not its own stage
    expect(stage).to_have_value(str(lapsed))
    expect(reason).to_be_visible()  # a lost stage asks the reason
    page.keyboard.press("ArrowDown")
    expect(stage).to_have_value(str(renewed))
    expect(reason).to_be_hidden()
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Move", exact=True)).to_be_focused()
    with page.expect_response(re.compile(rf"/opportunities/{second.id}/board-move$")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 200
    expect(dialog).to_be_hidden()
    expect(page.locator(f"#opportunity-card-{second.id}")).to_have_count(0)
    expect(page.locator(f"#board-figures-{renewed}")).to_have_text(re.compile(r"1 deal\s+Total 3,000"))
    # The card left the open columns: the focus goes to the card that was next to it.
    expect(page.get_by_role("button", name="Move First Renewal")).to_be_focused()
    assert saved(app, second.id)[0] == "Renewed"

    # To the lost stage: the reason is required; Escape cancels, nothing is sent.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(stage).to_have_value(str(lapsed))
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Move First Renewal")).to_be_focused()
    assert saved(app, first.id) == ("Talking", None, 1)

    page.keyboard.press("Enter")
    expect(stage).to_be_focused()
    page.keyboard.press("Tab")
    expect(reason).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # no reason: the browser refuses, nothing is sent
    expect(dialog).to_be_visible()
    expect(reason).to_be_focused()
    assert saved(app, first.id) == ("Talking", None, 1)
    reason.press("ArrowDown")  # the first reason
    expect(reason).to_have_value("Price")
    page.keyboard.press("Tab")
    expect(dialog.get_by_role("button", name="Move", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(f"#opportunity-card-{first.id}")).to_have_count(0)
    expect(page.locator(f"#board-figures-{lapsed}")).to_have_text(re.compile(r"1 deal\s+Total 5,000"))
    expect(page.locator(f"#board-figures-{talking}")).to_have_text(re.compile(r"0 deals"))
    assert saved(app, first.id) == ("Lapsed", "Price", 2)
    assert still_same_document(page)


def test_a_move_to_an_open_stage_with_the_keyboard_keeps_the_focus_on_the_card(page, app, rep, board):
    aparna, qualification = board["aparna"], board["qualification"]
    open_board(page, rep)
    page.get_by_role("button", name="Move Cloudy Sneakers").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Move a deal")
    expect(dialog.get_by_label("New stage")).to_have_value(str(qualification))  # the first choice
    dialog.get_by_role("button", name="Move", exact=True).press("Enter")
    expect(page.locator(f"#board-cards-{qualification} #opportunity-card-{aparna.id}")).to_be_visible()
    expect(page.locator(f"#board-figures-{qualification}")).to_have_text(re.compile(r"2 deals\s+Total 9,000"))
    expect(page.get_by_role("button", name="Move Cloudy Sneakers")).to_be_focused()
    expect(page.locator("#messages")).to_have_text("Cloudy Sneakers moved to Qualification.")
    assert saved(app, aparna.id)[0] == "Qualification"
    # The dialog is the same for the next card: its stage list follows the card.
    page.get_by_role("button", name="Move Qualified Deal").click()
    expect(dialog.get_by_label("New stage")).to_have_value(str(board["prospecting"]))
    expect(dialog.get_by_label("New stage").locator("option[hidden]")).to_have_text(["Qualification"])
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("button", name="Move Qualified Deal")).to_be_focused()
    assert saved(app, board["qualified"].id)[0] == "Qualification"


@pytest.mark.parametrize("screen_name", list(SCREENS))
def test_a_refused_drop_puts_the_card_back_and_says_why(browser, live_server, app, rep, short, screen_name):
    # Its own context: the 409 is expected, and the browser and htmx both log it as an error.
    context = browser.new_context(base_url=live_server, **SCREENS[screen_name])
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    first, talking, lapsed = short["first"], short["talking"], short["lapsed"]
    open_board(page, rep, short["path"])
    before = card_order(page, talking)
    with app.app_context():
        # An admin retires the reason while the board is open.
        db.session.execute(sa.update(PicklistValue).filter_by(picklist="loss_reason", label="Price")
                           .values(active=False))
        db.session.commit()

    drag(page, page.locator(f"#opportunity-card-{first.id}"), page.locator(f"#board-cards-{lapsed}"))
    dialog = page.get_by_role("dialog", name="Why was this deal lost?")
    dialog.get_by_label("Loss reason").select_option("Price")
    with page.expect_response(re.compile(rf"/opportunities/{first.id}/board-move$")) as answer:
        dialog.get_by_role("button", name="Close as lost").click()
    assert answer.value.status == 409
    expect(page.locator("#messages")).to_contain_text("Choose a loss reason from the list.")
    expect(page.locator(f"#board-cards-{talking} #opportunity-card-{first.id}")).to_be_visible()
    assert card_order(page, talking) == before
    expect(page.locator(f"#opportunity-card-{first.id}")).not_to_have_class(re.compile("is-saving"))
    expect(page.locator(f"#board-figures-{lapsed}")).to_have_text(re.compile(r"^\s*0 deals"))
    assert saved(app, first.id) == ("Talking", None, 1)
    found = []
    check_accessibility(page, found)
    context.close()
    assert found == []
    assert errors and all("409" in e for e in errors), errors


def touch(cdp, kind, x=0, y=0):
    points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})


def test_on_a_phone_a_hold_then_a_move_drags_with_a_finger(browser, live_server, app, rep, board):
    # Its own phone-sized context: touch events go through the DevTools protocol.
    context = browser.new_context(base_url=live_server, **SCREENS["phone"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    aparna, qualification = board["aparna"], board["qualification"]
    open_board(page, rep)
    cdp = context.new_cdp_session(page)
    box = page.locator(f"#opportunity-card-{aparna.id} .board-card-company").bounding_box()
    target = page.locator(f"#board-cards-{qualification}").bounding_box()
    x, y = box["x"] + 10, box["y"] + 5
    touch(cdp, "touchStart", x, y)
    page.wait_for_timeout(300)  # a hold: a swipe would scroll the row instead
    for step in range(1, 21):
        touch(cdp, "touchMove", x + (target["x"] + 20 - x) * step / 20, y + (target["y"] + 20 - y) * step / 20)
        page.wait_for_timeout(20)
    touch(cdp, "touchEnd")
    expect(page.locator(f"#board-figures-{qualification}")).to_have_text(re.compile(r"2 deals\s+Total 9,000"))
    expect(page.locator(f"#board-cards-{qualification} #opportunity-card-{aparna.id}")).to_be_visible()
    found = []
    check_accessibility(page, found)
    context.close()
    assert found == [] and errors == []
    assert saved(app, aparna.id) == ("Qualification", None, 2)


def test_filters_keep_their_address(page, app, rep, board):
    other = stored(app, make_user, name="Olivia Other")
    theirs = deal(app, other, "Prospecting", "Their Deal", "500", close_date=utcnow().date() - timedelta(days=2))
    prospecting = board["prospecting"]
    open_board(page, rep)
    their_card = page.locator(f"#opportunity-card-{theirs.id}")
    expect(their_card).to_be_visible()
    expect(page.locator(f"#board-figures-{prospecting}")).to_have_text(re.compile(r"3 deals\s+Total 10,500"))

    page.get_by_label("Owner").focus()
    page.get_by_label("Owner").select_option("me")
    expect(page).to_have_url(re.compile(r"/opportunities/board\?pipeline=1&owner=me&close=$"))
    expect(their_card).to_have_count(0)
    expect(page.locator(f"#board-figures-{prospecting}")).to_have_text(re.compile(r"2 deals\s+Total 10,000"))
    expect(page.get_by_label("Owner")).to_be_focused()  # the swapped board gives the focus back
    assert still_same_document(page)
    wait_until(page, SORTABLE)  # the board swapped in is sortable again

    page.get_by_label("Owner").select_option("")
    expect(page).to_have_url(re.compile(r"owner=&close=$"))
    wait_until(page, SORTABLE)  # htmx has processed the board swapped in (its filters too)
    page.get_by_label("Close date").select_option("overdue")
    expect(page).to_have_url(re.compile(r"owner=&close=overdue$"))
    expect(their_card).to_be_visible()
    expect(page.locator(f"#board-figures-{prospecting}")).to_have_text(re.compile(r"1 deal\s+Total 500"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"owner=&close=$"))
    expect(page.locator(f"#board-figures-{prospecting}")).to_have_text(re.compile(r"3 deals"))
    page.go_back()
    expect(page).to_have_url(re.compile(r"owner=me&close=$"))
    expect(their_card).to_have_count(0)


def test_show_more_loads_the_next_cards_in_place(page, app, rep):
    with app.app_context():
        account = make_account(db.session.get(User, rep.id))
        for n in range(27):
            make_opportunity(account=account, actor=db.session.get(User, rep.id), name=f"Card {n:02}", amount=100)
    prospecting = stage_id(app, "Prospecting")
    open_board(page, rep)
    cards = page.locator(f"#board-cards-{prospecting} > li")
    expect(cards).to_have_count(25)
    expect(page.locator(f"#board-figures-{prospecting}")).to_have_text(re.compile(r"27 deals\s+Total 2,700"))
    more = page.get_by_role("button", name="Show more (Prospecting)")
    more.focus()
    page.keyboard.press("Enter")
    expect(cards).to_have_count(27)
    expect(more).to_have_count(0)
    expect(cards.nth(25).get_by_role("link")).to_be_focused()
    assert still_same_document(page)


def test_move_without_javascript(browser, live_server, app, rep, board):
    context = browser.new_context(base_url=live_server, java_script_enabled=False, **SCREENS["phone"])
    page = context.new_page()
    sign_in(page, rep.email)
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/opportunities/board?owner=me")
    expect(page.get_by_role("button", name=re.compile("Show more"))).to_have_count(0)
    aparna, other = board["aparna"], board["other"]
    # The card's Move button opens its move page, the filters along.
    page.get_by_role("button", name="Move Cloudy Sneakers").click()
    expect(page).to_have_url(re.compile(rf"/opportunities/{aparna.id}/move\?pipeline=1&owner=me$"))
    expect(page.get_by_role("heading", name="Move a deal")).to_be_visible()
    page.get_by_label("New stage").select_option(label="Qualification")
    page.get_by_role("button", name="Move", exact=True).click()  # a plain POST, then 303
    expect(page).to_have_url(re.compile(r"/opportunities/board\?pipeline=1&owner=me$"))
    expect(page.get_by_text("Cloudy Sneakers moved to Qualification.")).to_be_visible()
    card = page.locator(f"#board-cards-{board['qualification']} #opportunity-card-{aparna.id}")
    expect(card).to_be_visible()
    # A lost stage needs its reason: refused without it, with the reason the board says why.
    page.get_by_role("button", name="Move Other Deal").click()
    page.get_by_label("New stage").select_option(label="Closed Lost")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("Give the reason the deal was lost.")).to_be_visible()
    assert saved(app, other.id) == ("Prospecting", None, 1)
    page.get_by_role("button", name="Move Other Deal").click()
    page.get_by_label("New stage").select_option(label="Closed Lost")
    page.get_by_label("Loss reason").select_option("Price")
    page.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_text("Other Deal moved to Closed Lost.")).to_be_visible()
    expect(page.locator(f"#opportunity-card-{other.id}")).to_have_count(0)
    # Cancel goes back to the board, nothing moved.
    page.get_by_role("button", name="Move Cloudy Sneakers").click()
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url(re.compile(r"/opportunities/board\?pipeline=1&owner=me$"))
    # The filters apply with their button.
    page.get_by_label("Owner").select_option("")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"owner=&close="))
    context.close()
    assert saved(app, aparna.id)[0] == "Qualification"
    assert saved(app, other.id) == ("Closed Lost", "Price", 2)
