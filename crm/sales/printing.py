"""Printable quotes, orders and invoices: one generic page (templates/sales/print.html) shown
as HTML (the browser prints it) or turned into a PDF by WeasyPrint.

Both render inside `force_locale(lang)`, so the labels and the number and date formats follow
the language asked for ("1 234,50 €", "24 novembre 2026" in French). WeasyPrint never touches
the network: its URL fetcher serves files under the app's static folder and refuses the rest.
"""

from pathlib import Path
from urllib.parse import unquote, urlparse

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

KINDS = ("quote", "order", "invoice")
PRINT_CSS = "css/print.css"
TITLES = {"quote": _l("Quote %(number)s"), "order": _l("Order %(number)s"), "invoice": _l("Invoice %(number)s")}


class FetchRefused(ValueError):
    """WeasyPrint asked for something outside the static folder."""


def document_number(kind: str, document) -> str:
    """The number a document is known by, as its page shows it: a quote's label (Q-00001, then
    Q-00001-1 for its first revision)."""
    return document.label if kind == "quote" else document.number


def language(lang: str | None) -> str:
    """A supported language, else the reader's own (the request's locale)."""
    from flask_babel import get_locale

    languages = current_app.config["LANGUAGES"]
    if lang in languages:
        return lang
    current = str(get_locale() or "")
    return current if current in languages else languages[0]


def _context(kind: str, document, stylesheet: str) -> dict:
    if kind not in KINDS:
        raise ValueError(f"unknown document kind {kind!r}")
    return {"kind": kind, "document": document, "title": TITLES[kind] % {"number": document_number(kind, document)},
            "seller": current_app.config.get("FILON_COMPANY_NAME") or "Filon", "stylesheet": stylesheet,
            "seller_address": current_app.config.get("FILON_COMPANY_ADDRESS") or (),
            "seller_vat_number": current_app.config.get("FILON_COMPANY_VAT_NUMBER") or "",
            "valid_until": getattr(document, "valid_until", None), "issue_date": getattr(document, "issue_date", None),
            "due_date": getattr(document, "due_date", None)}


def document_html(kind: str, document, lang: str | None = None) -> str:
    """The printable page of a quote, an order or an invoice, in `lang` (en or fr)."""
    with force_locale(language(lang)):
        return render_template("sales/print.html", **_context(kind, document, url_for("static", filename=PRINT_CSS)),
                               favicon=url_for("static", filename="favicon.svg"))


def static_fetcher(static_folder: str):
    """A WeasyPrint URL fetcher that serves only files under `static_folder`."""
    root = Path(static_folder).resolve()

    def fetch(url: str, *args, **kwargs) -> dict:
        parsed = urlparse(url)
        if parsed.scheme != "file":
            raise FetchRefused(url)
        path = Path(unquote(parsed.path)).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            raise FetchRefused(url)
        return {"string": path.read_bytes(), "mime_type": "text/css" if path.suffix == ".css" else None,
                "redirected_url": path.as_uri()}

    return fetch


def document_pdf(kind: str, document, lang: str | None = None) -> bytes:
    """The same document as a PDF (bytes)."""
    from weasyprint import HTML

    static = Path(current_app.static_folder).resolve()
    with force_locale(language(lang)):
        html = render_template("sales/print.html", **_context(kind, document, PRINT_CSS))
    return HTML(string=html, base_url=static.as_uri() + "/", url_fetcher=static_fetcher(str(static))).write_pdf()
