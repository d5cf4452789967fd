"""The tap's streams: `employees` (incremental, complete when unbookmarked), `employee_attributes`, `departments`.

The last two are complete on every run.
"""

# mypy: enable-error-code="explicit-override"

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from singer_sdk import Tap
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers.types import Context
from singer_sdk.streams.rest import HTTPRequest, PageContext

from tap_personio import flatten
from tap_personio.attributes import AttributeDefinition, CustomColumns, parse_definitions, with_columns
from tap_personio.client import PersonioConnection, PersonioStream, Progress, page_body
from tap_personio.compat import override
from tap_personio.pagination import OrgUnitsPaginator
from tap_personio.scan import EmployeeScanStream
from tap_personio.schemas import DEPARTMENTS, EMPLOYEE_ATTRIBUTES, employees_schema
from tap_personio.settings import setting
from tap_personio.since import updated_since


class EmployeesStream(EmployeeScanStream):
    """Every employee the credentials can see, all statuses, one record each.

    Without a bookmark the run is a complete snapshot (no filter). With one, Personio is asked for
    employees changed after the bookmark minus the look-back, converted to the company's wall time.
    `attributes[]` is never sent: with `updated_since` it would also filter.

    `definitions`: the attribute catalogue with columns, or None when it was not read (discovery without
    credentials): then `custom_attributes` is an open object and each row's wrappers name and type its values.
    """

    name = "employees"
    primary_keys = ("id",)
    replication_key = "last_modified_at"
    is_sorted = False  # Personio orders by id, not by modification time

    def __init__(
        self, tap: Tap, connection: PersonioConnection, definitions: Sequence[AttributeDefinition] | None
    ) -> None:
        super().__init__(tap, connection, schema=employees_schema(definitions))
        self.columns = CustomColumns(definitions, str(setting(tap.config, "custom_attribute_columns")))
        self._unreadable = 0

    def bookmark(self, context: Context | None) -> str | None:
        """The saved bookmark itself (not merged with start_date): its absence makes a snapshot."""
        value = self.get_context_state(context).get("replication_key_value")
        return str(value) if value else None

    @override
    def is_complete_snapshot(self, context: Context | None) -> bool:
        """No bookmark (first run, `--full-refresh`): read everyone and say so."""
        return self.bookmark(context) is None

    @override
    def generate_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Flatten each scanned employee row."""
        complete = self.is_complete_snapshot(context)
        self.extra_params = {} if complete else self._incremental_filter(context)
        if complete:
            self.logger.info("employees: no bookmark: reading every employee as a complete snapshot")
        self._unreadable = 0
        for row in self.scan(context, complete=complete):
            yield flatten.employee(row, self.zone, self.columns, self._warn_unreadable)
        if self._unreadable:
            self.logger.warning("employees: %d values could not be read as their type, sent as null", self._unreadable)

    def _warn_unreadable(self, employee_id: int, key: str, value: Any) -> None:
        """A value kept out as null: name the employee and the attribute (the value may be personal data)."""
        self._unreadable += 1
        self.logger.warning(
            "employees: employee %d: `%s` cannot be read as its type (a %s); sent as null",
            employee_id,
            key,
            type(value).__name__,
        )

    def _incremental_filter(self, context: Context | None) -> dict[str, Any]:
        """`updated_since` for the bookmark minus the look-back, in a wall time Personio cannot read late."""
        start = self.get_starting_timestamp(context)
        if start is None:  # pragma: no cover - a bookmark exists, so the SDK returns one
            raise FatalAPIError("employees: bookmark present but unreadable")
        lookback = self.settings.lookback
        since = updated_since(start, lookback, self.zone)
        self.logger.info(
            "employees: incremental: updated_since=%s (at or before the bookmark %s minus %d s look-back, "
            "read in %s or in UTC)",
            since,
            start.isoformat(),
            lookback.total_seconds(),
            self.zone.key,
        )
        return {"updated_since": since}


class EmployeeAttributesStream(PersonioStream):
    """The attribute catalogue the credentials may read (`GET /v1/company/employees/attributes`), one request.

    Read once per tap, at discovery (`catalogue`): it decides the `employees` schema and columns. Syncing this
    stream emits what was read then, each entry with the column its custom attribute has; complete every run.
    """

    name = "employee_attributes"
    primary_keys = ("key",)
    replication_key = None
    schema = EMPLOYEE_ATTRIBUTES
    path = "/v1/company/employees/attributes"

    def __init__(self, tap: Tap, connection: PersonioConnection) -> None:
        super().__init__(tap, connection)
        self._definitions: list[AttributeDefinition] | None = None

    def catalogue(self) -> list[AttributeDefinition]:
        """The definitions with their columns, requested on the first call only."""
        if self._definitions is None:
            rows = list(self.request_records(None))
            self.progress.pages += 1
            definitions = with_columns(parse_definitions(rows), self.settings.custom_attribute_columns)
            self.logger.info(
                "employee_attributes: %d attributes readable, %d of them custom",
                len(definitions),
                sum(d.custom for d in definitions),
            )
            self._definitions = definitions
        return self._definitions

    @override
    def generate_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        """One record per attribute the credentials may read."""
        for definition in self.catalogue():
            yield definition.record()


class DepartmentsFromEmployees(EmployeeScanStream):
    """Departments derived from a v1 employee scan projected to the `department` attribute.

    The fallback `DepartmentsStream` delegates to: no parents, only departments that have members. Never
    synced on its own (the tap does not list it); it requests and logs as `departments`, and counts its
    pages and retries into the departments stream's progress.
    """

    name = "departments"
    primary_keys = ("id",)
    replication_key = None
    schema = DEPARTMENTS

    def __init__(self, tap: Tap, connection: PersonioConnection, *, progress: Progress | None = None) -> None:
        super().__init__(tap, connection, progress=progress)
        self.extra_params = {"attributes[]": ["department"]}

    @override
    def generate_records(self, context: Context | None) -> Iterator[dict[str, Any]]:
        """Each department named on an employee, once."""
        seen: set[int] = set()
        for row in self.scan(context, complete=True):
            department = flatten.department_of(row)
            if department is None or department["id"] in seen:
                continue
            seen.add(department["id"])
            yield department


class DepartmentsStream(PersonioStream):
    """Every department `{id, name, parent_id}`, complete on every run (it is small).

    From the beta v2 org-units list when enabled and it answers; otherwise, or if it refuses the
    first request, from `DepartmentsFromEmployees` (a v1 employee scan).
    """

    name = "departments"
    primary_keys = ("id",)
    replication_key = None
    schema = DEPARTMENTS
    path = "/v2/org-units"
    PAGE_SIZE = 100

    def __init__(self, tap: Tap, connection: PersonioConnection) -> None:
        super().__init__(tap, connection)
        self.fallback = DepartmentsFromEmployees(tap, connection, progress=self.progress)

    @override
    def get_new_paginator(self) -> OrgUnitsPaginator:
        """Cursor links from `_meta.links.next`."""
        return OrgUnitsPaginator(self.url_base, page_body)

    @override
    def get_http_request(self, *, page: PageContext[Any]) -> HTTPRequest:
        """`type=department`, `Beta: true`, then follow the `next` link."""
        request = HTTPRequest(
            url=self.get_url(page.stream_context),
            method="GET",
            headers={**self.http_headers, "Beta": "true"},
            params={"type": "department", "limit": self.PAGE_SIZE},
        )
        token = page.next_page_token
        if token is not None and hasattr(token, "geturl"):
            link = str(token.geturl())
            present = parse_qs(urlsplit(link).query)
            request.url = link
            request.params = {k: v for k, v in request.params.items() if k not in present}
        return request

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        """v2 rows live under `_data`."""
        body = page_body(response)
        rows = body.get("_data") if isinstance(body, Mapping) else None
        rows = [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else []
        self.log_page(body, len(rows), len(rows))
        yield from rows

    @override
    def generate_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Try v2 org units first (if enabled), else fall back to the v1 scan."""
        if self.settings.departments_from_org_units:
            try:
                yield from self._org_units(context)
            except FatalAPIError as exc:
                if self.progress.pages:
                    raise
                self.logger.warning(
                    "departments: v2 org units unavailable (%s); deriving departments from v1 employees",
                    self.redact(str(exc)),
                )
            else:
                return
        yield from self.fallback.generate_records(context)

    def _org_units(self, context: Context | None) -> Iterator[dict[str, Any]]:
        seen: set[int] = set()
        for row in self.request_records(context):
            department_id = flatten.integer(row.get("id"))
            if department_id is None or department_id in seen:
                continue
            seen.add(department_id)
            yield {
                "id": department_id,
                "name": flatten.text(row.get("name")),
                "parent_id": flatten.integer(row.get("parent_id")),
            }
