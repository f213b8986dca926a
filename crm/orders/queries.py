"""Reading orders: one visible order (its opportunity decides) and the list, narrowed and paged."""

from dataclasses import dataclass

import sqlalchemy as sa
from flask import Response, abort, make_response, request
from sqlalchemy.orm import joinedload
from werkzeug.datastructures import MultiDict

from crm import sharing
from crm.extensions import db
from crm.lists import Page, page_arg, page_of
from crm.models import Opportunity
from crm.models.sales import ORDER_STATUSES, Invoice, SalesOrder


def get_visible_document(model, document_id: int):
    """An order or invoice for a record URL, or 404: missing, or its opportunity is not visible."""
    document = db.session.get(model, document_id)
    if document is None or not sharing.can_see(db.session.get(Opportunity, document.opportunity_id)):
        abort(404)
    return document


def get_order(order_id: int) -> SalesOrder:
    return get_visible_document(SalesOrder, order_id)


def invoice_of(order: SalesOrder) -> Invoice | None:
    return db.session.scalar(sa.select(Invoice).where(Invoice.order_id == order.id))


@dataclass
class DocumentFilters:
    """A document list's state in its URL: a status and a page (unknown values are ignored)."""

    STATUSES = ORDER_STATUSES

    status: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: MultiDict):
        status = args.get("status", "")
        return cls(status=status if status in cls.STATUSES else "", page=page_arg(args))

    def args(self, **changes) -> dict:
        values = {"status": self.status, "page": self.page} | changes
        return {k: v for k, v in values.items() if v not in (None, "") and not (k == "page" and v == 1)}


def visible_documents(model) -> sa.Select:
    """A select of `model` (orders or invoices) narrowed to those whose opportunity is visible."""
    query = sa.select(model).join(Opportunity, Opportunity.id == model.opportunity_id)
    return sharing.visible(query, Opportunity)


def order_page(filters: DocumentFilters) -> Page:
    query = visible_documents(SalesOrder)
    if filters.status:
        query = query.where(SalesOrder.status == filters.status)
    query = query.order_by(SalesOrder.created_at.desc(), SalesOrder.id.desc())
    return page_of(query, SalesOrder.id, filters.page, joinedload(SalesOrder.account))


def print_response(kind: str, document) -> Response:
    """The printable page of an order or invoice (crm/sales/printing.py), in ?lang= (en, fr)."""
    from crm.sales import printing

    return make_response(printing.document_html(kind, document, request.args.get("lang")))


def pdf_response(kind: str, document) -> Response:
    """The same as a PDF, shown in the browser, saved under its number."""
    from crm.sales import printing

    response = make_response(printing.document_pdf(kind, document, request.args.get("lang")))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    return response
