"""A throwaway PostgreSQL server of the test's own (initdb in a temporary folder, a free loopback port), so
a test may stop and restart it without touching the server the rest of the suite shares."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import sqlalchemy as sa


def _binaries() -> Path | None:
    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True):
        return Path(initdb).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivatePostgres:
    """initdb + pg_ctl as an unprivileged user (PostgreSQL refuses root: then as `postgres`)."""

    def __init__(self) -> None:
        bin_dir = _binaries()
        if bin_dir is None:
            raise RuntimeError("no PostgreSQL server binaries (initdb, pg_ctl) on this machine")
        self.bin = bin_dir
        self.prefix: list[str] = []
        # its own folder in /tmp: pytest's folders are private to us, and the server runs as another user
        self.root = Path(tempfile.mkdtemp(prefix="dialer-pg-"))
        if os.geteuid() == 0:
            runuser = shutil.which("runuser")
            if runuser is None:
                shutil.rmtree(self.root)
                raise RuntimeError("root without runuser: cannot start PostgreSQL as another user")
            self.prefix = [runuser, "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres")
        self.data = self.root / "pgdata"
        self.port = _free_port()
        self._run(
            "initdb", "-D", str(self.data), "-U", "dialer", "--auth=trust", "-E", "UTF8", "--no-sync",
            "--no-instructions",
        )  # fmt: skip
        self.start()
        admin = sa.create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE DATABASE ledger"))
        admin.dispose()

    def url(self, database: str = "ledger") -> str:
        return f"postgresql+psycopg://dialer@127.0.0.1:{self.port}/{database}"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.prefix, str(self.bin / tool), *args],
            check=True,
            timeout=60,
            capture_output=True,
            cwd=self.root,
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "server.log"), "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def close(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
