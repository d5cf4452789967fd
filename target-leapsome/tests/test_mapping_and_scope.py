"""Attribute mapping and scoping, over HTTP against the Leapsome sandbox; every scenario ends with nothing to do."""

from __future__ import annotations

import json

import pytest
from singer_sdk.exceptions import ConfigValidationError
from target_leapsome.settings import Settings

from sandbox.leapsome import API_TOKEN

SHIRT = "6140868326541a4da586db0b"  # a Leapsome custom attribute id
MAPPING = {
    "level": {"source": "custom:Seniority", "values": {"Senior": "L3", "Junior": "L1"}},
    "employmentType": "employment_type",
    SHIRT: "custom:dynamic_77",
    "additionalManagers": "custom:Dotted line",
}


def attributes(seniority=None, shirt=None, dotted=None, shape="object"):
    """Custom attributes in either shape tap-personio has sent: keyed values, or the older list."""
    values = {"dynamic_10": seniority, "dynamic_77": shirt, "dynamic_90": dotted}
    if shape == "object":
        return {k: v for k, v in values.items() if v is not None}
    labels = {"dynamic_10": "Seniority", "dynamic_77": "Shirt size", "dynamic_90": "Dotted line"}
    return [{"key": k, "label": labels[k], "type": "text", "value": v} for k, v in values.items() if v is not None]


DEFINITIONS = [
    {"key": "dynamic_10", "label": "Seniority", "type": "text"},
    {"key": "dynamic_77", "label": "Shirt size", "type": "text"},
    {"key": "dynamic_90", "label": "Dotted line", "type": "list"},
]


def with_definitions(lines: str) -> str:
    """tap-personio's `employee_attributes` stream, which names the custom attributes by label."""
    schema = {
        "type": "object",
        "properties": {"key": {"type": "string"}, "label": {"type": "string"}, "type": {"type": "string"}},
    }
    extra = [{"type": "SCHEMA", "stream": "employee_attributes", "schema": schema, "key_properties": ["key"]}]
    extra += [{"type": "RECORD", "stream": "employee_attributes", "record": d} for d in DEFINITIONS]
    return "".join(json.dumps(m) + "\n" for m in extra) + lines


def people(singer, shape="object"):
    boss = singer.employee(1, first="Ada", last="Boss")
    second = singer.employee(2, first="Bo", last="Dotted")
    lead = {**singer.employee(3, supervisor=1), "employment_type": "external"}
    lead["custom_attributes"] = attributes("Senior", "XL", ["1", "2"] if shape == "object" else '["1", "2"]', shape)
    junior = {**singer.employee(4, supervisor=3), "custom_attributes": attributes("Junior", None, None, shape)}
    return [boss, second, lead, junior]


def run(leapsome, lines, **config):
    result = leapsome.run(lines, attribute_mapping=MAPPING, **config)
    assert result.ok, f"{result.error}\n{result.log[-4000:]}"
    return result


@pytest.mark.parametrize("shape", ["object", "list"])
def test_mapped_fields_reach_leapsome_and_a_second_run_writes_nothing(leapsome, singer, shape):
    lines = with_definitions(singer.input(people(singer, shape)))
    run(leapsome, lines)
    users = leapsome.by_external()
    lead, junior = users["3"], users["4"]
    assert lead["enterprise"]["level"] == "L3"  # translated
    assert lead["enterprise"]["employmentType"] == "external"
    assert lead["enterprise"][SHIRT] == "XL"  # a Leapsome custom attribute by its id
    assert sorted(lead["additionalManagers"]) == sorted([users["1"]["id"], users["2"]["id"]])
    assert junior["enterprise"]["level"] == "L1"
    assert SHIRT not in junior["enterprise"]  # the attribute is absent: nothing written
    leapsome.reset_counters()
    run(leapsome, lines)
    assert leapsome.counters()["writes"] == 0


def test_personio_wins_an_absent_attribute_leaves_leapsome_alone(leapsome, singer):
    lines = with_definitions(singer.input(people(singer)))
    run(leapsome, lines)
    users = leapsome.by_external()
    leapsome.admin(
        "PATCH",
        f"/users/{users['3']['id']}",
        {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"level": "by hand"}},
    )
    run(leapsome, lines)
    assert leapsome.by_external()["3"]["enterprise"]["level"] == "L3"  # Personio wins
    hidden = [{k: v for k, v in p.items() if k != "custom_attributes"} for p in people(singer)]
    leapsome.admin(
        "PATCH",
        f"/users/{users['3']['id']}",
        {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"level": "by hand"}},
    )
    result = run(leapsome, with_definitions(singer.input(hidden, snapshot=False)))
    assert leapsome.by_external()["3"]["enterprise"]["level"] == "by hand"  # unknown: left alone
    warnings = [line for line in result.log.splitlines() if "no employee record carries 'custom:Seniority'" in line]
    assert len(warnings) == 1, result.log
    assert "allow that attribute for the API credential in Personio" in warnings[0]


def test_a_value_leapsome_refuses_is_a_skip_naming_the_employee(leapsome, singer, tmp_path):
    lead = {**singer.employee(3), "gender": "unknown"}
    path = tmp_path / "report.json"
    result = leapsome.run(singer.input([lead]), attribute_mapping={"gender": "gender"}, report_path=str(path))
    assert result.ok, result.log[-3000:]
    report = json.loads(path.read_text())
    (skip,) = report["skipped"]
    assert skip["subject"] == "employee 3 (Person Number3)"
    assert "gender" in skip["reason"]


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("attribute_mapping", {"favouriteColour": "position"}, "attribute_mapping: 'favouriteColour' is not"),
        ("attribute_mapping", {"level": "seniority_level"}, "attribute_mapping: level: source 'seniority_level'"),
        ("scope", {"include": [[{"field": "department.name"}]]}, "scope: include rule 1: a clause has a field"),
        ("scope", {"out_of_scope": "delete"}, "scope: out_of_scope must be one of"),
    ],
)
def test_a_wrong_mapping_or_scope_fails_at_start_naming_the_setting(setting, value, message):
    with pytest.raises(ConfigValidationError, match=message):
        Settings.from_config({"api_token": API_TOKEN, setting: value})


# -- scope ------------------------------------------------------------------------------------------
SCOPE = {
    "include": [[{"field": "department.name", "equals": "Engineering"}], [{"field": "office.name", "in": ["Remote"]}]],
    "exclude": [[{"field": "employment_type", "equals": "external"}]],
}


def staff(singer):
    return [
        singer.employee(1, department=1),  # Engineering: in
        singer.employee(2, department=2),  # Sales in Berlin: out, no include rule holds
        singer.employee(3, department=2, office="Remote"),  # in by the second rule
        {**singer.employee(4, department=1), "employment_type": "external"},  # excluded
    ]


def test_only_employees_in_scope_get_a_user_and_the_dry_run_says_why(leapsome, singer):
    dry = leapsome.run(singer.input(staff(singer)), scope=SCOPE, dry_run=True)
    assert dry.ok
    assert "employee 2 (Person Number2): out of scope: matches no include rule" in dry.log
    assert "employee 4 (Person Number4): out of scope: matches the exclude rule employment_type = 'external'" in dry.log
    assert "leave 2 employees out of scope" in dry.log
    result = leapsome.run(singer.input(staff(singer)), scope=SCOPE)
    assert result.ok
    assert set(leapsome.by_external()) == {"1", "3"}
    leapsome.reset_counters()
    assert leapsome.run(singer.input(staff(singer)), scope=SCOPE).ok
    assert leapsome.counters()["writes"] == 0


@pytest.mark.parametrize(("policy", "active"), [("deactivate", False), ("leave", True)])
def test_a_user_whose_employee_leaves_the_scope(leapsome, singer, policy, active):
    everyone = staff(singer)
    assert leapsome.run(singer.input(everyone)).ok  # no scope yet: all four synced
    scope = {**SCOPE, "out_of_scope": policy}
    result = leapsome.run(singer.input(everyone), scope=scope)
    assert result.ok, result.log[-3000:]
    users = leapsome.by_external()
    assert users["2"]["active"] is active
    assert users["4"]["active"] is active
    assert users["1"]["active"]
    assert users["3"]["active"]
    leapsome.reset_counters()
    assert leapsome.run(singer.input(everyone), scope=scope).ok
    assert leapsome.counters()["writes"] == 0


def test_a_presence_clause(leapsome, singer):
    scope = {"include": [[{"field": "custom:dynamic_10", "present": True}]]}
    records = [
        {**singer.employee(1), "custom_attributes": {"dynamic_10": "Senior"}},
        {**singer.employee(2), "custom_attributes": {"dynamic_10": None}},  # empty in Personio
    ]
    assert leapsome.run(singer.input(records), scope=scope).ok
    assert set(leapsome.by_external()) == {"1"}


def test_a_mapped_change_costs_one_write_and_no_extra_request(leapsome, singer):
    """Mapped fields ride in the user's one PATCH: writes equal the changed employees, reads stay two (+2 proof)."""
    everyone = people(singer)
    run(leapsome, with_definitions(singer.input(everyone)))
    promoted = {**everyone[3], "custom_attributes": attributes("Senior")}
    leapsome.reset_counters()
    run(leapsome, with_definitions(singer.input([promoted], snapshot=False)))
    counters = leapsome.counters()
    assert counters["writes"] == 1
    assert counters["reads"] == 4  # users and groups, before and after (the read-back)
    assert leapsome.by_external()["4"]["enterprise"]["level"] == "L3"


def test_a_field_the_scope_reads_missing_from_the_records_deactivates_nobody(leapsome, singer):
    """The credential lost access to a field the rules read: the scope cannot be decided, so the run fails."""
    scope = {"include": [[{"field": "subcompany.name", "equals": "ACME GmbH"}]]}
    acme = {"id": 1, "name": "ACME GmbH"}
    everyone = [{**singer.employee(i), "subcompany": acme} for i in (1, 2)]
    assert leapsome.run(singer.input(everyone), scope=scope).ok
    hidden = singer.without(everyone, "subcompany")
    result = leapsome.run(singer.input(hidden, snapshot=False), scope=scope)
    assert not result.ok
    assert "has no 'subcompany.name', which the scope setting reads" in result.log
    assert all(user["active"] for user in leapsome.by_external().values())
