"""The quotes pages. Thin: the rules are in crm/sales/documents.py and crm/sales/quote_lines.py.

A quote is visible when its opportunity is (crm/sharing.py): every URL of a quote loads the
opportunity through sharing.get_visible, so a rep in private mode gets a 404 on another rep's
quote, its PDF and its actions. While a quote is a draft its lines are edited in place (htmx
row forms; the totals follow out of band) and its details (valid until, addresses, notes) in
one small form.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Response, abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm import joinedload

from crm import sharing
from crm.extensions import db
from crm.htmx import redirect_after_post, render, retarget, wants_fragment
from crm.lists import page_arg, page_of
from crm.models import Opportunity
from crm.models.sales import QUOTE_STATUSES, Quote, QuoteLine, SalesOrder
from crm.quotes import bp
from crm.quotes.forms import ADDRESS_FIELDS, ActionForm, AddLineForm, DetailsForm, LineForm
from crm.sales import documents, line_items, printing, quote_lines

PAGE = "quotes/show.html"
STATUS_BADGES = {"Draft": "off", "Presented": "info", "Accepted": "ok", "Denied": "danger", "Superseded": "off"}


def status_context() -> dict:
    return {"status_badges": STATUS_BADGES}


# Loading

def get_quote(quote_id: int) -> Quote:
    """The quote, or 404 when missing or when its opportunity is not visible (or deleted)."""
    quote = db.session.get(Quote, quote_id)
    if quote is None:
        abort(404)
    sharing.get_visible(Opportunity, quote.opportunity_id)
    return quote


def get_line(quote: Quote, line_id: int) -> QuoteLine:
    line = db.session.get(QuoteLine, line_id)
    if line is None or line.quote_id != quote.id:
        abort(404)
    return line


# The list

@dataclass
class QuoteFilters:
    status: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "QuoteFilters":
        status = args.get("status", "")
        return cls(status=status if status in QUOTE_STATUSES else "", page=page_arg(args))

    def args(self, **changes) -> dict:
        values = {"status": self.status, "page": self.page} | changes
        return {k: v for k, v in values.items() if v not in (None, "") and not (k == "page" and v == 1)}


def visible_quotes() -> sa.Select:
    """Quotes whose opportunity the user may see (and that is not in the recycle bin)."""
    query = (sa.select(Quote).join(Opportunity, Opportunity.id == Quote.opportunity_id)
             .where(Opportunity.deleted_at.is_(None)))
    return sharing.visible(query, Opportunity)


@bp.route("")
@login_required
def index():
    """The quotes the user may see, newest first; ?status= filters, 50 a page."""
    filters = QuoteFilters.from_args(request.args)
    query = visible_quotes()
    if filters.status:
        query = query.where(Quote.status == filters.status)
    query = query.order_by(Quote.number.desc(), Quote.revision.desc(), Quote.id.desc())
    result = page_of(query, Quote.id, filters.page, joinedload(Quote.account))
    response = render("quotes/index.html", "quotes/_list.html", filters=filters, result=result,
                      statuses=QUOTE_STATUSES, **status_context())
    if wants_fragment():
        response.headers["HX-Push-Url"] = url_for("quotes.index", **filters.args())
    return response


# The opportunity page's Quotes card

def quotes_context(opportunity: Opportunity) -> dict:
    """What templates/quotes/_opportunity_quotes.html shows on the opportunity page."""
    return {"opportunity_quotes": documents.quotes_of(opportunity), **status_context()}


@bp.route("/from-opportunity/<int:opportunity_id>", methods=["POST"])
@login_required
def create(opportunity_id: int):
    """A draft quote of the opportunity's line items; a closed opportunity is refused."""
    opportunity = sharing.get_visible(Opportunity, opportunity_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        quote = documents.create_quote(opportunity, actor=current_user)
    except documents.DocumentError as error:
        db.session.rollback()
        flash(str(error.message), "error")
        return redirect_after_post(url_for("opportunities.show", opportunity_id=opportunity.id))
    db.session.commit()
    flash(_("Quote %(number)s created.", number=quote.label), "success")
    return redirect_after_post(url_for("quotes.show", quote_id=quote.id))


# The quote page

def order_of(quote: Quote) -> SalesOrder | None:
    if quote.status != "Accepted":
        return None
    return db.session.scalar(sa.select(SalesOrder).where(SalesOrder.quote_id == quote.id))


def order_url(order: SalesOrder | None) -> str | None:
    if order is not None and "orders.show" in current_app.view_functions:
        return url_for("orders.show", order_id=order.id)
    return None


def details_form(quote: Quote, formdata=None) -> DetailsForm:
    if formdata is None:
        return DetailsForm(obj=quote, formdata=None)
    return DetailsForm()


def quote_context(quote: Quote, **extra) -> dict:
    order = order_of(quote)
    context = {"quote": quote, "opportunity": quote.opportunity, "order": order, "order_url": order_url(order),
               "address_fields": ADDRESS_FIELDS, "revisions": revisions_of(quote), **status_context()}
    if quote.status == "Draft" and "details_form" not in extra:
        context["details_form"] = details_form(quote)
    if quote.status == "Draft":
        # After a successful add the form starts afresh (formdata=None: not the POST just handled).
        form = extra.pop("add_line_form", None) or AddLineForm(prefix="add", formdata=None)
        form.set_choices(line_items.book_entries(quote.price_book_id), quote.currency)
        context["add_line_form"] = form
    return context | extra


def revisions_of(quote: Quote) -> list[Quote]:
    return list(db.session.scalars(sa.select(Quote).where(Quote.number == quote.number, Quote.id != quote.id)
                                   .order_by(Quote.revision.desc())))


def respond(fragment: str, quote: Quote, status: int = 200, **extra):
    return render(PAGE, fragment, status=status, **quote_context(quote, **extra))


@bp.route("/<int:quote_id>")
@login_required
def show(quote_id: int):
    quote = get_quote(quote_id)
    return respond("quotes/_lines.html", quote)


# Details

@bp.route("/<int:quote_id>/details", methods=["POST"])
@login_required
def update_details(quote_id: int):
    """Valid until, addresses and notes of a draft quote; bad input comes back beside it (422)."""
    quote = get_quote(quote_id)
    form = DetailsForm()
    if form.validate_on_submit():
        addresses = {name: form[name].data for names in ADDRESS_FIELDS.values() for name in names}
        try:
            quote_lines.update_quote_details(quote, valid_until=form.valid_until.data, addresses=addresses,
                                             notes=form.notes.data)
        except quote_lines.ValidUntilInPast as error:
            db.session.rollback()
            form.valid_until.errors = [str(error.message)]
        except quote_lines.ValueTooLong as error:
            db.session.rollback()
            form[error.field].errors = [str(error.message)]
        except documents.DocumentError as error:
            db.session.rollback()
            return refused(quote, error)
        else:
            db.session.commit()
            flash(_("Quote details saved."), "success")
            if wants_fragment():
                return respond("quotes/_details.html", quote)
            return redirect_after_post(url_for("quotes.show", quote_id=quote.id))
    if quote.status != "Draft":
        return refused(quote, documents.QuoteNotDraft())
    return respond("quotes/_details.html", quote, status=422, details_form=form)


# Lines

@bp.route("/<int:quote_id>/lines/<int:line_id>")
@login_required
def line(quote_id: int, line_id: int):
    """One line as listed (what Cancel brings back)."""
    quote = get_quote(quote_id)
    return respond("quotes/_line.html", quote, line=get_line(quote, line_id))


@bp.route("/<int:quote_id>/lines/<int:line_id>/edit")
@login_required
def edit_line(quote_id: int, line_id: int):
    """The line's quantity, price, discount and tax rate as a small form in place of its row."""
    quote = get_quote(quote_id)
    line = get_line(quote, line_id)
    if quote.status != "Draft":
        return refused(quote, documents.QuoteNotDraft())
    form = LineForm(formdata=None, prefix=f"l{line.id}", data=line_form_data(line))
    return respond("quotes/_line_form.html", quote, line=line, line_form=form, editing_line=line.id)


def line_form_data(line: QuoteLine) -> dict:
    """The line's values as the reader types them (2 decimals, their own notation)."""
    from flask_babel import format_decimal

    return {name: format_decimal(getattr(line, name), format="0.00")
            for name in ("quantity", "unit_price", "discount_percent", "tax_rate")}


def change_lines(quote: Quote, form, change) -> tuple[QuoteLine | None, Response | None]:
    """Run one change of a draft quote's lines (a quote_lines service call) and commit: (the
    line, None). A bad value puts its message beside its field on `form`: (None, None), for the
    caller's 422. A rule that says no (not a draft any more): (None, the refused answer)."""
    try:
        line = change()
    except quote_lines.InvalidLineValue as error:
        db.session.rollback()
        form[error.field].errors = [str(error.message)]
    except documents.AmountTooLarge as error:
        db.session.rollback()
        form.quantity.errors = [str(error.message)]
    except documents.DocumentError as error:
        return None, refused(quote, error)
    else:
        db.session.commit()
        return line, None
    return None, None


@bp.route("/<int:quote_id>/lines/<int:line_id>", methods=["POST"])
@login_required
def update_line(quote_id: int, line_id: int):
    """Save a line; the row and the totals come back (422 with the message beside a bad value)."""
    quote = get_quote(quote_id)
    line = get_line(quote, line_id)
    form = LineForm(prefix=f"l{line.id}")
    if not form.validate_on_submit():
        abort(400)
    saved, refusal = change_lines(quote, form, lambda: quote_lines.update_quote_line(
        quote, line, quantity=form.quantity.data, unit_price=form.unit_price.data,
        discount_percent=form.discount_percent.data, tax_rate=form.tax_rate.data))
    if refusal is not None:
        return refusal
    if saved is not None:
        if wants_fragment():
            return respond("quotes/_line_saved.html", quote, line=line, totals_changed=True)
        flash(_("Line %(name)s saved.", name=line.name), "success")
        return redirect_after_post(url_for("quotes.show", quote_id=quote.id))
    return respond("quotes/_line_form.html", quote, status=422, line=line, line_form=form, editing_line=line.id)


@bp.route("/<int:quote_id>/lines", methods=["POST"])
@login_required
def add_line(quote_id: int):
    """Add a product of the quote's price book to a draft quote; the lines and totals come back
    (422 with the message beside a bad value, the typed values kept)."""
    quote = get_quote(quote_id)
    form = AddLineForm(prefix="add")
    if not form.validate_on_submit():
        abort(400)
    line, refusal = change_lines(quote, form, lambda: quote_lines.add_quote_line(
        quote, product_id=form.product_id.data, quantity=form.quantity.data, unit_price=form.unit_price.data,
        discount_percent=form.discount_percent.data))
    if refusal is not None:
        return refusal
    if line is not None:
        flash(_("%(name)s added to the quote.", name=line.name), "success")
        if wants_fragment():
            return respond("quotes/_lines.html", quote, totals_changed=True)
        return redirect_after_post(url_for("quotes.show", quote_id=quote.id))
    db.session.refresh(quote)
    return respond("quotes/_lines.html", quote, status=422, add_line_form=form)


@bp.route("/<int:quote_id>/lines/<int:line_id>/delete", methods=["POST"])
@login_required
def remove_line(quote_id: int, line_id: int):
    """Take a line off a draft quote; the lines and totals come back."""
    quote = get_quote(quote_id)
    line = get_line(quote, line_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    name = line.name
    try:
        quote_lines.remove_quote_line(quote, line)
    except documents.DocumentError as error:
        db.session.rollback()
        return refused(quote, error)
    db.session.commit()
    flash(_("Line %(name)s removed.", name=name), "success")
    if wants_fragment():
        return respond("quotes/_lines.html", quote, totals_changed=True)
    return redirect_after_post(url_for("quotes.show", quote_id=quote.id))


# Actions

def refused(quote: Quote, error: documents.DocumentError, status: int = 409):
    """A rule said no: nothing changed; the message is shown (flash) with the quote as it is."""
    db.session.rollback()
    db.session.refresh(quote)
    flash(str(error.message), "error")
    response = respond("quotes/_head.html", quote, status=status)
    if wants_fragment():
        retarget(response, f"#quote-{quote.id}-head", "outerHTML")
    return response


def action(quote_id: int, run, message):
    """Run one status change of the quote; commit once; go where it leads."""
    quote = get_quote(quote_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        target = run(quote)
    except documents.DocumentError as error:
        return refused(quote, error)
    db.session.commit()
    flash(message(quote, target), "success")
    return redirect_after_post(target_url(quote, target))


def target_url(quote: Quote, target) -> str:
    if isinstance(target, SalesOrder):
        return order_url(target) or url_for("quotes.show", quote_id=quote.id)
    if isinstance(target, Quote):
        return url_for("quotes.show", quote_id=target.id)
    return url_for("quotes.show", quote_id=quote.id)


@bp.route("/<int:quote_id>/present", methods=["POST"])
@login_required
def present(quote_id: int):
    """Draft → Presented."""
    return action(quote_id, documents.present_quote,
                  lambda quote, _target: _("Quote %(number)s presented.", number=quote.label))


@bp.route("/<int:quote_id>/deny", methods=["POST"])
@login_required
def deny(quote_id: int):
    """Presented → Denied (the opportunity stays open)."""
    return action(quote_id, documents.deny_quote,
                  lambda quote, _target: _("Quote %(number)s denied.", number=quote.label))


@bp.route("/<int:quote_id>/revise", methods=["POST"])
@login_required
def revise(quote_id: int):
    """A new draft revision (same number); the old one is superseded."""
    return action(quote_id, lambda quote: documents.revise_quote(quote, actor=current_user),
                  lambda quote, revision: _("Revision %(number)s created.", number=revision.label))


@bp.route("/<int:quote_id>/accept", methods=["POST"])
@login_required
def accept(quote_id: int):
    """The customer accepted: the opportunity is won, the other quotes superseded, the order made
    (all or nothing); then the order's page."""
    return action(quote_id, lambda quote: documents.accept_quote(quote, actor=current_user),
                  lambda quote, order: _("Quote %(number)s accepted: order %(order)s created.",
                                         number=quote.label, order=order.number))


# Printing

@bp.route("/<int:quote_id>/print")
@login_required
def print_page(quote_id: int):
    """The quote on paper: no app chrome, the print stylesheet; ?lang=en|fr."""
    quote = get_quote(quote_id)
    return Response(printing.document_html("quote", quote, request.args.get("lang")), mimetype="text/html")


@bp.route("/<int:quote_id>.pdf")
@login_required
def pdf(quote_id: int):
    """The same document as a PDF (WeasyPrint); ?lang=en|fr."""
    quote = get_quote(quote_id)
    response = Response(printing.document_pdf("quote", quote, request.args.get("lang")), mimetype="application/pdf")
    filename = f"{printing.document_number('quote', quote)}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
