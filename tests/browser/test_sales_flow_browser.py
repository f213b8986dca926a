"""The seeds' deal end to end in a browser, at desk and phone sizes: Get Cloudy's "50 Custom
Sneakers" is given its two-line bundle, quoted, accepted (an order), fulfilled (an invoice),
taxed per line, sent and paid, with every total checked against figures worked out by hand; the
PDFs open; the sales flow above the path follows each step. And a quote of a lost deal cannot be
accepted.

The bundle (catalog of crm/demo_catalog.py, standard price book, VAT 20 % on both products):
  30 × Stratus X11 at 120.00, 10 % off = 3,600.00 − 360.00 = 3,240.00; tax 20 % = 648.00
  20 × Cirrus runner at 95.50          = 1,910.00;            tax 20 % = 382.00
  net 5,150.00, tax 1,030.00, total 6,180.00.
On the invoice the runners are taxed at 5.5 % instead: 1,910.00 × 5.5 % = 105.05, so the tax is
648.00 + 105.05 = 753.05 and the total 5,903.05.
"""

import io
import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect
from pypdf import PdfReader

from crm.extensions import db
from tests.browser.conftest import SCREENS, check_accessibility, settled, sign_in

pytestmark = pytest.mark.browser


def plain(text: str) -> str:
    """Babel's French numbers use narrow no-break spaces: compare with plain ones."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def pdf_text(page, url: str) -> str:
    response = page.request.get(url)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    return plain("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages))



def no_sideways_scroll(page, screen):
    if screen == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 360


def flow_states(page, opportunity_id: int) -> list[str]:
    steps = page.locator(f"#opp-{opportunity_id}-flow .flow-step")
    return [" ".join(c for c in (steps.nth(n).get_attribute("class") or "").split() if c != "flow-step")
            for n in range(steps.count())]


@pytest.fixture
def deal(app, rep):
    """The Get Cloudy account (with a shipping address), its deal, and the demo catalog."""
    from crm.demo_catalog import seed_catalog
    from crm.models import User
    from tests.factories import make_account, make_opportunity

    with app.app_context():
        owner = db.session.get(User, rep.id)
        account = make_account(owner, name="Get Cloudy Consulting", billing_street="1 Market St",
                               billing_city="San Francisco", billing_country="United States",
                               shipping_street="Moscone Center, 747 Howard St", shipping_city="San Francisco")
        seed_catalog()
        db.session.commit()
        return make_opportunity(account, actor=owner, name="Get Cloudy - 50 Custom Sneakers").id


def add_line(page, card, product: str, quantity: str, discount: str = ""):
    card.get_by_label("Product").select_option(label=product)
    card.get_by_label("Quantity").fill(quantity)
    if discount:
        card.get_by_label("Discount (%)").fill(discount)
    card.get_by_role("button", name="Add product").click()
    settled(page)


def test_the_sneaker_bundle_is_quoted_ordered_and_invoiced(page, screen, rep, deal):
    sign_in(page, rep.email)
    page.goto(f"/opportunities/{deal}")
    assert flow_states(page, deal) == ["done", "current", "", "", ""]

    # Develop: the two lines of the bundle; the amount follows them, in the header too.
    card = page.locator(f"#opp-{deal}-line-items")
    add_line(page, card, "Stratus X11 custom sneaker (STX11) · €120.00", "30", "10")
    expect(card.locator("tr", has_text="Stratus X11")).to_contain_text("€3,240.00")
    add_line(page, card, "Cirrus runner (CIR-RUN) · €95.50", "20")
    expect(card.locator(f"#opp-{deal}-lines-total")).to_have_text("€5,150.00")
    expect(page.locator(f"#opp-{deal}-figures")).to_contain_text("Amount5,150")
    expect(page.locator(f"#opp-{deal}-flow .flow-step").nth(1)).to_have_class(re.compile(r"\bdone\b"))
    no_sideways_scroll(page, screen)

    # Propose: the quote copies the lines with each product's 20 % VAT and the two addresses.
    page.locator(f"#opp-{deal}-quotes").get_by_role("button", name="Create quote").click()
    expect(page).to_have_url(re.compile(r"/quotes/\d+$"))
    quote_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", level=1)).to_contain_text("Q-00001")
    expect(page.locator(".quote-head-total")).to_have_text("€6,180.00")
    no_sideways_scroll(page, screen)
    page.get_by_role("button", name="Present").click()
    expect(page.locator(".quote-status").first).to_have_text("Presented")
    # Presented, the addresses read as text: shipping from the account's own shipping address.
    expect(page.get_by_text("Moscone Center, 747 Howard St")).to_be_visible()
    expect(page.get_by_text("1 Market St")).to_be_visible()
    quote_pdf = pdf_text(page, f"/quotes/{quote_id}.pdf?lang=fr")
    assert "Q-00001" in quote_pdf and "Get Cloudy Consulting" in quote_pdf and "6 180,00 €" in quote_pdf

    # Close: accepting makes the order, with the same lines and total.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Accept").click()
    expect(page).to_have_url(re.compile(r"/orders/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("ORD-00001")
    expect(page.get_by_text("€6,180.00").first).to_be_visible()
    no_sideways_scroll(page, screen)

    # Fulfil: the invoice, then the runners' tax rate changed in place to 5.5 %.
    page.get_by_role("button", name="Fulfil and invoice").click()
    expect(page).to_have_url(re.compile(r"/invoices/\d+$"))
    invoice_id = int(page.url.rsplit("/", 1)[1])
    expect(page.get_by_role("heading", level=1)).to_contain_text("INV-00001")
    expect(page.get_by_text("€6,180.00").first).to_be_visible()
    page.get_by_role("link", name="Change tax rate of Cirrus runner").click()
    expect(page.get_by_label("Tax rate (%)")).to_be_visible()
    settled(page)
    page.get_by_label("Tax rate (%)").fill("5.5")
    page.get_by_role("button", name="Save tax rate of Cirrus runner").click()
    expect(page.get_by_text("€105.05").first).to_be_visible()
    expect(page.get_by_text("€753.05").first).to_be_visible()
    expect(page.get_by_text("€5,903.05").first).to_be_visible()
    settled(page)
    no_sideways_scroll(page, screen)
    page.once("dialog", lambda dialog: dialog.accept())  # "It cannot be changed afterwards."
    page.get_by_role("button", name="Mark as sent").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sent")
    settled(page)
    page.get_by_role("button", name="Mark as paid").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paid")
    invoice_pdf = pdf_text(page, f"/invoices/{invoice_id}.pdf?lang=en")
    assert "INV-00001" in invoice_pdf and "€5,903.05" in invoice_pdf and "€753.05" in invoice_pdf

    # Back on the deal: won, every step of the flow done, each with its record.
    page.goto(f"/opportunities/{deal}")
    assert flow_states(page, deal) == ["done"] * 5
    flow = page.locator(f"#opp-{deal}-flow")
    for text in ("Q-00001", "ORD-00001", "INV-00001"):
        expect(flow.get_by_role("link", name=re.compile(text))).to_be_visible()
    expect(page.locator(f"#opp-{deal}-figures")).to_contain_text("Amount5,150")
    no_sideways_scroll(page, screen)


@pytest.mark.parametrize("screen_name", list(SCREENS))
def test_a_quote_of_a_lost_deal_cannot_be_accepted(app, browser, live_server, rep, deal, screen_name):
    from crm.models import Opportunity, User
    from crm.models.sales import OpportunityLineItem
    from crm.opportunities import services
    from crm.sales import documents, money

    with app.app_context():
        owner = db.session.get(User, rep.id)
        opportunity = db.session.get(Opportunity, deal)
        db.session.add(OpportunityLineItem(opportunity_id=deal, name="Stratus X11", quantity=30,
                                           unit_price=money.to_decimal("120.00"),
                                           net_amount=money.line_net(30, "120.00")))
        db.session.flush()
        quote = documents.create_quote(opportunity, actor=owner)
        documents.present_quote(quote)
        db.session.commit()
        quote_id = quote.id

    # Its own context: the 409 is expected, and the browser and htmx both log it as an error.
    context = browser.new_context(base_url=live_server, **SCREENS[screen_name])
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, rep.email)
    page.goto(f"/quotes/{quote_id}")
    expect(page.get_by_role("button", name="Accept")).to_be_visible()
    # While the quote is open on screen, the deal is closed lost (on its path, by its owner).
    with app.app_context():
        opportunity = db.session.get(Opportunity, deal)
        lost = next(s for s in services.stages_of(opportunity.pipeline_id) if s.is_lost)
        services.change_stage(opportunity, lost, actor=db.session.get(User, rep.id),
                              loss_reason=services.loss_reasons()[0])
        db.session.commit()
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(re.compile(rf"/quotes/{quote_id}/accept$")) as answer:
        page.get_by_role("button", name="Accept").click()
    assert answer.value.status == 409
    expect(page.locator(".flash", has_text="The opportunity is closed lost: its quotes can no longer be accepted.")
           ).to_be_visible()
    expect(page.locator(".quote-status").first).to_have_text("Presented")
    # The refreshed header offers no Accept any more, and says why.
    expect(page.get_by_role("button", name="Accept")).to_have_count(0)
    expect(page.locator(".quote-lost-note")).to_be_visible()
    no_sideways_scroll(page, screen_name)
    page.goto(f"/opportunities/{deal}")
    assert flow_states(page, deal)[3] == "lost"
    expect(page.get_by_role("link", name=re.compile("ORD-"))).to_have_count(0)
    found = []
    check_accessibility(page, found)
    context.close()
    assert found == []
    assert errors and all("409" in e for e in errors), errors
    with app.app_context():
        from crm.models.sales import Quote, SalesOrder

        assert db.session.get(Quote, quote_id).status == "Presented"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SalesOrder)) == 0
