"""Lead import pages: upload, map the columns (with a live preview), start, follow the progress, read
the report, download the rejected rows, undo; resume or roll back an import that was cut off.

Any signed-in user may import (every user can create leads); an import is seen, undone or rolled
back by its creator or an admin (404 for the others). Thin views: rules live in services.py.
"""

import sqlalchemy as sa
from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm.extensions import db
from crm.htmx import redirect_after_post, render
from crm.imports import bp, jobs, services
from crm.imports.fields import FIELD_LABELS, IMPORT_FIELDS, clean_mapping
from crm.imports.forms import RULES, OptionsForm, UploadForm
from crm.leads import services as lead_services
from crm.lists import as_id
from crm.models import User
from crm.models.lead_import import LeadImport, LeadImportMapping

PAGE = "imports/show.html"


@bp.url_value_preprocessor
def larger_uploads(endpoint, values):
    """The upload may be 50 MB (2 MB elsewhere). Set here, before any before_request handler
    (CSRF protection reads the form, so the body, first)."""
    if endpoint == "imports.index" and request.method == "POST":
        request.max_content_length = services.MAX_FILE_BYTES + 1024 * 1024


def get_import(import_id: int) -> LeadImport:
    """The import, or 404 when it does not exist or is not the user's (admins see every import)."""
    imp = db.session.get(LeadImport, import_id)
    if imp is None or not services.can_see(imp, current_user):
        abort(404)
    return imp


def active_users() -> list[User]:
    return list(db.session.scalars(sa.select(User).where(User.active).order_by(User.name)))


def upload_form() -> UploadForm:
    form = UploadForm()
    form.saved_mapping.choices = [(None, _("Match the headers automatically"))] + [
        (m.id, m.name) for m in services.saved_mappings()]
    return form


def index_context(form: UploadForm) -> dict:
    return {"form": form, "imports": services.recent_imports(current_user), "state_of": services.state_of,
            "state_labels": services.STATE_LABELS}


@bp.route("/leads/import", methods=["GET", "POST"])
@login_required
def index():
    """Upload a file; the user's latest imports below."""
    form = upload_form()
    if form.validate_on_submit():
        saved = db.session.get(LeadImportMapping, form.saved_mapping.data) if form.saved_mapping.data else None
        try:
            imp = services.create_import(form.file.data.read(), form.file.data.filename or "", actor=current_user,
                                         saved=saved)
        except services.UnreadableFile as exc:
            form.file.errors.append(str(exc))
        else:
            db.session.commit()
            return redirect(url_for("imports.show", import_id=imp.id), 303)
    return render("imports/index.html", "imports/_upload.html", status=422 if form.errors else 200,
                  **index_context(form))


def submitted_mapping(imp: LeadImport, values) -> list[str]:
    """The mapping chosen in the column drop-downs (col-0, col-1...), else the import's own."""
    if not any(key.startswith("col-") for key in values):
        return list(imp.mapping)
    return clean_mapping([values.get(f"col-{i}", "") for i in range(len(imp.headers))], len(imp.headers))


def options_form(imp: LeadImport) -> OptionsForm:
    options = imp.options or {}
    form = OptionsForm(data={
        "duplicates": options.get("duplicates", "skip"),
        "owner": RULES if options.get("use_rules") else str(options.get("owner_id") or current_user.id),
        "lead_source": options.get("lead_source") or "", "campaign_id": options.get("campaign_id")})
    form.set_choices(owners=active_users(), sources=lead_services.picklist("lead_source"),
                     campaigns=lead_services.campaign_choices())
    return form


def mapping_context(imp: LeadImport, mapping: list[str], form: OptionsForm, error: str | None = None) -> dict:
    return {"imp": imp, "mapping": mapping, "form": form, "rows": services.preview(imp, mapping),
            "field_labels": FIELD_LABELS, "fields": IMPORT_FIELDS, "error": error, "columns": _columns(imp, mapping),
            "saved_mappings": services.saved_mappings(), "state_labels": services.STATE_LABELS,
            "mapped": [f for f in mapping if f]}


def _columns(imp: LeadImport, mapping: list[str]) -> list[dict]:
    """Each column of the file: its header, the first data row's cell, and the field it maps to."""
    first = next(iter(services.parsing.data_rows(imp.content, services.file_info(imp))), None)
    cells = first[2] if first else []
    return [{"index": i, "header": header, "sample": cells[i] if i < len(cells) else "", "field": mapping[i]}
            for i, header in enumerate(imp.headers)]


def status_context(imp: LeadImport) -> dict:
    state = services.state_of(imp)
    return {"imp": imp, "state": state, "state_labels": services.STATE_LABELS,
            "polling": state in ("queued", "running"), "can_undo": services.can_undo(imp, current_user),
            "rejections": services.rejected_rows(imp, limit=20) if imp.rejected else [],
            "reasons": services.describe_reasons}


@bp.route("/leads/import/<int:import_id>")
@login_required
def show(import_id: int):
    """An import: its mapping and preview (htmx: the preview alone), or its progress and report."""
    imp = get_import(import_id)
    if imp.state != "mapping":
        return render(PAGE, "imports/_status.html", **status_context(imp))
    mapping = submitted_mapping(imp, request.args)
    if saved_id := as_id(request.args.get("saved")):
        if saved := db.session.get(LeadImportMapping, saved_id):
            mapping = services.apply_saved_mapping(imp, saved)
    form = options_form(imp)
    return render(PAGE, "imports/_preview.html", **mapping_context(imp, mapping, form))


@bp.route("/leads/import/<int:import_id>/start", methods=["POST"])
@login_required
def start(import_id: int):
    """Fix the mapping and options and queue the import; the page then follows its progress."""
    imp = get_import(import_id)
    if imp.state != "mapping":
        return redirect_after_post(url_for("imports.show", import_id=imp.id))
    mapping = submitted_mapping(imp, request.form)
    form = options_form(imp)
    error = None
    if form.validate_on_submit():
        try:
            services.start_import(imp, mapping=mapping, options=form.options(), save_as=form.save_as.data,
                                  actor=current_user)
        except services.LeadImportError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            db.session.commit()
            jobs.notify(imp.id)
            return redirect_after_post(url_for("imports.show", import_id=imp.id))
    return render(PAGE, "imports/_mapping.html", status=422, **mapping_context(imp, mapping, form, error))


@bp.route("/leads/import/<int:import_id>/progress")
@login_required
def progress(import_id: int):
    """The progress (htmx polls it every second while the job runs), then the report."""
    imp = get_import(import_id)
    if imp.state == "mapping":
        return redirect(url_for("imports.show", import_id=imp.id))
    return render(PAGE, "imports/_status.html", **status_context(imp))


@bp.route("/leads/import/<int:import_id>/rejected.csv")
@login_required
def rejected_csv(import_id: int):
    """The rejected rows with the reason, as CSV (cells that a spreadsheet would run are made text)."""
    imp = get_import(import_id)
    return Response(services.rejected_csv(imp), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="rejected-rows-{imp.id}.csv"'})


@bp.route("/leads/import/<int:import_id>/undo", methods=["POST"])
@login_required
def undo(import_id: int):
    """Undo a finished import, or roll back one that was cut off (its creator or an admin)."""
    imp = get_import(import_id)
    if not services.can_undo(imp, current_user):
        abort(403)
    was = services.state_of(imp)
    try:
        services.undo_import(imp, actor=current_user)
    except services.WrongState as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        if was in ("done", "undoing"):
            flash(_("Import undone: its new leads are removed and the leads it updated are as they were."), "success")
        else:
            flash(_("Import rolled back: nothing of it is left."), "success")
    return redirect_after_post(url_for("imports.show", import_id=imp.id))


@bp.route("/leads/import/<int:import_id>/resume", methods=["POST"])
@login_required
def resume(import_id: int):
    """Queue an interrupted import again: it goes on from its last committed row."""
    imp = get_import(import_id)
    if not services.can_undo(imp, current_user):
        abort(403)
    try:
        services.resume_import(imp)
    except services.WrongState as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        jobs.notify(imp.id)
        flash(_("Import resumed from row %(row)s.", row=imp.checkpoint + 1), "success")
    return redirect_after_post(url_for("imports.show", import_id=imp.id))


@bp.route("/leads/import/<int:import_id>/discard", methods=["POST"])
@login_required
def discard(import_id: int):
    """Drop an import that was never started (its file goes with it)."""
    imp = get_import(import_id)
    if imp.state != "mapping":
        abort(409, _("This import has already started."))
    db.session.delete(imp)
    db.session.commit()
    flash(_("Import cancelled."), "success")
    return redirect_after_post(url_for("imports.index"))
