"""Passwords: common ones and their variations, the user's own name, repeated characters and keyboard runs
are refused; the CLI and the console accept the same user names. The probe: `password12` and a password
equal to the name were accepted, and the CLI accepted names the console refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from dialer.cli.main import cli
from dialer.web.security import WeakPassword, check_password_strength, valid_user_name
from scheduler import migrations

from .conftest import ConsoleEnv, csrf_from


@pytest.mark.parametrize(
    ("password", "name", "reason"),
    [
        ("password12", "", "common"),
        ("Password2026!", "", "common"),
        ("qwertyuiop", "", "common"),
        ("1234567890", "", "keyboard sequence"),
        ("aaaaaaaaaaaa", "", "repeated"),
        ("carol-the-admin", "carol-the-admin", "user name"),
        ("carol2026!!", "Carol", "user name"),
        ("short", "", "at least 10"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, name: str, reason: str) -> None:
    with pytest.raises(WeakPassword, match=reason):
        check_password_strength(password, name)


@pytest.mark.parametrize(
    "password", ["correct horse battery", "Tr0ubadour-Horse-Staple", "月亮代表我的心我的情也真"]
)
def test_good_passwords_pass(password: str) -> None:
    check_password_strength(password, "carol")


def test_the_console_refuses_a_common_password_and_the_name_as_password(env: ConsoleEnv) -> None:
    client = env.client("admin")
    token = csrf_from(client.get("/admin/users").text)
    for name, password in (("bob", "password12"), ("bob.smith", "bob.smith-2026")):
        form = {"username": name, "role": "viewer", "password": password, "csrf_token": token}
        assert client.post("/admin/users", data=form).status_code == 422
    assert "bob" not in [u.name for u in env.store.list_users()]


@pytest.mark.parametrize("name", ["carol smith", "../x", "", "a" * 65, "café", "<b>"])
def test_the_cli_refuses_names_the_console_refuses(tmp_path: Path, name: str) -> None:
    assert not valid_user_name(name)
    data = tmp_path / "d"
    data.mkdir()
    migrations.upgrade(f"sqlite:///{data / 'dialer.db'}")
    result = CliRunner().invoke(
        cli,
        ["user", "add", name, "--role", "viewer", "--password-stdin"],
        input="correct horse battery\n",
        env={"DIALER_DATA_DIR": str(data)},
    )
    assert result.exit_code == 1 and "1-64 characters" in result.output


def test_the_cli_refuses_the_name_as_password(tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    migrations.upgrade(f"sqlite:///{data / 'dialer.db'}")
    result = CliRunner().invoke(
        cli,
        ["user", "add", "operator-one", "--role", "viewer", "--password-stdin"],
        input="operator-one\n",
        env={"DIALER_DATA_DIR": str(data)},
    )
    assert result.exit_code == 1 and "user name" in result.output
