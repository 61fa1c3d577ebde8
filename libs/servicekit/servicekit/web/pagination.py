"""Paginated lists with flask-smorest's `@blp.paginate()`: total in the X-Pagination header, and
the neighbouring pages as RFC 8288 links (`Link: <…?page=2>; rel="next"`) that clients follow
without reading the JSON."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from flask import Flask, Response, request
from flask_smorest.pagination import PaginationMetadataSchema
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


# Past this a page number can only mean "after the end"; the bound keeps it inside the database's
# 64-bit OFFSET (a 500 the fuzzer found with page=10^26).
_MAX_OFFSET = 2**31
_TOTAL = "_page_total"


def _page(session: Session, stmt: Select, pagination_parameters, *, entities: bool) -> list:
    """One page and the total in one round trip: the total rides along as `count(*) OVER ()`.

    Only a page with no rows cannot carry it (past the end, or nothing matches); then a second
    query counts. DISTINCT is evaluated after window functions, so such queries count first."""
    page, size = pagination_parameters.page, pagination_parameters.page_size
    offset = min((page - 1) * size, _MAX_OFFSET)
    if stmt._distinct:
        pagination_parameters.item_count = total = _count(session, stmt)
        rows = session.execute(stmt.limit(size).offset(min(offset, total))).all()
        return [row[0] if entities else row._asdict() for row in rows]
    rows = session.execute(stmt.add_columns(func.count().over().label(_TOTAL)).limit(size).offset(offset)).all()
    pagination_parameters.item_count = rows[0][-1] if rows else _count(session, stmt)
    if entities:
        return [row[0] for row in rows]
    return [{k: v for k, v in row._asdict().items() if k != _TOTAL} for row in rows]


def _count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def page_of(session: Session, stmt: Select, pagination_parameters) -> list:
    """One page of `stmt`'s rows (ORM entities), setting the item count flask-smorest reports."""
    return _page(session, stmt, pagination_parameters, entities=True)


def page_of_rows(session: Session, stmt: Select, pagination_parameters) -> list[dict]:
    """One page of a Core select, as dicts."""
    return _page(session, stmt, pagination_parameters, entities=False)


def register_header(spec) -> None:
    """Document X-Pagination as what it is, a JSON object. flask-smorest documents it with `schema`,
    which in OpenAPI means the `simple` style (`total,3,page,1`), so every client and contract test
    that reads the document misreads the header."""
    if "PaginationMetadata" not in spec.components.schemas:
        spec.components.schema("PaginationMetadata", schema=PaginationMetadataSchema)
    spec.components.header("PAGINATION", {
        "description": "Pagination metadata, a JSON object",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PaginationMetadata"}}},
    }, lazy=True)


LINK_HEADER = {"description": "RFC 8288 links to the first, previous, next and last page",
               "schema": {"type": "string"}}


def install(app: Flask) -> None:
    @app.after_request
    def _links(response: Response) -> Response:
        metadata = response.headers.get("X-Pagination")
        if metadata:
            response.headers["Link"] = links(json.loads(metadata))
        return response


def links(metadata: dict) -> str:
    """`<url>; rel="…"` for each page X-Pagination names, on this request's URL and filters."""
    query = request.args.to_dict(flat=False)
    size = metadata.get("page_size") or request.args.get("page_size")
    found = []
    for rel, key in (("first", "first_page"), ("prev", "previous_page"), ("next", "next_page"), ("last", "last_page")):
        if metadata.get(key):
            params = {**query, "page": [str(metadata[key])], **({"page_size": [str(size)]} if size else {})}
            found.append(f'<{request.base_url}?{urlencode(params, doseq=True)}>; rel="{rel}"')
    return ", ".join(found)
