"""The report pages: index, every report as a page and as a fragment, filters kept in the links,
bad filters answered with a message, and the figures of the book shown in the tables and charts."""

import re

import pytest

from tests.conftest import PASSWORD, login, stored
from tests.reports.fixture import build_book

YEAR = "period=custom&from=2026-01-01&to=2026-12-31"
REPORTS = ("pipeline", "forecast", "leads", "win-rate", "speed-to-lead", "stages")


@pytest.fixture
def book(app):
    with app.app_context():
        return build_book()


@pytest.fixture
def manager_client(client, book):
    assert login(client, "alice@example.com", PASSWORD).status_code == 303
    return client


def test_reports_need_sign_in(client):
    assert client.get("/reports").status_code == 302
    assert client.get("/reports/pipeline").status_code == 302


def test_index_lists_every_report_and_keeps_the_filters(manager_client):
    html = manager_client.get("/reports?period=last-year").get_data(as_text=True)
    for name in REPORTS:
        assert f'href="/reports/{name}?period=last-year"' in html
    assert 'aria-current="page"' in html and ">Reports</a>" in html  # the main nav link


@pytest.mark.parametrize("name", REPORTS)
def test_each_report_is_a_page_and_a_fragment(manager_client, name):
    page = manager_client.get(f"/reports/{name}?{YEAR}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and 'id="report-filters"' in html and 'id="report-body"' in html
    assert 'class="chart-svg" viewBox="0 0 320 ' in html and 'role="group"' in html
    assert "<title id=" in html and "<desc id=" in html
    assert "<table" in html and "<caption" in html
    assert " style=" not in html and "<script>" not in html
    fragment = manager_client.get(f"/reports/{name}?{YEAR}", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith('<div id="report-body"')
    assert fragment.headers["HX-Push-Url"] == f"/reports/{name}?period=custom&from=2026-01-01&to=2026-12-31"
    assert "HX-Request" in fragment.headers["Vary"]
    # The other reports' links swap with the body, so they keep the filters just chosen.
    other = "forecast" if name != "forecast" else "pipeline"
    assert f'href="/reports/{other}?period=custom&amp;from=2026-01-01&amp;to=2026-12-31"' in body


def test_unknown_report_is_404(manager_client):
    assert manager_client.get("/reports/nope").status_code == 404


@pytest.mark.parametrize("query, message", [
    ("period=someday", "Choose a period from the list."),
    ("period=custom&from=2026-13-01", "Enter a date as YYYY-MM-DD"),
    ("period=custom&from=2026-12-31&to=2026-01-01", "The start date is after the end date"),
    ("owner=abc", "Choose an owner from the list."),
    ("owner=99999", "Choose an owner from the list."),
    ("pipeline=%27%3B--", "Choose a pipeline from the list."),
])
def test_bad_filters_get_a_message_not_an_error(manager_client, query, message):
    for name in ("pipeline", "leads"):
        response = manager_client.get(f"/reports/{name}?{query}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert 'role="alert"' in html and message in html
    fragment = manager_client.get(f"/reports/stages?{query}", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and message in fragment.get_data(as_text=True)


def test_pipeline_report_figures_and_links(manager_client, book):
    html = manager_client.get(f"/reports/pipeline?{YEAR}&owner={book.alice}").get_data(as_text=True)
    negotiation = book.stages["Negotiation/Review"]
    link = (f"/opportunities?view=all&amp;owner={book.alice}&amp;pipeline={book.pipeline}&amp;close_from=2026-01-01"
            f"&amp;close_to=2026-12-31&amp;stage={negotiation}")
    assert f'<a href="{link}">' in html
    assert re.search(r'<text class="chart-label" x="4" y="[\d.]+">Negotiation/Review</text>\s*'
                     r'<text class="chart-value" x="[\d.]+" y="[\d.]+">2,000.00 · 1 deal</text>', html)
    assert re.search(r'<td data-label="Amount" class="num">\s*2,000.00\s*</td>', html)
    assert re.search(r'<td data-label="Amount" class="num">\s*6,500.00\s*</td>', html)  # the total


def test_forecast_report_stacks_categories_by_month(manager_client, book):
    html = manager_client.get(f"/reports/forecast?{YEAR}").get_data(as_text=True)
    assert "Mar 2026" in html and "Apr 2026" in html and "Jun 2026" in html and "Feb 2027" not in html
    assert 'aria-label="Apr 2026, Closed: 8,000.00"' in html
    # A category's amount opens exactly those deals: the month's, in that forecast category.
    assert "/opportunities?view=all&amp;close_from=2026-04-01&amp;close_to=2026-04-30&amp;forecast=Closed" in html


def test_lead_report_funnel_and_conversion(manager_client, book):
    html = manager_client.get(f"/reports/leads?{YEAR}").get_data(as_text=True)
    assert re.search(r'>Web</text>\s*<text class="chart-value" x="[\d.]+" y="[\d.]+">1 of 2 · 50%</text>', html)
    assert 'aria-label="Web, converted: 1"' in html and 'aria-label="Web, not converted: 1"' in html
    created = "created_from=2026-01-01&amp;created_to=2026-12-31"
    assert f'href="/leads?view=all&amp;{created}&amp;status={book.statuses["Closed - Converted"]}"' in html
    assert f'href="/leads?view=converted&amp;{created}&amp;source=Trade+Show"' in html
    assert f'href="/leads?view=all&amp;{created}&amp;campaign={book.campaign}"' in html
    assert f'href="/leads?view=converted&amp;{created}&amp;campaign={book.campaign}"' in html
    assert re.search(r'>Spring Expo</text>\s*<text class="chart-value" x="[\d.]+" y="[\d.]+">2 of 3 · 66.7%</text>',
                     html)


def test_win_rate_report(manager_client, book):
    html = manager_client.get(f"/reports/win-rate?{YEAR}").get_data(as_text=True)
    assert ">50% (1 of 2)</text>" in html and ">10.5 days</text>" in html and ">5,000.00</text>" in html
    assert f"/opportunities?view=won&amp;owner={book.bob}&amp;close_from=2026-01-01&amp;close_to=2026-12-31" in html


def test_speed_to_lead_report(manager_client, book):
    html = manager_client.get(f"/reports/speed-to-lead?{YEAR}").get_data(as_text=True)
    assert ">13.0 h</text>" in html and ">3.0 h</text>" in html
    assert re.search(r'<td data-label="Median hours" class="num">3.0</td>', html)  # everyone


def test_stage_report(manager_client, book):
    html = manager_client.get(f"/reports/stages?{YEAR}").get_data(as_text=True)
    assert re.search(r'>Qualification</text>\s*<text class="chart-value" x="[\d.]+" y="[\d.]+">5 · 80%</text>', html)
    assert re.search(r'<td data-label="To the next stage" class="num">62.5%</td>', html)  # 5 of 8
    assert ">11.3 d</text>" in html


def test_report_in_french(client, app, book):
    from tests.factories import make_user

    stored(app, make_user, email="fr@example.com", name="Françoise", locale="fr")
    login(client, "fr@example.com", PASSWORD)
    html = client.get(f"/reports/pipeline?{YEAR}").get_data(as_text=True)
    assert "2\u202f000,00" in html or "2\xa0000,00" in html or "2 000,00" in html


def test_empty_database_shows_empty_reports(admin_client):
    for name in REPORTS:
        response = admin_client.get(f"/reports/{name}")
        assert response.status_code == 200


def test_campaign_chart_shows_the_first_fifteen_and_the_table_all(app, admin_client, admin):
    from crm.extensions import db
    from crm.models import Campaign, Lead, LeadStatus

    with app.app_context():
        status = db.session.query(LeadStatus).filter_by(is_default=True).one()
        for n in range(17):
            campaign = Campaign(name=f"Campaign {n:02d}")
            db.session.add(campaign)
            db.session.flush()
            for _ in range(n + 1):
                db.session.add(Lead(last_name="L", company="C", status_id=status.id, owner_id=admin.id,
                                    campaign_id=campaign.id))
        db.session.commit()
    html = admin_client.get("/reports/leads").get_data(as_text=True)
    chart = html[html.index('id="chart-campaigns"'):html.index("</svg>", html.index('id="chart-campaigns"'))]
    assert chart.count('<g class="chart-row">') == 15 and "Campaign 16" in chart and "Campaign 01" not in chart
    assert html.count(";campaign=") == 17 * 3 + 15 * 2  # the table's name and counts, the chart's row and bar
    assert "The chart shows the 15 with the most leads" in html


def test_a_report_table_exports_as_csv_and_xlsx_with_numbers_as_numbers(manager_client):
    import csv
    import io

    from openpyxl import load_workbook

    html = manager_client.get(f"/reports/pipeline?{YEAR}").get_data(as_text=True)
    assert "/reports/pipeline/export.csv?section=1&amp;period=custom" in html
    assert "/reports/pipeline/export.xlsx?section=1&amp;period=custom" in html
    response = manager_client.get(f"/reports/pipeline/export.csv?section=1&{YEAR}")
    assert response.status_code == 200 and "text/csv" in response.content_type
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["Stage", "Deals", "Amount"]
    by_stage = {row[0]: row for row in rows[1:]}
    # O1 (1,000) and O8 (no amount) are in Prospecting; O9 is deleted: as on the page, unformatted.
    assert by_stage["Prospecting"][1:3] == ["2", "1000.00"]
    assert by_stage["Negotiation/Review"][1:3] == ["1", "2000.00"]
    assert rows[-1][0] == "Total"

    xlsx = manager_client.get(f"/reports/pipeline/export.xlsx?section=1&{YEAR}")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data), read_only=True).active
    cells = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert cells["Prospecting"][1] == 2 and float(cells["Prospecting"][2]) == 1000.0


@pytest.mark.parametrize("query", ["section=0", "section=99", "section=x"])
def test_a_missing_report_table_is_404(manager_client, query):
    assert manager_client.get(f"/reports/pipeline/export.csv?{query}").status_code == 404
    assert manager_client.get(f"/reports/nope/export.csv?{query}").status_code == 404
