"""One test per documented Leapsome quirk (and per choice the sandbox made), over real HTTP."""

from __future__ import annotations

import time

import pytest
import requests

from sandbox.leapsome import API_TOKEN

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def plain_get(url: str, **kwargs) -> requests.Response:
    """An unauthenticated call with a timeout (admin endpoints, auth checks)."""
    return requests.get(url, timeout=30, **kwargs)


def plain_post(url: str, **kwargs) -> requests.Response:
    """An unauthenticated call with a timeout (admin endpoints, auth checks)."""
    return requests.post(url, timeout=30, **kwargs)


class Scim:
    """A thin HTTP helper: SCIM calls with the sandbox token, and the admin state."""

    def __init__(self, server) -> None:
        self.server = server
        self.base = f"{server.url}/scim/v1"
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {API_TOKEN}"})

    def get(self, path: str, **params) -> requests.Response:
        return self.http.get(self.base + path, params=params)

    def post(self, path: str, body) -> requests.Response:
        return self.http.post(self.base + path, json=body)

    def patch(self, path: str, body) -> requests.Response:
        return self.http.patch(self.base + path, json=body)

    def create(self, user_name: str, **fields) -> dict:
        response = self.post("/Users", {"userName": user_name, **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def group(self, name: str, **fields) -> dict:
        response = self.post("/Groups", {"displayName": name, **fields})
        assert response.status_code == 201, response.text
        return response.json()

    def state(self) -> dict:
        return plain_get(f"{self.server.url}/_admin/state").json()

    def state_user(self, user_name: str) -> dict:
        return next(u for u in self.state()["users"] if u["userName"].lower() == user_name.lower())

    def state_group(self, group_id: str) -> dict:
        return next(g for g in self.state()["groups"] if g["id"] == group_id)


@pytest.fixture
def scim(leapsome_factory):
    client = Scim(leapsome_factory(rate_limit=False))
    yield client
    client.http.close()


def detail(response: requests.Response) -> str:
    return response.json()["detail"]


# -- users: lookups -------------------------------------------------------------------------------
def test_user_filter_is_user_name_only_and_case_insensitive(scim):
    found = scim.get("/Users", filter='userName eq "IT.Admin@ACME.example"').json()
    assert [u["userName"] for u in found["Resources"]] == ["it.admin@acme.example"]
    bare = scim.get("/Users", filter="username EQ it.admin@acme.example").json()
    assert bare["totalResults"] == 1
    assert scim.get("/Users", filter='userName eq "nobody@acme.example"').json()["totalResults"] == 0
    scim.create("x@acme.example", externalId="123")
    for unsupported in ('externalId eq "123"', 'userName co "admin"', 'userName eq "a" or userName eq "b"'):
        response = scim.get("/Users", filter=unsupported)
        assert response.status_code == 400, unsupported


def test_user_paging_count_and_start_index(scim):
    for n in range(5):
        scim.create(f"p{n}@acme.example")
    names = []
    start = 1
    while True:
        page = scim.get("/Users", count=3, startIndex=start).json()
        names += [u["userName"] for u in page["Resources"]]
        if start + 3 > page["totalResults"]:
            break
        start += 3
    assert names == ["office.manager@acme.example", "it.admin@acme.example"] + [f"p{n}@acme.example" for n in range(5)]
    assert scim.get("/Users", count=5001).status_code == 400
    assert scim.get("/Users", count=-1).status_code == 400
    assert scim.get("/Users", startIndex=0).status_code == 400
    assert scim.get("/Users", count=5000).status_code == 200


def test_get_user_falls_back_to_external_id_but_writes_do_not(scim):
    user = scim.create("jane@acme.example", externalId="42")
    assert scim.get("/Users/42").json()["id"] == user["id"]
    assert scim.get(f"/Users/{user['id']}").json()["externalId"] == "42"
    assert scim.get("/Users/43").status_code == 404
    assert scim.patch("/Users/42", {"userName": "jane@acme.example", "title": "x"}).status_code == 404


def test_auth_missing_is_401_and_wrong_is_403(scim):
    assert plain_get(f"{scim.base}/Users").status_code == 401
    assert plain_get(f"{scim.base}/Users", headers={"Authorization": "Basic abc"}).status_code == 401
    wrong = plain_get(f"{scim.base}/Users", headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 403
    assert "not-the-token" not in wrong.text


# -- users: create --------------------------------------------------------------------------------
def test_duplicate_create_answers_empty_object_and_creates_nothing(scim):
    response = scim.post("/Users", {"userName": "Office.Manager@ACME.example", "externalId": "9"})
    assert response.status_code == 201
    assert response.json() == {}
    assert len(scim.state()["users"]) == 2
    assert scim.state_user("office.manager@acme.example")["externalId"] is None


def test_duplicate_create_conflict_option(leapsome_factory):
    scim = Scim(leapsome_factory(rate_limit=False, duplicate_create="conflict"))
    response = scim.post("/Users", {"userName": "it.admin@acme.example"})
    assert response.status_code == 409
    assert detail(response) == "Username is already in use"
    switched = plain_post(f"{scim.server.url}/_admin/options", json={"duplicate_create": "empty"})
    assert switched.json()["duplicate_create"] == "empty"
    assert scim.post("/Users", {"userName": "it.admin@acme.example"}).json() == {}


def test_create_checks_the_organisation_domain(scim):
    response = scim.post("/Users", {"userName": "someone@gmail.example"})
    assert response.status_code == 400
    assert "domain" in detail(response)
    assert scim.post("/Users", {"userName": "not-an-email"}).status_code == 400
    assert scim.post("/Users", {"userName": ""}).status_code == 400
    assert scim.post("/Users", {"title": "x"}).status_code == 400
    plain_post(f"{scim.server.url}/_admin/options", json={"domains": ["acme.example", "Gmail.example"]})
    assert scim.post("/Users", {"userName": "someone@gmail.example"}).status_code == 201


def test_create_keeps_only_documented_fields(scim):
    created = scim.create(
        "new@acme.example",
        active=False,
        location="Berlin",
        **{ENTERPRISE: {"manager": "it.admin@acme.example", "department": "Sales"}},
    )
    state = scim.state_user("new@acme.example")
    assert state["active"] is True
    assert state["manager"] is None
    assert state["enterprise"] == {}
    assert created["title"] == "Colleague"
    assert scim.get("/Groups", filter='displayName eq "Sales"').json()["totalResults"] == 0


def test_create_with_external_id_in_use_is_409(scim):
    scim.create("a@acme.example", externalId="7")
    assert scim.post("/Users", {"userName": "b@acme.example", "externalId": "7"}).status_code == 409


# -- users: PATCH / PUT ---------------------------------------------------------------------------
def test_plain_patch_needs_user_name_and_changes_only_given_fields(scim):
    user = scim.create("p@acme.example", name={"givenName": "Pat", "familyName": "Old"}, title="Dev")
    missing = scim.patch(f"/Users/{user['id']}", {"title": "Lead"})
    assert missing.status_code == 400
    assert "userName" in detail(missing)
    patched = scim.patch(f"/Users/{user['id']}", {"userName": "p@acme.example", "name": {"familyName": "New"}})
    assert patched.status_code == 200
    assert patched.json()["name"] == {"givenName": "Pat", "familyName": "New"}
    assert patched.json()["title"] == "Dev"
    scim.patch(f"/Users/{user['id']}", {"userName": "p@acme.example", ENTERPRISE: {"startDate": "2024-01-01"}})
    scim.patch(f"/Users/{user['id']}", {"userName": "p@acme.example", ENTERPRISE: {"endDate": "2025-01-31"}})
    assert scim.state_user("p@acme.example")["enterprise"] == {"startDate": "2024-01-01", "endDate": "2025-01-31"}
    cleared = scim.patch(f"/Users/{user['id']}", {"userName": "p@acme.example", ENTERPRISE: {"endDate": None}})
    assert "endDate" not in cleared.json()[ENTERPRISE]
    bad_date = scim.patch(f"/Users/{user['id']}", {"userName": "p@acme.example", ENTERPRISE: {"startDate": "1.2.2024"}})
    assert bad_date.status_code == 400


def test_patch_refuses_patchop_bodies(scim):
    user = scim.create("q@acme.example")
    patch_op = {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "value": {"active": False}}],
    }
    assert scim.patch(f"/Users/{user['id']}", patch_op).status_code == 400
    group = scim.group("Ops")
    assert scim.patch(f"/Groups/{group['id']}", patch_op).status_code == 400
    assert scim.state_user("q@acme.example")["active"] is True


def test_patch_user_name_change_domain_and_conflict(scim):
    user = scim.create("old@acme.example", externalId="5")
    renamed = scim.patch(f"/Users/{user['id']}", {"userName": "New@acme.example"})
    assert renamed.json()["userName"] == "New@acme.example"
    assert scim.get("/Users", filter='userName eq "old@acme.example"').json()["totalResults"] == 0
    assert scim.get("/Users", filter='userName eq "new@acme.example"').json()["totalResults"] == 1
    taken = scim.patch(f"/Users/{user['id']}", {"userName": "IT.ADMIN@acme.example"})
    assert taken.status_code == 409
    assert scim.patch(f"/Users/{user['id']}", {"userName": "new@elsewhere.example"}).status_code == 400
    assert scim.state_user("new@acme.example")["externalId"] == "5"


def test_active_false_deactivates_and_true_reactivates(scim):
    user = scim.create("leaver@acme.example")
    assert (
        scim.patch(f"/Users/{user['id']}", {"userName": "leaver@acme.example", "active": False}).json()["active"]
        is False
    )
    assert scim.get(f"/Users/{user['id']}").json()["active"] is False
    assert (
        scim.patch(f"/Users/{user['id']}", {"userName": "leaver@acme.example", "active": True}).json()["active"] is True
    )
    assert scim.patch(f"/Users/{user['id']}", {"userName": "leaver@acme.example", "active": "no"}).status_code == 400


def test_put_replaces_the_whole_user(scim):
    user = scim.create("r@acme.example", externalId="8", title="Dev", name={"givenName": "R", "familyName": "S"})
    scim.patch(f"/Users/{user['id']}", {"userName": "r@acme.example", ENTERPRISE: {"department": "Ops", "level": "L2"}})
    replaced = scim.http.put(f"{scim.base}/Users/{user['id']}", json={"userName": "r@acme.example", "externalId": "8"})
    assert replaced.status_code == 200
    state = scim.state_user("r@acme.example")
    assert state["title"] == "Colleague"
    assert state["givenName"] == ""
    assert state["enterprise"] == {}
    assert state["teams"] == []
    assert state["externalId"] == "8"


# -- managers -------------------------------------------------------------------------------------
@pytest.mark.parametrize("reference", ["id", "email", "externalId"])
def test_manager_is_resolved_from_id_email_or_external_id(scim, reference):
    boss = scim.create("boss@acme.example", externalId="1", displayName="The Boss")
    report = scim.create("report@acme.example", externalId="2")
    value = {"id": boss["id"], "email": "BOSS@acme.example", "externalId": "1"}[reference]
    answer = scim.patch(f"/Users/{report['id']}", {"userName": "report@acme.example", ENTERPRISE: {"manager": value}})
    assert answer.status_code == 200
    assert answer.json()[ENTERPRISE]["manager"] == {"managerId": boss["id"], "displayName": "The Boss"}
    assert answer.json()["manager"] == {"value": boss["id"]}
    assert scim.state_user("report@acme.example")["manager"] == boss["id"]


def test_unknown_or_self_manager_is_refused_and_empty_clears(scim):
    boss = scim.create("boss@acme.example")
    report = scim.create("report@acme.example")
    path = f"/Users/{report['id']}"
    unknown = scim.patch(path, {"userName": "report@acme.example", ENTERPRISE: {"manager": "ghost@acme.example"}})
    assert unknown.status_code == 400
    self_managed = scim.patch(path, {"userName": "report@acme.example", ENTERPRISE: {"manager": report["id"]}})
    assert self_managed.status_code == 400
    scim.patch(path, {"userName": "report@acme.example", "manager": boss["id"]})  # the top-level form
    assert scim.state_user("report@acme.example")["manager"] == boss["id"]
    for empty in ("", None):
        scim.patch(path, {"userName": "report@acme.example", ENTERPRISE: {"manager": boss["id"]}})
        cleared = scim.patch(path, {"userName": "report@acme.example", ENTERPRISE: {"manager": empty}})
        assert "manager" not in cleared.json()[ENTERPRISE]
        assert "manager" not in cleared.json()
        assert scim.state_user("report@acme.example")["manager"] is None


# -- teams ----------------------------------------------------------------------------------------
def test_department_is_a_team_name(scim):
    user = scim.create("dev@acme.example")
    path = f"/Users/{user['id']}"
    first = scim.patch(path, {"userName": "dev@acme.example", ENTERPRISE: {"department": "Engineering"}}).json()
    engineering = scim.get("/Groups", filter='displayName eq "Engineering"').json()["Resources"][0]
    assert first["groups"] == [{"value": engineering["id"], "display": "Engineering"}]
    moved = scim.patch(path, {"userName": "dev@acme.example", ENTERPRISE: {"department": "Sales"}}).json()
    assert [g["display"] for g in moved["groups"]] == ["Sales"]
    assert scim.state_group(engineering["id"])["members"] == []


def test_groups_have_no_members_membership_is_read_from_users(scim):
    book_club = scim.get("/Groups").json()["Resources"][0]
    assert book_club["displayName"] == "Book Club"
    assert book_club["members"] == []
    assert scim.get(f"/Groups/{book_club['id']}").json()["members"] == []
    admin = scim.get("/Users", filter='userName eq "it.admin@acme.example"').json()["Resources"][0]
    assert admin["groups"] == [{"value": book_club["id"], "display": "Book Club"}]


def test_group_patch_adds_members_or_replaces_them(scim):
    users = [scim.create(f"m{n}@acme.example") for n in range(3)]
    group = scim.group("Guild")
    path = f"/Groups/{group['id']}"
    scim.patch(path, {"members": [{"value": users[0]["id"]}, {"value": users[1]["id"]}]})
    scim.patch(path, {"members": [{"value": users[2]["id"]}]})
    assert scim.state_group(group["id"])["members"] == sorted(u["id"] for u in users)
    scim.patch(path, {"replaceMembers": True, "members": [{"value": users[1]["id"]}]})
    assert scim.state_group(group["id"])["members"] == [users[1]["id"]]
    member = scim.get(f"/Users/{users[1]['id']}").json()
    assert member["groups"] == [{"value": group["id"], "display": "Guild"}]
    assert scim.get(f"/Users/{users[0]['id']}").json()["groups"] == []
    scim.patch(path, {"replaceMembers": True, "members": []})
    assert scim.state_group(group["id"])["members"] == []


def test_group_members_are_capped_at_100_and_must_be_users(leapsome_factory):
    scim = Scim(leapsome_factory(rate_limit=False, preload_users=101))
    ids = [u["id"] for u in scim.state()["users"]][:101]
    group = scim.group("Big")
    path = f"/Groups/{group['id']}"
    too_many = scim.patch(path, {"members": [{"value": i} for i in ids]})
    assert too_many.status_code == 400
    assert "100" in detail(too_many)
    assert scim.state_group(group["id"])["members"] == []
    assert scim.patch(path, {"members": [{"value": i} for i in ids[:100]]}).status_code == 200
    assert scim.patch(path, {"members": [{"value": ids[100]}]}).status_code == 200
    assert len(scim.state_group(group["id"])["members"]) == 101
    unknown = scim.patch(path, {"members": [{"value": "ffffffffffffffffffffffff"}]})
    assert unknown.status_code == 400


def test_group_names_are_unique_and_at_most_128_characters(scim):
    duplicate = scim.post("/Groups", {"displayName": "BOOK CLUB"})
    assert duplicate.status_code == 409
    assert "displayName" in detail(duplicate)
    other = scim.group("Other")
    rename = scim.patch(f"/Groups/{other['id']}", {"displayName": "book club"})
    assert rename.status_code == 409
    assert scim.patch(f"/Groups/{other['id']}", {"displayName": "x" * 129}).status_code == 400
    assert scim.patch(f"/Groups/{other['id']}", {"displayName": "x" * 128}).status_code == 200
    assert scim.post("/Groups", {"displayName": "y" * 129}).status_code == 400
    assert scim.post("/Groups", {"externalId": "no-name"}).status_code == 400


def test_group_lookup_falls_back_to_external_id_and_filters_by_display_name_only(scim):
    group = scim.group("Finance", externalId="personio-department-9")
    assert scim.get("/Groups/personio-department-9").json()["id"] == group["id"]
    assert scim.get("/Groups", filter='displayName eq "FINANCE"').json()["Resources"][0]["id"] == group["id"]
    assert scim.get("/Groups", filter='externalId eq "personio-department-9"').status_code == 400
    assert scim.patch("/Groups/personio-department-9", {"displayName": "Fin"}).status_code == 404
    renamed = scim.patch(f"/Groups/{group['id']}", {"displayName": "Finance & Legal"}).json()
    assert renamed["displayName"] == "Finance & Legal"
    assert renamed["externalId"] == "personio-department-9"
    assert scim.get("/Groups", count=1001).status_code == 400


def test_no_delete_anywhere(scim):
    user = scim.get("/Users").json()["Resources"][0]
    group = scim.get("/Groups").json()["Resources"][0]
    for path in (f"/Users/{user['id']}", f"/Groups/{group['id']}", "/Users", "/Groups"):
        assert scim.http.delete(scim.base + path).status_code == 405
    assert len(scim.state()["users"]) == 2
    assert len(scim.state()["groups"]) == 1


# -- rate limit and faults ------------------------------------------------------------------------
def test_30_requests_per_second_then_429_without_retry_after(leapsome_sandbox):
    scim = Scim(leapsome_sandbox)
    answers = [scim.get("/Groups") for _ in range(40)]
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 30
    assert statuses[:30] == [200] * 30
    assert set(statuses[30:]) == {429}
    assert all("Retry-After" not in a.headers for a in answers[30:])
    time.sleep(1.05)
    assert scim.get("/Groups").status_code == 200
    counters = plain_get(f"{leapsome_sandbox.url}/_admin/counters").json()
    assert counters["rate_limited"] == 10


def test_retry_after_knob_adds_the_header(leapsome_factory):
    scim = Scim(leapsome_factory(retry_after=True))
    answers = [scim.get("/Groups") for _ in range(31)]
    assert answers[-1].status_code == 429
    assert int(answers[-1].headers["Retry-After"]) >= 1


def test_lost_write_applies_the_write_then_drops_the_connection(leapsome_factory):
    scim = Scim(leapsome_factory(rate_limit=False, lost_write_rate=1.0))
    with pytest.raises(requests.ConnectionError):
        scim.post("/Users", {"userName": "lost@acme.example", "externalId": "77"})
    assert scim.get("/Users/77").json()["userName"] == "lost@acme.example"
    assert plain_get(f"{scim.server.url}/_admin/counters").json()["faults"] == {"lost_write": 1}


def test_ids_in_paths_are_percent_decoded(scim):
    user = scim.create("pct@acme.example", externalId="id::12 34")
    assert scim.get("/Users/id::12%2034").json()["id"] == user["id"]


# -- options for what the spec leaves open (each reading; the defaults are today's behaviour) -----
def scim_with(leapsome_factory, **options) -> Scim:
    """A client of a sandbox started with these options (constructor keyword arguments)."""
    return Scim(leapsome_factory(rate_limit=False, **options))


def set_options(scim: Scim, **options) -> dict:
    answer = plain_post(f"{scim.server.url}/_admin/options", json=options)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_group_create_members_accepted_by_default(scim):
    user = scim.create("joiner@acme.example")
    group = scim.group("Joined", members=[{"value": user["id"]}])
    assert scim.state_group(group["id"])["members"] == [user["id"]]
    assert scim.post("/Groups", {"displayName": "Bad", "members": [{"value": "nobody"}]}).status_code == 400


def test_group_create_members_ignored_creates_the_team_without_them(leapsome_factory):
    scim = scim_with(leapsome_factory, group_create_members="ignored")
    user = scim.create("joiner@acme.example")
    group = scim.group("Created Empty", externalId="personio-department-1", members=[{"value": user["id"]}])
    assert scim.state_group(group["id"])["members"] == []
    assert scim.state_group(group["id"])["externalId"] == "personio-department-1"
    assert scim.state_user("joiner@acme.example")["teams"] == []
    unchecked = scim.post("/Groups", {"displayName": "Unchecked", "members": [{"value": "nobody"}]})
    assert unchecked.status_code == 201  # dropped unread, so not validated either
    scim.patch(f"/Groups/{group['id']}", {"members": [{"value": user["id"]}]})  # PATCH still adds
    assert scim.state_group(group["id"])["members"] == [user["id"]]


def test_group_create_members_refused_is_400_and_creates_nothing(leapsome_factory):
    scim = scim_with(leapsome_factory, group_create_members="refused")
    user = scim.create("joiner@acme.example")
    for members in ([{"value": user["id"]}], [], None):
        refused = scim.post("/Groups", {"displayName": "Refused", "members": members})
        assert refused.status_code == 400, members
        assert "members" in detail(refused)
    assert [g["displayName"] for g in scim.state()["groups"]] == ["Book Club"]
    group = scim.group("Refused")  # without the attribute it works
    assert scim.patch(f"/Groups/{group['id']}", {"members": [{"value": user["id"]}]}).status_code == 200
    assert set_options(scim, group_create_members="accepted")["group_create_members"] == "accepted"
    assert scim.post("/Groups", {"displayName": "Now", "members": [{"value": user["id"]}]}).status_code == 201


def test_patch_response_is_the_resource_by_default(scim):
    user = scim.create("patched@acme.example")
    patched = scim.patch(f"/Users/{user['id']}", {"userName": "patched@acme.example", "title": "Lead"})
    assert patched.status_code == 200
    assert patched.json()["title"] == "Lead"
    put = scim.http.put(f"{scim.base}/Users/{user['id']}", json={"userName": "patched@acme.example"})
    assert put.status_code == 200
    assert put.json()["id"] == user["id"]
    group = scim.group("Patched")
    renamed = scim.patch(f"/Groups/{group['id']}", {"displayName": "Patched Again"})
    assert renamed.status_code == 200
    assert renamed.json()["displayName"] == "Patched Again"


def test_patch_response_no_content_is_204_and_still_applies(leapsome_factory):
    scim = scim_with(leapsome_factory, patch_response="no_content")
    user = scim.create("patched@acme.example")
    patched = scim.patch(f"/Users/{user['id']}", {"userName": "patched@acme.example", "title": "Lead"})
    assert patched.status_code == 204
    assert patched.content == b""
    assert scim.state_user("patched@acme.example")["title"] == "Lead"
    put = scim.http.put(f"{scim.base}/Users/{user['id']}", json={"userName": "patched@acme.example"})
    assert put.status_code == 204
    assert put.content == b""
    assert scim.state_user("patched@acme.example")["title"] == "Colleague"  # PUT reset it
    group = scim.group("Patched")
    renamed = scim.patch(f"/Groups/{group['id']}", {"displayName": "Patched Again", "members": [{"value": user["id"]}]})
    assert renamed.status_code == 204
    assert renamed.content == b""
    assert scim.state_group(group["id"])["displayName"] == "Patched Again"
    assert scim.state_group(group["id"])["members"] == [user["id"]]
    assert scim.patch(f"/Users/{user['id']}", {"title": "no userName"}).status_code == 400  # errors unchanged
    assert scim.patch("/Users/unknown", {"userName": "x@acme.example"}).status_code == 404
    assert scim.post("/Users", {"userName": "created@acme.example"}).status_code == 201  # creates unchanged
    assert set_options(scim, patch_response="resource")["patch_response"] == "resource"
    assert scim.patch(f"/Users/{user['id']}", {"userName": "patched@acme.example"}).json()["id"] == user["id"]


def test_user_groups_listed_by_default(scim):
    admin = scim.get("/Users", filter='userName eq "it.admin@acme.example"').json()["Resources"][0]
    assert [g["display"] for g in admin["groups"]] == ["Book Club"]
    assert scim.create("fresh@acme.example")["groups"] == []


@pytest.mark.parametrize(("reading", "expected"), [("omitted", None), ("empty", [])])
def test_user_groups_omitted_or_empty_hides_membership(leapsome_factory, reading, expected):
    scim = scim_with(leapsome_factory, user_groups=reading)
    admin_id = scim.state_user("it.admin@acme.example")["id"]
    assert scim.state_user("it.admin@acme.example")["teams"] != []  # still a member, just not shown
    created = scim.create("fresh@acme.example")
    patched = scim.patch(f"/Users/{created['id']}", {"userName": "fresh@acme.example"}).json()
    answers = [
        scim.get(f"/Users/{admin_id}").json(),
        *scim.get("/Users").json()["Resources"],
        scim.get("/Users", filter='userName eq "it.admin@acme.example"').json()["Resources"][0],
        created,
        patched,
    ]
    for answer in answers:
        assert answer.get("groups") == expected
        assert ("groups" in answer) is (expected is not None)


def test_page_size_cap_is_off_by_default(scim):
    for n in range(4):
        scim.create(f"p{n}@acme.example")
        scim.group(f"G{n}")
    users = scim.get("/Users", count=5).json()
    assert (users["totalResults"], users["itemsPerPage"], len(users["Resources"])) == (6, 5, 5)
    assert len(scim.get("/Users").json()["Resources"]) == 6
    assert len(scim.get("/Groups").json()["Resources"]) == 5


def test_page_size_cap_limits_every_page_and_keeps_the_total(leapsome_factory):
    scim = scim_with(leapsome_factory, page_size_cap=2)
    for n in range(5):
        scim.create(f"p{n}@acme.example")
        scim.group(f"G{n}")
    for path, total in (("/Users", 7), ("/Groups", 6)):
        for params in ({}, {"count": 5}, {"count": 1000}):
            page = scim.get(path, **params).json()
            assert page["totalResults"] == total, (path, params)
            assert page["itemsPerPage"] == len(page["Resources"]) == 2, (path, params)
        assert scim.get(path, count=1).json()["itemsPerPage"] == 1  # a smaller count still wins
        seen, start = [], 1
        while True:  # a client that advances by what it got sees everyone exactly once
            page = scim.get(path, count=5, startIndex=start).json()
            assert page["startIndex"] == start
            seen += [r["id"] for r in page["Resources"]]
            start += page["itemsPerPage"]
            if not page["Resources"] or start > page["totalResults"]:
                break
        assert len(seen) == len(set(seen)) == total
    assert scim.get("/Users", count=5001).status_code == 400  # count is still validated
    assert set_options(scim, page_size_cap=None)["page_size_cap"] is None
    assert len(scim.get("/Users", count=5).json()["Resources"]) == 5


def test_max_text_length_is_unlimited_by_default(scim):
    long_name = "N" * 300
    created = scim.create("long@acme.example", name={"givenName": long_name, "familyName": long_name})
    assert created["name"]["givenName"] == long_name
    patched = scim.patch(f"/Users/{created['id']}", {"userName": "long@acme.example", "title": "T" * 1000})
    assert patched.status_code == 200


def test_max_text_length_refuses_longer_user_text_naming_the_attribute(leapsome_factory):
    scim = scim_with(leapsome_factory, max_text_length=255)
    fits = "a" * 255
    user = scim.create("fits@acme.example", name={"givenName": fits, "familyName": "Ok"}, title=fits)
    path = f"/Users/{user['id']}"
    too_long = "b" * 256
    cases = [
        ({"name": {"familyName": too_long}}, "name.familyName"),
        ({"name": {"givenName": too_long}}, "name.givenName"),
        ({"displayName": too_long}, "displayName"),
        ({"title": too_long}, "title"),
        ({"location": too_long}, "location"),
        ({ENTERPRISE: {"location": too_long}}, "enterprise location"),
        ({ENTERPRISE: {"department": too_long}}, "enterprise department"),
    ]
    for body, attribute in cases:
        for method in (scim.patch, lambda p, b: scim.http.put(scim.base + p, json=b)):
            refused = method(path, {"userName": "fits@acme.example", **body})
            assert refused.status_code == 400, (body, refused.text)
            assert attribute in detail(refused)
            assert "255" in detail(refused)
    unchanged = scim.state_user("fits@acme.example")
    assert (unchanged["givenName"], unchanged["familyName"], unchanged["title"]) == (fits, "Ok", fits)
    assert unchanged["version"] == 2  # only the create's own touch
    created = scim.post("/Users", {"userName": "long@acme.example", "name": {"familyName": too_long}})
    assert created.status_code == 400
    assert "name.familyName" in detail(created)
    assert all(u["userName"] != "long@acme.example" for u in scim.state()["users"])
    by_hand = plain_post(f"{scim.server.url}/_admin/users", json={"userName": "hand@acme.example", "title": too_long})
    assert by_hand.status_code == 201  # the admin (Leapsome's UI stand-in) is not limited
    assert set_options(scim, max_text_length=300)["max_text_length"] == 300
    assert scim.patch(path, {"userName": "fits@acme.example", "title": too_long}).status_code == 200


def test_ignored_attributes_are_accepted_then_dropped(leapsome_factory):
    """A write that does not take: the answer says success, the user is unchanged (none by default)."""
    scim = scim_with(leapsome_factory, ignored_attributes=["title"])
    user = scim.create("quiet@acme.example", title="Engineer")
    path = f"/Users/{user['id']}"
    answer = scim.patch(path, {"userName": "quiet@acme.example", "title": "Lead", "displayName": "Quiet One"})
    assert answer.status_code == 200, answer.text
    now = scim.get(path).json()
    assert (now["title"], now["displayName"]) == ("Engineer", "Quiet One")
    set_options(scim, ignored_attributes=[])
    assert scim.patch(path, {"userName": "quiet@acme.example", "title": "Lead"}).status_code == 200
    assert scim.get(path).json()["title"] == "Lead"
