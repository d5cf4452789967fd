"""The Leapsome sandbox's Content API (`/v1`): answers checked against the official spec, and the invite states.

The spec is the committed contract `contracts/leapsome-content.json`, derived by `python -m contracts.derive`
from `../shared/leapsome-openapi/leapsome-content-api-openapi.yml` (only `GET /token` and `GET /employees`,
the operations the sandbox serves); `test_contracts_drift.py` re-derives it wherever `../shared` exists.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

from sandbox import leapsome
from sandbox.core import Knobs, running
from sandbox.leapsome import API_TOKEN, CONTENT_API_SECRET

SPEC_PATH = Path(__file__).resolve().parents[2] / "contracts" / "leapsome-content.json"
SPEC_SERVER = "https://api.leapsome.com"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCIM = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC_PATH))


class Content:
    """One sandbox with a Content API token, and its admin and SCIM sides."""

    def __init__(self, server: Any) -> None:
        self.server = server
        self.url = server.url
        self.http = requests.Session()
        token = self.http.get(f"{self.url}/v1/token", params={"secret": CONTENT_API_SECRET}, timeout=30).json()
        self.http.headers["Authorization"] = f"Bearer {token['token']}"

    def employees(self, **params: Any) -> requests.Response:
        return self.http.get(f"{self.url}/v1/employees", params=params, timeout=30)

    def admin(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, f"{self.url}/_admin{path}", json=body, timeout=30)

    def scim(self, method: str, path: str, body: Any = None) -> requests.Response:
        return requests.request(method, f"{self.url}/scim/v1{path}", json=body, headers=SCIM, timeout=30)


@pytest.fixture
def content(leapsome_factory):
    api = Content(leapsome_factory(rate_limit=False))
    yield api
    api.http.close()


def conform(spec: OpenAPI, server, response: requests.Response) -> Any:
    """Validate one real response against the operation it answers (spec server URL swapped in)."""
    request = response.request.copy()
    request.url = request.url.replace(server.url, SPEC_SERVER)
    spec.validate_response(RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(response))
    return response.json() if response.content else None


def test_token_exchange(spec, leapsome_factory):
    server = leapsome_factory(rate_limit=False)
    base = f"{server.url}/v1/token"
    issued = conform(spec, server, requests.get(base, params={"secret": CONTENT_API_SECRET}, timeout=30))
    assert issued["expiresIn"] == 18000
    assert issued["token"].count(".") == 2  # JWT-shaped
    for params in ({"secret": "wrong"}, {"secret": API_TOKEN}, {}):
        refused = requests.get(base, params=params, timeout=30)
        assert refused.status_code == 401, params
        conform(spec, server, refused)
        assert "secret" in refused.json()["message"]
    # The two credentials do not stand in for each other.
    bearer = {"Authorization": f"Bearer {issued['token']}"}
    assert requests.get(f"{server.url}/scim/v1/Users", headers=bearer, timeout=30).status_code == 403
    assert requests.get(f"{server.url}/v1/employees", headers=SCIM, timeout=30).status_code == 401
    assert requests.get(f"{server.url}/v1/employees", headers=bearer, timeout=30).status_code == 200


def test_validator_rejects_a_drifted_employee(spec, content):
    response = content.employees()
    conform(spec, content.server, response)
    response._content = response.content.replace(b'"status":"active"', b'"status":"accepted"', 1)
    with pytest.raises(Exception, match="not valid"):
        conform(spec, content.server, response)


def test_employees_page_and_filter(spec, content):
    for n in range(5):
        assert content.scim("POST", "/Users", {"userName": f"new{n}@acme.example", "externalId": str(n)}).ok
    whole = conform(spec, content.server, content.employees())
    assert whole["meta"] == {"page": 1, "pageSize": 100, "totalCount": 7}
    page = conform(spec, content.server, content.employees(page=2, pageSize=3))
    assert [e["email"] for e in page["data"]] == ["new1@acme.example", "new2@acme.example", "new3@acme.example"]
    assert page["meta"] == {"page": 2, "pageSize": 3, "totalCount": 7}
    beyond = conform(spec, content.server, content.employees(page=9, pageSize=3))
    assert beyond["data"] == []
    assert beyond["meta"]["totalCount"] == 7
    created = conform(spec, content.server, content.employees(status="created"))
    assert created["meta"]["totalCount"] == 5
    assert {e["status"] for e in created["data"]} == {"created"}
    assert all("externalId" not in e for e in created["data"])  # the spec's Employee has none
    one = conform(spec, content.server, content.employees(email="NEW4@acme.example"))
    assert [e["email"] for e in one["data"]] == ["new4@acme.example"]
    by_id = conform(spec, content.server, content.employees(employeeId=one["data"][0]["id"]))
    assert by_id["data"] == one["data"]
    named = conform(spec, content.server, content.employees(displayedName="olga"))
    assert [e["email"] for e in named["data"]] == ["office.manager@acme.example"]
    for status in ("removed", "preBoardingInvited"):
        assert conform(spec, content.server, content.employees(status=status))["data"] == []


def test_a_full_employee_conforms(spec, content):
    manager = content.scim("GET", '/Users?filter=userName eq "office.manager@acme.example"').json()["Resources"][0]
    made = content.scim(
        "POST", "/Users", {"userName": "jane@acme.example", "name": {"givenName": "Jane", "familyName": "Doe"}}
    ).json()
    patched = content.scim(
        "PATCH",
        f"/Users/{made['id']}",
        {
            "userName": "jane@acme.example",
            "title": "Engineer",
            ENTERPRISE: {
                "manager": manager["id"],
                "additionalManagers": ["it.admin@acme.example"],
                "department": "Engineering",
                "level": "Senior",
                "startDate": "2024-01-15",
                "endDate": "2026-12-31",
                "0123456789abcdef01234567": "Salary Class B",
            },
        },
    )
    assert patched.ok, patched.text
    [jane] = conform(spec, content.server, content.employees(employeeId=made["id"]))["data"]
    assert jane["manager"] == {"id": manager["id"], "name": "Olga Office"}
    assert [m["name"] for m in jane["additionalManagers"]] == ["Ivan Admin"]
    assert [t["name"] for t in jane["teams"]] == [t["name"] for t in jane["departments"]] == ["Engineering"]
    assert jane["startDate"] == "2024-01-15T00:00:00.000Z"
    assert jane["customAttributes"] == {"0123456789abcdef01234567": "Salary Class B"}
    assert (jane["fullname"], jane["displayedName"], jane["level"]) == ("Jane Doe", "Jane Doe", "Senior")


def test_refused_queries(content):
    for params in ({"employeeId": "nope"}, {"status": "accepted"}, {"page": 0}, {"pageSize": 1001}, {"page": "x"}):
        response = content.employees(**params)
        assert response.status_code == 400, params
        assert response.json()["message"]
    assert content.http.get(f"{content.url}/v1/goals", timeout=30).json() == {"message": "Not Found"}


def test_invite_states_through_scim_admin_and_options(content):
    jane = content.scim("POST", "/Users", {"userName": "jane@acme.example"}).json()

    def status() -> str:
        return content.employees(employeeId=jane["id"]).json()["data"][0]["status"]

    assert status() == "created"
    assert content.admin("PATCH", "/users/jane@acme.example", {"invite": "invited"}).json()["status"] == "invited"
    assert content.scim("PATCH", f"/Users/{jane['id']}", {"userName": "jane@acme.example", "active": False}).ok
    assert status() == "deactivated"
    assert content.scim("PATCH", f"/Users/{jane['id']}", {"userName": "jane@acme.example", "active": True}).ok
    assert status() == "invited"  # reactivated: still the invite state it had, never accepted
    state = content.admin("PATCH", f"/users/{jane['id']}", {"invite": "accepted", "title": "Engineer"}).json()
    assert (state["invite"], state["status"], state["title"]) == ("accepted", "active", "Engineer")
    assert status() == "active"
    assert content.admin("PATCH", "/users/jane@acme.example", {"invite": "maybe"}).status_code == 400
    assert content.admin("POST", "/options", {"auto_invite": "yes"}).status_code == 400
    assert content.admin("POST", "/options", {"auto_invite": True}).json()["auto_invite"] is True
    john = content.scim("POST", "/Users", {"userName": "john@acme.example"}).json()
    assert content.employees(employeeId=john["id"]).json()["data"][0]["status"] == "invited"
    hand = content.admin("POST", "/users", {"userName": "hand@acme.example", "invite": "accepted"}).json()
    assert hand["status"] == "active"
    seeded = [u for u in content.admin("GET", "/state").json()["users"] if u["externalId"] is None][:2]
    assert [u["status"] for u in seeded] == ["active", "active"]


def test_content_rate_limit_is_its_own_20_per_second(leapsome_factory):
    server = leapsome_factory()
    api = Content(server)  # one token request: 19 left in this second
    answers = [api.employees() for _ in range(20)]
    assert [r.status_code for r in answers[:19]] == [200] * 19
    assert answers[19].status_code == 429
    assert answers[19].json() == {"message": "Too Many Requests"}
    assert requests.get(f"{server.url}/scim/v1/Users", headers=SCIM, timeout=30).status_code == 200


def test_cli_flag_sets_auto_invite():
    parser = argparse.ArgumentParser()
    leapsome.add_arguments(parser)
    with running(leapsome.app_from_args(parser.parse_args(["--auto-invite"]), Knobs())) as server:
        options = requests.get(f"{server.url}/_admin/options", timeout=30).json()
    assert options["auto_invite"] is True
