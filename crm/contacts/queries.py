"""The contact list: filters, list views, search and sort turned into one SQL query."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from crm import sharing
from crm.lists import ListFilters, Page, last_viewed_first, ordered, owner_filter, page_of, recently_viewed
from crm.models import Account, Contact, User
from crm.search import search


@dataclass
class ContactFilters(ListFilters):
    SORT_KEYS = ("name", "account", "email", "owner", "updated")

    source: str = ""


def visible_contacts(user: User | None = None) -> sa.Select:
    """Contacts this user may see under the sharing model (crm/sharing.py), deleted ones excluded."""
    return sharing.visible(sa.select(Contact).where(Contact.deleted_at.is_(None)), Contact, user)


def contact_query(filters: ContactFilters, user: User) -> sa.Select:
    """The filtered, sorted select of the list (without paging)."""
    query = visible_contacts(user)
    if filters.view == "mine":
        query = query.where(Contact.owner_id == user.id)
    elif filters.view == "recent":
        query = recently_viewed(query, Contact, "contact", user)
    query = owner_filter(search(query, Contact, filters.q), Contact.owner_id, filters.owner, user)
    if filters.source:
        query = query.where(Contact.lead_source == filters.source)
    if filters.view == "recent" and filters.sort == filters.DEFAULT_SORT:
        return last_viewed_first(query, Contact)
    key = filters.sort_key
    if key == "account":
        sort_account = aliased(Account)
        query = query.join(sort_account, sort_account.id == Contact.account_id)
        columns = (sort_account.name,)
    elif key == "owner":
        sort_owner = aliased(User)
        query = query.outerjoin(sort_owner, sort_owner.id == Contact.owner_id)
        columns = (sort_owner.name,)
    else:
        columns = {"name": (Contact.last_name, Contact.first_name), "email": (Contact.email,),
                   "updated": (Contact.updated_at,)}[key]
    return ordered(query, columns, Contact.id, filters.descending)


def contact_page(filters: ContactFilters, user: User) -> Page:
    """One page of the list (account and owner loaded with it), and its count up to COUNT_CAP."""
    return page_of(contact_query(filters, user), Contact.id, filters.page,
                   joinedload(Contact.account), joinedload(Contact.owner))
