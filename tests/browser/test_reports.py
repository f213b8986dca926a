"""Reports in a browser, on a desk and on a 360 px phone: open a report from the index, change the
filters (the body swaps in place, the URL follows), then click a bar and land on the filtered list."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.reports.fixture import build_book

pytestmark = pytest.mark.browser


@pytest.fixture
def book(app):
    with app.app_context():
        return build_book()


def no_horizontal_scroll(page, screen):
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_open_a_report_filter_it_and_click_a_bar(page, screen, book):
    sign_in(page, "alice@example.com")
    page.goto("/reports")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    page.get_by_role("link", name="Pipeline by stage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pipeline by stage")
    expect(page.locator("svg.chart-svg")).to_be_visible()
    no_horizontal_scroll(page, screen)

    # Filters swap the report body only (the page stays), and the URL keeps them.
    page.evaluate("window.__sameDocument = true")
    page.get_by_label("Period").select_option("custom")
    page.get_by_label("From").fill("2026-01-01")
    page.get_by_label("To").fill("2026-12-31")
    expect(page).to_have_url(re.compile(r"/reports/pipeline\?period=custom&pipeline=\d+&from=2026-01-01&to=2026-12-31$"))
    page.get_by_label("Owner").select_option(label="Alice Archer")
    expect(page).to_have_url(re.compile(rf"owner={book.alice}"))
    expect(page.get_by_role("status")).to_contain_text("Owner: Alice Archer")
    assert page.evaluate("window.__sameDocument === true")

    # The chart's bars are links named by their label and figures.
    bar = page.locator("#chart-pipeline").get_by_role("link", name="Negotiation/Review 2,000.00 · 1 deal")
    expect(bar).to_be_visible()
    expect(page.locator("table.report-table").get_by_role("link", name="Negotiation/Review")).to_be_visible()
    box = page.locator("svg.chart-svg").bounding_box()
    assert box["width"] <= (340 if screen == "phone" else 1280)
    no_horizontal_scroll(page, screen)
    if screen == "phone":
        bar.locator("text.chart-label").tap()
    else:  # the keyboard alone: a bar is a link like any other
        bar.focus()
        expect(bar).to_be_focused()
        page.keyboard.press("Enter")

    # The list of the records behind the bar.
    expect(page).to_have_url(re.compile(r"/opportunities\?view=all&owner=\d+&pipeline=\d+&close_from=2026-01-01"
                                        r"&close_to=2026-12-31&stage=\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Opportunities")
    expect(page.get_by_role("link", name="Deal O2")).to_be_visible()
    expect(page.get_by_role("link", name="Deal O1")).to_have_count(0)
    expect(page.get_by_role("status")).to_contain_text("1 opportunity")


def test_stacked_bar_part_opens_its_records(page, screen, book):
    sign_in(page, "alice@example.com")
    page.goto("/reports/forecast?period=custom&from=2026-01-01&to=2026-12-31")
    expect(page.get_by_role("heading", level=1)).to_have_text("Forecast")
    no_horizontal_scroll(page, screen)
    page.locator("svg.chart-svg a[aria-label='Apr 2026, Closed: 8,000.00']").click()
    expect(page).to_have_url(re.compile(r"/opportunities\?view=all&close_from=2026-04-01&close_to=2026-04-30&forecast=Closed$"))
    expect(page.get_by_role("link", name="Deal O3")).to_be_visible()
    expect(page.get_by_role("link", name="Deal O4")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("2 opportunities")


def test_lead_report_bar_opens_the_lead_list(page, screen, book):
    sign_in(page, "alice@example.com")
    page.goto("/reports/leads?period=custom&from=2026-01-01&to=2026-12-31")
    no_horizontal_scroll(page, screen)
    # A stacked bar's parts link on their own; the row's label links to all its leads.
    row = page.locator("#chart-sources").get_by_role("link", name="Trade Show 1 of 2 · 50%")
    expect(page.locator("#chart-sources").get_by_role("link", name="Trade Show, converted: 1")).to_have_attribute(
        "href", "/leads?view=converted&created_from=2026-01-01&created_to=2026-12-31&source=Trade+Show")
    row.locator("text.chart-label").click()
    expect(page).to_have_url(re.compile(r"/leads\?view=all&created_from=2026-01-01&created_to=2026-12-31&source=Trade\+Show$"))
    expect(page.get_by_role("link", name="Lead L3")).to_be_visible()
    expect(page.get_by_role("link", name="Lead L4")).to_be_visible()
    expect(page.get_by_role("link", name="Lead L1")).to_have_count(0)


@pytest.mark.parametrize("name, heading, lands_on", [
    ("win-rate", "Win rate, deal size and sales cycle", r"/opportunities\?view=won&owner=\d+&close_from=2026-01-01"),
    ("speed-to-lead", "Speed to lead", r"/leads\?view=all&owner=\d+&created_from=2026-01-01&created_to=2026-12-31$"),
    ("stages", "Stage conversion and days in stage", r"/opportunities\?view=all&pipeline=\d+&stage=\d+$"),
])
def test_every_chart_fits_a_phone_and_its_bars_open_lists(page, screen, book, name, heading, lands_on):
    sign_in(page, "alice@example.com")
    page.goto(f"/reports/{name}?period=custom&from=2026-01-01&to=2026-12-31")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    charts = page.locator("svg.chart-svg")
    expect(charts.first).to_be_visible()
    for n in range(charts.count()):
        assert charts.nth(n).bounding_box()["width"] <= (340 if screen == "phone" else 1280)
    no_horizontal_scroll(page, screen)
    charts.first.locator("a").first.locator("text.chart-label").click()
    expect(page).to_have_url(re.compile(lands_on))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
