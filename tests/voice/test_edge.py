"""The edge-tts adapter against a local fake of the service, and offline."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from voice.audio import level_dbfs
from voice.errors import EngineUnavailable, SynthesisError
from voice.synthesizers.edge import EdgeSynthesizer, decode_mp3
from voice.synthesizers.espeak import EspeakSynthesizer
from voice.synthesizers.fallback import FallbackSynthesizer

from .fake_edge import FakeEdge


@pytest.fixture(scope="module")
def mp3() -> bytes:
    """Real MP3 as the service sends it: 24 kHz mono 48 kbit/s (here: espeak speech encoded by ffmpeg)."""
    pcm = EspeakSynthesizer().synthesize("I will pay on Friday", "en", 24000)
    done = subprocess.run(
        [
            *("ffmpeg", "-loglevel", "error", "-f", "s16le", "-ar", "24000", "-ac", "1", "-i", "-"),
            "-f",
            "mp3",
            "-",
        ],
        input=pcm,
        capture_output=True,
        check=True,
    )
    return done.stdout


@pytest.fixture
def fake(mp3: bytes) -> Iterator[FakeEdge]:
    server = FakeEdge(mp3).start()
    try:
        yield server
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def restore_edge_url() -> Iterator[None]:
    import edge_tts.communicate as communicate

    original = communicate.WSS_URL
    yield
    communicate.WSS_URL = original  # type: ignore[attr-defined]


def test_mp3_from_the_service_becomes_pcm_at_the_call_rate(fake: FakeEdge) -> None:
    edge = EdgeSynthesizer(service_url=fake.url, connect_timeout=1)
    pcm = edge.synthesize("I will pay on Friday", "en", 8000)
    seconds = len(pcm) / 2 / 8000
    assert 0.8 < seconds < 3.0 and level_dbfs(pcm) > -40
    # edge-tts built the request: its connection id and DRM token reached the fake
    assert "ConnectionId" in fake.requests[0] and "Sec-MS-GEC" in fake.requests[0]
    assert "(en-US, AriaNeural)" in fake.ssml[0] and "I will pay on Friday" in fake.ssml[0]


def test_chinese_uses_the_chinese_voice(fake: FakeEdge) -> None:
    EdgeSynthesizer(service_url=fake.url).synthesize("您好", "zh", 16000)
    assert "(zh-CN, XiaoxiaoNeural)" in fake.ssml[0]


def test_no_audio_is_a_synthesis_error(fake: FakeEdge) -> None:
    fake.mode = "no_audio"
    with pytest.raises(SynthesisError, match="no audio"):
        EdgeSynthesizer(service_url=fake.url).synthesize("hello", "en", 8000)


def test_undecodable_audio_is_a_synthesis_error(fake: FakeEdge) -> None:
    fake.mode = "garbage"
    with pytest.raises(SynthesisError):
        EdgeSynthesizer(service_url=fake.url).synthesize("hello", "en", 8000)


def test_refused_handshake_makes_the_engine_unavailable(fake: FakeEdge) -> None:
    fake.mode = "reject"
    with pytest.raises(EngineUnavailable, match="403") as info:
        EdgeSynthesizer(service_url=fake.url, retry_after=42).synthesize("hello", "en", 8000)
    assert info.value.retry_after == 42


def test_nothing_listening_fails_fast_and_the_chain_goes_on() -> None:
    url = f"ws://127.0.0.1:{free_port()}/edge/v1?TrustedClientToken=test"
    edge = EdgeSynthesizer(service_url=url, connect_timeout=1)
    started = time.monotonic()
    with pytest.raises(EngineUnavailable, match="unreachable") as info:
        edge.synthesize("hello", "en", 8000)
    assert time.monotonic() - started < 5  # a refused connection, not a 10 s default timeout
    assert info.value.__cause__ is not None  # translated with `from exc`
    chain = FallbackSynthesizer([edge, EspeakSynthesizer()])
    assert len(chain.synthesize("hello", "en", 8000)) > 0 and chain.last_engine == "espeak"


def test_offline_default_endpoint_is_unavailable(fake: FakeEdge) -> None:
    """Here (no internet) Microsoft's endpoint cannot be resolved or reached; an adapter without a service
    URL goes back to that endpoint even after another one used the local fake."""
    EdgeSynthesizer(service_url=fake.url).synthesize("hello", "en", 8000)
    with pytest.raises(EngineUnavailable):
        EdgeSynthesizer(connect_timeout=2).synthesize("hello", "en", 8000)
    assert len(fake.requests) == 1


def test_decode_mp3_resamples(mp3: bytes) -> None:
    at_8k, at_16k = decode_mp3(mp3, 8000), decode_mp3(mp3, 16000)
    assert abs(len(at_16k) - 2 * len(at_8k)) < 400
