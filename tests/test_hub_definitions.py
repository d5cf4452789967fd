"""The plugins' Meltano Hub-style definitions are generated from `--about`, so they cannot drift from the code."""

import yaml
from meltano.core.plugin import PluginType
from meltano.core.plugin.base import PluginDefinition

from harness.hub_definitions import PLUGINS, stale_definitions

SECRETS = {
    "tap-personio": {"client_id", "client_secret"},
    "target-leapsome": {"api_token", "notify_webhook_url", "content_api_secret"},
}


def test_committed_definitions_match_the_plugins():
    stale = stale_definitions()
    assert stale == [], f"plugin definitions out of date: {stale}; run `python -m harness.hub_definitions`"


def test_definitions_are_what_meltano_add_from_ref_accepts():
    for plugin in PLUGINS:
        raw = yaml.safe_load(plugin.definition_path.read_text(encoding="utf-8"))
        parsed = PluginDefinition.parse({"plugin_type": PluginType(plugin.plugin_type), **raw})
        assert parsed.name == plugin.name
        assert parsed.namespace == plugin.namespace
        (variant,) = parsed.variants
        assert variant.pip_url.endswith(f"#subdirectory={plugin.name}")
        assert {s.name for s in variant.settings if s.sensitive} == SECRETS[plugin.name]
