"""Account rules: create, edit, the parent hierarchy, loading for a view.

Services take plain arguments, flush and never commit: the route commits once.
"""

import sqlalchemy as sa

from crm import sharing
from crm.extensions import db
from crm.leads.services import e164
from crm.models import Account, User
from crm.models.user import utcnow

# The fields a form may write: anything else in the submitted data is ignored.
EDITABLE_FIELDS = (
    "name", "website", "phone", "industry", "billing_street", "billing_city", "billing_state",
    "billing_postal_code", "billing_country", "shipping_street", "shipping_city", "shipping_state",
    "shipping_postal_code", "shipping_country", "owner_id", "parent_id", "description",
)
# A hierarchy deeper than this is treated as a loop (it also bounds the walk up the parents).
MAX_DEPTH = 100


class AccountError(Exception):
    """An account rule was broken; the message is for the user."""


class InvalidParent(AccountError):
    """An account cannot be its own parent, nor the child of one of its descendants."""


def get_account(account_id: int) -> Account:
    """The account, or 404 when it does not exist, is in the recycle bin or is not visible (crm/sharing.py)."""
    return sharing.get_visible(Account, account_id)


def active_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.active).order_by(User.name)))


def parent_allowed(account: Account | None, parent_id: int | None) -> bool:
    """False when `parent_id` is the account itself or one of its descendants (a loop)."""
    if parent_id is None or account is None or account.id is None:
        return True
    current = parent_id
    for _ in range(MAX_DEPTH):
        if current is None:
            return True
        if current == account.id:
            return False
        current = db.session.scalar(sa.select(Account.parent_id).where(Account.id == current))
    return False


def _clean(value):
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _apply(account: Account, data: dict, actor: User) -> None:
    # Checked before anything changes, so a refused edit leaves the account as it was.
    if "parent_id" in data and not parent_allowed(account, _clean(data["parent_id"])):
        raise InvalidParent()
    for field in EDITABLE_FIELDS:
        if field in data:
            setattr(account, field, _clean(data[field]))
    account.phone_e164 = e164(account.phone)
    account.refresh_derived()
    account.updated_by_id = actor.id
    account.updated_at = utcnow()


def create_account(data: dict, *, actor: User) -> Account:
    """Store a new account, owned by the actor unless `data` names an owner."""
    account = Account(owner_id=actor.id, created_by_id=actor.id, created_at=utcnow())
    _apply(account, data, actor)
    if account.owner_id is None:
        account.owner_id = actor.id
    db.session.add(account)
    db.session.flush()
    return account


def update_account(account: Account, data: dict, *, actor: User) -> Account:
    """Change an account's fields. :raises InvalidParent: when the parent would make a loop"""
    from crm.opportunities.services import refresh_account_opportunities

    old_name = account.name
    _apply(account, data, actor)
    db.session.flush()
    if account.name != old_name:
        refresh_account_opportunities(account)  # its deals are found by its name
    return account
