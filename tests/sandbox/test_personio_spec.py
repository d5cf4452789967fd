"""The Personio sandbox's responses, validated against Personio's official OpenAPI documents.

The documents are read from the committed contracts in `contracts/`, which `python -m contracts.derive`
derives from the official specs in `../shared/personio-openapi` (only the operations and components
used here, every validating keyword kept, prose dropped); `test_contracts_drift.py` re-derives them
wherever `../shared` exists and fails if they differ, so these tests need nothing outside the repository.

v1 (auth, employees, single employee, attributes) goes through openapi-core's response validation on
the contracts of the official `personio-auth-api.yaml` and `personio-personnel-data-api-oa3.yaml`
(`personio-v1-auth.json`, `personio-v1-personnel-data.json`), with two patches to the personnel-data
spec that are needed for *any* real response to validate (both are spec defects):

1. `Response.data` is `type: object`, and `EmployeesResponse` is `allOf: [Response, {data: array}]`,
   which no document can satisfy (the spec's own example fails it). The patch drops `type` from
   `Response.data`.
2. The relation attributes (`Office`, `Department`, `Team`, `Supervisor`, `ShortEmployee`) declare
   `value` as a non-nullable object, but an employee without a team or supervisor has `value: null`.
   The patch marks those values `nullable`.

Error bodies whose status the spec does not list for the operation are validated against the
components they document (`ErrorResponse` for v1). v2 has no org-units spec in the shared copies:
its error bodies are validated against `common-components-v2.json#/ErrorResponse`, its `_meta`
against `MetaObject` (contract `personio-v2-common-components.json`), and the unit fields against the
shape the reference (§3.3) describes. The v2 token answer is validated against the unofficial
`auth.yaml` (contract `personio-v2-auth.json`; the official credentials spec is not stored); its 400
body against the fields listed in the reference (§1.2).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from jsonschema import FormatChecker, ValidationError
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_schema_validator import OAS30Validator, OAS31Validator

from sandbox.personio import CLIENT_ID, CLIENT_SECRET

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
PERSONNEL = CONTRACTS / "personio-v1-personnel-data.json"
REAL_HOST = "https://api.personio.de"


@pytest.fixture(scope="module")
def personnel_spec() -> OpenAPI:
    spec = json.loads(PERSONNEL.read_text(encoding="utf-8"))  # status codes are strings there already
    schemas = spec["components"]["schemas"]
    del schemas["Response"]["properties"]["data"]["type"]
    for name in ("Office", "Department", "Team"):
        schemas[name]["properties"]["value"]["nullable"] = True
    schemas["ShortEmployee"]["nullable"] = True
    return OpenAPI.from_dict(spec)


@pytest.fixture(scope="module")
def auth_spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(CONTRACTS / "personio-v1-auth.json"))


@pytest.fixture(scope="module")
def v2_token_spec() -> OpenAPI:
    return OpenAPI.from_file_path(str(CONTRACTS / "personio-v2-auth.json"))


@pytest.fixture(scope="module")
def v1_components() -> dict[str, Any]:
    return json.loads(PERSONNEL.read_text(encoding="utf-8"))["components"]


@pytest.fixture(scope="module")
def v2_components() -> dict[str, Any]:
    return json.loads((CONTRACTS / "personio-v2-common-components.json").read_text(encoding="utf-8"))["components"]


def component_validator(components: dict[str, Any], name: str) -> OAS30Validator:
    root = {"$ref": f"#/components/schemas/{name}", "components": components}
    return OAS30Validator(root, format_checker=FormatChecker())


def against_spec(spec: OpenAPI, response: requests.Response, base_url: str) -> None:
    """Validate a real sandbox response as if it had come from api.personio.de."""
    sent = response.request.copy()
    sent.url = str(sent.url).replace(base_url, REAL_HOST)
    spec.validate_response(RequestsOpenAPIRequest(sent), RequestsOpenAPIResponse(response))


def get(url: str, **kwargs: Any) -> requests.Response:
    return requests.get(url, timeout=10, **kwargs)


def post(url: str, **kwargs: Any) -> requests.Response:
    return requests.post(url, timeout=10, **kwargs)


def token(url: str) -> str:
    answer = post(f"{url}/v1/auth", json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    return str(answer.json()["data"]["token"])


def test_v1_auth_success_json_and_form(personio_sandbox, auth_spec):
    url = personio_sandbox.url
    by_json = post(f"{url}/v1/auth", json={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    by_form = post(f"{url}/v1/auth", data={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    for answer in (by_json, by_form):
        assert answer.status_code == 200
        against_spec(auth_spec, answer, url)
        assert answer.json()["data"]["token"].startswith("papi-")


def test_v1_auth_errors_use_the_v1_error_shape(personio_sandbox, v1_components):
    url = personio_sandbox.url
    validator = component_validator(v1_components, "ErrorResponse")
    wrong = post(f"{url}/v1/auth", json={"client_id": CLIENT_ID, "client_secret": "nope"})
    query = post(f"{url}/v1/auth", params={"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET})
    missing = post(f"{url}/v1/auth", json={"client_id": CLIENT_ID})
    for answer, status in ((wrong, 401), (query, 403), (missing, 400)):
        assert answer.status_code == status
        body = answer.json()
        validator.validate(body)
        assert body == {"success": False, "error": {"code": status, "message": body["error"]["message"]}}
    assert CLIENT_SECRET not in wrong.text + query.text + missing.text


def test_v2_token_success_and_errors(personio_sandbox, v2_token_spec):
    url = personio_sandbox.url
    good = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    answer = post(f"{url}/v2/auth/token", data=good)
    assert answer.status_code == 200
    sent = answer.request.copy()
    sent.url = f"{REAL_HOST}/v2/auth/token"
    v2_token_spec.validate_response(RequestsOpenAPIRequest(sent), RequestsOpenAPIResponse(answer))
    assert answer.json()["access_token"].startswith("papi-")
    error_schema = {
        "type": "object",
        "required": ["error", "error_description", "timestamp", "trace_id"],
        "properties": {
            "error": {
                "enum": [
                    "invalid_request",
                    "invalid_client",
                    "invalid_grant",
                    "unauthorized_client",
                    "unsupported_grant_type",
                    "invalid_scope",
                    "server_error",
                    "temporarily_unavailable",
                    "access_denied",
                    "unsupported_response_type",
                ]
            },
            "error_description": {"type": "string"},
            "error_uri": {"type": ["string", "null"]},
            "timestamp": {"type": "string"},
            "trace_id": {"type": "string"},
            "meta": {"type": "object"},
        },
    }
    cases = [
        ({**good, "client_secret": "wrong"}, "invalid_client"),
        ({**good, "grant_type": "password"}, "unsupported_grant_type"),
        ({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, "invalid_request"),
    ]
    for form, kind in cases:
        bad = post(f"{url}/v2/auth/token", data=form)
        assert bad.status_code == 400
        assert bad.headers["Content-Type"].startswith("application/problem+json")
        OAS31Validator(error_schema).validate(bad.json())
        assert bad.json()["error"] == kind


def test_employee_list_pages_validate(personio_sandbox, personnel_spec):
    url = personio_sandbox.url
    headers = {"Authorization": f"Bearer {token(url)}"}
    seen = []
    for offset in range(0, 50, 20):
        page = get(f"{url}/v1/company/employees", headers=headers, params={"limit": 20, "offset": offset})
        assert page.status_code == 200
        against_spec(personnel_spec, page, url)
        seen += [e["attributes"]["id"]["value"] for e in page.json()["data"]]
    assert len(seen) == 50


def test_incremental_and_projected_pages_validate(personio_sandbox, personnel_spec):
    url = personio_sandbox.url
    headers = {"Authorization": f"Bearer {token(url)}"}
    incremental = get(
        f"{url}/v1/company/employees",
        headers=headers,
        params={"limit": 10, "offset": 0, "updated_since": "2024-06-01T00:00:00"},
    )
    projected = get(
        f"{url}/v1/company/employees",
        headers=headers,
        params={"limit": 10, "attributes[]": ["first_name", "email", "department"]},
    )
    both = get(
        f"{url}/v1/company/employees",
        headers=headers,
        params={"limit": 10, "attributes[]": ["email"], "updated_since": "2020-01-01"},
    )
    for answer in (incremental, projected, both):
        assert answer.status_code == 200
        against_spec(personnel_spec, answer, url)
        assert answer.json()["data"]
    assert set(projected.json()["data"][0]["attributes"]) == {"id", "first_name", "email", "department"}


def test_single_employee_and_404_validate(personio_sandbox, personnel_spec):
    url = personio_sandbox.url
    headers = {"Authorization": f"Bearer {token(url)}"}
    first = get(f"{url}/v1/company/employees", headers=headers, params={"limit": 1}).json()
    emp_id = first["data"][0]["attributes"]["id"]["value"]
    one = get(f"{url}/v1/company/employees/{emp_id}", headers=headers)
    assert one.status_code == 200
    against_spec(personnel_spec, one, url)
    assert one.json()["data"] == first["data"][0]
    missing = get(f"{url}/v1/company/employees/999999999", headers=headers)
    assert missing.status_code == 404
    against_spec(personnel_spec, missing, url)


def test_attributes_listing_validates(personio_sandbox, personnel_spec):
    url = personio_sandbox.url
    answer = get(f"{url}/v1/company/employees/attributes", headers={"Authorization": f"Bearer {token(url)}"})
    assert answer.status_code == 200
    against_spec(personnel_spec, answer, url)  # the spec documents only an example; still checks the route
    items = answer.json()["data"]
    assert {tuple(sorted(item)) for item in items} == {("key", "label", "options", "type", "universal_id")}
    types = {item["type"] for item in items}
    enum = set(json.loads(PERSONNEL.read_text(encoding="utf-8"))["components"]["schemas"]["TypeEnum"]["enum"])
    assert types <= enum
    assert {"standard", "date", "decimal", "tags", "list", "integer"} <= types


def test_v1_error_bodies_401_400_429(personio_factory, v1_components):
    server = personio_factory(employees=20)
    url = server.url
    validator = component_validator(v1_components, "ErrorResponse")
    no_auth = get(f"{url}/v1/company/employees")
    bad_token = get(f"{url}/v1/company/employees", headers={"Authorization": "Bearer papi-nope"})
    headers = {"Authorization": f"Bearer {token(url)}"}
    bad_limit = get(f"{url}/v1/company/employees", headers=headers, params={"limit": 101})
    burst = [get(f"{url}/v1/company/employees", headers=headers, params={"limit": 1}) for _ in range(16)]
    limited = [b for b in burst if b.status_code == 429]
    assert limited
    for answer, status in ((no_auth, 401), (bad_token, 401), (bad_limit, 400), (limited[0], 429)):
        assert answer.status_code == status
        validator.validate(answer.json())
        assert answer.json()["success"] is False
        assert answer.json()["error"]["code"] == status


def test_org_units_list_and_single_validate(personio_factory, v2_components):
    server = personio_factory(employees=200)
    url = server.url
    headers = {"Authorization": f"Bearer {token(url)}", "Beta": "true"}
    meta = component_validator(v2_components, "MetaObject")
    unit_schema = {
        "type": "object",
        "required": ["id", "type", "name", "parent_id"],
        "properties": {
            "id": {"type": "string", "pattern": "^[0-9]+$"},
            "type": {"enum": ["department", "team"]},
            "name": {"type": "string"},
            "abbreviation": {"type": ["string", "null"]},
            "description": {"type": ["string", "null"]},
            "parent_id": {"type": ["string", "null"], "pattern": "^[0-9]+$"},
        },
    }
    page = get(f"{url}/v2/org-units", headers=headers, params={"type": "department", "limit": 3})
    assert page.status_code == 200
    body = page.json()
    assert set(body) == {"_data", "_meta"}
    meta.validate(body["_meta"])
    for unit in body["_data"]:
        OAS31Validator(unit_schema).validate(unit)
    single = get(f"{url}/v2/org-units/{body['_data'][0]['id']}", headers=headers, params={"type": "department"})
    assert single.status_code == 200
    OAS31Validator(unit_schema).validate(single.json())


def test_v2_error_bodies_follow_common_components(personio_sandbox, v2_components):
    url = personio_sandbox.url
    validator = component_validator(v2_components, "ErrorResponse")
    auth = {"Authorization": f"Bearer {token(url)}"}
    cases = [
        (get(f"{url}/v2/org-units", params={"type": "department"}, headers={"Beta": "true"}), 401),
        (get(f"{url}/v2/org-units", params={"type": "department"}, headers=auth), 404),
        (get(f"{url}/v2/org-units", params={"type": "nope"}, headers={**auth, "Beta": "true"}), 400),
        (get(f"{url}/v2/org-units/1", params={"type": "department"}, headers=auth), 404),
    ]
    for answer, status in cases:
        assert answer.status_code == status
        assert answer.headers["Content-Type"].startswith("application/problem+json")
        body = answer.json()
        validator.validate(body)
        assert set(body) == {"personio_trace_id", "timestamp", "errors"}
        assert body["errors"][0]["type"].startswith("https://developer.personio.de/reference/errors#common.")


def test_spec_patch_is_needed_and_minimal(personio_sandbox):
    """The unpatched spec rejects the null relation; the patched one accepts it: the patch is not cosmetic."""
    url = personio_sandbox.url
    headers = {"Authorization": f"Bearer {token(url)}"}
    page = get(f"{url}/v1/company/employees", headers=headers, params={"limit": 50})
    nulls = [e for e in page.json()["data"] if e["attributes"]["team"]["value"] is None]
    assert nulls, "the generator gives some employees no team"
    components = json.loads(PERSONNEL.read_text(encoding="utf-8"))["components"]
    team = nulls[0]["attributes"]["team"]
    with pytest.raises(ValidationError, match="None"):
        component_validator(components, "Team").validate(team)
    components["schemas"]["Team"]["properties"]["value"]["nullable"] = True
    component_validator(components, "Team").validate(team)
