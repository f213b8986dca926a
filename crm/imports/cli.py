"""`flask --app app import-leads FILE`: the same import as the web page, run inline; and
`flask --app app import-worker`: the process that runs the imports started from the web."""

import threading
import time
from pathlib import Path

import click
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale

from crm.extensions import db
from crm.imports import bp, jobs, services
from crm.imports.fields import FIELD_LABELS
from crm.leads import services as lead_services
from crm.models import Campaign, User
from crm.models.lead_import import DUPLICATE_CHOICES, LeadImport, LeadImportMapping


def _user(email: str, option: str) -> User:
    user = db.session.scalar(sa.select(User).where(sa.func.lower(User.email) == email.strip().lower()))
    if user is None or not user.active:
        raise click.BadParameter(f"no active user with the email {email}", param_hint=option)
    return user


@bp.cli.command("import-leads")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--owner", "owner_email", help="The user who owns the new leads (default: the assignment rules).")
@click.option("--as", "actor_email", help="The user the import is recorded as made by (default: nobody).")
@click.option("--duplicates", type=click.Choice(DUPLICATE_CHOICES), default="skip", show_default=True,
              help="Rows that look like a stored lead or contact: skip them, update the lead, or import anyway "
                   "(flagged as possible duplicates).")
@click.option("--source", help="The lead source of rows that have none (a value of the Lead source list).")
@click.option("--campaign", help="The campaign the leads join (its name).")
@click.option("--mapping", "mapping_name", help="A saved mapping (its name) instead of the automatic one.")
@click.option("--rejected", "rejected_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the rejected rows, with the reason, to this CSV file.")
def import_leads_command(file: Path, owner_email, actor_email, duplicates, source, campaign, mapping_name,
                         rejected_path) -> None:
    """Import leads from a CSV or XLSX file and print the report."""
    # No request, so no browser language: the report is in English.
    with force_locale("en"):
        _import_leads(file, owner_email, actor_email, duplicates, source, campaign, mapping_name, rejected_path)


def _import_leads(file: Path, owner_email, actor_email, duplicates, source, campaign, mapping_name,
                  rejected_path) -> None:
    started = time.perf_counter()
    actor = _user(actor_email, "--as") if actor_email else None
    owner = _user(owner_email, "--owner") if owner_email else None
    saved = None
    if mapping_name:
        saved = db.session.scalar(sa.select(LeadImportMapping).where(LeadImportMapping.name == mapping_name))
        if saved is None:
            raise click.BadParameter(f"no saved mapping named {mapping_name}", param_hint="--mapping")
    campaign_id = None
    if campaign:
        found = db.session.scalar(sa.select(Campaign).where(Campaign.name == campaign))
        if found is None:
            raise click.BadParameter(f"no campaign named {campaign}", param_hint="--campaign")
        campaign_id = found.id
    if source:
        sources = {value.casefold(): value for value in lead_services.picklist("lead_source")}
        if source.casefold() not in sources:
            raise click.BadParameter(f"not a lead source: {source}", param_hint="--source")
        source = sources[source.casefold()]
    try:
        imp = services.create_import(file.read_bytes(), file.name, actor=actor, saved=saved)
        mapped = {FIELD_LABELS[name]: header for header, name in zip(imp.headers, imp.mapping, strict=False) if name}
        click.echo(f"{file.name}: {imp.file_format.upper()}"
                   + (f", {imp.encoding}, delimiter {imp.delimiter!r}" if imp.file_format == "csv" else ""))
        for label, header in mapped.items():
            click.echo(f"  {header!r} -> {label}")
        services.start_import(imp, mapping=imp.mapping, actor=actor, options={
            "duplicates": duplicates, "owner_id": owner.id if owner else None, "use_rules": owner is None,
            "lead_source": source, "campaign_id": campaign_id})
    except services.LeadImportError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    # The same job a worker runs, claimed the same way; in the transaction that queued it, so that
    # no running worker sees it queued and takes it first.
    claimed = jobs.claim(imp.id)
    if claimed is None:
        raise click.ClickException("the import could not be started")
    imp = services.run_import(claimed)
    if rejected_path and imp.rejected:
        rejected_path.write_text(services.rejected_csv(imp), encoding="utf-8")
    click.echo(f"Import {imp.id} {imp.state} in {time.perf_counter() - started:.1f} s: {imp.imported} imported, "
               f"{imp.updated} updated, {imp.skipped} skipped, {imp.rejected} rejected.")
    if imp.rejected:
        for rejection in services.rejected_rows(imp, limit=10):
            click.echo(f"  row {rejection.row_number}: {'; '.join(services.describe_reasons(rejection.reasons))}")
        if rejected_path:
            click.echo(f"Rejected rows written to {rejected_path}.")
    if imp.state != "done":
        raise click.ClickException(imp.error or f"the import ended {imp.state}")


@bp.cli.command("import-worker")
@click.option("--poll", type=float, default=jobs.POLL_SECONDS, show_default=True,
              help="Seconds between looks at the queue when it is empty (without Redis).")
@click.option("--once", is_flag=True, help="Run at most one job, then exit.")
def import_worker_command(poll: float, once: bool) -> None:
    """Run lead imports started from the web, until stopped (SIGTERM or Ctrl-C stop it cleanly)."""
    app = current_app._get_current_object()
    stop = threading.Event()
    jobs.install_signal_handlers(stop)
    where = "Redis " + app.config["REDIS_URL"].rsplit("@", 1)[-1] if app.config.get("REDIS_URL") else "the database"
    click.echo(f"Import worker: waiting for lead imports (queue: {where}).", err=True)
    jobs.run_worker(app, stop, poll=poll, once=once)


@bp.cli.command("import-undo")
@click.argument("import_id", type=int)
def import_undo_command(import_id: int) -> None:
    """Undo a finished import, or roll back an interrupted one (the same as its page's button;
    for very large imports, which take a while)."""
    imp = db.session.get(LeadImport, import_id)
    if imp is None:
        raise click.BadParameter(f"no import {import_id}", param_hint="IMPORT_ID")
    with force_locale("en"):
        try:
            imp = services.undo_import(imp, actor=None)
        except services.WrongState as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(f"Import {imp.id} {imp.state.replace('_', ' ')}.")
