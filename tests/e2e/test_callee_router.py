"""The multi-persona callee: routes files, persona folders, and routing by the dialled number over SIP."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from dialer.callee.persona import PersonaError
from dialer.callee.router import load_personas
from dialer.callee.routes import dialled_user, dump_routes, load_routes
from tests.sip.peers import Procs, _wait_udp

from .conftest import PERSONAS, RTP_PORTS, SIP_PORTS, dialer, take_ports

ISSUE_PERSONAS = {
    "screener",
    "ivr",
    "fax",
    "announcement-answered",
    "announcement-183-en",
    "announcement-183-zh",
    "zh-promises",
    "zh-already-paid",
    "zh-disputes",
    "zh-wrong-person",
    "zh-says-stop",
    "zh-callback",
    "attorney",
    "bankruptcy",
    "cease",
    "deceased",
    "speaks-spanish",
    "promises-friday",
    "already-paid",
    "disputes",
    "cannot-pay",
    "callback",
    "wrong-person",
    "says-stop",
    "interrupts",
    "silent",
    "voicemail",
    "busy",
    "vacant",
    "never-answers",
}


@pytest.mark.parametrize(
    ("uri", "user"),
    [
        ("<sip:+18085550101@127.0.0.1:5070>", "+18085550101"),
        ("sip:%2B18085550101@127.0.0.1;transport=udp", "+18085550101"),
        ('"Desk" <sips:4420@host>', "4420"),
        ("sip:127.0.0.1:5070", ""),
        ("", ""),
    ],
)
def test_dialled_user(uri: str, user: str) -> None:
    assert dialled_user(uri) == user


def test_routes_match_with_or_without_plus(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(dump_routes({"+18085550101": "busy", "18085550102": "silent"}))
    routes = load_routes(path, {"busy", "silent"})
    assert routes.persona_for("<sip:18085550101@127.0.0.1:5070>") == "busy"
    assert routes.persona_for("<sip:+18085550102@127.0.0.1:5070>") == "silent"
    assert routes.persona_for("<sip:+18085550199@127.0.0.1:5070>") is None
    assert routes.persona_for("<sip:127.0.0.1:5070>") is None
    assert routes.personas() == {"busy", "silent"} and len(routes) == 2


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("'+1808': nobody\n", r"route '\+1808': no persona named 'nobody'"),
        ("'+1808abc': busy\n", r"route '\+1808abc': not a dialled number"),
        ("'+1808': busy\n'1808': busy\n", r"route '1808': the number is routed twice"),
        ("'+1808': [busy]\n", r"route '\+1808': the value must be a persona name"),
        ("[busy]\n", "non-empty mapping"),
        ("'a': [\n", "invalid YAML"),
    ],
)
def test_routes_errors_name_the_route(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(text)
    with pytest.raises(PersonaError, match=error) as info:
        load_routes(path, {"busy"})
    assert str(path) in str(info.value)


def test_shipped_personas_cover_the_issue() -> None:
    assert set(load_personas(PERSONAS)) == ISSUE_PERSONAS


def test_persona_folder_rejects_a_name_used_twice(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: same\n")
    (tmp_path / "b.yaml").write_text("name: same\n")
    with pytest.raises(PersonaError, match="persona name 'same' is also used by"):
        load_personas(tmp_path)
    with pytest.raises(PersonaError, match="not a folder of persona files"):
        load_personas(tmp_path / "a.yaml")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PersonaError, match="no persona files"):
        load_personas(tmp_path / "empty")


def test_callee_needs_one_mode() -> None:
    out = dialer("callee", "--listen", "127.0.0.1:15499", "--personas", str(PERSONAS))
    assert out.returncode == 2 and "--personas and --routes go together" in out.stderr


@pytest.mark.sip
def test_router_picks_the_persona_by_dialled_number(procs: Procs, tmp_path: Path) -> None:
    routes = tmp_path / "routes.yaml"
    routes.write_text(dump_routes({"+18085550101": "busy", "+18085550102": "promises-friday"}))
    port, rtp = take_ports(SIP_PORTS), take_ports(RTP_PORTS, 20)
    logs = tmp_path / "logs"
    procs.start(
        [
            *(sys.executable, "-m", "dialer.cli.main", "callee", "--listen", f"127.0.0.1:{port}"),
            *("--personas", str(PERSONAS), "--routes", str(routes), "--log-dir", str(logs)),
            *("--rtp-port", str(rtp)),
        ],
        seconds=90,
        stderr=(tmp_path / "callee.log").open("w"),
    )
    _wait_udp(port, timeout=30)
    profile = tmp_path / "p.yaml"
    profile.write_text(f"name: t\ndomain: 127.0.0.1:{port}\n")

    def call(number: str, seconds: str = "2") -> dict[str, object]:
        sip = take_ports(SIP_PORTS)
        out = dialer(
            "call", number, "--profile", str(profile), "--seconds", seconds, "--json", "--sip-port", str(sip)
        )
        assert out.returncode == 0, out.stderr
        return dict(json.loads(out.stdout))

    for _ in range(2):
        busy = call("+18085550101")
        assert (busy["sip_code"], busy["result"]) == (486, "busy")
    answered = call("+18085550102", seconds="4")
    assert answered["result"] == "answered"
    unrouted = call("+18085550199")
    assert (unrouted["sip_code"], unrouted["result"]) == (404, "vacant")
    busy_logs = sorted((logs / "busy").glob("call-*-events.json"))
    assert len(busy_logs) == 2
    friday = json.loads((logs / "promises-friday" / "call-001-events.json").read_text())["events"]
    assert [e["event"] for e in friday[:2]] == ["incoming", "answered"]
    assert friday[0]["persona"] == "promises-friday"
    assert not (logs / "silent").exists()  # only routed personas get a runner
