"""The Personio sandbox's v2 webhooks: the management endpoints, and deliveries of admin changes with retries."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests

from sandbox.core import SandboxServer
from sandbox.personio import CLIENT_ID, CLIENT_SECRET

EVENTS = ["person.created", "person.updated", "person.deleted", "employment.created", "employment.updated"]
TOKEN = "hook-token-0123456789"


class Capture:
    """A loopback receiver that records deliveries and answers with the next planned status (default 200)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.plan: list[int] = []
        self.delay = 0.0
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                capture.received.append({"headers": dict(self.headers), "body": json.loads(body)})
                time.sleep(capture.delay)
                status = capture.plan.pop(0) if capture.plan else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def capture() -> Iterator[Capture]:
    receiver = Capture()
    yield receiver
    receiver.stop()


def bearer(url: str) -> dict[str, str]:
    form = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    token = requests.post(f"{url}/v2/auth/token", data=form, timeout=10).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def hook_body(target: str, **changes: Any) -> dict[str, Any]:
    return {
        "url": target,
        "description": "test",
        "status": "ENABLED",
        "token": TOKEN,
        "enabled_events": EVENTS,
        **changes,
    }


def admin(server: SandboxServer, method: str, path: str, payload: Any = None) -> Any:
    answer = requests.request(method, f"{server.url}/_admin/{path}", json=payload, timeout=10)
    answer.raise_for_status()
    return answer.json() if answer.content else None


def wait_until(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def subscribe(server: SandboxServer, url: str, **changes: Any) -> dict[str, Any]:
    answer = requests.post(
        f"{server.url}/v2/webhooks", json=hook_body(url, **changes), headers=bearer(server.url), timeout=10
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_create_list_get_update_delete(personio_sandbox: SandboxServer) -> None:
    url, headers = personio_sandbox.url, bearer(personio_sandbox.url)
    created = subscribe(personio_sandbox, "https://hooks.example/personio")
    assert created["status"] == "ENABLED"
    assert created["auth_type"] == "TOKEN"
    assert "token" not in created  # write-only
    listed = requests.get(f"{url}/v2/webhooks", headers=headers, timeout=10).json()
    assert [h["id"] for h in listed["_data"]] == [created["id"]]
    one = requests.get(f"{url}/v2/webhooks/{created['id']}", headers=headers, timeout=10)
    assert one.json()["url"] == "https://hooks.example/personio"
    patched = requests.patch(
        f"{url}/v2/webhooks/{created['id']}", json={"status": "DISABLED"}, headers=headers, timeout=10
    )
    assert patched.status_code == 200
    assert patched.json()["status"] == "DISABLED"
    assert requests.delete(f"{url}/v2/webhooks/{created['id']}", headers=headers, timeout=10).status_code == 204
    assert requests.get(f"{url}/v2/webhooks/{created['id']}", headers=headers, timeout=10).status_code == 404
    assert requests.get(f"{url}/v2/webhooks", headers=headers, timeout=10).json()["_data"] == []
    counted = admin(personio_sandbox, "GET", "counters")["by_route"]
    assert counted["POST webhooks"] == 1
    assert counted["DELETE webhook"] == 1


def test_the_list_pages_with_next_links(personio_sandbox: SandboxServer) -> None:
    for number in range(3):
        subscribe(personio_sandbox, f"https://hooks.example/{number}")
    headers = bearer(personio_sandbox.url)
    page = requests.get(f"{personio_sandbox.url}/v2/webhooks?limit=2", headers=headers, timeout=10).json()
    assert len(page["_data"]) == 2
    rest = requests.get(page["_meta"]["links"]["next"]["href"], headers=headers, timeout=10).json()
    assert len(rest["_data"]) == 1
    assert "next" not in rest["_meta"]["links"]


@pytest.mark.parametrize(
    ("changes", "status"),
    [
        ({"url": "http://hooks.example/personio"}, 422),  # plain http only for loopback
        ({"enabled_events": []}, 422),
        ({"enabled_events": ["person.exploded"]}, 422),
        ({"status": "ON"}, 422),
        ({"token": None}, 422),  # auth type TOKEN needs one
        ({"auth_type": "CUSTOM"}, 422),  # CUSTOM needs custom_headers
    ],
)
def test_invalid_webhooks_are_refused(personio_sandbox: SandboxServer, changes: dict[str, Any], status: int) -> None:
    answer = requests.post(
        f"{personio_sandbox.url}/v2/webhooks",
        json=hook_body("https://hooks.example/personio", **changes),
        headers=bearer(personio_sandbox.url),
        timeout=10,
    )
    assert answer.status_code == status
    assert answer.headers["Content-Type"].startswith("application/problem+json")


def test_management_needs_a_token_and_a_url_is_registered_once(personio_sandbox: SandboxServer) -> None:
    url = personio_sandbox.url
    assert requests.get(f"{url}/v2/webhooks", timeout=10).status_code == 401
    bad = {"Authorization": "Bearer papi-nope"}
    assert (
        requests.post(f"{url}/v2/webhooks", json=hook_body("https://x.example/"), headers=bad, timeout=10).status_code
        == 401
    )
    subscribe(personio_sandbox, "https://x.example/")
    again = requests.post(f"{url}/v2/webhooks", json=hook_body("https://x.example/"), headers=bearer(url), timeout=10)
    assert again.status_code == 409


def test_hire_update_delete_are_delivered_dataless_with_the_token(
    personio_sandbox: SandboxServer, capture: Capture
) -> None:
    hook = subscribe(personio_sandbox, capture.url)
    hired = admin(personio_sandbox, "POST", "employees", {"first_name": "Grace", "last_name": "Hopper"})
    wait_until(lambda: len(capture.received) == 2)
    admin(personio_sandbox, "PATCH", f"employees/{hired['id']}", {"first_name": "Amazing"})
    wait_until(lambda: len(capture.received) == 3)
    admin(personio_sandbox, "PATCH", f"employees/{hired['id']}", {"position": "Admiral"})
    wait_until(lambda: len(capture.received) == 4)
    admin(personio_sandbox, "PATCH", f"employees/{hired['id']}", {"position": "Admiral"})  # no change: no event
    admin(personio_sandbox, "DELETE", f"employees/{hired['id']}")
    wait_until(lambda: len(capture.received) == 5)  # person.deleted; employment.deleted is not enabled
    names = sorted(r["body"]["event_name"] for r in capture.received)
    assert names == ["employment.created", "employment.updated", "person.created", "person.deleted", "person.updated"]
    for delivery in capture.received:
        assert delivery["headers"]["Authorization"] == TOKEN  # verbatim, no prefix
        body = delivery["body"]
        assert set(body) == {"company_id", "event_name", "occurred_at", "payload", "meta"}
        assert body["payload"]["id"] == str(hired["id"])
        assert "Grace" not in json.dumps(body)  # dataless
        assert body["meta"]["webhook_id"] == hook["id"]
    wait_until(lambda: admin(personio_sandbox, "GET", "webhooks")["counters"]["delivered"] == 5)
    assert admin(personio_sandbox, "GET", "webhooks")["counters"]["requests"] == 5


def test_disabled_webhooks_get_nothing(personio_sandbox: SandboxServer, capture: Capture) -> None:
    subscribe(personio_sandbox, capture.url, status="DISABLED")
    admin(personio_sandbox, "POST", "employees", {"first_name": "Nobody"})
    time.sleep(0.3)
    assert capture.received == []
    assert admin(personio_sandbox, "GET", "webhooks")["counters"]["events"] == 0


def test_failed_deliveries_are_retried_a_bounded_number_of_times(
    personio_sandbox: SandboxServer, capture: Capture
) -> None:
    admin(personio_sandbox, "POST", "webhooks", {"retry_delays": [0.05, 0.05, 0.05]})
    subscribe(personio_sandbox, capture.url, enabled_events=["person.created"])
    capture.plan = [500, 503]
    admin(personio_sandbox, "POST", "employees", {"first_name": "Retry"})
    wait_until(lambda: admin(personio_sandbox, "GET", "webhooks")["counters"]["delivered"] == 1)
    assert len(capture.received) == 3
    assert [r["body"]["meta"]["attempt"] for r in capture.received] == [1, 2, 3]
    capture.plan = [502] * 10
    admin(personio_sandbox, "POST", "employees", {"first_name": "Doomed"})
    wait_until(lambda: admin(personio_sandbox, "GET", "webhooks")["counters"]["gave_up"] == 1)
    assert len(capture.received) == 3 + 4  # four attempts in all, then it gives up
    capture.plan = [501]
    admin(personio_sandbox, "POST", "employees", {"first_name": "NotImplemented"})
    wait_until(lambda: admin(personio_sandbox, "GET", "webhooks")["counters"]["failed"] == 1)
    time.sleep(0.3)
    assert len(capture.received) == 3 + 4 + 1  # 501 and other non-5xx answers are not retried


def test_a_slow_receiver_is_retried_and_does_not_slow_admin_calls(
    personio_sandbox: SandboxServer, capture: Capture
) -> None:
    admin(personio_sandbox, "POST", "webhooks", {"retry_delays": [0.05]})
    subscribe(personio_sandbox, capture.url, enabled_events=["person.created"])
    capture.delay = 3.5  # longer than the 3 s deadline
    started = time.monotonic()
    admin(personio_sandbox, "POST", "employees", {"first_name": "Patient"})
    assert time.monotonic() - started < 0.5
    wait_until(lambda: len(capture.received) == 2, timeout=10)
    capture.delay = 0
    wait_until(lambda: admin(personio_sandbox, "GET", "webhooks")["counters"]["gave_up"] == 1, timeout=10)


def test_an_unreachable_receiver_gives_up(personio_sandbox: SandboxServer) -> None:
    admin(personio_sandbox, "POST", "webhooks", {"retry_delays": [0.01, 0.01]})
    subscribe(personio_sandbox, "http://127.0.0.1:9/hook", enabled_events=["person.created"])
    admin(personio_sandbox, "POST", "employees", {"first_name": "Lost"})
    wait_until(lambda: admin(personio_sandbox, "GET", "webhooks")["counters"]["gave_up"] == 1)
    counters = admin(personio_sandbox, "GET", "webhooks")["counters"]
    assert (counters["requests"], counters["retries"], counters["delivered"]) == (3, 2, 0)
