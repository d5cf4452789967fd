"""Shared machinery of the reliability tests: sandbox pairs, pipeline runs, comparing two Leapsomes, secrets.

Everything here drives the real plugin processes over HTTP against the in-process sandboxes and reads
back what the sandboxes hold (through `harness.admin`). The expected Leapsome state, derived from the
Personio sandbox's own data with the product contract (docs/design.md), is `harness.oracle`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.admin import LeapsomeAdmin, PersonioAdmin, SandboxAdmin
from harness.oracle import Expected, expected_from
from harness.pipeline import BIN, PipelineRun, PluginRun, _state_of, run_pipeline
from sandbox.core import Knobs, SandboxServer
from sandbox.leapsome import API_TOKEN
from sandbox.leapsome.app import LeapsomeSandbox
from sandbox.personio import CLIENT_ID, CLIENT_SECRET
from sandbox.personio.app import PersonioSandbox

JSON = dict[str, Any]
PAPI = re.compile(r"papi-[0-9a-f]{40}")
CONFIG_FILES = frozenset({"tap.json", "target.json"})  # the plugins' own input: they must hold the secrets


# -- the ledger: counts for the reliability summary, and every artifact the secrets check must read -
@dataclass
class Ledger:
    """Session-wide record of what the reliability tests did and wrote."""

    faults: Counter[str] = field(default_factory=Counter)
    kill_points: list[int] = field(default_factory=list)
    bad_inputs: list[str] = field(default_factory=list)
    artifact_dirs: list[Path] = field(default_factory=list)
    texts: list[tuple[str, str]] = field(default_factory=list)  # (where, text) not in a file
    personio_servers: list[SandboxServer] = field(default_factory=list)
    scanned_files: int = 0
    secrets_found: list[str] = field(default_factory=list)
    _seen: dict[Path, tuple[int, int]] = field(
        default_factory=dict
    )  # files already read (a token minted later cannot be in them)

    def secrets(self) -> set[str]:
        """The values that must never appear: the configured secrets and every token a sandbox minted."""
        values = {CLIENT_SECRET, API_TOKEN}
        for server in self.personio_servers:
            values |= minted_tokens(server)
        return values

    def scan(self) -> list[str]:
        """Read every artifact recorded so far; return `where: what` for each secret found."""
        secrets = self.secrets()
        found: list[str] = []
        for directory in self.artifact_dirs:
            for path in sorted(directory.rglob("*")):
                if not path.is_file() or path.name in CONFIG_FILES:
                    continue
                stat = path.stat()
                if self._seen.get(path) == (stat.st_size, stat.st_mtime_ns):
                    continue
                self._seen[path] = (stat.st_size, stat.st_mtime_ns)
                self.scanned_files += 1
                found += _secrets_in(str(path), path.read_text(errors="replace"), secrets)
        for where, text in self.texts:
            found += _secrets_in(where, text, secrets)
        self.secrets_found += [f for f in found if f not in self.secrets_found]
        return found


def _secrets_in(where: str, text: str, secrets: set[str]) -> list[str]:
    found = [f"{where}: {secret[:9]}…" for secret in secrets if secret in text]
    found += [f"{where}: a papi- token" for _ in PAPI.findall(text)][:1]
    found += [f"{where}: the token's hex part" for s in secrets if s.startswith("papi-") and s[5:] in text][:1]
    return found


LEDGER = Ledger()


def minted_tokens(server: SandboxServer) -> set[str]:
    """Every `papi-` token the Personio sandbox has handed out (its token store, read in-process)."""
    app = server.app
    assert isinstance(app, PersonioSandbox)
    with app.tokens._lock:
        return set(app.tokens._minted) | ({app.tokens._current} if app.tokens._current else set())


# -- sandboxes ------------------------------------------------------------------------------------------
def start_personio(employees: int, org_seed: int, **knobs: Any) -> SandboxServer:
    """A Personio sandbox (rate limits off unless asked) registered for the secrets check.

    `org_seed` generates the organisation; a `seed` knob, if given, only seeds the fault sequence.
    """
    options = {"seed": org_seed, "rate_limit": False, **knobs}
    server = SandboxServer(PersonioSandbox(employees=employees, seed=org_seed, knobs=Knobs(**options))).start()
    LEDGER.personio_servers.append(server)
    return server


def start_leapsome(**kwargs: Any) -> SandboxServer:
    """A Leapsome sandbox with its default seed (hand-made users and team); rate limit off unless asked."""
    knob_names = set(Knobs.__dataclass_fields__)
    knobs = Knobs(**{"retry_after": False, "rate_limit": False, **{k: v for k, v in kwargs.items() if k in knob_names}})
    return SandboxServer(LeapsomeSandbox(knobs, **{k: v for k, v in kwargs.items() if k not in knob_names})).start()


def counters(server: SandboxServer) -> JSON:
    return SandboxAdmin(server.url).counters()


def note_faults(*servers: SandboxServer) -> Counter[str]:
    """Add the sandboxes' injected-fault counters to the ledger; return them."""
    total: Counter[str] = Counter()
    for server in servers:
        total.update(counters(server)["faults"])
    LEDGER.faults.update(total)
    return total


# -- runs -----------------------------------------------------------------------------------------------
@dataclass
class Sync:
    """A Personio sandbox, a Leapsome sandbox and the plugin configs between them."""

    personio: SandboxServer
    leapsome: SandboxServer
    workdir: Path
    tap_overrides: JSON = field(default_factory=dict)
    target_overrides: JSON = field(default_factory=dict)
    runs: int = 0
    personio_admin: PersonioAdmin = field(init=False)
    leapsome_admin: LeapsomeAdmin = field(init=False)

    def __post_init__(self) -> None:
        LEDGER.artifact_dirs.append(self.workdir)
        self.personio_admin = PersonioAdmin(self.personio.url)
        self.leapsome_admin = LeapsomeAdmin(self.leapsome.url)

    def tap_config(self) -> JSON:
        return {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "base_url": self.personio.url,
            "pace_requests": False,
            "retry_backoff_seconds": 0.05,
            "max_retries": 8,
            "request_timeout": 15,
            **self.tap_overrides,
        }

    def target_config(self, run_dir: Path) -> JSON:
        return {
            "api_token": API_TOKEN,
            "base_url": self.leapsome.url + "/scim/v1",
            "max_requests_per_second": 0,
            "max_retries": 8,
            "request_timeout": 15,
            "progress_interval": 1,
            "report_path": str(run_dir / "report.json"),
            **self.target_overrides,
        }

    def run(
        self, state: JSON | None = None, *, during: Callable[[], None] | None = None, timeout: float = 120
    ) -> PipelineRun:
        """`tap-personio | target-leapsome` once; the target's stdout is kept next to the logs."""
        self.runs += 1
        run_dir = self.workdir / f"run{self.runs}"
        watcher = threading.Thread(target=during, daemon=True) if during else None
        if watcher:
            watcher.start()
        result = run_pipeline(run_dir, self.tap_config(), self.target_config(run_dir), state=state, timeout=timeout)
        if watcher:
            watcher.join(timeout=30)
        (run_dir / "stdout.jsonl").write_text("\n".join(result.stdout_lines))
        return result

    def report(self) -> JSON | None:
        path = self.workdir / f"run{self.runs}" / "report.json"
        return json.loads(path.read_text()) if path.exists() else None

    def leapsome_state(self) -> JSON:
        return self.leapsome_admin.state()

    def personio_employees(self) -> list[JSON]:
        return self.personio_admin.employees()

    def departments(self) -> dict[int, str | None]:
        return self.personio_admin.department_names()

    def expected(self, **options: Any) -> Expected:
        return expected_from(self.personio_admin, **options)


def describe(run: PipelineRun) -> str:
    """Enough of a run to understand a failed assertion."""
    return (
        f"tap exit {run.tap.returncode}, target exit {run.target.returncode}, state {run.state}\n"
        f"--- tap log (tail) ---\n{run.tap.stderr[-2500:]}\n--- target log (tail) ---\n{run.target.stderr[-4000:]}"
    )


def run_target(workdir: Path, lines: Iterable[str], config: JSON, timeout: float = 120) -> PipelineRun:
    """Feed Singer messages to a real `target-leapsome` process; returns a PipelineRun (tap side empty)."""
    workdir.mkdir(parents=True, exist_ok=True)
    LEDGER.artifact_dirs.append(workdir)
    (workdir / "target.json").write_text(json.dumps(config))
    (workdir / "input.jsonl").write_text("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TAP_PERSONIO_", "TARGET_LEAPSOME_"))}
    started = time.monotonic()
    with (workdir / "input.jsonl").open("rb") as stdin:
        done = subprocess.run(
            [str(BIN / "target-leapsome"), "--config", str(workdir / "target.json")],
            stdin=stdin,
            capture_output=True,
            timeout=timeout,
            env=env,
            check=False,
        )
    (workdir / "target.log").write_bytes(done.stderr)
    out = done.stdout.decode()
    (workdir / "stdout.jsonl").write_text(out)
    lines_out = [line for line in out.splitlines() if line.strip()]
    states = [state for state in map(_state_of, lines_out) if state is not None]
    return PipelineRun(
        tap=PluginRun(0, 0.0, ""),
        target=PluginRun(done.returncode, 0.0, done.stderr.decode(errors="replace")),
        wall_seconds=time.monotonic() - started,
        state=states[-1] if states else None,
        stdout_lines=lines_out,
    )


def tap_messages(workdir: Path, personio: SandboxServer, **overrides: Any) -> list[str]:
    """Run the real tap once and return its Singer messages (for tests that then edit them)."""
    workdir.mkdir(parents=True, exist_ok=True)
    LEDGER.artifact_dirs.append(workdir)
    config = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "base_url": personio.url,
        "pace_requests": False,
        **overrides,
    }
    (workdir / "tap.json").write_text(json.dumps(config))
    done = subprocess.run(
        [str(BIN / "tap-personio"), "--config", str(workdir / "tap.json")],
        capture_output=True,
        timeout=120,
        check=False,
    )
    (workdir / "tap.log").write_bytes(done.stderr)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return [line for line in done.stdout.decode().splitlines() if line.strip()]


# -- killing the target at a chosen write --------------------------------------------------------------
def child_pids(name: str) -> list[int]:
    """Pids of this process's own children whose command line mentions `name` (from /proc)."""
    me = os.getpid()
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == me and name in cmdline:
            found.append(int(entry.name))
    return found


@dataclass
class Killer:
    """Watches the Leapsome sandbox's write counter and SIGKILLs the target when it reaches `at_write`."""

    leapsome: SandboxServer
    at_write: int
    timeout: float = 60.0
    killed_at: int | None = None

    def __call__(self) -> None:
        deadline = time.monotonic() + self.timeout
        target: int | None = None
        while time.monotonic() < deadline:
            if target is None:
                pids = child_pids("target-leapsome")
                target = pids[0] if pids else None
            writes = self.leapsome.app.counters.writes
            if target is not None and writes >= self.at_write:
                try:
                    os.kill(target, signal.SIGKILL)
                except ProcessLookupError:
                    return  # it finished first
                self.killed_at = writes
                return
            time.sleep(0.001)


# -- comparing two Leapsome sandboxes (the oracle itself is harness/oracle.py) ----------------------
def normalized(state: JSON) -> JSON:
    """The Leapsome state with Leapsome's own ids replaced by the sync's keys, to compare two sandboxes."""
    users = {u["id"]: u for u in state["users"]}
    groups = {g["id"]: g for g in state["groups"]}

    def user_key(uid: str | None) -> str | None:
        user = users.get(uid or "")
        return None if user is None else str(user.get("externalId") or user["userName"])

    out_users = {}
    for user in state["users"]:
        out_users[user_key(user["id"])] = {
            **{k: v for k, v in user.items() if k not in ("id", "version", "manager", "teams", "additionalManagers")},
            "manager": user_key(user.get("manager")),
            "teams": sorted(
                str(groups[t].get("externalId") or groups[t]["displayName"]) for t in user.get("teams", [])
            ),
        }
    out_groups = {
        str(g.get("externalId") or g["displayName"]): {
            "displayName": g["displayName"],
            "members": sorted(str(user_key(m)) for m in g["members"]),
        }
        for g in state["groups"]
    }
    return {"users": out_users, "groups": out_groups}


def diff(left: JSON, right: JSON) -> list[str]:
    """Key-level differences between two normalized states."""
    problems = []
    for kind in ("users", "groups"):
        for key in sorted(set(left[kind]) | set(right[kind]), key=str):
            if left[kind].get(key) != right[kind].get(key):
                problems.append(f"{kind} {key}: {left[kind].get(key)} != {right[kind].get(key)}")
    return problems
