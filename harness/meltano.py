"""Run Meltano commands for this project with the sandbox URLs and an isolated system database."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from harness.processes import ROOT

MELTANO = str(Path(sys.executable).with_name("meltano"))

# Credentials the sandboxes accept; never real ones.
SANDBOX_ENV = {
    "TAP_PERSONIO_CLIENT_ID": "sandbox-client-id",
    "TAP_PERSONIO_CLIENT_SECRET": "sandbox-client-secret",
    "TARGET_LEAPSOME_API_TOKEN": "sandbox-scim-token",
}


@dataclass
class MeltanoProject:
    """A Meltano invocation context: which sandboxes, which system database, which project."""

    personio_url: str
    leapsome_url: str
    database_uri: str
    project_root: Path = ROOT
    extra_env: dict[str, str] | None = None

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_PERSONIO_", "TARGET_LEAPSOME_"))}
        env.update(SANDBOX_ENV)
        env.update(
            {
                "MELTANO_ENVIRONMENT": "dev",
                "MELTANO_DATABASE_URI": self.database_uri,
                "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
                "TAP_PERSONIO_BASE_URL": self.personio_url,
                "TARGET_LEAPSOME_BASE_URL": f"{self.leapsome_url}/scim/v1",
                "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            }
        )
        env.update(self.extra_env or {})
        return env

    def run(self, *args: str, timeout: float = 600, check: bool = False) -> subprocess.CompletedProcess[str]:
        """Run `meltano ARGS` in the project; output is captured for the caller to show or assert on."""
        result = subprocess.run(
            [MELTANO, *args],
            cwd=self.project_root,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"meltano {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-4000:]}")
        return result
