"""The naive baseline: what a simple Personio → Leapsome sync script does, as a real, working sync.

It pages through every Personio employee, then for each one looks the user up by userName and writes it
(create + PATCH when new, PATCH when it exists, deactivate leavers), and in a second pass sets every
manager, as Leapsome's documentation asks (all users first, then managers). Teams come from the
enterprise `department` attribute, Leapsome's simplest route. No state, no diffing, no concurrency: each
run does the whole company again. It paces itself under both rate limits and retries 429s, so it is
slow only because of how many requests it makes, not because it trips over the limits.

Run: `python -m bench.naive --config FILE` (JSON: personio_url, client_id, client_secret, leapsome_url,
api_token). Prints a JSON summary on stdout; exits 1 if any write failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

import requests

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SYNCED = ("active", "leave")


class PacedClient:
    """One sequential session that keeps at most `per_second` requests a second and retries 429s."""

    def __init__(self, base_url: str, headers: dict[str, str], per_second: float) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update(headers)
        self.interval = 1.0 / per_second
        self.last = 0.0
        self.requests = 0

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send, waiting for the pace; on 429 wait (Retry-After or 1 s) and try again, up to 30 times."""
        for _attempt in range(30):
            wait = self.last + self.interval - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.last = time.monotonic()
            self.requests += 1
            response = self.session.request(method, self.base_url + path, timeout=60, **kwargs)
            if response.status_code != 429:
                return response
            time.sleep(float(response.headers.get("Retry-After") or 1))
        raise RuntimeError(f"{method} {path}: still rate limited after 30 attempts")


def _value(attributes: dict[str, Any], key: str) -> Any:
    wrapped = attributes.get(key)
    return wrapped.get("value") if isinstance(wrapped, dict) else None


def _employee(row: dict[str, Any]) -> dict[str, Any]:
    """Flatten the few attributes the script uses."""
    a = row["attributes"]
    supervisor = _value(a, "supervisor")
    department, office = _value(a, "department"), _value(a, "office")
    return {
        "id": _value(a, "id"),
        "email": str(_value(a, "email") or "").lower(),
        "first_name": _value(a, "first_name"),
        "last_name": _value(a, "last_name"),
        "preferred_name": _value(a, "preferred_name"),
        "status": _value(a, "status"),
        "position": _value(a, "position"),
        "hire_date": (_value(a, "hire_date") or "")[:10] or None,
        "termination_date": (_value(a, "termination_date") or "")[:10] or None,
        "supervisor_id": _value(supervisor["attributes"], "id") if supervisor else None,
        "department": department["attributes"]["name"] if department else None,
        "office": office["attributes"]["name"] if office else None,
    }


def fetch_employees(config: dict[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """Authenticate, then page through every employee, 100 at a time; also return the request count."""
    personio = PacedClient(config["personio_url"], {"X-Personio-App-ID": "NAIVE_BENCH"}, per_second=14)
    auth = personio.call(
        "POST", "/v1/auth", json={"client_id": config["client_id"], "client_secret": config["client_secret"]}
    )
    auth.raise_for_status()
    personio.session.headers["Authorization"] = f"Bearer {auth.json()['data']['token']}"
    employees: list[dict[str, Any]] = []
    offset, pages = 0, 1
    while offset // 100 < pages:
        response = personio.call("GET", "/v1/company/employees", params={"limit": 100, "offset": offset})
        response.raise_for_status()
        body = response.json()
        employees += [_employee(row) for row in body["data"]]
        pages = int(body["metadata"]["total_pages"])
        offset += 100
    return employees, personio.requests


def user_body(employee: dict[str, Any]) -> dict[str, Any]:
    """Everything the script maps, written every time (no diffing)."""
    full = " ".join(p for p in (employee["first_name"], employee["last_name"]) if p)
    return {
        "userName": employee["email"],
        "externalId": str(employee["id"]),
        "name": {"givenName": employee["first_name"], "familyName": employee["last_name"]},
        "displayName": employee["preferred_name"] or full,
        "title": employee["position"],
        "active": employee["status"] in SYNCED,
        "location": employee["office"],
        ENTERPRISE: {
            "department": employee["department"],
            "startDate": employee["hire_date"],
            "endDate": employee["termination_date"],
        },
    }


def sync(config: dict[str, Any]) -> dict[str, Any]:
    """Run the whole naive sync once and return what it did."""
    started = time.monotonic()
    employees, personio_requests = fetch_employees(config)
    leapsome = PacedClient(config["leapsome_url"], {"Authorization": f"Bearer {config['api_token']}"}, per_second=29)
    done: dict[str, Any] = {
        "employees": len(employees),
        "created": 0,
        "updated": 0,
        "managers": 0,
        "skipped": 0,
        "errors": 0,
    }
    ids: dict[str, str] = {}  # email -> Leapsome id, for the manager pass
    for employee in employees:
        if not employee["email"]:
            done["skipped"] += 1
            continue
        found = leapsome.call("GET", "/Users", params={"filter": f'userName eq "{employee["email"]}"'})
        found.raise_for_status()
        resources = found.json().get("Resources") or []
        user_id = resources[0]["id"] if resources else None
        if user_id is None:
            if employee["status"] not in SYNCED:
                done["skipped"] += 1
                continue
            body = user_body(employee)
            core = {k: body[k] for k in ("userName", "externalId", "name", "displayName", "title")}
            created = leapsome.call("POST", "/Users", json=core)
            if created.status_code != 201 or "id" not in created.json():
                done["errors"] += 1
                continue
            user_id = str(created.json()["id"])
            done["created"] += 1
        patched = leapsome.call("PATCH", f"/Users/{user_id}", json=user_body(employee))
        if patched.status_code != 200:
            done["errors"] += 1
            continue
        done["updated"] += 1
        ids[employee["email"]] = user_id
    by_id = {e["id"]: e for e in employees}
    for employee in employees:  # second pass: managers, now that every user exists
        supervisor = by_id.get(employee["supervisor_id"])
        if employee["status"] not in SYNCED or employee["email"] not in ids:
            continue
        manager = supervisor["email"] if supervisor and supervisor["status"] in SYNCED else ""
        body = {"userName": employee["email"], "manager": manager}
        response = leapsome.call("PATCH", f"/Users/{ids[employee['email']]}", json=body)
        done["managers" if response.status_code == 200 else "errors"] += 1
    done["personio_requests"] = personio_requests
    done["leapsome_requests"] = leapsome.requests
    done["seconds"] = round(time.monotonic() - started, 2)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.naive", description=__doc__)
    parser.add_argument("--config", required=True, help="JSON file: personio_url, client_id, ... (see above)")
    args = parser.parse_args(argv)
    with open(args.config, encoding="utf-8") as handle:
        config = json.load(handle)
    summary = sync(config)
    print(json.dumps(summary), flush=True)
    return 1 if summary["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
