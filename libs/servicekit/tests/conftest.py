"""A tiny service built only for the kit's own tests (the one place where create_all is allowed)."""

from __future__ import annotations

import uuid

import pytest
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from servicekit import Service
from servicekit.bus.consumer import NotYet
from servicekit.db import Database, kit_metadata
from servicekit.errors import NotFound
from servicekit.privacy import CONTACT, FREE_TEXT, IDENTIFYING, SOCIAL, EncryptedText, Processing, personal
from servicekit.privacy.views import ALL, PurposeBoundSchema, Views
from servicekit.web import current_principal, ensure_visible, requires, uow

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


class PrivacyBase(DeclarativeBase):
    pass


class Person(PrivacyBase):
    """A household-like record with one field of each category."""

    __tablename__ = "people"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    household_id: Mapped[str] = mapped_column(String(36))
    company_id: Mapped[str] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(200), info=personal(IDENTIFYING, label="Name"))
    email: Mapped[str | None] = mapped_column(String(254), info=personal(CONTACT, label="E-Mail"))
    size: Mapped[int] = mapped_column(Integer, info=personal(SOCIAL, keep=True, label="Haushaltsgröße"))
    note: Mapped[str | None] = mapped_column(EncryptedText, info=personal(FREE_TEXT, label="Notiz"))


class PersonOut(PurposeBoundSchema):
    views = Views(staff=ALL, company={"household_id", "size"})
    household_key = "household_id"
    id = fields.String(required=True)
    household_id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True, allow_none=True)
    size = fields.Integer(required=True)
    note = fields.String(allow_none=True)


class PersonIn(Schema):
    household_id = fields.String(required=True)
    company_id = fields.String(required=True)
    name = fields.String(required=True)
    size = fields.Integer(required=True)


people = Blueprint("people", __name__, url_prefix="/api/v1/people")


@people.route("")
class People(MethodView):
    @requires("staff")
    @people.arguments(PersonIn)
    @people.response(201, PersonOut)
    def post(self, data):
        """A write that answers with the household's data, as signing a contract does."""
        with uow() as unit:
            person = Person(id=str(uuid.uuid4()), **data)
            unit.session.add(person)
            unit.audit("person", person.id, "created")
            unit.commit()
            return person


@people.route("/<person_id>")
class PersonById(MethodView):
    @requires("staff", "company")
    @people.response(200, PersonOut)
    def get(self, person_id):
        with uow() as unit:
            return ensure_visible(unit.session.get(Person, person_id), what="person")


def _register(api):
    api.register_blueprint(blp)
    api.register_blueprint(people)


def _export(session, household_id):
    return {"people": session.scalars(select(Person).where(Person.household_id == household_id)).all()}


def _note_added(unit, event):
    unit.session.execute(insert(notes).values(id=event.data["id"], company_id=event.data["company_id"],
                                              text=event.data["text"]))


def _reply(unit, event):
    """About a note another event brings: too early until that note is here."""
    if not unit.session.execute(select(notes.c.id).where(notes.c.id == event.data["note_id"])).first():
        raise NotYet("the note this reply is about is not here yet")
    unit.session.execute(insert(notes).values(id=event.data["id"], company_id="c", text="reply"))


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
    register_api=_register,
    metadata=PrivacyBase.metadata,
    export_household=_export,
    processing=Processing(purpose="Test", legal_basis="§ 67a SGB X", data_subjects="Haushalte",
                          retention=("3 Jahre nach Abschluss",)),
    handlers={"kit.note.copied": _note_added, "kit.flaky.happened": _flaky, "kit.reply.happened": _reply},
)


@pytest.fixture(scope="session")
def service():
    return kit_service


@pytest.fixture(scope="session")
def db(settings):
    database = Database(settings.database_url)
    kit_metadata.create_all(database.engine)
    test_metadata.create_all(database.engine)
    PrivacyBase.metadata.create_all(database.engine)
    yield database
    database.dispose()


def note_count(db, **where) -> int:
    with db.session() as s:
        stmt = select(notes)
        for key, value in where.items():
            stmt = stmt.where(notes.c[key] == value)
        return len(s.execute(stmt).all())
