"""Helpers of the quote tests."""

import re

import sqlalchemy as sa

from crm.extensions import db
from crm.models import Opportunity, Stage, User
from crm.models.sales import Quote
from crm.sales import documents
from tests.conftest import csrf_token

HX = {"HX-Request": "true"}


def new_quote(app, opportunity_id: int, user_id: int, *, present: bool = False) -> int:
    with app.app_context():
        user = db.session.get(User, user_id)
        quote = documents.create_quote(db.session.get(Opportunity, opportunity_id), actor=user)
        if present:
            documents.present_quote(quote)
        db.session.commit()
        return quote.id


def reload(app, quote_id: int) -> Quote:
    with app.app_context():
        quote = db.session.get(Quote, quote_id)
        quote.lines  # noqa: B018 (load them before detaching)
        db.session.expunge_all()
        return quote


def lose(app, opportunity_id: int) -> None:
    """Put the opportunity in the pipeline's lost stage (as if closed lost on its path)."""
    with app.app_context():
        lost = db.session.scalar(sa.select(Stage).where(Stage.pipeline_id == 1, Stage.is_closed,
                                                        ~Stage.is_won).limit(1))
        opportunity = db.session.get(Opportunity, opportunity_id)
        opportunity.stage_id = lost.id
        db.session.commit()


def post(client, path: str, data: dict | None = None, headers: dict | None = None):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **(data or {})}, headers=headers or {})


def text(html: str) -> str:
    """The page's text, tags stripped, non-breaking spaces made plain."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("\u00a0", " ").replace("\u202f", " ")
