"""Sinks only collect, so that a drain can never reconcile half the input.

Nothing is written while input arrives: a drain (batch full, the SDK's 5-minute record age) is a no-op,
and the target reconciles once, at the end of the pipe.

Each sink also tracks Singer table versions, because a complete snapshot is exactly "records of version
V followed by ACTIVATE_VERSION V": only then may absence from the input mean "gone from Personio".

A record that breaks its stream's schema, has an unparseable date or lacks its key becomes a
RecordError here instead of the SDK's run-ending InvalidRecord: one bad record must not stop the others.
"""

# mypy: enable-error-code="explicit-override"

from __future__ import annotations

from typing import Any

import jsonschema
from singer_sdk.exceptions import InvalidRecord
from singer_sdk.helpers.conform import DatetimeErrorTreatmentEnum
from singer_sdk.sinks import Sink
from singer_sdk.sinks.core import JSONSchemaValidator

from target_leapsome.compat import override
from target_leapsome.desired import EMPLOYEE_FIELDS, RecordError
from target_leapsome.mapping import parse_mapping
from target_leapsome.scope import parse_scope
from target_leapsome.text import employee_label, escape_controls

SDC_VERSION = "_sdc_table_version"


class CollectingSink(Sink):
    """Keeps every record of its stream in memory (a few hundred bytes per employee)."""

    MAX_SIZE_DEFAULT = 10**9  # never "full": draining writes nothing anyway

    @override
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.records: list[dict[str, Any]] = []
        self.versions: set[int | None] = set()
        self.activated: int | None = None
        self.records_after_activation = False
        self.errors: list[RecordError] = []
        self._invalid: str | None = None  # why the record being processed is unusable

    @property
    def kept_fields(self) -> frozenset[str] | None:
        """The fields the target reads; None keeps every field."""
        return None

    @override
    def get_validator(self) -> Any:
        """Validate only the fields the target reads: the others are dropped before validation."""
        if self.kept_fields is None:
            return super().get_validator()
        if not self.validate_schema:
            return None
        projected = {
            **self.schema,
            "properties": {k: v for k, v in self.schema.get("properties", {}).items() if k in self.kept_fields},
            "required": [k for k in self.schema.get("required", []) if k in self.kept_fields],
        }
        return JSONSchemaValidator(projected, validate_formats=self.validate_field_string_format)

    @property
    @override
    def include_sdc_metadata_properties(self) -> bool:
        """The SDK hands a RECORD's `version` to the sink only through `_sdc_table_version`."""
        return True

    @property
    @override
    def datetime_error_treatment(self) -> DatetimeErrorTreatmentEnum:
        """Unparseable dates raise, and `_validate_and_parse` turns that into a record error."""
        return DatetimeErrorTreatmentEnum.ERROR

    @override
    def _validate_and_parse(self, record: dict[str, Any]) -> dict[str, Any]:
        """Validate and parse like the SDK, but remember a failure instead of ending the run.

        Fields the target never reads are dropped first (in place: the SDK ignores the return value), so
        they cost no validation time or memory and a bad value in them cannot reject the employee.
        """
        self._invalid = None
        if self.kept_fields is not None:
            for key in [k for k in record if k not in self.kept_fields and not k.startswith("_sdc_")]:
                del record[key]
        if self._validator is not None:
            try:
                self._validator.validate(record)
            except InvalidRecord as exc:
                self._invalid = _schema_problem(exc)
                return record
        for key in list(record):  # one field at a time, so the error can name it
            single = {key: record[key]}
            try:
                self._parse_timestamps_in_record(single, self.schema, self.datetime_error_treatment)
            except ValueError:
                self._invalid = f"field {key!r} is not a valid {_datelike(self.schema, key)}"
                return record
            record[key] = single[key]
        return record

    @override
    def _singer_validate_message(self, record: dict[str, Any]) -> None:
        """A record without its key is a record error (the SDK would end the run)."""
        missing = [key for key in self.key_properties if key not in record]
        if missing and self._invalid is None:
            self._invalid = f"has no key field {', '.join(repr(k) for k in missing)}"

    def record_key(self, record: dict[str, Any]) -> str:
        """The record's key as text ("?" when it has none), for naming it in errors."""
        return "/".join(str(record[k]) for k in self.key_properties if k in record) or "?"

    def record_label(self, record: dict[str, Any], key: str) -> str:
        return escape_controls(f"{self.stream_name} {key}")

    def reject(self, record: dict[str, Any], message: str) -> None:
        """Remember an unusable record; the run then fails (unless allow_failures) and emits no state."""
        key = self.record_key(record)
        error = RecordError(self.stream_name, escape_controls(key), self.record_label(record, key), message)
        self.errors.append(error)
        self.logger.error("record error: %s", error)

    @override
    def process_record(self, record: dict[str, Any], context: dict[str, Any]) -> None:
        """Keep the record, or its error, and note its table version for `complete`."""
        version = record.get(SDC_VERSION)
        self.versions.add(version if isinstance(version, int) else None)
        if self.activated is not None:
            self.records_after_activation = True
        if self._invalid is not None:
            self.reject(record, self._invalid)
            self._invalid = None
            return
        self.records.append({k: v for k, v in record.items() if not k.startswith("_sdc_")})

    @override
    def process_batch(self, context: dict[str, Any]) -> None:
        """Nothing to write per batch: see the module docstring."""

    @override
    def activate_version(self, new_version: int) -> None:
        """Remember the version: records of it followed by this message are a complete snapshot."""
        self.activated = new_version
        self.records_after_activation = False

    @property
    def complete(self) -> bool:
        """True when every record belongs to the version that was activated after them."""
        return self.activated is not None and not self.records_after_activation and self.versions <= {self.activated}


class EmployeesSink(CollectingSink):
    """tap-personio's `employees` stream."""

    @property
    @override
    def kept_fields(self) -> frozenset[str]:
        """The target's own fields and those the `attribute_mapping` and `scope` settings read.

        Read for every record, so worked out once per sink (the SDK asks before this class's `__init__`).
        """
        kept: frozenset[str] | None = self.__dict__.get("_kept_fields")
        if kept is None:
            try:
                named = parse_mapping(self._config.get("attribute_mapping")).record_keys
                named |= parse_scope(self._config.get("scope")).record_keys
            except ValueError:  # the target names the setting when it starts; nothing to add here
                named = frozenset()
            kept = self.__dict__["_kept_fields"] = EMPLOYEE_FIELDS | named
        return kept

    @override
    def record_label(self, record: dict[str, Any], key: str) -> str:
        """An employee is named by id and name, as everywhere else in the run."""
        first, last = record.get("first_name"), record.get("last_name")
        return employee_label(key, first if isinstance(first, str) else None, last if isinstance(last, str) else None)


class AttributesSink(CollectingSink):
    """tap-personio's `employee_attributes` stream: custom attribute definitions, for mapping by label."""


class DepartmentsSink(CollectingSink):
    """tap-personio's `departments` stream, complete on every run: the source of department names."""


class UnknownStreamSink(CollectingSink):
    """A stream this target has no use for (e.g. `meltano config test`'s): every record is an error."""

    @override
    def process_record(self, record: dict[str, Any], context: dict[str, Any]) -> None:
        """Reject every record, valid or not: nothing of a stream this target does not read is written."""
        self._invalid = None
        self.reject(
            record,
            f"unknown stream {self.stream_name!r}: this target reads only 'employees' and 'departments'; "
            "the record was not written",
        )


def _schema_problem(exc: InvalidRecord) -> str:
    """Name the field and the rule it broke, without echoing the value (it may be a whole object)."""
    cause = exc.__cause__
    if not isinstance(cause, jsonschema.ValidationError):
        return "does not match the stream's schema"
    path = ".".join(str(part) for part in cause.absolute_path)
    if cause.validator == "required" and isinstance(cause.instance, dict):
        missing = [name for name in cause.validator_value if name not in cause.instance]
        where = f"{path}." if path else ""
        return f"has no field {', '.join(repr(where + name) for name in missing)} (required by the schema)"
    rule = f"{cause.validator} {cause.validator_value!r}"[:120]
    return f"field {path or '(record)'!r} does not match the schema ({rule})"


def _datelike(schema: dict[str, Any], key: str) -> str:
    return str(schema.get("properties", {}).get(key, {}).get("format", "date"))
