"""seed-demo: fake leads bulk inserted exactly as the app would store them, the same for the same seed."""

import html
import re
import shutil
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

import click
import pytest
import sqlalchemy as sa

from crm.demo import COUNTRIES, _domain, _text, seed_demo
from crm.extensions import db
from crm.leads.forms import PHONE_CHARS
from crm.leads.services import e164
from crm.models import (
    ACTIVITY_KINDS,
    PRIORITIES,
    SALUTATIONS,
    Account,
    Activity,
    Contact,
    Lead,
    LeadStatus,
    Opportunity,
    OpportunityStageHistory,
    PicklistValue,
    Stage,
    User,
)
from crm.opportunities import services as opportunity_services
from tests.conftest import TEST_DATABASE_URL, _empty_all_tables, login, make_app
from tests.factories import make_account, make_contact, make_user

NOW = datetime(2026, 6, 1, 12, 0, 0)
EMAIL = re.compile(r"^[a-z0-9._]+@[a-z0-9-]+(\.[a-z]{2,})+$")


def leads():
    return list(db.session.scalars(sa.select(Lead).order_by(Lead.id)))


def test_command_seeds_leads_and_creates_the_missing_reps(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--leads", "400", "--users", "3"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^Seeded 400 leads owned by 3 users in \d+\.\d s\.$", result.output, re.MULTILINE)
    password = re.search(r"with the password (\S+) ", result.output).group(1)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 400
        reps = db.session.scalars(sa.select(User).order_by(User.id)).all()
    assert [(u.email, u.role, u.active) for u in reps] == [
        (f"rep{n}@demo.example", "rep", True) for n in (1, 2, 3)]
    assert login(app.test_client(), "rep2@demo.example", password).status_code == 303

    # Enough active users now: none is created, and the leads are added to the others.
    again = runner.invoke(args=["seed-demo", "--leads", "300", "--users", "3", "--seed", "7"])
    assert again.exit_code == 0, again.output
    assert "password" not in again.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 700
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 3


def count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_command_seeds_opportunities_with_their_accounts_and_history(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--leads", "0", "--users", "2", "--opportunities", "41"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^Seeded 0 leads and 41 opportunities \(11 new accounts\) owned by 2 users in \d+\.\d s\.$",
                     result.output, re.MULTILINE)
    with app.app_context():
        assert count(Opportunity) == 41 and count(Account) == 11 and count(OpportunityStageHistory) == 41
        assert count(Lead) == 0
    # Without --opportunities, none (and the leads' message is as before).
    again = runner.invoke(args=["seed-demo", "--leads", "5", "--users", "2"])
    assert again.exit_code == 0 and "opportunities" not in again.output
    with app.app_context():
        assert count(Opportunity) == 41


def test_opportunities_are_what_the_app_stores(app_ctx):
    admin = make_user(email="boss@example.com", role="admin")
    db.session.execute(sa.update(PicklistValue).filter_by(picklist="loss_reason", label="Price").values(active=False))
    db.session.commit()
    reasons = set(opportunity_services.loss_reasons())
    pipeline = opportunity_services.default_pipeline()
    stages = {s.id: s for s in opportunity_services.stages_of(pipeline.id)}

    summary = seed_demo(0, users=3, seed=5, now=NOW, chunk_size=128, opportunities=600)
    assert summary.opportunities == 600 and summary.accounts == 150
    owners = [admin.id] + [db.session.scalar(sa.select(User.id).filter_by(email=e)) for e in summary.created_users]
    rows = list(db.session.scalars(sa.select(Opportunity).order_by(Opportunity.id)))
    assert len(rows) == 600
    history = {h.opportunity_id: h for h in db.session.scalars(sa.select(OpportunityStageHistory))}
    assert len(history) == 600
    for n, opportunity in enumerate(rows):
        stage = stages[opportunity.stage_id]
        assert opportunity.pipeline_id == pipeline.id and opportunity.probability == stage.probability
        assert not opportunity.probability_overridden
        assert opportunity.owner_id == owners[n % 3] == opportunity.created_by_id == opportunity.updated_by_id
        assert (opportunity.loss_reason in reasons) if stage.is_lost else opportunity.loss_reason is None
        assert 0 < len(opportunity.name) <= 120 and opportunity.name == opportunity.name.strip()
        assert opportunity.amount is None or opportunity.amount >= 0
        assert NOW - timedelta(days=366) <= opportunity.created_at == opportunity.stage_entered_at
        assert opportunity.created_at <= opportunity.updated_at <= NOW
        assert opportunity.deleted_at is None
        if opportunity.close_date and not stage.is_closed:
            assert abs((opportunity.close_date - NOW.date()).days) <= 180
        stored = opportunity.search_text
        opportunity.refresh_derived(opportunity.account.name)
        assert opportunity.search_text == stored
        first = history[opportunity.id]  # one creation row, as create_opportunity() writes it
        assert (first.from_stage, first.from_stage_id, first.to_stage_id, first.to_stage) == (
            None, None, stage.id, stage.name)
        assert (first.amount, first.probability, first.close_date, first.changed_by_id, first.changed_at) == (
            opportunity.amount, opportunity.probability, opportunity.close_date, opportunity.owner_id,
            opportunity.created_at)
    # Most deals open, the first stages the fullest; some won, some lost.
    mix = Counter(stages[o.stage_id] for o in rows)
    assert sum(n for s, n in mix.items() if not s.is_closed) > 0.7 * len(rows)
    assert set(mix) == set(stages.values())
    open_stages = sorted((s for s in stages.values() if not s.is_closed), key=lambda s: s.position)
    assert mix[open_stages[0]] > 2 * mix[open_stages[-1]]
    assert any(o.close_date and o.close_date < NOW.date() for o in rows if not stages[o.stage_id].is_closed)
    # About four deals an account, each account used; keys as the model computes them.
    accounts = list(db.session.scalars(sa.select(Account).order_by(Account.id)))
    assert len(accounts) == 150
    assert {o.account_id for o in rows} == {a.id for a in accounts}
    assert all(o.name.startswith(db.session.get(Account, o.account_id).name[:20]) for o in rows[:50])
    for account in accounts:
        kept = (account.name_key, account.domain, account.search_text)
        account.refresh_derived()
        assert (account.name_key, account.domain, account.search_text) == kept
        assert account.name_key and account.owner_id in owners
    db.session.rollback()
    # The board shows them.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Opportunity).where(
        Opportunity.stage_id.in_([s.id for s in stages.values() if not s.is_closed]))) > 400


def test_opportunities_need_an_open_stage(app_ctx):
    make_user()
    pipeline = opportunity_services.default_pipeline()
    db.session.execute(sa.update(Stage).where(Stage.pipeline_id == pipeline.id).values(is_closed=True))
    db.session.commit()
    with pytest.raises(click.ClickException, match="no open stage"):
        seed_demo(0, users=1, opportunities=5, now=NOW)


def test_no_active_user_and_none_to_create_is_an_error(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--leads", "10", "--users", "0"])
    assert result.exit_code != 0 and "no active user" in result.output


def test_leads_are_owned_in_turn_by_the_active_users(app_ctx):
    admin = make_user(email="boss@example.com", role="admin")
    make_user(email="gone@example.com", active=False)
    make_user(email="rep1@demo.example", active=False)
    summary = seed_demo(300, users=3, seed=1, now=NOW)
    # rep1@demo.example is taken (if inactive): the next free numbers are used.
    assert summary.created_users == ["rep2@demo.example", "rep3@demo.example"]
    owners = [admin.id] + [db.session.scalar(sa.select(User.id).filter_by(email=e)) for e in summary.created_users]
    rows = leads()
    assert [lead.owner_id for lead in rows] == [owners[n % 3] for n in range(300)]
    assert all(lead.created_by_id == lead.updated_by_id == lead.owner_id for lead in rows)


def _seed_fresh_database(database_template, tmp_path, name: str) -> tuple[list[dict], list[tuple]]:
    """Seed a database as the migrations left it; return its leads, opportunities and accounts, and users."""
    if TEST_DATABASE_URL:
        app = make_app(TEST_DATABASE_URL, tmp_path)
        _empty_all_tables(app)
    else:
        path = tmp_path / f"{name}.sqlite3"
        shutil.copyfile(database_template, path)
        app = make_app(f"sqlite:///{path}", tmp_path)
    with app.app_context():
        seed_demo(300, users=2, seed=1234, now=NOW, chunk_size=128, opportunities=90)
        rows = [dict(r._mapping) for table in (Lead.__table__, Opportunity.__table__, Account.__table__)
                for r in db.session.execute(sa.select(table).order_by(table.c.id))]
        users = [tuple(r) for r in db.session.execute(sa.select(User.id, User.email, User.name).order_by(User.id))]
        db.session.remove()
        if TEST_DATABASE_URL:
            _empty_all_tables(app)
        db.engine.dispose()
    return rows, users


def test_same_seed_same_data(database_template, tmp_path):
    first, first_users = _seed_fresh_database(database_template, tmp_path, "first")
    second, second_users = _seed_fresh_database(database_template, tmp_path, "second")
    assert len(first) == 300 + 90 + 23
    assert first == second
    assert first_users == second_users


def test_a_seed_gives_its_own_data(app_ctx):
    seed_demo(50, users=1, seed=1, now=NOW)
    seed_demo(50, users=1, seed=2, now=NOW)
    rows = leads()
    names = [(lead.first_name, lead.last_name, lead.company) for lead in rows]
    assert names[:50] != names[50:]


def test_rows_are_what_the_app_stores(app_ctx):
    # Retired picklist values are never chosen.
    retired = {("rating", "Hot"), ("lead_source", "Web"), ("industry", "Banking")}
    for picklist, label in retired:
        db.session.execute(sa.update(PicklistValue).filter_by(picklist=picklist, label=label).values(active=False))
    db.session.commit()
    active = {name: set(db.session.scalars(sa.select(PicklistValue.label).filter_by(picklist=name, active=True)))
              for name in ("industry", "lead_source", "rating")}
    statuses = {s.id: s for s in db.session.scalars(sa.select(LeadStatus))}

    summary = seed_demo(1000, users=4, seed=99, now=NOW, chunk_size=300)
    assert summary.leads == 1000
    rows = leads()
    assert len(rows) == 1000
    string_columns = [c for c in Lead.__table__.columns if getattr(c.type, "length", None)]
    for lead in rows:
        status = statuses[lead.status_id]
        assert not status.is_converted
        for name, values in active.items():
            assert getattr(lead, name) is None or getattr(lead, name) in values
        assert lead.phone_e164 == e164(lead.phone) and lead.mobile_e164 == e164(lead.mobile)
        stored = lead.search_text
        lead.refresh_search_text()
        assert lead.search_text == stored
        assert lead.email == lead.email.lower() and EMAIL.match(lead.email), lead.email
        for column in string_columns:
            value = getattr(lead, column.key)
            assert value is None or 0 < len(value) <= column.type.length, (column.key, value)
            # As the form stores them: stripped, never empty.
            assert value is None or value == value.strip(), (column.key, value)
        for phone in (lead.phone, lead.mobile):
            assert phone is None or re.match(PHONE_CHARS, phone), phone
        assert lead.last_name and lead.company
        assert lead.salutation is None or lead.salutation in SALUTATIONS
        assert lead.website is None or lead.website.startswith("https://")
        assert lead.employees is None or lead.employees >= 0
        assert lead.annual_revenue is None or lead.annual_revenue >= 0
        assert NOW - timedelta(days=731) <= lead.created_at <= lead.updated_at <= NOW
        assert lead.deleted_at is None and lead.converted_at is None
    db.session.rollback()

    # Realistic: a mix of countries, accents, open and closed leads, phones that dial.
    assert {lead.country for lead in rows} == {c.name for c in COUNTRIES}
    assert any(not (lead.first_name or "").isascii() or not lead.last_name.isascii() for lead in rows)
    mix = Counter(statuses[lead.status_id] for lead in rows)
    default = next(s for s in statuses.values() if s.is_default)
    assert mix.most_common(1)[0][0] == default
    assert any(s.is_closed for s in mix) and any(not s.is_closed and not s.is_default for s in mix)
    phones = [lead for lead in rows if lead.phone]
    assert sum(1 for lead in phones if lead.phone_e164) > 0.95 * len(phones)
    # A foreign number is typed with its country code, else it would not dial from here.
    assert all(lead.phone.startswith("+") for lead in phones if lead.phone_e164 and lead.country != "United States")
    # Leads of one company share its domain, its address and its size.
    by_company = Counter(lead.company for lead in rows)
    assert by_company.most_common(1)[0][1] > 1
    domains = {(lead.company, lead.country, lead.email.split("@")[1]) for lead in rows}
    assert len(domains) == len({(lead.company, lead.country) for lead in rows})
    assert sorted(lead.created_at for lead in rows) == [lead.created_at for lead in rows]


def test_values_are_cut_to_their_column_and_stripped():
    assert _text("Jean-Baptiste-Emmanuel " + "x" * 40, 23) == "Jean-Baptiste-Emmanuel"
    assert _text("   ", 10) is None and _text(None, 10) is None
    assert _domain("Hébert, Müller & Söhne GmbH", "de") == "hebert-muller.de"
    assert _domain("S.A.R.L.", "fr") == "sarl.fr"
    assert _domain("Rossi e figli S.p.A.", "it") == "rossi.it"
    assert _domain("Lucas, Ortiz and Torres", "com") == "lucas-ortiz.com"


def test_seeded_leads_get_their_duplicate_match_keys(app_ctx):
    """The Duplicates page and the entry check read lead_match_keys: seeding fills them as the ORM would."""
    from crm.leads.duplicates import match_key_values
    from crm.models.merge import LeadMatchKey

    make_user(email="boss@example.com", role="admin")
    seed_demo(300, users=2, seed=9, now=NOW, chunk_size=128)
    keys = {key.lead_id: key for key in db.session.scalars(sa.select(LeadMatchKey))}
    assert len(keys) == 300
    lead = leads()[7]
    expected = match_key_values(lead.last_name, lead.company)
    assert {name: getattr(keys[lead.id], name) for name in expected} == expected


# Accounts, contacts and activities (issue 8's benchmark: --accounts, --contacts, --activities).

SMALL = {"accounts": 10, "contacts": 20, "opportunities": 10, "activities": 100}


def test_command_seeds_accounts_contacts_and_activities(app):
    result = app.test_cli_runner().invoke(args=[
        "seed-demo", "--leads", "50", "--users", "2", "--accounts", "10", "--contacts", "20",
        "--opportunities", "10", "--activities", "100"])
    assert result.exit_code == 0, result.output
    assert re.search(r"^Seeded 50 leads, 10 accounts, 20 contacts, 10 opportunities and 100 activities "
                     r"owned by 2 users in \d+\.\d s\.$", result.output, re.MULTILINE)
    with app.app_context():
        assert (count(Lead), count(Account), count(Contact), count(Opportunity), count(Activity)) == (
            50, 10, 20, 10, 100)


def test_contacts_and_opportunities_need_accounts(app):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--leads", "5", "--accounts", "0", "--contacts", "3"])
    assert result.exit_code != 0 and "--accounts 1 or more" in result.output
    with app.app_context():
        assert count(Lead) == 0 and count(Contact) == 0


def test_contacts_only_get_accounts_of_their_own(app_ctx):
    summary = seed_demo(0, users=1, seed=3, now=NOW, contacts=7)
    assert summary.accounts == 3 and count(Account) == 3 and count(Contact) == 7


def test_contacts_belong_to_the_new_accounts_and_are_what_the_app_stores(app_ctx):
    old = make_account(name="Existing Ltd")
    summary = seed_demo(50, users=3, seed=11, now=NOW, chunk_size=7, **SMALL)
    assert (summary.accounts, summary.contacts, summary.activities) == (10, 20, 100)
    accounts = {a.id: a for a in db.session.scalars(sa.select(Account).where(Account.id != old.id))}
    contacts = list(db.session.scalars(sa.select(Contact).order_by(Contact.id)))
    assert len(accounts) == 10 and len(contacts) == 20
    for account in accounts.values():
        kept = (account.name_key, account.domain, account.search_text)
        account.refresh_derived()
        assert (account.name_key, account.domain, account.search_text) == kept
        assert account.billing_country in {c.name for c in COUNTRIES} and account.created_at <= NOW
        assert account.phone_e164 == e164(account.phone)
    string_columns = [c for c in Contact.__table__.columns if getattr(c.type, "length", None)]
    for contact in contacts:
        account = accounts[contact.account_id]  # an account seeded with it, never the old one
        assert contact.owner_id == account.owner_id == contact.created_by_id == contact.updated_by_id
        assert account.created_at <= contact.created_at <= contact.updated_at <= NOW
        assert contact.mailing_country == account.billing_country
        assert contact.phone_e164 == e164(contact.phone) and contact.mobile_e164 == e164(contact.mobile)
        assert contact.email is None or (EMAIL.match(contact.email) and contact.email == contact.email.lower())
        assert contact.last_name and contact.salutation in (None, *SALUTATIONS)
        for column in string_columns:
            value = getattr(contact, column.key)
            assert value is None or (0 < len(value) <= column.type.length and value == value.strip()), column.key
        stored_text = contact.search_text
        contact.refresh_derived()
        assert contact.search_text == stored_text
        assert contact.deleted_at is None
    # An account's contacts write from its domain (when its site is known).
    with_site = [c for c in contacts if c.email and accounts[c.account_id].domain]
    assert with_site and all(c.email.endswith("@" + accounts[c.account_id].domain) for c in with_site)
    assert {o.account_id for o in db.session.scalars(sa.select(Opportunity))} <= set(accounts)
    db.session.rollback()


def test_activities_hang_on_records_that_exist(app_ctx):
    from crm.activities import services as activity_services

    seed_demo(50, users=3, seed=21, now=NOW, chunk_size=16, **{**SMALL, "activities": 400})
    users = {u.id: u for u in db.session.scalars(sa.select(User))}
    activities = list(db.session.scalars(sa.select(Activity).order_by(Activity.id)))
    assert len(activities) == 400
    kinds = Counter()
    for activity in activities:
        kind, record = activity_services.primary_record(activity)
        assert record is not None, activity.id  # the record exists (loaded through its foreign key)
        kinds[kind] += 1
        links = {name: getattr(activity, f"{name}_id") for name in ("lead", "contact", "opportunity", "account")}
        # Exactly the links add_activity() writes for such a record.
        assert {f"{name}_id": value for name, value in links.items() if value} == activity_services.record_links(record)
        assert record.created_at <= activity.created_at <= activity.updated_at <= NOW
        assert activity.created_by_id == record.owner_id and activity.subject
        if activity.kind == "task":
            assert activity.priority in PRIORITIES and users[activity.assignee_id].active and activity.due_date
            assert activity.done == (activity.done_at is not None)
            assert activity.done_at is None or activity.created_at <= activity.done_at <= NOW
        else:
            assert (activity.priority, activity.assignee_id, activity.due_date) == (None, None, None)
            assert not activity.done
        if activity.kind == "event":
            assert activity.starts_at < activity.ends_at
        else:
            assert activity.starts_at is None and activity.ends_at is None
    assert set(kinds) == {"lead", "contact", "account", "opportunity"}
    assert {a.kind for a in activities} == set(ACTIVITY_KINDS)
    tasks = [a for a in activities if a.kind == "task"]
    assert any(t.done for t in tasks) and any(not t.done for t in tasks)
    # Open tasks show on their assignee's list.
    open_task = next(t for t in tasks if not t.done)
    assert open_task in activity_services.my_open_tasks(users[open_task.assignee_id], NOW.date(), limit=1000).tasks


def test_seeded_records_are_found_by_search_and_the_triggers_are_back(app, rep_client):
    with app.app_context():
        seed_demo(50, users=2, seed=5, now=NOW, **SMALL)
        contact = db.session.scalars(sa.select(Contact).order_by(Contact.id)).first()
        account = db.session.get(Account, contact.account_id)
        lead = db.session.scalars(sa.select(Lead).order_by(Lead.id.desc())).first()
        # Written after the seed, through the ORM: the search triggers are there again.
        later = make_contact(account=account, first_name="Zebulon", last_name="Quartermaine")
        fragment = {"HX-Request": "true"}
        queries = [("/contacts", f"{contact.first_name} {contact.last_name}", contact.name),
                   ("/contacts", contact.email or contact.last_name, contact.name),
                   ("/accounts", account.name, account.name),
                   ("/leads", lead.email, lead.last_name),
                   ("/contacts", "quartermaine", later.name)]
    for path, q, expected in queries:
        query = {"q": q, "view": "all"}  # not only the rep's own
        body = rep_client.get(path, query_string=query, headers=fragment).get_data(as_text=True)
        assert html.escape(expected) in body, (path, q)
    body = rep_client.get("/contacts", query_string={"q": "zzqqxx-nobody", "view": "all"},
                          headers=fragment).get_data(as_text=True)
    assert html.escape(contact.name) not in body


def test_a_failed_seed_leaves_nothing_and_puts_everything_back(app_ctx, monkeypatch):
    import crm.demo as demo

    def broken(*args, **kwargs):
        yield from ()
        raise RuntimeError("disk full")

    def schema():
        return sorted(db.session.execute(sa.text("SELECT type, name FROM sqlite_master")).all())

    sqlite = db.session.get_bind().dialect.name == "sqlite"
    before = schema() if sqlite else None
    monkeypatch.setattr(demo, "generate_activities", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        seed_demo(30, users=1, seed=1, now=NOW, **SMALL)
    assert count(Lead) == count(Contact) == count(Account) == 0
    if sqlite:
        assert schema() == before  # triggers and indexes as they were
        connection = db.session.connection()
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1


def test_same_seed_same_contacts_and_activities(database_template, tmp_path):
    def seeded(name):
        if TEST_DATABASE_URL:
            app = make_app(TEST_DATABASE_URL, tmp_path)
            _empty_all_tables(app)
        else:
            path = tmp_path / f"{name}.sqlite3"
            shutil.copyfile(database_template, path)
            app = make_app(f"sqlite:///{path}", tmp_path)
        with app.app_context():
            seed_demo(40, users=2, seed=77, now=NOW, chunk_size=9, **SMALL)
            rows = [dict(r._mapping) for table in (Account.__table__, Contact.__table__, Activity.__table__)
                    for r in db.session.execute(sa.select(table).order_by(table.c.id))]
            db.session.remove()
            if TEST_DATABASE_URL:
                _empty_all_tables(app)
            db.engine.dispose()
        return rows

    first = seeded("first")
    assert len(first) == 10 + 20 + 100
    assert first == seeded("second")


def test_fast_e164_is_the_apps_e164(app_ctx):
    """The seed's E.164 forms (crm/demo_phones.py) are e164()'s, for every country's numbers."""
    import random

    from crm.demo import make_pools

    rng = random.Random(4)
    pools = make_pools(people=4000, accounts=10, seed=8, default_region="US", industries=[], rng=rng)
    checked = invalid = 0
    for loc in pools:
        for template in loc.phones + loc.mobiles:
            for _ in range(12):
                raw, value = template.draw(rng)
                assert value == e164(raw), raw
                checked += 1
                invalid += value is None
    assert checked > 1000 and invalid < checked / 4


def test_the_demo_has_a_catalog_in_the_standard_price_book_once(app_ctx):
    from crm.models.sales import PriceBook, PriceBookEntry, Product

    seed_demo(10, users=1, seed=3, now=NOW)
    seed_demo(10, users=1, seed=4, now=NOW)  # a second run adds no second copy of a product
    products = db.session.scalars(sa.select(Product).order_by(Product.code)).all()
    assert len(products) == 8 and len({p.code for p in products}) == 8
    prices = dict(db.session.execute(
        sa.select(Product.code, PriceBookEntry.unit_price).join(PriceBookEntry.product).join(PriceBookEntry.price_book)
        .where(PriceBook.is_standard)).all())
    assert prices["STX11"] == Decimal("120.00") and prices["CIR-RUN"] == Decimal("95.50") and len(prices) == 8
