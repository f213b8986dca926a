"""Private sharing in every listing: lists, searches (page and htmx fragment), boards, the
Duplicates page, typeaheads, campaign members, related lists of a record, reports, exports and
the home page. A rep's response never holds the name of another rep's record; the manager's
and the admin's do (so each page does list records, and the rep's absence is sharing's)."""

import io
import zipfile

from crm.extensions import db
from tests.factories import make_lead
from tests.sharing.world import (
    HIDDEN_ON_OWN_ACCOUNT,
    OTHER_ACCOUNT,
    OTHER_CONTACT,
    OTHER_INVOICE,
    OTHER_LEAD,
    OTHER_MERGED,
    OTHER_NOTE,
    OTHER_OPPORTUNITY,
    OTHER_ORDER,
    OTHER_SOURCE,
    OTHER_TASK,
    OWN_LEAD,
    OWN_OPPORTUNITY,
    QUEUE_LEAD,
    client_for,
    post,
    set_mode,
)

HX = {"HX-Request": "true"}


def text(response) -> str:
    """The response as text; a spreadsheet's cells are in the XML files of its zip."""
    data = response.get_data()
    if data.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(data)) as book:
            return "".join(book.read(name).decode() for name in book.namelist() if name.endswith(".xml"))
    return data.decode()


def listings(world) -> list[tuple[str, dict, tuple[str, ...]]]:
    """(path, headers, names of the other rep's records the path lists for a manager). A search
    types the start of a name: the page echoes what was typed, never the whole name."""
    return [
        ("/leads?view=all", {}, (OTHER_LEAD, OTHER_MERGED)),
        ("/leads?view=all_open", HX, (OTHER_LEAD,)),
        (f"/leads?view=all&q={OTHER_LEAD[:-3]}", {}, (OTHER_LEAD,)),
        (f"/leads?view=all&q={OTHER_LEAD[:-3]}", HX, (OTHER_LEAD,)),
        ("/leads?view=all&sort=-owner", HX, (OTHER_LEAD,)),
        ("/leads/board", {}, (OTHER_LEAD,)),
        ("/leads/duplicates", {}, (OTHER_LEAD,)),
        ("/accounts?view=all", {}, (OTHER_ACCOUNT,)),
        (f"/accounts?view=all&q={OTHER_ACCOUNT[:-3]}", HX, (OTHER_ACCOUNT,)),
        (f"/accounts/lookup?q={OTHER_ACCOUNT[:-3]}", HX, (OTHER_ACCOUNT,)),
        ("/contacts?view=all", {}, (OTHER_CONTACT,)),
        (f"/contacts?view=all&q={OTHER_CONTACT[:-3]}", HX, (OTHER_CONTACT,)),
        ("/opportunities?view=all", {}, (OTHER_OPPORTUNITY, HIDDEN_ON_OWN_ACCOUNT)),
        (f"/opportunities?view=all&q={OTHER_OPPORTUNITY[:-3]}", HX, (OTHER_OPPORTUNITY,)),
        (f"/opportunities?view=all&account={world.other_account}", {}, (OTHER_OPPORTUNITY,)),
        ("/opportunities/board", {}, (OTHER_OPPORTUNITY,)),
        # Quotes, orders and invoices are named after their deal.
        ("/quotes", {}, (OTHER_ORDER, OTHER_INVOICE)),
        ("/quotes?status=Accepted", HX, (OTHER_ORDER,)),
        ("/orders", {}, (OTHER_ORDER, OTHER_INVOICE)),
        ("/orders", HX, (OTHER_ORDER,)),
        ("/invoices", {}, (OTHER_INVOICE,)),
        ("/invoices", HX, (OTHER_INVOICE,)),
        (f"/opportunities/{world.own_opportunity}/contact-roles/lookup?contact_q={OTHER_CONTACT[:-3]}", HX,
         (OTHER_CONTACT,)),
        (f"/opportunities/{world.own_opportunity}?contact_q={OTHER_CONTACT[:-3]}", {}, (OTHER_CONTACT,)),
        (f"/campaigns/{world.campaign}", {}, (OTHER_LEAD,)),
        (f"/campaigns/{world.campaign}/lookup?member_q={OTHER_LEAD[:-3]}", HX, (OTHER_LEAD,)),
        (f"/accounts/{world.own_account}", {}, (HIDDEN_ON_OWN_ACCOUNT,)),  # its deals and its timeline
        (f"/activities/account/{world.own_account}", HX, (HIDDEN_ON_OWN_ACCOUNT,)),
        ("/reports/leads", {}, (OTHER_SOURCE,)),
        ("/leads/export.csv?view=all", {}, (OTHER_LEAD,)),
        ("/leads/export.xlsx?view=all", {}, (OTHER_LEAD,)),
        ("/accounts/export.csv?view=all", {}, (OTHER_ACCOUNT,)),
        ("/contacts/export.csv?view=all", {}, (OTHER_CONTACT,)),
        ("/opportunities/export.csv?view=all", {}, (OTHER_OPPORTUNITY,)),
    ]


def test_a_rep_in_private_mode_lists_none_of_another_reps_records(app, world):
    with app.app_context():
        set_mode("private")
    rep, manager, admin = (client_for(app, f"{who}@example.com") for who in ("rep", "manager", "admin"))
    hidden = (OTHER_LEAD, OTHER_MERGED, OTHER_ACCOUNT, OTHER_CONTACT, OTHER_OPPORTUNITY, OTHER_TASK, OTHER_NOTE,
              OTHER_SOURCE, HIDDEN_ON_OWN_ACCOUNT)
    for path, headers, listed in listings(world):
        response = rep.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        body = text(response)
        for name in hidden:
            assert name not in body, f"{name} shows to the rep on {path}"
        for client in (manager, admin):
            seen = client.get(path, headers=headers)
            assert seen.status_code == 200, path
            for name in listed:
                assert name in text(seen), f"{name} missing for {client} on {path}"


def test_a_rep_in_private_mode_still_lists_their_own_and_their_queues(app, world):
    with app.app_context():
        set_mode("private")
    rep = client_for(app, "rep@example.com")
    leads = rep.get("/leads?view=all").get_data(as_text=True)
    assert OWN_LEAD in leads and QUEUE_LEAD in leads
    assert QUEUE_LEAD in rep.get("/leads?view=my_queues").get_data(as_text=True)
    assert OWN_OPPORTUNITY in rep.get("/opportunities/board").get_data(as_text=True)
    assert OWN_LEAD in rep.get("/leads/export.csv?view=all").get_data(as_text=True)


def test_exports_of_a_rep_hold_only_their_rows(app, world):
    with app.app_context():
        set_mode("private")
    rep, manager = client_for(app, "rep@example.com"), client_for(app, "manager@example.com")
    rep_rows = rep.get("/leads/export.csv?view=all").get_data(as_text=True).strip().splitlines()
    manager_rows = manager.get("/leads/export.csv?view=all").get_data(as_text=True).strip().splitlines()
    assert len(rep_rows) == 1 + 2  # header, own lead, the queue's lead
    assert len(manager_rows) > len(rep_rows)


def test_reports_count_only_what_the_rep_may_see(app, world):
    with app.app_context():
        set_mode("private")
    rep, manager = client_for(app, "rep@example.com"), client_for(app, "manager@example.com")
    # Live leads: the other rep's two (and the merged one), the queue's, the rep's own.
    assert "Total,5" in manager.get("/reports/leads/export.csv").get_data(as_text=True)
    assert "Total,2" in rep.get("/reports/leads/export.csv").get_data(as_text=True)


def test_public_mode_lists_everything_to_the_rep(app, world):
    rep = client_for(app, "rep@example.com")
    assert OTHER_LEAD in rep.get("/leads?view=all").get_data(as_text=True)
    assert OTHER_ACCOUNT in rep.get(f"/accounts/lookup?q={OTHER_ACCOUNT[:-3]}", headers=HX).get_data(as_text=True)
    assert OTHER_OPPORTUNITY in rep.get("/opportunities/board").get_data(as_text=True)


def test_recently_viewed_forgets_what_is_no_longer_visible(app, world):
    rep = client_for(app, "rep@example.com")
    assert rep.get(f"/leads/{world.other_lead}").status_code == 200  # public: opened, remembered
    assert OTHER_LEAD in rep.get("/").get_data(as_text=True)
    assert OTHER_LEAD in rep.get("/leads?view=recent").get_data(as_text=True)
    with app.app_context():
        set_mode("private")
    assert OTHER_LEAD not in rep.get("/").get_data(as_text=True)
    assert OTHER_LEAD not in rep.get("/leads?view=recent").get_data(as_text=True)


def test_a_task_assigned_to_the_rep_shows_in_my_tasks_whoever_owns_its_record(app, world):
    from crm.models import Activity

    with app.app_context():
        task = db.session.get(Activity, world.task)
        task.assignee_id = world.rep
        db.session.commit()
        set_mode("private")
    rep = client_for(app, "rep@example.com")
    assert OTHER_TASK in rep.get("/").get_data(as_text=True)
    done = post(rep, f"/activities/{world.task}/done", {"done": "1", "view": "my-tasks"})
    assert done.status_code == 303
    with app.app_context():
        assert db.session.get(Activity, world.task).done is True


def test_convert_offers_only_visible_matching_accounts(app, world):
    with app.app_context():
        rep_user = db.session.get(__import__("crm.models", fromlist=["User"]).User, world.rep)
        lead = make_lead(actor=rep_user, last_name="Match", company=f"{OTHER_ACCOUNT} Ltd")
        lead_id = lead.id
        set_mode("private")
    radio = f'name="account_id" value="{world.other_account}"'
    rep, manager = client_for(app, "rep@example.com"), client_for(app, "manager@example.com")
    assert radio in manager.get(f"/leads/{lead_id}/convert").get_data(as_text=True)
    assert radio not in rep.get(f"/leads/{lead_id}/convert").get_data(as_text=True)
    # Posting the hidden account's id anyway is refused beside the field, nothing converted.
    response = post(rep, f"/leads/{lead_id}/convert", {"account_id": str(world.other_account), "contact_id": "new",
                                                       "opportunity_id": "none", "owner": str(world.rep)})
    assert response.status_code == 422


def test_a_hidden_lead_cannot_join_a_campaign(app, world):
    with app.app_context():
        set_mode("private")
    rep = client_for(app, "rep@example.com")
    response = post(rep, f"/campaigns/{world.campaign}/members", {"add-member": f"lead:{world.twin}",
                                                                  "add-status": "Sent"})
    assert response.status_code == 422
    assert OTHER_LEAD not in response.get_data(as_text=True)


def test_a_hidden_contact_cannot_take_a_role_on_the_reps_deal(app, world):
    with app.app_context():
        set_mode("private")
    rep = client_for(app, "rep@example.com")
    response = post(rep, f"/opportunities/{world.own_opportunity}/contact-roles",
                    {"add-contact_id": str(world.other_contact), "add-role": "Decision Maker"})
    assert response.status_code == 422
    assert OTHER_CONTACT not in response.get_data(as_text=True)
