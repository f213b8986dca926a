"""Web-to-Lead in a browser: set up a form and copy its embed code, paste the code into a page of
another site (another port: another origin) and send it, with and without the iframe, review the
spam quarantine; on a desktop and on a 360 px phone."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from crm.extensions import db
from crm.models import Lead, User
from crm.models.web_form import WebForm, WebFormSubmission
from tests.browser.conftest import sign_in
from tests.webforms.conftest import make_web_form, visitor_post

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    # A person takes more than a second to fill the form in; the tests wait that long.
    return {"W2L_MIN_SECONDS": 1, "W2L_LIMIT_PER_IP": "1000 per minute"}


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def open_menu(page, screen):
    if screen == "phone":
        page.get_by_role("button", name="Menu").click()


@pytest.fixture
def other_site():
    """A second web server, on another port: the company's own website, serving `pages[path]`."""
    pages: dict[str, str] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write((body or "not found").encode())

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", pages
    server.shutdown()
    thread.join(timeout=5)


def company_page(snippet: str) -> str:
    """A plain page of the company's site with the pasted snippet in it."""
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Example Corp - Contact</title><link rel="icon" href="data:,"></head>
<body><main><h1>Contact Example Corp</h1>
{snippet}
</main></body></html>"""


def stored_leads(app) -> list[Lead]:
    with app.app_context():
        leads = list(db.session.scalars(sa.select(Lead).order_by(Lead.id)))
        for lead in leads:
            db.session.expunge(lead)
        return leads


def test_set_up_a_form_and_copy_its_embed_code(page, screen, app, admin):
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    open_menu(page, screen)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Web forms").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Web forms")
    expect(page.get_by_text("No web forms yet.")).to_be_visible()
    page.get_by_role("link", name="Add a web form").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a web form")
    page.get_by_label("Name", exact=True).fill("Pricing page")
    page.get_by_label("Return URL").fill("example.com/thanks")
    page.get_by_label("Show Phone", exact=True).check()
    page.get_by_label("Label in French of Phone", exact=True).fill("Téléphone fixe")
    page.get_by_role("button", name="Save").click()
    # 422: the form swaps in place with the message beside the field.
    expect(page.locator("#return_url-error")).to_have_text("Enter a full web address starting with http:// or https://.")
    expect(page.get_by_label("Show Phone", exact=True)).to_be_checked()
    if screen == "phone":
        assert no_horizontal_scroll(page)
    page.get_by_label("Return URL").fill("https://example.com/thanks")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pricing page")
    expect(page.get_by_text("Web form Pricing page saved.")).to_be_visible()

    snippet = page.get_by_label("HTML form")
    expect(snippet).to_have_value(re.compile(r'<form action="http://127\.0\.0\.1:\d+/w2l/[\w-]+" method="post"'))
    assert 'name="phone"' in snippet.input_value()
    page.get_by_role("button", name="Copy").first.click()
    expect(page.locator(".w2l-snippet .w2l-copied").first).to_have_text("Copied")
    page.get_by_role("link", name="Français").click()
    expect(page.get_by_label("HTML form")).to_have_value(re.compile("Téléphone fixe"))
    if screen == "phone":
        assert no_horizontal_scroll(page)
    with app.app_context():
        web_form = db.session.scalar(sa.select(WebForm))
        assert web_form.return_url == "https://example.com/thanks" and web_form.created_by_id == admin.id


def test_the_pasted_form_and_iframe_work_on_another_origin(page, screen, app, admin, live_server, other_site):
    with app.app_context():
        web_form = make_web_form(db.session.get(User, admin.id))
        form_id = web_form.id
    # The admin copies both snippets from the form's page...
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto(f"/forms/{form_id}")
    plain, iframe = page.get_by_label("HTML form").input_value(), page.get_by_label("Iframe").input_value()
    assert live_server in plain and live_server in iframe
    # ...and pastes them into pages of the company's site, served from another port.
    site, pages = other_site
    pages["/contact.html"] = company_page(plain)
    pages["/contact-iframe.html"] = company_page(iframe)

    page.goto(f"{site}/contact.html")
    page.get_by_label("First name").fill("Zoé")
    page.get_by_label("Last name").fill("Durand <b>")
    page.get_by_label("Company").fill("Durand & Fils")
    page.get_by_label("Work email").fill("zoe@durand.example")
    page.get_by_role("button", name="Send").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server)}/w2l/[\w-]+/thanks$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    [lead] = stored_leads(app)
    assert (lead.first_name, lead.last_name, lead.company, lead.email) == (
        "Zoé", "Durand <b>", "Durand & Fils", "zoe@durand.example")
    assert lead.owner_id == admin.id and lead.lead_source == "Web"

    page.goto(f"{site}/contact-iframe.html")
    frame = page.frame_locator("iframe")
    frame.get_by_label("Last name").fill("Martin")
    frame.get_by_label("Company").fill("Martin SA")
    frame.get_by_label("Work email").fill("not an email")
    page.wait_for_timeout(1100)  # a person's pace (W2L_MIN_SECONDS)
    frame.get_by_role("button", name="Send").click()
    # Invalid: the form comes back inside the frame with the message, the values kept.
    expect(frame.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(frame.get_by_label("Last name")).to_have_value("Martin")
    frame.get_by_label("Work email").fill("martin@example.com")
    frame.get_by_role("button", name="Send").click()
    expect(frame.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert page.url == f"{site}/contact-iframe.html"  # the company's page stays
    assert [lead.last_name for lead in stored_leads(app)] == ["Durand <b>", "Martin"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebFormSubmission)
                                 .where(WebFormSubmission.state == "lead")) == 2
    if screen == "phone":
        assert no_horizontal_scroll(page)


def test_the_hosted_form_on_a_phone(page, screen, app, admin):
    with app.app_context():
        web_form = make_web_form(db.session.get(User, admin.id))
        key = web_form.form_key
    page.goto(f"/w2l/{key}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contact us")
    # The honeypot is out of sight and out of the tab order.
    expect(page.locator("#homepage")).not_to_be_in_viewport()
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_role("alert")).to_have_text("Please correct the fields marked below.")
    expect(page.locator("#last_name-error")).to_have_text("Enter the last name.")
    expect(page.get_by_label("Last name")).to_have_attribute("aria-invalid", "true")
    if screen == "phone":
        assert no_horizontal_scroll(page)
        box = page.get_by_role("button", name="Send").bounding_box()
        assert box["height"] >= 44
    assert stored_leads(app) == []


def test_release_a_quarantined_post(page, screen, app, admin):
    with app.app_context():
        web_form = make_web_form(db.session.get(User, admin.id))
        db.session.expunge(web_form)
    visitor_post(app.test_client(), app, web_form, homepage="autofilled", last_name="Genuine")
    sign_in(page, admin.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Ada Admin")
    page.goto("/forms")
    page.get_by_role("link", name=re.compile("^Spam quarantine")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Spam quarantine")
    expect(page.get_by_text("Hidden field filled in")).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Release").click()
    expect(page.get_by_text("Lead Ana Genuine created.")).to_be_visible()
    expect(page.get_by_text("Nothing to review.")).to_be_visible()
    assert page.evaluate("window.__sameDocument === true")  # an htmx swap
    if screen == "phone":
        assert no_horizontal_scroll(page)
    assert [lead.last_name for lead in stored_leads(app)] == ["Genuine"]
