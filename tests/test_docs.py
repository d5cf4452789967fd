"""The READMEs' settings tables are the plugins' own `--about` output, so they cannot drift from the code."""

from harness.readme import READMES, stale_blocks


def test_readme_settings_tables_match_about_output():
    assert all(path.exists() for path in READMES)
    stale = stale_blocks()
    assert stale == [], f"settings tables out of date in {stale}: run `make readme`"
