"""Duplicates: normalisation, matching leads and contacts, blocking at scale, merging two or three leads, undo."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.activities.services import add_activity
from crm.demo import seed_demo
from crm.extensions import db
from crm.leads import duplicates
from crm.leads.duplicates import MergeError, candidate, find_duplicates, likely_pairs, merge_leads, undo_merge
from crm.models import Activity, Campaign, CampaignMember, Lead, LeadMatchKey, LeadMerge, LeadStatus
from tests.factories import make_account, make_contact, make_lead, make_user


def ids(matches):
    return [(m.kind, m.id) for m in matches]


def test_normalisation_email_phone_accents_and_legal_suffixes(app_ctx):
    a = candidate({"email": " Aparna@GoGetCloudyWest.COM ", "phone": "(650) 253-0000", "last_name": "Lefèvre",
                   "first_name": "Hélène", "company": "Société Générale SARL"})
    b = candidate({"email": "aparna@gogetcloudywest.com", "phone": "+1 650 253 0000", "last_name": "LEFEVRE",
                   "first_name": "helene", "company": "Societe Generale"})
    assert a.email == b.email == "aparna@gogetcloudywest.com"
    assert a.phones == b.phones == {"+16502530000"}
    assert candidate({"phone": "650.253.0000"}).phones == {"+16502530000"}
    assert (a.first, a.last, a.company) == (b.first, b.last, b.company) == ("helene", "lefevre", "societe generale")
    assert candidate({"company": "Müller GmbH"}).company == candidate({"company": "muller"}).company == "muller"
    assert candidate({"company": "Get Cloudy West, Inc."}).company == "get cloudy west"
    assert duplicates.score(a, b) == (100, ["email", "phone", "name"])


def test_fuzzy_name_and_company_threshold(app_ctx):
    base = {"first_name": "Jonathan", "last_name": "Smith", "company": "Acme Industries"}
    assert duplicates.score(candidate(base), candidate({**base, "first_name": "Jonathon"}))[1] == ["name"]
    assert duplicates.score(candidate(base), candidate({**base, "company": "Acme Industries Ltd."}))[1] == ["name"]
    # Another person at the same company, or the same name elsewhere: not a duplicate.
    assert duplicates.score(candidate(base), candidate({**base, "first_name": "Maria"})) == (0, [])
    assert duplicates.score(candidate(base), candidate({**base, "company": "Globex"})) == (0, [])
    # Name alone (no company on one side) is not enough.
    assert duplicates.score(candidate(base), candidate({**base, "company": ""})) == (0, [])


def test_find_duplicates_across_leads_and_contacts(app_ctx):
    rep = make_user()
    by_email = make_lead(rep, email="aparna@gogetcloudywest.com", last_name="Bosu", company="Get Cloudy West")
    by_phone = make_lead(rep, email=None, phone="+1 650 253 0000", last_name="Other", company="Elsewhere")
    by_name = make_lead(rep, email=None, first_name="Hélène", last_name="Lefèvre", company="Société Générale SA")
    unrelated = make_lead(rep, email="x@example.com", last_name="Unrelated", company="Nope")
    contact = make_contact(make_account(rep, name="Société Générale"), rep, first_name="Helene",
                           last_name="Lefevre", email="hl@socgen.example")
    found = find_duplicates({"email": "APARNA@gogetcloudywest.com", "phone": "(650) 253-0000",
                             "first_name": "helene", "last_name": "LEFEVRE", "company": "societe generale"})
    assert set(ids(found)) == {("lead", by_email.id), ("lead", by_phone.id), ("lead", by_name.id),
                               ("contact", contact.id)}
    assert ("lead", unrelated.id) not in ids(found)
    reasons = {(m.kind, m.id): m.reasons for m in found}
    assert reasons[("lead", by_email.id)] == ["email"] and reasons[("lead", by_phone.id)] == ["phone"]
    assert reasons[("contact", contact.id)] == ["name"]
    assert found[0].score == 100
    # The lead being edited is not its own duplicate; deleted and converted leads are not matched.
    assert find_duplicates({"email": by_email.email}, exclude_lead_id=by_email.id) == []
    by_email.deleted_at = by_email.created_at
    db.session.commit()
    assert find_duplicates({"email": by_email.email}) == []


def test_converted_leads_are_not_matched_and_cannot_be_merged(app_ctx):
    rep = make_user()
    converted = make_lead(rep, email="done@example.com", status="Closed - Converted")
    other = make_lead(rep, email="done@example.com")
    assert ids(find_duplicates({"email": "done@example.com"})) == [("lead", other.id)]
    with pytest.raises(MergeError) as refused:
        merge_leads(other, [converted], {}, actor=rep)
    assert refused.value.code == "converted"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadMerge)) == 0


def test_the_entry_warning_uses_the_same_rules(app_ctx):
    from crm.leads import services

    rep = make_user()
    lead = make_lead(rep, phone="+1 650 253 0000", first_name="Hélène", last_name="Lefèvre", company="ACME SARL")
    assert services.possible_duplicates(email=None, first_name="Helene", last_name="Lefevre", company="Acme",
                                        ) == [lead]
    assert services.possible_duplicates(email=None, first_name=None, last_name="Zed", company="Zed",
                                        phone="(650) 253-0000") == [lead]


def _seed(count):
    seed_demo(count, users=1, seed=7)
    db.session.commit()


def test_blocking_on_thousands_of_leads_finds_the_planted_pairs_without_loading_the_table(app_ctx):
    rep = make_user()
    _seed(3000)
    # seed-demo gives bulk-inserted leads their keys (sync_match_keys), as the ORM would.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadMatchKey)) >= 3000
    assert duplicates.sync_match_keys() == 0
    planted_a = make_lead(rep, email=None, first_name="Zoë", last_name="Quasimodo", company="Notre-Dame SAS")
    planted_b = make_lead(rep, email=None, first_name="Zoe", last_name="QUASIMODO", company="Notre Dame")
    loaded = []
    sa.event.listen(db.session, "loaded_as_persistent", lambda session, instance: loaded.append(instance))
    page = likely_pairs()
    pairs = {(p.first.id, p.second.id) for p in page.items}
    assert (planted_a.id, planted_b.id) in pairs
    # Only the leads of candidate pairs are loaded, never the whole table (speed: make bench, not tests).
    assert len(loaded) <= 2 * page.scanned < 3000
    found = find_duplicates({"first_name": "zoe", "last_name": "quasimodo", "company": "notre dame"})
    assert {m.id for m in found} == {planted_a.id, planted_b.id}


def test_likely_pairs_pages_by_cursor_and_caps_the_work(app_ctx):
    rep = make_user()
    made = [make_lead(rep, email=f"same{n}@example.com", last_name=f"Dup{n}") for n in range(3) for _ in range(2)]
    first = likely_pairs(per_page=2)
    assert len(first.items) == 2 and first.has_next
    second = likely_pairs(first.next_after, per_page=2)
    assert len(second.items) == 1 and not second.has_next
    seen = [(p.first.id, p.second.id) for p in (*first.items, *second.items)]
    assert len(set(seen)) == 3 and seen[0] == (made[4].id, made[5].id)  # newest first
    capped = likely_pairs(per_page=50, max_scan=1)
    assert len(capped.items) == 1 and capped.scanned == 1 and capped.has_next
    assert all(p.reasons[0] == "email" and p.score == 100 for p in first.items)


def _campaign(name):
    campaign = Campaign(name=name)
    db.session.add(campaign)
    db.session.flush()
    return campaign


def test_merge_two_leads_with_chosen_values_then_undo_restores_exactly(app_ctx):
    rep, admin = make_user(), make_user(role="admin")
    survivor = make_lead(rep, first_name="Aparna", last_name="Bosu", company="Get Cloudy West", phone="0142685300",
                         annual_revenue=Decimal("1000.50"), email="aparna@gogetcloudywest.com")
    other = make_lead(rep, first_name="Aparna", last_name="Bosu", company="Get Cloudy West Inc.",
                      phone="+33 6 12 34 56 78", title="CMO", email="aparna@gogetcloudywest.com")
    add_activity(survivor, "note", {"subject": "Kept note"}, actor=rep)
    moved = add_activity(other, "call", {"subject": "Intro call"}, actor=rep)
    shared, only_other = _campaign("Shared"), _campaign("Only other")
    db.session.add_all([CampaignMember(campaign_id=shared.id, lead_id=survivor.id),
                        CampaignMember(campaign_id=shared.id, lead_id=other.id),
                        CampaignMember(campaign_id=only_other.id, lead_id=other.id)])
    db.session.commit()
    before = {c.name: getattr(survivor, c.name) for c in Lead.__table__.columns}
    survivor_id, other_id, moved_id = survivor.id, other.id, moved.id

    merge = merge_leads(survivor, [other], {"phone": other.phone, "title": other.title, "id": 999}, actor=admin)
    db.session.commit()
    survivor, other = db.session.get(Lead, survivor_id), db.session.get(Lead, other_id)
    assert (survivor.phone, survivor.phone_e164, survivor.title) == ("+33 6 12 34 56 78", "+33612345678", "CMO")
    assert survivor.id == survivor_id and survivor.annual_revenue == Decimal("1000.50")
    assert other.deleted_at is not None and merge.merged_ids == [other_id] and merge.actor_id == admin.id
    assert db.session.get(Activity, moved_id).lead_id == survivor_id
    memberships = db.session.execute(sa.select(CampaignMember.campaign_id, CampaignMember.lead_id)
                                     .order_by(CampaignMember.id)).all()
    # The shared campaign keeps only the survivor's membership; the other lead's goes with it.
    assert memberships == [(shared.id, survivor_id), (shared.id, other_id), (only_other.id, survivor_id)]
    assert "+33612345678" in survivor.search_text
    assert db.session.get(LeadMatchKey, survivor_id).company_key == "get cloudy west"

    undo_merge(merge, actor=admin)
    db.session.commit()
    survivor, other = db.session.get(Lead, survivor_id), db.session.get(Lead, other_id)
    assert {c.name: getattr(survivor, c.name) for c in Lead.__table__.columns} == before
    assert other.deleted_at is None and other.deleted_by_id is None
    assert db.session.get(Activity, moved_id).lead_id == other_id
    assert db.session.execute(sa.select(CampaignMember.campaign_id, CampaignMember.lead_id)
                              .order_by(CampaignMember.id)).all() == [
        (shared.id, survivor_id), (shared.id, other_id), (only_other.id, other_id)]
    assert db.session.get(LeadMerge, merge.id).undone_at is not None
    with pytest.raises(MergeError):
        undo_merge(db.session.get(LeadMerge, merge.id), actor=admin)


def test_merge_three_leads(app_ctx):
    rep = make_user()
    leads = [make_lead(rep, last_name="Triple", company="Tri Co", email="t@example.com", city=city)
             for city in ("Paris", "Lyon", "Nantes")]
    for lead in leads:
        add_activity(lead, "note", {"subject": f"Note {lead.city}"}, actor=rep)
    db.session.commit()
    survivor, others = leads[0], leads[1:]
    merge = merge_leads(survivor, others, {"city": "Nantes", "owner_id": rep.id}, actor=rep)
    db.session.commit()
    assert db.session.get(Lead, survivor.id).city == "Nantes"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity).where(
        Activity.lead_id == survivor.id)) == 3
    assert sorted(merge.merged_ids) == sorted(o.id for o in others)
    assert len(merge.snapshot["activities"]) == 2
    assert all(db.session.get(Lead, o.id).deleted_at for o in others)
    assert likely_pairs().items == []  # the merged leads are no longer pairs


@pytest.mark.parametrize("problem", ["one", "four", "same", "deleted"])
def test_merge_refuses_bad_sets_and_changes_nothing(app_ctx, problem):
    rep = make_user()
    leads = [make_lead(rep) for _ in range(4)]
    survivor, others = leads[0], {"one": [], "four": leads[1:], "same": [leads[0]], "deleted": [leads[1]]}[problem]
    if problem == "deleted":
        leads[1].deleted_at = leads[1].created_at
        db.session.commit()
    with pytest.raises(MergeError) as refused:
        merge_leads(survivor, others, {"city": "Changed"}, actor=rep)
    assert refused.value.code == ("deleted" if problem == "deleted" else "count")
    assert db.session.get(Lead, survivor.id).city is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LeadMerge)) == 0


def test_only_the_latest_merge_of_a_survivor_can_be_undone(app_ctx):
    rep = make_user()
    a, b, c = (make_lead(rep, last_name="Chain", company="Chain Co") for _ in range(3))
    first = merge_leads(a, [b], {}, actor=rep)
    second = merge_leads(db.session.get(Lead, a.id), [c], {}, actor=rep)
    db.session.commit()
    assert not duplicates.can_undo(first) and duplicates.can_undo(second)
    with pytest.raises(MergeError):
        undo_merge(first, actor=rep)
    undo_merge(second, actor=rep)
    undo_merge(first, actor=rep)
    db.session.commit()
    assert db.session.scalars(sa.select(Lead.id).where(Lead.deleted_at.is_(None)).order_by(Lead.id)).all() == \
        [a.id, b.id, c.id]
    assert db.session.scalar(sa.select(LeadStatus.id).limit(1)) is not None


def test_likely_contact_pairs_find_leads_that_are_stored_contacts(app_ctx):
    rep = make_user()
    socgen = make_account(rep, name="Société Générale")
    helene = make_contact(socgen, rep, first_name="Helene", last_name="Lefevre", email="hl@socgen.example")
    by_name = make_lead(rep, email=None, first_name="Hélène", last_name="Lefèvre", company="Société Générale SA")
    by_email = make_lead(rep, email="HL@socgen.example", last_name="Someone", company="Elsewhere")
    by_phone_contact = make_contact(make_account(rep, name="Acme"), rep, last_name="Ng", phone="+1 650 253 0000",
                                    phone_e164="+16502530000")
    by_phone = make_lead(rep, email=None, last_name="Other", company="Nope", mobile="(650) 253-0000")
    # Same company, another person: a candidate by company, scored out.
    make_lead(rep, email=None, first_name="Paul", last_name="Martin", company="Societe Generale")
    converted = make_lead(rep, email="hl@socgen.example", last_name="Lefevre", company="Société Générale")
    converted.status = db.session.scalar(sa.select(LeadStatus).where(LeadStatus.is_converted))
    gone = make_contact(socgen, rep, last_name="Gone", email="gone@socgen.example")
    make_lead(rep, email="gone@socgen.example", last_name="Gone", company="Société Générale")
    gone.deleted_at = gone.created_at
    db.session.commit()

    page = duplicates.likely_contact_pairs()
    found = {(p.lead.id, p.contact.id): p.reasons for p in page.items}
    assert found == {(by_name.id, helene.id): ["name"], (by_email.id, helene.id): ["email"],
                     (by_phone.id, by_phone_contact.id): ["phone"]}
    assert [p.lead.id for p in page.items] == sorted((p.lead.id for p in page.items), reverse=True)
    assert not page.has_next

    first = duplicates.likely_contact_pairs(per_page=1)
    assert len(first.items) == 1 and first.has_next
    rest = duplicates.likely_contact_pairs(first.next_after, per_page=10)
    assert {(p.lead.id, p.contact.id) for p in first.items + rest.items} == set(found)


def test_flag_if_duplicate_flags_and_never_rejects(app_ctx):
    rep = make_user()
    stored_lead = make_lead(rep, email="aparna@gcw.example", last_name="Bosu", company="GCW")
    twin = make_lead(rep, email="APARNA@gcw.example", last_name="Bosu", company="GCW")
    other = make_lead(rep, email="someone@else.example", last_name="Else", company="Nowhere")
    assert duplicates.flag_if_duplicate(twin) is True and twin.possible_duplicate
    assert duplicates.flag_if_duplicate(other) is False and not other.possible_duplicate
    # The lead compared is never its own duplicate.
    assert duplicates.flag_if_duplicate(stored_lead) is True  # because of twin
    twin.deleted_at = twin.created_at
    db.session.flush()
    assert duplicates.flag_if_duplicate(stored_lead) is False


def test_contacts_are_found_by_email_phone_or_mobile_and_deleted_ones_are_not(app_ctx):
    rep = make_user()
    acme = make_account(rep, name="Acme")
    by_email = make_contact(acme, rep, last_name="Mail", email="ana@acme.example")
    by_phone = make_contact(acme, rep, last_name="Desk", phone="+1 650 253 0000", phone_e164="+16502530000")
    by_mobile = make_contact(acme, rep, last_name="Cell", mobile="+1 415 555 0100", mobile_e164="+14155550100")
    gone = make_contact(acme, rep, last_name="Gone", email="gone@acme.example")
    gone.deleted_at = gone.created_at
    db.session.commit()
    found = find_duplicates({"email": "ANA@acme.example", "phone": "650-253-0000", "mobile": "(415) 555-0100"})
    assert {(m.kind, m.id): m.reasons for m in found} == {
        ("contact", by_email.id): ["email"], ("contact", by_phone.id): ["phone"], ("contact", by_mobile.id): ["phone"]}
    assert find_duplicates({"email": "gone@acme.example"}) == []


@pytest.mark.skipif("TEST_DATABASE_URL" in __import__("os").environ, reason="SQLite query plans")
def test_the_duplicate_check_reads_indexes_and_never_a_whole_table(app_ctx):
    """Every public form post runs this check: an OR of the keys, or `id IN (...)` beside the
    deleted_at index, once made SQLite read all 30,000 contacts of the benchmark (27 ms a post)."""
    rep = make_user()
    make_contact(make_account(rep, name="Société Générale"), rep, last_name="Lefevre", email="hl@socgen.example")
    statements = []

    def keep(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    sa.event.listen(db.engine, "before_cursor_execute", keep)
    try:
        find_duplicates({"email": "hl@socgen.example", "phone": "(650) 253-0000",
                         "first_name": "helene", "last_name": "LEFEVRE", "company": "societe generale"})
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", keep)
    assert len(statements) == 2  # the leads' blocks, then the contacts' blocks
    for statement, parameters in statements:
        plan = " | ".join(row[-1] for row in db.session.connection().exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement}", tuple(parameters)).all())
        for table in ("contacts", "leads", "accounts"):
            assert f"SCAN {table}" not in plan, plan
        assert "(deleted_at=?)" not in plan, plan
