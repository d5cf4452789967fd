"""The plugins as a stranger would use them: built wheels, added to a brand-new Meltano project from the definitions.

Nothing of this repository's own meltano.yml or editable installs is used: `meltano init` makes an empty
project, `meltano add --from-ref` adds each plugin from its `meltano-hub.yml` (with `pip_url` pointing at a
wheel built from the sources, as the README describes for a wheel), and `meltano install` puts them in
Meltano's own virtualenvs. One project serves every test here, so the install happens once.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml

from harness.processes import ROOT
from sandbox import leapsome, personio
from sandbox.core import SandboxServer

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

BIN = Path(sys.executable).parent
MELTANO = str(BIN / "meltano")
SYNCED_STATUSES = {"active", "leave"}
# Variables that would configure a plugin or Meltano from outside the new project (a developer's shell).
FOREIGN_PREFIXES = ("TAP_", "TARGET_", "MELTANO_")


@dataclass
class OwnProject:
    """A Meltano project in a temporary folder, run with a clean environment (its `.env` configures it)."""

    root: Path

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(FOREIGN_PREFIXES)}
        env.update(
            {
                "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
                # Meltano 4.4's default, stated so a changed default cannot make the install slow unnoticed
                "MELTANO_VENV_BACKEND": "uv",
                # without this repository's venv on PATH, only what Meltano installed can run
                "PATH": os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if Path(p) != BIN),
            }
        )
        return env

    def meltano(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [MELTANO, *args],
            cwd=self.root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert result.returncode == 0, f"meltano {' '.join(args)} failed:\n{result.stderr[-5000:]}"
        return result

    def configure(self, personio_server: SandboxServer, leapsome_server: SandboxServer, csv_dir: Path) -> None:
        """Point the plugins at this test's sandboxes the way a user would: a `.env` file Meltano reads."""
        settings = {
            "TAP_PERSONIO_CLIENT_ID": personio.CLIENT_ID,
            "TAP_PERSONIO_CLIENT_SECRET": personio.CLIENT_SECRET,
            "TAP_PERSONIO_BASE_URL": personio_server.url,
            "TARGET_LEAPSOME_API_TOKEN": leapsome.API_TOKEN,
            "TARGET_LEAPSOME_BASE_URL": f"{leapsome_server.url}/scim/v1",
            "TARGET_CSV_OUTPUT_PATH": str(csv_dir),
        }
        (self.root / ".env").write_text("".join(f"{k}={v}\n" for k, v in settings.items()), encoding="utf-8")


def build_wheel(plugin: str, outdir: Path) -> Path:
    """`python -m build --wheel` of one plugin folder; uv installs the build backend, which is quicker than pip."""
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--installer", "uv", "--outdir", str(outdir), str(ROOT / plugin)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    (wheel,) = outdir.glob(f"{plugin.replace('-', '_')}-*.whl")
    return wheel


def definition_with_pip_url(plugin: str, pip_url: str, folder: Path) -> Path:
    """A copy of the plugin's committed definition that installs from `pip_url` (what the README says to do)."""
    definition = yaml.safe_load((ROOT / plugin / "meltano-hub.yml").read_text(encoding="utf-8"))
    definition["pip_url"] = pip_url
    path = folder / f"{plugin}.yml"
    path.write_text(yaml.safe_dump(definition, sort_keys=False), encoding="utf-8")
    return path


def target_csv_definition(folder: Path) -> Path:
    """MeltanoLabs' target-csv exactly as this repository's meltano.yml pins it, plus the one setting we set."""
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    (loader,) = [p for p in project["plugins"]["loaders"] if p["name"] == "target-csv"]
    definition = {k: v for k, v in loader.items() if k != "config"}
    definition["settings"] = [{"name": "output_path", "kind": "string", "label": "Output path"}]
    path = folder / "target-csv.yml"
    path.write_text(yaml.safe_dump(definition, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def own_project(tmp_path_factory: pytest.TempPathFactory) -> OwnProject:
    """Wheels built, a new project initialised, the three plugins added from definitions and installed."""
    work = tmp_path_factory.mktemp("own-project")
    wheels = work / "wheels"
    definitions = work / "definitions"
    definitions.mkdir()
    refs = {
        "extractor": definition_with_pip_url("tap-personio", str(build_wheel("tap-personio", wheels)), definitions),
        "loader": definition_with_pip_url("target-leapsome", str(build_wheel("target-leapsome", wheels)), definitions),
    }
    outside = OwnProject(work)
    outside.meltano("init", "project", "--no-usage-stats")
    project = OwnProject(work / "project")
    project.meltano(
        "add", "--plugin-type", "extractor", "tap-personio", "--from-ref", str(refs["extractor"]), "--no-install"
    )
    project.meltano(
        "add", "--plugin-type", "loader", "target-leapsome", "--from-ref", str(refs["loader"]), "--no-install"
    )
    project.meltano(
        "add",
        "--plugin-type",
        "loader",
        "target-csv",
        "--from-ref",
        str(target_csv_definition(definitions)),
        "--no-install",
    )
    project.meltano("install", timeout=600)
    return project


def admin(server: SandboxServer, path: str) -> Any:
    response = requests.get(f"{server.url}/_admin/{path}", timeout=30)
    response.raise_for_status()
    return response.json()


def test_plugins_are_installed_as_defined(own_project: OwnProject) -> None:
    """meltano.yml holds our definitions (wheel pip_url, secrets sensitive); each plugin reports its package version."""
    project = yaml.safe_load((own_project.root / "meltano.yml").read_text(encoding="utf-8"))
    tap = next(p for p in project["plugins"]["extractors"] if p["name"] == "tap-personio")
    target = next(p for p in project["plugins"]["loaders"] if p["name"] == "target-leapsome")
    assert tap["pip_url"].endswith(".whl")
    assert target["pip_url"].endswith(".whl")
    sensitive = {s["name"] for plugin in (tap, target) for s in plugin["settings"] if s.get("sensitive")}
    assert sensitive == {"client_id", "client_secret", "api_token", "notify_webhook_url", "content_api_secret"}
    for kind, name in (("extractors", "tap-personio"), ("loaders", "target-leapsome")):
        executable = own_project.root / ".meltano" / kind / name / "venv" / "bin" / name
        about = subprocess.run(
            [str(executable), "--about", "--format=json"], capture_output=True, text=True, timeout=60, check=True
        )
        with (ROOT / name / "pyproject.toml").open("rb") as handle:
            version = tomllib.load(handle)["project"]["version"]
        assert json.loads(about.stdout)["version"] == version


def test_sync_into_leapsome(own_project: OwnProject, personio_factory, leapsome_factory, tmp_path: Path) -> None:
    personio_server = personio_factory(employees=40, seed=7)
    leapsome_server = leapsome_factory()
    own_project.configure(personio_server, leapsome_server, tmp_path)
    own_project.meltano("run", "tap-personio", "target-leapsome")

    people = admin(personio_server, "employees")
    should_have_users = {str(p["id"]): p for p in people if p["status"] in SYNCED_STATUSES}
    assert should_have_users, "the sandbox should have active employees"
    state = admin(leapsome_server, "state")
    synced = {u["externalId"]: u for u in state["users"] if u.get("externalId") and u["active"]}
    assert set(synced) == set(should_have_users)
    for pid, person in should_have_users.items():
        assert synced[pid]["userName"] == person["email"].lower()


def test_tap_into_target_csv(own_project: OwnProject, personio_factory, leapsome_factory, tmp_path: Path) -> None:
    """The same installed tap feeds MeltanoLabs' target-csv: every employee and department arrives."""
    personio_server = personio_factory(employees=40, seed=8)
    out = tmp_path / "csv"
    out.mkdir()
    own_project.configure(personio_server, leapsome_factory(), out)
    own_project.meltano("run", "tap-personio", "target-csv")

    with next(out.glob("employees*.csv")).open(newline="", encoding="utf-8") as handle:
        employee_ids = {int(row["id"]) for row in csv.DictReader(handle)}
    with next(out.glob("departments*.csv")).open(newline="", encoding="utf-8") as handle:
        department_ids = {int(row["id"]) for row in csv.DictReader(handle)}
    assert employee_ids == {p["id"] for p in admin(personio_server, "employees")}
    assert department_ids >= {d["id"] for d in admin(personio_server, "departments")}
