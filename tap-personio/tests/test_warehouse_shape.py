"""The record shape a warehouse loads.

A typed column per custom attribute, numbers and dates without casts, and flattened records whose every
key the flattened schema declares.
"""

from __future__ import annotations

import json
import logging
from zoneinfo import ZoneInfo

import pytest
from tap_personio import attributes, flatten
from tap_personio.attributes import AttributeDefinition, CustomColumns, column_names, slug
from tap_personio.tap import TapPersonio

BERLIN = ZoneInfo("Europe/Berlin")


def _wrap(value, label="x", kind="standard"):
    return {"label": label, "value": value, "type": kind, "universal_id": None}


def test_label_columns_are_slugs_and_the_older_attribute_keeps_a_shared_slug():
    pairs = [("dynamic_9", "Größe (cm)"), ("dynamic_12", "Team lead?"), ("dynamic_100", "Team-Lead"), ("dynamic_7", "")]
    pairs += [("dynamic_8", "中文"), ("dynamic_11", "x" * 80)]
    columns = column_names(reversed(pairs), "label")  # input order does not matter
    assert columns == {
        "dynamic_7": "dynamic_7",  # no label: the key
        "dynamic_8": "dynamic_8",  # nothing left after folding to ASCII: the key
        "dynamic_9": "grosse_cm",
        "dynamic_11": "x" * attributes.SLUG_LENGTH,
        "dynamic_12": "team_lead",  # the lower id keeps the slug
        "dynamic_100": "team_lead_dynamic_100",
    }
    assert column_names(pairs, "key") == {key: key for key, _ in pairs}
    assert slug("Straße & Ærø") == "strasse_aero"


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("integer", "12", 12),
        ("integer", 12.0, 12),
        ("decimal", "37,5", 37.5),
        ("decimal", 2, 2.0),
        ("date", "2014-11-09T00:00:00+01:00", "2014-11-09"),
        ("tags", '["English","German"]', ["English", "German"]),
        ("tags", ["English"], ["English"]),
        ("tags", "English, German", ["English", "German"]),
        ("tags", "[]", None),
        ("list", "M", "M"),  # a dropdown holds one option: text
        ("boolean", "yes", True),
        ("standard", 40.0, "40"),
        ("multiline", "", None),
        ("link", None, None),
        ("something new", {"a": 1}, '{"a": 1}'),
    ],
)
def test_values_are_typed_as_personio_declares_them(kind, value, expected):
    assert attributes.value_type(kind).convert(value) == expected


def test_unreadable_values_become_null_with_a_warning_naming_the_employee():
    warnings: list[tuple[int, str, object]] = []
    row = {
        "attributes": {
            "id": _wrap(7),
            "weekly_working_hours": _wrap("full time"),
            "dynamic_1": _wrap("soon", "Start", "date"),
            "dynamic_2": _wrap("1.5", "Count", "integer"),
        }
    }
    record = flatten.employee(row, BERLIN, CustomColumns(None, "key"), lambda *w: warnings.append(w))
    assert record["weekly_working_hours"] is None
    assert record["custom_attributes"] == {"dynamic_1": None, "dynamic_2": None}
    assert [(employee, key) for employee, key, _ in warnings] == [
        (7, "weekly_working_hours"),
        (7, "dynamic_1"),
        (7, "dynamic_2"),
    ]


def test_the_catalogue_decides_columns_and_an_attribute_not_returned_has_no_key():
    definitions = attributes.with_columns(
        [
            AttributeDefinition("first_name", "First name", "standard", "first_name", ()),
            AttributeDefinition("dynamic_3", "Skills", "tags", None, ("A", "B")),
            AttributeDefinition("dynamic_4", "Hired", "date", None, ()),
        ],
        "label",
    )
    assert [d.column for d in definitions] == [None, "skills", "hired"]
    row = {"attributes": {"id": _wrap(1), "dynamic_3": _wrap('["A"]', "Renamed since", "tags")}}
    record = flatten.employee(row, BERLIN, CustomColumns(definitions, "label"))
    assert record["custom_attributes"] == {"skills": ["A"]}  # dynamic_4 not returned: absent, not null


def test_discovery_reads_the_catalogue_once_and_types_each_custom_attribute(kit, personio_sandbox):
    server = personio_sandbox
    kit.personio(server).reset_counters()
    run = kit.run(kit.config(server, custom_attribute_columns="label"))
    assert kit.personio(server).counters()["by_route"].get("GET attributes") == 1
    (schema,) = [m["schema"] for m in run.of("SCHEMA", "employees")]
    custom = schema["properties"]["custom_attributes"]
    assert custom["additionalProperties"] is False
    types = {name: spec["type"] for name, spec in custom["properties"].items()}
    assert types["language_skills"] == ["array", "null"]
    assert custom["properties"]["language_skills"]["items"]["type"] == ["string"]
    assert types["bonus_factor"] == ["number", "null"]
    assert custom["properties"]["birthday"]["format"] == "date"
    assert types["t_shirt_size"] == ["string", "null"]
    assert schema["properties"]["weekly_working_hours"]["type"] == ["number", "null"]
    assert schema["properties"]["department"]["properties"]["id"]["type"] == ["integer", "null"]

    entries = {r["key"]: r for r in run.records("employee_attributes")}
    assert entries["dynamic_40113"] == {
        "key": "dynamic_40113",
        "label": "Language Skills",
        "type": "tags",
        "universal_id": None,
        "options": ["English", "German", "French", "Spanish", "Polish", "Vietnamese", "Mandarin", "Danish"],
        "custom": True,
        "column_name": "language_skills",
    }
    assert entries["dynamic_180883"]["universal_id"] == "date_of_birth"
    assert entries["email"]["column_name"] is None
    assert entries["email"]["custom"] is False
    assert len(run.of("ACTIVATE_VERSION", "employee_attributes")) == 1

    truth = {p["id"]: p for p in kit.personio(server).employees()}
    for record in run.records():
        values = record["custom_attributes"]
        assert set(values) == set(custom["properties"])
        expected = truth[record["id"]]["custom_attributes"]
        assert values["language_skills"] == sorted(values["language_skills"])
        assert values["language_skills"] == json.loads(expected["dynamic_40113"])
        assert values["bonus_factor"] == expected["dynamic_40112"]
        assert values["birthday"] == expected["dynamic_180883"]
        assert isinstance(record["weekly_working_hours"], float)


def test_profile_picture_url_is_carried_and_absent_when_hidden(kit, personio_sandbox):
    server = personio_sandbox
    records = kit.run(kit.config(server)).records()
    pictures = {r["id"]: r["profile_picture"] for r in records}
    assert all(
        url is None if i % 5 == 0 else url.endswith(f"/v1/company/employees/{i}/profile-picture")
        for i, url in pictures.items()
    )
    assert any(url is None for url in pictures.values())
    assert all(r["subcompany"]["id"] and r["cost_centers"] is not None for r in records)
    kit.personio(server).hide("profile_picture")
    assert all("profile_picture" not in r for r in kit.run(kit.config(server)).records())


@pytest.mark.parametrize("mode", ["key", "label"])
def test_flattened_records_use_only_declared_columns(kit, personio_sandbox, mode):
    """A null supervisor (the CEO) or team becomes null columns, never a stray `supervisor` key."""
    server = personio_sandbox
    kit.personio(server).hide("dynamic_21827")
    config = kit.config(server, flattening_enabled=True, flattening_max_depth=1, custom_attribute_columns=mode)
    run = kit.run(config)
    for stream in ("employees", "employee_attributes", "departments"):
        (schema,) = [m["schema"] for m in run.of("SCHEMA", stream)]
        records = run.records(stream)
        assert records
        assert all(set(r) <= set(schema["properties"]) for r in records), stream
    (schema,) = [m["schema"] for m in run.of("SCHEMA", "employees")]
    records = run.records()
    ceo = [r for r in records if r["supervisor__id"] is None]
    assert ceo
    assert all(r["supervisor__email"] is None and "supervisor" not in r for r in ceo)
    assert any(r["team__id"] is None and "team" not in r for r in records)
    assert schema["properties"]["supervisor__id"]["type"] == ["integer", "null"]
    hours = "custom_attributes__bonus_factor" if mode == "label" else "custom_attributes__dynamic_40112"
    assert schema["properties"][hours]["type"] == ["number", "null"]
    assert not any(k.startswith("custom_attributes__") and "21827" in k for k in schema["properties"])


def test_discovery_without_credentials_makes_an_open_object(caplog):
    with caplog.at_level(logging.WARNING):
        tap = TapPersonio(config={}, parse_env_config=False, validate_config=False)
    custom = tap.streams["employees"].schema["properties"]["custom_attributes"]
    assert custom["additionalProperties"] is True
    assert "properties" not in custom
    assert "open object" in caplog.text
