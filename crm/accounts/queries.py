"""The account list: filters, list views, search and sort turned into one SQL query."""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import aliased, joinedload

from crm import sharing
from crm.extensions import db
from crm.lists import ListFilters, Page, last_viewed_first, ordered, owner_filter, page_of, recently_viewed
from crm.models import Account, Contact, User
from crm.search import search

RELATED_LIMIT = 50


@dataclass
class AccountFilters(ListFilters):
    SORT_KEYS = ("name", "city", "industry", "owner", "updated")

    industry: str = ""


def visible_accounts(user: User | None = None) -> sa.Select:
    """Accounts the user (default: the signed-in one) may see under the sharing model, recycle bin excluded."""
    return sharing.visible(sa.select(Account).where(Account.deleted_at.is_(None)), Account, user)


def account_query(filters: AccountFilters, user: User) -> sa.Select:
    """The filtered, sorted select of the list (without paging)."""
    query = visible_accounts(user)
    if filters.view == "mine":
        query = query.where(Account.owner_id == user.id)
    elif filters.view == "recent":
        query = recently_viewed(query, Account, "account", user)
    query = owner_filter(search(query, Account, filters.q), Account.owner_id, filters.owner, user)
    if filters.industry:
        query = query.where(Account.industry == filters.industry)
    if filters.view == "recent" and filters.sort == filters.DEFAULT_SORT:
        return last_viewed_first(query, Account)
    key = filters.sort_key
    if key == "owner":
        owner = aliased(User)
        query = query.outerjoin(owner, owner.id == Account.owner_id)
        columns = (owner.name,)
    else:
        columns = {"name": (Account.name,), "city": (Account.billing_city,), "industry": (Account.industry,),
                   "updated": (Account.updated_at,)}[key]
    return ordered(query, columns, Account.id, filters.descending)


def account_page(filters: AccountFilters, user: User) -> Page:
    """One page of the account list, owners loaded in the same query."""
    return page_of(account_query(filters, user), Account.id, filters.page, joinedload(Account.owner))


def account_contacts(account: Account, limit: int = RELATED_LIMIT) -> list[Contact]:
    """The account's contacts, by name."""
    return list(db.session.scalars(
        sharing.visible(sa.select(Contact), Contact)
        .where(Contact.account_id == account.id, Contact.deleted_at.is_(None))
        .order_by(Contact.last_name, Contact.first_name, Contact.id).limit(limit)))

