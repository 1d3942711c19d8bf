"""`dialer user add` reads the password from stdin, never argv, and the user can then sign in."""

from __future__ import annotations

from click.testing import CliRunner

from dialer.cli.main import cli
from dialer.web.security import verify_password
from scheduler import migrations
from scheduler.operators import OperatorStore
from scheduler.sql_ledger import SqlLedger


def test_user_add_with_password_stdin(tmp_path: object, monkeypatch: object) -> None:
    from pathlib import Path

    data = Path(str(tmp_path)) / "data"
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
