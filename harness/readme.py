"""Keep the settings tables in the READMEs equal to what the plugins print with `--about --format=markdown`.

`python -m harness.readme` rewrites the blocks between `<!-- about:PLUGIN -->` and `<!-- /about:PLUGIN -->`;
a test calls `stale_blocks()` so a setting added without updating the docs fails CI.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from harness.processes import ROOT

READMES = [ROOT / "README.md", ROOT / "tap-personio" / "README.md", ROOT / "target-leapsome" / "README.md"]
BLOCK = re.compile(r"(<!-- about:(?P<plugin>[\w-]+) -->\n)(?P<body>.*?)(<!-- /about:(?P=plugin) -->)", re.DOTALL)


def about_markdown(plugin: str) -> str:
    """The settings table of the plugin's own `--about --format=markdown`."""
    executable = Path(sys.executable).with_name(plugin)
    text = subprocess.run(
        [str(executable), "--about", "--format=markdown"], capture_output=True, text=True, check=True
    ).stdout
    table = text[text.index("| Setting |") :]
    rows = [line for line in table.splitlines() if line.startswith("|")]
    return "\n".join(rows) + "\n"


def render(readme: Path, cache: dict[str, str]) -> str:
    def block(match: re.Match[str]) -> str:
        plugin = match["plugin"]
        if plugin not in cache:
            cache[plugin] = about_markdown(plugin)
        return f"{match.group(1)}{cache[plugin]}{match.group(4)}"

    return BLOCK.sub(block, readme.read_text(encoding="utf-8"))


def stale_blocks() -> list[Path]:
    """READMEs whose settings blocks differ from the plugins' current `--about` output."""
    cache: dict[str, str] = {}
    return [p for p in READMES if p.exists() and render(p, cache) != p.read_text(encoding="utf-8")]


def main() -> None:
    cache: dict[str, str] = {}
    for readme in READMES:
        if readme.exists():
            readme.write_text(render(readme, cache), encoding="utf-8")


if __name__ == "__main__":
    main()
