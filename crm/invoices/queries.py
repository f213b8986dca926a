"""Reading invoices: one visible invoice (its opportunity decides) and the list, narrowed and paged."""

from datetime import date

import sqlalchemy as sa
from flask import abort
from sqlalchemy.orm import joinedload

from crm.extensions import db
from crm.lists import Page, page_of
from crm.models.sales import INVOICE_DISPLAY_STATUSES, Invoice, InvoiceLine
from crm.orders.queries import DocumentFilters, get_visible_document, visible_documents
from crm.sales import documents

# The statuses a user sees, in the filter's order and the reader's language (crm/sales/documents.py).
STATUS_LABELS = {status: documents.STATUS_LABELS[status] for status in INVOICE_DISPLAY_STATUSES}


class InvoiceFilters(DocumentFilters):
    STATUSES = INVOICE_DISPLAY_STATUSES


def get_invoice(invoice_id: int) -> Invoice:
    return get_visible_document(Invoice, invoice_id)


def get_line(invoice: Invoice, line_id: int) -> InvoiceLine:
    line = db.session.get(InvoiceLine, line_id)
    if line is None or line.invoice_id != invoice.id:
        abort(404)
    return line


def status_clause(status: str, today: date):
    """The SQL condition of a status as the user sees it: Overdue is Sent past its due date."""
    if status == "Overdue":
        return sa.and_(Invoice.status == "Sent", Invoice.due_date < today)
    if status == "Sent":
        return sa.and_(Invoice.status == "Sent", Invoice.due_date >= today)
    return Invoice.status == status


def invoice_page(filters: InvoiceFilters, today: date | None = None) -> Page:
    query = visible_documents(Invoice)
    if filters.status:
        query = query.where(status_clause(filters.status, today or date.today()))
    query = query.order_by(Invoice.issue_date.desc(), Invoice.id.desc())
    return page_of(query, Invoice.id, filters.page, joinedload(Invoice.account))
