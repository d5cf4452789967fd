"""The streams' JSON schemas. `employees` lists each custom attribute, so its schema is built per run.

Nested ids are nullable like the objects that hold them: a flattening loader turns a null `department`
into null `department__id` and `department__name` columns, which a non-null `department__id` would refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from singer_sdk import typing as th

from tap_personio.attributes import AttributeDefinition, custom_attributes_schema

_UNIT = th.ObjectType(
    th.Property("id", th.IntegerType),
    th.Property("name", th.StringType),
    additional_properties=False,
)


# The fields every employee record has, in order; `employees_schema` adds the custom attributes.
_FIXED_PROPERTIES = (
    th.Property("id", th.IntegerType, required=True, description="Personio employee id"),
    th.Property("email", th.StringType, description="As Personio has it (case preserved)"),
    th.Property("first_name", th.StringType),
    th.Property("last_name", th.StringType),
    th.Property("preferred_name", th.StringType),
    th.Property("gender", th.StringType),
    th.Property("position", th.StringType),
    th.Property("employment_type", th.StringType),
    th.Property("weekly_working_hours", th.NumberType, description="Personio sends text; read as a number"),
    th.Property("status", th.StringType, description="onboarding, active, leave or inactive"),
    th.Property("hire_date", th.DateType),
    th.Property("contract_end_date", th.DateType),
    th.Property("termination_date", th.DateType),
    th.Property("last_working_day", th.DateType),
    th.Property("probation_period_end", th.DateType),
    th.Property("termination_type", th.StringType),
    th.Property("termination_reason", th.StringType),
    th.Property("created_at", th.DateTimeType, description="UTC"),
    th.Property("last_modified_at", th.DateTimeType, description="UTC; the replication key"),
    th.Property("department", _UNIT),
    th.Property("office", _UNIT),
    th.Property("team", _UNIT),
    th.Property("subcompany", _UNIT, description="The legal entity the employee is employed by"),
    th.Property(
        "supervisor",
        th.ObjectType(
            th.Property("id", th.IntegerType),
            th.Property("email", th.StringType),
            th.Property("first_name", th.StringType),
            th.Property("last_name", th.StringType),
            additional_properties=False,
        ),
    ),
    th.Property(
        "cost_centers",
        th.ArrayType(
            th.ObjectType(
                th.Property("id", th.IntegerType),
                th.Property("name", th.StringType),
                th.Property("percentage", th.NumberType),
                additional_properties=False,
            )
        ),
    ),
    th.Property(
        "profile_picture",
        th.StringType,
        description="URL of the picture (`GET /v1/company/employees/{id}/profile-picture`, needs a token)",
    ),
)


def employees_schema(definitions: Sequence[AttributeDefinition] | None) -> dict[str, Any]:
    """The `employees` schema, with one `custom_attributes` property per custom attribute (open when unknown)."""
    schema: dict[str, Any] = th.PropertiesList(
        *_FIXED_PROPERTIES,
        th.Property(
            "custom_attributes",
            custom_attributes_schema(definitions),
            # Always sent, but not `required`: flattened records carry its columns instead of the key.
            description=(
                "{column: value} per custom attribute (`custom_attribute_columns`); null when empty, no key when "
                "the credential may not read it"
                if definitions is not None
                else "{column: value}; the attribute catalogue was not read (discovery without credentials), "
                "so the columns are not listed"
            ),
        ),
    ).to_dict()
    if definitions is None:
        # No `properties` at all: a flattening loader then keeps the object as one JSON column, where an
        # empty `properties` would flatten to no column and every key would arrive undeclared.
        schema["properties"]["custom_attributes"].pop("properties", None)
    return schema


EMPLOYEE_ATTRIBUTES: dict[str, Any] = th.PropertiesList(
    th.Property("key", th.StringType, required=True, description="e.g. first_name, dynamic_123456"),
    th.Property("label", th.StringType),
    th.Property("type", th.StringType, description="Personio's type: standard, date, integer, decimal, list, ..."),
    th.Property("universal_id", th.StringType),
    th.Property("options", th.ArrayType(th.StringType), description="The choices of list and tags attributes"),
    th.Property("custom", th.BooleanType, description="A company-defined dynamic_* attribute"),
    th.Property("column_name", th.StringType, description="Its property in employees.custom_attributes (custom only)"),
).to_dict()

DEPARTMENTS: dict[str, Any] = th.PropertiesList(
    th.Property("id", th.IntegerType, required=True),
    th.Property("name", th.StringType),
    th.Property("parent_id", th.IntegerType),
).to_dict()
