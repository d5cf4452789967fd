"""Every response shape a SCIM client sees from the Leapsome sandbox, checked against OpenAPI 1.1.3.

The spec is the committed contract `contracts/leapsome-scim.json`, which `python -m contracts.derive`
derives from the official `../shared/leapsome-openapi/leapsome-scim-api-openapi.yml` (every operation
used here, every validating keyword kept, prose dropped); `test_contracts_drift.py` re-derives it
wherever `../shared` exists and fails if it differs, so these tests need nothing outside the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_schema_validator import OAS30Validator

from sandbox.leapsome import API_TOKEN

SPEC_PATH = Path(__file__).resolve().parents[2] / "contracts" / "leapsome-scim.json"
SPEC_SERVER = "https://api.leapsome.com"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def plain_get(url: str, **kwargs) -> requests.Response:
    """An unauthenticated call with a timeout (admin endpoints, auth checks)."""
    return requests.get(url, timeout=30, **kwargs)


@pytest.fixture(scope="module")
def spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(SPEC_PATH))


@pytest.fixture(scope="module")
def error_validator() -> OAS30Validator:
    """The only error body the spec documents (GET /Users/{userId} 404); every error must have it."""
    raw = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    schema = raw["paths"]["/Users/{userId}"]["get"]["responses"]["404"]["content"]["application/json"]["schema"]
    return OAS30Validator({**schema, "required": ["schemas", "detail", "status"]})


@pytest.fixture
def scim(leapsome_factory):
    server = leapsome_factory(rate_limit=False)
    session = requests.Session()
    session.headers.update(AUTH)
    yield server, session
    session.close()


def conform(spec: OpenAPI, server, response: requests.Response) -> Any:
    """Validate one real response against the operation it answers (spec server URL swapped in)."""
    request = response.request.copy()
    request.url = request.url.replace(server.url, SPEC_SERVER)
    spec.validate_response(RequestsOpenAPIRequest(request), RequestsOpenAPIResponse(response))
    return response.json() if response.content else None


def scim_error(validator: OAS30Validator, response: requests.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    validator.validate(body)
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    return body


def test_validator_rejects_a_drifted_response(spec, scim):
    """Guard against a validator that accepts anything: a wrong type in a user must fail."""
    server, http = scim
    response = http.get(f"{server.url}/scim/v1/Users")
    conform(spec, server, response)
    response._content = response.content.replace(b'"active":true', b'"active":"yes"', 1)
    with pytest.raises(Exception, match="not valid"):
        conform(spec, server, response)


def test_user_list_pages_and_filter(spec, scim):
    server, http = scim
    base = f"{server.url}/scim/v1"
    whole = conform(spec, server, http.get(f"{base}/Users"))
    assert whole["totalResults"] == 2
    assert whole["itemsPerPage"] == 2
    assert whole["startIndex"] == 1
    page = conform(spec, server, http.get(f"{base}/Users", params={"count": 1, "startIndex": 2}))
    assert [u["userName"] for u in page["Resources"]] == ["it.admin@acme.example"]
    assert page["totalResults"] == 2
    assert page["startIndex"] == 2
    empty = conform(spec, server, http.get(f"{base}/Users", params={"count": 0}))
    assert empty["Resources"] == []
    assert empty["totalResults"] == 2
    one = conform(spec, server, http.get(f"{base}/Users", params={"filter": 'userName eq "it.admin@acme.example"'}))
    assert one["totalResults"] == 1


def test_user_lifecycle_shapes(spec, scim):
    server, http = scim
    base = f"{server.url}/scim/v1"
    created = conform(
        spec,
        server,
        http.post(
            f"{base}/Users",
            json={
                "userName": "jane.doe@acme.example",
                "externalId": "17",
                "name": {"givenName": "Jane", "familyName": "Doe"},
                "displayName": "Jane von Doe",
                "title": "Engineer",
                "photos": [{"value": "https://eu.ui-avatars.com/api/?name=Jane+Doe"}],
            },
        ),
    )
    assert isinstance(created["meta"]["created"], int)
    assert created["groups"] == []
    user_id = created["id"]
    assert len(user_id) == 24
    duplicate = http.post(f"{base}/Users", json={"userName": "JANE.DOE@acme.example"})
    assert duplicate.status_code == 201
    assert conform(spec, server, duplicate) == {}
    fetched = conform(spec, server, http.get(f"{base}/Users/{user_id}"))
    assert fetched["meta"]["location"].endswith(f"/scim/v1/Users/{user_id}")
    patched = conform(
        spec,
        server,
        http.patch(
            f"{base}/Users/{user_id}",
            json={
                "userName": "jane.doe@acme.example",
                "active": False,
                ENTERPRISE: {
                    "manager": "office.manager@acme.example",
                    "additionalManagers": ["it.admin@acme.example"],
                    "department": "Engineering",
                    "startDate": "2024-01-01",
                    "endDate": "2026-12-31",
                    "location": "Berlin",
                    "gender": "female",
                    "level": "Senior",
                },
            },
        ),
    )
    assert patched["active"] is False
    assert patched[ENTERPRISE]["manager"]["displayName"] == "Olga Office"
    replaced = conform(
        spec, server, http.put(f"{base}/Users/{user_id}", json={"userName": "jane.doe@acme.example", "title": "CTO"})
    )
    assert replaced["title"] == "CTO"
    assert "manager" not in replaced[ENTERPRISE]


def test_group_shapes(spec, scim):
    server, http = scim
    base = f"{server.url}/scim/v1"
    listed = conform(spec, server, http.get(f"{base}/Groups"))
    assert [g["displayName"] for g in listed["Resources"]] == ["Book Club"]
    created = http.post(f"{base}/Groups", json={"displayName": "Platform", "externalId": "personio-department-3"})
    assert created.status_code == 201
    group = conform(spec, server, created)
    users = http.get(f"{base}/Users").json()["Resources"]
    patched = http.patch(f"{base}/Groups/{group['id']}", json={"members": [{"value": u["id"]} for u in users]})
    assert conform(spec, server, patched)["members"] == []
    assert conform(spec, server, http.get(f"{base}/Groups/personio-department-3"))["id"] == group["id"]
    filtered = http.get(f"{base}/Groups", params={"filter": 'displayName eq "platform"', "count": 10})
    assert [g["id"] for g in conform(spec, server, filtered)["Resources"]] == [group["id"]]


def test_service_provider_config(spec, scim):
    server, http = scim
    config = conform(spec, server, http.get(f"{server.url}/scim/v1/ServiceProviderConfig"))
    assert config["patch"] == {"supported": True}
    assert config["bulk"] == {"supported": False}


def test_error_shapes(spec, error_validator, scim):
    server, http = scim
    base = f"{server.url}/scim/v1"
    users = http.get(f"{base}/Users").json()["Resources"]
    cases = [
        (http.post(f"{base}/Users", json={"name": {"givenName": "No"}}), 400),
        (http.patch(f"{base}/Users/{users[0]['id']}", json={"title": "x"}), 400),
        (plain_get(f"{base}/Users"), 401),
        (plain_get(f"{base}/Groups", headers={"Authorization": "Bearer wrong"}), 403),
        (http.get(f"{base}/Users/000000000000000000000000"), 404),
        (http.get(f"{base}/Groups/nope"), 404),
        (http.patch(f"{base}/Users/nope", json={"userName": "a@acme.example"}), 404),
        (http.post(f"{base}/Groups", json={"displayName": "book club"}), 409),
        (
            http.patch(f"{base}/Users/{users[0]['id']}", json={"userName": users[1]["userName"].upper()}),
            409,
        ),
    ]
    for response, status in cases:
        scim_error(error_validator, response, status)
        conform(spec, server, response)  # the status is one the operation documents
    server.app.options.update({"duplicate_create": "conflict"})
    conflict = http.post(f"{base}/Users", json={"userName": "it.admin@acme.example"})
    scim_error(error_validator, conflict, 409)
    conform(spec, server, conflict)


def test_rate_limit_error_shape(error_validator, leapsome_factory):
    server = leapsome_factory()
    with requests.Session() as http:
        http.headers.update(AUTH)
        statuses = [http.get(f"{server.url}/scim/v1/ServiceProviderConfig") for _ in range(31)]
    assert [r.status_code for r in statuses[:30]] == [200] * 30
    body = scim_error(error_validator, statuses[30], 429)
    assert body["detail"]
