"""A quote is visible when its opportunity is: in private mode a rep gets 404 on every quote URL
of another rep's deal (pages, fragments, PDF, actions), nothing changes, and the list hides it."""

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from crm.extensions import db
from crm.models import Opportunity, User
from crm.models.sales import Quote
from crm.sales import documents
from tests.conftest import PASSWORD, csrf_token, login
from tests.factories import make_user
from tests.quotes.conftest import make_deal
from tests.quotes.helpers import HX


@pytest.fixture
def private_world(app, rep):
    """The rep's deal and quote, another rep's deal and (presented) quote; sharing private."""
    from tests.sharing.world import set_mode

    with app.app_context():
        make_user(email="boss@example.com", name="Ada Admin", role="admin")
        make_user(email="manager@example.com", name="Max Manager", role="manager")
        other = make_user(email="other@example.com", name="Olga Other", role="rep")
        mine = make_deal(db.session.get(User, rep.id), name="Mine deal", account_name="Mine Account")
        theirs = make_deal(other, name="Hidden deal", account_name="Zanzibarre Hidden")
        my_quote = documents.create_quote(mine, actor=db.session.get(User, rep.id))
        their_quote = documents.create_quote(theirs, actor=other)
        documents.present_quote(their_quote)
        db.session.commit()
        set_mode("private")
        return {"mine": my_quote.id, "theirs": their_quote.id, "their_deal": theirs.id,
                "their_line": their_quote.lines[0].id}


def quote_urls(app, world) -> list[tuple[str, str, set[str]]]:
    values = {"quote_id": world["theirs"], "line_id": world["their_line"], "opportunity_id": world["their_deal"]}
    urls = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("quotes.") or not any(
                isinstance(c, IntegerConverter) for c in rule._converters.values()):
            continue
        assert set(rule._converters) <= set(values), rule.rule
        urls.append((rule.endpoint, rule.build(values, append_unknown=False)[1], rule.methods - {"HEAD", "OPTIONS"}))
    return urls


def snapshot():
    return (sorted(tuple(row) for row in db.session.execute(sa.select(Quote.id, Quote.status, Quote.total,
                                                                      Quote.updated_at))),
            sorted(tuple(row) for row in db.session.execute(sa.select(Opportunity.id, Opportunity.stage_id))))


def test_every_quote_url_of_another_reps_deal_is_404(app, private_world):
    urls = quote_urls(app, private_world)
    endpoints = {endpoint for endpoint, _url, _methods in urls}
    for expected in ("quotes.show", "quotes.pdf", "quotes.print_page", "quotes.accept", "quotes.present",
                     "quotes.deny", "quotes.revise", "quotes.update_line", "quotes.remove_line", "quotes.edit_line",
                     "quotes.update_details", "quotes.create", "quotes.line"):
        assert expected in endpoints, expected
    with app.app_context():
        before = snapshot()
    client = app.test_client()
    login(client, "rep@example.com", PASSWORD)
    token = csrf_token(client, "/")
    line = private_world["their_line"]
    data = {"csrf_token": token, f"l{line}-quantity": "1", f"l{line}-unit_price": "1",
            f"l{line}-discount_percent": "0", f"l{line}-tax_rate": "0", "valid_until": "2099-01-01"}
    for _endpoint, url, methods in urls:
        for headers in ({}, HX):
            if "GET" in methods:
                assert client.get(url, headers=headers).status_code == 404, url
            if "POST" in methods:
                assert client.post(url, data=data, headers=headers).status_code == 404, url
    with app.app_context():
        assert snapshot() == before
    # The rep's own quote opens; the list shows it and not the other one.
    assert client.get(f"/quotes/{private_world['mine']}").status_code == 200
    listing = client.get("/quotes").get_data(as_text=True)
    assert "Mine Account" in listing and "Zanzibarre" not in listing


def test_a_manager_sees_every_quote(app, private_world):
    client = app.test_client()
    login(client, "manager@example.com", PASSWORD)
    for _endpoint, url, methods in quote_urls(app, private_world):
        if "GET" in methods:
            # 409: the other quote is presented, so its line form is refused (not hidden).
            expected = 409 if url.endswith("/edit") else 200
            assert client.get(url, headers=HX).status_code == expected, url
    assert "Zanzibarre Hidden" in client.get("/quotes").get_data(as_text=True)
