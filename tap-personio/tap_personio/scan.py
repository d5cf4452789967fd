"""The tap's core algorithm: read every employee exactly once from an offset-paged list that may change meanwhile.

`GET /v1/company/employees` pages by offset. A row removed before the current offset moves an unread row
into an already-read page (missed); a row added moves a read row into the next page (duplicate).
Duplicates are dropped by id. Only a removal can hide a row, and between two pages a removal changes
`metadata.total_elements` unless a hire in the same interval makes up for it. So a pass is accepted when
every page showed the same total, it yielded at least that many distinct ids and, for a complete read of
more than one page, one more request shows nobody who may have been hired while the pass ran. Otherwise
the scan is repeated (emitting only unseen ids), at most MAX_PASSES times, else the run fails rather than
pass off an incomplete read. An incremental read is not checked that way (it is never declared complete);
a weekly snapshot repairs what a shift there could delay.

Why only hires during the pass: every page showed the same total, so a deletion that hid a row between two
pages was made up for by a hire after the first page and before the last; and one such hire still exists
when the last page is read, else the deletions outnumber the hires and the total drops. It was created
after the pass began, so stamped no earlier than the pass start minus CLOCK_MARGIN by Personio's clock (the
window), and the check lists it: it asks for everyone changed since then (`updated_since` may reach further
back, never less far). Someone hired before the pass began cannot have hidden anything, and deletions need
no check of their own. Blind spot: a hire deleted again between the last page and the check leaves no trace.

Which rows of the check count: none read by an earlier pass (it existed before this one began; Personio
never reuses an id). With `created_at`, a row counts if it was created in the window. Without it (not
whitelisted) an edit looks like a hire, so the id decides. Personio gives a new employee an id above every
existing one and lists by id. Of the hires above still present at the last page, take the one with the
highest id: anyone with a higher id then was hired after it, so during the pass, and would be a higher one
of them. So it holds the highest id of all and is the last page's last row. A row without `created_at` thus
counts only if its id is at least that page's highest or no pass read it (a hire after the last page, or a
safety net), and, when `last_modified_at` is readable, it changed in the window (a hire's first stamp is its
creation); an edit of anyone else this pass read cannot stand for a hire that hid a row.
"""

# mypy: enable-error-code="explicit-override"

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests
from singer_sdk import Tap
from singer_sdk.exceptions import FatalAPIError
from singer_sdk.helpers.types import Context
from singer_sdk.streams.rest import HTTPRequest, PageContext

from tap_personio.client import PersonioConnection, PersonioStream, Progress, page_body
from tap_personio.compat import override
from tap_personio.flatten import MalformedEmployee, created_at, last_modified_at, row_id
from tap_personio.pagination import EmployeesPaginator, page_metadata
from tap_personio.since import updated_since

Row = dict[str, Any]


class EmployeeScanStream(PersonioStream):
    """A stream that pages through `GET /v1/company/employees` (employees, and departments' fallback)."""

    MAX_PASSES = 3
    CLOCK_MARGIN = timedelta(seconds=30)
    """How much earlier than our clock's pass start the check looks for hires: Personio stamps `created_at`
    by its own clock, to the second, so a hire during the pass can read as up to skew + 1 s before it began.
    NTP keeps both clocks well within a second; the rest is room for a host whose clock drifts. Larger
    costs a second pass whenever someone was hired that long before the pass; smaller risks missing a hire."""

    path = "/v1/company/employees"

    def __init__(
        self,
        tap: Tap,
        connection: PersonioConnection,
        *,
        progress: Progress | None = None,
        schema: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(tap, connection, progress=progress, schema=schema)
        self.extra_params: dict[str, Any] = {}  # the stream's filters, sent with `limit` and `offset`
        self._totals: list[int] = []
        self._pass_pages = 0
        self._last_page_top: int | None = None
        self._seen_count = 0
        self._duplicates = 0
        self._checking = False  # the completeness check's request: no totals, no progress
        self.passes = 0  # passes the last scan took (bench/snapshot_churn.py reports it)

    @property
    def page_size(self) -> int:
        """`limit` per request from the `page_size` setting."""
        return self.settings.page_size

    @property
    def zone(self) -> ZoneInfo:
        """The company time zone in which Personio reads `updated_since`."""
        return self.settings.company_timezone

    @override
    def get_new_paginator(self) -> EmployeesPaginator:
        """Record offsets, stopped by the response metadata."""
        return EmployeesPaginator(self.page_size, page_body)

    @override
    def get_http_request(self, *, page: PageContext[Any]) -> HTTPRequest:
        """Add `limit`, the record `offset` and the stream's filters."""
        request = super().get_http_request(page=page)
        offset = page.next_page_token if isinstance(page.next_page_token, int) else 0
        request.params = {"limit": self.page_size, "offset": offset, **self.extra_params}
        request.safe_query_chars = "[]"
        return request

    @override
    def parse_response(self, response: requests.Response) -> Iterable[Row]:
        """Yield a page's rows, noting its total for shift detection and logging progress."""
        body = page_body(response)
        rows = list(self.rows_of(body))
        if not self._checking:
            total = page_metadata(body).get("total_elements")
            if isinstance(total, int):
                self._totals.append(total)
            self._pass_pages += 1
            self._last_page_top = max((i for i in map(row_id, rows) if i is not None), default=None)
            self.log_page(body, len(rows), self._seen_count + len(rows))
        yield from rows

    def scan(self, context: Context | None, *, complete: bool) -> Iterator[Row]:
        """Yield every employee row once, repeating the scan if rows may have shifted between pages.

        `complete`: the read is unfiltered and will be declared complete, so it gets the hires check.
        """
        first_pass: dict[int, int] = {}  # id -> the pass that first read it
        self._seen_count = self._duplicates = 0
        for attempt in range(1, self.MAX_PASSES + 1):
            self.passes = attempt
            started = datetime.now(UTC)
            yield from self._read_pass(context, first_pass, attempt)
            stable = self._pass_stable(first_pass)
            hires: list[int] = []
            if stable and complete and self._pass_pages > 1:
                hires = self.hires_during(context, started, first_pass, attempt)
            if stable and not hires:
                self._log_settled(attempt)
                return
            if attempt < self.MAX_PASSES:
                self._log_rereading(first_pass, hires)
        raise FatalAPIError(
            f"{self.name}: the employee list kept changing during {self.MAX_PASSES} passes; "
            "stopping rather than emitting an incomplete read"
        )

    def _read_pass(self, context: Context | None, first_pass: dict[int, int], attempt: int) -> Iterator[Row]:
        """One pass over every page, yielding only ids no earlier pass read."""
        self._totals = []
        self._pass_pages = 0
        self._last_page_top = None
        for row in self.request_records(context):
            employee_id = row_id(row)
            if employee_id is None:
                raise MalformedEmployee("an employee row has no numeric id; is `id` whitelisted?")
            if employee_id in first_pass:
                self._duplicates += 1
                continue
            first_pass[employee_id] = attempt
            self._seen_count = len(first_pass)
            yield row

    def _pass_stable(self, first_pass: Mapping[int, int]) -> bool:
        """Every page showed the same total, and the scan has read at least that many distinct ids."""
        totals = self._totals
        return len(set(totals)) <= 1 and (not totals or len(first_pass) >= totals[-1])

    def _log_settled(self, attempt: int) -> None:
        if self._duplicates or attempt > 1:
            self.logger.info(
                "%s: the list changed while paging; %d duplicates dropped, %d passes",
                self.name,
                self._duplicates,
                attempt,
            )

    def _log_rereading(self, first_pass: Mapping[int, int], hires: list[int]) -> None:
        self.logger.warning(
            "%s: the employee list changed while paging (totals %s, %d distinct ids, %d hired during the "
            "pass); reading it again to catch rows that shifted between pages",
            self.name,
            sorted(set(self._totals)),
            len(first_pass),
            len(hires),
        )

    def hires_during(
        self, context: Context | None, started: datetime, first_pass: Mapping[int, int], attempt: int
    ) -> list[int]:
        """Ids of employees that may have been hired while pass `attempt` ran (see the module docstring)."""
        window_start = started - self.CLOCK_MARGIN
        changed = 0
        hires: list[int] = []
        for row in self._changed_since(context, started):
            employee_id = row_id(row)
            if employee_id is None:
                continue
            changed += 1
            if self._may_be_hire(row, employee_id, window_start, first_pass, attempt):
                hires.append(employee_id)
        self.logger.info(
            "%s: completeness check: %d employees changed since %s, %d of them possibly hired during pass %d",
            self.name,
            changed,
            window_start.isoformat(),
            len(hires),
            attempt,
        )
        return hires

    def _changed_since(self, context: Context | None, started: datetime) -> Iterator[Row]:
        """The check's request (paged if needed): everyone changed in the window, the scan's filters set aside."""
        saved = self.extra_params
        self.extra_params = {"updated_since": updated_since(started, self.CLOCK_MARGIN, self.zone)}
        self._checking = True
        try:
            yield from self.request_records(context)
        finally:
            self.extra_params = saved
            self._checking = False

    def _may_be_hire(
        self, row: Row, employee_id: int, window_start: datetime, first_pass: Mapping[int, int], attempt: int
    ) -> bool:
        """Whether a changed row may be someone hired during the pass (the rules in the module docstring)."""
        if first_pass.get(employee_id, attempt) < attempt:
            return False
        created = created_at(row, self.zone)
        if created is not None:
            return created >= window_start
        modified = last_modified_at(row, self.zone)
        top = self._last_page_top
        return (modified is None or modified >= window_start) and (
            employee_id not in first_pass or top is None or employee_id >= top
        )
