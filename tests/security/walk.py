"""Walking the URL map: a concrete URL for every rule, with the ids of real records."""

import re

from crm.extensions import db
from crm.models import Lead, LeadStatus, Pipeline, Stage, User
from tests.factories import make_account, make_contact, make_lead, make_opportunity
from tests.webforms.conftest import make_web_form

SKIP_ENDPOINTS = {"static"}


def build_records(app, admin_id: int) -> dict:
    """One of each record, owned by the admin: the values for the rules' arguments."""
    with app.app_context():
        admin = db.session.get(User, admin_id)
        lead = make_lead(actor=admin)
        account = make_account(actor=admin)
        contact = make_contact(account=account, actor=admin)
        opportunity = make_opportunity(account=account, actor=admin)
        web_form = make_web_form(actor=admin)
        stage = db.session.get(Stage, opportunity.stage_id)
        status = db.session.scalar(db.select(LeadStatus).limit(1))
        return {
            "lead_id": lead.id, "account_id": account.id, "contact_id": contact.id,
            "opportunity_id": opportunity.id, "record_id": lead.id, "stage_id": stage.id,
            "pipeline_id": stage.pipeline_id, "status_id": status.id, "user_id": admin.id,
            "key": web_form.form_key, "form_id": web_form.id, "name": "lead_source", "kind": "note",
            "record_type": "lead", "list_name": "leads", "fmt": "csv",
        }


def url_for_rule(rule, values: dict) -> str:
    """The rule's path with its arguments filled in (unknown ids: 1, which may well be a 404)."""
    def fill(match):
        converter, name = match.group(1), match.group(2)
        if name in values:
            return str(values[name])
        if converter and converter.startswith("any("):
            return converter[4:].split(",")[0].strip()
        if name == "name" and "reports" in rule.rule:
            return "pipeline"
        return "1"

    path = re.sub(r"<(?:([^:<>]+):)?([a-z_]+)>", fill, rule.rule)
    if rule.endpoint == "reports.show" or rule.endpoint == "reports.export":
        path = path.replace("/lead_source", "/pipeline")
    return path


def rules(app, method: str):
    return sorted((r for r in app.url_map.iter_rules() if method in r.methods and r.endpoint not in SKIP_ENDPOINTS),
                  key=lambda r: r.rule)


__all__ = ["Lead", "Pipeline", "build_records", "rules", "url_for_rule"]
