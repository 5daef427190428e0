"""A throwaway PostgreSQL cluster for tests: initdb + pg_ctl in a temp dir on a free port.

Uses Debian's server binaries (``/usr/lib/postgresql/<v>/bin``, package ``postgresql``).
initdb refuses to run as root, so as root the cluster runs as the ``postgres`` user
(``runuser``). :func:`find_binaries` returns ``None`` when no server is installed; the
tests then skip, except with ``CI=true`` where they fail.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path


def find_binaries() -> Path | None:
    """The directory holding initdb/pg_ctl, or ``None``."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    return Path(candidates[0]).parent if candidates else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TempPostgres:
    """One cluster; :meth:`new_database` hands out fresh databases as ``postgresql://`` URLs."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = _free_port()
        self.root = Path(tempfile.mkdtemp(prefix="tzomet-pg-"))
        self.datadir = self.root / "data"
        self.as_root = os.geteuid() == 0
        self.user = "postgres" if self.as_root else None

    def _cmd(self, *args: str) -> list[str]:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        return ["runuser", "-u", "postgres", "--", *cmd] if self.as_root else cmd

    def start(self) -> TempPostgres:
        """initdb and start; raises ``RuntimeError`` with the server's output on failure."""
        if self.as_root:
            shutil.chown(self.root, "postgres")
            os.chmod(self.root, 0o700)
        steps = [
            self._cmd("initdb", "-D", str(self.datadir), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                      "--no-sync"),
            self._cmd("pg_ctl", "-D", str(self.datadir), "-l", str(self.root / "log.txt"), "-w", "-t", "60",
                      "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                            "-c max_connections=200", "start"),
        ]
        for cmd in steps:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
            if done.returncode != 0:
                log = (self.root / "log.txt").read_text() if (self.root / "log.txt").exists() else ""
                raise RuntimeError(f"{cmd[0]} failed: {done.stdout}{done.stderr}{log}")
        return self

    def new_database(self) -> str:
        """Create an empty database and return its URL."""
        import psycopg

        name = "t_" + uuid.uuid4().hex[:12]
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
                    conn.execute(f'CREATE DATABASE "{name}"')
                return self.url(name)
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def url(self, database: str) -> str:
        """The URL of ``database`` on this cluster."""
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def pause(self) -> None:
        """Stop the server (fast shutdown: open connections are cut), keeping its files and port."""
        subprocess.run(self._cmd("pg_ctl", "-D", str(self.datadir), "-m", "fast", "-w", "stop"),
                       capture_output=True, timeout=60, check=True)

    def resume(self) -> None:
        """Start the paused server again on the same port."""
        subprocess.run(self._cmd("pg_ctl", "-D", str(self.datadir), "-l", str(self.root / "log.txt"), "-w", "-t",
                                 "60", "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                                 "-c fsync=off -c max_connections=200", "start"),
                       capture_output=True, timeout=120, check=True)

    def stop(self) -> None:
        """Stop the server and delete its files."""
        subprocess.run(self._cmd("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop"),
                       capture_output=True, timeout=60, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


_SHARED: dict[str, TempPostgres | str] = {}


def shared_cluster() -> TempPostgres:
    """One cluster for the whole test run (started on first use, stopped at exit).

    Raises ``RuntimeError`` saying why when PostgreSQL is not available.
    """
    import atexit

    if "error" in _SHARED:
        raise RuntimeError(str(_SHARED["error"]))
    cluster = _SHARED.get("cluster")
    if isinstance(cluster, TempPostgres):
        return cluster
    bindir = find_binaries()
    if bindir is None:
        _SHARED["error"] = "PostgreSQL server binaries not found (apt-get install postgresql)"
        raise RuntimeError(_SHARED["error"])
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _SHARED["error"] = "psycopg is not installed (pip install 'psycopg[binary]')"
        raise RuntimeError(_SHARED["error"]) from None
    try:
        cluster = TempPostgres(bindir).start()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        _SHARED["error"] = f"could not start a throwaway PostgreSQL: {exc}"
        raise RuntimeError(_SHARED["error"]) from None
    _SHARED["cluster"] = cluster
    atexit.register(cluster.stop)
    return cluster


def database_url_or_skip() -> str:
    """A fresh database on the shared cluster; skips the test without PostgreSQL (fails under CI=true)."""
    import pytest

    try:
        return shared_cluster().new_database()
    except RuntimeError as exc:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(str(exc))
