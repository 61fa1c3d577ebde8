"""The data protection officer's endpoints every service gets.

The `dpo` role reads the access log (`GET /api/v1/privacy/access-log`) and, where the service declares
`export_household`, the household's data (`GET /api/v1/privacy/households/{id}/export`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import inspect, select

from servicekit.db.tables import access_log
from servicekit.privacy.access import log_rows, record_access
from servicekit.privacy.classification import LABELS_DE, Category
from servicekit.web.pagination import page_of_rows
from servicekit.web.security import requires, uow


def jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def export_rows(rows: Iterable[Any]) -> list[dict[str, Any]]:
    """Every column of each ORM object, decrypted and JSON-safe."""
    out = []
    for obj in rows:
        mapper = inspect(obj).mapper
        out.append({attr.key: jsonable(getattr(obj, attr.key)) for attr in mapper.column_attrs})
    return out


def field_guide(metadata) -> dict[str, dict[str, str]]:
    """`table.column` → category and German label of every classified column."""
    guide = {}
    for table in metadata.sorted_tables:
        for column in table.columns:
            category = column.info.get("personal")
            if category:
                guide[f"{table.name}.{column.name}"] = {
                    "category": str(category),
                    "label": column.info.get("label") or column.name,
                    "category_label": LABELS_DE[Category(category)],
                }
    return guide


class AccessQuery(Schema):
    household_id = fields.String(validate=validate.Length(max=36))
    actor = fields.String(validate=validate.Length(max=120))
    since = fields.AwareDateTime()
    until = fields.AwareDateTime()


class AccessEntry(Schema):
    id = fields.Integer()
    at = fields.AwareDateTime()
    actor = fields.String()
    actor_role = fields.String()
    company_id = fields.String(allow_none=True)
    household_id = fields.String()
    purpose = fields.String()
    operation = fields.String()


class HouseholdExport(Schema):
    service = fields.String()
    household_id = fields.String()
    exported_at = fields.AwareDateTime()
    records = fields.Dict(keys=fields.String(), values=fields.List(fields.Dict()),
                          metadata={"description": "Every row the service holds about the household, by table."})
    fields_ = fields.Dict(data_key="fields", metadata={"description": "table.column → category and German label."})
    access_log = fields.List(fields.Nested(AccessEntry), metadata={"description": "Who read the household's data here."})


def register_api(api, service) -> None:
    blp = Blueprint("privacy", "privacy", url_prefix="/api/v1/privacy",
                    description="For the data protection officer: access log and a household's data.")

    @blp.route("/access-log")
    class AccessLog(MethodView):
        @requires("dpo")
        @blp.arguments(AccessQuery, location="query")
        @blp.response(200, AccessEntry(many=True))
        @blp.paginate()
        def get(self, query, pagination_parameters):
            """Reads of households' personal data, newest first."""
            stmt = select(access_log).order_by(access_log.c.at.desc(), access_log.c.id.desc())
            for key, column in (("household_id", access_log.c.household_id), ("actor", access_log.c.actor)):
                if key in query:
                    stmt = stmt.where(column == query[key])
            if "since" in query:
                stmt = stmt.where(access_log.c.at >= query["since"])
            if "until" in query:
                stmt = stmt.where(access_log.c.at < query["until"])
            with uow() as unit:
                return page_of_rows(unit.session, stmt, pagination_parameters)

    if service.export_household is not None:

        @blp.route("/households/<household_id>/export")
        class Export(MethodView):
            @requires("dpo")
            @blp.response(200, HouseholdExport)
            def get(self, household_id):
                """Everything this service holds about one household (Art. 15 GDPR), with its access log."""
                record_access([household_id], "data_subject_access")
                kit = current_app.extensions["servicekit"]
                with uow() as unit:
                    tables = service.export_household(unit.session, household_id)
                    records = {name: export_rows(rows) for name, rows in tables.items()}
                    reads = unit.session.execute(
                        select(access_log).where(access_log.c.household_id == household_id).order_by(access_log.c.at)
                    ).all()
                return {
                    "service": service.name,
                    "household_id": household_id,
                    "exported_at": kit.clock.now(),
                    "records": records,
                    "fields_": field_guide(service.metadata) if service.metadata is not None else {},
                    # this export is a read too, logged as it is answered
                    "access_log": [row._asdict() for row in reads]
                    + log_rows({household_id: "data_subject_access"}),
                }

    api.register_blueprint(blp)

