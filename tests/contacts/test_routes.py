"""Contact pages over HTTP: list (page and fragment), create and edit with the account typeahead, record page."""

import re

import pytest
import sqlalchemy as sa

from crm import lists
from crm.contacts import queries
from crm.extensions import db
from crm.models import Contact, Opportunity, OpportunityContactRole, RecentView, Stage
from crm.models.user import utcnow
from tests.conftest import csrf_token, stored
from tests.factories import make_account, make_contact


def post(client, path, data, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/contacts/new")}, **kwargs)


def contacts_in_db(app):
    with app.app_context():
        return db.session.scalars(sa.select(Contact).order_by(Contact.id)).all()


@pytest.fixture
def cloudy(app, rep):
    return stored(app, make_account, actor=rep, name="Get Cloudy West", billing_city="San Francisco")


@pytest.fixture
def helene(app, rep, cloudy):
    return stored(app, make_contact, account=cloudy, actor=rep, first_name="Hélène", last_name="Lefèvre",
                  title="CFO", email="helene@cloudy.example", phone="+1 415 555 0132", phone_e164="+14155550132")


def test_list_page_and_fragment(rep_client, helene, cloudy):
    page = rep_client.get("/contacts")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Hélène Lefèvre" in html
    assert 'id="contact-q"' in html and 'hx-push-url="true"' in html and "responsive-table" in html
    assert f'href="/accounts/{cloudy.id}"' in html and 'href="mailto:helene@cloudy.example"' in html
    assert 'href="tel:+14155550132"' in html and f'href="/contacts/{helene.id}"' in html
    fragment = rep_client.get("/contacts?q=lefevre&owner=&source=", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.startswith('<div id="contact-list"') and "Hélène Lefèvre" in body
    assert 'id="contact-filter-state" hidden hx-swap-oob="true"' in body
    assert "HX-Request" in fragment.headers["Vary"]
    assert fragment.headers["HX-Push-Url"] == "/contacts?q=lefevre"


def test_search_without_accents_case_and_several_words(rep_client, helene):
    for q in ("LEFEVRE", "helene lef", "héLÈne", "cloudy.example"):
        body = rep_client.get("/contacts", query_string={"q": q}, headers={"HX-Request": "true"}).get_data(as_text=True)
        assert "Hélène Lefèvre" in body, q
    body = rep_client.get("/contacts?q=lefevre+nobody").get_data(as_text=True)
    assert "Hélène Lefèvre" not in body and "No contact matches “lefevre nobody”." in body


@pytest.mark.parametrize("q", ['"', "%", "_", "<script>", "x" * 10_000, "' OR 1=1 --"])
def test_any_search_text_is_just_text(rep_client, helene, q):
    response = rep_client.get("/contacts", query_string={"q": q, "view": "all"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Hélène Lefèvre" not in body and "No contact matches" in body and "<script>" not in body


def test_views_filters_and_sort(app, rep_client, rep, admin):
    zed = stored(app, make_account, actor=rep, name="Zed Corp")
    acme = stored(app, make_account, actor=rep, name="Acme")
    stored(app, make_contact, account=zed, actor=rep, last_name="Alpha", lead_source="Web", email="z@x.example")
    stored(app, make_contact, account=acme, actor=rep, last_name="Beta", lead_source="Trade Show", email="a@x.example")
    stored(app, make_contact, account=acme, actor=admin, last_name="Gamma", email="m@x.example")
    mine = rep_client.get("/contacts").get_data(as_text=True)
    assert "Alpha" in mine and "Beta" in mine and "Gamma" not in mine and "2 contacts" in mine
    everyone = rep_client.get("/contacts?view=all&sort=name").get_data(as_text=True)
    assert everyone.index("Alpha") < everyone.index("Beta") < everyone.index("Gamma")
    assert 'aria-sort="ascending"' in everyone
    desc = rep_client.get("/contacts?view=all&sort=-name").get_data(as_text=True)
    assert desc.index("Gamma") < desc.index("Beta") < desc.index("Alpha") and 'aria-sort="descending"' in desc
    by_account = rep_client.get("/contacts?view=all&sort=account").get_data(as_text=True)
    assert by_account.index("Beta") < by_account.index("Alpha")
    by_email = rep_client.get("/contacts?view=all&sort=-email").get_data(as_text=True)
    assert by_email.index("Alpha") < by_email.index("Gamma") < by_email.index("Beta")
    by_owner = rep_client.get("/contacts?view=all&sort=owner").get_data(as_text=True)
    assert by_owner.index("Gamma") < by_owner.index("Alpha")  # Ada Admin before Remy Rep
    source = rep_client.get("/contacts?view=all&source=Trade+Show").get_data(as_text=True)
    assert "Beta" in source and "Alpha" not in source and "Gamma" not in source
    owned = rep_client.get(f"/contacts?view=all&owner={admin.id}").get_data(as_text=True)
    assert "Gamma" in owned and "Alpha" not in owned
    me = rep_client.get("/contacts?view=all&owner=me").get_data(as_text=True)
    assert "Alpha" in me and "Gamma" not in me
    junk = rep_client.get("/contacts?view=nope&sort=drop+table&page=-3&owner=x")
    assert junk.status_code == 200


def test_recently_viewed(app, rep_client, rep):
    first = stored(app, make_contact, actor=rep, last_name="Seen")
    stored(app, make_contact, actor=rep, last_name="Unseen")
    assert "No contacts here." in rep_client.get("/contacts?view=recent").get_data(as_text=True)
    rep_client.get(f"/contacts/{first.id}")
    body = rep_client.get("/contacts?view=recent").get_data(as_text=True)
    assert "Seen" in body and "Unseen" not in body
    with app.app_context():
        assert db.session.scalar(sa.select(RecentView.record_type).where(RecentView.record_id == first.id)) == "contact"


def test_paging_without_counting_everything(app, rep_client, rep, monkeypatch):
    monkeypatch.setattr(lists, "COUNT_CAP", 3)
    monkeypatch.setattr(lists, "PER_PAGE", 2)
    account = stored(app, make_account, actor=rep)
    for n in range(5):
        stored(app, make_contact, account=account, actor=rep, last_name=f"Person{n}")
    first = rep_client.get("/contacts?sort=name").get_data(as_text=True)
    assert "More than 3 contacts" in first and 'rel="next"' in first
    with app.app_context():
        from crm.models import User
        user = db.session.get(User, rep.id)
        page = queries.contact_page(queries.ContactFilters(sort="name", page=2), user)
        assert [c.last_name for c in page.items] == ["Person2", "Person3"]
        assert page.has_next and page.has_prev and page.total == 3 and page.total_capped
        last = queries.contact_page(queries.ContactFilters(sort="name", page=3), user)
        assert [c.last_name for c in last.items] == ["Person4"] and not last.has_next


def test_pager_links(app, rep_client, rep):
    account = stored(app, make_account, actor=rep)
    with app.app_context():
        db.session.add_all([Contact(account_id=account.id, last_name=f"Bulk{n:03}", owner_id=rep.id)
                            for n in range(lists.PER_PAGE + 1)])
        db.session.commit()
    body = rep_client.get("/contacts?sort=name").get_data(as_text=True)
    assert 'rel="next" href="/contacts?sort=name&amp;page=2"' in body and "Bulk049" in body and "Bulk050" not in body
    second = rep_client.get("/contacts?sort=name&page=2").get_data(as_text=True)
    assert "Bulk050" in second and 'rel="prev"' in second and 'rel="next"' not in second


def test_sign_in_required(client, helene):
    for path in ("/contacts", "/contacts/new", f"/contacts/{helene.id}", f"/contacts/{helene.id}/edit"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path


def test_missing_or_deleted_contact_is_404(app, rep_client, rep):
    gone = stored(app, make_contact, actor=rep, deleted_at=utcnow())
    for path in ("/contacts/999999", f"/contacts/{gone.id}", f"/contacts/{gone.id}/edit"):
        assert rep_client.get(path).status_code == 404, path


def test_create_contact(app, rep_client, rep, cloudy):
    response = post(rep_client, "/contacts/new", {
        "account_id": cloudy.id, "first_name": "Aparna", "last_name": "Bosu", "email": "Aparna@Cloudy.example",
        "phone": "+1 415 555 0132", "owner_id": rep.id, "lead_source": "Web", "mailing_city": "Paris"})
    (contact,) = contacts_in_db(app)
    assert response.status_code == 303 and response.headers["Location"] == f"/contacts/{contact.id}"
    assert contact.account_id == cloudy.id and contact.email == "aparna@cloudy.example"
    assert contact.phone_e164 == "+14155550132" and contact.lead_source == "Web" and contact.mailing_city == "Paris"
    assert contact.created_by_id == rep.id


def test_create_with_htmx_redirects_the_page(app, rep_client, cloudy):
    response = post(rep_client, "/contacts/new", {"account_id": cloudy.id, "last_name": "Bosu"},
                    headers={"HX-Request": "true"})
    (contact,) = contacts_in_db(app)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == f"/contacts/{contact.id}"
    assert contact.owner_id is not None


@pytest.mark.parametrize(("field", "value", "message"), [
    ("account_id", None, "Choose the account."),
    ("account_id", "999999", "This account does not exist or was deleted."),
    ("account_id", "abc", "Not a valid integer value."),
    ("last_name", "", "Enter the last name."),
    ("last_name", "x" * 81, "Field cannot be longer than 80 characters."),
    ("first_name", "x" * 41, "Field cannot be longer than 40 characters."),
    ("salutation", "Sir", "Not a valid choice."),
    ("title", "x" * 129, "Field cannot be longer than 128 characters."),
    ("email", "aparna@", "Enter a valid email address."),
    ("phone", "call me maybe", "Use digits, spaces and + ( ) - . / only."),
    ("mobile", "x" * 41, "Field cannot be longer than 40 characters."),
    ("mailing_city", "x" * 41, "Field cannot be longer than 40 characters."),
    ("mailing_postal_code", "x" * 21, "Field cannot be longer than 20 characters."),
    ("mailing_street", "x" * 256, "Field cannot be longer than 255 characters."),
    ("owner_id", "999999", "Not a valid choice."),
    ("lead_source", "Carrier pigeon", "Not a valid choice."),
    ("description", "x" * 32001, "Field cannot be longer than 32000 characters."),
])
def test_invalid_input_is_422_beside_the_field_and_stores_nothing(app, rep_client, cloudy, field, value, message):
    data = {"account_id": cloudy.id, "first_name": "Aparna", "last_name": "Bosu", field: value}
    data = {k: v for k, v in data.items() if v is not None}
    response = post(rep_client, "/contacts/new", data, headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert body.startswith('<form id="contact-form"') and "<html" not in body
    error = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', body)
    assert error and message in error.group(1)
    assert contacts_in_db(app) == []


def test_deleted_account_is_refused_and_the_form_keeps_what_was_typed(app, rep_client, rep):
    gone = stored(app, make_account, actor=rep, name="Gone Inc", deleted_at=utcnow())
    response = post(rep_client, "/contacts/new", {"account_id": gone.id, "last_name": "Bosu", "title": "CTO"})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" in body
    assert "This account does not exist or was deleted." in body and 'value="CTO"' in body
    assert "Gone Inc" not in body
    assert contacts_in_db(app) == []


def test_csrf_is_required(app, rep_client, cloudy):
    response = rep_client.post("/contacts/new", data={"account_id": cloudy.id, "last_name": "Bosu"})
    assert response.status_code in (400, 422)
    assert contacts_in_db(app) == []


def test_new_form_preselects_the_account_and_has_the_typeahead(rep_client, rep, cloudy):
    body = rep_client.get(f"/contacts/new?account_id={cloudy.id}").get_data(as_text=True)
    assert re.search(rf'<input type="radio" name="account_id" value="{cloudy.id}" checked>', body)
    assert "Get Cloudy West" in body
    search = re.search(r'<input id="account_q"[^>]*>', body, re.S).group(0)
    assert 'hx-get="/accounts/lookup"' in search and 'hx-target="#account_id-results"' in search
    assert """hx-vals='{"field": "account_id"}'""" in search and "js:" not in search
    assert '<label for="account_q">Account</label>' in body
    assert f'<option selected value="{rep.id}">' in body  # owned by the user by default
    deleted = rep_client.get("/contacts/new?account_id=999999").get_data(as_text=True)
    assert 'name="account_id"' not in deleted


def test_lookup_answers_the_form_s_search_input(rep_client, cloudy):
    """The typeahead's request (input q, hx-vals field) gets radios named account_id."""
    body = rep_client.get("/accounts/lookup?q=cloudy&field=account_id", headers={"HX-Request": "true"}).get_data(
        as_text=True)
    assert f'name="account_id" value="{cloudy.id}"' in body


def test_account_search_without_javascript(rep_client, cloudy, app, rep):
    stored(app, make_account, actor=rep, name="Other Co")
    for query in ("account_q=cloudy", "q=CLOUDY+west"):
        body = rep_client.get(f"/contacts/new?{query}").get_data(as_text=True)
        assert "<html" in body and f'name="account_id" value="{cloudy.id}"' in body and "Other Co" not in body
        assert 'id="account_id-results"' in body
    none = rep_client.get("/contacts/new?account_q=zzzz").get_data(as_text=True)
    assert "No account matches “zzzz”." in none


def test_edit_contact(app, rep_client, rep, helene):
    page = rep_client.get(f"/contacts/{helene.id}/edit").get_data(as_text=True)
    assert 'value="Lefèvre"' in page and re.search(rf'name="account_id" value="{helene.account_id}" checked', page)
    other = stored(app, make_account, actor=rep, name="Other Co")
    response = post(rep_client, f"/contacts/{helene.id}/edit", {
        "account_id": other.id, "first_name": "Hélène", "last_name": "Martin", "owner_id": rep.id})
    assert response.status_code == 303 and response.headers["Location"] == f"/contacts/{helene.id}"
    (contact,) = contacts_in_db(app)
    assert contact.last_name == "Martin" and contact.account_id == other.id
    bad = post(rep_client, f"/contacts/{helene.id}/edit", {"account_id": other.id, "last_name": ""})
    assert bad.status_code == 422 and "Enter the last name." in bad.get_data(as_text=True)
    assert contacts_in_db(app)[0].last_name == "Martin"


def test_record_page(app, rep_client, rep, helene, cloudy):
    with app.app_context():
        stage = db.session.scalar(sa.select(Stage).limit(1))
        opp = Opportunity(name="Cloud migration", account_id=cloudy.id, pipeline_id=stage.pipeline_id,
                          stage_id=stage.id)
        db.session.add(opp)
        db.session.flush()
        db.session.add(OpportunityContactRole(opportunity_id=opp.id, contact_id=helene.id, role="Decision Maker",
                                              is_primary=True))
        db.session.commit()
        opp_id = opp.id
    response = rep_client.get(f"/contacts/{helene.id}")
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h1>Hélène Lefèvre</h1>" in body
    assert f'<a href="/accounts/{cloudy.id}">Get Cloudy West</a>' in body and "CFO" in body
    assert f'<a href="/opportunities/{opp_id}">Cloud migration</a>' in body and "Decision Maker" in body
    assert "Primary" in body and "Remy Rep" in body
    assert f'href="/contacts/{helene.id}/edit"' in body


def test_record_page_without_roles(rep_client, helene):
    body = rep_client.get(f"/contacts/{helene.id}").get_data(as_text=True)
    assert "This contact plays no role in an opportunity yet." in body


def test_record_page_has_the_contact_s_timeline(app, rep_client, helene):
    body = rep_client.get(f"/contacts/{helene.id}").get_data(as_text=True)
    assert 'id="timeline"' in body and f'action="/activities/contact/{helene.id}/note"' in body
    response = rep_client.post(f"/activities/contact/{helene.id}/note", data={
        "note-subject": "Met at the trade show", "csrf_token": csrf_token(rep_client, f"/contacts/{helene.id}")})
    assert response.status_code == 303
    assert "Met at the trade show" in rep_client.get(f"/contacts/{helene.id}").get_data(as_text=True)


def test_list_costs_the_same_queries_for_more_contacts(app, rep_client, rep, admin):
    """Account and owner come with the contacts (joinedload): no query per row."""
    def statements_for_list():
        seen = []
        with app.app_context():
            listen = lambda *args: seen.append(args[2])  # noqa: E731
            sa.event.listen(db.engine, "before_cursor_execute", listen)
            try:
                body = rep_client.get("/contacts?view=all").get_data(as_text=True)
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", listen)
        return len(seen), body

    stored(app, make_contact, actor=rep, last_name="First")
    few, _ = statements_for_list()
    for owner in (rep, admin, rep, admin):
        stored(app, make_contact, actor=owner, last_name="More")
    many, body = statements_for_list()
    assert few > 0 and body.count("More") == 4 and many == few
