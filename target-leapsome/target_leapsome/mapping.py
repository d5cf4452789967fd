"""Which Personio field fills which Leapsome user field: the `attribute_mapping` setting, parsed and applied.

The default mapping is what the sync always did (names, position -> title, office -> location, hire and
termination dates). The setting adds destinations (level, gender, birthday, employment type, division,
cost center, additional managers, Leapsome custom attributes by their attribute id) or gives a built-in
one another source. A source is a path into the `employees` record (`employment_type`, `office.name`,
`cost_centers.0.name`, `custom_attributes.dynamic_123`) or a Personio custom attribute by key or label
(`custom:dynamic_123`, `custom:Shirt size`). A value table translates values ("Senior" -> "L3").

Pure: no I/O. An absent source (Personio did not return the attribute) is "unknown" and leaves Leapsome's
value alone; a present one that is empty clears it: Personio wins, as for the built-in fields.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

CUSTOM_ID = re.compile(r"[0-9a-f]{24}")  # a Leapsome custom attribute id
# built-in destinations the setting may give another source: SCIM name -> the planner's field
BUILT_IN = {"title": "title", "location": "location", "startDate": "start_date", "endDate": "end_date"}
ENTERPRISE_TEXT = ("level", "gender", "birthday", "employmentType", "division", "costCenter")
ADDITIONAL_MANAGERS = "additionalManagers"
# the fields of tap-personio's `employees` stream a source may start with
EMPLOYEE_STREAM_FIELDS = frozenset(
    {"id", "email", "first_name", "last_name", "preferred_name", "gender", "position", "employment_type",
     "weekly_working_hours", "status", "hire_date", "contract_end_date", "termination_date", "last_working_day",
     "probation_period_end", "termination_type", "termination_reason", "created_at", "last_modified_at",
     "department", "office", "team", "subcompany", "supervisor", "cost_centers", "custom_attributes",
     "profile_picture"}
)  # fmt: skip
CUSTOM_PREFIX = "custom:"
Value = str | tuple[str, ...] | None


@dataclass(frozen=True)
class FieldMap:
    """One destination and where its value comes from."""

    destination: str
    source: str
    values: Mapping[str, str] = field(default_factory=dict)  # Personio value -> Leapsome value

    @property
    def record_key(self) -> str:
        """The top-level `employees` field the source reads (what the credential must be allowed to read)."""
        return "custom_attributes" if self.source.startswith(CUSTOM_PREFIX) else self.source.split(".", 1)[0]

    def translate(self, value: Value) -> Value:
        if isinstance(value, tuple):
            return tuple(self.values.get(item, item) for item in value)
        return self.values.get(value, value) if value is not None else None


@dataclass(frozen=True)
class AttributeMapping:
    """The parsed setting; empty by default, which is the sync's built-in behaviour."""

    fields: tuple[FieldMap, ...] = ()

    @property
    def record_keys(self) -> frozenset[str]:
        return frozenset(f.record_key for f in self.fields)

    @property
    def extra(self) -> tuple[FieldMap, ...]:
        """The destinations beyond the built-in ones."""
        return tuple(f for f in self.fields if f.destination not in BUILT_IN)

    def override(self, destination: str) -> FieldMap | None:
        return next((f for f in self.fields if f.destination == destination), None)


def parse_mapping(raw: Any) -> AttributeMapping:
    """The setting's value, checked; raises ValueError naming the entry that is wrong."""
    if raw is None:
        return AttributeMapping()
    if not isinstance(raw, Mapping):
        raise ValueError("must be an object of Leapsome field -> Personio source")
    fields = []
    for destination, spec in raw.items():
        entry = spec if isinstance(spec, Mapping) else {"source": spec}
        source, values = entry.get("source"), entry.get("values") or {}
        if not is_destination(str(destination)):
            known = ", ".join([*BUILT_IN, *ENTERPRISE_TEXT, ADDITIONAL_MANAGERS, "<Leapsome custom attribute id>"])
            raise ValueError(f"{destination!r} is not a Leapsome user field the sync can write (known: {known})")
        if not isinstance(source, str) or not is_source(source):
            raise ValueError(
                f"{destination}: source {source!r} is not a field of the employees stream (e.g. 'employment_type', "
                "'office.name', 'custom:dynamic_123' or 'custom:<attribute label>')"
            )
        if not isinstance(values, Mapping) or not all(isinstance(v, str) for v in values.values()):
            raise ValueError(f"{destination}: values must map Personio values to Leapsome text values")
        unknown = set(entry) - {"source", "values"}
        if unknown:
            raise ValueError(f"{destination}: unknown keys {sorted(unknown)} (known: source, values)")
        fields.append(FieldMap(str(destination), source, {str(k): v for k, v in values.items()}))
    return AttributeMapping(tuple(fields))


def is_destination(name: str) -> bool:
    return name in BUILT_IN or name in ENTERPRISE_TEXT or name == ADDITIONAL_MANAGERS or bool(CUSTOM_ID.fullmatch(name))


def is_source(source: str) -> bool:
    if source.startswith(CUSTOM_PREFIX):
        return bool(source[len(CUSTOM_PREFIX) :].strip())
    return source.split(".", 1)[0] in EMPLOYEE_STREAM_FIELDS


def resolve(record: Mapping[str, Any], source: str, labels: Mapping[str, str]) -> tuple[bool, Any]:
    """(present, value) of a source in one record; absent means Personio did not say (leave Leapsome alone).

    `labels` maps custom attribute labels to their keys (from the `employee_attributes` stream), for
    `custom:<label>` against the keyed object shape.
    """
    if source.startswith(CUSTOM_PREFIX):
        return _custom(record.get("custom_attributes"), source[len(CUSTOM_PREFIX) :].strip(), labels)
    first, _, rest = source.partition(".")
    if first not in record:
        return False, None
    if first == "custom_attributes" and rest:
        return _custom(record[first], rest, labels)
    node: Any = record[first]
    for part in rest.split(".") if rest else []:
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list) and part.isdigit():
            node = node[int(part)] if int(part) < len(node) else None
        else:
            return True, None
    return True, node


def _custom(attributes: Any, wanted: str, labels: Mapping[str, str]) -> tuple[bool, Any]:
    if attributes is None:
        return False, None
    if isinstance(attributes, Mapping):  # {key: typed value}
        key = wanted if wanted in attributes else labels.get(wanted, wanted)
        return (True, attributes[key]) if key in attributes else (False, None)
    for item in attributes:  # [{key, label, value}]: values are text, lists as JSON text
        if isinstance(item, Mapping) and wanted in (item.get("key"), item.get("label")):
            return True, _decoded(item.get("value"))
    return False, None


def _decoded(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def as_text(value: Any) -> Value:
    """A Leapsome value: text for scalars (lists joined), None for empty."""
    if value is None or value in ("", []):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.date):
        return value.isoformat()[:10]
    if isinstance(value, Mapping):
        return as_text(value.get("name") if "name" in value else value.get("value"))
    if isinstance(value, list):
        return ", ".join(text for text in (as_text(v) for v in value) if isinstance(text, str)) or None
    return str(value).strip() or None


def as_ids(value: Any) -> tuple[str, ...]:
    """Personio employee ids from a list, an object with `id`, or text such as "12, 34"."""
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    ids: list[str] = []
    for item in items:
        found = item.get("id") if isinstance(item, Mapping) else item
        ids.extend(re.findall(r"\d+", str(found)) if found is not None else [])
    return tuple(dict.fromkeys(ids))
