"""The sharing model (crm/sharing.py): the query helper and the loader in both modes, the admin
page that switches it, and mass assignment. The walk of the whole URL map as a rep, and the
lists, searches, boards, reports and exports, are in tests/sharing/."""

import re

import pytest
import sqlalchemy as sa
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from crm import sharing
from crm.extensions import db
from crm.models import Account, Activity, Contact, Lead, Opportunity, User
from crm.models.settings import OrgSettings
from tests.conftest import csrf_token
from tests.sharing.world import (
    OTHER_LEAD,
    OWN_LEAD,
    QUEUE_LEAD,
    client_for,
    lead_owner,
    post,
    set_mode,
)

HX = {"HX-Request": "true"}


def user(world, name: str) -> User:
    return db.session.get(User, world.ids[name])


def ids(model, who: User) -> set[int]:
    return set(db.session.scalars(sharing.visible(sa.select(model.id), model, who)))


def all_ids(model) -> set[int]:
    return set(db.session.scalars(sa.select(model.id)))


# -- The setting ----------------------------------------------------------------------------------

def test_the_default_is_public_and_the_setting_is_one_row(app, world):
    with app.app_context():
        assert sharing.sharing_mode() == "public"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OrgSettings)) == 1


def test_set_sharing_stores_the_mode_and_who_changed_it(app, world):
    with app.app_context():
        admin = user(world, "admin")
        assert sharing.set_sharing("private", admin) is True
        assert sharing.set_sharing("private", admin) is False  # unchanged: nothing to record
        db.session.commit()
        row = db.session.get(OrgSettings, 1)
        assert (row.sharing, row.updated_by_id) == ("private", admin.id)
        with pytest.raises(sharing.UnknownSharingMode):
            sharing.set_sharing("everyone", admin)
    with app.app_context():  # a new request reads it again
        assert sharing.sharing_mode() == "private"


def test_the_mode_is_read_once_per_request(app, world):
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    with app.test_request_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            modes = {sharing.sharing_mode() for _ in range(5)}
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
    assert modes == {"public"}
    assert len([s for s in statements if "org_settings" in s]) == 1


# -- The query helper -----------------------------------------------------------------------------

@pytest.mark.parametrize("model", [Lead, Account, Contact, Opportunity, Activity])
def test_public_mode_shows_everything_to_everyone(app, world, model):
    with app.app_context():
        for name in ("rep", "other", "manager", "admin"):
            assert ids(model, user(world, name)) == all_ids(model)


@pytest.mark.parametrize("model", [Lead, Account, Contact, Opportunity, Activity])
def test_private_mode_shows_everything_to_managers_and_admins(app, world, model):
    with app.app_context():
        set_mode("private")
        for name in ("manager", "admin"):
            assert ids(model, user(world, name)) == all_ids(model)


def test_private_mode_a_rep_sees_own_and_queue_leads_only(app, world):
    with app.app_context():
        set_mode("private")
        assert ids(Lead, user(world, "rep")) == {world.own_lead, world.queue_lead}
        other_sees = ids(Lead, user(world, "other"))
        assert world.other_lead in other_sees and world.queue_lead not in other_sees
        assert world.own_lead not in other_sees


def test_private_mode_a_rep_sees_own_accounts_contacts_opportunities(app, world):
    with app.app_context():
        set_mode("private")
        rep = user(world, "rep")
        assert ids(Account, rep) == {world.own_account}
        assert ids(Contact, rep) == set()
        assert ids(Opportunity, rep) == {world.own_opportunity}
        other = user(world, "other")
        assert world.other_account in ids(Account, other)
        assert {world.other_opportunity, world.hidden_on_own} <= ids(Opportunity, other)


def test_private_mode_activities_follow_their_record_or_their_assignee(app, world):
    with app.app_context():
        set_mode("private")
        rep = user(world, "rep")
        assert ids(Activity, rep) == set()  # every activity is on the other rep's records
        task = db.session.get(Activity, world.task)
        task.assignee_id = rep.id  # given to the rep: visible though its lead is not
        db.session.commit()
        assert ids(Activity, rep) == {world.task}
        assert sharing.can_see(task, rep)
        assert not sharing.can_see(db.session.get(Activity, world.note), rep)


def test_joining_a_queue_shows_its_leads(app, world):
    from crm.assignment import services as assignment
    from crm.models import Queue

    with app.app_context():
        set_mode("private")
        other = user(world, "other")
        assignment.add_member(db.session.get(Queue, world.queue), other)
        db.session.commit()
    with app.app_context():  # the queue ids are read once per request: a new one
        assert world.queue_lead in ids(Lead, db.session.get(User, world.other))


def test_the_helper_narrows_a_select_that_joins_other_tables(app, world):
    with app.app_context():
        set_mode("private")
        query = (sa.select(Lead.last_name, User.name).join(User, User.id == Lead.owner_id, isouter=True))
        rows = db.session.execute(sharing.visible(query, Lead, user(world, "rep"))).all()
        assert {name for name, _owner in rows} == {OWN_LEAD, QUEUE_LEAD}


def test_no_user_means_no_narrowing(app, world):
    """A CLI command or a background job (no request, no user) is not a rep."""
    with app.app_context():
        set_mode("private")
        assert ids(Lead, None) == all_ids(Lead)


# -- The loader -----------------------------------------------------------------------------------

RECORDS = [(Lead, "other_lead"), (Account, "other_account"), (Contact, "other_contact"),
           (Opportunity, "other_opportunity"), (Activity, "task")]


@pytest.mark.parametrize(("model", "key"), RECORDS)
def test_loader_404s_a_hidden_record_for_a_rep_in_private_mode(app, world, model, key):
    with app.app_context():
        rep = user(world, "rep")
        assert sharing.get_visible(model, world.ids[key], rep).id == world.ids[key]  # public
        set_mode("private")
        with pytest.raises(NotFound):
            sharing.get_visible(model, world.ids[key], rep)
        for name in ("other", "manager", "admin"):
            assert sharing.get_visible(model, world.ids[key], user(world, name)).id == world.ids[key]


def test_loader_gives_a_rep_their_queue_lead_and_404s_missing_or_binned(app, world):
    from crm.leads import services as lead_services

    with app.app_context():
        set_mode("private")
        rep = user(world, "rep")
        assert sharing.get_visible(Lead, world.queue_lead, rep).id == world.queue_lead
        with pytest.raises(NotFound):
            sharing.get_visible(Lead, 999_999, rep)
        lead = db.session.get(Lead, world.own_lead)
        lead_services.delete_lead(lead, actor=rep)
        db.session.commit()
        with pytest.raises(NotFound):
            sharing.get_visible(Lead, world.own_lead, rep)
        assert sharing.get_visible(Lead, world.own_lead, rep, deleted=True).id == world.own_lead


# -- The admin page -------------------------------------------------------------------------------

def test_admin_switches_sharing_on_the_admin_page(app, world):
    admin = client_for(app, "admin@example.com")
    page = admin.get("/admin/sharing")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<input checked id="sharing-0" name="sharing" required type="radio" value="public">' in html
    assert 'href="/admin/sharing"' in html  # in the admin navigation
    response = post(admin, "/admin/sharing", {"sharing": "private"})
    assert response.status_code == 303
    with app.app_context():
        assert sharing.sharing_mode() == "private"
    assert 'checked id="sharing-1"' in admin.get("/admin/sharing").get_data(as_text=True)


def test_the_sharing_form_answers_htmx_and_refuses_nonsense(app, world):
    admin = client_for(app, "admin@example.com")
    refused = post(admin, "/admin/sharing", {"sharing": "everyone"}, headers=HX)
    assert refused.status_code == 422
    assert "<html" not in refused.get_data(as_text=True) and 'id="sharing-form"' in refused.get_data(as_text=True)
    done = post(admin, "/admin/sharing", {"sharing": "private"}, headers=HX)
    assert done.status_code == 204 and done.headers["HX-Redirect"] == "/admin/sharing"
    without_token = admin.post("/admin/sharing", data={"sharing": "public"})
    assert without_token.status_code == 400
    with app.app_context():
        assert sharing.sharing_mode() == "private"


@pytest.mark.parametrize("email", ["rep@example.com", "manager@example.com"])
def test_only_admins_may_change_sharing(app, world, email):
    client = client_for(app, email)
    assert client.get("/admin/sharing").status_code == 403
    assert post(client, "/admin/sharing", {"sharing": "private"}).status_code == 403
    with app.app_context():
        assert sharing.sharing_mode() == "public"


# Admin pages a manager may use by design (crm/admin/campaigns.py: "Admins and managers"): a
# manager runs the campaigns. Reps get 403 there too.
MANAGER_ADMIN_PAGES = ("/admin/campaigns",)


def admin_rules(app, role: str = "rep"):
    rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")]
    if role == "manager":
        rules = [rule for rule in rules if not rule.rule.startswith(MANAGER_ADMIN_PAGES)]
    return rules


def fill(rule) -> str:
    """The rule's URL with 1 for every argument (a missing record would be a 404, not a 403)."""
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if isinstance(converter, IntegerConverter) else "lead_source"
    return rule.build(values, append_unknown=False)[1]


@pytest.mark.parametrize("email", ["rep@example.com", "manager@example.com"])
def test_every_admin_route_is_403_for_reps_and_managers(app, world, email):
    client = client_for(app, email)
    rules = admin_rules(app, email.split("@")[0])
    assert len(rules) > 40  # the walk is real: every admin page and action
    token = csrf_token(client, "/")
    for rule in rules:
        url = fill(rule)
        if "GET" in rule.methods:
            assert client.get(url).status_code == 403, url
        if "POST" in rule.methods:
            assert client.post(url, data={"csrf_token": token}).status_code == 403, url


def test_the_web_forms_pages_stay_for_admins_and_managers(app, world):
    assert client_for(app, "rep@example.com").get("/forms").status_code == 403
    assert client_for(app, "manager@example.com").get("/forms").status_code == 200


# -- Mass assignment ------------------------------------------------------------------------------

SMUGGLED = {"owner_id": "{other}", "queue_id": "{queue}", "created_by_id": "{other}", "deleted_at": "2020-01-01",
            "deleted_by_id": "{other}", "possible_duplicate": "y", "converted_account_id": "1",
            "role": "admin", "is_admin": "1", "active": "0", "id": "999"}


def smuggled(world) -> dict:
    return {k: v.format(other=world.other, queue=world.queue) for k, v in SMUGGLED.items()}


def columns(model, record_id: int) -> dict:
    record = db.session.get(model, record_id)
    db.session.refresh(record)
    return {c.key: getattr(record, c.key) for c in sa.inspect(model).columns
            if c.key not in ("updated_at", "updated_by_id", "search_text")}


def test_a_rep_cannot_smuggle_fields_into_a_lead(app, world):
    rep = client_for(app, "rep@example.com")
    with app.app_context():
        before = columns(Lead, world.own_lead)
    form = {"last_name": OWN_LEAD, "company": "Heron SA", "first_name": "Hugo", "email": "heron@example.net",
            "status": before["status_id"], "owner": world.rep, "confirm_duplicate": "1", **smuggled(world)}
    response = post(rep, f"/leads/{world.own_lead}/edit", form)
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    with app.app_context():
        after = columns(Lead, world.own_lead)
    assert after == before


def test_a_rep_cannot_smuggle_fields_into_an_account_contact_or_opportunity(app, world):
    rep = client_for(app, "rep@example.com")
    with app.app_context():
        account_before = columns(Account, world.own_account)
        opportunity_before = columns(Opportunity, world.own_opportunity)
    response = post(rep, f"/accounts/{world.own_account}/edit",
                    {"name": account_before["name"], "owner_id": world.rep,
                     **{k: v for k, v in smuggled(world).items() if k != "owner_id"}})
    assert response.status_code == 303
    opportunity = {"name": opportunity_before["name"], "account_id": world.own_account, "owner_id": world.rep,
                   "pipeline_id": opportunity_before["pipeline_id"], "stage_id": opportunity_before["stage_id"],
                   "close_date": str(opportunity_before["close_date"] or "2030-01-31"), "loss_reason": "",
                   "stage_entered_at": "2001-01-01", "probability_source": "x",
                   **{k: v for k, v in smuggled(world).items() if k != "owner_id"}}
    response = post(rep, f"/opportunities/{world.own_opportunity}/edit", opportunity)
    assert response.status_code == 303, re.findall(r'field-error[^<]*', response.get_data(as_text=True))
    with app.app_context():
        assert columns(Account, world.own_account) == account_before
        after = columns(Opportunity, world.own_opportunity)
        assert {k: v for k, v in after.items() if k != "close_date"} == \
            {k: v for k, v in opportunity_before.items() if k != "close_date"}


def test_a_rep_cannot_make_themselves_admin_from_the_profile(app, world):
    rep = client_for(app, "rep@example.com")
    response = post(rep, "/profile/preferences", {"locale": "fr", **smuggled(world)})
    assert response.status_code == 303
    with app.app_context():
        me = db.session.get(User, world.rep)
        assert (me.role, me.active, me.locale, me.id) == ("rep", True, "fr", world.rep)


def test_a_rep_cannot_create_a_user_or_change_a_role(app, world):
    rep = client_for(app, "rep@example.com")
    assert post(rep, f"/admin/users/{world.rep}/edit", {"name": "Remy", "email": "rep@example.com",
                                                        "role": "admin"}).status_code == 403
    assert post(rep, "/admin/users/new", {"name": "X", "email": "x@example.com", "role": "admin",
                                          "password": "a long password 1", "confirm": "a long password 1"}
                ).status_code == 403
    with app.app_context():
        assert db.session.get(User, world.rep).role == "rep"
        assert db.session.scalar(sa.select(User).where(User.email == "x@example.com")) is None


def test_change_owner_in_private_mode_touches_only_visible_leads(app, world):
    with app.app_context():
        set_mode("private")
        other_before = lead_owner(world.other_lead)
    rep = client_for(app, "rep@example.com")
    response = post(rep, "/leads/change-owner", {"target": f"user:{world.rep}", "next": "/leads",
                                                 "lead_ids": [str(world.other_lead), str(world.queue_lead)]})
    assert response.status_code == 303
    with app.app_context():
        assert lead_owner(world.other_lead) == other_before  # hidden: untouched
        assert lead_owner(world.queue_lead)[:2] == (world.rep, None)  # the queue's lead: taken


def test_a_rep_keeps_no_record_by_giving_it_away_in_private_mode(app, world):
    """Giving one's own lead to another rep is allowed; it then answers 404 to the giver."""
    with app.app_context():
        set_mode("private")
    rep = client_for(app, "rep@example.com")
    assert rep.get(f"/leads/{world.own_lead}").status_code == 200
    response = post(rep, "/leads/change-owner", {"target": f"user:{world.other}", "next": "/leads",
                                                 "lead_ids": [str(world.own_lead)]})
    assert response.status_code == 303
    assert rep.get(f"/leads/{world.own_lead}").status_code == 404
    assert OTHER_LEAD not in rep.get("/leads?view=all").get_data(as_text=True)


def test_a_rep_saving_a_lead_for_someone_else_lands_on_the_list_in_private_mode(app, world):
    with app.app_context():
        set_mode("private")
    rep = client_for(app, "rep@example.com")
    response = post(rep, "/leads/new", {"last_name": "Givenaway", "company": "Gift SA", "owner": str(world.other)})
    assert response.status_code == 303 and response.headers["Location"] == "/leads"
    with app.app_context():
        given = db.session.scalar(sa.select(Lead).where(Lead.last_name == "Givenaway"))
        assert given.owner_id == world.other
        assert rep.get(f"/leads/{given.id}").status_code == 404
    mine = post(rep, "/leads/new", {"last_name": "Keptmine", "company": "Kept SA", "owner": str(world.rep)})
    assert mine.status_code == 303 and mine.headers["Location"].startswith("/leads/")


def test_a_rep_cannot_pick_a_hidden_parent_account(app, world):
    with app.app_context():
        set_mode("private")
    rep = client_for(app, "rep@example.com")
    response = post(rep, f"/accounts/{world.own_account}/edit",
                    {"name": "Ownaccountia Ltd", "owner_id": str(world.rep), "parent_id": str(world.other_account)})
    assert response.status_code == 422
    assert "Quixotania" not in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Account, world.own_account).parent_id is None
