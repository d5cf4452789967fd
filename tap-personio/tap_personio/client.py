"""The one base stream every Personio stream derives from: HTTP, auth, retries, safe errors, snapshots.

Streams only say what to request and how to turn rows into records (`generate_records`); this class
owns the rest: headers, the shared paced session and authenticator, 401 re-authentication, back-off
that honours Retry-After, error messages that never carry bodies or tokens, per-page progress, and
the complete-snapshot protocol (version on every record, ACTIVATE_VERSION after the last one).
"""

from __future__ import annotations

import re
import time
import weakref
from collections.abc import Generator, Iterable, Iterator, Mapping
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import backoff
import requests
from singer_sdk import RESTStream
from singer_sdk import singerlib as singer
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers.types import Auth, Context, RequestFunc
from singer_sdk.mapper import RemoveRecordTransform
from singer_sdk.streams.rest import HTTPRequest, PageContext

from tap_personio.flatten import MalformedEmployee, created_at, last_modified_at, row_id
from tap_personio.pagination import EmployeesPaginator, page_metadata
from tap_personio.retry import exponential, rate_limit_wait
from tap_personio.since import updated_since

if TYPE_CHECKING:
    from backoff._typing import Details

    from tap_personio.tap import TapPersonio

_TOKEN_PATTERN = re.compile(r"(papi-[A-Za-z0-9._~+/=-]+|Bearer\s+\S+)")
_BODIES: weakref.WeakKeyDictionary[requests.Response, Any] = weakref.WeakKeyDictionary()


def page_body(response: requests.Response) -> Any:
    """Parse a response's JSON once, however many readers (parser, paginator, progress) ask."""
    if response not in _BODIES:
        _BODIES[response] = response.json()
    return _BODIES[response]


class ReauthenticationRequired(RetriableAPIError):
    """A 401/403 on a resource: the token is renewed and the request retried once, at once."""


class PersonioStream(RESTStream[Any]):
    """Base stream: everything about talking to Personio that is not specific to one resource."""

    def __init__(self, tap: TapPersonio) -> None:
        super().__init__(tap=tap)
        self.personio = tap
        self._reauthenticated: weakref.WeakSet[requests.PreparedRequest] = weakref.WeakSet()
        self.pages = 0
        self.retries = 0
        self.snapshot_version: int | None = None

    # -- HTTP plumbing --------------------------------------------------------------------------
    @property
    def url_base(self) -> str:
        """Personio's API root from the `base_url` setting."""
        return str(self.config.get("base_url") or "https://api.personio.de").rstrip("/")

    @property
    def http_headers(self) -> dict[str, str]:
        """Identify the integration to Personio, as its support asks."""
        return {**self.personio.identity_headers, "User-Agent": self.user_agent}

    @property
    def authenticator(self) -> Auth:
        """The tap's single authenticator, shared by its streams (one token per run)."""
        return self.personio.authenticator

    @property
    def requests_session(self) -> requests.Session:
        """The tap's paced session, so every stream draws on the same rate budget."""
        return self.personio.session

    @property
    def timeout(self) -> int:
        """Per-request timeout from `request_timeout`."""
        return int(self.config.get("request_timeout", 60))

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        """Yield the rows of a page; subclasses say where they are via `rows_of`."""
        yield from self.rows_of(page_body(response))

    def rows_of(self, body: Any) -> Iterable[dict[str, Any]]:
        """Return the row list of a parsed page."""
        rows = body.get("data") if isinstance(body, Mapping) else None
        return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []

    # -- errors and retries ---------------------------------------------------------------------
    def validate_response(self, response: requests.Response) -> None:
        """Retry 429/5xx, re-authenticate once on 401/403, fail on other 4xx; never leak secrets."""
        status = response.status_code
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            request = response.request
            if request not in self._reauthenticated:
                self._reauthenticated.add(request)
                self.personio.authenticator.invalidate(request.headers.get("Authorization"))
                raise ReauthenticationRequired(self.response_error_message(response), response)
            raise FatalAPIError(self.response_error_message(response) + " (again after re-authenticating)")
        if status == HTTPStatus.TOO_MANY_REQUESTS or status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise RetriableAPIError(self.response_error_message(response), response)
        if status >= HTTPStatus.BAD_REQUEST:
            raise FatalAPIError(self.response_error_message(response))
        try:
            page_body(response)
        except ValueError:
            raise RetriableAPIError(
                f"{status} with a body that is not JSON for {self._where(response)}", response
            ) from None

    def response_error_message(self, response: requests.Response) -> str:
        """Status, method, path and Personio's own error text (redacted): no body dump, no headers."""
        message = f"{response.status_code} {response.reason or ''} for {self._where(response)}".replace("  ", " ")
        detail = self._personio_error(response)
        return f"{message}: {detail}" if detail else message

    def _where(self, response: requests.Response) -> str:
        request = response.request
        return f"{request.method or 'GET'} {urlsplit(request.url or response.url or '').path or self.path}"

    def _personio_error(self, response: requests.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return ""
        parts: list[str] = []
        if isinstance(body, Mapping):
            error = body.get("error")
            if isinstance(error, Mapping) and isinstance(error.get("message"), str):
                parts.append(error["message"])
            errors = body.get("errors")
            if isinstance(errors, list):
                parts.extend(str(e.get("detail") or e.get("title")) for e in errors if isinstance(e, Mapping))
            trace = body.get("personio_trace_id") or body.get("trace_id")
            if isinstance(trace, str):
                parts.append(f"trace id {trace}")
        return self.redact("; ".join(parts)[:300])

    def redact(self, text: str) -> str:
        """Remove anything token-like and the configured secret from text bound for a log or error."""
        secret = str(self.config.get("client_secret") or "")
        if secret:
            text = text.replace(secret, "<redacted>")
        return _TOKEN_PATTERN.sub("<redacted>", text)

    def request_decorator(self, func: RequestFunc) -> RequestFunc:
        """Bounded retries on 429, 5xx and connection errors, logged by our own safe handlers."""
        decorated: RequestFunc = backoff.on_exception(
            self.backoff_wait_generator,
            (
                ConnectionResetError,
                RetriableAPIError,
                requests.exceptions.Timeout,
                requests.exceptions.ConnectionError,
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ),
            max_tries=self.backoff_max_tries,
            on_backoff=self.backoff_handler,
            on_giveup=self._giveup_handler,
            jitter=None,
            logger=None,
        )(func)
        return decorated

    def backoff_max_tries(self) -> int:
        """One try plus `max_retries` retries."""
        return int(self.config.get("max_retries", 5)) + 1

    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        """Wait per failure kind: 0 before a re-authenticated retry, Retry-After on 429, else exponential."""
        base = float(self.config.get("retry_backoff_seconds", 1.0))
        attempt = 0
        exception = yield  # type: ignore[misc]
        while True:
            response = getattr(exception, "response", None)
            if isinstance(exception, ReauthenticationRequired):
                wait = 0.0
            elif isinstance(response, requests.Response) and response.status_code == HTTPStatus.TOO_MANY_REQUESTS:
                wait = rate_limit_wait(response.headers.get("Retry-After"), base, attempt)
            else:
                wait = exponential(base, attempt)
            attempt += 1
            exception = yield wait

    def backoff_handler(self, details: Details) -> None:
        """Log a retry without the request object (its headers carry the token)."""
        self.retries += 1
        self.logger.warning(
            "%s: retry %d of %d in %.1f s after %s",
            self.name,
            details.get("tries", 0),
            self.backoff_max_tries() - 1,
            details.get("wait") or 0.0,
            self._describe(details.get("exception")),
        )

    def _giveup_handler(self, details: Details) -> None:
        self.logger.error(
            "%s: giving up after %d tries: %s",
            self.name,
            details.get("tries", 0),
            self._describe(details.get("exception")),
        )

    def _describe(self, exception: BaseException | None) -> str:
        if exception is None:
            return "an unknown error"
        if isinstance(exception, RetriableAPIError | FatalAPIError):
            return self.redact(str(exception))
        return type(exception).__name__  # connection errors: their text repeats the URL, nothing more useful

    # -- records, progress and complete snapshots -------------------------------------------------
    def is_complete_snapshot(self, context: Context | None) -> bool:
        """Whether this run reads the whole population, so a target may treat it as complete."""
        return True

    def generate_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Yield this stream's records; subclasses implement it."""
        raise NotImplementedError

    @property
    def emit_activate_version_messages(self) -> bool:
        """Never let the SDK send its ACTIVATE_VERSION before the records; we send ours after them."""
        return False

    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Stamp snapshot records with a version and confirm the snapshot after its last record.

        Runs between the SDK writing the last RECORD and its final STATE. Any exception leaves this
        generator before the confirmation, so a cut-short snapshot never looks complete.
        """
        started = time.monotonic()
        complete = self.is_complete_snapshot(context)
        self.snapshot_version = int(time.time() * 1000) if complete else None
        self._stream_version = self.snapshot_version
        self.pages = self.retries = 0
        count = 0
        for record in self.generate_records(context):
            count += 1
            yield record
        if self.snapshot_version is not None:
            self._activate_version(self.snapshot_version)
        self.logger.info(
            "%s: done: %d records, %d pages, %d retries, %.1f s; %s",
            self.name,
            count,
            self.pages,
            self.retries,
            time.monotonic() - started,
            f"complete snapshot, version {self.snapshot_version} activated"
            if self.snapshot_version is not None
            else "incremental batch (no version)",
        )

    def _activate_version(self, version: int) -> None:
        for stream_map in self.stream_maps:
            if isinstance(stream_map, RemoveRecordTransform):
                continue
            self.personio.write_message(singer.ActivateVersionMessage(stream=stream_map.stream_alias, version=version))

    def log_page(self, body: Any, rows: int, seen: int) -> None:
        """Progress: the first page, every tenth and the last, at INFO."""
        self.pages += 1
        metadata = body.get("metadata") if isinstance(body, Mapping) else None
        total_pages = metadata.get("total_pages") if isinstance(metadata, Mapping) else None
        last = isinstance(total_pages, int) and self.pages >= total_pages
        if self.pages == 1 or self.pages % 10 == 0 or last:
            of = f"/{total_pages}" if isinstance(total_pages, int) else ""
            self.logger.info("%s: page %d%s: %d rows, %d records so far", self.name, self.pages, of, rows, seen)


class EmployeeScanStream(PersonioStream):
    """A stream that pages through `GET /v1/company/employees` (employees, and departments' fallback).

    Offset paging over a list that may change mid-run can shift rows: a row removed before the
    current offset moves an unread row into an already-read page (missed), a row added moves a read
    row into the next page (duplicate). Duplicates are dropped by id. Only a removal can hide a row,
    and between two pages a removal changes `metadata.total_elements` unless a hire in the same
    interval makes up for it. So a pass is accepted when every page showed the same total, it yielded
    at least that many distinct ids and, for a complete read of more than one page, one more request
    (`updated_since` = pass start minus CLOCK_MARGIN) shows nobody who may have been hired while the
    pass ran (see `hires_during`); someone hired before it began cannot have hidden anything. Otherwise
    the scan is repeated (emitting only unseen ids), at most MAX_PASSES times, else the run fails
    rather than pass off an incomplete read. An incremental read is not checked that way (it is never
    declared complete); a weekly snapshot repairs what a shift there could delay.
    """

    MAX_PASSES = 3
    CLOCK_MARGIN = timedelta(seconds=30)
    """How much earlier than our clock's pass start the check looks for hires: Personio stamps `created_at`
    by its own clock, to the second, so a hire during the pass can read as up to skew + 1 s before it began.
    NTP keeps both clocks well within a second; the rest is room for a host whose clock drifts. Larger
    costs a second pass whenever someone was hired that long before the pass; smaller risks missing a hire."""

    path = "/v1/company/employees"

    def __init__(self, tap: TapPersonio) -> None:
        super().__init__(tap)
        self.extra_params: dict[str, Any] = {}
        self._totals: list[int] = []
        self._pass_pages = 0
        self._last_page_top: int | None = None
        self._seen_count = 0
        self._checking = False
        self.passes = 0  # passes the last scan took (bench/snapshot_churn.py reports it)

    @property
    def page_size(self) -> int:
        """`limit` per request from the `page_size` setting."""
        return int(self.config.get("page_size", 100))

    def get_new_paginator(self) -> EmployeesPaginator:
        """Record offsets, stopped by the response metadata."""
        return EmployeesPaginator(self.page_size, page_body)

    def get_http_request(self, *, page: PageContext[Any]) -> HTTPRequest:
        """Add `limit`, the record `offset` and the stream's filters."""
        request = super().get_http_request(page=page)
        offset = page.next_page_token if isinstance(page.next_page_token, int) else 0
        request.params = {"limit": self.page_size, "offset": offset, **self.extra_params}
        request.safe_query_chars = "[]"
        return request

    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
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

    def scan(self, context: Context | None, *, complete: bool) -> Iterator[dict[str, Any]]:
        """Yield every employee row once, repeating the scan if rows may have shifted between pages.

        `complete`: the read is unfiltered and will be declared complete, so it gets the hires check.
        """
        first_pass: dict[int, int] = {}  # id -> the pass that first read it
        self._seen_count = 0
        duplicates = 0
        for attempt in range(1, self.MAX_PASSES + 1):
            self.passes = attempt
            self._totals = []
            self._pass_pages = 0
            self._last_page_top = None
            started = datetime.now(UTC)
            for row in self.request_records(context):
                employee_id = row_id(row)
                if employee_id is None:
                    raise MalformedEmployee("an employee row has no numeric id; is `id` whitelisted?")
                if employee_id in first_pass:
                    duplicates += 1
                    continue
                first_pass[employee_id] = attempt
                self._seen_count = len(first_pass)
                yield row
            totals = self._totals
            stable = len(set(totals)) <= 1 and (not totals or len(first_pass) >= totals[-1])
            hires: list[int] = []
            if stable and complete and self._pass_pages > 1:
                hires = self.hires_during(context, started, first_pass, attempt)
            if stable and not hires:
                if duplicates or attempt > 1:
                    self.logger.info(
                        "%s: the list changed while paging; %d duplicates dropped, %d passes",
                        self.name,
                        duplicates,
                        attempt,
                    )
                return
            if attempt == self.MAX_PASSES:
                break
            self.logger.warning(
                "%s: the employee list changed while paging (totals %s, %d distinct ids, %d hired during the "
                "pass); reading it again to catch rows that shifted between pages",
                self.name,
                sorted(set(totals)),
                len(first_pass),
                len(hires),
            )
        raise FatalAPIError(
            f"{self.name}: the employee list kept changing during {self.MAX_PASSES} passes; "
            "stopping rather than emitting an incomplete read"
        )

    def hires_during(
        self, context: Context | None, started: datetime, first_pass: Mapping[int, int], attempt: int
    ) -> list[int]:
        """Ids of employees that may have been hired while pass `attempt` ran (one request, paged if needed).

        Why only hires during the pass: every page showed the same total, so a deletion that hid a row
        between two pages was made up for by a hire after the first page and before the last; and one
        such hire still exists when the last page is read, else the deletions outnumber the hires and
        the total drops. It was created after the pass began, so stamped no earlier than `started`
        minus CLOCK_MARGIN by Personio's clock (the window), and this request lists it: it asks for
        everyone changed since then (`updated_since` may reach further back, never less far). Deletions
        need no check of their own. Blind spot: a hire deleted again between the last page and this
        request leaves no trace to find.

        Which rows count: none read by an earlier pass (it existed before this one began; Personio
        never reuses an id). With `created_at`, a row counts if it was created in the window. Without
        it (not whitelisted) an edit looks like a hire, so the id decides. Personio gives a new
        employee an id above every existing one and lists by id. Of the hires above still present at
        the last page, take the one with the highest id: anyone with a higher id then was hired after
        it, so during the pass, and would be a higher one of them. So it holds the highest id of all
        and is the last page's last row. A row without `created_at` thus counts only if its id is at
        least that page's highest or no pass read it (a hire after the last page, or a safety net),
        and, when `last_modified_at` is readable, it changed in the window (a hire's first stamp is its
        creation); an edit of anyone else this pass read cannot stand for a hire that hid a row.
        """
        window_start = started - self.CLOCK_MARGIN
        top = self._last_page_top
        saved = self.extra_params
        self.extra_params = {"updated_since": updated_since(started, self.CLOCK_MARGIN, self.zone)}
        self._checking = True
        changed = 0
        hires: list[int] = []
        try:
            for row in self.request_records(context):
                employee_id = row_id(row)
                if employee_id is None:
                    continue
                changed += 1
                if first_pass.get(employee_id, attempt) < attempt:
                    continue
                created = created_at(row, self.zone)
                if created is not None:
                    possible = created >= window_start
                else:
                    modified = last_modified_at(row, self.zone)
                    possible = (modified is None or modified >= window_start) and (
                        employee_id not in first_pass or top is None or employee_id >= top
                    )
                if possible:
                    hires.append(employee_id)
        finally:
            self.extra_params = saved
            self._checking = False
        self.logger.info(
            "%s: completeness check: %d employees changed since %s, %d of them possibly hired during pass %d",
            self.name,
            changed,
            window_start.isoformat(),
            len(hires),
            attempt,
        )
        return hires

    @property
    def zone(self) -> ZoneInfo:
        """The company time zone in which Personio reads `updated_since`."""
        return self.personio.zone
