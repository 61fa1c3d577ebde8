"""Paginated lists with flask-smorest's `@blp.paginate()`: total in the X-Pagination header."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session


def _window(session: Session, stmt: Select, pagination_parameters) -> Select:
    pagination_parameters.item_count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    page, size = pagination_parameters.page, pagination_parameters.page_size
    return stmt.limit(size).offset((page - 1) * size)


def page_of(session: Session, stmt: Select, pagination_parameters) -> list:
    """One page of `stmt`'s rows (ORM entities), setting the item count flask-smorest reports."""
    return list(session.scalars(_window(session, stmt, pagination_parameters)))


def page_of_rows(session: Session, stmt: Select, pagination_parameters) -> list[dict]:
    """One page of a Core select, as dicts."""
    return [row._asdict() for row in session.execute(_window(session, stmt, pagination_parameters))]
