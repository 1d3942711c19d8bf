"""`dialer web` off the loopback: refused without `--public` and HTTPS (served or at a trusted proxy);
then Secure cookies and HSTS. The probe: `--host 0.0.0.0` bound with no flag and no warning, and the
session cookie was not Secure because the check read `[web] host`, not `--host`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from dialer.cli.main import cli
from dialer.settings import load_settings
from dialer.web import create_app
from dialer.web.binding import BindRefused, is_loopback, plan_bind

from .conftest import ConsoleEnv


def run_web(tmp_path: Path, *args: str, **env: str) -> tuple[int, str]:
    environ = {"DIALER_DATA_DIR": str(tmp_path / "d"), **env}
    result = CliRunner().invoke(cli, ["web", "--port", "1", *args], env=environ)
    return result.exit_code, result.output


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "console.example"])
def test_an_address_other_hosts_reach_needs_public(tmp_path: Path, host: str) -> None:
    code, output = run_web(tmp_path, "--host", host)
    assert code == 1 and f"refusing to listen on {host}" in output and "--public" in output


def test_the_check_reads_the_host_actually_bound(tmp_path: Path) -> None:
    code, output = run_web(tmp_path, "--host", "0.0.0.0", DIALER_WEB__HOST="127.0.0.1")
    assert code == 1 and "refusing to listen on 0.0.0.0" in output
    code, output = run_web(tmp_path, DIALER_WEB__HOST="0.0.0.0")
    assert code == 1 and "refusing to listen on 0.0.0.0" in output


def test_public_without_tls_or_a_trusted_proxy_is_refused(tmp_path: Path) -> None:
    code, output = run_web(tmp_path, "--host", "0.0.0.0", "--public")
    assert code == 1 and "needs HTTPS" in output
    code, output = run_web(
        tmp_path, "--host", "0.0.0.0", "--public", DIALER_WEB__TLS_CERTFILE=str(tmp_path / "none.pem")
    )
    assert code == 1 and "tls_certfile and tls_keyfile go together" in output


def test_plans(tmp_path: Path) -> None:
    base = {"DIALER_DATA_DIR": str(tmp_path / "d")}
    settings = load_settings(None, environ=base)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("10.0.0.1")
    assert plan_bind(settings, None, None, False, False).secure is False
    proxied = load_settings(None, environ={**base, "DIALER_WEB__TRUSTED_PROXY": "10.0.0.5"})
    plan = plan_bind(proxied, "0.0.0.0", 8443, True, False)
    assert plan.secure and plan.trusted_proxy == "10.0.0.5" and plan.host == "0.0.0.0"
    with pytest.raises(BindRefused, match="loopback only"):
        plan_bind(proxied, "0.0.0.0", 8443, True, True)
    (tmp_path / "c.pem").write_text("cert")
    (tmp_path / "k.pem").write_text("key")
    tls = load_settings(
        None,
        environ={
            **base,
            "DIALER_WEB__TLS_CERTFILE": str(tmp_path / "c.pem"),
            "DIALER_WEB__TLS_KEYFILE": str(tmp_path / "k.pem"),
        },
    )
    served = plan_bind(tls, "::", None, True, False)
    assert served.secure and served.scheme == "https" and served.certfile == tmp_path / "c.pem"


def test_a_public_console_sends_secure_cookies_and_hsts(sqlite_env: ConsoleEnv, tmp_path: Path) -> None:
    from .conftest import SECRET

    settings = load_settings(
        None,
        environ={
            "DIALER_DATA_DIR": str(sqlite_env.settings.data_dir),
            "DIALER_WEB__TRUSTED_PROXY": "10.0.0.5",
        },
    )
    plan = plan_bind(settings, "0.0.0.0", None, True, False)
    app = create_app(settings, ledger=sqlite_env.ledger, cookie_secure=plan.secure, secret_key=SECRET)
    page = TestClient(app, base_url="https://console.test").get("/login")
    assert "secure" in page.headers["set-cookie"].lower()
    assert page.headers["strict-transport-security"].startswith("max-age=")
    local = TestClient(sqlite_env.app).get("/login")
    assert (
        "strict-transport-security" not in local.headers
        and "secure" not in local.headers["set-cookie"].lower()
    )
