"""Typeahead for choosing an account (contact form, lead conversion): never a full drop-down.

GET /accounts/lookup?q=...&field=account_id answers a short list of radio buttons named
`field`, at most LOOKUP_LIMIT accounts matching every typed word (crm/search.py).
"""

import re

from flask import render_template, request
from flask_login import login_required

from crm.accounts import bp
from crm.accounts.queries import visible_accounts
from crm.extensions import db
from crm.models import Account
from crm.search import search

LOOKUP_LIMIT = 10
FIELD_NAME = re.compile(r"^[a-z_]{1,40}$")


def lookup_accounts(q: str, limit: int = LOOKUP_LIMIT) -> list[Account]:
    """Accounts matching every word of `q`, by name, at most `limit`."""
    if not q.strip():
        return []
    query = search(visible_accounts(), Account, q)
    return list(db.session.scalars(query.order_by(Account.name, Account.id).limit(limit)))


@bp.route("/lookup")
@login_required
def lookup():
    """The matching accounts as radio buttons, for an htmx typeahead."""
    field = request.args.get("field", "account_id")
    if not FIELD_NAME.match(field):
        field = "account_id"
    q = request.args.get("q", "")
    return render_template("accounts/_lookup_results.html", accounts=lookup_accounts(q), field=field, q=q,
                           limit=LOOKUP_LIMIT)
