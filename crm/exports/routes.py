"""Export routes: /<list>/export.csv and /<list>/export.xlsx, with the list's query string."""

from flask import request
from flask_login import current_user, login_required

from crm import audit
from crm.exports import bp
from crm.exports.formats import export_rows
from crm.exports.lists import LISTS
from crm.extensions import db


@bp.route("/<any(leads, accounts, contacts, opportunities):list_name>/export.<any(csv, xlsx):fmt>")
@login_required
def export(list_name: str, fmt: str):
    """The list as the user sees it (same filters, search, sort and visibility), every page of it."""
    # Logged and committed before the rows stream: the export itself holds no transaction to commit.
    audit.log_event("export", f"{list_name}.{fmt}", details={"filters": request.args.to_dict()})
    db.session.commit()
    table = LISTS[list_name](request.args, current_user)
    return export_rows(list_name, table.headers, table.rows(), fmt)
