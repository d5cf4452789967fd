"""A throw-away PostgreSQL server for the production-style state test, installed from Debian if missing.

Meltano's production deployments keep their system database (and so the Singer state) in PostgreSQL;
this starts a private cluster on a free port in a temporary folder and removes it afterwards.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    """PostgreSQL is not installed and cannot be installed here (not root, or no apt-get)."""


def _bin_dir() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def ensure_installed() -> Path:
    """Return the folder holding initdb/pg_ctl, installing Debian's postgresql package when needed."""
    bin_dir = _bin_dir()
    if bin_dir:
        return bin_dir
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise PostgresUnavailable("PostgreSQL is not installed and this user cannot apt-get install it")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env, capture_output=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
        check=True,
        env=env,
        capture_output=True,
    )
    bin_dir = _bin_dir()
    if not bin_dir:
        raise PostgresUnavailable("apt-get installed postgresql but initdb was not found")
    return bin_dir


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def temporary_server(database: str = "meltano") -> Iterator[str]:
    """Run a private PostgreSQL cluster; yields a SQLAlchemy URI for Meltano (psycopg 3 driver)."""
    bin_dir = ensure_installed()
    base = Path(tempfile.mkdtemp(prefix="pg-"))
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    as_postgres: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    port = _free_port()

    def run(*cmd: str) -> None:
        subprocess.run([*as_postgres, *cmd], check=True, capture_output=True, cwd=base)

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "meltano", "--auth=trust", "-E", "UTF8")
    run(
        str(bin_dir / "pg_ctl"),
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
        run(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "meltano", database)
        yield f"postgresql+psycopg://meltano@127.0.0.1:{port}/{database}"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)
