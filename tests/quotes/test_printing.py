"""The printable quote and its PDF, in English and French; the PDF fetches nothing but static files."""

import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from crm.sales import printing
from tests.quotes.helpers import new_quote, text


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ").replace("\u202f", " ")


def test_the_pdf_in_english(app, rep_client, rep, deal):
    quote_id = new_quote(app, deal, rep.id)
    response = rep_client.get(f"/quotes/{quote_id}.pdf?lang=en")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == 'inline; filename="Q-00001.pdf"'
    assert response.data.startswith(b"%PDF")
    content = pdf_text(response.data)
    for expected in ("Quote Q-00001", "Get Cloudy Consulting", "Total €6,180.00", "Net total €5,150.00",
                     "Stratus", "Valid until"):
        assert expected in content, expected


def test_the_pdf_in_french(app, rep_client, rep, deal):
    quote_id = new_quote(app, deal, rep.id)
    content = pdf_text(rep_client.get(f"/quotes/{quote_id}.pdf?lang=fr").data)
    assert "Get Cloudy Consulting" in content and "Q-00001" in content
    assert "6 180,00 €" in content and "5 150,00 €" in content and "€6,180.00" not in content
    assert "novembre" in content or "décembre" in content or "janvier" in content  # a French date


def test_the_print_page_has_no_app_chrome(app, rep_client, rep, deal):
    quote_id = new_quote(app, deal, rep.id)
    response = rep_client.get(f"/quotes/{quote_id}/print")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert 'href="/static/css/print.css"' in html and "main-nav" not in html and "<script" not in html
    page = text(html)
    assert "Quote Q-00001" in page and "Total €6,180.00" in page and "Get Cloudy Consulting" in page
    assert "1 Cloud Street" in page and "69001 Lyon" in page
    # Quantities and rates read as people write them: 50 pairs, no discount, 20 % VAT (not 50.00,
    # 0.00 and 20.00).
    assert " STRATUS-X11 Stratus X11 50 €100.00 0 €5,000.00 20 €1,000.00 €6,000.00 " in page
    french = text(rep_client.get(f"/quotes/{quote_id}/print?lang=fr").get_data(as_text=True))
    assert "6 180,00 €" in french
    # An unknown language falls back to the reader's.
    assert "€6,180.00" in text(rep_client.get(f"/quotes/{quote_id}/print?lang=xx").get_data(as_text=True))


def test_the_print_names_the_quote_as_its_page_does(app, rep_client, rep, deal):
    """Q-00001 on the page is Q-00001 on paper; its revision is Q-00001-1 on both."""
    quote_id = new_quote(app, deal, rep.id)
    assert "Q-00001-0" not in rep_client.get(f"/quotes/{quote_id}/print").get_data(as_text=True)
    with app.app_context():
        from crm.extensions import db
        from crm.models import User
        from crm.models.sales import Quote
        from crm.sales import documents

        revision = documents.revise_quote(db.session.get(Quote, quote_id), actor=db.session.get(User, rep.id))
        db.session.commit()
        revision_id = revision.id
    heading = text(rep_client.get(f"/quotes/{revision_id}").get_data(as_text=True))
    assert "Q-00001-1" in heading
    assert "Quote Q-00001-1" in text(rep_client.get(f"/quotes/{revision_id}/print").get_data(as_text=True))
    response = rep_client.get(f"/quotes/{revision_id}.pdf?lang=en")
    assert response.headers["Content-Disposition"] == 'inline; filename="Q-00001-1.pdf"'
    assert "Quote Q-00001-1" in pdf_text(response.data)


def test_the_fetcher_serves_static_files_only(app, tmp_path):
    fetch = printing.static_fetcher(app.static_folder)
    from pathlib import Path

    css = (Path(app.static_folder) / "css" / "print.css").resolve()
    assert b".doc-lines" in fetch(css.as_uri())["string"]
    secret = tmp_path / "secret.txt"
    secret.write_text("no")
    for url in ("http://example.com/x.css", "https://127.0.0.1/", secret.as_uri(),
                (Path(app.static_folder) / ".." / "crm" / "config.py").as_uri(), "data:text/css,body{}"):
        with pytest.raises(printing.FetchRefused):
            fetch(url)


def test_the_pdf_never_fetches_from_the_network(app, rep, deal, monkeypatch):
    """Every URL WeasyPrint asks for goes through the static-only fetcher: the print stylesheet is
    served, a remote one (had the page one) would be refused, and the PDF is still made."""
    from weasyprint import HTML

    from crm.extensions import db
    from crm.models.sales import Quote

    asked, refused = [], []
    real = printing.static_fetcher

    def spy(folder):
        fetch = real(folder)

        def wrapped(url, *args, **kwargs):
            asked.append(url)
            try:
                return fetch(url, *args, **kwargs)
            except printing.FetchRefused:
                refused.append(url)
                raise
        return wrapped

    monkeypatch.setattr(printing, "static_fetcher", spy)
    quote_id = new_quote(app, deal, rep.id)
    with app.test_request_context():
        data = printing.document_pdf("quote", db.session.get(Quote, quote_id), "en")
    assert data.startswith(b"%PDF") and asked
    assert all(url.startswith("file://") and url.endswith("/static/css/print.css") for url in asked)
    page = '<link rel="stylesheet" href="http://192.0.2.1/x.css"><img src="https://192.0.2.1/a.png"><p>Hi</p>'
    fetch = spy(app.static_folder)
    assert HTML(string=page, url_fetcher=fetch).write_pdf().startswith(b"%PDF")
    assert set(refused) == {"http://192.0.2.1/x.css", "https://192.0.2.1/a.png"}


def test_the_seller_is_the_company_named_in_the_environment(app, rep_client, rep, deal, monkeypatch):
    from crm.config import from_environment

    def company() -> str:
        fixed = {"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
        return from_environment(Path(app.instance_path), fixed)["FILON_COMPANY_NAME"]

    monkeypatch.setenv("FILON_COMPANY_NAME", "Cloud Kicks")
    assert company() == "Cloud Kicks"
    monkeypatch.setenv("FILON_COMPANY_NAME", "  ")
    assert company() == "Filon"
    app.config["FILON_COMPANY_NAME"] = "Cloud Kicks"
    quote_id = new_quote(app, deal, rep.id)
    assert "Cloud Kicks" in text(rep_client.get(f"/quotes/{quote_id}/print").get_data(as_text=True))


def test_the_sellers_address_and_vat_number_are_printed(app, rep_client, rep, deal, monkeypatch):
    """What an EU invoice must say of its issuer: address and VAT number, from the environment."""
    from crm.config import from_environment

    monkeypatch.setenv("FILON_COMPANY_ADDRESS", " 1 Cloud Street ; 69001 Lyon;;France ")
    monkeypatch.setenv("FILON_COMPANY_VAT_NUMBER", " FR12345678901 ")
    settings = from_environment(Path(app.instance_path), {"SECRET_KEY": "k", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert settings["FILON_COMPANY_ADDRESS"] == ("1 Cloud Street", "69001 Lyon", "France")
    assert settings["FILON_COMPANY_VAT_NUMBER"] == "FR12345678901"
    quote_id = new_quote(app, deal, rep.id)
    # Unset, nothing is printed for them.
    page = rep_client.get(f"/quotes/{quote_id}/print").get_data(as_text=True)
    assert "doc-seller-address" not in page and "VAT number" not in page
    app.config.update(FILON_COMPANY_ADDRESS=settings["FILON_COMPANY_ADDRESS"],
                      FILON_COMPANY_VAT_NUMBER=settings["FILON_COMPANY_VAT_NUMBER"])
    page = rep_client.get(f"/quotes/{quote_id}/print").get_data(as_text=True)
    assert '<p class="doc-seller-address">1 Cloud Street<br>69001 Lyon<br>France</p>' in page
    assert "VAT number: FR12345678901" in page
    content = pdf_text(rep_client.get(f"/quotes/{quote_id}.pdf?lang=fr").data)
    assert "1 Cloud Street" in content and "N° de TVA : FR12345678901" in content
