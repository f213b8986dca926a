"""SQL injection, LIKE wildcards and odd strings in every search box and filter; hostile page and
sort values. Never a 500; a search for % or _ finds those characters only."""

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import Lead, User
from tests.factories import make_account, make_contact, make_lead, make_opportunity
from tests.security.payloads import HOSTILE_PAGE, HOSTILE_SORT, INJECTION
from tests.security.walk import build_records

# Every list and the parameters it reads from its query string.
LIST_PARAMS = {
    "/leads": ("q", "view", "owner", "sort", "page", "status", "rating", "source", "campaign", "created_from",
               "created_to", "deleted"),
    "/accounts": ("q", "view", "owner", "sort", "page", "industry"),
    "/contacts": ("q", "view", "owner", "sort", "page", "source"),
    "/opportunities": ("q", "view", "owner", "sort", "page", "stage", "pipeline", "account", "close_from",
                       "close_to", "forecast"),
    "/campaigns": ("page", "q"),
    "/leads/board": ("owner", "q", "after"),
    "/opportunities/board": ("pipeline", "owner", "close"),
    "/leads/duplicates": ("kind", "after"),
    "/leads/recycle-bin": ("page", "q"),
    "/forms/submissions": ("state", "page"),
    "/": ("scope",),
    "/reports/pipeline": ("period", "from", "to", "owner", "pipeline", "section"),
    "/reports/leads": ("period", "from", "to", "owner"),
    "/reports/forecast": ("period", "from", "to", "owner", "pipeline"),
    "/accounts/lookup": ("q", "field"),
    "/admin/users": ("page",),
}


def check(client, path: str, params: dict, fragment: bool = False) -> None:
    headers = {"HX-Request": "true"} if fragment else {}
    response = client.get(path, query_string=params, headers=headers)
    response.get_data()
    assert response.status_code in (200, 400, 404, 422), (path, params, response.status_code)


@pytest.mark.parametrize("path", sorted(LIST_PARAMS))
def test_injection_strings_in_every_filter(app, admin, admin_client, path):
    values = build_records(app, admin.id)
    params = LIST_PARAMS[path]
    if path == "/forms/submissions":
        pass
    for name in params:
        for value in INJECTION:
            check(admin_client, path, {name: value})
        check(admin_client, path, {name: INJECTION[0]}, fragment=True)
    # All of them at once, and repeated.
    check(admin_client, path, {name: INJECTION[0] for name in params})
    check(admin_client, path, [(name, v) for name in params for v in INJECTION[:3]])
    # The other lookups and searches of the record pages.
    lookups = (f"/opportunities/{values['opportunity_id']}/contact-roles/lookup?contact_q=",
               "/contacts/new?account_q=", "/opportunities/new?q=", "/campaigns/1/lookup?member_q=")
    if path == "/leads":
        for lookup in lookups:
            for value in INJECTION:
                response = admin_client.get(lookup.split("?")[0], query_string={lookup.split("?")[1][:-1]: value},
                                            headers={"HX-Request": "true"})
                assert response.status_code in (200, 400, 404), (lookup, value, response.status_code)


def test_the_tables_survive(app, admin, admin_client):
    make = build_records(app, admin.id)
    for value in INJECTION[:6]:
        for path in ("/leads", "/accounts", "/contacts", "/opportunities"):
            admin_client.get(path, query_string={"q": value, "view": "all"})
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 1
        assert db.session.get(User, admin.id).email == admin.email
    assert make


@pytest.mark.parametrize("path", ["/leads", "/accounts", "/contacts", "/opportunities", "/campaigns",
                                  "/leads/recycle-bin", "/admin/users", "/forms/submissions"])
def test_hostile_page_and_sort(app, admin, admin_client, path):
    build_records(app, admin.id)
    for page in HOSTILE_PAGE:
        for fragment in (False, True):
            check(admin_client, path, {"page": page, "view": "all"}, fragment)
    for sort in HOSTILE_SORT:
        check(admin_client, path, {"sort": sort, "view": "all"})
    response = admin_client.get(path, query_string={"page": str(10**20)})
    assert response.status_code in (200, 404)


WILDCARD_NAMES = ["100% Pure", "Plain Company", "a_b Ltd", "axb Ltd", "back\\slash", "O'Brien \"Quoted\""]


@pytest.mark.parametrize(("query", "expected"), [
    ("%", {"100% Pure"}), ("100%", {"100% Pure"}), ("_", {"a_b Ltd"}), ("a_b", {"a_b Ltd"}),
    ("\\", {"back\\slash"}), ("'", {"O'Brien \"Quoted\""}), ('"', {"O'Brien \"Quoted\""}),
    ("O'Brien", {"O'Brien \"Quoted\""}), ("' OR 1=1 --", set()), ("%%", set()),
])
def test_wildcards_match_only_themselves(app, admin, admin_client, query, expected):
    with app.app_context():
        owner = db.session.get(User, admin.id)
        for name in WILDCARD_NAMES:
            make_lead(actor=owner, company=name, last_name="Zed")
            account = make_account(actor=owner, name=name)
            make_contact(account=account, actor=owner, last_name=name[:40])
            make_opportunity(account=account, actor=owner, name=f"Deal {name}")
    for path in ("/leads", "/accounts", "/contacts", "/opportunities"):
        html = admin_client.get(path, query_string={"q": query, "view": "all"},
                                headers={"HX-Request": "true"}).get_data(as_text=True)
        from html import unescape

        text = unescape(html)
        found = {name for name in WILDCARD_NAMES if name in text}
        assert found == expected, (path, query, found)


HUGE = str(10**20)


def test_hostile_ids_in_query_strings(app, admin, admin_client):
    """Ids typed into a URL: too large for the database's integer, negative, not numbers."""
    values = build_records(app, admin.id)
    lead, opp = values["lead_id"], values["opportunity_id"]
    for value in (HUGE, "-1", "abc", "1e3", "\x00", "٣"):
        for path, name, fragment in [
            ("/leads", "deleted", False), ("/opportunities/board", "pipeline", False),
            (f"/leads/{lead}/convert", "account_id", False), (f"/leads/{lead}/convert", "contact_id", False),
            (f"/leads/{lead}/convert/related", "account_id", True),
            (f"/leads/{lead}/convert/related", "contact_id", True),
            ("/contacts/new", "account_id", False), ("/opportunities/new", "account_id", False),
            (f"/opportunities/{opp}", "stage", False), (f"/opportunities/{opp}/fields/next_step/edit", "stage", True),
            ("/leads/duplicates", "after", False), ("/leads/merge", "ids", False),
            ("/opportunities/board/1/more", "after", True), ("/leads/board/1/more", "after", True),
        ]:
            check(admin_client, path, {name: value}, fragment)
    # Huge ids in the path: the router's int converter takes any length.
    for path in (f"/leads/{HUGE}", f"/accounts/{HUGE}", f"/contacts/{HUGE}", f"/opportunities/{HUGE}",
                 f"/campaigns/{HUGE}", f"/activities/lead/{HUGE}", f"/leads/{HUGE}/convert", f"/forms/{HUGE}",
                 f"/admin/users/{HUGE}/edit", f"/leads/import/{HUGE}", f"/opportunities/board/{HUGE}/more"):
        response = admin_client.get(path)
        assert response.status_code in (400, 404), (path, response.status_code)


def test_hostile_ids_in_forms(app, admin, admin_client, ):
    from tests.conftest import csrf_token

    values = build_records(app, admin.id)
    token = csrf_token(admin_client, "/leads")
    lead = values["lead_id"]
    for value in (HUGE, "-1", "abc", "\x00"):
        for path, data in [
            (f"/leads/{lead}/status", {"status_id": value}),
            ("/leads/change-owner", {"lead_ids": value, "target": f"user:{value}"}),
            (f"/leads/{lead}/move", {"status_id": value}),
            (f"/opportunities/{values['opportunity_id']}/board-move", {"stage_id": value}),
            (f"/opportunities/{values['opportunity_id']}/stage", {"stage_id": value}),
            (f"/opportunities/{values['opportunity_id']}/contact-roles", {"contact_id": value}),
            ("/leads/merge", {"ids": value, "master": value}),
        ]:
            response = admin_client.post(path, data={"csrf_token": token, **data})
            assert response.status_code < 500, (path, data, response.status_code)


def test_nul_bytes_in_posted_forms_are_refused(app, admin, admin_client):
    from tests.conftest import csrf_token

    values = build_records(app, admin.id)
    token = csrf_token(admin_client, "/leads")
    for path, data in [(f"/activities/lead/{values['lead_id']}/note", {"subject": "a\x00b", "body": "x"}),
                       (f"/leads/{values['lead_id']}/edit", {"last_name": "a\x00b", "company": "c"}),
                       ("/accounts/new", {"name": "a\x00b"}), ("/profile/preferences", {"locale\x00": "en"})]:
        response = admin_client.post(path, data={"csrf_token": token, **data})
        assert response.status_code == 400, (path, response.status_code)
    with app.app_context():
        assert db.session.scalar(sa.select(Lead.last_name)) != "a\x00b"
