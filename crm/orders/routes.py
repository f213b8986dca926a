"""Orders: the list, the record page, fulfil (→ the draft invoice) and cancel.

A wrong state (fulfilling an order twice, cancelling a fulfilled one) answers 409 with the
reason: for htmx in the message area (crm/errors.py), otherwise the page again with it flashed.
"""

from flask import abort, current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.extensions import db
from crm.htmx import redirect_after_post, render, wants_fragment
from crm.models.sales import ORDER_STATUSES
from crm.orders import bp, queries
from crm.sales import documents

PAGE = "orders/show.html"
# The statuses in the filter's order, in the reader's language (crm/sales/documents.py).
STATUS_LABELS = {status: documents.STATUS_LABELS[status] for status in ORDER_STATUSES}


def order_context(order) -> dict:
    # The accepted quote's page, once the quotes pages exist.
    has_quote_page = "quotes.show" in current_app.view_functions
    return {"order": order, "invoice": queries.invoice_of(order), "status_labels": STATUS_LABELS,
            "quote_link": bool(order.quote_id and has_quote_page)}


def refused(order, error: documents.DocumentError):
    """The service said no: nothing stored; 409 with the reason."""
    db.session.rollback()
    if wants_fragment():
        abort(409, str(error.message))
    flash(str(error.message), "error")
    return render(PAGE, "orders/_order.html", status=409, **order_context(order))


@bp.route("")
@login_required
def index():
    """The orders whose opportunity the user may see, newest first; ?status= narrows."""
    filters = queries.DocumentFilters.from_args(request.args)
    response = render("orders/index.html", "orders/_list.html", filters=filters,
                      result=queries.order_page(filters), status_labels=STATUS_LABELS)
    if wants_fragment():
        response.headers["HX-Push-Url"] = url_for("orders.index", **filters.args())
    return response


@bp.route("/<int:order_id>")
@login_required
def show(order_id: int):
    """The order: status, links, addresses, lines with their tax, totals, its invoice once fulfilled."""
    order = queries.get_order(order_id)
    return render(PAGE, "orders/_order.html", **order_context(order))


@bp.route("/<int:order_id>/fulfil", methods=["POST"])
@login_required
def fulfil(order_id: int):
    """Open → Fulfilled, with its draft invoice; then to the invoice."""
    order = queries.get_order(order_id)
    try:
        invoice = documents.fulfil_order(order, actor=current_user)
    except documents.DocumentError as error:
        return refused(order, error)
    db.session.commit()
    flash(_("Order %(number)s fulfilled: invoice %(invoice)s drafted.", number=order.number,
            invoice=invoice.number), "success")
    return redirect_after_post(url_for("invoices.show", invoice_id=invoice.id))


@bp.route("/<int:order_id>/cancel", methods=["POST"])
@login_required
def cancel(order_id: int):
    """Open → Cancelled (the opportunity stays won)."""
    order = queries.get_order(order_id)
    try:
        documents.cancel_order(order)
    except documents.DocumentError as error:
        return refused(order, error)
    db.session.commit()
    flash(_("Order %(number)s cancelled.", number=order.number), "success")
    return redirect_after_post(url_for("orders.show", order_id=order.id))


@bp.route("/<int:order_id>/print")
@login_required
def print_view(order_id: int):
    """The printable order (?lang=en|fr), for the browser's Print."""
    return queries.print_response("order", queries.get_order(order_id))


@bp.route("/<int:order_id>.pdf")
@login_required
def pdf(order_id: int):
    """The order as a PDF (?lang=en|fr)."""
    return queries.pdf_response("order", queries.get_order(order_id))
