"""The Alembic migrations build the schema the models describe, on SQLite and PostgreSQL."""

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from crm.extensions import db
from crm.models import User
from crm.search_index import made_by_hand
from tests.factories import make_user


def schema_diff():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "compare_type": True, "compare_server_default": False,
            "include_name": lambda name, type_, parents: not made_by_hand(name)})
        return compare_metadata(context, db.metadata)


def test_migrations_at_head_match_the_models(app, app_ctx):
    # The test database was built by `upgrade()` (tests/conftest.py), not by create_all().
    with db.engine.connect() as conn:
        version = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    heads = MigrationContext.configure(db.engine.connect()).get_current_heads()
    assert version in heads
    assert schema_diff() == []


def test_downgrade_to_base_and_upgrade_again(app, app_ctx):
    downgrade(revision="base")
    assert "users" not in sa.inspect(db.engine).get_table_names()
    upgrade()
    assert "users" in sa.inspect(db.engine).get_table_names()
    assert schema_diff() == []


def test_upgrade_on_an_existing_database_keeps_its_data(app, app_ctx):
    make_user(email="keep@example.com")
    upgrade()  # already at head: must be a no-op, never a rebuild
    count = db.session.scalar(sa.text("SELECT count(*) FROM users WHERE email = 'keep@example.com'"))
    assert count == 1


def test_search_index_follows_inserts_updates_and_deletes(app, app_ctx):
    """The trigram index (FTS5 table and triggers on SQLite, pg_trgm on PostgreSQL) is in step."""
    from crm.leads import queries, services
    from tests.factories import make_lead

    rep = make_user()
    lead = make_lead(rep, first_name="Hélène", last_name="Lefèvre", company="Société Générale")

    def found(q):
        return [x.id for x in queries.lead_page(queries.LeadFilters(q=q, view="all"), rep).items]

    assert found("lefevre") == [lead.id] and found("societe gen") == [lead.id]
    services.update_lead(lead, {"last_name": "Dupont"}, actor=rep)
    db.session.commit()
    assert found("lefevre") == [] and found("dupont") == [lead.id]
    db.session.delete(lead)
    db.session.commit()
    assert found("dupont") == []


def test_search_still_follows_leads_after_every_migration(app, app_ctx):
    """A batch migration of `leads` on SQLite rebuilds the table: its search triggers must be back."""
    from crm.leads import queries
    from tests.factories import make_lead

    downgrade(revision="0003")
    upgrade()
    rep = make_user()
    lead = make_lead(rep, last_name="Zanzibar")
    assert [x.id for x in queries.lead_page(queries.LeadFilters(q="zanzib", view="all"), rep).items] == [lead.id]


def test_rebuilding_leads_keeps_what_refers_to_them(app, app_ctx):
    """SQLite batch migrations rebuild `leads`; its activities must not be cascaded away."""
    from crm.activities.services import add_activity
    from crm.models import Activity
    from tests.factories import make_lead

    rep = make_user()
    lead = make_lead(rep)
    add_activity(lead, "call", {"subject": "Intro call"}, actor=rep)
    db.session.commit()
    db.session.remove()
    downgrade(revision="0003")
    upgrade()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 1
    with db.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_0006_keeps_opportunities_and_gives_them_a_first_history_row(app, app_ctx):
    """Opportunities made before the stage history (by conversions) keep everything: their data,
    their contact roles and activities (SQLite rebuilds the table), and they get their history."""
    from crm.activities.services import add_activity
    from crm.models import Activity, Opportunity
    from crm.opportunities.services import stage_history
    from tests.factories import make_account, make_opportunity

    rep = make_user()
    opportunity = make_opportunity(make_account(rep), actor=rep, name="Before 0006", amount=500)
    add_activity(opportunity, "call", {"subject": "Pricing call"}, actor=rep)
    db.session.commit()
    opportunity_id = opportunity.id
    db.session.remove()
    downgrade(revision="0005")
    upgrade()
    opportunity = db.session.get(Opportunity, opportunity_id)
    assert (opportunity.name, opportunity.amount) == ("Before 0006", 500)
    assert opportunity.stage_entered_at == opportunity.created_at
    assert [(h.from_stage, h.to_stage) for h in stage_history(opportunity)] == [(None, "Prospecting")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Activity)) == 1
    assert opportunity.stage.key_fields == ["amount", "close_date", "next_step"]


def test_0007_adds_assignment_and_keeps_leads_searchable(app, app_ctx):
    """0007 rebuilds `leads` on SQLite: leads and their search survive a round trip, and the
    assignment settings row is there for the default owner."""
    from crm.assignment import services as assignment
    from crm.leads import queries
    from crm.models import AssignmentSettings, Lead
    from tests.factories import make_lead

    rep = make_user()
    lead = make_lead(rep, last_name="Kilimanjaro")
    lead_id, rep_id = lead.id, rep.id
    db.session.remove()
    downgrade(revision="0006")
    assert "queues" not in sa.inspect(db.engine).get_table_names()
    upgrade()
    assert db.session.get(AssignmentSettings, 1).default_owner_id is None
    queue = assignment.create_queue(name="Paris")
    assignment.create_rule(name="All", queue_id=queue.id)
    lead = db.session.get(Lead, lead_id)
    assignment.assign(lead)
    db.session.commit()
    assert (lead.owner_id, lead.queue_id) == (None, queue.id)
    found = queries.lead_page(queries.LeadFilters(q="kilimanj", view="all"), db.session.get(User, rep_id)).items
    assert [x.id for x in found] == [lead_id]


def test_0008_gives_existing_leads_their_duplicate_keys(app, app_ctx):
    """Leads stored before 0008 get their match keys, so that the duplicate check finds them at once."""
    from crm.leads.duplicates import find_duplicates
    from crm.models import LeadMatchKey
    from tests.factories import make_lead

    lead = make_lead(make_user(), first_name="Hélène", last_name="Lefèvre", company="Société Générale SA", email=None)
    lead_id = lead.id
    db.session.remove()
    downgrade(revision="0007")
    assert "lead_merges" not in sa.inspect(db.engine).get_table_names()
    upgrade()
    key = db.session.get(LeadMatchKey, lead_id)
    assert (key.name_key, key.company_key) == ("lefevre", "societe generale")
    found = find_duplicates({"first_name": "Helene", "last_name": "Lefevre", "company": "Societe Generale"})
    assert [m.id for m in found] == [lead_id]


def test_0009_makes_leads_that_name_a_campaign_its_members(app, app_ctx):
    from crm.campaigns.services import lead_history
    from crm.models import Campaign, CampaignMember, Lead
    from tests.factories import make_lead

    campaign = Campaign(name="Salon 2026")
    db.session.add(campaign)
    db.session.commit()
    campaign_id = campaign.id
    lead_id = make_lead(make_user(), campaign_id=campaign_id).id
    # As before campaign membership was recorded: the lead names the campaign, no member row.
    db.session.execute(sa.delete(CampaignMember))
    db.session.commit()
    db.session.remove()
    downgrade(revision="0008")
    upgrade()
    upgrade()  # twice: no second membership
    members = db.session.scalars(sa.select(CampaignMember)).all()
    assert [(m.campaign_id, m.lead_id, m.status) for m in members] == [(campaign_id, lead_id, "Responded")]
    assert [entry.campaign_name for entry in lead_history(db.session.get(Lead, lead_id))] == ["Salon 2026"]


def test_0010_puts_the_account_name_in_the_search_text_of_existing_deals(app, app_ctx):
    from crm.models import Opportunity
    from tests.factories import make_account, make_opportunity

    rep = make_user()
    deal_id = make_opportunity(make_account(rep, name="Société Générale"), actor=rep, name="Custom Sneakers",
                               next_step="Call").id
    db.session.remove()
    downgrade(revision="0009")
    # Read with SQL: at 0009 the table lacks columns today's model has.
    search_text = sa.text("SELECT search_text FROM opportunities WHERE id = :id")
    assert db.session.scalar(search_text, {"id": deal_id}) == "custom sneakers call"
    db.session.remove()
    upgrade()
    assert db.session.get(Opportunity, deal_id).search_text == "custom sneakers call societe generale"


def test_0015_gives_postgresql_the_order_of_the_live_lists_from_an_index(app, app_ctx):
    """On PostgreSQL, the default lead list and the board columns read a partial index in order
    rather than sorting every live row (SQLite's own indexes already do; nothing to add there)."""
    import pytest

    from crm.leads.queries import LeadFilters, lead_query

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL-only indexes: SQLite's existing indexes give these orders")
    rep = make_user()
    with db.engine.connect() as conn:
        names = set(conn.scalars(sa.text("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_live_%'")))
        assert names == {"ix_live_leads_updated", "ix_live_leads_owner_updated", "ix_live_opportunities_close",
                         "ix_live_opportunities_owner_close", "ix_live_opportunities_stage_updated"}
        # With sorting priced out, a plan without "Sort" proves an index gives the order.
        conn.execute(sa.text("SET enable_sort = off"))
        query = lead_query(LeadFilters(view="all"), rep).limit(51)
        plan = "\n".join(conn.scalars(sa.text("EXPLAIN " + str(query.compile(
            db.engine, compile_kwargs={"literal_binds": True})))))
        assert "ix_live_leads_updated" in plan and "Sort" not in plan, plan
