"""A stopped run says it stopped; every run leaves a report a person can open; notifications; the summary event."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from sandbox.leapsome import API_TOKEN

TARGET = [sys.executable, "-m", "target_leapsome.target"]
VOID = {"meta", "link", "br", "hr", "img", "input", "col", "area", "base", "wbr", "source", "track", "embed"}


def start_target(config: dict[str, Any], tmp_path: Path, stdin: Any) -> subprocess.Popen[str]:
    (tmp_path / "config.json").write_text(json.dumps(config))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TARGET_LEAPSOME_")}
    with (tmp_path / "target.log").open("w") as log:  # the child keeps its own copy
        return subprocess.Popen(
            [*TARGET, "--config", str(tmp_path / "config.json")],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=env,
        )


def wait_for(condition: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_sigterm_during_apply_stops_quickly_and_the_next_run_does_the_rest(make_leapsome, singer, tmp_path):
    leapsome = make_leapsome(rate_limit=False, latency_ms=15)
    people = [singer.employee(i) for i in range(1, 1001)]
    (tmp_path / "input.jsonl").write_text(singer.input(people))
    config = leapsome.config(max_requests_per_second=0, concurrency=4, report_dir=str(tmp_path / "runs"))
    with (tmp_path / "input.jsonl").open() as stdin:
        target = start_target(config, tmp_path, stdin)
        wait_for(lambda: leapsome.counters()["writes"] >= 40)
        stopped_at = time.monotonic()
        target.send_signal(signal.SIGTERM)
        stdout, _ = target.communicate(timeout=60)
    took = time.monotonic() - stopped_at
    log = (tmp_path / "target.log").read_text()
    assert target.returncode == 128 + signal.SIGTERM, log[-3000:]
    assert took < 5, f"stopping took {took:.1f} s"
    assert stdout.strip() == "", "no state after a stop"
    assert "Gracefully shutting down" not in log
    assert "target-leapsome stopped by SIGTERM" in log
    created = len(leapsome.by_external())
    assert 0 < created < 1000
    report = json.loads(sorted((tmp_path / "runs").glob("run-*.json"))[-1].read_text())
    assert report["outcome"] == "stopped"
    assert report["stopped"]["signal"] == "SIGTERM"
    assert report["stopped"]["not_started"], "the writes a stop kept from starting are named"
    assert report["writes"] >= created - 4  # every write that took was counted (a few may be in flight)
    assert report["verification"]["reads"] == 0
    assert f"{len(report['stopped']['not_started'])} planned writes did not start" in log

    done = leapsome.run(singer.input(people), max_requests_per_second=0)
    assert done.ok, done.error
    users = leapsome.state()["users"]
    names = [u["userName"].lower() for u in users]
    assert len(names) == len(set(names)), "no duplicates"
    assert set(leapsome.by_external()) == {str(i) for i in range(1, 1001)}
    assert f"created={1000 - created} " in done.log, "what the stop left undone, and nothing more"


def test_sigint_while_input_arrives_writes_nothing_and_exits_130(leapsome, singer, tmp_path):
    lines = singer.input([singer.employee(i) for i in range(1, 6)]).splitlines(keepends=True)
    config = leapsome.config(report_dir=str(tmp_path / "runs"))
    target = start_target(config, tmp_path, subprocess.PIPE)
    assert target.stdin is not None
    target.stdin.writelines(lines[:4])  # the input has not ended
    target.stdin.flush()
    leapsome.reset_counters()
    time.sleep(3)  # the target is up and reading
    target.send_signal(signal.SIGINT)
    stdout, _ = target.communicate(timeout=30)
    log = (tmp_path / "target.log").read_text()
    assert target.returncode == 128 + signal.SIGINT, log[-3000:]
    assert stdout.strip() == ""
    assert leapsome.counters()["reads"] == 0
    assert leapsome.counters()["writes"] == 0
    report = json.loads(next((tmp_path / "runs").glob("run-*.json")).read_text())
    assert report["outcome"] == "stopped"
    assert "while the input from tap-personio was arriving" in report["stopped"]["what"]


class PageCheck(HTMLParser):
    """Checks that every element is closed in order, and collects the text and the tags seen."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str | None]] = []
        self.text: list[str] = []
        self.counts: dict[str, str] = {}
        self._count: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.extend(attrs)
        for name, value in attrs:
            if name == "data-count" and value:
                self._count = value
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._count and data.strip() and self.stack and self.stack[-1] == "td" and data.strip().isdigit():
            self.counts[self._count] = data.strip()
            self._count = None

    @property
    def all_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def parse_page(path: Path) -> PageCheck:
    page = PageCheck()
    page.feed(path.read_text("utf-8"))
    page.close()
    assert not page.problems, page.problems[:5]
    assert not page.stack, f"unclosed: {page.stack}"
    return page


def words(text: str) -> str:
    return " ".join(text.split())


def hr_problems(singer) -> list[dict[str, Any]]:
    org = [singer.employee(1, first="Ada", last="Boss")]
    org += [singer.employee(i, supervisor=1, department=1 + i % 3) for i in range(2, 7)]
    org.append(singer.employee(7, first="No", last="Mail", email=None))
    org.append(singer.employee(8, first="Twin", last="One", email="twin@acme.example"))
    org.append(singer.employee(9, first="Twin", last="Two", email="TWIN@acme.example"))
    org.append(singer.employee(10, first="<script>alert(1)</script>", last="O'Brien & Co", email="bad-address@"))
    return org


def test_the_html_page_is_well_formed_escaped_secret_free_and_shows_what_the_json_shows(leapsome, singer, tmp_path):
    runs = tmp_path / "runs"
    done = leapsome.run(singer.input(hr_problems(singer)), report_dir=str(runs), report_path=str(tmp_path / "r.json"))
    assert done.ok, done.error
    pages = sorted(runs.glob("run-*.html"))
    assert len(pages) == 1
    assert (tmp_path / "r.html").exists()
    report = json.loads(pages[0].with_suffix(".json").read_text())
    assert report == json.loads((tmp_path / "r.json").read_text())
    html = pages[0].read_text()
    page = parse_page(pages[0])
    assert API_TOKEN not in html
    assert "script" not in page.tags, "no scripts"
    assert "<script" not in html, "values are escaped"
    assert not {"link", "img", "iframe"} & page.tags
    assert not any(name in {"src", "href"} and value and "//" in value for name, value in page.attributes)
    text = page.all_text
    assert report["skipped"], "the input has employees to skip"
    for skip in report["skipped"]:
        assert words(skip["subject"]) in text
        assert words(skip["reason"]) in text
    assert report["actions"]
    for action in report["actions"]:
        assert words(action["subject"]) in text
    assert page.counts == {key: str(value) for key, value in report["counts"].items()}
    assert report["outcome"] == "skips"


def test_a_dry_run_page_shows_the_plan(leapsome, singer, tmp_path):
    done = leapsome.run(singer.input(hr_problems(singer)), dry_run=True, report_path=str(tmp_path / "plan.json"))
    assert done.ok, done.error
    page = parse_page(tmp_path / "plan.html")
    report = json.loads((tmp_path / "plan.json").read_text())
    assert report["outcome"] == "dry_run"
    assert "dry run: none of them was made" in page.all_text
    assert words(report["plan"]) in page.all_text
    assert leapsome.by_external() == {}


def test_the_report_folder_keeps_the_last_n_runs(leapsome, singer, tmp_path):
    runs = tmp_path / "runs"
    for _ in range(3):
        assert leapsome.run(singer.input(hr_problems(singer)), report_dir=str(runs), report_history=2).ok
    assert len(list(runs.glob("run-*.json"))) == 2
    assert len(list(runs.glob("run-*.html"))) == 2


class Receiver:
    """A local incoming webhook on 127.0.0.1 that records what it is sent."""

    def __init__(self, status: int = 200) -> None:
        self.messages: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.messages.append(json.loads(body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/services/T000/B000/secret-hook-token-4711"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.close()


def test_notify_on_changes_messages_when_the_skipped_employees_change(leapsome, singer, receiver, tmp_path):
    settings = {"report_dir": str(tmp_path / "runs"), "notify_webhook_url": receiver.url, "notify_on": "changes"}
    first = leapsome.run(singer.input(hr_problems(singer)), **settings)
    assert first.ok
    assert len(receiver.messages) == 1
    text = receiver.messages[0]["text"]
    assert set(receiver.messages[0]) == {"text"}
    assert "skipped 4" in text
    assert "newly skipped 4" in text
    assert ".html" in text
    assert "Twin" not in text, "no names in a chat channel"
    again = leapsome.run(singer.input(hr_problems(singer)), **settings)
    assert again.ok
    assert len(receiver.messages) == 1, "same skips: no message"
    fixed = [e for e in hr_problems(singer) if e["id"] != 7]
    fixed.append(singer.employee(7, first="No", last="Mail"))
    assert leapsome.run(singer.input(fixed), **settings).ok
    assert len(receiver.messages) == 2
    assert "no longer skipped 1" in receiver.messages[1]["text"]
    for run in (first, again):
        assert receiver.url not in run.log
        assert "secret-hook-token-4711" not in run.log


def test_notify_on_failures_messages_a_failed_run_and_a_failing_webhook_never_fails_the_sync(
    leapsome, singer, receiver, tmp_path
):
    org = [singer.employee(1), singer.employee(2, status="retired")]
    failed = leapsome.run(singer.input(org), notify_webhook_url=receiver.url)
    assert not failed.ok
    assert len(receiver.messages) == 1
    assert "failed" in receiver.messages[0]["text"]
    assert leapsome.run(singer.input([singer.employee(1)]), notify_webhook_url=receiver.url).ok
    assert len(receiver.messages) == 1, "a good run is not a failure"

    broken = Receiver(status=500)
    try:
        result = leapsome.run(singer.input(org), notify_webhook_url=broken.url, allow_failures=True)
    finally:
        broken.close()
    assert result.ok, "a failing notification never fails the sync"
    assert "notification not sent: the webhook answered HTTP 500" in result.log
    gone = leapsome.run(
        singer.input(org), notify_webhook_url="http://127.0.0.1:9/hooks/gone-token-0815", allow_failures=True
    )
    assert gone.ok
    assert "notification not sent: ConnectionError" in gone.log
    assert "gone-token-0815" not in gone.log


def test_the_end_of_run_summary_is_one_structured_event(leapsome, singer):
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if hasattr(record, "run_summary"):
                records.append(record)

    keep = Keep()
    logging.getLogger().addHandler(keep)
    try:
        done = leapsome.run(singer.input(hr_problems(singer)))
    finally:
        logging.getLogger().removeHandler(keep)
    assert done.ok, done.error
    assert len(records) == 1
    event = records[0].run_summary  # type: ignore[attr-defined]
    assert json.loads(records[0].getMessage()) == event
    assert event["outcome"] == "skips"
    assert event["counts"]["skipped"] == 4
    assert event["counts"]["created"] == 6
    assert event["writes"] > 0
    assert event["duration_seconds"] > 0
