"""Each report's figures against the hand-computed book of tests/reports/fixture.py."""

from datetime import date
from decimal import Decimal

import pytest

from crm.reports import queries
from crm.reports.queries import Scope
from tests.reports.fixture import YEAR, build_book


@pytest.fixture
def book(app_ctx):
    return build_book()


def year(**extra) -> Scope:
    return Scope(*YEAR, **extra)


def test_pipeline_by_stage_counts_sums_and_weighs_per_stage(book):
    rows = {row.stage: row for row in queries.pipeline_by_stage(year(), book.pipeline)}
    assert (rows["Prospecting"].count, rows["Prospecting"].amount, rows["Prospecting"].weighted) == \
        (2, Decimal("1000.00"), Decimal("100.00"))  # O1 and O8 (no amount); O9 is deleted
    assert (rows["Negotiation/Review"].count, rows["Negotiation/Review"].amount, rows["Negotiation/Review"].weighted) \
        == (1, Decimal("2000.00"), Decimal("1800.00"))
    assert (rows["Closed Won"].count, rows["Closed Won"].amount, rows["Closed Won"].weighted) == \
        (2, Decimal("8000.00"), Decimal("8000.00"))
    assert (rows["Closed Lost"].count, rows["Closed Lost"].amount, rows["Closed Lost"].weighted) == \
        (2, Decimal("4500.00"), Decimal("0.00"))
    assert rows["Perception Analysis"].count == 0  # O7 closes in 2027
    # Every stage, the open ones in order first, then the closed ones.
    names = [row.stage for row in queries.pipeline_by_stage(year(), book.pipeline)]
    assert names[0] == "Prospecting" and names[-2:] == ["Closed Won", "Closed Lost"] and len(names) == 10


def test_pipeline_by_stage_follows_owner_and_period(book):
    rows = {row.stage: row for row in queries.pipeline_by_stage(year(owner_id=book.alice), book.pipeline)}
    assert {name: (r.count, r.amount) for name, r in rows.items() if r.count} == {
        "Prospecting": (1, Decimal("1000.00")), "Negotiation/Review": (1, Decimal("2000.00")),
        "Closed Won": (1, Decimal("3000.00")), "Closed Lost": (1, Decimal("500.00"))}
    april = Scope(date(2026, 4, 1), date(2026, 4, 30))
    rows = {row.stage: row for row in queries.pipeline_by_stage(april, book.pipeline) if row.count}
    assert {name: r.count for name, r in rows.items()} == {"Closed Won": 2, "Closed Lost": 1}


def test_forecast_by_close_month_and_category(book):
    rows = [(r.month, r.category, r.count, r.amount, r.weighted) for r in queries.forecast(year())]
    assert rows == [
        ("2026-03", "Commit", 1, Decimal("2000.00"), Decimal("1800.00")),
        ("2026-03", "Pipeline", 1, Decimal("1000.00"), Decimal("100.00")),
        ("2026-04", "Closed", 2, Decimal("8000.00"), Decimal("8000.00")),
        ("2026-06", "Pipeline", 1, Decimal("0.00"), Decimal("0.00")),
    ]  # lost deals are Omitted; O7 closes in 2027


def test_forecast_without_period_reaches_next_year(book):
    months = {(r.month, r.category): r.amount for r in queries.forecast(Scope(owner_id=book.bob))}
    assert months == {("2026-04", "Closed"): Decimal("5000.00"), ("2026-06", "Pipeline"): Decimal("0.00"),
                      ("2027-02", "Best Case"): Decimal("10000.00")}


def test_lead_funnel_by_status(book):
    rows = {r.status: r.count for r in queries.lead_funnel(year())}
    assert rows == {"Open - Not Contacted": 1, "Working - Contacted": 1, "Closed - Converted": 2,
                    "Closed - Not Converted": 1}
    assert [r.status for r in queries.lead_funnel(year())][0] == "Open - Not Contacted"
    assert {r.status: r.count for r in queries.lead_funnel(year(owner_id=book.alice))}["Closed - Converted"] == 1


def test_conversion_by_lead_source(book):
    rows = {r.key: (r.leads, r.converted, r.rate) for r in queries.conversion_by_source(year())}
    assert rows == {"Web": (2, 1, 0.5), "Trade Show": (2, 1, 0.5), None: (1, 0, 0.0)}
    assert [r.key for r in queries.conversion_by_source(year())][-1] is None  # most leads first


def test_conversion_by_campaign(book):
    rows = {r.name: (r.key, r.leads, r.converted) for r in queries.conversion_by_campaign(year())}
    assert rows == {"Spring Expo": (book.campaign, 3, 2), None: (None, 2, 0)}
    # Before the period: L6 (Web, no campaign) alone.
    before = Scope(date(2025, 12, 1), date(2025, 12, 31))
    assert [(r.key, r.leads) for r in queries.conversion_by_campaign(before)] == [(None, 1)]


def test_win_rate_deal_size_and_sales_cycle_by_owner(book):
    rows = {r.owner: r for r in queries.win_rates(year())}
    alice, bob = rows["Alice Archer"], rows["Bob Baker"]
    assert (alice.closed, alice.won, alice.win_rate, alice.won_amount, alice.average_deal, alice.cycle_days) == \
        (2, 1, 0.5, Decimal("3000.00"), Decimal("3000.00"), 30.0)
    assert (bob.closed, bob.won, bob.win_rate, bob.won_amount, bob.average_deal, bob.cycle_days) == \
        (2, 1, 0.5, Decimal("5000.00"), Decimal("5000.00"), 10.5)
    april = {r.owner: (r.closed, r.won) for r in queries.win_rates(Scope(date(2026, 4, 1), date(2026, 4, 30)))}
    assert april == {"Alice Archer": (1, 1), "Bob Baker": (2, 1)}  # O6 closes in May


def test_speed_to_lead_average_and_median_hours(book):
    rows, everyone = queries.speed_to_lead(year())
    by_owner = {r.owner: (r.leads, r.contacted, r.average_hours, r.median_hours) for r in rows}
    assert by_owner == {"Alice Archer": (2, 2, 3.0, 3.0), "Bob Baker": (3, 2, 13.0, 13.0)}
    assert (everyone.leads, everyone.contacted, everyone.average_hours, everyone.median_hours) == (5, 4, 8.0, 3.0)
    rows, everyone = queries.speed_to_lead(year(owner_id=book.alice))
    assert (everyone.leads, everyone.average_hours, everyone.median_hours) == (2, 3.0, 3.0)


def test_speed_to_lead_median_of_an_odd_count(book):
    rows, everyone = queries.speed_to_lead(Scope(date(2026, 2, 1), date(2026, 3, 1)))
    assert (everyone.leads, everyone.contacted, everyone.median_hours) == (3, 3, 4.0)  # 2, 4, 24 hours


def test_stage_flow_reached_and_days_in_stage(book):
    rows = queries.stage_flow(year(), book.pipeline)
    reached = {r.stage: r.reached for r in rows}
    assert reached == {"Prospecting": 8, "Qualification": 5, "Needs Analysis": 4, "Value Proposition": 4,
                       "Id. Decision Makers": 4, "Perception Analysis": 4, "Proposal/Price Quote": 3,
                       "Negotiation/Review": 3, "Closed Won": 2}
    assert [r.stage for r in rows][-1] == "Closed Won"  # lost stages are no step
    days = {r.stage: (r.left, r.average_days) for r in rows if r.left}
    assert days == {"Prospecting": (6, 11.3), "Qualification": (2, 9.0), "Needs Analysis": (1, 6.0)}


def test_stage_flow_follows_owner_and_creation_period(book):
    rows = queries.stage_flow(year(owner_id=book.bob), book.pipeline)
    assert {r.stage: r.reached for r in rows if r.reached} == {
        "Prospecting": 4, "Qualification": 3, "Needs Analysis": 2, "Value Proposition": 2, "Id. Decision Makers": 2,
        "Perception Analysis": 2, "Proposal/Price Quote": 1, "Negotiation/Review": 1, "Closed Won": 1}
    january = queries.stage_flow(Scope(date(2026, 1, 1), date(2026, 1, 31)), book.pipeline)
    assert {r.stage: r.reached for r in january}["Prospecting"] == 3  # O1, O2, O7


def test_day_helpers_compile_for_postgresql():
    """The dialect helpers give PostgreSQL its own functions (the suite also runs there in CI)."""
    import sqlalchemy as sa
    from sqlalchemy.dialects import postgresql

    from crm.models import Opportunity

    sql = str(sa.select(queries.year_month(Opportunity.close_date),
                        queries.days_between(Opportunity.close_date, Opportunity.created_at))
              .compile(dialect=postgresql.dialect()))
    assert "to_char(opportunities.close_date, 'YYYY-MM')" in sql
    assert "EXTRACT(EPOCH FROM" in sql and "strftime" not in sql and "julianday" not in sql


def test_queries_do_not_grow_with_the_rows(book):
    """Every figure is aggregated by the database: the number of statements does not depend on how
    many deals, leads or activities there are (no query per row, no rows loaded to loop over)."""
    import sqlalchemy as sa

    from crm.extensions import db
    from tests.reports.fixture import build_more

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            scope = year()
            queries.pipeline_by_stage(scope, book.pipeline)
            queries.forecast(scope)
            queries.lead_funnel(scope)
            queries.conversion_by_source(scope)
            queries.conversion_by_campaign(scope)
            queries.win_rates(scope)
            queries.speed_to_lead(scope)
            queries.stage_flow(scope, book.pipeline)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    before = statements()
    build_more(book, 40)
    assert statements() == before == 9
