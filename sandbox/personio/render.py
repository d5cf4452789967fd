"""Turn stored employees into what Personio v1 sends (wrapped attributes) and into plain admin dumps."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sandbox.core import JSON
from sandbox.personio import attributes as catalog
from sandbox.personio.clock import render_date, render_instant, utc_text
from sandbox.personio.org import Employee, Org


def _wrap(definition: catalog.AttributeDef, value: Any) -> JSON:
    return {
        "label": definition.label,
        "value": value,
        "type": definition.type,
        "universal_id": definition.universal_id,
    }


def _relation_names(org: Org, relation_type: str) -> dict[int, str]:
    if relation_type == "Department":
        return {d.id: d.name for d in org.departments.values()}
    return {"Office": org.offices, "Team": org.teams, "Subcompany": org.subcompanies}[relation_type]


def _short_employee(person: Employee) -> JSON:
    keys = ("id", "first_name", "last_name", "email")
    return {
        "type": "Employee",
        "attributes": {
            key: _wrap(catalog.BY_KEY[key], person.id if key == "id" else person.values.get(key)) for key in keys
        },
    }


def attribute_value(org: Org, people: dict[int, Employee], person: Employee, key: str) -> Any:
    """The `value` of one attribute; empty relations are null (see the package docstring)."""
    definition = catalog.BY_KEY[key]
    if key == "id":
        return person.id
    if key == "created_at":
        return render_instant(person.created_at)
    if key == "last_modified_at":
        return render_instant(person.last_modified_at)
    if definition.kind == catalog.PICTURE:
        return catalog.profile_picture_url(person.id)
    raw = person.values.get(key)
    if raw is None:
        return None
    if definition.kind == catalog.DATE:
        return render_date(raw)
    if definition.kind == catalog.RELATION:
        name = _lookup_name(org, definition.relation_type, raw)
        return {"type": definition.relation_type, "attributes": {"id": raw, "name": name}}
    if definition.kind == catalog.SUPERVISOR:
        boss = people.get(raw)
        return _short_employee(boss) if boss else None
    if definition.kind == catalog.COST_CENTERS:
        return [
            {
                "type": "CostCenter",
                "attributes": {"id": c["id"], "name": org.cost_centers.get(c["id"]), "percentage": c["percentage"]},
            }
            for c in raw
        ]
    return raw


def _lookup_name(org: Org, relation_type: str, ident: int) -> str | None:
    if relation_type == "Department":
        department = org.departments.get(ident)
        return department.name if department else None
    return _relation_names(org, relation_type).get(ident)


def wrapped_attributes(org: Org, people: dict[int, Employee], person: Employee, hidden: set[str]) -> JSON:
    """All visible attributes of one employee in v1's `{label, value, type, universal_id}` form."""
    return {
        d.key: _wrap(d, attribute_value(org, people, person, d.key))
        for d in catalog.ALL
        if d.key not in hidden or d.key == "id"
    }


def plain(org: Org, people: dict[int, Employee], person: Employee) -> JSON:
    """An unwrapped employee, shaped like the Singer `employees` record (for tests and the demo)."""
    out: JSON = {"id": person.id}
    for definition in catalog.STANDARD:
        key = definition.key
        if key == "id":
            continue
        raw = person.values.get(key)
        if key in ("created_at", "last_modified_at"):
            out[key] = utc_text(person.created_at if key == "created_at" else person.last_modified_at)
        elif definition.kind == catalog.PICTURE:
            out[key] = catalog.profile_picture_url(person.id)
        elif raw is None:
            out[key] = None
        elif definition.kind == catalog.DATE:
            out[key] = raw.isoformat() if isinstance(raw, date | datetime) else raw
        elif definition.kind == catalog.RELATION:
            out[key] = {"id": raw, "name": _lookup_name(org, definition.relation_type, raw)}
        elif definition.kind == catalog.SUPERVISOR:
            boss = people.get(raw)
            out[key] = (
                {
                    "id": boss.id,
                    "email": boss.values.get("email"),
                    "first_name": boss.values.get("first_name"),
                    "last_name": boss.values.get("last_name"),
                }
                if boss
                else None
            )
        elif definition.kind == catalog.COST_CENTERS:
            out[key] = [
                {"id": c["id"], "name": org.cost_centers.get(c["id"]), "percentage": c["percentage"]} for c in raw
            ]
        else:
            out[key] = raw
    out["custom_attributes"] = {d.key: _plain_value(person.values.get(d.key)) for d in catalog.CUSTOM}
    return out


def _plain_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
