"""Purpose-bound views: each role gets the fields its task needs and nothing more.

    HOUSEHOLD_VIEWS = Views(staff=ALL, caseworker=ALL, company={"id", "size", "needs"}, finance={"id"})
    return HOUSEHOLD_VIEWS.apply(schema.dump(household))

A caller with several roles gets the union of their fields; a role the view does not name gets
no fields beyond `always` (ids, so a client can still refer to the object).

A response schema about a household declares it once, and every object it hands to a person is
logged as a read of that household's data (servicekit.privacy.access):

    class CaseOut(PurposeBoundSchema):
        views = Views(caseworker=ALL, company={"id", "status"})
        household_key = "household_id"                   # the attribute naming the household
        household_fields = frozenset({"household_id", "notes"})  # what counts as its data (default: all)
"""

from __future__ import annotations

from typing import Any, ClassVar, Iterable

from flask import g, has_request_context
from marshmallow import Schema, post_dump

from servicekit.privacy.access import record_access

ALL = None


class Views:
    def __init__(self, *, always: Iterable[str] = ("id",), **by_role: Iterable[str] | None) -> None:
        self.always = frozenset(always)
        self.by_role = {role: (None if fields is ALL else frozenset(fields)) for role, fields in by_role.items()}

    def fields_for(self, roles: Iterable[str]) -> frozenset[str] | None:
        """The fields these roles may see; None means every field."""
        allowed = set(self.always)
        for role in roles:
            if role in self.by_role:
                if self.by_role[role] is None:
                    return None
                allowed |= self.by_role[role]
        return frozenset(allowed)

    def guaranteed(self, fields: Iterable[str]) -> frozenset[str]:
        """Of these fields, those that every role the view names receives (plus `always`). The
        views name the roles a schema's operations admit (`x-required-roles`); a role they do not
        name receives `always` only (tests/test_openapi_documents.py checks every operation)."""
        fields = frozenset(fields)
        guaranteed = set(fields) if self.by_role else set()
        for allowed in self.by_role.values():
            if allowed is not None:
                guaranteed &= allowed
        return frozenset(guaranteed | (self.always & fields))

    def apply(self, data: Any, roles: Iterable[str] | None = None) -> Any:
        """Project one dumped object or a list of them for the roles (default: the caller's)."""
        if roles is None:
            roles = g.principal.roles  # personal data is only reached through `requires`
        allowed = self.fields_for(roles)
        if allowed is None:
            return data
        if isinstance(data, list):
            return [{k: v for k, v in item.items() if k in allowed} for item in data]
        return {k: v for k, v in data.items() if k in allowed}


class PurposeBoundSchema(Schema):
    """A response schema that projects itself for the caller: set `views` on the subclass.
    The OpenAPI document still lists every field; each caller receives its role's subset."""

    views: ClassVar[Views | None] = None
    household_key: ClassVar[str | None] = None
    household_fields: ClassVar[frozenset[str] | None] = None
    purpose: ClassVar[str | None] = None

    @classmethod
    def hands_out_household_data(cls, roles: Iterable[str]) -> bool:
        """Whether these roles' projection carries any of the household's data."""
        allowed = cls.views.fields_for(roles) if cls.views is not None else None
        if allowed is None or cls.household_fields is None:
            return cls.household_key is not None
        return bool(allowed & cls.household_fields)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.views is None:
            return
        # Which fields a caller receives depends on its roles, so the document promises only those
        # every role the view names receives (found by schemathesis: answers to finance, admin and
        # companies left out fields the document called required). apispec lists a required field
        # unless the schema's `partial` names it.
        guaranteed = self.views.guaranteed(self.fields)
        self.partial = tuple(name for name in self.fields if name not in guaranteed)

    @post_dump(pass_original=True)
    def _purpose_bound(self, data: dict, original: Any, **kwargs) -> dict:
        if not has_request_context() or "principal" not in g:
            return data
        if self.views is not None:
            data = self.views.apply(data, g.principal.roles)
        if self.household_key is not None and (self.household_fields is None or data.keys() & self.household_fields):
            record_access([_value(original, self.household_key)], self.purpose)
        return data


def _value(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)
