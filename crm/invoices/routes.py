"""Invoices: the list, the record page, a draft's dates and tax rates edited in place, send and paid.

Every answer is the page without JavaScript, or for htmx the part that changed: a line (with the
totals out of band), the dates. A refused edit comes back beside its field (422); a wrong state
(sending a paid invoice) answers 409 with the reason.
"""

from datetime import date

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import login_required

from crm.extensions import db
from crm.htmx import redirect_after_post, render, wants_fragment
from crm.invoices import bp, queries
from crm.invoices.forms import InvoiceDatesForm, TaxRateForm
from crm.orders.queries import pdf_response, print_response
from crm.sales import documents, invoice_lines

PAGE = "invoices/show.html"


def line_form(line, formdata=None) -> TaxRateForm:
    form = TaxRateForm(prefix=f"line{line.id}", formdata=formdata)
    if formdata is None:
        form.tax_rate.data = format(line.tax_rate.normalize(), "f")
    return form


def invoice_context(invoice, **extra) -> dict:
    today = date.today()
    return {"invoice": invoice, "display_status": invoice.display_status(today),
            "status_labels": queries.STATUS_LABELS, "editable": invoice.status == "Draft",
            "editing_dates": False, "editing_line": None, **extra}


def respond(fragment: str, invoice, status: int = 200, **extra):
    return render(PAGE, fragment, status=status, **invoice_context(invoice, **extra))


def refused(invoice, error: documents.DocumentError):
    """A wrong state: nothing stored; 409 with the reason."""
    db.session.rollback()
    if wants_fragment():
        abort(409, str(error.message))
    flash(str(error.message), "error")
    return respond("invoices/_invoice.html", invoice, status=409)


@bp.route("")
@login_required
def index():
    """The invoices whose opportunity the user may see; ?status= Draft, Sent, Overdue or Paid."""
    filters = queries.InvoiceFilters.from_args(request.args)
    today = date.today()
    response = render("invoices/index.html", "invoices/_list.html", filters=filters, today=today,
                      result=queries.invoice_page(filters, today), status_labels=queries.STATUS_LABELS)
    if wants_fragment():
        response.headers["HX-Push-Url"] = url_for("invoices.index", **filters.args())
    return response


@bp.route("/<int:invoice_id>")
@login_required
def show(invoice_id: int):
    """The invoice: status as seen today, dates, links, billing address, lines, totals."""
    invoice = queries.get_invoice(invoice_id)
    return respond("invoices/_invoice.html", invoice)


# The dates

@bp.route("/<int:invoice_id>/dates")
@login_required
def dates(invoice_id: int):
    """The dates as shown (what Cancel brings back)."""
    return respond("invoices/_dates.html", queries.get_invoice(invoice_id))


@bp.route("/<int:invoice_id>/dates/edit")
@login_required
def edit_dates(invoice_id: int):
    """The issue and due dates of a draft, as a small form in their place."""
    invoice = queries.get_invoice(invoice_id)
    if invoice.status != "Draft":
        return refused(invoice, invoice_lines.InvoiceNotDraft())
    return respond("invoices/_dates.html", invoice, editing_dates=True, dates_form=InvoiceDatesForm(obj=invoice))


@bp.route("/<int:invoice_id>/dates", methods=["POST"])
@login_required
def save_dates(invoice_id: int):
    """Save the dates; a due date before the issue date is refused beside it (422)."""
    invoice = queries.get_invoice(invoice_id)
    if invoice.status != "Draft":
        return refused(invoice, invoice_lines.InvoiceNotDraft())
    form = InvoiceDatesForm()
    if form.validate_on_submit():
        try:
            invoice_lines.set_invoice_dates(invoice, form.issue_date.data, form.due_date.data)
        except invoice_lines.DueBeforeIssue as error:
            db.session.rollback()
            form.due_date.errors = [str(error.message)]
        except invoice_lines.MissingDate as error:
            db.session.rollback()
            form.issue_date.errors = [str(error.message)]
        else:
            db.session.commit()
            flash(_("Dates of invoice %(number)s saved.", number=invoice.number), "success")
            if wants_fragment():
                return respond("invoices/_dates.html", invoice)
            return redirect_after_post(url_for("invoices.show", invoice_id=invoice.id))
    return respond("invoices/_dates.html", invoice, status=422, editing_dates=True, dates_form=form)


# A line's tax rate

@bp.route("/<int:invoice_id>/lines/<int:line_id>")
@login_required
def line(invoice_id: int, line_id: int):
    """One line as shown (what Cancel brings back)."""
    invoice = queries.get_invoice(invoice_id)
    return respond("invoices/_line.html", invoice, line=queries.get_line(invoice, line_id))


@bp.route("/<int:invoice_id>/lines/<int:line_id>/edit")
@login_required
def edit_line(invoice_id: int, line_id: int):
    """The line with its tax rate as a small form, in place."""
    invoice = queries.get_invoice(invoice_id)
    line = queries.get_line(invoice, line_id)
    if invoice.status != "Draft":
        return refused(invoice, invoice_lines.InvoiceNotDraft())
    return respond("invoices/_line.html", invoice, line=line, editing_line=line.id, rate_form=line_form(line))


@bp.route("/<int:invoice_id>/lines/<int:line_id>", methods=["POST"])
@login_required
def save_line(invoice_id: int, line_id: int):
    """Change the line's tax rate: the line and (out of band) the totals come back; a bad rate, 422."""
    invoice = queries.get_invoice(invoice_id)
    line = queries.get_line(invoice, line_id)
    if invoice.status != "Draft":
        return refused(invoice, invoice_lines.InvoiceNotDraft())
    form = line_form(line, formdata=request.form)
    if form.validate_on_submit():
        try:
            invoice_lines.set_line_tax_rate(line, form.tax_rate.data)
        except documents.DocumentError as error:
            db.session.rollback()
            form.tax_rate.errors = [str(error.message)]
        else:
            db.session.commit()
            flash(_("Tax rate of %(name)s saved.", name=line.name), "success")
            if wants_fragment():
                return respond("invoices/_line_saved.html", invoice, line=line)
            return redirect_after_post(url_for("invoices.show", invoice_id=invoice.id, _anchor="invoice-lines-title"))
    return respond("invoices/_line.html", invoice, status=422, line=line, editing_line=line.id, rate_form=form)


# Status

@bp.route("/<int:invoice_id>/send", methods=["POST"])
@login_required
def send(invoice_id: int):
    """Draft → Sent: the customer has it; nothing on it changes any more."""
    invoice = queries.get_invoice(invoice_id)
    try:
        documents.send_invoice(invoice)
    except documents.DocumentError as error:
        return refused(invoice, error)
    db.session.commit()
    flash(_("Invoice %(number)s marked as sent.", number=invoice.number), "success")
    return redirect_after_post(url_for("invoices.show", invoice_id=invoice.id))


@bp.route("/<int:invoice_id>/paid", methods=["POST"])
@login_required
def paid(invoice_id: int):
    """Sent (or overdue) → Paid."""
    invoice = queries.get_invoice(invoice_id)
    try:
        documents.mark_invoice_paid(invoice)
    except documents.DocumentError as error:
        return refused(invoice, error)
    db.session.commit()
    flash(_("Invoice %(number)s marked as paid.", number=invoice.number), "success")
    return redirect_after_post(url_for("invoices.show", invoice_id=invoice.id))


@bp.route("/<int:invoice_id>/print")
@login_required
def print_view(invoice_id: int):
    """The printable invoice (?lang=en|fr), for the browser's Print."""
    return print_response("invoice", queries.get_invoice(invoice_id))


@bp.route("/<int:invoice_id>.pdf")
@login_required
def pdf(invoice_id: int):
    """The invoice as a PDF (?lang=en|fr)."""
    return pdf_response("invoice", queries.get_invoice(invoice_id))
