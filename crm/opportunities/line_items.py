"""The Products card of the opportunity page: its price book, its line items and their total.

Adding, changing or removing a line sets the opportunity's amount to the lines' sum
(crm/sales/line_items.py). For htmx a change answers with the whole card, the header figures
and the field history out of band, and the event "opp-lines-changed" (the amount key field on
the path reloads itself on it); without JavaScript every action is a plain POST and a 303 back
to the page. Bad input comes back beside its field with 422; a closed deal's lines answer 409.
"""

import sqlalchemy as sa
from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.extensions import db
from crm.htmx import retarget, wants_fragment
from crm.models import Opportunity
from crm.models.sales import OpportunityLineItem, PriceBook
from crm.opportunities import bp
from crm.opportunities.line_item_forms import LineItemChangeForm, LineItemForm, PriceBookForm
from crm.opportunities.record import get_opportunity, respond
from crm.sales import line_items as service
from crm.sales import money
from crm.sales.documents import DocumentError, line_items
from crm.sales.flow import flow_context

CARD = "opportunities/_line_items.html"
ROW = "opportunities/_line_item_row.html"
ROW_FORM = "opportunities/_line_item_form.html"
CHANGED_EVENT = "opp-lines-changed"


def line_items_context(opportunity: Opportunity, add_form: LineItemForm | None = None,
                       price_book_form: PriceBookForm | None = None, **extra) -> dict:
    """What the Products card shows. Closed deals show their lines read-only (no forms)."""
    # The same queries whatever the deal's state (tests/test_query_counts.py): its book (a select,
    # never the identity map), its lines, the book's products and the active books.
    book = db.session.scalar(sa.select(PriceBook).where(
        PriceBook.id == opportunity.price_book_id if opportunity.price_book_id else PriceBook.is_standard))
    currency = book.currency if book else "EUR"
    items = line_items(opportunity)
    entries = service.book_entries(book.id if book else 0)
    books = service.active_price_books()
    locked = opportunity.stage.is_closed
    context = {"line_items": items, "line_book": book, "line_currency": currency, "lines_locked": locked,
               "lines_total": money.totals(items).net, "add_line_form": None, "price_book_form": None}
    if not locked:
        # After a successful add the form starts afresh (formdata=None: not the POST just handled).
        add_form = add_form or LineItemForm(prefix="line", formdata=None)
        add_form.set_choices(entries, currency)
        context["add_line_form"] = add_form
        if not items or price_book_form is not None:  # (a refusal shows its message)
            price_book_form = price_book_form or PriceBookForm(prefix="book", formdata=None)
            price_book_form.set_choices(books)
            if price_book_form.price_book_id.data is None and book is not None:
                price_book_form.price_book_id.data = book.id
            context["price_book_form"] = price_book_form
    return {**context, **extra}


def card_response(opportunity: Opportunity, status: int = 200, **context):
    """The card for htmx (swapped whole), the page otherwise."""
    response = respond(CARD, opportunity, status=status, **line_items_context(opportunity, **context))
    if wants_fragment():
        retarget(response, f"#opp-{opportunity.id}-line-items", "outerHTML")
    return response


def get_line_item(opportunity: Opportunity, item_id: int) -> OpportunityLineItem:
    item = db.session.get(OpportunityLineItem, item_id)
    if item is None or item.opportunity_id != opportunity.id:
        abort(404)
    return item


def open_opportunity(opportunity_id: int) -> Opportunity:
    """The visible opportunity whose lines may change; a closed one answers 409."""
    opportunity = get_opportunity(opportunity_id)
    if opportunity.stage.is_closed:
        abort(409, str(service.LinesLocked.message))
    return opportunity


def done(opportunity: Opportunity, message: str):
    db.session.commit()
    flash(message, "success")
    if wants_fragment():
        # The header figures and the sales flow (Develop) follow the lines, out of band.
        response = card_response(opportunity, oob=True, **flow_context(opportunity))
        response.headers["HX-Trigger"] = CHANGED_EVENT
        return response
    return redirect(url_for("opportunities.show", opportunity_id=opportunity.id, _anchor="line-items-title"), 303)


def refused(error: DocumentError):
    """Nothing stored; a closed deal is a conflict, anything else goes beside its field."""
    db.session.rollback()
    if isinstance(error, service.LinesLocked):
        abort(409, str(error.message))


@bp.route("/<int:opportunity_id>/line-items", methods=["POST"])
@login_required
def add_line_item(opportunity_id: int):
    """Add a product of the price book; a blank unit price is the book's price."""
    opportunity = open_opportunity(opportunity_id)
    form = LineItemForm(prefix="line")
    if form.validate_on_submit():
        try:
            item = service.add_line_item(
                opportunity, product_id=form.product_id.data, quantity=form.quantity.data,
                unit_price=form.unit_price.data or None, discount_percent=form.discount_percent.data,
                actor=current_user)
        except DocumentError as error:
            refused(error)
            form.error_field(error).errors = [error.message]
        else:
            return done(opportunity, _("%(name)s added to the products.", name=item.name))
    return card_response(opportunity, status=422, add_form=form)


@bp.route("/<int:opportunity_id>/line-items/<int:item_id>")
@login_required
def line_item(opportunity_id: int, item_id: int):
    """One line as listed (what Cancel brings back)."""
    opportunity = get_opportunity(opportunity_id)
    item = get_line_item(opportunity, item_id)
    return respond(ROW, opportunity, item=item, **line_items_context(opportunity))


@bp.route("/<int:opportunity_id>/line-items/<int:item_id>/edit")
@login_required
def edit_line_item(opportunity_id: int, item_id: int):
    """The line's quantity, unit price and discount, as a small form in place of its row."""
    opportunity = open_opportunity(opportunity_id)
    item = get_line_item(opportunity, item_id)
    form = LineItemChangeForm(obj=item, prefix=f"li{item.id}")
    return respond(ROW_FORM, opportunity, item=item, line_form=form, editing_line=item.id,
                   **line_items_context(opportunity))


@bp.route("/<int:opportunity_id>/line-items/<int:item_id>", methods=["POST"])
@login_required
def update_line_item(opportunity_id: int, item_id: int):
    """Save a line; bad input comes back beside its field (422, nothing stored)."""
    opportunity = open_opportunity(opportunity_id)
    item = get_line_item(opportunity, item_id)
    form = LineItemChangeForm(prefix=f"li{item.id}")
    if form.validate_on_submit():
        try:
            service.update_line_item(item, quantity=form.quantity.data, unit_price=form.unit_price.data,
                                     discount_percent=form.discount_percent.data, actor=current_user)
        except DocumentError as error:
            refused(error)
            form.error_field(error).errors = [error.message]
        else:
            return done(opportunity, _("%(name)s saved.", name=item.name))
    item = get_line_item(opportunity, item_id)  # as stored (a rollback expired it)
    return respond(ROW_FORM, opportunity, status=422, item=item, line_form=form, editing_line=item.id,
                   **line_items_context(opportunity))


@bp.route("/<int:opportunity_id>/line-items/<int:item_id>/delete", methods=["POST"])
@login_required
def remove_line_item(opportunity_id: int, item_id: int):
    """Remove a line; the amount becomes the other lines' sum (0 when none are left)."""
    opportunity = open_opportunity(opportunity_id)
    item = get_line_item(opportunity, item_id)
    name = item.name
    try:
        service.remove_line_item(item, actor=current_user)
    except DocumentError as error:
        refused(error)
        abort(409, str(error.message))
    return done(opportunity, _("%(name)s removed from the products.", name=name))


@bp.route("/<int:opportunity_id>/price-book", methods=["POST"])
@login_required
def set_price_book(opportunity_id: int):
    """Choose the opportunity's price book (only while it has no products)."""
    opportunity = open_opportunity(opportunity_id)
    form = PriceBookForm(prefix="book")
    if form.validate_on_submit():
        book = db.session.get(PriceBook, form.price_book_id.data)
        try:
            service.set_price_book(opportunity, book, actor=current_user)
        except DocumentError as error:
            refused(error)
            form.price_book_id.errors = [error.message]
        else:
            return done(opportunity, _("Price book set to %(name)s.", name=book.name))
    return card_response(opportunity, status=422, price_book_form=form)
