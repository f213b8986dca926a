"""Lead services: capture, normalisation, status rules, duplicates, recycle bin, recently viewed."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from crm import lists
from crm.extensions import db
from crm.leads import queries, services
from crm.models import Lead, LeadStatus, RecentView
from crm.models.user import utcnow
from crm.search import MAX_QUERY
from tests.factories import make_lead, make_user


def status(label):
    return db.session.scalar(sa.select(LeadStatus).where(LeadStatus.label == label))


def test_create_lead_defaults_and_normalises(app_ctx):
    rep = make_user()
    lead = services.create_lead({
        "first_name": " Aparna ", "last_name": "Bosu", "company": "Get Cloudy West",
        "email": "Aparna@GoGetCloudyWest.com", "phone": "(415) 555-0132", "mobile": "not a number",
        "unknown_field": "ignored", "owner_id": 999,
    }, actor=rep)
    assert lead.first_name == "Aparna"
    assert lead.email == "aparna@gogetcloudywest.com"
    assert lead.phone == "(415) 555-0132" and lead.phone_e164 == "+14155550132"
    assert lead.mobile == "not a number" and lead.mobile_e164 is None
    assert lead.status.label == "Open - Not Contacted"
    assert lead.owner_id == rep.id and lead.created_by_id == rep.id and lead.updated_by_id == rep.id
    assert "aparna bosu get cloudy west" in lead.search_text


def test_search_text_folds_accents_and_case(app_ctx):
    lead = make_lead(first_name="Hélène", last_name="Lefèvre", company="Café Ærø")
    assert "helene lefevre cafe" in lead.search_text


def test_set_status_refuses_the_converted_status_and_converted_leads(app_ctx):
    rep = make_user()
    lead = make_lead(rep)
    services.set_status(lead, status("Working - Contacted"), actor=rep)
    assert lead.status.label == "Working - Contacted"
    with pytest.raises(services.ConvertNeedsConversion):
        services.set_status(lead, status("Closed - Converted"), actor=rep)
    lead.status = status("Closed - Converted")
    with pytest.raises(services.LeadConverted):
        services.set_status(lead, status("Working - Contacted"), actor=rep)
    with pytest.raises(services.LeadConverted):
        services.update_lead(lead, {"last_name": "Changed"}, actor=rep)


def test_possible_duplicates_by_email_or_name_and_company(app_ctx):
    rep = make_user()
    original = make_lead(rep, first_name="Aparna", last_name="Bosu", company="Get Cloudy West",
                         email="aparna@gogetcloudywest.com")
    by_email = services.possible_duplicates(email="APARNA@gogetcloudywest.com", first_name=None,
                                            last_name="Other", company="Other")
    by_name = services.possible_duplicates(email=None, first_name="aparna", last_name="BOSU",
                                           company="get cloudy west")
    assert by_email == [original] and by_name == [original]
    assert services.possible_duplicates(email="x@y.com", first_name="A", last_name="B", company="C") == []
    assert services.possible_duplicates(email=original.email, first_name=None, last_name=None, company=None,
                                        exclude_id=original.id) == []


def test_recycle_bin_delete_restore_and_purge(app_ctx):
    rep = make_user()
    other = make_user()
    lead = make_lead(rep)
    services.delete_lead(lead, actor=rep)
    assert lead.deleted_at is not None
    assert services.can_restore(lead, rep) and not services.can_restore(lead, other)
    services.restore_lead(lead, actor=rep)
    assert lead.deleted_at is None
    with pytest.raises(services.NotInRecycleBin):
        services.restore_lead(lead, actor=rep)
    old = make_lead(rep)
    old.deleted_at = utcnow() - timedelta(days=31)
    recent = make_lead(rep)
    recent.deleted_at = utcnow() - timedelta(days=29)
    db.session.flush()
    with pytest.raises(services.NotInRecycleBin):
        services.restore_lead(old, actor=rep)
    assert services.purge_recycle_bin() == 1
    db.session.commit()
    assert db.session.get(Lead, old.id) is None and db.session.get(Lead, recent.id) is not None


def test_recently_viewed_keeps_the_last_fifty(app_ctx):
    rep = make_user()
    for record_id in range(1, 56):
        services.record_view(rep, "lead", record_id)
    services.record_view(rep, "lead", 3)  # viewed again: moves to the top, not duplicated
    db.session.commit()
    views = db.session.scalars(sa.select(RecentView).where(RecentView.user_id == rep.id)).all()
    assert len(views) == services.RECENT_VIEWS_KEPT
    assert 3 in {v.record_id for v in views} and 1 not in {v.record_id for v in views}


@pytest.mark.parametrize("q,found", [
    ("aparna b", True), ("APARNA", True), ("bosu aparna", True), ("cloudy", True), ("gogetcloudy", True),
    ("555 0132", True), ("4155550132", True), ("aparna x", False), ("%", False), ("_", False), ("'", False),
])
def test_search_matches_every_word(app_ctx, q, found):
    rep = make_user()
    make_lead(rep, first_name="Aparna", last_name="Bosu", company="Get Cloudy West",
              email="aparna@gogetcloudywest.com", phone="(415) 555-0132")
    filters = queries.LeadFilters(q=q, view="all")
    names = [lead.name for lead in queries.lead_page(filters, rep).items]
    assert (names == ["Aparna Bosu"]) is found


def test_accented_names_are_found_without_accents(app_ctx):
    rep = make_user()
    make_lead(rep, first_name="Hélène", last_name="Lefèvre")
    result = queries.lead_page(queries.LeadFilters(q="lefevre helene", view="all"), rep)
    assert [lead.name for lead in result.items] == ["Hélène Lefèvre"]


def test_list_views_and_paging(app_ctx):
    rep, other = make_user(), make_user()
    for n in range(lists.PER_PAGE + 5):
        make_lead(rep, last_name=f"Mine {n:03d}")
    make_lead(other, last_name="Theirs")
    closed = make_lead(rep, last_name="Closed", status="Closed - Not Converted")
    mine = queries.lead_page(queries.LeadFilters(view="my_open", sort="name"), rep)
    assert len(mine.items) == lists.PER_PAGE and mine.has_next and mine.total == lists.PER_PAGE + 5
    assert mine.items[0].name == "Lead Mine 000"
    second = queries.lead_page(queries.LeadFilters(view="my_open", sort="name", page=2), rep)
    assert [lead.name for lead in second.items] == [f"Lead Mine {n:03d}" for n in range(50, 55)]
    assert not second.has_next
    all_open = queries.lead_page(queries.LeadFilters(view="all_open"), rep)
    assert all_open.total == lists.PER_PAGE + 6
    everything = queries.lead_page(queries.LeadFilters(view="all", q="closed"), rep)
    assert [lead.id for lead in everything.items] == [closed.id]


def test_filters_from_the_query_string_never_fail():
    from werkzeug.datastructures import MultiDict

    filters = queries.LeadFilters.from_args(MultiDict({
        "q": "x" * 10_000, "view": "bogus", "status": "abc", "owner": "evil", "sort": "password", "page": "-3"}))
    assert len(filters.q) == MAX_QUERY
    assert (filters.view, filters.status, filters.owner, filters.sort, filters.page) == (
        "my_open", None, "", queries.DEFAULT_SORT, 1)


def test_status_and_rating_sort_follow_the_admins_order(app_ctx):
    rep = make_user()
    make_lead(rep, last_name="Warm one", rating="Warm")
    make_lead(rep, last_name="Cold one", rating="Cold")
    make_lead(rep, last_name="Hot one", rating="Hot")
    make_lead(rep, last_name="Working", status="Working - Contacted")
    by_rating = queries.lead_page(queries.LeadFilters(view="all", sort="rating"), rep).items
    assert [lead.name for lead in by_rating][:3] == ["Lead Hot one", "Lead Warm one", "Lead Cold one"]
    by_status = queries.lead_page(queries.LeadFilters(view="all", sort="-status"), rep).items
    assert by_status[0].name == "Lead Working"


def test_possible_duplicates_lists_contacts_with_their_reasons(app, app_ctx):
    from tests.factories import make_account, make_contact

    rep = make_user()
    lead = make_lead(rep, first_name="Aparna", last_name="Bosu", company="Get Cloudy West",
                     email="aparna@gogetcloudywest.com")
    contact = make_contact(make_account(rep, name="Cloudy Holdings"), rep, first_name="Aparna",
                           last_name="Bosu-Ray", email="aparna@gogetcloudywest.com")
    found = services.possible_duplicates(email="APARNA@gogetcloudywest.com", first_name=None,
                                         last_name="Other", company="Other")
    assert [(d.kind, d.id) for d in found] == [("lead", lead.id), ("contact", contact.id)]
    assert found == [lead, contact] and found[1].record is contact
    assert found[1].reasons == ["email"]
    with app.test_request_context():
        assert [str(r) for r in found[1].reason_labels] == ["Same email"]
    # A contact alone is still a possible duplicate; excluding the lead being edited keeps it.
    only_contact = services.possible_duplicates(email=contact.email, first_name=None, last_name=None, company=None,
                                                exclude_id=lead.id)
    assert [(d.kind, d.id) for d in only_contact] == [("contact", contact.id)]
    # A deleted contact is not.
    contact.deleted_at = utcnow()
    db.session.commit()
    assert services.possible_duplicates(email=contact.email, first_name=None, last_name=None, company=None,
                                        exclude_id=lead.id) == []
