"""SessionHandler construction: scripts resolved per call, bad requests refused with a clean report."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.session.handler import ScriptEngines, SessionHandler
from dialer.sip.fake_engine import FakeSipEngine, ScriptedCallee
from dialer.sip.interfaces import CallRequest
from dialogue.settings import DialogueSettings
from voice.recognizers.scripted import ScriptedRecognizer
from voice.synthesizers.silence import SilenceSynthesizer

from .fakes import RATE, URI, Timeline, spec

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def test_script_engines_load_each_script_once() -> None:
    engines = ScriptEngines(DialogueSettings(scripts_dir=str(SCRIPTS)))
    try:
        first = engines(spec(script="reminder-en"))
        again = engines(spec(script="reminder-en"))
        assert first.__self__ is again.__self__  # type: ignore[attr-defined]
        policy = first()
        assert policy is not first()  # one policy per call
    finally:
        engines.close()


def test_an_unknown_script_ends_the_call_with_an_error_report() -> None:
    handler = SessionHandler(
        recognizer=ScriptedRecognizer(),
        synthesizer=SilenceSynthesizer(),
        policies=ScriptEngines(DialogueSettings(scripts_dir=str(SCRIPTS))),
    )
    engine = FakeSipEngine({URI: ScriptedCallee(audio=Timeline([], 3).pcm())}, rate=RATE)
    engine.start()
    try:
        call = engine.dial(CallRequest("c1", URI))
        report = handler.handle(call, CallRequest("c1", URI, options=spec(script="no-such-script").options()))
        engine.advance(0.5)
        assert report.ended_by == "error" and "no script directory" in report.error
        assert call.result is not None  # hung up, not left ringing
    finally:
        engine.shutdown()


def test_from_settings_builds_the_configured_engines(tmp_path: Path) -> None:
    from dialer.settings import load_settings

    settings = load_settings(
        config=None,
        environ={
            "DIALER_DATA_DIR": str(tmp_path),
            "DIALER_VOICE__ASR_ENGINE": "scripted",
            "DIALER_VOICE__TTS_ENGINES": "espeak",
            "DIALER_DIALOGUE__SCRIPTS_DIR": str(SCRIPTS),
        },
    )
    handler = SessionHandler.from_settings(settings)
    assert handler.recognizer.name == "scripted"
    assert isinstance(handler.policies, ScriptEngines)
    assert {"reminder-en", "reminder-zh"} <= set(handler.policies.loaded)  # loaded at worker start
    rendered = handler.prompts.render("Your payment of $120.50 is due 2026-11-15.", "en", RATE)
    assert rendered.engine == "espeak" and not rendered.fallback and len(rendered.pcm) > RATE
    assert "one hundred twenty dollars" in rendered.text
    assert any((tmp_path / "tts-cache").rglob("*.wav"))  # through the render cache
    # a reply's first sentence with per-call text starts with its pre-rendered head
    carriers = handler.prompts.carriers
    assert carriers is not None
    assert carriers.split("Thank you, Paul.", "en") == ["Thank you,", "Paul."]
    assert carriers.split("谢谢您，王伟。", "zh") == ["谢谢您，", "王伟。"]


def test_workers_share_the_fixed_sentences_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each of a host's workers starts rendering at its own share of the fixed sentences: two workers
    starting together render each about once, not twice (a slow start timed out under load)."""
    from dialer.settings import load_settings
    from voice.synthesizers.espeak import EspeakSynthesizer

    rendered: list[str] = []
    real = EspeakSynthesizer.synthesize

    def counted(self: EspeakSynthesizer, text: str, lang: str, sample_rate: int) -> bytes:
        rendered.append(text)
        return real(self, text, lang, sample_rate)

    monkeypatch.setattr(EspeakSynthesizer, "synthesize", counted)
    environ = {
        "DIALER_DATA_DIR": str(tmp_path),
        "DIALER_VOICE__ASR_ENGINE": "scripted",
        "DIALER_VOICE__TTS_ENGINES": "espeak",
        "DIALER_VOICE__ASR_PRELOAD": '["en", "zh"]',  # all rendered before ready: none left to a thread
        "DIALER_DIALOGUE__SCRIPTS_DIR": str(SCRIPTS),
        "DIALER_SIP__WORKERS": "2",
    }
    settings = load_settings(config=None, environ=environ)
    second = SessionHandler.from_settings(settings, worker=1)
    fixed, heads = second.policies.sentences()
    sentences = [text for text, _ in fixed + heads]
    assert len(sentences) > 20
    half = len(sentences) // 2
    # worker 1 of 2 starts half way (renders may finish a little out of order: look at the first five)
    assert {sentences.index(text) for text in rendered[:5]} <= set(range(half, half + 10))
    first_count = len(rendered)
    SessionHandler.from_settings(settings, worker=0)  # starts at the top, finds its share ready
    assert len(rendered) == first_count


def test_a_spec_that_cannot_be_spoken_ends_the_call_with_an_error_report() -> None:
    handler = SessionHandler(
        recognizer=ScriptedRecognizer(),
        synthesizer=SilenceSynthesizer(),
        policies=ScriptEngines(DialogueSettings(scripts_dir=str(SCRIPTS))),
    )
    engine = FakeSipEngine({URI: ScriptedCallee(audio=Timeline([], 3).pcm())}, rate=RATE)
    engine.start()
    try:
        for bad, message in ((spec(time_zone="Mars/Olympus"), "Mars/Olympus"), (spec(currency="XYZ"), "XYZ")):
            call = engine.dial(CallRequest(bad.currency, URI))
            report = handler.handle(call, CallRequest("c1", URI, options=bad.options()))
            engine.advance(0.5)
            assert report.ended_by == "error" and message in report.error
            assert call.result is not None
    finally:
        engine.shutdown()
