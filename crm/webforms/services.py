"""Web-to-Lead rules: the forms admins set up, the signed token in a rendered form, and what a
public post becomes (a lead, or a submission kept in the spam quarantine or the over-the-cap
queue until released). Services flush and never commit: the route commits once.

Nothing a visitor was told we accepted is ever dropped: every accepted post is a row of
web_form_submissions, whatever became of it.
"""

import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from datetime import time as dtime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.datastructures import MultiDict
from wtforms import Form, SelectField
from wtforms.validators import DataRequired

from crm.extensions import db
from crm.leads.forms import LeadForm
from crm.models import SALUTATIONS, User
from crm.models.user import utcnow
from crm.models.web_form import WebForm, WebFormSubmission

# The lead fields a web form may show, in the order it shows them.
AVAILABLE_FIELDS = (
    "salutation", "first_name", "last_name", "company", "title", "email", "phone", "mobile", "website",
    "street", "city", "state", "postal_code", "country", "industry", "employees", "annual_revenue",
    "description",
)
# A lead cannot be stored without them (the lead form requires them too).
ALWAYS_REQUIRED = ("last_name", "company")
DEFAULT_SHOWN = ("first_name", "last_name", "company", "email", "phone", "description")
# What a visitor's browser may fill in for each field.
AUTOCOMPLETE = {
    "salutation": "honorific-prefix", "first_name": "given-name", "last_name": "family-name",
    "company": "organization", "title": "organization-title", "email": "email", "phone": "tel",
    "mobile": "tel", "website": "url", "street": "street-address", "city": "address-level2",
    "state": "address-level1", "postal_code": "postal-code", "country": "country-name",
}
FORM_FIELDS = ("name", "lead_source", "campaign_id", "return_url", "daily_cap", "active")
# The hidden fields of a rendered form: the signed token, and the honeypot people never see.
TOKEN_FIELD = "w2l_token"  # noqa: S105  (a field name, not a secret)  # nosec B105
HONEYPOT_FIELD = "homepage"
# C0 and C1 control characters but tab, line feed and carriage return: never stored.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class WebFormError(Exception):
    """A web form rule was broken; `message` is for the user."""

    message = _l("This change is not allowed.")

    def __str__(self) -> str:
        return str(self.message)


class NotReleasable(WebFormError):
    """Only a submission in the quarantine or the pending queue can be released or discarded."""

    message = _l("This submission was already handled.")


class ReleaseInvalid(WebFormError):
    """The kept fields do not make a valid lead (the errors say why)."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors
        self.message = "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in errors.items())


# The form's fields

def default_labels(name: str) -> tuple[str, str]:
    """The lead form's label of a field, in English and in French."""
    label = getattr(LeadForm, name).args[0]
    with force_locale("en"):
        english = str(label)
    with force_locale("fr"):
        french = str(label)
    return english, french


def default_fields() -> list[dict]:
    """The fields a new form shows: the usual contact details."""
    return [field_spec(name, name in ALWAYS_REQUIRED) for name in DEFAULT_SHOWN]


def field_spec(name: str, required: bool, label_en: str | None = None, label_fr: str | None = None) -> dict:
    english, french = default_labels(name)
    return {"name": name, "required": bool(required or name in ALWAYS_REQUIRED),
            "label_en": label_en or english, "label_fr": label_fr or french}


def clean_fields(fields: list[dict]) -> list[dict]:
    """Known fields only, in the catalogue's order, last name and company always in and required."""
    given = {f["name"]: f for f in fields if f.get("name") in AVAILABLE_FIELDS}
    for name in ALWAYS_REQUIRED:
        given.setdefault(name, {"name": name})
    return [field_spec(name, given[name].get("required", False), given[name].get("label_en"),
                       given[name].get("label_fr"))
            for name in AVAILABLE_FIELDS if name in given]


def lead_form_class(specs: list[dict], *, french: bool = False, enforce_required: bool = True) -> type[Form]:
    """A form of the given lead fields with the lead form's own validators (no CSRF: the public
    form is posted from other sites); a field the web form requires gets DataRequired first."""
    from crm.leads.services import picklist

    attrs = {}
    for spec in specs:
        name = spec["name"]
        unbound = getattr(LeadForm, name)
        validators = list(unbound.kwargs.get("validators", []))
        required = name in ALWAYS_REQUIRED or (enforce_required and spec.get("required"))
        if required and not any(isinstance(v, DataRequired) for v in validators):
            validators.insert(0, DataRequired(message=_l("This field is required.")))
        kwargs = {**unbound.kwargs, "validators": validators}
        render_kw = dict(kwargs.get("render_kw") or {})
        render_kw["autocomplete"] = AUTOCOMPLETE.get(name, "off")
        kwargs["render_kw"] = render_kw
        if unbound.field_class is SelectField or issubclass(unbound.field_class, SelectField):
            values = SALUTATIONS if name == "salutation" else picklist(name)
            kwargs["choices"] = [("", "—")] + [(v, v) for v in values]
            kwargs["default"] = ""
        label = spec.get("label_fr" if french else "label_en") or default_labels(name)[1 if french else 0]
        attrs[name] = unbound.field_class(label, *unbound.args[1:], **kwargs)
    return type("PublicLeadForm", (Form,), attrs)


def clean_text(value: str) -> str:
    """Plain text as stored: control characters removed, surrounding spaces trimmed."""
    return CONTROL_CHARS.sub("", value).strip()


def posted_fields(web_form: WebForm, formdata) -> dict[str, str]:
    """The form's lead fields as posted (first value of each), cleaned; anything else is ignored."""
    names = [f["name"] for f in web_form.fields]
    return {name: clean_text(formdata.get(name, "")) for name in names if name in formdata}


def bind(web_form: WebForm, data: dict[str, str] | None, *, french: bool = False) -> Form:
    """The public form of `web_form`, filled with `data` (None: an empty form)."""
    cls = lead_form_class(web_form.fields, french=french)
    return cls(formdata=MultiDict(data) if data is not None else None)


def lead_data(form: Form) -> dict:
    return {name: field.data for name, field in form._fields.items()}


# The signed token of a rendered form

@dataclass(frozen=True)
class Token:
    nonce: str
    # When the form was rendered (seconds since the epoch); 0 for the pasted snippet's token.
    issued: int


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="filon-web-to-lead")


def issue_token(web_form: WebForm, now: float | None = None) -> str:
    """A fresh token for a rendered form: the form, a random nonce, the time it was rendered."""
    issued = int(now if now is not None else time.time())
    return _serializer().dumps({"k": web_form.form_key, "n": secrets.token_urlsafe(12), "t": issued})


def snippet_token(web_form: WebForm) -> str:
    """The token of the pasted HTML form: static, so it carries no nonce and no time."""
    return _serializer().dumps({"k": web_form.form_key, "n": "", "t": 0})


def read_token(web_form: WebForm, raw: str | None) -> Token | None:
    """The token's contents when it is ours and for this form, else None."""
    if not raw or len(raw) > 200:
        return None
    try:
        payload = _serializer().loads(raw)
    except BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("k") != web_form.form_key:
        return None
    nonce, issued = payload.get("n"), payload.get("t")
    if not isinstance(nonce, str) or not isinstance(issued, int):
        return None
    return Token(nonce=nonce, issued=issued)


def dedupe_key(web_form: WebForm, token: Token, data: dict, honeypot: str) -> str:
    """Same form, same token and same fields: a retry of the same post (stored once)."""
    content = json.dumps([web_form.id, token.nonce, sorted(data.items()), honeypot], ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()


# Receiving a post

def start_of_day(now: datetime | None = None) -> datetime:
    now = now or utcnow()
    return datetime.combine(now.date(), dtime.min)


def _leads_today(web_form: WebForm, now: datetime | None = None) -> sa.Select:
    return sa.select(sa.func.count()).select_from(WebFormSubmission).where(
        WebFormSubmission.form_id == web_form.id, WebFormSubmission.state == "lead",
        WebFormSubmission.created_at >= start_of_day(now))


def leads_today(web_form: WebForm, now: datetime | None = None) -> int:
    """Leads the form created on its own today (UTC); released ones do not count against the cap."""
    return db.session.scalar(_leads_today(web_form, now))


def find_submission(key: str) -> WebFormSubmission | None:
    return db.session.scalar(sa.select(WebFormSubmission).where(WebFormSubmission.dedupe_key == key))


def receive(web_form: WebForm, form: Form, data: dict[str, str], *, token: Token, honeypot: str,
            remote_addr: str | None = None, now: float | None = None) -> WebFormSubmission:
    """Keep a valid post once: a lead, or in the spam quarantine (honeypot filled, sent too fast)
    or the pending queue (over the daily cap). A retry returns the submission stored first."""
    key = dedupe_key(web_form, token, data, honeypot)
    # One query for both questions: was this post stored already, and how many leads today.
    existing_id, today = db.session.execute(sa.select(
        sa.select(WebFormSubmission.id).where(WebFormSubmission.dedupe_key == key).scalar_subquery(),
        _leads_today(web_form).scalar_subquery())).one()
    if existing_id is not None:
        return db.session.get(WebFormSubmission, existing_id)
    now = now if now is not None else time.time()
    state, reason = "lead", None
    if honeypot:
        state, reason = "spam", "honeypot"
    elif token.issued and now - token.issued < current_app.config["W2L_MIN_SECONDS"]:
        state, reason = "spam", "too_fast"
    elif today >= web_form.daily_cap:
        state, reason = "pending", "daily_cap"
    submission = WebFormSubmission(form_id=web_form.id, dedupe_key=key, state=state, reason=reason,
                                   data=data, remote_addr=(remote_addr or "")[:45] or None)
    if state == "lead":
        submission.lead = create_lead_from(web_form, lead_data(form))
    db.session.add(submission)
    db.session.flush()
    return submission


def create_lead_from(web_form: WebForm, data: dict):
    """A lead from a web form: its source and campaign, through the assignment rules (the form's
    creator keeps it when none applies), flagged when it looks like a stored lead or contact."""
    from crm.leads.services import create_lead

    data = {**data, "lead_source": web_form.lead_source, "campaign_id": web_form.campaign_id}
    return create_lead(data, actor=None, owner=web_form.created_by, by_rules=True, flag_duplicates=True)


def release(submission: WebFormSubmission, *, actor: User) -> WebFormSubmission:
    """Make the lead a quarantined or pending post would have made.
    :raises NotReleasable: :raises ReleaseInvalid:"""
    if submission.state not in ("spam", "pending"):
        raise NotReleasable()
    specs = [{"name": name} for name in AVAILABLE_FIELDS
             if name in submission.data or name in ALWAYS_REQUIRED]
    form = lead_form_class(specs, enforce_required=False)(formdata=MultiDict(submission.data))
    if not form.validate():
        raise ReleaseInvalid(form.errors)
    submission.lead = create_lead_from(submission.form, lead_data(form))
    _decide(submission, "released", actor)
    return submission


def discard(submission: WebFormSubmission, *, actor: User) -> WebFormSubmission:
    """An admin judged a kept post to be spam: it stays listed as discarded. :raises NotReleasable:"""
    if submission.state not in ("spam", "pending"):
        raise NotReleasable()
    _decide(submission, "discarded", actor)
    return submission


def _decide(submission: WebFormSubmission, state: str, actor: User) -> None:
    submission.state, submission.decided_by_id, submission.decided_at = state, actor.id, utcnow()
    db.session.flush()


# The admin's side

def forms() -> list[WebForm]:
    return list(db.session.scalars(sa.select(WebForm).order_by(WebForm.name, WebForm.id)))


def counts_by_form() -> dict[int, dict[str, int]]:
    """Per form: leads today, and the posts waiting in the quarantine and the pending queue."""
    counts: dict[int, dict[str, int]] = {}
    today = sa.and_(WebFormSubmission.state == "lead", WebFormSubmission.created_at >= start_of_day())
    waiting = WebFormSubmission.state.in_(("spam", "pending"))
    rows = db.session.execute(
        sa.select(WebFormSubmission.form_id, WebFormSubmission.state, sa.func.count())
        .where(sa.or_(today, waiting)).group_by(WebFormSubmission.form_id, WebFormSubmission.state))
    for form_id, state, count in rows:
        counts.setdefault(form_id, {"lead": 0, "spam": 0, "pending": 0})[state] = count
    return counts


def waiting_counts() -> dict[str, int]:
    """How many posts wait in the spam quarantine and in the pending queue, all forms together."""
    rows = db.session.execute(
        sa.select(WebFormSubmission.state, sa.func.count())
        .where(WebFormSubmission.state.in_(("spam", "pending"))).group_by(WebFormSubmission.state))
    return {"spam": 0, "pending": 0} | dict(rows.all())


def waiting(state: str, form_id: int | None = None) -> sa.Select:
    """The posts kept in the quarantine ("spam") or the pending queue, oldest first."""
    query = (sa.select(WebFormSubmission).where(WebFormSubmission.state == state)
             .order_by(WebFormSubmission.created_at, WebFormSubmission.id))
    if form_id is not None:
        query = query.where(WebFormSubmission.form_id == form_id)
    return query


def save_form(web_form: WebForm | None, data: dict, fields: list[dict], *, actor: User) -> WebForm:
    """Create a web form (its creator owns the leads no rule assigns) or change one."""
    if web_form is None:
        web_form = WebForm(created_by_id=actor.id)
        db.session.add(web_form)
    for name in FORM_FIELDS:
        if name in data:
            setattr(web_form, name, data[name])
    web_form.fields = clean_fields(fields)
    web_form.updated_at = utcnow()
    db.session.flush()
    return web_form


def csp_origin(url: str | None) -> str | None:
    """The scheme, host and port of a return URL, for the public form's CSP form-action."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+", host):
        return None
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return None
    return f"{parts.scheme}://{host}{port}"
