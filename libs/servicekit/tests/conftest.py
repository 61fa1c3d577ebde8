"""A tiny service built only for the kit's own tests (the one place where create_all is allowed)."""

from __future__ import annotations

import uuid

import pytest
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import Column, MetaData, String, Table, insert, select

from servicekit import Service
from servicekit.db import Database, kit_metadata
from servicekit.errors import NotFound
from servicekit.web import current_principal, requires, uow

pytest_plugins = ["servicekit.testing.plugin"]

test_metadata = MetaData()
notes = Table(
    "notes",
    test_metadata,
    Column("id", String(36), primary_key=True),
    Column("company_id", String(36), nullable=False),
    Column("text", String(200), nullable=False),
)

FIXED = {"flaky": False}


class NoteIn(Schema):
    company_id = fields.String(required=True)
    text = fields.String(required=True)


class NoteOut(Schema):
    id = fields.String()
    company_id = fields.String()
    text = fields.String()


blp = Blueprint("notes", __name__, url_prefix="/api/v1/notes")


@blp.route("")
class Notes(MethodView):
    @requires("staff")
    @blp.arguments(NoteIn)
    @blp.response(201, NoteOut)
    def post(self, data):
        with uow() as unit:
            note = {"id": str(uuid.uuid4()), **data}
            unit.session.execute(insert(notes).values(**note))
            unit.publish("kit.note.added", note)
            unit.commit()
            return note


@blp.route("/<uuid:note_id>")
class NoteById(MethodView):
    @requires("staff", "company")
    @blp.response(200, NoteOut)
    def get(self, note_id):
        principal = current_principal()
        with uow() as unit:
            row = unit.session.execute(select(notes).where(notes.c.id == str(note_id))).mappings().first()
            if row is None or (principal.is_company and row["company_id"] != principal.company_id):
                raise NotFound("No note with this id.")
            return dict(row)


def _note_added(unit, event):
    unit.session.execute(insert(notes).values(id=event.data["id"], company_id=event.data["company_id"],
                                              text=event.data["text"]))


def _flaky(unit, event):
    if not FIXED["flaky"]:
        raise RuntimeError("handler bug")
    unit.session.execute(insert(notes).values(id=event.data["id"], company_id="x", text="fixed"))


kit_service = Service(
    name="kittest",
    package="servicekit",
    title="kit test",
    web_port=18999,
    worker_metrics_port=19999,
    register_api=lambda api: api.register_blueprint(blp),
    handlers={"kit.note.copied": _note_added, "kit.flaky.happened": _flaky},
)


@pytest.fixture(scope="session")
def service():
    return kit_service


@pytest.fixture(scope="session")
def db(settings):
    database = Database(settings.database_url)
    kit_metadata.create_all(database.engine)
    test_metadata.create_all(database.engine)
    yield database
    database.dispose()


def note_count(db, **where) -> int:
    with db.session() as s:
        stmt = select(notes)
        for key, value in where.items():
            stmt = stmt.where(notes.c[key] == value)
        return len(s.execute(stmt).all())
