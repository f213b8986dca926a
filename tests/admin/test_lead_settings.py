"""Lead statuses and picklists: the services' rules, then the admin pages over HTTP."""

import re

import pytest
import sqlalchemy as sa

from crm.admin import lead_settings_services as services
from crm.extensions import db
from crm.leads import services as lead_services
from crm.models import Lead, LeadStatus, PicklistValue
from tests.conftest import PASSWORD, csrf_token, login, stored
from tests.factories import make_lead, make_user

HX = {"HX-Request": "true"}


def status_named(label: str) -> LeadStatus:
    return db.session.scalar(sa.select(LeadStatus).where(LeadStatus.label == label))


def value_named(picklist: str, label: str) -> PicklistValue:
    return db.session.scalar(sa.select(PicklistValue).filter_by(picklist=picklist, label=label))


def flagged(column) -> list[str]:
    return list(db.session.scalars(sa.select(LeadStatus.label).where(column)))


def ordered_statuses() -> list[str]:
    return [s.label for s in services.statuses()]


def ordered_values(picklist: str) -> list[str]:
    return [v.label for v in services.picklist_values(picklist)]


# Services: lead statuses

def test_switching_the_default_leaves_exactly_one(app_ctx):
    services.set_default_status(status_named("Working - Contacted"))
    db.session.commit()
    assert flagged(LeadStatus.is_default) == ["Working - Contacted"]
    assert lead_services.default_status().label == "Working - Contacted"
    services.set_default_status(status_named("Working - Contacted"))  # again: still exactly one
    db.session.commit()
    assert flagged(LeadStatus.is_default) == ["Working - Contacted"]
    # Back to a status with a lower id: the unit of work would set it before clearing the old one.
    services.set_default_status(status_named("Open - Not Contacted"))
    db.session.commit()
    assert flagged(LeadStatus.is_default) == ["Open - Not Contacted"]


def test_the_converted_status_cannot_be_the_default(app_ctx):
    with pytest.raises(services.DefaultCannotBeConverted):
        services.set_default_status(status_named("Closed - Converted"))
    with pytest.raises(services.DefaultCannotBeConverted):
        services.set_converted_status(status_named("Open - Not Contacted"))
    assert flagged(LeadStatus.is_default) == ["Open - Not Contacted"]
    assert flagged(LeadStatus.is_converted) == ["Closed - Converted"]


def test_switching_the_converted_status_leaves_exactly_one_and_closes_it(app_ctx):
    won = services.create_status(label="Won", is_closed=False)
    services.set_converted_status(won)
    db.session.commit()
    assert flagged(LeadStatus.is_converted) == ["Won"]
    assert won.is_closed
    services.set_converted_status(status_named("Working - Contacted"))  # a lower id than the current one
    db.session.commit()
    assert flagged(LeadStatus.is_converted) == ["Working - Contacted"]
    assert status_named("Working - Contacted").is_closed


def test_the_converted_status_stays_while_converted_leads_are_in_it(app_ctx):
    make_lead(status="Closed - Converted")
    with pytest.raises(services.ConvertedInUse) as raised:
        services.set_converted_status(status_named("Working - Contacted"))
    assert raised.value.count == 1
    db.session.rollback()
    assert flagged(LeadStatus.is_converted) == ["Closed - Converted"]


def test_the_converted_status_is_always_closed(app_ctx):
    converted = status_named("Closed - Converted")
    with pytest.raises(services.ConvertedMustBeClosed):
        services.update_status(converted, label="Converted", is_closed=False)
    services.update_status(converted, label="Converted", is_closed=True)
    assert converted.label == "Converted"


def test_a_new_status_goes_last_and_labels_are_unique_whatever_the_case(app_ctx):
    services.create_status(label="  Nurturing ")
    assert ordered_statuses()[-1] == "Nurturing"
    with pytest.raises(services.LabelTaken):
        services.create_status(label="NURTURING")
    with pytest.raises(services.LabelTaken):
        services.update_status(status_named("Nurturing"), label="working - contacted", is_closed=False)
    services.update_status(status_named("Nurturing"), label="NURTURING", is_closed=False)  # its own label
    assert ordered_statuses()[-1] == "NURTURING"


def test_move_a_status_up_and_down(app_ctx):
    assert services.move_status(status_named("Closed - Not Converted"), "up")
    assert ordered_statuses() == ["Open - Not Contacted", "Working - Contacted", "Closed - Not Converted",
                                  "Closed - Converted"]
    assert not services.move_status(status_named("Open - Not Contacted"), "up")  # already first
    assert services.move_status(status_named("Open - Not Contacted"), "down")
    assert ordered_statuses()[:2] == ["Working - Contacted", "Open - Not Contacted"]
    assert [s.position for s in services.statuses()] == [1, 2, 3, 4]


def test_a_status_in_use_is_not_deleted(app_ctx):
    working = status_named("Working - Contacted")
    make_lead(status="Working - Contacted")
    deleted = make_lead(status="Working - Contacted")
    lead_services.delete_lead(deleted, actor=make_user())  # the recycle bin still holds it
    with pytest.raises(services.StatusInUse) as raised:
        services.delete_status(working)
    assert raised.value.count == 2
    assert status_named("Working - Contacted") is not None


def test_the_default_and_converted_statuses_are_not_deleted(app_ctx):
    with pytest.raises(services.LastDefault):
        services.delete_status(status_named("Open - Not Contacted"))
    with pytest.raises(services.LastConverted):
        services.delete_status(status_named("Closed - Converted"))


def test_an_unused_status_is_deleted_and_the_order_closes_up(app_ctx):
    services.delete_status(status_named("Working - Contacted"))
    db.session.commit()
    assert ordered_statuses() == ["Open - Not Contacted", "Closed - Converted", "Closed - Not Converted"]
    assert [s.position for s in services.statuses()] == [1, 2, 3]


# Services: picklists

def test_rename_a_value_rewrites_the_leads_of_that_picklist_only(app_ctx):
    # "Other" is both an industry and a lead source: only the industry is renamed.
    lead = make_lead(industry="Other", lead_source="Other")
    untouched = make_lead(industry="Banking")
    assert services.rename_value(value_named("industry", "Other"), label="Miscellaneous") == 1
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Lead, lead.id).industry == "Miscellaneous"
    assert db.session.get(Lead, lead.id).lead_source == "Other"
    assert db.session.get(Lead, untouched.id).industry == "Banking"
    assert "Miscellaneous" in lead_services.picklist("industry")
    assert "Other" in lead_services.picklist("lead_source")


def test_rename_to_a_value_of_the_same_picklist_is_refused(app_ctx):
    lead = make_lead(rating="Hot")
    with pytest.raises(services.LabelTaken):
        services.rename_value(value_named("rating", "Hot"), label="warm")
    db.session.rollback()
    assert db.session.get(Lead, lead.id).rating == "Hot"
    services.rename_value(value_named("rating", "Hot"), label="HOT")  # a new case is fine
    assert db.session.get(Lead, lead.id).rating == "HOT"


def test_add_values_unique_within_their_picklist(app_ctx):
    services.add_value("rating", label="Frozen")
    assert ordered_values("rating") == ["Hot", "Warm", "Cold", "Frozen"]
    with pytest.raises(services.LabelTaken):
        services.add_value("rating", label=" frozen ")
    services.add_value("industry", label="Frozen")  # another picklist may have it


def test_an_inactive_value_is_not_offered_but_leads_keep_it(app_ctx):
    lead = make_lead(rating="Cold")
    services.set_value_active(value_named("rating", "Cold"), False)
    db.session.commit()
    assert lead_services.picklist("rating") == ["Hot", "Warm"]
    assert db.session.get(Lead, lead.id).rating == "Cold"
    services.set_value_active(value_named("rating", "Cold"), True)
    assert lead_services.picklist("rating") == ["Hot", "Warm", "Cold"]


def test_a_value_in_use_is_not_deleted(app_ctx):
    make_lead(rating="Warm")
    with pytest.raises(services.ValueInUse) as raised:
        services.delete_value(value_named("rating", "Warm"))
    assert raised.value.count == 1
    services.delete_value(value_named("rating", "Cold"))
    assert ordered_values("rating") == ["Hot", "Warm"]
    assert [v.position for v in services.picklist_values("rating")] == [1, 2]


def test_move_a_value(app_ctx):
    assert services.move_value(value_named("rating", "Cold"), "up")
    assert ordered_values("rating") == ["Hot", "Cold", "Warm"]
    assert not services.move_value(value_named("rating", "Warm"), "down")


# HTTP

def post(client, path, data=None, **kwargs):
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/")}, **kwargs)


def check(app, query):
    with app.app_context():
        return query()


@pytest.mark.parametrize(("path", "list_id", "expected"), [
    ("/admin/lead-statuses", "lead-status-list", "Working - Contacted"),
    ("/admin/picklists/rating", "picklist-list", "Warm"),
    ("/admin/picklists/lead_source", "picklist-list", "Trade Show"),
    ("/admin/picklists/industry", "picklist-list", "Healthcare"),
])
def test_each_list_is_a_page_and_a_fragment(admin_client, path, list_id, expected):
    page = admin_client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html
    assert f'id="{list_id}"' in html and expected in html
    assert 'class="admin-nav"' in html and "Add a" in html
    fragment = admin_client.get(path, headers=HX)
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith(f'<div id="{list_id}"') and expected in body
    assert "HX-Request" in fragment.headers["Vary"]


def test_the_picklists_index_lists_the_three(admin_client):
    html = admin_client.get("/admin/picklists").get_data(as_text=True)
    for name, title in [("lead_source", "Lead source"), ("industry", "Industry"), ("rating", "Rating")]:
        assert f'<a href="/admin/picklists/{name}">{title}</a>' in html
    assert "3 values" in html  # the rating


def test_the_admin_navigation_marks_the_current_section(admin_client):
    users = admin_client.get("/admin/users").get_data(as_text=True)
    assert '<a href="/admin/users" aria-current="page">Users</a>' in users
    statuses = admin_client.get("/admin/lead-statuses").get_data(as_text=True)
    assert '<a href="/admin/lead-statuses" aria-current="page">Lead statuses</a>' in statuses
    assert '<a href="/admin/users">Users</a>' in statuses
    rating = admin_client.get("/admin/picklists/rating").get_data(as_text=True)
    assert '<a href="/admin/picklists" aria-current="true">Picklists</a>' in rating


ADMIN_URLS = [
    ("get", "/admin/lead-statuses"), ("post", "/admin/lead-statuses"),
    ("get", "/admin/lead-statuses/1/edit"), ("post", "/admin/lead-statuses/1/edit"),
    ("post", "/admin/lead-statuses/2/move"), ("post", "/admin/lead-statuses/2/default"),
    ("post", "/admin/lead-statuses/2/converted"), ("post", "/admin/lead-statuses/2/delete"),
    ("get", "/admin/picklists"), ("get", "/admin/picklists/rating"), ("post", "/admin/picklists/rating"),
    ("get", "/admin/picklists/rating/{hot}/edit"), ("post", "/admin/picklists/rating/{hot}/edit"),
    ("post", "/admin/picklists/rating/{hot}/move"), ("post", "/admin/picklists/rating/{hot}/active"),
    ("post", "/admin/picklists/rating/{hot}/delete"),
]


def hot_id(app) -> int:
    return check(app, lambda: value_named("rating", "Hot").id)


@pytest.mark.parametrize(("method", "path"), ADMIN_URLS)
def test_reps_and_managers_get_403(app, client, method, path):
    stored(app, make_user, email="boss@example.com", role="manager")
    stored(app, make_user, email="rep@example.com", role="rep")
    path = path.format(hot=hot_id(app))
    for email in ("boss@example.com", "rep@example.com"):
        login(client, email, PASSWORD)
        if method == "get":
            assert client.get(path).status_code == 403
        else:
            assert post(client, path, {"label": "Hacked", "direction": "up", "active": "0"}).status_code == 403
        post(client, "/logout")
    assert check(app, lambda: value_named("rating", "Hot") and status_named("Working - Contacted")) is not None
    assert check(app, lambda: status_named("Hacked")) is None


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/admin/lead-statuses").status_code == 302


def test_unknown_picklists_statuses_and_values_are_404(app, admin_client):
    assert admin_client.get("/admin/picklists/salutation").status_code == 404
    assert post(admin_client, "/admin/picklists/status", {"label": "x"}).status_code == 404
    assert admin_client.get("/admin/lead-statuses/999/edit").status_code == 404
    assert post(admin_client, "/admin/lead-statuses/999/delete").status_code == 404
    # A value is only reachable under its own picklist.
    assert admin_client.get(f"/admin/picklists/industry/{hot_id(app)}/edit").status_code == 404
    assert post(admin_client, f"/admin/picklists/industry/{hot_id(app)}/delete").status_code == 404


def test_posts_without_the_csrf_token_are_refused(app, admin_client):
    response = admin_client.post("/admin/lead-statuses", data={"label": "Sneaky"})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    response = admin_client.post("/admin/lead-statuses/4/move", data={"direction": "up"}, headers=HX)
    assert response.status_code == 400
    assert admin_client.post(f"/admin/picklists/rating/{hot_id(app)}/delete").status_code == 400
    assert check(app, lambda: status_named("Sneaky")) is None
    assert check(app, ordered_statuses)[-1] == "Closed - Not Converted"
    assert check(app, lambda: value_named("rating", "Hot")) is not None


def test_add_a_status_without_javascript(app, admin_client):
    response = post(admin_client, "/admin/lead-statuses", {"label": "  Nurturing ", "is_closed": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/lead-statuses"
    status = check(app, lambda: status_named("Nurturing"))
    assert status.is_closed and not status.is_default and status.position == 5
    assert "Status Nurturing added." in admin_client.get("/admin/lead-statuses").get_data(as_text=True)


def test_add_a_status_with_htmx_refreshes_the_form_and_the_list(app, admin_client):
    response = post(admin_client, "/admin/lead-statuses", {"label": "Nurturing"}, headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith('<form id="lead-status-form"') and 'value=""' in body  # a fresh form
    assert '<div id="lead-status-list" class="settings-list" hx-target="this" hx-swap="outerHTML" ' \
           'hx-swap-oob="true">' in body
    assert "Move Nurturing up" in body
    assert 'id="messages"' in body and "Status Nurturing added." in body


@pytest.mark.parametrize(("label", "error"), [
    ("", "This field is required."),
    ("   ", "This field is required."),
    ("x" * 61, "Field cannot be longer than 60 characters."),
    ("working - CONTACTED", "A status with this label already exists."),
])
def test_invalid_status_labels_are_422_beside_the_field(app, admin_client, label, error):
    response = post(admin_client, "/admin/lead-statuses", {"label": label}, headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.startswith('<form id="lead-status-form"') and "<html" not in body
    assert f'<p class="field-error" id="label-error">{error}</p>' in body
    assert 'aria-invalid="true"' in body
    if label.strip():
        assert f'value="{label}"' in body  # what was typed is kept
    assert check(app, lambda: db.session.scalar(sa.select(sa.func.count()).select_from(LeadStatus))) == 4


def test_invalid_status_without_javascript_is_the_whole_page(admin_client):
    response = post(admin_client, "/admin/lead-statuses", {"label": "Open - not contacted"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" in html and 'id="lead-status-list"' in html
    assert "A status with this label already exists." in html


def test_edit_a_status(app, admin_client):
    working = check(app, lambda: status_named("Working - Contacted"))
    page = admin_client.get(f"/admin/lead-statuses/{working.id}/edit").get_data(as_text=True)
    assert 'value="Working - Contacted"' in page and 'aria-current="true">Lead statuses' in page
    response = post(admin_client, f"/admin/lead-statuses/{working.id}/edit", {"label": "Contacted", "is_closed": "y"},
                    headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/admin/lead-statuses"
    renamed = check(app, lambda: db.session.get(LeadStatus, working.id))
    assert (renamed.label, renamed.is_closed) == ("Contacted", True)


def test_the_converted_status_cannot_be_reopened(app, admin_client):
    converted = check(app, lambda: status_named("Closed - Converted"))
    response = post(admin_client, f"/admin/lead-statuses/{converted.id}/edit", {"label": "Converted"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert '<p class="field-error" id="is_closed-error">The converted status is always closed.</p>' in html
    assert 'value="Converted"' in html
    assert check(app, lambda: db.session.get(LeadStatus, converted.id).label) == "Closed - Converted"


def test_move_a_status_up_with_htmx_and_without(app, admin_client):
    last = check(app, lambda: status_named("Closed - Not Converted"))
    response = post(admin_client, f"/admin/lead-statuses/{last.id}/move", {"direction": "up"}, headers=HX)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert body.startswith('<div id="lead-status-list"')
    assert body.index("Move Closed - Not Converted up") < body.index("Move Closed - Converted up")
    assert "Closed - Not Converted moved up." in body
    assert check(app, ordered_statuses)[2] == "Closed - Not Converted"

    response = post(admin_client, f"/admin/lead-statuses/{last.id}/move", {"direction": "down"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/lead-statuses"
    assert check(app, ordered_statuses)[3] == "Closed - Not Converted"
    assert post(admin_client, f"/admin/lead-statuses/{last.id}/move", {"direction": "sideways"}).status_code == 400


def test_make_another_status_the_default_and_the_converted_one(app, admin_client):
    working = check(app, lambda: status_named("Working - Contacted"))
    response = post(admin_client, f"/admin/lead-statuses/{working.id}/default", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "New leads now start as Working - Contacted." in body
    assert f'<span class="badge ok" id="lead-status-{working.id}-default" tabindex="-1">Yes</span>' in body
    assert "Make default<span class=\"visually-hidden\"> Open - Not Contacted</span>" in body
    assert check(app, lambda: flagged(LeadStatus.is_default)) == ["Working - Contacted"]

    lost = check(app, lambda: status_named("Closed - Not Converted"))
    response = post(admin_client, f"/admin/lead-statuses/{lost.id}/converted")
    assert response.status_code == 303
    assert check(app, lambda: flagged(LeadStatus.is_converted)) == ["Closed - Not Converted"]

    # The default cannot become the converted status: refused with a message, nothing changes.
    response = post(admin_client, f"/admin/lead-statuses/{working.id}/converted", headers=HX)
    assert "The default status for new leads cannot be the converted status." in response.get_data(as_text=True)
    assert check(app, lambda: flagged(LeadStatus.is_converted)) == ["Closed - Not Converted"]


def test_a_status_in_use_says_how_many_leads_use_it(app, admin_client):
    for _ in range(2):
        stored(app, make_lead, status="Working - Contacted")
    working = check(app, lambda: status_named("Working - Contacted"))
    response = post(admin_client, f"/admin/lead-statuses/{working.id}/delete", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith('<div id="lead-status-list"')
    assert "Working - Contacted cannot be deleted: 2 leads are in this status." in body
    assert re.search(r'data-label="Leads">2<', body)
    assert check(app, lambda: status_named("Working - Contacted")) is not None

    default = check(app, lambda: status_named("Open - Not Contacted"))
    response = post(admin_client, f"/admin/lead-statuses/{default.id}/delete")
    assert response.status_code == 303
    follow = admin_client.get("/admin/lead-statuses").get_data(as_text=True)
    assert "Open - Not Contacted is the default status for new leads" in follow


def test_delete_an_unused_status(app, admin_client):
    lost = check(app, lambda: status_named("Closed - Not Converted"))
    response = post(admin_client, f"/admin/lead-statuses/{lost.id}/delete", headers=HX)
    body = response.get_data(as_text=True)
    assert "Status Closed - Not Converted deleted." in body and "Move Closed - Not Converted" not in body
    assert 'tabindex="-1" autofocus' in body  # the list takes the focus of the removed button
    assert check(app, lambda: status_named("Closed - Not Converted")) is None


def test_add_picklist_values(app, admin_client):
    response = post(admin_client, "/admin/picklists/rating", {"label": "Frozen"}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.startswith('<form id="picklist-value-form"')
    assert 'id="picklist-list"' in body and 'hx-swap-oob="true"' in body and "Move Frozen up" in body
    assert check(app, lambda: ordered_values("rating")) == ["Hot", "Warm", "Cold", "Frozen"]

    response = post(admin_client, "/admin/picklists/rating", {"label": "FROZEN"}, headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "This list already has this value." in body and 'value="FROZEN"' in body
    response = post(admin_client, "/admin/picklists/rating", {"label": "y" * 81})
    assert response.status_code == 422
    assert "Field cannot be longer than 80 characters." in response.get_data(as_text=True)
    assert check(app, lambda: ordered_values("rating")) == ["Hot", "Warm", "Cold", "Frozen"]

    response = post(admin_client, "/admin/picklists/industry", {"label": "Frozen"})  # another picklist
    assert response.status_code == 303 and response.headers["Location"] == "/admin/picklists/industry"


def test_rename_a_value_rewrites_the_leads(app, admin_client):
    lead = stored(app, make_lead, rating="Hot")
    other = stored(app, make_lead, rating="Warm")
    hot = hot_id(app)
    page = admin_client.get(f"/admin/picklists/rating/{hot}/edit").get_data(as_text=True)
    assert "1 lead has this value: it will get the new label." in page
    response = post(admin_client, f"/admin/picklists/rating/{hot}/edit", {"label": "Very hot"})
    assert response.status_code == 303 and response.headers["Location"] == "/admin/picklists/rating"
    assert check(app, lambda: db.session.get(Lead, lead.id).rating) == "Very hot"
    assert check(app, lambda: db.session.get(Lead, other.id).rating) == "Warm"
    html = admin_client.get("/admin/picklists/rating").get_data(as_text=True)
    assert "Value Very hot saved." in html and "Move Very hot up" in html


def test_rename_to_a_taken_value_is_422_and_changes_nothing(app, admin_client):
    lead = stored(app, make_lead, rating="Hot")
    response = post(admin_client, f"/admin/picklists/rating/{hot_id(app)}/edit", {"label": "cold"}, headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert body.startswith('<form id="picklist-value-form"') and "This list already has this value." in body
    assert check(app, lambda: db.session.get(Lead, lead.id).rating) == "Hot"


def test_deactivate_and_reactivate_a_value(app, admin_client):
    lead = stored(app, make_lead, rating="Hot")
    hot = hot_id(app)
    response = post(admin_client, f"/admin/picklists/rating/{hot}/active", {"active": "0"}, headers=HX)
    body = response.get_data(as_text=True)
    assert body.startswith('<div id="picklist-list"') and "Reactivate<span" in body
    assert "Hot is no longer offered on lead forms" in body
    assert check(app, lambda: lead_services.picklist("rating")) == ["Warm", "Cold"]
    assert check(app, lambda: db.session.get(Lead, lead.id).rating) == "Hot"
    response = post(admin_client, f"/admin/picklists/rating/{hot}/active", {"active": "1"})
    assert response.status_code == 303
    assert check(app, lambda: lead_services.picklist("rating")) == ["Hot", "Warm", "Cold"]


def test_a_value_in_use_suggests_deactivating(app, admin_client):
    for _ in range(3):
        stored(app, make_lead, rating="Hot")
    response = post(admin_client, f"/admin/picklists/rating/{hot_id(app)}/delete", headers=HX)
    body = response.get_data(as_text=True)
    assert "Hot cannot be deleted: 3 leads use it. Deactivate it instead" in body
    assert check(app, lambda: value_named("rating", "Hot")) is not None

    cold = check(app, lambda: value_named("rating", "Cold").id)
    response = post(admin_client, f"/admin/picklists/rating/{cold}/delete")
    assert response.status_code == 303
    assert check(app, lambda: ordered_values("rating")) == ["Hot", "Warm"]


def test_move_a_value_with_htmx(app, admin_client):
    cold = check(app, lambda: value_named("rating", "Cold").id)
    response = post(admin_client, f"/admin/picklists/rating/{cold}/move", {"direction": "up"}, headers=HX)
    body = response.get_data(as_text=True)
    assert body.startswith('<div id="picklist-list"') and "Cold moved up." in body
    assert body.index("Move Cold up") < body.index("Move Warm up")
    assert check(app, lambda: ordered_values("rating")) == ["Hot", "Cold", "Warm"]


def test_loss_reasons_are_a_picklist_counted_and_renamed_on_opportunities(app, admin_client):
    from crm.models import Opportunity, Stage
    from crm.opportunities.services import change_stage
    from tests.factories import make_opportunity

    with app.app_context():
        rep = make_user()
        opportunity = make_opportunity(actor=rep)
        change_stage(opportunity, db.session.scalar(sa.select(Stage).filter_by(name="Closed Lost")), actor=rep,
                     loss_reason="Price")
        db.session.commit()
        opportunity_id, price_id = opportunity.id, value_named("loss_reason", "Price").id
    page = admin_client.get("/admin/picklists/loss_reason").get_data(as_text=True)
    assert "Loss reason" in page and "Lost to Competitor" in page and ">Opportunities<" in page
    token = csrf_token(admin_client, "/admin/picklists/loss_reason")
    refused = admin_client.post(f"/admin/picklists/loss_reason/{price_id}/delete", data={"csrf_token": token},
                                follow_redirects=True).get_data(as_text=True)
    assert "1 opportunity has it" in refused
    admin_client.post(f"/admin/picklists/loss_reason/{price_id}/edit", data={"csrf_token": token, "label": "Too dear"})
    with app.app_context():
        assert db.session.get(Opportunity, opportunity_id).loss_reason == "Too dear"
        assert value_named("loss_reason", "Price") is None
