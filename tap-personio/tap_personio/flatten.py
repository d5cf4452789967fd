"""Unwrap Personio v1 employee rows (`{label, value, type, universal_id}` per attribute) into records.

Pure functions of one row: no I/O, no configuration beyond the company zone and the custom attribute
columns (`attributes.CustomColumns`). An attribute that Personio did not return (not whitelisted for the
credentials) is absent from the record (unknown), while one it returned empty is null (none), so a revoked
permission never reads as "empty". Personio's loose types are tolerated: empty objects as `""` or `[]`,
numbers as strings, dates with time and offset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tap_personio.attributes import CustomColumns, Unreadable, as_number

Record = dict[str, Any]

TEXT_FIELDS = (
    "email",
    "first_name",
    "last_name",
    "preferred_name",
    "gender",
    "position",
    "employment_type",
    "status",
    "profile_picture",
    "termination_type",
    "termination_reason",
)
DATE_FIELDS = ("hire_date", "contract_end_date", "termination_date", "last_working_day", "probation_period_end")
TIMESTAMP_FIELDS = ("created_at", "last_modified_at")
UNIT_FIELDS = ("department", "office", "team", "subcompany")
NUMBER_FIELDS = ("weekly_working_hours",)
KEY_COLUMNS = CustomColumns(None, "key")
"""Columns from each row's own attributes, by key: for callers without the attribute catalogue."""

Warn = Callable[[int, str, Any], None]
"""Told about a value that cannot be read as its type: (employee id, attribute key, value)."""


def _ignore(employee_id: int, key: str, value: Any) -> None:
    """The default `Warn`: pure callers (tests, the departments fallback) need no warnings."""


class MalformedEmployee(ValueError):
    """A row without a usable id: the tap cannot key it, so the run must stop rather than skip it."""


def _value(attributes: Mapping[str, Any], key: str) -> Any:
    wrapper = attributes.get(key)
    if isinstance(wrapper, Mapping) and "value" in wrapper:
        return wrapper["value"]
    return wrapper  # plain (unwrapped) values occur inside nested objects


def _empty(value: Any) -> bool:
    return value is None or value in ("", [], {})


def text(value: Any) -> str | None:
    """Return a value as text; Personio sends some numbers (working hours) either way."""
    if _empty(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def integer(value: Any) -> int | None:
    """Return an id as int; Personio sends ids as numbers, v2 as strings."""
    if _empty(value) or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def calendar_date(value: Any) -> str | None:
    """Return the calendar date Personio shows: the date part as sent, never shifted to UTC."""
    if _empty(value) or not isinstance(value, str) or len(value) < 10:
        return None
    day = value[:10]
    try:
        datetime.strptime(day, "%Y-%m-%d")
    except ValueError:
        return None
    return day


def utc_timestamp(value: Any, zone: ZoneInfo) -> str | None:
    """Return an ISO 8601 UTC timestamp; a value without offset is read in the company zone."""
    if _empty(value) or not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).isoformat()


def _object_attributes(value: Any) -> Mapping[str, Any] | None:
    if isinstance(value, Mapping):
        inner = value.get("attributes", value)
        return inner if isinstance(inner, Mapping) else None
    return None


def unit(value: Any) -> Record | None:
    """Flatten `{type, attributes: {id, name}}` (department, office, team, subcompany)."""
    attributes = _object_attributes(value)
    if attributes is None:
        return None
    unit_id = integer(_value(attributes, "id"))
    if unit_id is None:
        return None
    return {"id": unit_id, "name": text(_value(attributes, "name"))}


def supervisor(value: Any) -> Record | None:
    """Flatten the supervisor's ShortEmployee, whose attributes are wrapped again."""
    attributes = _object_attributes(value)
    if attributes is None:
        return None
    supervisor_id = integer(_value(attributes, "id"))
    if supervisor_id is None:
        return None
    return {
        "id": supervisor_id,
        "email": text(_value(attributes, "email")),
        "first_name": text(_value(attributes, "first_name")),
        "last_name": text(_value(attributes, "last_name")),
    }


def cost_centers(value: Any) -> list[Record] | None:
    """Flatten the list of `{type: CostCenter, attributes: {id, name, percentage}}`."""
    if value is None or value == "":
        return None
    if not isinstance(value, list):
        return None
    centers: list[Record] = []
    for item in value:
        attributes = _object_attributes(item)
        if attributes is None or integer(_value(attributes, "id")) is None:
            continue
        centers.append(
            {
                "id": integer(_value(attributes, "id")),
                "name": text(_value(attributes, "name")),
                "percentage": number(_value(attributes, "percentage")),
            }
        )
    return centers


def number(value: Any) -> float | None:
    """Return a number; Personio sends some as strings."""
    if _empty(value) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def custom_attributes(attributes: Mapping[str, Any], columns: CustomColumns, warn: Warn, employee_id: int) -> Record:
    """`{column: value}` for the custom attributes Personio returned, each value typed as Personio declares it.

    Returned empty: null. Not returned (not whitelisted): no key. Unreadable as its type: null, and `warn`.
    """
    found: Record = {}
    for custom in columns.for_row(attributes):
        wrapper = attributes.get(custom.key)
        if wrapper is None:
            continue
        value = wrapper.get("value") if isinstance(wrapper, Mapping) else wrapper
        try:
            found[custom.column] = custom.convert(value)
        except Unreadable:
            warn(employee_id, custom.key, value)
            found[custom.column] = None
    return found


def employee(
    row: Mapping[str, Any], zone: ZoneInfo, columns: CustomColumns = KEY_COLUMNS, warn: Warn = _ignore
) -> Record:
    """Turn one `{type: Employee, attributes: {...}}` row into a stream record.

    An attribute Personio did not return (not whitelisted for the credentials) is left out of the record,
    while one it returned empty is null: a consumer must be able to tell "unknown" from "none", or a
    revoked permission on `supervisor` would read as "nobody has a manager any more".
    """
    attributes = row.get("attributes")
    if not isinstance(attributes, Mapping):
        raise MalformedEmployee("employee row without attributes")
    employee_id = integer(_value(attributes, "id"))
    if employee_id is None:
        raise MalformedEmployee("employee row without a numeric id (is the `id` attribute whitelisted?)")
    record: Record = {"id": employee_id}
    converters: list[tuple[tuple[str, ...], Callable[[Any], Any]]] = [
        (TEXT_FIELDS, text),
        (DATE_FIELDS, calendar_date),
        (TIMESTAMP_FIELDS, lambda value: utc_timestamp(value, zone)),
        (UNIT_FIELDS, unit),
        (("supervisor",), supervisor),
        (("cost_centers",), cost_centers),
    ]
    for keys, convert in converters:
        for key in keys:
            if key in attributes:
                record[key] = convert(_value(attributes, key))
    for key in NUMBER_FIELDS:
        if key in attributes:
            raw = _value(attributes, key)
            try:
                record[key] = as_number(raw)
            except Unreadable:
                warn(employee_id, key, raw)
                record[key] = None
    record["custom_attributes"] = custom_attributes(attributes, columns, warn, employee_id)
    return record


def row_id(row: Mapping[str, Any]) -> int | None:
    """Return a raw employee row's id, for de-duplication before flattening."""
    attributes = row.get("attributes")
    return integer(_value(attributes, "id")) if isinstance(attributes, Mapping) else None


def created_at(row: Mapping[str, Any], zone: ZoneInfo) -> datetime | None:
    """Return a raw row's `created_at` as an aware instant, or None if absent or unreadable."""
    return _instant(row, "created_at", zone)


def last_modified_at(row: Mapping[str, Any], zone: ZoneInfo) -> datetime | None:
    """Return a raw row's `last_modified_at` as an aware instant, or None if absent or unreadable."""
    return _instant(row, "last_modified_at", zone)


def _instant(row: Mapping[str, Any], key: str, zone: ZoneInfo) -> datetime | None:
    attributes = row.get("attributes")
    stamp = utc_timestamp(_value(attributes, key), zone) if isinstance(attributes, Mapping) else None
    return datetime.fromisoformat(stamp) if stamp else None


def department_of(row: Mapping[str, Any]) -> Record | None:
    """Return `{id, name, parent_id: None}` from a (projected) v1 employee row, if it has a department."""
    attributes = row.get("attributes")
    if not isinstance(attributes, Mapping):
        return None
    found = unit(_value(attributes, "department"))
    if found is None:
        return None
    return {**found, "parent_id": None}
