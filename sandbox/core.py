"""The machinery both API sandboxes share: routing, knobs, faults, rate limits, counters, the server.

A sandbox is a `SandboxApp` subclass that registers routes and owns its data. This module gives it an
HTTP/1.1 keep-alive server on loopback (in a thread for tests, in the foreground for the CLI), a
`/_admin` surface to turn knobs and read counters, seeded fault injection and sliding-window rate
limits. Admin requests are never delayed, faulted, rate limited or counted.
"""

from __future__ import annotations

import json
import random
import re
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field, fields
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

JSON = dict[str, Any]


@dataclass
class Request:
    """One HTTP request as the handlers see it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def arg(self, name: str, default: str | None = None) -> str | None:
        """Return the first value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        """Parse the body as JSON; raises ValueError on malformed input."""
        return json.loads(self.body.decode("utf-8")) if self.body else None

    def form(self) -> dict[str, str]:
        """Parse an application/x-www-form-urlencoded body."""
        parsed = parse_qs(self.body.decode("utf-8"), keep_blank_values=True)
        return {key: values[0] for key, values in parsed.items()}

    @property
    def is_write(self) -> bool:
        return self.method not in {"GET", "HEAD", "OPTIONS"}


@dataclass
class Response:
    """What a handler returns; `body` is JSON-encoded unless it is already bytes."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"

    def encode(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


class DropConnection(Exception):
    """Raised (or returned via the fault knobs) to close the socket without answering."""


Handler = Callable[..., Response]


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    name: str
    handler: Handler


@dataclass
class Knobs:
    """Behaviour switches, settable at start and at run time through `POST /_admin/knobs`."""

    latency_ms: float = 0.0
    fault_rate: float = 0.0  # share of API requests answered with a 5xx before doing anything
    drop_rate: float = 0.0  # share of API requests whose connection is dropped before doing anything
    lost_write_rate: float = 0.0  # share of writes applied, then the connection dropped (response lost)
    rate_limit: bool = True
    retry_after: bool = True  # send a Retry-After header with 429s (Leapsome documents none)
    seed: int = 0

    def update(self, changes: JSON) -> None:
        known = {f.name: f.type for f in fields(self)}
        for key, value in changes.items():
            if key not in known:
                raise ValueError(f"unknown knob {key!r}; known: {sorted(known)}")
            current = getattr(self, key)
            if isinstance(current, bool) and not isinstance(value, bool):
                raise ValueError(f"knob {key!r} takes true or false")
            setattr(self, key, type(current)(value))


class SlidingWindowLimiter:
    """At most `limit` requests in any `window` seconds, per key; thread-safe.

    A sliding log is the strictest reading of a documented "N per second/minute": a client that
    passes it passes any fixed-window implementation too.
    """

    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._hits: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self, now: float | None = None) -> float | None:
        """Record a hit and return None, or return the seconds to wait when over the limit."""
        now = time.monotonic() if now is None else now
        with self._lock:
            while self._hits and self._hits[0] <= now - self.window:
                self._hits.popleft()
            if len(self._hits) >= self.limit:
                return max(self._hits[0] + self.window - now, 0.001)
            self._hits.append(now)
            return None

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()


class Counters:
    """Request counters the benchmarks and tests read: by route, by method, writes, 429s, faults."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.by_route: Counter[str] = Counter()
            self.by_method: Counter[str] = Counter()
            self.by_status: Counter[int] = Counter()
            self.total = 0
            self.reads = 0
            self.writes = 0
            self.rate_limited = 0
            self.faults: Counter[str] = Counter()
            self.peak_per_second = 0
            self._second = 0
            self._in_second = 0

    def count(self, request: Request, route_name: str, status: int) -> None:
        with self._lock:
            self.total += 1
            self.by_route[f"{request.method} {route_name}"] += 1
            self.by_method[request.method] += 1
            self.by_status[status] += 1
            if status == 429:
                self.rate_limited += 1
            elif request.is_write:
                self.writes += 1
            else:
                self.reads += 1
            second = int(time.monotonic())
            if second != self._second:
                self._second, self._in_second = second, 0
            self._in_second += 1
            self.peak_per_second = max(self.peak_per_second, self._in_second)

    def fault(self, kind: str) -> None:
        with self._lock:
            self.faults[kind] += 1

    def snapshot(self) -> JSON:
        with self._lock:
            return {
                "total": self.total,
                "reads": self.reads,
                "writes": self.writes,
                "rate_limited": self.rate_limited,
                "peak_per_second": self.peak_per_second,
                "by_route": dict(self.by_route),
                "by_method": dict(self.by_method),
                "by_status": {str(k): v for k, v in self.by_status.items()},
                "faults": dict(self.faults),
            }


class SandboxApp:
    """Base class of a sandbox: routes, knobs, counters; subclasses add routes and data.

    Subclasses override `error_response` (their API's error shape), `limiters_for` (which rate
    limits a request draws on) and register routes with `self.route(...)` in `__init__`.
    """

    name = "sandbox"

    def __init__(self, knobs: Knobs | None = None) -> None:
        self.knobs = knobs or Knobs()
        self.counters = Counters()
        self.lock = threading.RLock()  # guards the sandbox's data
        self._rng = random.Random(self.knobs.seed)
        self._rng_lock = threading.Lock()
        self._routes: list[Route] = []
        self._admin_routes: list[Route] = []
        shared: list[tuple[str, str, Handler]] = [
            ("GET", "/_admin/counters", self._get_counters),
            ("POST", "/_admin/counters/reset", self._reset_counters),
            ("GET", "/_admin/knobs", self._get_knobs),
            ("POST", "/_admin/knobs", self._set_knobs),
        ]
        for method, path, handler in shared:
            self.admin(method, path, handler)

    # -- registration -------------------------------------------------------------------------
    def route(self, method: str, path: str, handler: Handler, name: str | None = None) -> None:
        """Register an API route; `{name}` segments become keyword arguments of the handler."""
        self._routes.append(Route(method, _compile(path), name or path, handler))

    def admin(self, method: str, path: str, handler: Handler) -> None:
        """Register an admin route (no latency, faults, limits or counting)."""
        self._admin_routes.append(Route(method, _compile(path), path, handler))

    # -- hooks for subclasses -----------------------------------------------------------------
    def error_response(self, status: int, message: str) -> Response:
        return Response(status=status, body={"error": message})

    def limiters_for(self, request: Request, route_name: str) -> list[SlidingWindowLimiter]:
        return []

    # -- request handling ---------------------------------------------------------------------
    def chance(self, rate: float) -> bool:
        """A seeded coin flip, so a fault sequence is reproducible for a given request order."""
        if rate <= 0:
            return False
        with self._rng_lock:
            return self._rng.random() < rate

    def handle(self, request: Request) -> Response:
        """Answer one request, or raise DropConnection to close the socket without answering."""
        if request.path.startswith("/_admin/"):
            return self._dispatch(self._admin_routes, request)[1]
        if self.knobs.latency_ms > 0:
            time.sleep(self.knobs.latency_ms / 1000.0)
        route = self._match(self._routes, request)
        route_name = route[0].name if route else request.path
        if self.knobs.rate_limit and route:
            for limiter in self.limiters_for(request, route_name):
                wait = limiter.acquire()
                if wait is not None:
                    response = self.error_response(429, "Too Many Requests")
                    if self.knobs.retry_after:
                        response.headers.setdefault("Retry-After", str(max(1, round(wait))))
                    self.counters.count(request, route_name, 429)
                    return response
        if self.chance(self.knobs.drop_rate):
            self.counters.fault("dropped")
            raise DropConnection
        if self.chance(self.knobs.fault_rate):
            self.counters.fault("5xx")
            response = self.error_response(self._rng_choice([500, 502, 503]), "Injected server error")
            self.counters.count(request, route_name, response.status)
            return response
        name, response = self._dispatch(self._routes, request)
        self.counters.count(request, name, response.status)
        if request.is_write and response.status < 400 and self.chance(self.knobs.lost_write_rate):
            self.counters.fault("lost_write")
            raise DropConnection
        return response

    def _rng_choice(self, options: list[int]) -> int:
        with self._rng_lock:
            return self._rng.choice(options)

    def _match(self, routes: list[Route], request: Request) -> tuple[Route, dict[str, str]] | None:
        for route in routes:
            match = route.pattern.fullmatch(request.path)
            if match and route.method == request.method:
                return route, match.groupdict()
        return None

    def _dispatch(self, routes: list[Route], request: Request) -> tuple[str, Response]:
        found = self._match(routes, request)
        if found is None:
            allowed = any(r.pattern.fullmatch(request.path) for r in routes)
            status = 405 if allowed else 404
            return request.path, self.error_response(status, "Method Not Allowed" if allowed else "Not Found")
        route, params = found
        return route.name, route.handler(request, **params)

    def _get_counters(self, _request: Request) -> Response:
        return Response(body=self.counters.snapshot())

    def _reset_counters(self, _request: Request) -> Response:
        self.counters.reset()
        for limiter in self.all_limiters():
            limiter.reset()
        return Response(body=self.counters.snapshot())

    def _get_knobs(self, _request: Request) -> Response:
        return Response(body=asdict(self.knobs))

    def _set_knobs(self, request: Request) -> Response:
        try:
            self.knobs.update(request.json() or {})
        except (ValueError, TypeError) as exc:
            return Response(status=400, body={"error": str(exc)})
        with self._rng_lock:
            self._rng = random.Random(self.knobs.seed)
        return Response(body=asdict(self.knobs))

    def all_limiters(self) -> list[SlidingWindowLimiter]:
        """Every limiter the sandbox owns, so a counter reset also clears the windows."""
        return [v for v in vars(self).values() if isinstance(v, SlidingWindowLimiter)]


def _compile(path: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # otherwise every keep-alive answer waits ~40 ms for a delayed ACK
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: the counters are the record

    def _serve(self) -> None:
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request = Request(
            method=self.command,
            path=split.path,
            query=parse_qs(split.query, keep_blank_values=True),
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        try:
            response = self.server.app.handle(request)
        except DropConnection:
            self.close_connection = True
            with suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        payload = response.encode()
        self.send_response(response.status)
        if payload:
            self.send_header("Content-Type", f"{response.content_type}; charset=utf-8")
        for key, value in response.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], app: SandboxApp) -> None:
        self.app = app
        super().__init__(address, _Handler)


class SandboxServer:
    """Runs a SandboxApp on loopback; `port=0` picks a free port (what the test fixtures use)."""

    def __init__(self, app: SandboxApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self._server = _Server((host, port), app)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() waits up to one poll interval
            name=self.app.name,
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)


KNOB_NAMES = frozenset(f.name for f in fields(Knobs))


def split_knobs(options: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate `Knobs` fields from a sandbox's own options (how the test factories take keyword arguments)."""
    knobs = {k: v for k, v in options.items() if k in KNOB_NAMES}
    return knobs, {k: v for k, v in options.items() if k not in KNOB_NAMES}


@contextmanager
def server_pool() -> Iterator[Callable[[SandboxApp], SandboxServer]]:
    """Start servers on demand and stop them all at the end: the life cycle of the pytest factories."""
    servers: list[SandboxServer] = []

    def serve(app: SandboxApp) -> SandboxServer:
        server = SandboxServer(app).start()
        servers.append(server)
        return server

    try:
        yield serve
    finally:
        for server in servers:
            server.stop()


@contextmanager
def running(app: SandboxApp, port: int = 0) -> Iterator[SandboxServer]:
    """Run `app` in a background thread for the duration of the block."""
    server = SandboxServer(app, port=port).start()
    try:
        yield server
    finally:
        server.stop()
