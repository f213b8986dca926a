"""The opportunity board over HTTP: columns per stage, their figures, 25 cards a column then
"Show more", small cards sharing one Move form (a dialog, or a page without JavaScript), moves
(lost ones with their reason), filters in the address, a fixed number of queries."""

import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Opportunity, OpportunityStageHistory, Pipeline, Stage, User
from crm.models.user import utcnow
from crm.opportunities import services
from crm.opportunities.board import close_range, number_formatter
from tests.conftest import csrf_token, login, stored
from tests.factories import PASSWORD, make_account, make_opportunity, make_user

HTMX = {"HX-Request": "true"}
T0 = datetime(2026, 3, 2, 9, 0)
OPEN_STAGES = ["Prospecting", "Qualification", "Needs Analysis", "Value Proposition", "Id. Decision Makers",
               "Perception Analysis", "Proposal/Price Quote", "Negotiation/Review"]


def stage_id(app, name, pipeline_id=1):
    with app.app_context():
        return db.session.scalar(sa.select(Stage.id).where(Stage.name == name, Stage.pipeline_id == pipeline_id))


def stage_of(app, opportunity_id):
    with app.app_context():
        return db.session.get(Opportunity, opportunity_id).stage.name


def history(app, opportunity_id):
    with app.app_context():
        return [(h.from_stage, h.to_stage) for h in db.session.scalars(
            sa.select(OpportunityStageHistory).where(OpportunityStageHistory.opportunity_id == opportunity_id)
            .order_by(OpportunityStageHistory.id))]


def deal(app, owner, stage="Prospecting", **fields):
    """One opportunity at `stage` of the default pipeline, owned by `owner`."""
    with app.app_context():
        stage_row = db.session.scalar(sa.select(Stage).where(Stage.name == stage, Stage.pipeline_id == 1))
        opportunity = make_opportunity(actor=db.session.get(User, owner.id), stage=stage_row, **fields)
        db.session.expunge(opportunity)
        return opportunity


def seed(app, owner, count, stage="Prospecting", start=T0, amount=1000):
    """`count` deals updated a minute apart from `start` on; their ids, oldest first."""
    with app.app_context():
        account = make_account(db.session.get(User, owner.id))
        stage_row = db.session.scalar(sa.select(Stage).where(Stage.name == stage, Stage.pipeline_id == 1))
        ids = []
        for n in range(count):
            opportunity = services.create_opportunity(
                actor=db.session.get(User, owner.id), name=f"Card {stage[:4]} {n:03}", account=account,
                stage=stage_row, amount=amount, loss_reason="Price" if stage_row.is_lost else None)
            opportunity.updated_at = start + timedelta(minutes=n)
            ids.append(opportunity.id)
        db.session.commit()
        return ids


def card_ids(html, stage):
    column = re.search(rf'<ol id="board-cards-{stage}".*?</ol>', html, re.S).group(0)
    return [int(i) for i in re.findall(r'<li id="opportunity-card-(\d+)"', column)]


def figures(html, stage):
    """A column's count, total and weighted texts."""
    block = re.search(rf'<p id="board-figures-{stage}"[^>]*>(.*?)</p>', html, re.S).group(1)
    return tuple(t.strip() for t in re.findall(r"<span[^>]*>([^<]*)</span>", block))


def more_url(html, stage):
    match = re.search(rf'<div id="board-more-{stage}"[^>]*>\s*<button[^>]*hx-get="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def move(client, opportunity_id, stage, *, htmx=True, loss_reason="", owner="", close="", token=True):
    data = {"stage": stage, "loss_reason": loss_reason, "owner": owner, "close": close}
    headers = {}
    if token and htmx:
        headers = HTMX | {"X-CSRFToken": csrf_token(client, "/opportunities/board")}
    elif htmx:
        headers = HTMX
    elif token:
        data["csrf_token"] = csrf_token(client, "/opportunities/board")
    return client.post(f"/opportunities/{opportunity_id}/board-move", data=data, headers=headers)


@contextmanager
def statements(app):
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


@pytest.fixture
def aparna(app, rep):
    with app.app_context():
        account = make_account(db.session.get(User, rep.id), name="Get Cloudy West")
    return deal(app, rep, "Prospecting", name="Get Cloudy West - 50 Sneakers", account=account,
                amount=Decimal("8000"), close_date=date(2026, 12, 15))


def test_board_page_and_fragment(app, rep_client, aparna):
    page = rep_client.get("/opportunities/board")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Sortable.min.js" in html and "js/board.js" in html
    headings = re.findall(r'<h2 id="board-heading-\d+" class="board-column-name">([^<]+)</h2>', html)
    # The open stages in order, then the closed ones as drop zones at the end.
    assert headings == OPEN_STAGES + ["Closed Won", "Closed Lost"]
    assert card_ids(html, stage_id(app, "Closed Won")) == [] and 'data-lost="true"' in html
    assert '<dialog id="loss-dialog"' in html
    fragment = rep_client.get("/opportunities/board", headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.startswith('<div id="opportunity-board"') and "50 Sneakers" in body
    assert "<dialog" not in body  # the dialog stays on the page, outside the board the filters swap
    assert "HX-Request" in fragment.headers["Vary"]


def test_a_card_shows_name_account_amount_close_date_owner_and_a_move_button(app, rep_client, aparna):
    html = rep_client.get("/opportunities/board?owner=me&close=this-year").get_data(as_text=True)
    card = re.search(rf'<li id="opportunity-card-{aparna.id}".*?</li>', html, re.S).group(0)
    assert f'data-move-url="/opportunities/{aparna.id}/board-move"' in card
    assert f'href="/opportunities/{aparna.id}">Get Cloudy West - 50 Sneakers</a>' in card
    assert "Get Cloudy West</p>" in card and "Amount: 8,000" in card and "Closes Dec 15, 2026" in card
    assert "Owner: Remy Rep" in card
    # One button: without JavaScript it submits the board's GET form to the deal's move page.
    button = re.search(r"<button [^>]*>.*?</button>", card, re.S).group(0)
    assert f'formaction="/opportunities/{aparna.id}/move"' in button and 'form="board-move-page"' in button
    assert f'id="opportunity-{aparna.id}-move-button"' in button
    assert re.sub(r"<[^>]+>", "", button) == "Move Get Cloudy West - 50 Sneakers"
    # No form, stage list or token per card: the board has one of each.
    assert "<select" not in card and "csrf_token" not in card and "<form" not in card
    shared = re.search(r'<form id="board-move-page" method="get" action="/opportunities/board" hidden>.*?</form>',
                       html, re.S).group(0)
    assert re.findall(r'name="(\w+)" value="([^"]*)"', shared) == [("pipeline", "1"), ("owner", "me"),
                                                                    ("close", "this-year")]
    dialog = re.search(r'<dialog id="move-dialog".*?</dialog>', html, re.S).group(0)
    assert 'aria-labelledby="move-dialog-title"' in dialog and 'name="csrf_token"' in dialog
    options = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', dialog)
    assert options == OPEN_STAGES + ["Closed Won", "Closed Lost"]  # board.js hides the card's own
    assert re.search(r'<option value="\d+" data-lost="true">Closed Lost</option>', dialog)
    assert re.search(r'<div class="field board-move-reason" hidden>', dialog)  # shown for a lost stage
    assert html.count('name="csrf_token"') == 2  # the dialog's and the sign-out form's


def test_amounts_print_as_babel_would(app):
    for locale in ("en", "fr"):
        with app.test_request_context(headers={"Accept-Language": locale}):
            from flask_babel import format_decimal, refresh
            refresh()
            number = number_formatter()
            for value in ["0", "0.00", "5", "8000.00", "1000.50", "4000.5", "1234567.89", "999999999999.99",
                          "0.25", "12.3456"]:
                assert number(Decimal(value)) == format_decimal(Decimal(value)), (locale, value)


def test_figures_count_total_and_weighted_amount_leaving_out_deleted_deals(app, rep_client, rep):
    deal(app, rep, "Value Proposition", amount=Decimal("1000.50"))  # 50 %
    deal(app, rep, "Value Proposition", amount=Decimal("3000"))
    deal(app, rep, "Value Proposition")  # no amount: counted, adds nothing
    deal(app, rep, "Negotiation/Review", amount=Decimal("10000"))  # 90 %
    deal(app, rep, "Closed Won", amount=Decimal("2500"))
    binned = deal(app, rep, "Value Proposition", amount=Decimal("99999"))
    with app.app_context():
        services.delete_opportunity(db.session.get(Opportunity, binned.id), actor=db.session.get(User, rep.id))
        db.session.commit()
    html = rep_client.get("/opportunities/board").get_data(as_text=True)
    assert figures(html, stage_id(app, "Value Proposition")) == ("3 deals", "Total 4,000.5", "Weighted 2,000.25")
    assert figures(html, stage_id(app, "Negotiation/Review")) == ("1 deal", "Total 10,000", "Weighted 9,000")
    assert figures(html, stage_id(app, "Closed Won")) == ("1 deal", "Total 2,500", "Weighted 2,500")
    assert figures(html, stage_id(app, "Prospecting")) == ("0 deals", "Total 0", "Weighted 0")
    assert str(binned.id) not in card_ids(html, stage_id(app, "Value Proposition"))
    assert len(card_ids(html, stage_id(app, "Value Proposition"))) == 3


def test_figures_in_one_group_by_and_cards_in_one_query_whatever_the_data(app, rep_client, rep):
    seed(app, rep, 1, "Prospecting")
    seed(app, rep, 1, "Qualification")
    with statements(app) as few:
        rep_client.get("/opportunities/board")
    for stage in OPEN_STAGES:
        seed(app, rep, 26, stage)
    seed(app, rep, 5, "Closed Lost")
    with statements(app) as many:
        html = rep_client.get("/opportunities/board").get_data(as_text=True)
    assert figures(html, stage_id(app, "Prospecting"))[0] == "27 deals"
    assert len(many) == len(few) <= 10
    grouped = [s for s in many if "GROUP BY" in s]
    assert len(grouped) == 1 and "count(" in grouped[0].lower() and "sum(" in grouped[0].lower()
    # Every open column's cards in one statement, a LIMITed select per column; closed columns
    # list no cards: no select reads them.
    card_queries = [s for s in many if "FROM opportunities" in s and "GROUP BY" not in s]
    assert len(card_queries) == 1 and card_queries[0].count("LIMIT") == len(OPEN_STAGES)
    # 200 cards: the page stays small (the cards share one Move form).
    assert sum(len(card_ids(html, stage_id(app, stage))) for stage in OPEN_STAGES) == 200
    assert len(html.encode()) < 150_000


def test_a_column_shows_25_cards_then_show_more_gives_the_next(app, rep_client, rep):
    ids = seed(app, rep, 57, "Qualification")
    qualification = stage_id(app, "Qualification")
    html = rep_client.get("/opportunities/board").get_data(as_text=True)
    newest_first = ids[::-1]
    assert card_ids(html, qualification) == newest_first[:25]
    url = more_url(html, qualification)
    assert url and url.startswith(f"/opportunities/board/{qualification}/more?after=")

    second = rep_client.get(url, headers=HTMX).get_data(as_text=True)
    assert "<html" not in second
    assert [int(i) for i in re.findall(r'<li id="opportunity-card-(\d+)"', second)] == newest_first[25:50]
    assert f'<div id="board-more-{qualification}" class="board-more" hx-swap-oob="true">' in second
    third = rep_client.get(more_url(second, qualification), headers=HTMX).get_data(as_text=True)
    assert [int(i) for i in re.findall(r'<li id="opportunity-card-(\d+)"', third)] == newest_first[50:]
    assert more_url(third, qualification) is None
    assert rep_client.get(url).headers["Location"] == "/opportunities/board?pipeline=1"


def test_show_more_neither_repeats_nor_skips_when_cards_move_meanwhile(app, rep_client, rep):
    ids = seed(app, rep, 30, "Prospecting")
    prospecting, qualification = stage_id(app, "Prospecting"), stage_id(app, "Qualification")
    html = rep_client.get("/opportunities/board").get_data(as_text=True)
    shown = card_ids(html, prospecting)
    assert move(rep_client, shown[0], qualification).status_code == 200
    assert move(rep_client, shown[1], qualification).status_code == 200
    rest = rep_client.get(more_url(html, prospecting), headers=HTMX).get_data(as_text=True)
    assert [int(i) for i in re.findall(r'<li id="opportunity-card-(\d+)"', rest)] == ids[::-1][25:]


@pytest.mark.parametrize(("path", "code"), [
    ("/opportunities/board/{open}/more?after=yesterday", 400),
    ("/opportunities/board/{open}/more", 400),
    ("/opportunities/board/{closed}/more?after=2026-03-02T09:00:00,1", 404),
    ("/opportunities/board/999/more?after=2026-03-02T09:00:00,1", 404),
    ("/opportunities/board?pipeline=999", 404),
    ("/opportunities/board?pipeline=x", 404),
])
def test_bad_addresses_are_refused(app, rep_client, path, code):
    url = path.format(open=stage_id(app, "Prospecting"), closed=stage_id(app, "Closed Lost"))
    response = rep_client.get(url, headers=HTMX)
    assert response.status_code == code and response.headers["HX-Retarget"] == "#messages"


def test_move_saves_stage_probability_history_and_returns_the_card_and_every_header(app, rep_client, rep, aparna):
    seed(app, rep, 2, "Prospecting", amount=500)
    prospecting, value = stage_id(app, "Prospecting"), stage_id(app, "Value Proposition")
    response = move(rep_client, aparna.id, value)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    with app.app_context():
        opportunity = db.session.get(Opportunity, aparna.id)
        assert opportunity.stage.name == "Value Proposition" and opportunity.probability == 50
        assert opportunity.updated_by_id == rep.id and opportunity.updated_at > aparna.updated_at
    assert history(app, aparna.id) == [(None, "Prospecting"), ("Prospecting", "Value Proposition")]
    inserted = re.search(rf'<div hx-swap-oob="afterbegin:#board-cards-{value}">\s*(<li.*?</li>)', body, re.S)
    assert inserted and f'id="opportunity-card-{aparna.id}"' in inserted.group(1)
    assert f'id="opportunity-{aparna.id}-move-button"' in inserted.group(1) and "Amount: 8,000" in inserted.group(1)
    # Both columns' figures, out of band (and the others', which did not change).
    assert f'<p id="board-figures-{prospecting}" class="board-count board-figures" hx-swap-oob="true">' in body
    assert figures(body, prospecting) == ("2 deals", "Total 1,000", "Weighted 100")
    assert figures(body, value) == ("1 deal", "Total 8,000", "Weighted 4,000")
    assert body.count('hx-swap-oob="true"') >= 10
    assert 'id="messages"' in body and "Get Cloudy West - 50 Sneakers moved to Value Proposition." in body


def test_move_to_closed_won_takes_the_card_off_the_open_columns(app, rep_client, aparna):
    won = stage_id(app, "Closed Won")
    response = move(rep_client, aparna.id, won)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and stage_of(app, aparna.id) == "Closed Won"
    assert "afterbegin" not in body
    assert figures(body, won) == ("1 deal", "Total 8,000", "Weighted 8,000")
    assert figures(body, stage_id(app, "Prospecting"))[0] == "0 deals"


def test_move_to_closed_lost_with_a_reason(app, rep_client, aparna):
    lost = stage_id(app, "Closed Lost")
    response = move(rep_client, aparna.id, lost, loss_reason="Price")
    assert response.status_code == 200
    with app.app_context():
        opportunity = db.session.get(Opportunity, aparna.id)
        assert opportunity.stage.name == "Closed Lost" and opportunity.loss_reason == "Price"
        assert opportunity.probability == 0
    assert figures(response.get_data(as_text=True), lost) == ("1 deal", "Total 8,000", "Weighted 0")
    assert history(app, aparna.id)[-1] == ("Prospecting", "Closed Lost")


@pytest.mark.parametrize(("reason", "message"), [
    ("", "Give the reason the deal was lost."),
    ("Bad weather", "Choose a loss reason from the list."),
])
def test_a_lost_move_without_a_valid_reason_is_409_and_stores_nothing(app, rep_client, aparna, reason, message):
    lost = stage_id(app, "Closed Lost")
    response = move(rep_client, aparna.id, lost, loss_reason=reason)
    assert response.status_code == 409 and response.headers["HX-Retarget"] == "#messages"
    assert message in response.get_data(as_text=True)
    assert stage_of(app, aparna.id) == "Prospecting" and len(history(app, aparna.id)) == 1
    # Without JavaScript: the board again, with the reason.
    page = move(rep_client, aparna.id, lost, loss_reason=reason, htmx=False)
    html = page.get_data(as_text=True)
    assert page.status_code == 409 and message in html and 'id="opportunity-board"' in html
    assert stage_of(app, aparna.id) == "Prospecting" and len(history(app, aparna.id)) == 1


def test_a_stage_of_another_pipeline_is_refused(app, rep_client, aparna):
    with app.app_context():
        other = Pipeline(name="Renewals", position=2)
        db.session.add(other)
        db.session.flush()
        db.session.add(Stage(pipeline_id=other.id, name="Renewal Due", position=1, probability=50))
        db.session.commit()
        other_id = other.id
    response = move(rep_client, aparna.id, stage_id(app, "Renewal Due", other_id))
    assert response.status_code == 409
    assert "Choose a stage of the opportunity&#39;s pipeline." in response.get_data(as_text=True)
    assert stage_of(app, aparna.id) == "Prospecting" and len(history(app, aparna.id)) == 1
    # The other pipeline has its own board, with its own columns.
    html = rep_client.get(f"/opportunities/board?pipeline={other_id}").get_data(as_text=True)
    assert re.findall(r'class="board-column-name">([^<]+)</h2>', html) == ["Renewal Due"]
    assert f'<option value="{other_id}" selected>Renewals</option>' in html


def test_two_users_moving_the_same_card_the_last_move_wins_and_no_history_is_lost(app, rep_client, rep, aparna):
    other = stored(app, make_user, name="Olivia Other")
    other_client = app.test_client()
    login(other_client, other.email, PASSWORD)
    # Both boards show the card in Prospecting; Olivia moves it first, then Remy from his stale board.
    assert move(other_client, aparna.id, stage_id(app, "Qualification")).status_code == 200
    response = move(rep_client, aparna.id, stage_id(app, "Needs Analysis"))
    assert response.status_code == 200 and stage_of(app, aparna.id) == "Needs Analysis"
    assert history(app, aparna.id) == [(None, "Prospecting"), ("Prospecting", "Qualification"),
                                       ("Qualification", "Needs Analysis")]
    # Remy's board learns the truth: every header comes back, Qualification's too.
    body = response.get_data(as_text=True)
    assert figures(body, stage_id(app, "Qualification"))[0] == "0 deals"
    assert figures(body, stage_id(app, "Needs Analysis"))[0] == "1 deal"


def test_move_without_javascript_is_a_post_then_303_to_the_board(app, rep_client, aparna):
    response = move(rep_client, aparna.id, stage_id(app, "Qualification"), htmx=False, owner="me",
                    close="this-year")
    assert response.status_code == 303
    assert response.headers["Location"] == "/opportunities/board?pipeline=1&owner=me&close=this-year"
    assert stage_of(app, aparna.id) == "Qualification"


def test_the_move_page_without_javascript_posts_the_move_and_goes_back_to_the_board(app, rep_client, aparna):
    page = rep_client.get(f"/opportunities/{aparna.id}/move?pipeline=1&owner=me&close=this-year")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "<h1>Move a deal</h1>" in html
    form = re.search(r'<form id="board-move-form".*?</form>', html, re.S).group(0)
    assert f'method="post" action="/opportunities/{aparna.id}/board-move"' in form
    assert 'name="csrf_token"' in form and 'name="owner" value="me"' in form
    assert 'name="close" value="this-year"' in form
    assert "Get Cloudy West - 50 Sneakers" in form
    # Every stage but its own; the loss reason is there, said to be for a lost stage.
    assert re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', form) == OPEN_STAGES[1:] + ["Closed Won",
                                                                                             "Closed Lost"]
    assert '<label for="board-move-reason">Loss reason</label>' in form and "<option value=\"Price\">" in form
    assert '<div class="field board-move-reason">' in form and "Needed when the deal is closed as lost." in form
    assert 'href="/opportunities/board?pipeline=1&amp;owner=me&amp;close=this-year">Cancel</a>' in form
    fragment = rep_client.get(f"/opportunities/{aparna.id}/move", headers=HTMX).get_data(as_text=True)
    assert "<html" not in fragment and fragment.startswith('<form id="board-move-form"')

    data = {"csrf_token": csrf_token(rep_client, f"/opportunities/{aparna.id}/move"),
            "stage": stage_id(app, "Closed Lost"), "loss_reason": "", "owner": "me", "close": "this-year"}
    refused = rep_client.post(f"/opportunities/{aparna.id}/board-move", data=data)
    assert refused.status_code == 409 and "Give the reason the deal was lost." in refused.get_data(as_text=True)
    assert stage_of(app, aparna.id) == "Prospecting"
    moved = rep_client.post(f"/opportunities/{aparna.id}/board-move", data=data | {"loss_reason": "Price"})
    assert moved.status_code == 303
    assert moved.headers["Location"] == "/opportunities/board?pipeline=1&owner=me&close=this-year"
    assert stage_of(app, aparna.id) == "Closed Lost"


def test_the_move_page_of_a_deleted_or_missing_deal_is_404_and_needs_sign_in(app, rep_client, rep, aparna):
    assert app.test_client().get(f"/opportunities/{aparna.id}/move").status_code == 302
    with app.app_context():
        services.delete_opportunity(db.session.get(Opportunity, aparna.id), actor=db.session.get(User, rep.id))
        db.session.commit()
    assert rep_client.get(f"/opportunities/{aparna.id}/move").status_code == 404
    assert rep_client.get("/opportunities/999999/move").status_code == 404


def test_move_needs_the_csrf_token(app, rep_client, aparna):
    assert move(rep_client, aparna.id, stage_id(app, "Qualification"), htmx=False, token=False).status_code == 400
    htmx = move(rep_client, aparna.id, stage_id(app, "Qualification"), token=False)
    assert htmx.status_code == 400 and htmx.headers["HX-Retarget"] == "#messages"
    assert stage_of(app, aparna.id) == "Prospecting"


@pytest.mark.parametrize("stage", ["", "nope", "999999"])
def test_move_to_an_unknown_stage_is_400(app, rep_client, aparna, stage):
    assert move(rep_client, aparna.id, stage).status_code == 400
    assert stage_of(app, aparna.id) == "Prospecting"


def test_deleted_or_missing_deals_cannot_be_moved(app, rep_client, rep, aparna):
    with app.app_context():
        services.delete_opportunity(db.session.get(Opportunity, aparna.id), actor=db.session.get(User, rep.id))
        db.session.commit()
    assert move(rep_client, aparna.id, stage_id(app, "Qualification")).status_code == 404
    assert move(rep_client, 999_999, stage_id(app, "Qualification")).status_code == 404


def test_owner_filter_in_the_address_and_in_what_follows(app, client, rep):
    other = stored(app, make_user, name="Olivia Other")
    mine = seed(app, rep, 26, "Prospecting")
    theirs = seed(app, other, 3, "Prospecting", start=T0 + timedelta(days=1))
    login(client, rep.email, PASSWORD)
    prospecting = stage_id(app, "Prospecting")

    everyone = client.get("/opportunities/board").get_data(as_text=True)
    assert figures(everyone, prospecting) == ("29 deals", "Total 29,000", "Weighted 2,900")
    assert card_ids(everyone, prospecting)[:3] == theirs[::-1]
    assert 'hx-push-url="true"' in everyone

    own = client.get("/opportunities/board?owner=me", headers=HTMX).get_data(as_text=True)
    assert figures(own, prospecting)[0] == "26 deals"
    assert card_ids(own, prospecting) == mine[::-1][:25]
    assert '<option value="me" selected>My deals</option>' in own and 'name="owner" value="me"' in own
    assert "data-move-values='{\"close\": \"\", \"owner\": \"me\"}'" in own  # what a drop posts
    url = more_url(own, prospecting)
    assert "owner=me" in url
    rest = client.get(url, headers=HTMX).get_data(as_text=True)
    assert [int(i) for i in re.findall(r'<li id="opportunity-card-(\d+)"', rest)] == [mine[0]]
    # The figures a move sends back follow the filter too.
    moved = move(client, mine[1], stage_id(app, "Qualification"), owner="me").get_data(as_text=True)
    assert figures(moved, prospecting)[0] == "25 deals"


def test_close_period_filter(app, rep_client, rep):
    today = utcnow().date()
    overdue = deal(app, rep, close_date=today - timedelta(days=3), name="Late deal")
    soon = deal(app, rep, close_date=today, name="Closing today")
    later = deal(app, rep, close_date=date(today.year + 2, 1, 1), name="Far deal")
    undated = deal(app, rep, name="No date deal")
    prospecting = stage_id(app, "Prospecting")

    def shown(close):
        html = rep_client.get(f"/opportunities/board?close={close}", headers=HTMX).get_data(as_text=True)
        return set(card_ids(html, prospecting)), html

    assert shown("")[0] == {overdue.id, soon.id, later.id, undated.id}
    assert shown("overdue")[0] == {overdue.id}
    this_month, html = shown("this-month")
    assert soon.id in this_month and later.id not in this_month and undated.id not in this_month
    assert '<option value="this-month" selected>This month</option>' in html
    assert figures(html, prospecting)[0] == f"{len(this_month)} deal" + ("s" if len(this_month) != 1 else "")
    assert soon.id in shown("this-year")[0] and later.id not in shown("this-year")[0]
    assert shown("whenever")[0] == shown("")[0]  # an unknown period is any


@pytest.mark.parametrize(("period", "today", "expected"), [
    ("overdue", date(2026, 5, 10), (None, date(2026, 5, 10))),
    ("this-month", date(2026, 12, 10), (date(2026, 12, 1), date(2027, 1, 1))),
    ("this-quarter", date(2026, 5, 10), (date(2026, 4, 1), date(2026, 7, 1))),
    ("next-quarter", date(2026, 11, 10), (date(2027, 1, 1), date(2027, 4, 1))),
    ("this-year", date(2026, 5, 10), (date(2026, 1, 1), date(2027, 1, 1))),
    ("", date(2026, 5, 10), (None, None)),
])
def test_close_periods(period, today, expected):
    assert close_range(period, today) == expected


def test_the_board_needs_sign_in(app, client, aparna):
    assert client.get("/opportunities/board").status_code == 302
    response = client.post(f"/opportunities/{aparna.id}/board-move", data={"stage": stage_id(app, "Qualification")})
    assert response.status_code in (302, 400)
    assert stage_of(app, aparna.id) == "Prospecting"
