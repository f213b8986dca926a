"""What each list exports: its columns, read from the same filtered, sorted select the list pages
through (so the same filters and the same visibility), without its paging.

Only the exported columns are selected (no ORM objects), and the rows are fetched
YIELD_PER at a time: a server-side cursor on PostgreSQL, chunked reads on SQLite.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased
from werkzeug.datastructures import MultiDict

from crm.accounts.queries import AccountFilters, account_query
from crm.contacts.queries import ContactFilters, contact_query
from crm.extensions import db
from crm.leads.labels import label
from crm.leads.queries import LeadFilters, lead_query
from crm.models import Account, Contact, Lead, LeadStatus, Opportunity, Pipeline, Stage, User
from crm.models.assignment import Queue
from crm.opportunities.queries import OpportunityFilters, filtered, sorted_query

YIELD_PER = 1000
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Column:
    header: object  # a lazy string, translated when the export runs
    expr: object  # what to select
    kind: str = "text"  # text | label (a shipped value, translated) | money


def _money(value):
    return None if value is None else Decimal(str(value)).quantize(CENT)


def _memo(function: Callable, size: int = 1000) -> Callable:
    """`function` remembering its first `size` answers: a label column holds a handful of values,
    and translating each of 100,000 cells would take most of the export's time."""
    seen: dict = {}

    def remembered(value):
        try:
            return seen[value]
        except KeyError:
            answer = function(value)
            if len(seen) < size:
                seen[value] = answer
            return answer

    return remembered


@dataclass
class ListExport:
    columns: list[Column]
    query: sa.Select  # the list's own select; its columns are replaced by the exported ones

    @property
    def headers(self) -> list[str]:
        return [str(c.header) for c in self.columns]

    def statement(self) -> sa.Select:
        return self.query.with_only_columns(*(c.expr for c in self.columns)).execution_options(yield_per=YIELD_PER)

    def rows(self) -> Iterator[list]:
        """The rows, converted for a spreadsheet (labels translated, amounts to cents)."""
        translate = _memo(label)  # one per export: the reader's language
        converters = [{"label": translate, "money": _money}.get(c.kind) for c in self.columns]
        for row in db.session.execute(self.statement()):
            yield [convert(v) if convert and v is not None else v for convert, v in zip(converters, row, strict=True)]


def leads(args: MultiDict, user: User) -> ListExport:
    owner, queue, status = aliased(User), aliased(Queue), aliased(LeadStatus)
    query = (lead_query(LeadFilters.from_args(args), user)
             .outerjoin(owner, owner.id == Lead.owner_id)
             .outerjoin(queue, queue.id == Lead.queue_id)
             .join(status, status.id == Lead.status_id))
    columns = [
        Column(_l("Salutation"), Lead.salutation, "label"),
        Column(_l("First name"), Lead.first_name),
        Column(_l("Last name"), Lead.last_name),
        Column(_l("Company"), Lead.company),
        Column(_l("Title"), Lead.title),
        Column(_l("Email"), Lead.email),
        Column(_l("Phone"), Lead.phone),
        Column(_l("Mobile"), Lead.mobile),
        Column(_l("Website"), Lead.website),
        Column(_l("Street"), Lead.street),
        Column(_l("City"), Lead.city),
        Column(_l("State"), Lead.state),
        Column(_l("Postal code"), Lead.postal_code),
        Column(_l("Country"), Lead.country),
        Column(_l("Industry"), Lead.industry, "label"),
        Column(_l("Annual revenue"), Lead.annual_revenue, "money"),
        Column(_l("Employees"), Lead.employees),
        Column(_l("Lead source"), Lead.lead_source, "label"),
        Column(_l("Rating"), Lead.rating, "label"),
        Column(_l("Status"), status.label, "label"),
        Column(_l("Owner"), owner.name),
        Column(_l("Queue"), queue.name),
        Column(_l("Description"), Lead.description),
        Column(_l("Created"), Lead.created_at),
        Column(_l("Updated"), Lead.updated_at),
    ]
    return ListExport(columns, query)


def accounts(args: MultiDict, user: User) -> ListExport:
    owner, parent = aliased(User), aliased(Account)
    query = (account_query(AccountFilters.from_args(args), user)
             .outerjoin(owner, owner.id == Account.owner_id)
             .outerjoin(parent, parent.id == Account.parent_id))
    columns = [
        Column(_l("Name"), Account.name),
        Column(_l("Website"), Account.website),
        Column(_l("Phone"), Account.phone),
        Column(_l("Industry"), Account.industry, "label"),
        Column(_l("Street"), Account.billing_street),
        Column(_l("City"), Account.billing_city),
        Column(_l("State"), Account.billing_state),
        Column(_l("Postal code"), Account.billing_postal_code),
        Column(_l("Country"), Account.billing_country),
        Column(_l("Parent account"), parent.name),
        Column(_l("Owner"), owner.name),
        Column(_l("Description"), Account.description),
        Column(_l("Created"), Account.created_at),
        Column(_l("Updated"), Account.updated_at),
    ]
    return ListExport(columns, query)


def contacts(args: MultiDict, user: User) -> ListExport:
    owner, account = aliased(User), aliased(Account)
    query = (contact_query(ContactFilters.from_args(args), user)
             .outerjoin(owner, owner.id == Contact.owner_id)
             .join(account, account.id == Contact.account_id))
    columns = [
        Column(_l("Salutation"), Contact.salutation, "label"),
        Column(_l("First name"), Contact.first_name),
        Column(_l("Last name"), Contact.last_name),
        Column(_l("Account"), account.name),
        Column(_l("Title"), Contact.title),
        Column(_l("Email"), Contact.email),
        Column(_l("Phone"), Contact.phone),
        Column(_l("Mobile"), Contact.mobile),
        Column(_l("Street"), Contact.mailing_street),
        Column(_l("City"), Contact.mailing_city),
        Column(_l("State"), Contact.mailing_state),
        Column(_l("Postal code"), Contact.mailing_postal_code),
        Column(_l("Country"), Contact.mailing_country),
        Column(_l("Lead source"), Contact.lead_source, "label"),
        Column(_l("Owner"), owner.name),
        Column(_l("Description"), Contact.description),
        Column(_l("Created"), Contact.created_at),
        Column(_l("Updated"), Contact.updated_at),
    ]
    return ListExport(columns, query)


def opportunities(args: MultiDict, user: User) -> ListExport:
    filters = OpportunityFilters.from_args(args)
    owner, account, stage, pipeline = aliased(User), aliased(Account), aliased(Stage), aliased(Pipeline)
    query = (sorted_query(filtered(filters, user), filters)
             .outerjoin(owner, owner.id == Opportunity.owner_id)
             .join(account, account.id == Opportunity.account_id)
             .join(stage, stage.id == Opportunity.stage_id)
             .join(pipeline, pipeline.id == Opportunity.pipeline_id))
    columns = [
        Column(_l("Name"), Opportunity.name),
        Column(_l("Account"), account.name),
        Column(_l("Pipeline"), pipeline.name, "label"),
        Column(_l("Stage"), stage.name, "label"),
        Column(_l("Amount"), Opportunity.amount, "money"),
        Column(_l("Probability (%)"), Opportunity.probability),
        Column(_l("Expected revenue"), Opportunity.amount * Opportunity.probability / 100, "money"),
        Column(_l("Close date"), Opportunity.close_date),
        Column(_l("Owner"), owner.name),
        Column(_l("Lead source"), Opportunity.lead_source, "label"),
        Column(_l("Next step"), Opportunity.next_step),
        Column(_l("Loss reason"), Opportunity.loss_reason, "label"),
        Column(_l("Description"), Opportunity.description),
        Column(_l("Created"), Opportunity.created_at),
        Column(_l("Updated"), Opportunity.updated_at),
    ]
    return ListExport(columns, query)


LISTS: dict[str, Callable[[MultiDict, User], ListExport]] = {
    "leads": leads, "accounts": accounts, "contacts": contacts, "opportunities": opportunities,
}
