"""`dialer user add` reads the password from stdin, never argv, and the user can then sign in."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from dialer.cli.main import cli
from dialer.web.security import verify_password
from scheduler import migrations
from scheduler.operators import OperatorStore
from scheduler.sql_ledger import SqlLedger


def test_user_add_with_password_stdin(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'dialer.db'}"
    migrations.upgrade(url)
    env = {"DIALER_DATA_DIR": str(data)}
    runner = CliRunner()
    result = runner.invoke(
        cli,
        ["user", "add", "carol", "--role", "supervisor", "--password-stdin"],
        input="a long passphrase\n",
        env=env,
    )
    assert result.exit_code == 0, result.output
    assert "a long passphrase" not in result.output
    weak = runner.invoke(
        cli, ["user", "add", "dan", "--role", "viewer", "--password-stdin"], input="short\n", env=env
    )
    assert weak.exit_code != 0 and "at least" in weak.output
    dup = runner.invoke(
        cli,
        ["user", "add", "carol", "--role", "viewer", "--password-stdin"],
        input="another long one\n",
        env=env,
    )
    assert dup.exit_code != 0 and "already exists" in dup.output
    bad_role = runner.invoke(
        cli, ["user", "add", "eve", "--role", "root", "--password-stdin"], input="x" * 12, env=env
    )
    assert bad_role.exit_code == 2
    ledger = SqlLedger.open(url)
    try:
        found = OperatorStore(ledger.engine).credentials("carol")
        assert found is not None and found[0].role == "supervisor"
        assert verify_password(found[1], "a long passphrase") and not verify_password(found[1], "wrong")
        assert any(a.action == "user.add" for a in ledger.list_audit())
    finally:
        ledger.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_dialer_web_serves_the_console_and_creates_its_secret_key(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    migrations.upgrade(f"sqlite:///{data / 'dialer.db'}")
    port = free_port()
    env = {**os.environ, "DIALER_DATA_DIR": str(data)}
    dialer = Path(sys.executable).parent / "dialer"
    proc = subprocess.Popen(
        [str(dialer), "web", "--host", "127.0.0.1", "--port", str(port), "--insecure-cookies"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        response = None
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/login", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
                time.sleep(0.2)
        assert response is not None and response.status_code == 200 and "Sign in" in response.text
        api = httpx.get(f"http://127.0.0.1:{port}/api/campaigns", timeout=5)
        assert api.status_code == 401
        key = data / "web-secret"
        assert key.is_file() and key.stat().st_mode & 0o077 == 0  # owner-only
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_dialer_web_refuses_a_database_that_is_not_migrated(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["web", "--port", "1"], env={"DIALER_DATA_DIR": str(tmp_path / "d")})
    assert result.exit_code == 1 and "dialer db upgrade" in result.output
