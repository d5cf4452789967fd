"""Pure rules: time-zone conversion of the bookmark, Retry-After, flattening, settings, pacing, module layering."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import tap_personio
from tap_personio import flatten
from tap_personio.pacing import RequestPacer
from tap_personio.retry import rate_limit_wait, retry_after_seconds
from tap_personio.settings import DEFAULTS, MAX_PAGE_SIZE, Settings, setting_errors
from tap_personio.since import updated_since, wall_time

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("bookmark", "expected"),
    [
        ("2026-01-05T09:00:00+00:00", "2026-01-05T10:00:00"),  # winter: UTC+1
        ("2026-07-05T09:00:00.900+00:00", "2026-07-05T11:00:00"),  # summer: UTC+2, rounded down
        ("2026-03-29T01:30:00+00:00", "2026-03-29T03:30:00"),  # just after the spring gap
        ("2026-10-25T01:30:00+00:00", "2026-10-25T02:30:00"),  # second 02:30 (CET): latest reading is exact
        ("2026-10-25T00:30:00+00:00", "2026-10-25T01:30:00"),  # first 02:30 (CEST) is ambiguous: step back
    ],
)
def test_bookmark_converted_to_company_wall_time(bookmark, expected):
    assert wall_time(datetime.fromisoformat(bookmark), BERLIN).isoformat() == expected


@pytest.mark.parametrize("zone", [BERLIN, ZoneInfo("America/New_York"), ZoneInfo("UTC")])
def test_updated_since_never_starts_late_in_the_company_zone_or_in_utc(zone):
    """Personio does not say in which zone it reads the naive value: under both, the filter starts in time."""
    start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    for minutes in range(0, 30 * 60, 37):
        instant = start + timedelta(minutes=minutes)
        wall = datetime.fromisoformat(updated_since(instant, timedelta(0), zone))
        for reading in (zone, ZoneInfo("UTC")):
            for fold in (0, 1):
                assert wall.replace(tzinfo=reading, fold=fold).astimezone(UTC) <= instant
        assert instant - wall.replace(tzinfo=UTC) <= timedelta(hours=5)  # early by at most the offset


def test_wall_time_is_never_later_than_the_instant():
    start = datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    for minutes in range(0, 6 * 60, 7):
        instant = start + timedelta(minutes=minutes)
        wall = wall_time(instant, BERLIN)
        for fold in (0, 1):
            assert wall.replace(tzinfo=BERLIN, fold=fold).astimezone(UTC) <= instant


def test_lookback_is_subtracted_before_conversion():
    bookmark = datetime(2026, 1, 5, 0, 2, tzinfo=UTC)
    assert updated_since(bookmark, timedelta(seconds=300), ZoneInfo("UTC")) == "2026-01-04T23:57:00"
    assert updated_since(bookmark, timedelta(seconds=300), ZoneInfo("America/New_York")) == "2026-01-04T18:57:00"


def test_retry_after_seconds_and_http_date():
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("3", now) == 3.0
    assert retry_after_seconds("Thu, 01 Jan 2026 12:00:07 GMT", now) == 7.0
    assert retry_after_seconds("garbage", now) is None
    assert retry_after_seconds(None, now) is None
    assert rate_limit_wait(None, 0.05, 0) == 1.0  # at least 1 s without a hint
    assert rate_limit_wait("0", 0.05, 0) == 1.0
    assert rate_limit_wait("4", 0.05, 0) == 4.0


def test_pacer_holds_fifteen_per_second():
    clock = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds

    pacer = RequestPacer(((15, 1.05), (300, 61.0)), clock=lambda: clock[0], sleep=sleep)
    for _ in range(15):
        assert pacer.acquire() == 0
    assert pacer.acquire() == pytest.approx(1.05)
    for _ in range(300 - 16):
        pacer.acquire()
    assert clock[0] < 61.0
    pacer.acquire()  # the 301st in a minute waits for the minute window
    assert clock[0] >= 61.0


def _wrap(value, label="x", kind="standard", uid=None):
    return {"label": label, "value": value, "type": kind, "universal_id": uid}


def test_flatten_loose_shapes():
    row = {
        "type": "Employee",
        "attributes": {
            "id": _wrap(7, "ID", "integer", "id"),
            "first_name": _wrap("Zoë"),
            "preferred_name": _wrap(""),
            "weekly_working_hours": _wrap(40.0),
            "hire_date": _wrap("2014-11-09T00:00:00+01:00", kind="date"),
            "termination_date": _wrap("", kind="date"),
            "last_modified_at": _wrap("2020-11-18T17:33:55+01:00", kind="date"),
            "created_at": _wrap("2020-11-18T17:33:55", kind="date"),
            "department": _wrap({"type": "Department", "attributes": {"id": 5, "name": "Ops"}}),
            "office": _wrap(""),
            "team": _wrap([]),
            "supervisor": _wrap({"type": "Employee", "attributes": {"id": _wrap(2), "email": _wrap("B@x")}}),
            "cost_centers": _wrap([{"type": "CostCenter", "attributes": {"id": 1, "name": "A", "percentage": "50"}}]),
            "dynamic_2": _wrap(["a", "b"], "Tags", "tags"),
            "dynamic_1": _wrap("Dr", "Titel"),
        },
    }
    record = flatten.employee(row, BERLIN)
    assert record["id"] == 7
    assert record["first_name"] == "Zoë"
    assert record["preferred_name"] is None
    assert record["weekly_working_hours"] == 40.0
    assert record["hire_date"] == "2014-11-09"  # the calendar date, not shifted to UTC
    assert record["termination_date"] is None
    assert record["last_modified_at"] == "2020-11-18T16:33:55+00:00"
    assert record["created_at"] == "2020-11-18T16:33:55+00:00"  # naive: read in the company zone
    assert record["department"] == {"id": 5, "name": "Ops"}
    assert record["office"] is None
    assert record["team"] is None
    assert record["supervisor"] == {"id": 2, "email": "B@x", "first_name": None, "last_name": None}
    assert record["cost_centers"] == [{"id": 1, "name": "A", "percentage": 50.0}]
    assert record["custom_attributes"] == {"dynamic_1": "Dr", "dynamic_2": ["a", "b"]}  # typed by each wrapper
    assert "email" not in record  # not returned by Personio: unknown, so absent (not null)


def test_flatten_refuses_rows_without_id():
    with pytest.raises(flatten.MalformedEmployee):
        flatten.employee({"type": "Employee", "attributes": {"first_name": _wrap("A")}}, BERLIN)


@pytest.mark.parametrize(
    ("config", "setting"),
    [
        ({"base_url": "http://api.personio.de"}, "base_url"),
        ({"base_url": "ftp://127.0.0.1"}, "base_url"),
        ({"company_timezone": "Mars/Olympus"}, "company_timezone"),
    ],
)
def test_setting_errors_name_the_setting(config, setting):
    errors = setting_errors(config)
    assert errors
    assert errors[0].startswith(f"{setting}:")


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "https://x.example"])
def test_loopback_http_and_https_accepted(url):
    assert setting_errors({"base_url": url}) == []


def test_settings_take_their_defaults_from_the_schema_and_read_null_or_empty_as_unset():
    base = {"client_id": "id", "client_secret": "secret"}
    defaults = Settings.from_config(base)
    assert defaults == Settings.from_config({**base, **DEFAULTS})
    assert defaults.page_size == MAX_PAGE_SIZE
    assert defaults.lookback == timedelta(seconds=300)
    assert defaults.company_timezone == BERLIN
    assert defaults.pace_requests is True
    assert defaults.departments_from_org_units is True
    assert defaults.partner_id is None
    unset = dict.fromkeys(DEFAULTS) | {"base_url": "", "company_timezone": ""}
    assert Settings.from_config({**base, **unset}) == defaults
    assert setting_errors(unset) == []
    assert "secret" not in repr(defaults)


def test_tap_modules_import_no_cycle():
    """Not even under TYPE_CHECKING: a stream gets what it needs passed in, never the tap's module."""
    package = Path(tap_personio.__file__).parent
    imports: dict[str, set[str]] = {}
    for path in package.glob("*.py"):
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "tap_personio":
                found |= {alias.name for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tap_personio."):
                found.add(str(node.module).split(".")[1])
        imports[path.stem] = found - {path.stem}

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in imports.get(start, ()))

    assert [module for module in imports if reaches(module, module, set())] == []
