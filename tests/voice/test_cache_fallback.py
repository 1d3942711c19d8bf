"""Render cache (hit, miss, invalidation, atomic files) and the fallback chain (outage logged once)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from voice.cache import CachedSynthesizer, RenderCache, prerender
from voice.errors import EngineUnavailable, SynthesisError
from voice.interfaces import Synthesizer
from voice.synthesizers.espeak import EspeakSynthesizer
from voice.synthesizers.fallback import FallbackSynthesizer
from voice.synthesizers.silence import SilenceSynthesizer


class Flaky(Synthesizer):
    """An engine that is unreachable until told otherwise; counts its attempts."""

    def __init__(
        self, name: str = "edge", *, online: bool = False, languages: tuple[str, ...] = ("en", "zh")
    ):
        self.name = name
        self.online = online
        self.languages = languages
        self.attempts = 0

    def voice_for(self, lang: str) -> str:
        return f"{self.name}-{lang}"

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        self.attempts += 1
        if not self.online:
            raise EngineUnavailable(self.name, "cannot connect")
        return b"\x01\x00" * sample_rate  # one second of a constant


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_cache_miss_then_hit_with_real_espeak(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "cache")
    engine = EspeakSynthesizer()
    first = cache.render(engine, "Your payment is due on Friday.", "en", 8000)
    assert cache.stats.misses == 1 and cache.stats.writes == 1 and cache.stats.hits == 0
    again = cache.render(engine, "  Your payment is due   on Friday. ", "en", 8000)
    assert again == first
    assert cache.stats.hits == 1
    files = list((tmp_path / "cache").rglob("*.wav"))
    assert len(files) == 1 and files[0].parent.parent.name == "espeak"
    assert not list((tmp_path / "cache").rglob("*.tmp"))


def test_cache_key_separates_engine_voice_rate_and_text(tmp_path: Path) -> None:
    keys = {
        RenderCache.key("espeak", "en-us@160", "hello", 8000),
        RenderCache.key("espeak", "en-us@170", "hello", 8000),
        RenderCache.key("piper", "en-us@160", "hello", 8000),
        RenderCache.key("espeak", "en-us@160", "hello", 16000),
        RenderCache.key("espeak", "en-us@160", "hello!", 8000),
    }
    assert len(keys) == 5
    slow, fast = EspeakSynthesizer(speed=140), EspeakSynthesizer(speed=180)
    cache = RenderCache(tmp_path)
    cache.render(slow, "hello there", "en", 8000)
    assert not cache.contains(fast, "hello there", "en", 8000)  # a changed voice setting is a miss


def test_invalidation_of_one_prompt_and_of_an_engine(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    engine = SilenceSynthesizer()
    for text in ("one", "two", "three"):
        cache.render(engine, text, "en", 8000)
    assert cache.invalidate(engine, "two", "en", 8000) == 1
    assert not cache.contains(engine, "two", "en", 8000)
    assert cache.contains(engine, "one", "en", 8000)
    cache.render(engine, "two", "en", 8000)
    assert len(engine.spoken) == 4  # re-rendered after invalidation
    assert cache.invalidate(engine) == 3
    assert not cache.contains(engine, "one", "en", 8000)


def test_corrupt_entry_is_dropped_and_rerendered(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    engine = SilenceSynthesizer()
    cache.render(engine, "hello", "en", 8000)
    (path,) = tmp_path.rglob("*.wav")
    path.write_bytes(b"garbage")
    pcm = cache.render(engine, "hello", "en", 8000)
    assert len(pcm) > 0 and len(engine.spoken) == 2
    assert path.read_bytes()[:4] == b"RIFF"


def test_fallback_logs_outage_once_and_retries_after(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    edge = Flaky("edge")
    backup = SilenceSynthesizer()
    chain = FallbackSynthesizer([edge, backup], retry_after=60, clock=clock)
    with caplog.at_level(logging.DEBUG, logger="voice.synthesizers.fallback"):
        for n in range(5):
            chain.synthesize(f"prompt {n}", "en", 8000)
    assert edge.attempts == 1  # skipped while down
    assert len(backup.spoken) == 5 and chain.last_engine == "silence"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "edge unavailable" in warnings[0].getMessage()
    assert "prompt" not in caplog.text  # prompt text never reaches the log

    clock.now += 61
    chain.synthesize("later", "en", 8000)
    assert edge.attempts == 2 and chain.last_engine == "silence"
    edge.online = True
    clock.now += 61
    assert chain.synthesize("back online", "en", 8000) == b"\x01\x00" * 8000
    assert chain.last_engine == "edge"


def test_fallback_skips_engines_without_the_language() -> None:
    english_only = Flaky("piper", online=True, languages=("en",))
    chain = FallbackSynthesizer([english_only, SilenceSynthesizer()])
    chain.synthesize("您好", "zh", 8000)
    assert english_only.attempts == 0 and chain.last_engine == "silence"
    with pytest.raises(SynthesisError):
        FallbackSynthesizer([english_only]).synthesize("您好", "zh", 8000)


def test_fallback_when_every_engine_fails_raises_unavailable() -> None:
    chain = FallbackSynthesizer([Flaky("edge"), Flaky("piper")])
    with pytest.raises(EngineUnavailable, match="no engine"):
        chain.synthesize("hello", "en", 8000)


def test_fallback_prefers_a_cached_render_of_the_better_engine(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    edge = Flaky("edge", online=True)
    chain = FallbackSynthesizer([edge, SilenceSynthesizer()], cache=cache)
    chain.synthesize("Thank you for your payment.", "en", 8000)
    edge.online = False  # the network goes away; the edge render is still served
    assert chain.synthesize("Thank you for your payment.", "en", 8000) == b"\x01\x00" * 8000
    assert edge.attempts == 1 and chain.last_engine == "edge"


def test_prerender_counts_rendered_cached_and_failed(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    synth = CachedSynthesizer(EspeakSynthesizer(), cache)
    prompts = [
        ("Hello, this is Acme Collections.", "en"),
        ("To opt out, say stop.", "en"),
        ("Hello,  this is Acme Collections.", "en"),
    ]
    first = prerender(synth, prompts, 8000, cache)
    assert (first.prompts, first.rendered, first.cached, first.failed) == (2, 2, 0, 0)
    second = prerender(synth, [*prompts, ("你好", "fr")], 8000, cache)
    assert (second.prompts, second.rendered, second.cached, second.failed) == (3, 0, 2, 1)
