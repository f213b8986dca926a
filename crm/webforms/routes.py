"""Web-to-Lead: the admins' and managers' pages at /forms, and the public form at /w2l/<key>.

The public form is served to anonymous visitors, may be framed by any site, and is posted from
any origin with no session and no CSRF token: the signed token in the rendered form, a honeypot,
a per-address rate limit and a small body limit stand in for them.
"""

import sqlalchemy as sa
from flask import abort, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from crm import errors
from crm.auth.decorators import role_required
from crm.extensions import csrf, db, limiter
from crm.htmx import redirect_after_post, render, wants_fragment
from crm.leads.forms import LeadForm
from crm.leads.services import campaign_choices, picklist
from crm.lists import PER_PAGE, page_arg
from crm.models.web_form import WebForm, WebFormSubmission
from crm.webforms import bp, services
from crm.webforms.forms import WebFormForm, initial_rows, row_name

ROLES = ("admin", "manager")
PUBLIC_ENDPOINTS = ("webforms.public_form", "webforms.public_post", "webforms.public_thanks")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
REASON_LABELS = {"honeypot": _l("Hidden field filled in"), "too_fast": _l("Sent too fast"),
                 "daily_cap": _l("Over the daily cap")}
STATE_LABELS = {"lead": _l("Lead created"), "spam": _l("Spam quarantine"), "pending": _l("Pending"),
                "released": _l("Released"), "discarded": _l("Discarded")}


# The public form

def public_csp(web_form: WebForm | None = None) -> str:
    """Our strict policy, but any site may frame the form, and it may post to us and then go to
    its return URL (a form's redirect is checked against form-action too)."""
    form_action = "'self'"
    if web_form is not None and (origin := services.csp_origin(web_form.return_url)):
        form_action += " " + origin
    return "; ".join([
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
        "font-src 'self'", "connect-src 'self'", "object-src 'none'", "base-uri 'self'",
        # "*" covers every http(s) page; a page opened from a file (a quick test of the snippet)
        # needs file: too.
        f"form-action {form_action}", "frame-ancestors * file:",
    ])


def framable(response, web_form: WebForm | None = None):
    response.headers["Content-Security-Policy"] = public_csp(web_form)
    return response


def french() -> bool:
    return str(get_locale() or "").startswith("fr")


def public_web_form(key: str) -> WebForm:
    """The active form with this key, else a 404 page (an inactive form accepts nothing)."""
    # Its creator comes along: a post's lead falls back to them as owner.
    web_form = db.session.scalar(sa.select(WebForm).options(sa.orm.joinedload(WebForm.created_by))
                                 .where(WebForm.form_key == key))
    if web_form is None or not web_form.active:
        abort(404, _("This form does not exist or no longer accepts submissions."))
    return web_form


def public_page(web_form: WebForm, form, *, token: str, status: int = 200, message: str | None = None):
    html = render_template("webforms/public.html", web_form=web_form, form=form, token=token,
                           message=message, honeypot=services.HONEYPOT_FIELD,
                           token_field=services.TOKEN_FIELD)
    return framable(make_response(html, status), web_form)


@bp.route("/w2l/<key>", methods=["GET"])
def public_form(key: str):
    """The standalone form, for an <iframe> on any site."""
    web_form = public_web_form(key)
    return public_page(web_form, services.bind(web_form, None, french=french()),
                       token=services.issue_token(web_form))


@bp.route("/w2l/<key>", methods=["POST"])
@csrf.exempt
@limiter.limit(lambda: current_app.config["W2L_LIMIT_PER_IP"])
def public_post(key: str):
    """A visitor's post: validated like the lead form, kept once, then the return URL or thanks."""
    # Set before anything reads the body: a larger post is answered 413 unread.
    request.max_content_length = current_app.config["W2L_MAX_CONTENT_LENGTH"]
    web_form = public_web_form(key)
    if request.mimetype not in FORM_TYPES:
        abort(415, _("Send the form as application/x-www-form-urlencoded or multipart/form-data."))
    data = services.posted_fields(web_form, request.form)
    form = services.bind(web_form, data, french=french())
    raw_token = request.form.get(services.TOKEN_FIELD)
    token = services.read_token(web_form, raw_token)
    if token is None:
        # Not from a form we rendered: the visitor's values come back with a fresh token.
        return public_page(web_form, form, token=services.issue_token(web_form), status=400,
                           message=_("This form could not be checked. Please check your details and send it again."))
    if not form.validate():
        return public_page(web_form, form, token=raw_token, status=422,
                           message=_("Please correct the fields marked below."))
    honeypot = services.clean_text(request.form.get(services.HONEYPOT_FIELD, ""))
    # Read before the commit expires the form: the redirect then needs no query.
    return_url, form_key = web_form.return_url, web_form.form_key
    try:
        services.receive(web_form, form, data, token=token, honeypot=honeypot, remote_addr=request.remote_addr)
        db.session.commit()
    except IntegrityError:
        # The same post arrived twice at once: the other request stored it.
        db.session.rollback()
        if services.find_submission(services.dedupe_key(web_form, token, data, honeypot)) is None:
            raise
    if return_url:
        return redirect(return_url, 303)
    return redirect(url_for("webforms.public_thanks", key=form_key), 303)


@bp.route("/w2l/<key>/thanks")
def public_thanks(key: str):
    """Shown after a post when the form has no return URL."""
    web_form = public_web_form(key)
    return framable(make_response(render_template("webforms/public_thanks.html", web_form=web_form)), web_form)


@bp.errorhandler(HTTPException)
def _public_errors(error: HTTPException):
    """Errors of the public form: a plain page that can be framed and starts no session; any
    other page's errors go to the app's handler (crm/errors.py)."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        return errors.handle_http_error(error)
    code = error.code or 500
    title, message = errors.MESSAGES.get(code, (_l("Not possible"), error.description))
    if error.description != type(error).description:
        message = error.description
    if code == 429:
        message = _("Too many submissions from your address. Please wait a moment and try again.")
    elif code == 413:
        message = _("What you sent is too long. Please shorten your message and send it again.")
    html = render_template("webforms/public_error.html", code=code, title=title, message=message)
    return framable(make_response(html, code))


def _public_database_errors(error: Exception):
    """The database went away during a public request: the post's transaction was rolled back
    whole (its submission and its lead are one commit), so the visitor is told to send it again
    later, on the same framable page as the form's other errors."""
    if request.endpoint not in PUBLIC_ENDPOINTS:
        return errors.handle_database_error(error)
    errors.recover_from_database_error(error)
    title = _("Temporarily unavailable")
    message = _("We could not record your details just now. Please try again in a minute.")
    return errors.database_unavailable_response(lambda: framable(make_response(
        render_template("webforms/public_error.html", code=503, title=title, message=message), 503)))


for _exception in errors.DATABASE_GONE:
    bp.register_error_handler(_exception, _public_database_errors)


# The admins' and managers' pages

def get_form(form_id: int) -> WebForm:
    return db.get_or_404(WebForm, form_id)


@bp.route("/forms")
@role_required(*ROLES)
def index():
    """The web forms, with today's leads against the cap and the posts waiting for a decision."""
    return render("webforms/index.html", "webforms/_list.html", forms=services.forms(),
                  counts=services.counts_by_form(), waiting=services.waiting_counts())


def settings_form(web_form: WebForm | None) -> WebFormForm:
    if web_form is None:
        form = WebFormForm(data=initial_rows(services.default_fields()))
    else:
        form = WebFormForm(obj=web_form, data=initial_rows(web_form.fields))
    form.set_choices(sources=picklist("lead_source"),
                     campaigns=campaign_choices(web_form.campaign_id if web_form else None))
    if web_form is None and not form.is_submitted():
        form.lead_source.data = "Web" if "Web" in picklist("lead_source") else ""
    return form


def field_labels() -> dict[str, str]:
    """The lead fields' names in the reader's language, as the lead form shows them."""
    return {name: str(getattr(LeadForm, name).args[0]) for name in services.AVAILABLE_FIELDS}


def edit_page(form: WebFormForm, web_form: WebForm | None):
    names = services.AVAILABLE_FIELDS
    return render("webforms/form.html", "webforms/_form.html", status=422 if form.is_submitted() else 200,
                  form=form, web_form=web_form, rows=[(name, form[row_name(name)]) for name in names],
                  always_required=services.ALWAYS_REQUIRED,
                  field_labels=field_labels())


@bp.route("/forms/new", methods=["GET", "POST"])
@role_required(*ROLES)
def new():
    """Set up a web form; its creator owns the leads no assignment rule gives to someone else."""
    form = settings_form(None)
    if form.validate_on_submit():
        web_form = services.save_form(None, form.form_data(), form.fields_data(), actor=current_user)
        db.session.commit()
        flash(_("Web form %(name)s saved. Paste its embed code on your site.", name=web_form.name), "success")
        return redirect_after_post(url_for("webforms.show", form_id=web_form.id))
    return edit_page(form, None)


@bp.route("/forms/<int:form_id>/edit", methods=["GET", "POST"])
@role_required(*ROLES)
def edit(form_id: int):
    """Change a web form's fields, defaults, return URL, cap or active flag."""
    web_form = get_form(form_id)
    form = settings_form(web_form)
    if form.validate_on_submit():
        services.save_form(web_form, form.form_data(), form.fields_data(), actor=current_user)
        db.session.commit()
        flash(_("Web form %(name)s saved.", name=web_form.name), "success")
        return redirect_after_post(url_for("webforms.show", form_id=web_form.id))
    return edit_page(form, web_form)


def embed_snippets(web_form: WebForm, lang: str) -> dict[str, str]:
    """The HTML to paste: a plain form (no JavaScript needed) and an iframe of the hosted form."""
    action = url_for("webforms.public_post", key=web_form.form_key, _external=True)
    with force_locale(lang):
        form = services.lead_form_class(web_form.fields, french=lang == "fr")()
        plain = render_template("webforms/embed_form.html", web_form=web_form, form=form, action=action,
                                token=services.snippet_token(web_form), honeypot=services.HONEYPOT_FIELD,
                                token_field=services.TOKEN_FIELD)
    iframe = render_template("webforms/embed_iframe.html", web_form=web_form, src=action)
    return {"plain": plain.strip() + "\n", "iframe": iframe.strip() + "\n"}


@bp.route("/forms/<int:form_id>")
@role_required(*ROLES)
def show(form_id: int):
    """A web form's settings, its embed code and what it received."""
    web_form = get_form(form_id)
    lang = request.args.get("lang") if request.args.get("lang") in ("en", "fr") else "en"
    return render_template("webforms/show.html", web_form=web_form, lang=lang,
                           snippets=embed_snippets(web_form, lang),
                           counts=services.counts_by_form().get(web_form.id, {"lead": 0, "spam": 0, "pending": 0}),
                           public_url=url_for("webforms.public_form", key=web_form.form_key, _external=True))


def submissions_context(state: str) -> dict:
    page = db.paginate(services.waiting(state), page=page_arg(request.args), per_page=PER_PAGE, error_out=False,
                       count=True)
    return {"state": state, "page": page, "reason_labels": REASON_LABELS, "state_labels": STATE_LABELS,
            "waiting": services.waiting_counts(), "field_labels": field_labels()}


@bp.route("/forms/submissions")
@role_required(*ROLES)
def submissions():
    """The spam quarantine (state=spam) or the pending queue (state=pending), to review and release."""
    state = request.args.get("state", "spam")
    if state not in ("spam", "pending"):
        abort(404)
    return render("webforms/submissions.html", "webforms/_submission_list.html", **submissions_context(state))


def decide(submission_id: int, action):
    submission = db.get_or_404(WebFormSubmission, submission_id)
    state = submission.state
    try:
        action(submission, actor=current_user)
    except services.NotReleasable as exc:
        db.session.rollback()
        flash(str(exc), "error")
    except services.ReleaseInvalid as exc:
        db.session.rollback()
        flash(_("This submission cannot become a lead: %(errors)s", errors=exc.message), "error")
    else:
        db.session.commit()
        if submission.state == "released":
            flash(_("Lead %(name)s created.", name=submission.lead.name), "success")
        else:
            flash(_("Submission discarded."), "success")
    if state not in ("spam", "pending"):
        state = "spam"
    # htmx: the list comes back without the row; a plain form goes back to the list.
    if wants_fragment():
        return render("webforms/submissions.html", "webforms/_submission_list.html", **submissions_context(state))
    return redirect(url_for("webforms.submissions", state=state), 303)


@bp.route("/forms/submissions/<int:submission_id>/release", methods=["POST"])
@role_required(*ROLES)
def release(submission_id: int):
    """Create the lead a quarantined or pending post would have made."""
    return decide(submission_id, services.release)


@bp.route("/forms/submissions/<int:submission_id>/discard", methods=["POST"])
@role_required(*ROLES)
def discard(submission_id: int):
    """Mark a quarantined or pending post as spam for good (it stays listed as discarded)."""
    return decide(submission_id, services.discard)
