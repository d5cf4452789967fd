"""Personio's attribute catalogue (`GET /v1/company/employees/attributes`) and what it decides for custom attributes.

A warehouse wants one typed column per custom attribute. Which attributes exist, what Personio calls them
and how their values are typed is per company (and per credential), so the tap asks this endpoint once per
run and derives from it, for each `dynamic_*` attribute: its column name under `custom_attributes`, its
JSON schema and the converter of its values. Pure functions: the request lives in the stream.

Column names are the attribute key (`dynamic_123456`, the default: never changes) or, with
`custom_attribute_columns: label`, a slug of the label (`language_skills`). Two labels with the same slug:
the attribute with the lower numeric id (the older one) keeps the slug, each later one gets
`<slug>_<key>` (`language_skills_dynamic_40113`), so a rename or a new attribute never moves an older column.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from singer_sdk import typing as th

CUSTOM_PREFIX = "dynamic_"
KEY_COLUMNS, LABEL_COLUMNS = "key", "label"
COLUMN_MODES = (KEY_COLUMNS, LABEL_COLUMNS)
SLUG_LENGTH = 40
"""Longest label slug: with the `custom_attributes__` prefix a flattened name stays within PostgreSQL's 63."""

Converter = Callable[[Any], Any]


class Unreadable(ValueError):
    """A non-empty value that cannot be read as the type Personio declares: kept out (null) with a warning."""


def _empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


def as_text(value: Any) -> str | None:
    """Text as sent; numbers without a spurious `.0`; a list joined with ", "; an object as JSON text."""
    if _empty(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value if not _empty(item)) or None
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return str(value)


def as_number(value: Any) -> float | None:
    """A number; Personio sends some as text (`"40"`, `"37,5"`)."""
    if _empty(value):
        return None
    if isinstance(value, bool):
        raise Unreadable(value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            pass
    raise Unreadable(value)


def as_integer(value: Any) -> int | None:
    """A whole number; an integral decimal or numeric text is accepted."""
    number = as_number(value)
    if number is None:
        return None
    if not number.is_integer():
        raise Unreadable(value)
    return int(number)


def as_date(value: Any) -> str | None:
    """The calendar date Personio shows (`YYYY-MM-DD`), never shifted to UTC."""
    if _empty(value):
        return None
    if isinstance(value, str) and len(value) >= 10 and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value[:10]):
        return value[:10]
    raise Unreadable(value)


_TRUE, _FALSE = {"true", "1", "yes", "y", "on"}, {"false", "0", "no", "n", "off"}


def as_boolean(value: Any) -> bool | None:
    """A yes/no value, as a boolean, from JSON booleans, 0/1 or their usual words."""
    if _empty(value):
        return None
    if isinstance(value, bool):
        return value
    word = str(int(value) if isinstance(value, float) and value.is_integer() else value).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise Unreadable(value)


def as_strings(value: Any) -> list[str] | None:
    """A multi-select (tags) value as a list of strings.

    Personio sends a list, a JSON-encoded list (`'["A","B"]'`) or, in older accounts, comma-separated text.
    """
    if _empty(value):
        return None
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("["):
            try:
                value = json.loads(stripped)
            except ValueError:
                raise Unreadable(value) from None
        else:
            value = [part.strip() for part in stripped.split(",")]
    if not isinstance(value, list):
        value = [value]
    items = [as_text(item) for item in value]
    return [item for item in items if item is not None] or None


@dataclass(frozen=True)
class ValueType:
    """How one Personio attribute type is declared in the schema and read from a row."""

    schema: th.JSONTypeHelper[Any]
    convert: Converter


TEXT = ValueType(th.StringType(), as_text)
VALUE_TYPES: Mapping[str, ValueType] = {
    "integer": ValueType(th.IntegerType(), as_integer),
    "decimal": ValueType(th.NumberType(), as_number),
    "date": ValueType(th.DateType(), as_date),
    "tags": ValueType(th.ArrayType(th.StringType()), as_strings),
    # Not in Personio's TypeEnum today; read as booleans should an account send them.
    "boolean": ValueType(th.BooleanType(), as_boolean),
    "checkbox": ValueType(th.BooleanType(), as_boolean),
}
"""Personio's `TypeEnum` (standard, date, integer, decimal, list, link, tags, multiline) to JSON types.

`list` is a single-choice dropdown (one option, as text); `tags` is the multi-select (an array of strings);
every type not listed (standard, multiline, link, list, anything new) is text."""


def value_type(personio_type: str | None) -> ValueType:
    """The value type for Personio's `type` of an attribute; unknown types are text."""
    return VALUE_TYPES.get((personio_type or "").strip().lower(), TEXT)


@dataclass(frozen=True)
class AttributeDefinition:
    """One entry of the attribute catalogue, plus the column the tap gives it (custom attributes only)."""

    key: str
    label: str | None
    type: str | None
    universal_id: str | None
    options: tuple[str, ...]
    column: str | None = None

    @property
    def custom(self) -> bool:
        """A company-defined `dynamic_*` attribute (the rest are Personio's standard ones)."""
        return self.key.startswith(CUSTOM_PREFIX)

    def record(self) -> dict[str, Any]:
        """The `employee_attributes` record."""
        return {
            "key": self.key,
            "label": self.label,
            "type": self.type,
            "universal_id": self.universal_id,
            "options": list(self.options),
            "custom": self.custom,
            "column_name": self.column,
        }


def parse_definitions(rows: Iterable[Any]) -> list[AttributeDefinition]:
    """Read the endpoint's `data` entries `{key, label, type, universal_id, options}`; skip ones without a key."""
    found: dict[str, AttributeDefinition] = {}
    for row in rows:
        if not isinstance(row, Mapping) or not isinstance(row.get("key"), str) or not row["key"]:
            continue
        options = row.get("options")
        found[row["key"]] = AttributeDefinition(
            key=row["key"],
            label=as_text(row.get("label")),
            type=as_text(row.get("type")),
            universal_id=as_text(row.get("universal_id")),
            options=tuple(t for t in (as_text(o) for o in options) if t) if isinstance(options, list) else (),
        )
    return list(found.values())


_TRANSLITERATE = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "þ": "th"})


def slug(label: str | None) -> str:
    """A label as a lower-case ASCII identifier (`Language Skills` -> `language_skills`), at most SLUG_LENGTH."""
    folded = unicodedata.normalize("NFKD", (label or "").lower().translate(_TRANSLITERATE))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")[:SLUG_LENGTH].rstrip("_")


def _key_order(key: str) -> tuple[int, int, str]:
    number = key.removeprefix(CUSTOM_PREFIX)
    return (0, int(number), key) if number.isdigit() else (1, 0, key)


def column_names(attributes: Iterable[tuple[str, str | None]], mode: str) -> dict[str, str]:
    """Column per custom attribute key, for `(key, label)` pairs; deterministic for the same catalogue.

    `key` mode: the key. `label` mode: the label's slug (the key when it has none); on a clash the attribute
    with the lower id keeps the slug and the others get `<slug>_<key>` (module docstring).
    """
    pairs = sorted(dict(attributes).items(), key=lambda pair: _key_order(pair[0]))
    if mode != LABEL_COLUMNS:
        return {key: key for key, _ in pairs}
    taken: set[str] = set()
    columns: dict[str, str] = {}
    for key, label in pairs:
        base = slug(label) or key
        candidates = [base, f"{base}_{key}", key]
        column = next((c for c in candidates if c not in taken), None)
        suffix = 2
        while column is None or column in taken:
            column, suffix = f"{key}_{suffix}", suffix + 1
        taken.add(column)
        columns[key] = column
    return columns


def with_columns(definitions: Sequence[AttributeDefinition], mode: str) -> list[AttributeDefinition]:
    """The definitions with `column` set on every custom attribute."""
    columns = column_names(((d.key, d.label) for d in definitions if d.custom), mode)
    return [
        AttributeDefinition(d.key, d.label, d.type, d.universal_id, d.options, columns.get(d.key)) for d in definitions
    ]


def custom_attributes_schema(definitions: Sequence[AttributeDefinition] | None) -> th.ObjectType:
    """`custom_attributes`: one typed, nullable property per custom attribute, or an open object when unknown."""
    if definitions is None:
        return th.ObjectType(additional_properties=True)
    properties = [
        th.Property(
            d.column,
            value_type(d.type).schema,
            title=d.label,
            description=f"{d.label or d.key} (Personio `{d.key}`, type {d.type or 'unknown'})",
        )
        for d in sorted((d for d in definitions if d.custom and d.column), key=lambda d: _key_order(d.key))
        if d.column is not None
    ]
    return th.ObjectType(*properties, additional_properties=False)


@dataclass(frozen=True)
class CustomColumn:
    """What the record builder needs for one custom attribute: where it goes and how its value is read."""

    key: str
    column: str
    convert: Converter


class CustomColumns:
    """Column and converter per custom attribute key, from the catalogue or, without one, from each row.

    Without a catalogue every row's own `{label, type}` wrappers decide; a credential sees the same
    attributes on every row, so the columns come out the same for all of them.
    """

    def __init__(self, definitions: Sequence[AttributeDefinition] | None, mode: str) -> None:
        self.mode = mode
        self.known: tuple[CustomColumn, ...] | None = None
        if definitions is not None:
            self.known = tuple(
                CustomColumn(d.key, d.column, value_type(d.type).convert)
                for d in sorted(definitions, key=lambda d: _key_order(d.key))
                if d.custom and d.column is not None
            )
        self._by_row: dict[tuple[tuple[str, str | None, str | None], ...], tuple[CustomColumn, ...]] = {}

    def for_row(self, attributes: Mapping[str, Any]) -> tuple[CustomColumn, ...]:
        """The custom columns to read from one row's attributes."""
        if self.known is not None:
            return self.known
        found = tuple(
            (key, as_text(wrapper.get("label")), as_text(wrapper.get("type")))
            for key, wrapper in attributes.items()
            if key.startswith(CUSTOM_PREFIX) and isinstance(wrapper, Mapping)
        )
        cached = self._by_row.get(found)
        if cached is None:
            names = column_names(((key, label) for key, label, _ in found), self.mode)
            cached = tuple(
                CustomColumn(key, names[key], value_type(kind).convert)
                for key, _, kind in sorted(found, key=lambda entry: _key_order(entry[0]))
            )
            self._by_row[found] = cached
        return cached
