"""Exports over HTTP: every list as CSV and XLSX, with its current filters and its visibility,
formula cells neutralised, the CSV streamed; the list pages link to them."""

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from crm.exports import formats
from crm.exports.lists import LISTS, YIELD_PER
from crm.extensions import db
from crm.models import Lead, LeadStatus, Stage, User
from crm.models.user import utcnow
from tests.conftest import PASSWORD, login, stored
from tests.factories import make_account, make_contact, make_lead, make_opportunity, make_user

EVIL = '=HYPERLINK("http://x","y")'
URLS = [f"/{name}/export.{fmt}" for name in LISTS for fmt in ("csv", "xlsx")]


def rows_of_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


def rows_of_xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows())
    assert not any(cell.data_type == "f" for row in rows for cell in row), "a formula cell"
    return [[cell.value for cell in row] for row in rows]


def column(rows, header):
    index = rows[0].index(header)
    return [row[index] for row in rows[1:]]


@pytest.mark.parametrize("url", URLS)
def test_exports_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("url", ["/leads/export.pdf", "/campaigns/export.csv", "/leads/export.CSV"])
def test_unknown_exports_are_404(rep_client, url):
    assert rep_client.get(url).status_code == 404


def test_a_lead_named_like_a_formula_opens_as_text_in_csv_and_xlsx(app, rep, rep_client):
    stored(app, make_lead, actor=rep, owner=rep, first_name="Hélène", last_name=EVIL, company="+33 Société")
    response = rep_client.get("/leads/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f"attachment; filename=leads-{date.today().isoformat()}.csv"
    rows = rows_of_csv(response)
    assert rows[0][:4] == ["Salutation", "First name", "Last name", "Company"]
    assert rows[1][1:4] == ["Hélène", "'" + EVIL, "'+33 Société"]

    response = rep_client.get("/leads/export.xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = rows_of_xlsx(response)
    assert rows[1][1:4] == ["Hélène", "'" + EVIL, "'+33 Société"]


def test_the_lead_export_follows_the_lists_filters_sort_and_recycle_bin(app, rep, rep_client):
    with app.app_context():
        other = make_user(name="Olga Other")
        working = db.session.scalar(sa.select(LeadStatus).where(LeadStatus.label == "Working - Contacted"))
        make_lead(rep, owner=rep, last_name="Zulu", company="Zeta")
        make_lead(rep, owner=rep, last_name="Alpha", company="Acme", status=working, rating="Hot",
                  annual_revenue=Decimal("1500.5"))
        make_lead(other, owner=other, last_name="Bravo", company="Acme")
        binned = make_lead(rep, owner=rep, last_name="Binned", company="Acme")
        binned.deleted_at = utcnow()
        db.session.commit()
        working_id = working.id
    # The default view is "my open leads", sorted by last update (newest first).
    assert column(rows_of_csv(rep_client.get("/leads/export.csv")), "Last name") == ["Alpha", "Zulu"]
    all_by_name = rows_of_csv(rep_client.get("/leads/export.csv?view=all&sort=name"))
    assert column(all_by_name, "Last name") == ["Alpha", "Bravo", "Zulu"]
    assert column(all_by_name, "Owner") == ["Remy Rep", "Olga Other", "Remy Rep"]
    assert column(all_by_name, "Status") == ["Working - Contacted", "Open - Not Contacted", "Open - Not Contacted"]
    assert column(all_by_name, "Annual revenue")[0] == "1500.50"
    assert column(rows_of_csv(rep_client.get("/leads/export.csv?view=all&q=acme&sort=-name")), "Last name") == [
        "Bravo", "Alpha"]
    filtered = rows_of_csv(rep_client.get(f"/leads/export.csv?view=all&status={working_id}&rating=Hot&page=7"))
    assert column(filtered, "Last name") == ["Alpha"]  # every page: `page` is ignored
    xlsx = rows_of_xlsx(rep_client.get("/leads/export.xlsx?view=all&sort=name"))
    assert column(xlsx, "Last name") == ["Alpha", "Bravo", "Zulu"]
    assert column(xlsx, "Annual revenue")[0] == 1500.5 and isinstance(column(xlsx, "Created")[0], type(utcnow()))


@pytest.mark.parametrize("query", ["view=nope&sort=drop table&page=-1&status=abc&q=" + "x" * 500,
                                   "owner=99999999999", "close_from=2027-13-45"])
def test_odd_filters_fall_back_like_the_lists_do(rep_client, query):
    for name in LISTS:
        assert rep_client.get(f"/{name}/export.csv?{query}").status_code == 200


def test_headers_and_shipped_values_in_the_readers_language(app, client):
    with app.app_context():
        french = make_user(email="fr@example.com", locale="fr")
        make_lead(french, owner=french, last_name="Durand")
    assert login(client, "fr@example.com", PASSWORD).status_code == 303
    rows = rows_of_csv(client.get("/leads/export.csv"))
    assert "Nom" in rows[0] and "Société" in rows[0]
    assert column(rows, "Nom") == ["Durand"]
    assert "Ouverte - Non contactée" in rows[1]


def test_account_and_contact_exports(app, rep, rep_client):
    with app.app_context():
        owner = db.session.get(User, rep.id)
        globex = make_account(owner, name="Globex", billing_city="Paris", industry="Banking")
        make_account(owner, name="@Initech")
        make_account(make_user(), name="Not mine")
        make_contact(globex, owner, first_name="Zoë", last_name="Lefèvre", email="zoe@globex.example")
    accounts = rows_of_csv(rep_client.get("/accounts/export.csv?sort=name"))
    assert column(accounts, "Name") == ["'@Initech", "Globex"]  # "mine" by default, sorted by name
    assert column(accounts, "City") == ["", "Paris"]
    assert len(rows_of_csv(rep_client.get("/accounts/export.csv?view=all"))) == 1 + 3
    contacts = rows_of_xlsx(rep_client.get("/contacts/export.xlsx?q=lefevre"))
    assert column(contacts, "Last name") == ["Lefèvre"] and column(contacts, "Account") == ["Globex"]


def test_opportunity_export_with_its_amounts_and_filters(app, rep, rep_client):
    with app.app_context():
        owner = db.session.get(User, rep.id)
        account = make_account(owner, name="Globex")
        negotiation = db.session.scalar(sa.select(Stage).where(Stage.name == "Negotiation/Review"))
        make_opportunity(account, owner, negotiation, name="Big deal", amount=Decimal("1000"),
                         close_date=date(2027, 3, 31))
        make_opportunity(account, owner, name="-Small deal", amount=Decimal("10.10"), close_date=date(2027, 1, 5))
        stage_id = negotiation.id
    rows = rows_of_csv(rep_client.get("/opportunities/export.csv"))  # my open ones, by close date
    assert column(rows, "Name") == ["'-Small deal", "Big deal"]
    assert column(rows, "Expected revenue") == ["1.01", "900.00"]
    assert column(rows, "Account") == ["Globex", "Globex"] and column(rows, "Stage")[1] == "Negotiation/Review"
    assert column(rows_of_csv(rep_client.get(f"/opportunities/export.csv?stage={stage_id}")), "Name") == ["Big deal"]
    xlsx = rows_of_xlsx(rep_client.get("/opportunities/export.xlsx?close_from=2027-02-01"))
    assert column(xlsx, "Name") == ["Big deal"] and column(xlsx, "Amount") == [1000]
    assert column(xlsx, "Close date")[0].date() == date(2027, 3, 31)


def test_the_csv_streams_rows_fetched_in_chunks(app, rep, rep_client, monkeypatch):
    from crm.demo import seed_demo

    with app.app_context():
        seed_demo(1200, users=0)
        # Every seeded lead is someone's; the export reads them all (view=all).
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Lead).where(Lead.deleted_at.is_(None)))
        statement = LISTS["leads"](__import__("werkzeug").datastructures.MultiDict(), db.session.get(User, rep.id))
        assert statement.statement().get_execution_options()["yield_per"] == YIELD_PER
    monkeypatch.setattr(formats, "CSV_CHUNK_ROWS", 100)
    response = rep_client.get("/leads/export.csv?view=all")
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) >= total // 100
    assert sum(c.count(b"\r\n") for c in chunks) >= total + 1


def test_the_list_pages_link_to_their_exports_with_the_current_filters(app, rep, rep_client):
    pages = {"leads": "view=all&q=acme&rating=Hot&sort=name", "accounts": "view=all&industry=Banking",
             "contacts": "q=zo&source=Web", "opportunities": "view=all_open&close_from=2027-01-01"}
    for name, query in pages.items():
        expected = query.replace("&", "&amp;")
        for headers in ({}, {"HX-Request": "true"}):
            html = rep_client.get(f"/{name}?{query}&page=2", headers=headers).get_data(as_text=True)
            assert ("<html" in html) == (not headers)
            links = re.findall(rf'href="(/{name}/export\.(?:csv|xlsx)\?[^"]*)"', html)
            assert len(links) == 2, (name, headers)
            for link in links:
                assert "page=" not in link
                assert set(link.split("?")[1].split("&amp;")) == set(expected.split("&amp;")), link


def test_exports_see_what_the_list_sees(app, rep, rep_client, monkeypatch):
    """The export reads the list's own query: narrowing who sees what (private sharing) narrows
    the export alongside the list."""
    import crm.leads.queries

    with app.app_context():
        make_lead(rep, owner=rep, last_name="Mine")
        other = make_user()
        make_lead(other, owner=other, last_name="Theirs")

    def only_own(user):
        return sa.select(Lead).where(Lead.deleted_at.is_(None), Lead.owner_id == user.id)

    monkeypatch.setattr(crm.leads.queries, "visible_leads", only_own)
    assert column(rows_of_csv(rep_client.get("/leads/export.csv?view=all")), "Last name") == ["Mine"]
    assert column(rows_of_xlsx(rep_client.get("/leads/export.xlsx?view=all")), "Last name") == ["Mine"]


def test_xlsx_stops_at_excels_row_limit(app, rep, rep_client, monkeypatch):
    with app.app_context():
        for n in range(4):
            make_lead(rep, owner=rep, last_name=f"L{n}")
    monkeypatch.setattr(formats, "XLSX_MAX_ROWS", 3)  # the header and two rows
    assert len(rows_of_xlsx(rep_client.get("/leads/export.xlsx"))) == 3
