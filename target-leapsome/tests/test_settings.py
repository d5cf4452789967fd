"""The settings have one source: the schema in settings.py. meltano.yml restates its defaults, so it is checked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from singer_sdk.exceptions import ConfigValidationError
from target_leapsome.settings import CONFIG_SCHEMA, DEFAULTS, Settings

ROOT = Path(__file__).resolve().parents[2]
KINDS = {
    "string": "string",
    "boolean": "boolean",
    "integer": "integer",
    "number": "decimal",
    "array": "array",
    "object": "object",
}


def meltano_settings() -> dict[str, dict]:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (loader,) = [p for p in project["plugins"]["loaders"] if p["name"] == "target-leapsome"]
    return {setting["name"]: setting for setting in loader["settings"]}


def test_meltano_yml_restates_the_schema():
    """Same names, kinds and defaults: `meltano config list` shows what the target would use anyway."""
    declared = meltano_settings()
    properties = CONFIG_SCHEMA["properties"]
    assert set(declared) == set(properties)
    for name, spec in properties.items():
        json_type = next(kind for kind in spec["type"] if kind != "null")
        assert declared[name]["kind"] == KINDS[json_type], name
        assert declared[name].get("value") == spec.get("default"), name


def test_absent_and_null_settings_read_as_the_schema_defaults():
    settings = Settings.from_config({"api_token": "x", "report_path": "", "statuses": None, "concurrency": None})
    for name, default in DEFAULTS.items():
        value = getattr(settings, name)
        assert value == (tuple(default) if isinstance(default, list) else default), name
    assert settings.report_path is None


def test_each_check_names_its_setting():
    with pytest.raises(ConfigValidationError) as raised:
        Settings.from_config({"api_token": "x", "base_url": "ftp://x", "max_deactivation_share": -1, "concurrency": 0})
    assert [error.split(":")[0] for error in raised.value.errors] == [
        "base_url",
        "max_deactivation_share",
        "concurrency",
    ]
