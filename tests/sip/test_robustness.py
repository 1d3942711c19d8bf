"""Broken peers (bad SDP, no common codec) end calls with a result and leave the engine working; REFER."""

from __future__ import annotations

import socket
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from dialer.sip.handlers import wait_answered
from dialer.sip.interfaces import CallRequest, EventKind

from .peers import Procs, port_block, scenario

pytestmark = pytest.mark.sip
HERE = Path(__file__).resolve().parent


def _own(procs: Procs, name: str, tmp_path: Path) -> int:
    port = port_block(1)
    xml = tmp_path / name
    xml.write_text((HERE / "scenarios" / name).read_text())
    procs.sipp(xml, port, log_dir=tmp_path)
    return port


@pytest.mark.parametrize("name", ["uas_bad_sdp.xml", "uas_unknown_codec.xml"])
def test_malformed_answers_end_cleanly(
    pjsua_engine: Any, procs: Procs, shared_dir: Path, tmp_path: Path, name: str
) -> None:
    port = _own(procs, name, tmp_path)
    call = pjsua_engine.dial(CallRequest(uuid.uuid4().hex, f"sip:x@127.0.0.1:{port}", ring_timeout=5))
    result = call.wait(20)
    assert result is not None, "the call never ended"
    assert (result.sip_code, result.result) == (415, "trunk_failure")  # SDP negotiation failed
    # the engine is still healthy: the next call gets its proper outcome
    busy_port = port_block(1)
    procs.sipp(scenario(shared_dir, "uas_486.xml", tmp_path), busy_port, log_dir=tmp_path)
    after = pjsua_engine.dial(CallRequest(uuid.uuid4().hex, f"sip:y@127.0.0.1:{busy_port}")).wait(10)
    assert after is not None and after.result == "busy"


def test_blind_transfer_with_refer(pjsua_engine: Any, procs: Procs, tmp_path: Path) -> None:
    port = _own(procs, "uas_refer.xml", tmp_path)
    call = pjsua_engine.dial(CallRequest(uuid.uuid4().hex, f"sip:x@127.0.0.1:{port}"))
    assert wait_answered(call, 10)
    call.transfer("sip:agent@127.0.0.1:5999")
    codes = []
    while True:
        event = call.events.get(timeout=10)
        if event.kind is EventKind.TRANSFER:
            codes.append(event.sip_code)
        if event.kind is EventKind.ENDED:
            break
    result = call.wait(1)
    assert result is not None and result.result == "transferred"
    assert 200 in codes


def test_garbage_datagrams_to_the_sip_port_are_ignored(
    pjsua_engine: Any, procs: Procs, shared_dir: Path, tmp_path: Path
) -> None:
    junk = [
        b"\x00\xff" * 300,
        b"INVITE nonsense\r\n\r\n",
        b"SIP/2.0 200 OK\r\nVia: what\r\nContent-Length: 99999\r\n\r\nv=0",
        b"INVITE sip:a@127.0.0.1 SIP/2.0\r\nCall-ID: x\r\nCSeq: banana INVITE\r\n\r\n",
    ]
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for packet in junk * 5:
            s.sendto(packet, ("127.0.0.1", pjsua_engine.sip_port))
    time.sleep(0.3)
    port = port_block(1)
    procs.sipp(scenario(shared_dir, "uas_486.xml", tmp_path), port, log_dir=tmp_path)
    after = pjsua_engine.dial(CallRequest(uuid.uuid4().hex, f"sip:y@127.0.0.1:{port}")).wait(10)
    assert after is not None and after.result == "busy"
