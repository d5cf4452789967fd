"""The streams' JSON schemas, declared statically so discovery needs no network (docs/design.md)."""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th

_UNIT = th.ObjectType(
    th.Property("id", th.IntegerType, required=True),
    th.Property("name", th.StringType),
    additional_properties=False,
)

EMPLOYEES: dict[str, Any] = th.PropertiesList(
    th.Property("id", th.IntegerType, required=True, description="Personio employee id"),
    th.Property("email", th.StringType, description="As Personio has it (case preserved)"),
    th.Property("first_name", th.StringType),
    th.Property("last_name", th.StringType),
    th.Property("preferred_name", th.StringType),
    th.Property("gender", th.StringType),
    th.Property("position", th.StringType),
    th.Property("employment_type", th.StringType),
    th.Property("weekly_working_hours", th.StringType),
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
    th.Property("subcompany", _UNIT),
    th.Property(
        "supervisor",
        th.ObjectType(
            th.Property("id", th.IntegerType, required=True),
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
                th.Property("id", th.IntegerType, required=True),
                th.Property("name", th.StringType),
                th.Property("percentage", th.NumberType),
                additional_properties=False,
            )
        ),
    ),
    th.Property(
        "custom_attributes",
        th.ArrayType(
            th.ObjectType(
                th.Property("key", th.StringType, required=True, description="e.g. dynamic_123"),
                th.Property("label", th.StringType),
                th.Property("type", th.StringType),
                th.Property("universal_id", th.StringType),
                th.Property("value", th.StringType, description="Text; JSON text for lists and numbers"),
                additional_properties=False,
            )
        ),
        required=True,
    ),
).to_dict()

DEPARTMENTS: dict[str, Any] = th.PropertiesList(
    th.Property("id", th.IntegerType, required=True),
    th.Property("name", th.StringType),
    th.Property("parent_id", th.IntegerType),
).to_dict()
