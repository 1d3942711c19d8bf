"""Fixtures for the SIP tests: test speech, per-test peers, one pjsua2 engine per test session."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from sip_config.loader import parse_profile
from sip_config.schema import Profile

from .peers import Procs, port_block, speech, ulaw

LOOPBACK = """
name: test-loopback
mode: ip_auth
domain: 127.0.0.1:5070
codecs: [PCMU, PCMA]
caller_id: "+15550100100"
channel_limit: 40
calls_per_second: 50
ring_timeout: 30
"""


@dataclass(frozen=True)
class Audio:
    wav: Path  # PCM16 8 kHz
    ulaw: Path  # for sipp rtp_stream
    pcm: bytes

    @property
    def samples(self) -> np.ndarray:
        return np.frombuffer(self.pcm, dtype="<i2")


@pytest.fixture(scope="session")
def callee_audio(tmp_path_factory: pytest.TempPathFactory) -> Audio:
    d = tmp_path_factory.mktemp("callee-audio")
    pcm = speech(d / "callee.wav", "Hello. I will pay the full amount on Friday. Thank you, goodbye.")
    return Audio(d / "callee.wav", ulaw(d / "callee.wav", d / "callee-ulaw.wav"), pcm)


@pytest.fixture(scope="session")
def bot_audio(tmp_path_factory: pytest.TempPathFactory) -> Audio:
    d = tmp_path_factory.mktemp("bot-audio")
    pcm = speech(d / "bot.wav", "This is an automated reminder from Acme Lending about your account.")
    return Audio(d / "bot.wav", ulaw(d / "bot.wav", d / "bot-ulaw.wav"), pcm)


@pytest.fixture(scope="session")
def loopback_profile() -> Profile:
    return parse_profile(LOOPBACK)


@pytest.fixture
def procs() -> Iterator[Procs]:
    p = Procs()
    yield p
    p.close()


@pytest.fixture(scope="session")
def pjsua_engine(loopback_profile: Profile) -> Iterator[object]:
    """One pjsua2 engine for the whole session (pjsua2 is one library per process)."""
    from dialer.sip.pjsua_engine import PjsuaEngine

    base = port_block(40)
    engine = PjsuaEngine(loopback_profile, sip_port=base, rtp_port=base + 2)
    engine.start()
    yield engine
    engine.shutdown()
