"""Pipelines and their stages: the rules an admin's edits must keep. Services flush; the caller commits.

Invariants kept after every operation: exactly one default pipeline; every pipeline keeps at least
one open stage, one won stage and one lost (closed, not won) stage; stage positions run 1..n.
Deals follow their stage: a stage's new default probability reaches the deals that did not set
their own, and deleting a stage in use first moves its deals (in bulk SQL: a stage may hold
thousands) to another stage of the same kind, with a history row each.
"""

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from crm.admin import lead_settings_services
from crm.admin.lead_settings_services import _move, _renumber, _same_label
from crm.extensions import db
from crm.models import (
    FORECAST_CATEGORIES,
    KEY_FIELDS,
    MAX_KEY_FIELDS,
    Opportunity,
    OpportunityStageHistory,
    Pipeline,
    Stage,
    User,
)
from crm.models.user import utcnow
from crm.opportunities.services import GuidanceTooLong, set_guidance  # noqa: F401 (raised through)

DIRECTIONS = lead_settings_services.DIRECTIONS

# What a stage form may write; anything else is ignored.
STAGE_FIELDS = ("name", "probability", "forecast_category", "is_closed", "is_won", "guidance", "key_fields")


class PipelineError(Exception):
    """A pipeline rule was broken; `message` is for the user."""

    message = _l("This change is not allowed.")

    def __str__(self) -> str:
        return str(self.message)


class NameTaken(PipelineError):
    """Another pipeline, or another stage of the same pipeline, has this name (case-insensitively)."""

    message = _l("This name is already taken.")


class PipelineInUse(PipelineError):
    """Opportunities (the recycle bin included) use this pipeline, so it cannot be deleted."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


class DefaultPipeline(PipelineError):
    """The default pipeline cannot be deleted: another must become the default first."""


class StageKindNeeded(PipelineError):
    """The change would leave the pipeline without an open, a won or a lost stage."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind

    @property
    def message(self):
        return {
            "open": _l("A pipeline needs at least one open stage: this is its last one."),
            "won": _l("A pipeline needs at least one won stage: this is its last one."),
            "lost": _l("A pipeline needs at least one lost stage (closed, not won): this is its last one."),
        }[self.kind]


class StageInUse(PipelineError):
    """Opportunities are at this stage: they must be moved (delete), or the change would close or reopen them."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


class InvalidTarget(PipelineError):
    """The stage chosen to receive the deals is not another stage of the same pipeline and kind."""

    message = _l("Choose another stage of this pipeline, of the same kind (open, won or lost).")


class InvalidStage(PipelineError):
    """A stage value outside what the model allows (the form checks these first)."""


# Reading

def pipelines() -> list[Pipeline]:
    """All pipelines in the admin's order."""
    return list(db.session.scalars(sa.select(Pipeline).order_by(Pipeline.position, Pipeline.id)))


def default_pipeline() -> Pipeline | None:
    return db.session.scalar(sa.select(Pipeline).where(Pipeline.is_default))


def stages(pipeline: Pipeline) -> list[Stage]:
    """The pipeline's stages in order (read from the database, not the cached relationship)."""
    return list(db.session.scalars(
        sa.select(Stage).where(Stage.pipeline_id == pipeline.id).order_by(Stage.position, Stage.id)))


def stage_counts() -> dict[int, int]:
    """How many stages each pipeline has, by pipeline id."""
    return dict(db.session.execute(sa.select(Stage.pipeline_id, sa.func.count()).group_by(Stage.pipeline_id)).all())


def open_opportunity_counts() -> dict[int, int]:
    """How many open opportunities (not in the recycle bin, at an open stage) each pipeline has."""
    rows = db.session.execute(
        sa.select(Opportunity.pipeline_id, sa.func.count())
        .join(Stage, Stage.id == Opportunity.stage_id)
        .where(Opportunity.deleted_at.is_(None), Stage.is_closed.is_(False))
        .group_by(Opportunity.pipeline_id))
    return dict(rows.all())


def stage_opportunity_counts(pipeline: Pipeline) -> dict[int, int]:
    """How many opportunities (the recycle bin included) are at each stage of the pipeline."""
    rows = db.session.execute(
        sa.select(Opportunity.stage_id, sa.func.count())
        .where(Opportunity.pipeline_id == pipeline.id).group_by(Opportunity.stage_id))
    return dict(rows.all())


def _count(*where) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Opportunity).where(*where))


def opportunities_at(stage: Stage) -> int:
    """Opportunities at the stage, the recycle bin included."""
    return _count(Opportunity.stage_id == stage.id)


def _kind(stage: Stage) -> str:
    return "won" if stage.is_won else "lost" if stage.is_closed else "open"


def move_targets(stage: Stage) -> list[Stage]:
    """The stages that can take the deals of `stage` when it is deleted: same pipeline, same kind."""
    return [other for other in stages(stage.pipeline) if other.id != stage.id and _kind(other) == _kind(stage)]


# Pipelines

def _check_pipeline_name_free(name: str, exclude_id: int | None = None) -> None:
    query = sa.select(Pipeline.name)
    if exclude_id is not None:
        query = query.where(Pipeline.id != exclude_id)
    if any(_same_label(other, name) for other in db.session.scalars(query)):
        raise NameTaken()


def create_pipeline(*, name: str, source: Pipeline) -> Pipeline:
    """A new pipeline at the end, with a copy of `source`'s stages. :raises NameTaken:"""
    name = name.strip()
    _check_pipeline_name_free(name)
    last = db.session.scalar(sa.select(sa.func.max(Pipeline.position))) or 0
    pipeline = Pipeline(name=name, position=last + 1, is_default=False)
    db.session.add(pipeline)
    db.session.flush()
    for position, stage in enumerate(stages(source), 1):
        db.session.add(Stage(
            pipeline_id=pipeline.id, name=stage.name, position=position, probability=stage.probability,
            forecast_category=stage.forecast_category, is_closed=stage.is_closed, is_won=stage.is_won,
            guidance=stage.guidance, key_fields=list(stage.key_fields or [])))
    db.session.flush()
    db.session.expire(pipeline, ["stages"])
    return pipeline


def rename_pipeline(pipeline: Pipeline, *, name: str) -> Pipeline:
    """:raises NameTaken:"""
    name = name.strip()
    _check_pipeline_name_free(name, exclude_id=pipeline.id)
    pipeline.name = name
    db.session.flush()
    return pipeline


def set_default_pipeline(pipeline: Pipeline) -> Pipeline:
    """Make `pipeline` the one default (new deals and converted leads start in it)."""
    for old in db.session.scalars(sa.select(Pipeline).where(Pipeline.is_default, Pipeline.id != pipeline.id)):
        old.is_default = False
    # uq_pipelines_one_default allows one default at a time: clear the old flag in the database first.
    db.session.flush()
    pipeline.is_default = True
    db.session.flush()
    return pipeline


def move_pipeline(pipeline: Pipeline, direction: str) -> bool:
    """Move a pipeline one place "up" or "down"; False when it is already at that end."""
    moved = _move(pipelines(), pipeline, direction)
    db.session.flush()
    return moved


def delete_pipeline(pipeline: Pipeline) -> None:
    """Delete a pipeline no opportunity uses (the recycle bin included), with its stages.

    :raises DefaultPipeline: :raises PipelineInUse:
    """
    if pipeline.is_default:
        raise DefaultPipeline()
    count = _count(Opportunity.pipeline_id == pipeline.id)
    if count:
        raise PipelineInUse(count)
    stage_ids = sa.select(Stage.id).where(Stage.pipeline_id == pipeline.id).scalar_subquery()
    _forget_stages_in_history(stage_ids)
    for stage in list(pipeline.stages):
        db.session.delete(stage)
    db.session.flush()
    db.session.expire(pipeline, ["stages"])
    db.session.delete(pipeline)
    db.session.flush()
    _renumber(pipelines())
    db.session.flush()


# Stages

def _check_stage_name_free(pipeline: Pipeline, name: str, exclude_id: int | None = None) -> None:
    if any(_same_label(other.name, name) for other in stages(pipeline) if other.id != exclude_id):
        raise NameTaken()


def _clean(fields: dict) -> dict:
    """The STAGE_FIELDS given, checked against the model's limits (the form says why first)."""
    data = {name: fields[name] for name in STAGE_FIELDS if name in fields}
    if "name" in data:
        data["name"] = (data["name"] or "").strip()
        if not data["name"] or len(data["name"]) > 80:
            raise InvalidStage()
    if "probability" in data and not (isinstance(data["probability"], int) and 0 <= data["probability"] <= 100):
        raise InvalidStage()
    if "forecast_category" in data and data["forecast_category"] not in FORECAST_CATEGORIES:
        raise InvalidStage()
    if "key_fields" in data:
        key_fields = list(dict.fromkeys(data["key_fields"] or []))
        if len(key_fields) > MAX_KEY_FIELDS or any(name not in KEY_FIELDS for name in key_fields):
            raise InvalidStage()
        # Shown on the path in the order the form offers them.
        data["key_fields"] = [name for name in KEY_FIELDS if name in key_fields]
    if data.get("is_won"):
        data["is_closed"] = True
    return data


def _check_usable(pipeline: Pipeline, changed: Stage | None, flags: tuple[bool, bool] | None) -> None:
    """After the change (`changed` gets `flags` (closed, won), or goes when `flags` is None), the
    pipeline still has an open, a won and a lost stage. :raises StageKindNeeded:"""
    kinds = []
    for stage in stages(pipeline):
        if changed is not None and stage.id == changed.id:
            if flags is None:
                continue
            closed, won = flags
            kinds.append("won" if won else "lost" if closed else "open")
        else:
            kinds.append(_kind(stage))
    for kind in ("open", "won", "lost"):
        if kind not in kinds:
            raise StageKindNeeded(kind)


def add_stage(pipeline: Pipeline, **fields) -> Stage:
    """A new stage: an open one goes before the closed stages, a closed one at the end.

    :raises NameTaken: :raises GuidanceTooLong:
    """
    data = _clean(fields)
    _check_stage_name_free(pipeline, data["name"])
    ordered = stages(pipeline)
    stage = Stage(pipeline_id=pipeline.id, name=data["name"], probability=data.get("probability", 0),
                  forecast_category=data.get("forecast_category", "Pipeline"),
                  is_closed=data.get("is_closed", False), is_won=data.get("is_won", False),
                  key_fields=data.get("key_fields", []), position=len(ordered) + 1)
    set_guidance(stage, data.get("guidance"))
    db.session.add(stage)
    db.session.flush()
    if not stage.is_closed:
        first_closed = next((i for i, other in enumerate(ordered) if other.is_closed), len(ordered))
        ordered.insert(first_closed, stage)
    else:
        ordered.append(stage)
    _renumber(ordered)
    db.session.flush()
    db.session.expire(pipeline, ["stages"])
    return stage


def update_stage(stage: Stage, **fields) -> int:
    """Write the STAGE_FIELDS given; return how many deals took the new default probability.

    The open deals at the stage that did not set their own probability follow it (one UPDATE).
    :raises NameTaken: :raises StageKindNeeded: :raises StageInUse: when the closed or won flag
    would change under deals (that would close or reopen them without a stage change).
    :raises GuidanceTooLong:
    """
    data = _clean(fields)
    if "name" in data:
        _check_stage_name_free(stage.pipeline, data["name"], exclude_id=stage.id)
    closed = data.get("is_closed", stage.is_closed)
    won = data.get("is_won", stage.is_won)
    if (closed, won) != (stage.is_closed, stage.is_won):
        _check_usable(stage.pipeline, stage, (closed, won))
        count = opportunities_at(stage)
        if count:
            raise StageInUse(count)
    if "guidance" in data:
        set_guidance(stage, data.pop("guidance"))
    old_probability = stage.probability
    for name, value in data.items():
        setattr(stage, name, value)
    db.session.flush()
    if stage.probability == old_probability:
        return 0
    return follow_probability(stage)


def follow_probability(stage: Stage) -> int:
    """The deals at the stage take its probability, unless they set their own (a closed stage
    always sets it); return how many changed."""
    query = sa.update(Opportunity).where(Opportunity.stage_id == stage.id,
                                         Opportunity.probability != stage.probability)
    if not stage.is_closed:
        query = query.where(Opportunity.probability_overridden.is_(False))
    result = db.session.execute(query.values(probability=stage.probability)
                                .execution_options(synchronize_session="fetch"))
    return result.rowcount


def move_stage(stage: Stage, direction: str) -> bool:
    """Move a stage one place "up" or "down" in its pipeline; False when it is already at that end."""
    moved = _move(stages(stage.pipeline), stage, direction)
    db.session.flush()
    return moved


def _days_since(column, now):
    """Whole days from `column` to `now`, in SQL (never negative)."""
    if db.session.get_bind().dialect.name == "sqlite":
        days = sa.cast(sa.func.julianday(sa.literal(now, sa.DateTime)) - sa.func.julianday(column), sa.Integer)
    else:
        days = sa.cast(sa.func.floor(sa.extract("epoch", sa.literal(now, sa.DateTime) - column) / 86400), sa.Integer)
    return sa.case((days < 0, 0), else_=days)


def move_deals(stage: Stage, target: Stage, *, actor: User | None) -> int:
    """Move every opportunity at `stage` (the recycle bin included) to `target`: stage,
    probability, when it entered the stage, and one history row each. Two statements, whatever
    the number of deals. :raises InvalidTarget:"""
    if target.id == stage.id or target.pipeline_id != stage.pipeline_id or _kind(target) != _kind(stage):
        raise InvalidTarget()
    db.session.flush()
    now = utcnow()
    at_stage = Opportunity.stage_id == stage.id
    probability = sa.literal(target.probability, sa.Integer)
    if not target.is_closed:
        probability = sa.case((Opportunity.probability_overridden.is_(True), Opportunity.probability),
                              else_=probability)
    history = sa.select(
        Opportunity.id, sa.literal(stage.id), sa.literal(target.id), sa.literal(stage.name), sa.literal(target.name),
        Opportunity.amount, probability, Opportunity.close_date, _days_since(Opportunity.stage_entered_at, now),
        sa.literal(actor.id if actor else None, sa.Integer), sa.literal(now, sa.DateTime),
    ).where(at_stage)
    db.session.execute(sa.insert(OpportunityStageHistory).from_select(
        ["opportunity_id", "from_stage_id", "to_stage_id", "from_stage", "to_stage", "amount", "probability",
         "close_date", "days_in_previous", "changed_by_id", "changed_at"], history))
    from crm.audit import record_bulk_change  # here: crm.audit imports the models, as this module does

    record_bulk_change(Opportunity, sa.select(Opportunity.id).where(at_stage), "stage", old_id=stage.id,
                       new_id=target.id, old_value=stage.name, new_value=target.name, actor=actor)
    values = {"stage_id": target.id, "probability": probability, "stage_entered_at": now, "updated_at": now}
    if target.is_closed:
        values["probability_overridden"] = False
    if actor is not None:
        values["updated_by_id"] = actor.id
    result = db.session.execute(sa.update(Opportunity).where(at_stage).values(values)
                                .execution_options(synchronize_session="fetch"))
    return result.rowcount


def _forget_stages_in_history(stage_ids) -> None:
    # The history keeps the stage names; its links to a deleted stage are cleared here rather
    # than left to ON DELETE SET NULL, so that it holds whatever the database enforces.
    for column in (OpportunityStageHistory.from_stage_id, OpportunityStageHistory.to_stage_id):
        db.session.execute(sa.update(OpportunityStageHistory).where(column.in_(stage_ids))
                           .values({column: None}).execution_options(synchronize_session=False))


def check_deletable(stage: Stage) -> None:
    """:raises StageKindNeeded: when it is its pipeline's last open, won or lost stage."""
    _check_usable(stage.pipeline, stage, None)


def delete_stage(stage: Stage, *, move_to: Stage | None = None, actor: User | None = None) -> int:
    """Delete a stage; its deals (if any) first move to `move_to`. Return how many moved.

    :raises StageKindNeeded: :raises StageInUse: deals are at it and no `move_to` was given.
    :raises InvalidTarget:
    """
    pipeline = stage.pipeline
    _check_usable(pipeline, stage, None)
    count = opportunities_at(stage)
    moved = 0
    if count:
        if move_to is None:
            raise StageInUse(count)
        moved = move_deals(stage, move_to, actor=actor)
    _forget_stages_in_history([stage.id])
    db.session.delete(stage)
    db.session.flush()
    _renumber(stages(pipeline))
    db.session.flush()
    db.session.expire(pipeline, ["stages"])
    return moved
