"""Account pages over HTTP: list (page and fragment), create, edit, record page."""

import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm import lists
from crm.extensions import db
from crm.models import Account, Opportunity, RecentView, Stage
from tests.conftest import csrf_token, stored
from tests.factories import make_account, make_contact

VALID = {"name": "Get Cloudy West", "website": "gogetcloudywest.com", "phone": "+1 415 555 0132",
         "industry": "Banking", "billing_city": "San Francisco"}


def post(client, path, data, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/accounts/new")}, **kwargs)


def accounts_in_db(app):
    with app.app_context():
        return db.session.scalars(sa.select(Account).order_by(Account.id)).all()


def errors(html: str) -> list[str]:
    return re.findall(r'class="field-error" id="([a-z_]+)-error"', html)


@pytest.fixture
def socgen(app, rep):
    return stored(app, make_account, actor=rep, name="Société Générale", billing_city="Paris", industry="Banking")


def test_list_page_and_fragment(rep_client, socgen):
    page = rep_client.get("/accounts")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Société Générale" in html
    assert 'id="account-q"' in html and 'hx-push-url="true"' in html and "responsive-table" in html
    fragment = rep_client.get("/accounts?q=societe+gen&owner=&industry=", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.startswith('<div id="account-list"') and "Société Générale" in body
    assert 'id="account-filter-state" hidden hx-swap-oob="true"' in body
    assert fragment.headers["HX-Push-Url"] == "/accounts?q=societe+gen"
    assert "HX-Request" in fragment.headers["Vary"]


def test_search_is_accent_and_case_insensitive_and_says_when_nothing_matches(app, rep_client, rep, socgen):
    stored(app, make_account, actor=rep, name="Get Cloudy West")
    body = rep_client.get("/accounts?q=SOCIETE&view=all").get_data(as_text=True)
    assert "Société Générale" in body and "Get Cloudy West" not in body
    body = rep_client.get("/accounts?q=zzz-nobody&view=all").get_data(as_text=True)
    assert "Société Générale" not in body and "No account matches" in body and "0 accounts" in body


def test_views_filters_and_sort(app, rep_client, rep, admin):
    stored(app, make_account, actor=rep, name="Alpha", billing_city="Zurich", industry="Banking")
    stored(app, make_account, actor=rep, name="Beta", billing_city="Athens", industry="Energy")
    stored(app, make_account, actor=admin, name="Gamma", industry="Banking")
    mine = rep_client.get("/accounts").get_data(as_text=True)
    assert "Alpha" in mine and "Beta" in mine and "Gamma" not in mine
    every = rep_client.get("/accounts?view=all").get_data(as_text=True)
    assert "Gamma" in every
    banking = rep_client.get("/accounts?view=all&industry=Banking&sort=name").get_data(as_text=True)
    assert banking.index("Alpha") < banking.index("Gamma") and "Beta" not in banking
    desc = rep_client.get("/accounts?view=all&industry=Banking&sort=-name").get_data(as_text=True)
    assert desc.index("Gamma") < desc.index("Alpha") and 'aria-sort="descending"' in desc
    by_city = rep_client.get("/accounts?sort=city").get_data(as_text=True)
    assert by_city.index("Beta") < by_city.index("Alpha")
    by_owner = rep_client.get("/accounts?view=all&sort=-owner").get_data(as_text=True)
    assert by_owner.index("Alpha") < by_owner.index("Gamma")  # Remy Rep after Ada Admin
    me = rep_client.get("/accounts?view=all&owner=me").get_data(as_text=True)
    assert "Alpha" in me and "Gamma" not in me
    by_id = rep_client.get(f"/accounts?view=all&owner={admin.id}").get_data(as_text=True)
    assert "Gamma" in by_id and "Alpha" not in by_id
    assert rep_client.get("/accounts?view=bogus&sort=bogus&page=x&owner=x").status_code == 200


def test_recently_viewed(app, rep_client, rep, socgen):
    other = stored(app, make_account, actor=rep, name="Never Opened")
    assert rep_client.get(f"/accounts/{socgen.id}").status_code == 200
    with app.app_context():
        assert db.session.scalar(sa.select(RecentView).filter_by(record_type="account", record_id=socgen.id))
    recent = rep_client.get("/accounts?view=recent").get_data(as_text=True)
    assert "Société Générale" in recent and other.name not in recent


def test_paging_fetches_one_more_row_and_caps_the_count(app, rep_client, rep, monkeypatch):
    monkeypatch.setattr(lists, "PER_PAGE", 2)
    for n in range(5):
        stored(app, make_account, actor=rep, name=f"Acme {n}")
    first = rep_client.get("/accounts?sort=name").get_data(as_text=True)
    assert "Acme 0" in first and "Acme 1" in first and "Acme 2" not in first
    assert 'rel="next"' in first and 'rel="prev"' not in first and "5 accounts" in first
    third = rep_client.get("/accounts?sort=name&page=3").get_data(as_text=True)
    assert "Acme 4" in third and 'rel="next"' not in third and 'rel="prev"' in third
    monkeypatch.setattr(lists, "COUNT_CAP", 3)
    assert "More than 3 accounts" in rep_client.get("/accounts").get_data(as_text=True)


def test_create_account(app, rep_client, rep, socgen):
    response = post(rep_client, "/accounts/new", {**VALID, "parent_id": socgen.id, "owner_id": rep.id})
    assert response.status_code == 303
    account = accounts_in_db(app)[-1]
    assert response.headers["Location"] == f"/accounts/{account.id}"
    assert account.website == "https://gogetcloudywest.com" and account.domain == "gogetcloudywest.com"
    assert account.parent_id == socgen.id and account.owner_id == rep.id and account.created_by_id == rep.id
    page = rep_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Account Get Cloudy West saved." in page
    assert f'href="/accounts/{socgen.id}"' in page and 'rel="noopener' in page and 'href="tel:' in page


def test_create_with_htmx_redirects_the_whole_page(app, rep_client):
    response = post(rep_client, "/accounts/new", VALID, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/accounts/")


@pytest.mark.parametrize(("field", "value"), [
    ("name", ""), ("name", "x" * 256), ("website", "javascript:alert(1)"), ("website", "ftp://example.com"),
    ("phone", "call me"), ("industry", "Not An Industry"), ("owner_id", "99999"), ("parent_id", "99999"),
    ("parent_id", "abc"), ("billing_city", "x" * 41), ("billing_postal_code", "x" * 21),
    ("billing_street", "x" * 256), ("billing_state", "x" * 81), ("billing_country", "x" * 81),
    ("description", "x" * 32001),
])
def test_invalid_field_is_refused_with_422_and_nothing_stored(app, rep_client, field, value):
    response = post(rep_client, "/accounts/new", {**VALID, field: value}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and body.startswith("<form") and errors(body) == [field]
    assert accounts_in_db(app) == []


def test_invalid_plain_post_gets_the_whole_page(rep_client):
    response = post(rep_client, "/accounts/new", {**VALID, "name": ""})
    assert response.status_code == 422 and "<html" in response.get_data(as_text=True)


def test_edit_account_and_refuse_itself_as_parent(app, rep_client, rep, socgen):
    child = stored(app, make_account, actor=rep, name="Child", parent_id=socgen.id)
    page = rep_client.get(f"/accounts/{socgen.id}/edit").get_data(as_text=True)
    assert 'value="Société Générale"' in page and 'hx-get="/accounts/lookup?field=parent_id"' in page
    for parent in (socgen, child):
        response = post(rep_client, f"/accounts/{socgen.id}/edit", {"name": "Renamed", "parent_id": parent.id})
        assert response.status_code == 422 and errors(response.get_data(as_text=True)) == ["parent_id"]
    assert accounts_in_db(app)[0].name == "Société Générale"
    response = post(rep_client, f"/accounts/{child.id}/edit", {"name": "Child SA", "website": "child.example"})
    assert response.status_code == 303
    edited = accounts_in_db(app)[1]
    assert edited.name == "Child SA" and edited.domain == "child.example" and edited.parent_id == socgen.id
    # "No parent account" is the radio with the empty value.
    assert post(rep_client, f"/accounts/{child.id}/edit", {"name": "Child SA", "parent_id": ""}).status_code == 303
    assert accounts_in_db(app)[1].parent_id is None
    form = rep_client.get(f"/accounts/{child.id}/edit").get_data(as_text=True)
    assert 'name="parent_id" value="" checked' in form


def test_edit_form_shows_the_current_parent_checked(app, rep_client, rep, socgen):
    child = stored(app, make_account, actor=rep, name="Child", parent_id=socgen.id)
    form = rep_client.get(f"/accounts/{child.id}/edit").get_data(as_text=True)
    assert f'name="parent_id" value="{socgen.id}" checked' in form


def test_record_page_lists_contacts_and_opportunities(app, rep_client, rep, socgen):
    with app.app_context():
        account = db.session.get(Account, socgen.id)
        contact = make_contact(account, rep, first_name="Hélène", last_name="Lefèvre", title="CFO", phone="+33 1 23")
        stage = db.session.scalar(sa.select(Stage).where(Stage.name == "Prospecting"))
        opportunity = Opportunity(name="Big deal", account_id=account.id, pipeline_id=stage.pipeline_id,
                                  stage_id=stage.id, amount=Decimal("12345.50"), close_date=date(2027, 3, 1))
        db.session.add(opportunity)
        db.session.commit()
        contact_id, opportunity_id = contact.id, opportunity.id
    page = rep_client.get(f"/accounts/{socgen.id}").get_data(as_text=True)
    assert "<h1>Société Générale</h1>" in page
    assert f'href="/contacts/{contact_id}">Hélène Lefèvre</a>' in page and "CFO" in page
    assert f'href="/opportunities/{opportunity_id}">Big deal</a>' in page
    assert "Prospecting" in page and "12,345.5" in page and 'datetime="2027-03-01"' in page


def test_record_page_without_related_records(rep_client, socgen):
    page = rep_client.get(f"/accounts/{socgen.id}").get_data(as_text=True)
    assert "No contacts yet." in page and "No opportunities yet." in page


@pytest.mark.parametrize("path", ["/accounts/9999", "/accounts/9999/edit"])
def test_unknown_account_is_404(rep_client, path):
    assert rep_client.get(path).status_code == 404


def test_deleted_account_is_404(app, rep_client, socgen):
    with app.app_context():
        db.session.get(Account, socgen.id).deleted_at = socgen.updated_at
        db.session.commit()
    assert rep_client.get(f"/accounts/{socgen.id}").status_code == 404
    assert "Société" not in rep_client.get("/accounts?view=all").get_data(as_text=True)


@pytest.mark.parametrize("path", ["/accounts", "/accounts/new", "/accounts/1", "/accounts/1/edit"])
def test_sign_in_required(client, path):
    response = client.get(path)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_post_without_csrf_is_refused(app, rep_client, socgen):
    assert rep_client.post("/accounts/new", data=VALID).status_code == 400
    assert rep_client.post(f"/accounts/{socgen.id}/edit", data={"name": "Hacked"}).status_code == 400
    assert [a.name for a in accounts_in_db(app)] == ["Société Générale"]


def test_record_page_lists_its_opportunities_latest_close_first_with_a_new_link(app, rep_client, rep, socgen):
    from tests.factories import make_opportunity

    with app.app_context():
        account = db.session.get(Account, socgen.id)
        make_opportunity(account, rep, name="Early deal", close_date=date(2027, 1, 10))
        make_opportunity(account, rep, name="Late deal", close_date=date(2027, 9, 1))
        make_opportunity(account, rep, name="Undated deal")
        make_opportunity(account, rep, name="Binned deal").deleted_at = account.created_at
        make_opportunity(make_account(rep), rep, name="Other account deal")
        db.session.commit()
    page = rep_client.get(f"/accounts/{socgen.id}").get_data(as_text=True)
    names = re.findall(r'href="/opportunities/\d+">([A-Za-z ]+)</a>', page)
    assert names == ["Late deal", "Early deal", "Undated deal"]
    assert f'href="/opportunities/new?account_id={socgen.id}"' in page and "(3)" in page
    assert f'href="/opportunities?view=all&amp;account={socgen.id}"' in page


def test_record_page_caps_its_opportunities_and_links_to_the_filtered_list(app, rep_client, rep, socgen, monkeypatch):
    from crm.opportunities import queries as opportunity_queries
    from tests.factories import make_opportunity

    monkeypatch.setattr(opportunity_queries, "ACCOUNT_LIMIT", 2)
    with app.app_context():
        account = db.session.get(Account, socgen.id)
        for n in range(3):
            make_opportunity(account, rep, name=f"Deal {'abc'[n]}", close_date=date(2027, 1, n + 1))
    page = rep_client.get(f"/accounts/{socgen.id}").get_data(as_text=True)
    assert re.findall(r'href="/opportunities/\d+">(Deal \w)</a>', page) == ["Deal c", "Deal b"]
    assert "(2+)" in page and "All opportunities of Société Générale" in page
    listed = rep_client.get(f"/opportunities?view=all&account={socgen.id}").get_data(as_text=True)
    assert "3 opportunities" in listed and "Account: Société Générale" in listed


def test_the_shipping_address_is_edited_shown_and_checked(app, rep_client, rep, socgen):
    response = post(rep_client, f"/accounts/{socgen.id}/edit",
                    {"name": "Société Générale", "billing_city": "Paris", "shipping_street": "12 quai de Seine",
                     "shipping_city": "Rouen", "shipping_country": "France"})
    assert response.status_code == 303
    account = accounts_in_db(app)[0]
    assert (account.billing_city, account.shipping_street, account.shipping_city) == ("Paris", "12 quai de Seine",
                                                                                     "Rouen")
    page = rep_client.get(f"/accounts/{socgen.id}").get_data(as_text=True)
    assert "Shipping city" in page and "Rouen" in page
    response = post(rep_client, f"/accounts/{socgen.id}/edit", {"name": "Société Générale", "shipping_city": "x" * 41})
    assert response.status_code == 422 and errors(response.get_data(as_text=True)) == ["shipping_city"]
    assert accounts_in_db(app)[0].shipping_city == "Rouen"
