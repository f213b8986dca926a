"""The leads board over HTTP: columns and counts, 25 cards a column then "Show more", moves, filter."""

import re
from contextlib import contextmanager
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.leads import services
from crm.models import Lead, LeadStatus
from tests.conftest import csrf_token, login, stored
from tests.factories import PASSWORD, make_lead, make_user

OPEN, WORKING = "Open - Not Contacted", "Working - Contacted"
CONVERTED, NOT_CONVERTED = "Closed - Converted", "Closed - Not Converted"
APARNA = {"first_name": "Aparna", "last_name": "Bosu", "company": "Get Cloudy West", "rating": "Hot"}
HTMX = {"HX-Request": "true"}
T0 = datetime(2026, 3, 2, 9, 0)


def status_id(app, label):
    with app.app_context():
        return db.session.scalar(sa.select(LeadStatus.id).where(LeadStatus.label == label))


def status_of(app, lead_id):
    with app.app_context():
        return db.session.get(Lead, lead_id).status.label


def seed(app, owner, count, status=OPEN, start=T0):
    """`count` leads owned by `owner`, updated a minute apart from `start` on; their ids, oldest first."""
    with app.app_context():
        ids = []
        for n in range(count):
            lead = make_lead(owner, status=status, first_name="Card", last_name=f"{status[:4]} {n:03}")
            lead.updated_at = start + timedelta(minutes=n)
            ids.append(lead.id)
        db.session.commit()
        return ids


def card_ids(html, status):
    """The ids of the cards in a column, in the order shown."""
    column = re.search(rf'<ol id="board-cards-{status}".*?</ol>', html, re.S).group(0)
    return [int(i) for i in re.findall(r'<li id="lead-card-(\d+)"', column)]


def count_text(html, status):
    return re.search(rf'<span id="board-count-{status}" class="board-count"[^>]*>([^<]*)</span>', html).group(1)


def more_url(html, status):
    match = re.search(rf'<div id="board-more-{status}"[^>]*>\s*<button[^>]*hx-get="([^"]+)"', html)
    return match.group(1).replace("&amp;", "&") if match else None


def move(client, lead_id, status, *, htmx=True, owner="", token=True):
    headers = HTMX | ({"X-CSRFToken": csrf_token(client, "/leads/board")} if token and htmx else {})
    data = {"status": status, "owner": owner}
    if token and not htmx:
        data["csrf_token"] = csrf_token(client, "/leads/board")
    return client.post(f"/leads/{lead_id}/move", data=data, headers=headers if htmx else {})


@contextmanager
def statements(app):
    """The SQL statements run meanwhile."""
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
    return stored(app, make_lead, actor=rep, status=OPEN, **APARNA)


def test_board_page_and_fragment(app, rep_client, aparna):
    page = rep_client.get("/leads/board")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Sortable.min.js" in html and "js/board.js" in html
    headings = re.findall(r'<span class="board-column-name">([^<]+)</span>', html)
    assert headings == [OPEN, WORKING]  # open statuses only, in the admin's order
    fragment = rep_client.get("/leads/board", headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.startswith('<div id="lead-board"') and "Aparna Bosu" in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_a_card_shows_name_link_company_owner_rating_and_a_labelled_move_control(app, rep_client, aparna):
    html = rep_client.get("/leads/board").get_data(as_text=True)
    card = re.search(rf'<li id="lead-card-{aparna.id}".*?</li>', html, re.S).group(0)
    assert f'href="/leads/{aparna.id}">Aparna Bosu</a>' in card
    assert "Get Cloudy West" in card and "Owner: Remy Rep" in card and "Rating: Hot" in card
    assert f'<label class="visually-hidden" for="lead-{aparna.id}-move-status">Move Aparna Bosu to</label>' in card
    assert f'action="/leads/{aparna.id}/move"' in card and 'name="csrf_token"' in card
    # The other open statuses only: not its own, not the closed ones.
    assert re.findall(r"<option [^>]*>([^<]+)</option>", card) == [WORKING]


def test_names_are_text_not_markup(app, rep_client, rep):
    stored(app, make_lead, actor=rep, first_name="<b>Bold</b>", last_name="<i>x</i>")
    html = rep_client.get("/leads/board").get_data(as_text=True)
    assert "<b>Bold" not in html and "Move &lt;b&gt;Bold&lt;/b&gt; &lt;i&gt;x&lt;/i&gt; to" in html


def test_counts_per_open_status_leave_out_closed_and_deleted_leads(app, rep_client, rep):
    seed(app, rep, 3, OPEN)
    seed(app, rep, 1, WORKING)
    seed(app, rep, 1, CONVERTED)
    seed(app, rep, 1, NOT_CONVERTED)
    with app.app_context():
        binned = make_lead(rep, status=WORKING, first_name="Binned")
        services.delete_lead(binned, actor=binned.owner)
        db.session.commit()
    html = rep_client.get("/leads/board").get_data(as_text=True)
    open_id, working_id = status_id(app, OPEN), status_id(app, WORKING)
    assert count_text(html, open_id) == "3 leads" and count_text(html, working_id) == "1 lead"
    assert len(card_ids(html, open_id)) == 3 and len(card_ids(html, working_id)) == 1
    assert "Binned" not in html and "Card Clos" not in html


def test_counts_in_one_group_by_and_no_query_per_card(app, rep_client, rep):
    seed(app, rep, 1, OPEN)
    seed(app, rep, 1, WORKING)
    with statements(app) as few:
        rep_client.get("/leads/board")
    seed(app, rep, 40, OPEN)
    seed(app, rep, 40, WORKING)
    with statements(app) as many:
        html = rep_client.get("/leads/board").get_data(as_text=True)
    assert count_text(html, status_id(app, OPEN)) == "41 leads"
    assert len(many) == len(few)
    grouped = [s for s in many if "GROUP BY" in s]
    assert len(grouped) == 1 and "count(" in grouped[0].lower()
    # The cards are read with a LIMIT, never all 81 rows.
    card_queries = [s for s in many if "FROM leads" in s and "GROUP BY" not in s]
    assert card_queries and all("LIMIT" in s for s in card_queries)


def test_a_column_shows_25_cards_then_show_more_gives_the_next(app, rep_client, rep):
    ids = seed(app, rep, 57, OPEN)
    open_id = status_id(app, OPEN)
    html = rep_client.get("/leads/board").get_data(as_text=True)
    newest_first = ids[::-1]
    assert card_ids(html, open_id) == newest_first[:25]
    url = more_url(html, open_id)
    assert url and url.startswith(f"/leads/board/{open_id}/more?after=")

    second = rep_client.get(url, headers=HTMX).get_data(as_text=True)
    assert "<html" not in second
    assert [int(i) for i in re.findall(r'<li id="lead-card-(\d+)"', second)] == newest_first[25:50]
    assert f'<div id="board-more-{open_id}" class="board-more" hx-swap-oob="true">' in second
    third = rep_client.get(more_url(second, open_id), headers=HTMX).get_data(as_text=True)
    assert [int(i) for i in re.findall(r'<li id="lead-card-(\d+)"', third)] == newest_first[50:]
    assert more_url(third, open_id) is None  # the column is complete: no more button
    # The button needs htmx; a typed address gets the board.
    assert rep_client.get(url).headers["Location"] == "/leads/board"


def test_show_more_neither_repeats_nor_skips_when_cards_move_meanwhile(app, rep_client, rep):
    ids = seed(app, rep, 30, OPEN)
    open_id, working_id = status_id(app, OPEN), status_id(app, WORKING)
    html = rep_client.get("/leads/board").get_data(as_text=True)
    shown = card_ids(html, open_id)
    assert move(rep_client, shown[0], working_id).status_code == 200
    assert move(rep_client, shown[1], working_id).status_code == 200
    rest = rep_client.get(more_url(html, open_id), headers=HTMX).get_data(as_text=True)
    assert [int(i) for i in re.findall(r'<li id="lead-card-(\d+)"', rest)] == ids[::-1][25:]


@pytest.mark.parametrize(("path", "code"), [
    ("/leads/board/{open}/more?after=yesterday", 400),
    ("/leads/board/{open}/more", 400),
    ("/leads/board/{closed}/more?after=2026-03-02T09:00:00,1", 404),
    ("/leads/board/999/more?after=2026-03-02T09:00:00,1", 404),
])
def test_show_more_refuses_bad_addresses(app, rep_client, path, code):
    url = path.format(open=status_id(app, OPEN), closed=status_id(app, NOT_CONVERTED))
    response = rep_client.get(url, headers=HTMX)
    assert response.status_code == code and response.headers["HX-Retarget"] == "#messages"


def test_move_saves_the_status_and_returns_the_card_and_both_counts(app, rep_client, rep, aparna):
    seed(app, rep, 2, OPEN)
    open_id, working_id = status_id(app, OPEN), status_id(app, WORKING)
    response = move(rep_client, aparna.id, working_id)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "<html" not in body
    with app.app_context():
        lead = db.session.get(Lead, aparna.id)
        assert lead.status.label == WORKING and lead.updated_by_id == rep.id and lead.updated_at > aparna.updated_at
    # The card goes to the top of its new column, with the other open statuses to move it to.
    inserted = re.search(rf'<div hx-swap-oob="afterbegin:#board-cards-{working_id}">\s*(<li.*?</li>)', body, re.S)
    assert inserted and f'id="lead-card-{aparna.id}"' in inserted.group(1)
    assert re.findall(r"<option [^>]*>([^<]+)</option>", inserted.group(1)) == [OPEN]
    assert re.search(rf'<span id="board-count-{open_id}" class="board-count" hx-swap-oob="true">2 leads</span>', body)
    assert re.search(rf'<span id="board-count-{working_id}" class="board-count" hx-swap-oob="true">1 lead</span>', body)
    assert 'id="messages"' in body and "Aparna Bosu moved to Working - Contacted." in body


def test_move_to_a_closed_status_takes_the_card_off_the_board(app, rep_client, aparna):
    open_id = status_id(app, OPEN)
    response = move(rep_client, aparna.id, status_id(app, NOT_CONVERTED))
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and status_of(app, aparna.id) == NOT_CONVERTED
    assert "afterbegin" not in body and f"board-count-{status_id(app, NOT_CONVERTED)}" not in body
    assert re.search(rf'<span id="board-count-{open_id}" [^>]*>0 leads</span>', body)


def test_move_without_javascript_is_a_post_then_303_to_the_board(app, rep_client, aparna):
    response = move(rep_client, aparna.id, status_id(app, WORKING), htmx=False, owner="me")
    assert response.status_code == 303 and response.headers["Location"] == "/leads/board?owner=me"
    assert status_of(app, aparna.id) == WORKING
    html = rep_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Aparna Bosu moved to Working - Contacted." in html
    assert card_ids(html, status_id(app, WORKING)) == [aparna.id]


@pytest.mark.parametrize(("lead_status", "to", "message"), [
    (CONVERTED, WORKING, "A converted lead is read-only."),
    (OPEN, CONVERTED, "Convert the lead to give it the converted status."),
])
def test_a_refused_move_is_409_with_the_reason(app, rep_client, rep, lead_status, to, message):
    lead = stored(app, make_lead, actor=rep, status=lead_status, **APARNA)
    response = move(rep_client, lead.id, status_id(app, to))
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == "#messages"
    assert message in response.get_data(as_text=True)
    assert status_of(app, lead.id) == lead_status
    # Without JavaScript: the board again, with the reason.
    page = move(rep_client, lead.id, status_id(app, to), htmx=False)
    html = page.get_data(as_text=True)
    assert page.status_code == 409 and message in html and 'id="lead-board"' in html
    assert status_of(app, lead.id) == lead_status


def test_move_needs_the_csrf_token(app, rep_client, aparna):
    plain = move(rep_client, aparna.id, status_id(app, WORKING), htmx=False, token=False)
    assert plain.status_code == 400
    htmx = move(rep_client, aparna.id, status_id(app, WORKING), token=False)
    assert htmx.status_code == 400 and htmx.headers["HX-Retarget"] == "#messages"
    assert status_of(app, aparna.id) == OPEN


@pytest.mark.parametrize("status", ["", "nope", "999"])
def test_move_to_an_unknown_status_is_400(app, rep_client, aparna, status):
    assert move(rep_client, aparna.id, status).status_code == 400
    assert status_of(app, aparna.id) == OPEN


def test_leads_in_the_recycle_bin_cannot_be_moved(app, rep_client, rep, aparna):
    with app.app_context():
        services.delete_lead(db.session.get(Lead, aparna.id), actor=db.session.get(type(rep), rep.id))
        db.session.commit()
    assert move(rep_client, aparna.id, status_id(app, WORKING)).status_code == 404
    assert move(rep_client, 999_999, status_id(app, WORKING)).status_code == 404


def test_my_leads_filter(app, client, rep):
    other = stored(app, make_user, name="Olivia Other")
    mine = seed(app, rep, 26, OPEN)
    theirs = seed(app, other, 3, OPEN, start=T0 + timedelta(days=1))
    login(client, rep.email, PASSWORD)
    open_id = status_id(app, OPEN)

    everyone = client.get("/leads/board").get_data(as_text=True)
    assert count_text(everyone, open_id) == "29 leads"
    assert card_ids(everyone, open_id)[:3] == theirs[::-1]
    assert re.search(r'id="board-filter-all"[^>]*aria-current="true"', everyone)

    own = client.get("/leads/board?owner=me", headers=HTMX).get_data(as_text=True)
    assert count_text(own, open_id) == "26 leads"
    assert card_ids(own, open_id) == mine[::-1][:25]
    assert re.search(r'id="board-filter-me"[^>]*aria-current="true"', own)
    assert 'hx-push-url="true"' in own and 'name="owner" value="me"' in own
    url = more_url(own, open_id)
    assert "owner=me" in url
    rest = client.get(url, headers=HTMX).get_data(as_text=True)
    assert [int(i) for i in re.findall(r'<li id="lead-card-(\d+)"', rest)] == [mine[0]]
    # The counts a move sends back follow the filter too.
    moved = move(client, mine[1], status_id(app, WORKING), owner="me").get_data(as_text=True)
    assert re.search(rf'<span id="board-count-{open_id}" [^>]*>25 leads</span>', moved)


def test_the_board_needs_sign_in(app, client, aparna):
    assert client.get("/leads/board").status_code == 302
    response = client.post(f"/leads/{aparna.id}/move", data={"status": status_id(app, WORKING)})
    assert response.status_code in (302, 400)
    assert status_of(app, aparna.id) == OPEN
