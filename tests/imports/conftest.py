"""Helpers for the import tests: files built in memory, an import started and run the way a worker runs it."""

import io

import pytest

from crm.extensions import db
from crm.imports import jobs, services


def csv_bytes(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def xlsx_bytes(rows: list[list]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def start(content: bytes, actor=None, name: str = "leads.csv", mapping=None, **options):
    """Upload and start an import (committed, state queued); options as services.start_import takes them."""
    imp = services.create_import(content, name, actor=actor)
    opts = {"duplicates": "skip", "owner_id": actor.id if actor else None, "use_rules": actor is None} | options
    services.start_import(imp, mapping=mapping or imp.mapping, options=opts, actor=actor)
    db.session.commit()
    return imp


def run(imp, **kwargs):
    """Run the job synchronously, as a worker would (claim, then the chunks)."""
    done = jobs.work(imp.id, **kwargs)
    assert done is not None, "the job was not claimed"
    return done


@pytest.fixture
def importer(app_ctx):
    from tests.factories import make_user

    return make_user(email="importer@example.com", name="Ines Importer")
