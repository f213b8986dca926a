"""Admin pages for pipelines (sales processes) and their stages. Admins only.

/admin/pipelines lists the pipelines (add one as a copy of another, make one the default, delete an
unused one); /admin/pipelines/<id> holds its stages: move, add, edit in place, delete (moving the
deals first). Row buttons are plain POST forms (303 back to the page without JavaScript); with htmx
they answer with the list fragment or the row, and the flash rides along out of band.
"""

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from crm.admin import bp
from crm.admin import pipelines_services as services
from crm.admin.lead_settings import direction, flash_moved
from crm.admin.pipelines_forms import KEY_FIELD_LABELS, DeleteStageForm, PipelineForm, PipelineNameForm, StageForm
from crm.auth.decorators import role_required
from crm.extensions import db
from crm.htmx import redirect_after_post, render, retarget, wants_fragment
from crm.leads.labels import label
from crm.models import MAX_KEY_FIELDS, Pipeline, Stage


def get_pipeline(pipeline_id: int) -> Pipeline:
    return db.get_or_404(Pipeline, pipeline_id)


def get_stage(pipeline_id: int, stage_id: int) -> Stage:
    stage = db.get_or_404(Stage, stage_id)
    if stage.pipeline_id != get_pipeline(pipeline_id).id:
        abort(404)
    return stage


# Pipelines

def pipelines_context(form: PipelineForm | None = None, **extra) -> dict:
    pipelines = services.pipelines()
    default = services.default_pipeline()
    form = form or PipelineForm(formdata=None)
    form.set_sources(pipelines, default.id if default else None)
    return {"pipelines": pipelines, "stage_counts": services.stage_counts(),
            "open_counts": services.open_opportunity_counts(), "form": form, **extra}


def pipeline_list(**extra):
    """After a row action: the list for htmx, a 303 back to the page otherwise."""
    if wants_fragment():
        return render("admin/pipelines.html", "admin/_pipeline_list.html", **pipelines_context(**extra))
    return redirect(url_for("admin.pipelines"), 303)


@bp.route("/pipelines")
@role_required("admin")
def pipelines():
    """The pipelines, with their stages and open deals counted, and the form to add one."""
    return render("admin/pipelines.html", "admin/_pipeline_list.html", **pipelines_context())


@bp.route("/pipelines", methods=["POST"])
@role_required("admin")
def add_pipeline():
    """Add a pipeline with a copy of another one's stages; htmx gets a fresh form and the list out of band."""
    form = PipelineForm()
    form.set_sources(services.pipelines(), None)
    if form.validate_on_submit():
        try:
            pipeline = services.create_pipeline(name=form.name.data, source=get_pipeline(form.source_id.data))
        except services.NameTaken:
            db.session.rollback()
            form.name.errors.append(_("A pipeline with this name already exists."))
        else:
            db.session.commit()
            flash(_("Pipeline %(name)s added.", name=pipeline.name), "success")
            if not wants_fragment():
                return redirect(url_for("admin.pipelines"), 303)
            return render("admin/pipelines.html", "admin/_pipeline_form.html", **pipelines_context(list_oob=True))
    return render("admin/pipelines.html", "admin/_pipeline_form.html", status=422, **pipelines_context(form))


@bp.route("/pipelines/<int:pipeline_id>/default", methods=["POST"])
@role_required("admin")
def set_default_pipeline(pipeline_id: int):
    """Make a pipeline the default (the previous default stops being it)."""
    pipeline = get_pipeline(pipeline_id)
    services.set_default_pipeline(pipeline)
    db.session.commit()
    flash(_("New opportunities now start in the pipeline %(name)s.", name=label(pipeline.name)), "success")
    return pipeline_list()


@bp.route("/pipelines/<int:pipeline_id>/delete", methods=["POST"])
@role_required("admin")
def delete_pipeline(pipeline_id: int):
    """Delete a pipeline that no opportunity uses, with its stages."""
    pipeline = get_pipeline(pipeline_id)
    name = label(pipeline.name)
    try:
        services.delete_pipeline(pipeline)
    except services.DefaultPipeline:
        flash(_("%(name)s is the default pipeline: make another pipeline the default first.", name=name), "error")
    except services.PipelineInUse as error:
        flash(ngettext("%(name)s cannot be deleted: %(num)d opportunity uses it (the recycle bin included).",
                       "%(name)s cannot be deleted: %(num)d opportunities use it (the recycle bin included).",
                       error.count, name=name), "error")
    else:
        db.session.commit()
        flash(_("Pipeline %(name)s deleted.", name=name), "success")
        return pipeline_list(focus_list=True)
    db.session.rollback()
    return pipeline_list()


# One pipeline: its name and its stages

def pipeline_context(pipeline: Pipeline, form: StageForm | None = None, name_form: PipelineNameForm | None = None,
                     **extra) -> dict:
    return {"pipeline": pipeline, "stages": services.stages(pipeline),
            "deal_counts": services.stage_opportunity_counts(pipeline), "key_field_labels": KEY_FIELD_LABELS,
            "max_key_fields": MAX_KEY_FIELDS, "form": form or StageForm(formdata=None, probability=10),
            "name_form": name_form or PipelineNameForm(formdata=None, obj=pipeline, prefix="pipeline"), **extra}


def stage_list(pipeline: Pipeline, **extra):
    """After a stage action: the stage list for htmx (wherever it was asked from), a 303 otherwise."""
    if wants_fragment():
        response = render("admin/pipeline.html", "admin/_stage_list.html", **pipeline_context(pipeline, **extra))
        return retarget(response, "#stage-list", "outerHTML")
    return redirect(url_for("admin.pipeline", pipeline_id=pipeline.id), 303)


def stage_row(pipeline: Pipeline, stage: Stage, fragment: str, status: int = 200, **extra):
    """One stage's row (shown, being edited or being deleted): in place for htmx, in the page otherwise."""
    response = render("admin/pipeline.html", fragment, status=status, stage=stage,
                      **pipeline_context(pipeline, **extra))
    if wants_fragment():
        retarget(response, f"#stage-{stage.id}", "outerHTML")
    return response


@bp.route("/pipelines/<int:pipeline_id>")
@role_required("admin")
def pipeline(pipeline_id: int):
    """A pipeline's stages in order, with the form to add one."""
    return render("admin/pipeline.html", "admin/_stage_list.html", **pipeline_context(get_pipeline(pipeline_id)))


@bp.route("/pipelines/<int:pipeline_id>/rename", methods=["POST"])
@role_required("admin")
def rename_pipeline(pipeline_id: int):
    """Rename a pipeline."""
    pipeline = get_pipeline(pipeline_id)
    form = PipelineNameForm(prefix="pipeline")
    if form.validate_on_submit():
        try:
            services.rename_pipeline(pipeline, name=form.name.data)
        except services.NameTaken:
            form.name.errors.append(_("A pipeline with this name already exists."))
        else:
            db.session.commit()
            flash(_("Pipeline %(name)s saved.", name=pipeline.name), "success")
            return redirect_after_post(url_for("admin.pipeline", pipeline_id=pipeline.id))
        db.session.rollback()
    return render("admin/pipeline.html", "admin/_pipeline_name_form.html", status=422,
                  **pipeline_context(pipeline, name_form=form))


@bp.route("/pipelines/<int:pipeline_id>/stages", methods=["POST"])
@role_required("admin")
def add_stage(pipeline_id: int):
    """Add a stage (an open one before the closed stages); htmx gets a fresh form and the list out of band."""
    pipeline = get_pipeline(pipeline_id)
    form = StageForm()
    if form.validate_on_submit():
        try:
            stage = services.add_stage(pipeline, **form.stage_data())
        except services.NameTaken:
            form.name.errors.append(_("This pipeline already has a stage with this name."))
        else:
            db.session.commit()
            flash(_("Stage %(name)s added.", name=stage.name), "success")
            if not wants_fragment():
                return redirect(url_for("admin.pipeline", pipeline_id=pipeline.id), 303)
            return render("admin/pipeline.html", "admin/_stage_form.html", **pipeline_context(pipeline, list_oob=True))
        db.session.rollback()
    return render("admin/pipeline.html", "admin/_stage_form.html", status=422, **pipeline_context(pipeline, form))


@bp.route("/pipelines/<int:pipeline_id>/stages/<int:stage_id>")
@role_required("admin")
def stage(pipeline_id: int, stage_id: int):
    """One stage's row (htmx: the edit form's Cancel); the pipeline's page otherwise."""
    stage = get_stage(pipeline_id, stage_id)
    return stage_row(stage.pipeline, stage, "admin/_stage_row.html")


@bp.route("/pipelines/<int:pipeline_id>/stages/<int:stage_id>/edit", methods=["GET", "POST"])
@role_required("admin")
def edit_stage(pipeline_id: int, stage_id: int):
    """Edit a stage in its row; deals that follow the stage's probability get the new one."""
    stage = get_stage(pipeline_id, stage_id)
    form = StageForm(obj=stage, prefix=f"stage-{stage.id}")
    if form.validate_on_submit():
        # A refused change of kind is told beside the flag that changed.
        flag = form.is_won if form.is_won.data != stage.is_won else form.is_closed
        try:
            followed = services.update_stage(stage, **form.stage_data())
        except services.NameTaken:
            form.name.errors.append(_("This pipeline already has a stage with this name."))
        except services.StageKindNeeded as error:
            flag.errors.append(str(error))
        except services.StageInUse as error:
            flag.errors.append(ngettext(
                "%(num)d opportunity is at this stage: move it to another stage before changing whether "
                "this stage is closed or won.",
                "%(num)d opportunities are at this stage: move them to another stage before changing whether "
                "this stage is closed or won.", error.count))
        else:
            db.session.commit()
            flash(_("Stage %(name)s saved.", name=label(stage.name)), "success")
            if followed:
                flash(ngettext("%(num)d opportunity now has the stage's new probability.",
                               "%(num)d opportunities now have the stage's new probability.", followed), "success")
            if not wants_fragment():
                return redirect(url_for("admin.pipeline", pipeline_id=pipeline_id), 303)
            return stage_row(stage.pipeline, stage, "admin/_stage_row.html")
        db.session.rollback()
    return stage_row(stage.pipeline, stage, "admin/_stage_edit.html", status=422 if form.is_submitted() else 200,
                     editing=stage, stage_form=form)


@bp.route("/pipelines/<int:pipeline_id>/stages/<int:stage_id>/move", methods=["POST"])
@role_required("admin")
def move_stage(pipeline_id: int, stage_id: int):
    """Move a stage one place up or down."""
    stage, way = get_stage(pipeline_id, stage_id), direction()
    moved = services.move_stage(stage, way)
    db.session.commit()
    flash_moved(label(stage.name), moved, way)
    return stage_list(stage.pipeline)


@bp.route("/pipelines/<int:pipeline_id>/stages/<int:stage_id>/delete", methods=["GET", "POST"])
@role_required("admin")
def delete_stage(pipeline_id: int, stage_id: int):
    """Delete a stage; the deals at it move first to the stage chosen on the form."""
    stage = get_stage(pipeline_id, stage_id)
    pipeline, name = stage.pipeline, label(stage.name)
    try:
        services.check_deletable(stage)
    except services.StageKindNeeded as error:
        flash(str(error), "error")
        return stage_list(pipeline)
    form = DeleteStageForm(prefix=f"stage-{stage.id}")
    form.set_targets(services.move_targets(stage), services.opportunities_at(stage))
    if form.validate_on_submit():
        try:
            moved = services.delete_stage(stage, move_to=form.target(), actor=current_user)
        except services.PipelineError as error:
            db.session.rollback()
            flash(str(error) if not isinstance(error, services.StageInUse) else
                  _("Opportunities are at this stage: choose the stage to move them to."), "error")
            return stage_list(pipeline)
        db.session.commit()
        if moved:
            flash(ngettext("Stage %(name)s deleted; %(num)d opportunity moved to %(target)s.",
                           "Stage %(name)s deleted; %(num)d opportunities moved to %(target)s.",
                           moved, name=name, target=label(form.target().name)), "success")
        else:
            flash(_("Stage %(name)s deleted.", name=name), "success")
        return stage_list(pipeline, focus_list=True)
    return stage_row(pipeline, stage, "admin/_stage_delete.html", status=422 if form.is_submitted() else 200,
                     deleting=stage, delete_form=form)
