"""Private sharing, proved from the outside: the whole URL map walked as a rep.

Every rule that takes the id of a record (lead, account, contact, opportunity, activity, and
what hangs off them: a contact role, a campaign membership, a lead merge) is requested with the
id of a record of ANOTHER rep: each GET and each POST (with a valid CSRF token), page or htmx
fragment, answers 404, and nothing changes. The same GETs as a manager do not answer 404, so
the URLs are real. A rule with an id converter that this walk does not know fails the test until
it is mapped below or skipped with its reason.
"""

import pytest
import sqlalchemy as sa
from werkzeug.routing import IntegerConverter

from crm import sharing
from crm.extensions import db
from crm.models import Activity, CampaignMember, Lead, LeadMerge, Opportunity, OpportunityContactRole
from tests.conftest import csrf_token
from tests.sharing.world import build_world, client_for, set_mode

HX = {"HX-Request": "true"}

# Argument name -> the world's record of the other rep whose id it gets.
RECORD_ARGS = {
    "lead_id": "other_lead", "account_id": "other_account", "contact_id": "other_contact",
    "opportunity_id": "other_opportunity", "activity_id": "task", "merge_id": "merge",
    "role_id": "role", "member_id": "member",
    "quote_id": "other_quote", "order_id": "other_order", "invoice_id": "other_invoice",
}
# /activities/<record_type>/<record_id>: each type with its record.
RECORD_TYPES = {"lead": "other_lead", "account": "other_account", "contact": "other_contact",
                "opportunity": "other_opportunity"}
# Arguments that come with a record argument and are not records themselves.
COMPANIONS = {"campaign_id": "campaign", "stage_id": "other_stage", "item_id": "other_line_item"}
# A document's lines: the line of that document.
LINES = {"quotes.": "other_quote_line", "invoices.": "other_invoice_line"}
PLAIN = {"kind": "note", "name": "amount"}

# Rules with an id converter that name no record of a rep, and why they are not walked here.
SKIPPED = {
    "admin.": "administration (users, statuses, pipelines, rules, campaigns): 403 for reps, "
              "walked in tests/sharing/test_model.py::test_every_admin_route_is_403_for_reps_and_managers",
    "webforms.": "Web-to-Lead forms and their submissions: admins and managers only (403 for reps)",
    "catalog.": "products and price books: admins only (403 for reps and managers), walked in "
                "tests/catalog/test_routes.py::test_every_catalog_route_is_403_for_reps_and_managers",
    "imports.": "a lead import is its uploader's own already (crm/imports/routes.get_import), "
                "tested in tests/imports",
    "campaigns.show": "a campaign is shared by everyone; its member list is narrowed (test_lists)",
    "campaigns.member_lookup": "a campaign is shared; the lookup is narrowed (test_lists)",
    "campaigns.add_member": "a campaign is shared; adding a hidden lead is refused (test_lists)",
    "leads.board_more": "a column of the lead board (a status id): narrowed like the board (test_lists)",
    "opportunities.board_more": "a column of the deal board (a stage id): narrowed like the board (test_lists)",
}
# Answers other than 404 that are right for a rep, with the reason.
ALSO_ALLOWED = {
    # Removing a member is for admins and managers: the role check comes before the record.
    "campaigns.remove_member": {403},
}


@pytest.fixture
def world(app):
    with app.app_context():
        world = build_world()
        set_mode("private")
        return world


def skipped(endpoint: str) -> bool:
    return any(endpoint == key or (key.endswith(".") and endpoint.startswith(key)) for key in SKIPPED)


def record_urls(app, world) -> list[tuple[str, str, set[str]]]:
    """(endpoint, url, methods) for every rule naming a record, built with the other rep's ids."""
    urls, unknown = [], []
    for rule in app.url_map.iter_rules():
        converters = rule._converters
        if not any(isinstance(c, IntegerConverter) for c in converters.values()) or skipped(rule.endpoint):
            continue
        if not (set(converters) & (set(RECORD_ARGS) | {"record_id"})):
            unknown.append(rule.rule)
            continue
        base = {}
        for name in converters:
            if name in RECORD_ARGS:
                base[name] = world.ids[RECORD_ARGS[name]]
            elif name in COMPANIONS:
                base[name] = world.ids[COMPANIONS[name]]
            elif name == "line_id" and (prefix := rule.endpoint.split(".")[0] + ".") in LINES:
                base[name] = world.ids[LINES[prefix]]
            elif name in PLAIN:
                base[name] = PLAIN[name]
            elif name not in ("record_type", "record_id"):
                unknown.append(f"{rule.rule} ({name})")
        variants = ([base | {"record_type": kind, "record_id": world.ids[key]} for kind, key in RECORD_TYPES.items()]
                    if "record_id" in converters else [base])
        methods = rule.methods - {"HEAD", "OPTIONS"}
        for values in variants:
            urls.append((rule.endpoint, rule.build(values, append_unknown=False)[1], methods))
    assert not unknown, f"map these rules to a record or skip them with a reason: {unknown}"
    return urls


def snapshot() -> dict:
    """What a successful POST on the other rep's records would change."""
    def rows(model, *columns):
        return sorted(tuple(row) for row in db.session.execute(sa.select(*columns)).all())

    return {
        "leads": rows(Lead, Lead.id, Lead.owner_id, Lead.queue_id, Lead.status_id, Lead.deleted_at,
                      Lead.possible_duplicate, Lead.updated_at),
        "opportunities": rows(Opportunity, Opportunity.id, Opportunity.stage_id, Opportunity.amount,
                              Opportunity.deleted_at, Opportunity.updated_at),
        "activities": rows(Activity, Activity.id, Activity.done, Activity.updated_at),
        "roles": rows(OpportunityContactRole, OpportunityContactRole.id, OpportunityContactRole.role,
                      OpportunityContactRole.is_primary),
        "members": rows(CampaignMember, CampaignMember.id, CampaignMember.status),
        "merges": rows(LeadMerge, LeadMerge.id, LeadMerge.undone_at),
        "activity_count": db.session.scalar(sa.select(sa.func.count()).select_from(Activity)),
    }


def test_every_record_url_is_404_for_a_rep_in_private_mode(app, world):
    urls = record_urls(app, world)
    endpoints = {endpoint for endpoint, _url, _methods in urls}
    # The walk covers the record routes of every domain (a sanity check on the mapping itself).
    for expected in ("leads.show", "leads.edit", "leads.convert", "leads.convert_related", "leads.take",
                     "leads.restore", "leads.merged", "leads.undo_merge", "accounts.show", "accounts.edit",
                     "contacts.show", "contacts.edit", "opportunities.show", "opportunities.board_move",
                     "opportunities.save_key_field", "opportunities.contact_lookup",
                     "opportunities.update_contact_role",
                     "activities.timeline", "activities.add_to_timeline", "activities.toggle_done",
                     "campaigns.member_status"):
        assert expected in endpoints, expected
    with app.app_context():
        before = snapshot()
    rep = client_for(app, "rep@example.com")
    token = csrf_token(rep, "/")
    checked = 0
    for endpoint, url, methods in urls:
        allowed = {404} | ALSO_ALLOWED.get(endpoint, set())
        for headers in ({}, HX):
            if "GET" in methods:
                status = rep.get(url, headers=headers).status_code
                assert status in allowed, f"GET {url} ({endpoint}) answered {status}"
                checked += 1
            for verb in ("POST", "PUT", "PATCH", "DELETE"):
                if verb in methods:
                    status = rep.open(url, method=verb, headers=headers,
                                      data={"csrf_token": token, "done": "1", "status": "Sent",
                                            "status_id": "1", "stage": world.other_stage}).status_code
                    assert status in allowed, f"{verb} {url} ({endpoint}) answered {status}"
                    checked += 1
    assert checked > 80
    with app.app_context():
        assert snapshot() == before


def test_the_walked_urls_are_real_a_manager_gets_them(app, world):
    manager = client_for(app, "manager@example.com")
    for endpoint, url, methods in record_urls(app, world):
        if "GET" in methods:
            status = manager.get(url, headers=HX).status_code
            assert status not in (404, 500), f"GET {url} ({endpoint}) answered {status} to a manager"


def test_the_other_rep_gets_their_records(app, world):
    other = client_for(app, "other@example.com")
    for path in (f"/leads/{world.other_lead}", f"/accounts/{world.other_account}",
                 f"/contacts/{world.other_contact}", f"/opportunities/{world.other_opportunity}",
                 f"/activities/lead/{world.other_lead}"):
        assert other.get(path).status_code == 200, path


def test_query_string_record_choices_are_404_or_ignored(app, world):
    """Records named in a query string, not the path: the merge page, and the choices of forms."""
    rep = client_for(app, "rep@example.com")
    assert rep.get(f"/leads/merge?ids={world.other_lead},{world.twin}").status_code == 404
    assert rep.get(f"/leads/merge?ids={world.own_lead},{world.other_lead}").status_code == 404
    page = rep.get(f"/contacts/new?account_id={world.other_account}").get_data(as_text=True)
    assert "Quixotania" not in page
    page = rep.get(f"/leads/{world.own_lead}/convert?contact_id={world.other_contact}").get_data(as_text=True)
    assert "Xylophonia" not in page
    page = rep.get(f"/leads/{world.own_lead}/convert/related?account_id={world.other_account}",
                   headers=HX).get_data(as_text=True)
    assert "Xylophonia" not in page and "Vortexalia" not in page


def test_public_mode_lets_the_rep_in(app, world):
    """The 404s above are the private mode's: in public mode the same rep opens the same records."""
    with app.app_context():
        set_mode("public")
        assert sharing.sharing_mode() == "public"
    rep = client_for(app, "rep@example.com")
    for path in (f"/leads/{world.other_lead}", f"/accounts/{world.other_account}",
                 f"/contacts/{world.other_contact}", f"/opportunities/{world.other_opportunity}",
                 f"/leads/merges/{world.merge}"):
        assert rep.get(path).status_code == 200, path
