"""Talking to Personio: the connection a tap's streams share, and the base stream every Personio stream derives from.

Streams only say what to request and how to turn rows into records (`generate_records`); `PersonioStream`
owns the rest: headers, the shared paced session and authenticator, 401 re-authentication, back-off
that honours Retry-After, error messages that never carry bodies or tokens, per-page progress, and
the complete-snapshot protocol (version on every record, ACTIVATE_VERSION after the last one).
"""

# mypy: enable-error-code="explicit-override"

from __future__ import annotations

import logging
import re
import time
import weakref
from abc import abstractmethod
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import backoff
import requests
from singer_sdk import RESTStream, Tap
from singer_sdk.exceptions import FatalAPIError, RetriableAPIError
from singer_sdk.helpers._flattening import get_flattening_options
from singer_sdk.helpers.types import Auth, Context, RequestFunc

from tap_personio import null_objects
from tap_personio.auth import PersonioAuthenticator
from tap_personio.compat import override
from tap_personio.pacing import AUTH_LIMITS, EMPLOYEE_LIMITS, PacedSession, RequestPacer
from tap_personio.retry import exponential, rate_limit_wait
from tap_personio.settings import Settings
from tap_personio.stopping import stop_if_asked

if TYPE_CHECKING:
    from backoff._typing import Details

_TOKEN_PATTERN = re.compile(r"(papi-[A-Za-z0-9._~+/=-]+|Bearer\s+\S+)")
_BODIES: weakref.WeakKeyDictionary[requests.Response, Any] = weakref.WeakKeyDictionary()


def page_body(response: requests.Response) -> Any:
    """Parse a response's JSON once, however many readers (parser, paginator, progress) ask."""
    if response not in _BODIES:
        _BODIES[response] = response.json()
    return _BODIES[response]


class ReauthenticationRequired(RetriableAPIError):
    """A 401/403 on a resource: the token is renewed and the request retried once, at once."""


class PersonioConnection:
    """What all streams of one tap share: its settings, one paced session and one authenticator.

    Each part is built on first use, so discovery (which the SDK runs on a config it only warns about)
    needs no credentials, and one run uses one token and one rate budget.
    """

    def __init__(self, config: Mapping[str, Any], logger: logging.Logger) -> None:
        self._config = config
        self._logger = logger

    @cached_property
    def settings(self) -> Settings:
        """The tap's settings, read once from its validated config."""
        return Settings.from_config(self._config)

    @cached_property
    def headers(self) -> dict[str, str]:
        """Headers Personio asks every integration to send."""
        headers = {"Accept": "application/json", "X-Personio-App-ID": self.settings.app_id}
        if self.settings.partner_id:
            headers["X-Personio-Partner-ID"] = self.settings.partner_id
        return headers

    @cached_property
    def session(self) -> PacedSession:
        """One keep-alive session for the whole run, paced per endpoint family."""
        pace = self.settings.pace_requests
        return PacedSession(
            auth_pacer=RequestPacer(AUTH_LIMITS) if pace else None,
            api_pacer=RequestPacer(EMPLOYEE_LIMITS) if pace else None,
        )

    @cached_property
    def authenticator(self) -> PersonioAuthenticator:
        """This tap's authenticator (per tap, never process-wide)."""
        settings = self.settings
        return PersonioAuthenticator(
            base_url=settings.base_url,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            session=self.session,
            headers=self.headers,
            timeout=float(settings.request_timeout),
            max_retries=settings.max_retries,
            backoff_seconds=settings.retry_backoff_seconds,
            logger=self._logger,
        )


@dataclass
class Progress:
    """Pages read and retries made in one stream's run, for its progress lines and its summary.

    Shared with a collaborator that requests on the stream's behalf (the departments' v1 fallback).
    """

    pages: int = 0
    retries: int = 0

    def reset(self) -> None:
        """Start counting a new run."""
        self.pages = self.retries = 0


class PersonioStream(RESTStream[Any]):
    """Base stream: everything about talking to Personio that is not specific to one resource."""

    def __init__(
        self,
        tap: Tap,
        connection: PersonioConnection,
        *,
        progress: Progress | None = None,
        schema: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(tap=tap, schema=schema)
        self.connection = connection
        self.progress = progress if progress is not None else Progress()
        self._reauthenticated: weakref.WeakSet[requests.PreparedRequest] = weakref.WeakSet()
        self.snapshot_version: int | None = None

    @property
    def settings(self) -> Settings:
        """The tap's settings (the SDK's `config` is their untyped source)."""
        return self.connection.settings

    # -- HTTP plumbing --------------------------------------------------------------------------
    @property
    @override
    def url_base(self) -> str:
        """Personio's API root from the `base_url` setting."""
        return self.settings.base_url

    @property
    @override
    def http_headers(self) -> dict[str, str]:
        """Identify the integration to Personio, as its support asks."""
        return {**self.connection.headers, "User-Agent": self.user_agent}

    @property
    @override
    def authenticator(self) -> Auth:
        """The tap's single authenticator, shared by its streams (one token per run)."""
        return self.connection.authenticator

    @property
    @override
    def requests_session(self) -> requests.Session:
        """The tap's paced session, so every stream draws on the same rate budget."""
        return self.connection.session

    @property
    @override
    def timeout(self) -> int:
        """Per-request timeout from `request_timeout`."""
        return self.settings.request_timeout

    @override
    def parse_response(self, response: requests.Response) -> Iterable[dict[str, Any]]:
        """Yield the rows of a page; subclasses say where they are via `rows_of`."""
        yield from self.rows_of(page_body(response))

    def rows_of(self, body: Any) -> Iterable[dict[str, Any]]:
        """Return the row list of a parsed page."""
        rows = body.get("data") if isinstance(body, Mapping) else None
        return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []

    # -- errors and retries ---------------------------------------------------------------------
    @override
    def validate_response(self, response: requests.Response) -> None:
        """Retry 429/5xx, re-authenticate once on 401/403, fail on other 4xx; never leak secrets."""
        status = response.status_code
        if status in (HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN):
            request = response.request
            if request not in self._reauthenticated:
                self._reauthenticated.add(request)
                self.connection.authenticator.invalidate(request.headers.get("Authorization"))
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

    @override
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
        secret = self.settings.client_secret
        if secret:
            text = text.replace(secret, "<redacted>")
        return _TOKEN_PATTERN.sub("<redacted>", text)

    @override
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

    @override
    def backoff_max_tries(self) -> int:
        """One try plus `max_retries` retries."""
        return self.settings.max_retries + 1

    @override
    def backoff_wait_generator(self) -> Generator[float, Any, None]:
        """Wait per failure kind: 0 before a re-authenticated retry, Retry-After on 429, else exponential."""
        base = self.settings.retry_backoff_seconds
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

    @override
    def backoff_handler(self, details: Details) -> None:
        """Log a retry without the request object (its headers carry the token)."""
        self.progress.retries += 1
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

    @abstractmethod
    def generate_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Yield this stream's records: what a subclass reads and how, without the snapshot protocol."""

    @property
    @override
    def emit_activate_version_messages(self) -> bool:
        """Never let the SDK send its ACTIVATE_VERSION before the records; we send ours after them."""
        return False

    @override
    def get_records(self, context: Context | None) -> Iterable[dict[str, Any]]:
        """Stamp snapshot records with a version and confirm the snapshot after its last record.

        Runs between the SDK writing the last RECORD and its final STATE. Any exception leaves this
        generator before the confirmation, so a cut-short snapshot never looks complete.
        """
        started = time.monotonic()
        complete = self.is_complete_snapshot(context)
        self.snapshot_version = int(time.time() * 1000) if complete else None
        self._stream_version = self.snapshot_version  # the SDK stamps it on every RECORD
        self.progress.reset()
        count = 0
        for record in self.generate_records(context):
            stop_if_asked(self._tap, self.name, count, self.logger)
            count += 1
            yield record
        stop_if_asked(self._tap, self.name, count, self.logger)  # a cut-short snapshot is never confirmed
        if self.snapshot_version is not None:
            self._write_activate_version_message(self.snapshot_version)  # the SDK's writer, per stream map
        self.logger.info(
            "%s: done: %d records, %d pages, %d retries, %.1f s; %s",
            self.name,
            count,
            self.progress.pages,
            self.progress.retries,
            time.monotonic() - started,
            f"complete snapshot, version {self.snapshot_version} activated"
            if self.snapshot_version is not None
            else "incremental batch (no version)",
        )

    @cached_property
    def flattening_levels(self) -> int:
        """How deep the tap's own flattening (`flattening_enabled`) splits objects into columns; 0 when off."""
        options = get_flattening_options(self.config)  # type: ignore[arg-type]
        return options.max_level if options.enabled and options.max_level > 0 else 0

    @override
    def post_process(self, row: dict[str, Any], context: Context | None = None) -> dict[str, Any] | None:
        """With flattening on, null objects become objects of nulls, so no record has an undeclared column."""
        if self.flattening_levels:
            null_objects.expand(row, self.schema["properties"], self.flattening_levels)
        return row

    def log_page(self, body: Any, rows: int, seen: int) -> None:
        """Progress: the first page, every tenth and the last, at INFO."""
        self.progress.pages += 1
        pages = self.progress.pages
        metadata = body.get("metadata") if isinstance(body, Mapping) else None
        total_pages = metadata.get("total_pages") if isinstance(metadata, Mapping) else None
        last = isinstance(total_pages, int) and pages >= total_pages
        if pages == 1 or pages % 10 == 0 or last:
            of = f"/{total_pages}" if isinstance(total_pages, int) else ""
            self.logger.info("%s: page %d%s: %d rows, %d records so far", self.name, pages, of, rows, seen)
