"""`dialer sip check` and `dialer call` as an operator runs them (separate processes, real sipp peers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .peers import Procs, port_block, scenario

HERE = Path(__file__).resolve().parent


def dialer(
    *args: str, env: dict[str, str] | None = None, timeout: int = 60
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DIALER_")}
    full_env.update(env or {})
    return subprocess.run(
        ["timeout", str(timeout), sys.executable, "-m", "dialer.cli.main", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout + 5,
    )


def _register_profile(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "trunk.yaml"
    path.write_text(
        "name: reg\nmode: register\n"
        f"domain: 127.0.0.1:{port}\nregistrar: sip:127.0.0.1:{port}\n"
        "auth:\n  username: '100200'\n  password_env: TEST_TRUNK_PW\n"
    )
    return path


def _registrar(procs: Procs, tmp_path: Path) -> int:
    text = (HERE / "scenarios" / "registrar_digest.xml").read_text()
    xml = tmp_path / "registrar.xml"
    xml.write_text(text.replace("USERNAME", "100200").replace("PASSWORD", "correct-horse"))
    port = port_block(1)
    procs.sipp(xml, port, log_dir=tmp_path)
    return port


@pytest.mark.sip
def test_sip_check_registers_through_a_digest_challenge(procs: Procs, tmp_path: Path) -> None:
    port = _registrar(procs, tmp_path)
    out = dialer(
        "sip", "check", str(_register_profile(tmp_path, port)), env={"TEST_TRUNK_PW": "correct-horse"}
    )
    assert out.returncode == 0, out.stderr
    assert "registered: 200 OK" in out.stdout
    assert "correct-horse" not in out.stdout + out.stderr


@pytest.mark.sip
def test_sip_check_reports_a_rejected_password(procs: Procs, tmp_path: Path) -> None:
    port = _registrar(procs, tmp_path)
    out = dialer("sip", "check", str(_register_profile(tmp_path, port)), env={"TEST_TRUNK_PW": "wrong-pw"})
    assert out.returncode == 1
    assert "registration failed: 403" in out.stderr
    assert "wrong-pw" not in out.stdout + out.stderr


def test_sip_check_names_the_invalid_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: bad\ndomain: 127.0.0.1\ndtmf_mode: inband\n")
    out = dialer("sip", "check", str(bad))
    assert out.returncode == 2
    assert "bad.yaml:3: field 'dtmf_mode'" in out.stderr


def test_sip_check_ip_auth_profile_needs_no_registration() -> None:
    out = dialer("sip", "check", str(HERE.parents[1] / "sip_config" / "examples" / "ip-auth-trunk.yaml"))
    assert out.returncode == 0, out.stderr
    assert "nothing to register" in out.stdout


@pytest.mark.sip
@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_dialer_call_json_reports_busy(
    procs: Procs, shared_dir: Path, tmp_path: Path, transport: str
) -> None:
    port = port_block(1)
    extra = ("-t", "t1") if transport == "tcp" else ()
    procs.sipp(scenario(shared_dir, "uas_486.xml", tmp_path), port, log_dir=tmp_path, extra=extra)
    profile = tmp_path / "p.yaml"
    profile.write_text(f"name: t\ndomain: 127.0.0.1:{port}\ntransport: {transport}\n")
    out = dialer("call", "+15551234567", "--profile", str(profile), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data == {
        "sip_code": 486,
        "result": "busy",
        "answered": False,
        "early_media_seconds": 0.0,
        "talk_seconds": 0.0,
        "dtmf": "",
        "recording": None,
    }
    assert "15551234567" not in out.stderr


def _own_scenario(procs: Procs, tmp_path: Path, name: str, **replace: str) -> int:
    text = (HERE / "scenarios" / name).read_text()
    for key, value in replace.items():
        text = text.replace(key, value)
    xml = tmp_path / name
    xml.write_text(text)
    port = port_block(1)
    procs.sipp(xml, port, log_dir=tmp_path)
    return port


@pytest.mark.sip
@pytest.mark.parametrize(("pai", "disposition"), [(True, "busy"), (False, "trunk_failure")])
def test_caller_id_and_p_asserted_identity_are_sent(
    procs: Procs, tmp_path: Path, pai: bool, disposition: str
) -> None:
    port = _own_scenario(
        procs,
        tmp_path,
        "uas_check_headers.xml",
        HDR1="From:",
        RE1="\\+15550100199@",
        HDR2="P-Asserted-Identity:",
        RE2="sip:\\+15550100199@trunk.test",
    )
    profile = tmp_path / "p.yaml"
    text = f"name: t\ndomain: 127.0.0.1:{port}\ncaller_id: '+15550100199'\n"
    if pai:
        text += "p_asserted_identity: sip:+15550100199@trunk.test\n"
    profile.write_text(text)
    out = dialer("call", "+15551234567", "--profile", str(profile), "--json")
    assert json.loads(out.stdout)["result"] == disposition, out.stderr  # the trunk 403s a missing PAI


@pytest.mark.sip
@pytest.mark.parametrize(
    ("password", "code", "disposition"), [("s3cret", 486, "busy"), ("nope", 403, "trunk_failure")]
)
def test_invite_digest_challenge_is_answered_with_the_profile_credentials(
    procs: Procs, tmp_path: Path, password: str, code: int, disposition: str
) -> None:
    port = _own_scenario(procs, tmp_path, "uas_invite_auth.xml", USERNAME="dialer7", PASSWORD="s3cret")
    profile = tmp_path / "p.yaml"
    profile.write_text(
        f"name: t\ndomain: 127.0.0.1:{port}\nauth:\n  username: dialer7\n  password_env: T_PW\n"
    )
    out = dialer("call", "+15551234567", "--profile", str(profile), "--json", env={"T_PW": password})
    data = json.loads(out.stdout)
    assert (data["sip_code"], data["result"]) == (code, disposition), out.stderr
    assert password not in out.stdout + out.stderr


@pytest.mark.sip
def test_a_silent_trunk_is_a_trunk_failure_not_a_no_answer(tmp_path: Path) -> None:
    """Nothing answers the INVITE, not even 100 Trying. Its own process: pjsua holds such a call's slot
    until Timer B (32 s) even after our CANCEL, which would starve a shared engine."""
    profile = tmp_path / "p.yaml"
    profile.write_text(f"name: t\ndomain: 127.0.0.1:{port_block(1)}\nring_timeout: 1.5\n")
    out = dialer("call", "+15551234567", "--profile", str(profile), "--json")
    data = json.loads(out.stdout)
    assert data["result"] == "trunk_failure", out.stderr
    assert data["answered"] is False


@pytest.mark.sip
def test_nat_public_address_goes_into_contact(procs: Procs, tmp_path: Path) -> None:
    port = _own_scenario(
        procs,
        tmp_path,
        "uas_check_headers.xml",
        HDR1="Contact:",
        RE1="198\\.51\\.100\\.7",
        HDR2="Via:",
        RE2="198\\.51\\.100\\.7",
    )
    profile = tmp_path / "p.yaml"
    profile.write_text(f"name: t\ndomain: 127.0.0.1:{port}\nnat:\n  public_address: 198.51.100.7\n")
    out = dialer("call", "+15551234567", "--profile", str(profile), "--json")
    assert json.loads(out.stdout)["result"] == "busy", out.stderr  # 403 if Contact or Via kept 127.0.0.1


@pytest.mark.sip
def test_dialer_call_registers_a_registering_trunk_first(procs: Procs, tmp_path: Path) -> None:
    port = _registrar(procs, tmp_path)  # a registrar that takes one REGISTER and nothing else
    profile = _register_profile(tmp_path, port)
    out = dialer("call", "+15551234567", "--profile", str(profile), "--json", env={"TEST_TRUNK_PW": "wrong"})
    assert out.returncode == 1
    assert "registration failed: 403" in out.stderr
