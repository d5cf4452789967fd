"""Null nested objects as objects of nulls, so a flattened record has only the columns its schema declares.

The SDK's flattening turns `{"supervisor": {"id": 2}}` into `supervisor__id`, but keeps a null `supervisor`
as a `supervisor` key the flattened schema does not have (a loader then rejects the record, or adds a
stray column). Before flattening, the tap replaces such a null with `{"id": None, ...}`, one level per
flattening level, so the CEO's record carries null `supervisor__*` columns like everyone else's. A key
that is absent (an attribute the credential may not read) stays absent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _object_properties(schema: Mapping[str, Any]) -> Mapping[str, Any] | None:
    kind = schema.get("type")
    is_object = kind == "object" or (isinstance(kind, list) and "object" in kind)
    properties = schema.get("properties")
    return properties if is_object and isinstance(properties, Mapping) and properties else None


def _nulls(properties: Mapping[str, Any], levels: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, schema in properties.items():
        inner = _object_properties(schema) if levels > 1 else None
        out[name] = _nulls(inner, levels - 1) if inner is not None else None
    return out


def expand(record: dict[str, Any], properties: Mapping[str, Any], levels: int) -> dict[str, Any]:
    """Replace, in place, null objects that flattening will split into columns (down to `levels` deep)."""
    if levels < 1:
        return record
    for name, value in record.items():
        schema = properties.get(name)
        inner = _object_properties(schema) if isinstance(schema, Mapping) else None
        if inner is None:
            continue
        if value is None:
            record[name] = _nulls(inner, levels)
        elif isinstance(value, dict) and levels > 1:
            expand(value, inner, levels - 1)
    return record
