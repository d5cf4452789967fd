"""Sinks only collect, so that a drain can never reconcile half the input.

Nothing is written while input arrives: a drain (batch full, the SDK's 5-minute record age) is a no-op,
and the target reconciles once, at the end of the pipe.

Each sink also tracks Singer table versions, because a complete snapshot is exactly "records of version
V followed by ACTIVATE_VERSION V": only then may absence from the input mean "gone from Personio".
"""

from __future__ import annotations

from typing import Any

from singer_sdk.sinks import Sink

from target_leapsome.desired import RecordError
from target_leapsome.models import employee_label

SDC_VERSION = "_sdc_table_version"


class CollectingSink(Sink):
    """Keeps every record of its stream in memory (a few hundred bytes per employee)."""

    MAX_SIZE_DEFAULT = 10**9  # never "full": draining writes nothing anyway

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.records: list[dict[str, Any]] = []
        self.versions: set[int | None] = set()
        self.activated: int | None = None
        self.records_after_activation = False

    @property
    def include_sdc_metadata_properties(self) -> bool:
        """The SDK hands a RECORD's `version` to the sink only through `_sdc_table_version`."""
        return True

    def process_record(self, record: dict[str, Any], context: dict[str, Any]) -> None:
        version = record.get(SDC_VERSION)
        self.versions.add(version if isinstance(version, int) else None)
        if self.activated is not None:
            self.records_after_activation = True
        self.records.append({k: v for k, v in record.items() if not k.startswith("_sdc_")})

    def process_batch(self, context: dict[str, Any]) -> None:
        """Nothing to write per batch: see the module docstring."""

    def activate_version(self, new_version: int) -> None:
        self.activated = new_version
        self.records_after_activation = False

    @property
    def complete(self) -> bool:
        """True when every record belongs to the version that was activated after them."""
        return self.activated is not None and not self.records_after_activation and self.versions <= {self.activated}


class EmployeesSink(CollectingSink):
    """tap-personio's `employees` stream."""


class DepartmentsSink(CollectingSink):
    """tap-personio's `departments` stream, complete on every run: the source of department names."""


class UnknownStreamSink(CollectingSink):
    """A stream this target has no use for (e.g. `meltano config test`'s): every record is an error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.errors: list[RecordError] = []

    def process_record(self, record: dict[str, Any], context: dict[str, Any]) -> None:
        keys = [str(record.get(k)) for k in self.key_properties] or ["?"]
        key = "/".join(keys)
        label = employee_label(key) if self.stream_name == "employees" else f"{self.stream_name} {key}"
        message = (
            f"unknown stream {self.stream_name!r}: this target reads only 'employees' and 'departments'; "
            "the record was not written"
        )
        self.errors.append(RecordError(self.stream_name, key, label, message))
        self.logger.error("record %s of stream %r not written: unknown stream", key, self.stream_name)
