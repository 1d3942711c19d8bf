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
    import threading

    from dialer.settings import load_settings
    from voice.synthesizers.espeak import EspeakSynthesizer

    asked: list[list[tuple[str, str]]] = []  # what each start hands to prerender, in order
    rendered: list[str] = []  # by this test's thread only (an earlier test's background renders may run)
    real_prerender, real_synthesize = SessionHandler.prerender, EspeakSynthesizer.synthesize

    def prerender(self: SessionHandler, sentences: list[tuple[str, str]], rate: int) -> int:
        asked.append(list(sentences))
        return real_prerender(self, sentences, rate)

    def synthesize(self: EspeakSynthesizer, text: str, lang: str, sample_rate: int) -> bytes:
        if threading.current_thread() is threading.main_thread():
            rendered.append(text)
        return real_synthesize(self, text, lang, sample_rate)

    monkeypatch.setattr(SessionHandler, "prerender", prerender)
    monkeypatch.setattr(EspeakSynthesizer, "synthesize", synthesize)
    environ = {
        "DIALER_DATA_DIR": str(tmp_path),
        "DIALER_VOICE__ASR_ENGINE": "scripted",
        "DIALER_VOICE__TTS_ENGINES": "espeak",
        "DIALER_VOICE__ASR_PRELOAD": '["en", "zh"]',  # all rendered before ready: none left to a thread
        "DIALER_DIALOGUE__SCRIPTS_DIR": str(SCRIPTS),
        "DIALER_SIP__WORKERS": "2",
    }
    settings = load_settings(config=None, environ=environ)
    SessionHandler.from_settings(settings, worker=1)
    first_count = len(rendered)
    assert first_count > 20
    SessionHandler.from_settings(settings, worker=0)  # starts at the top, finds its share ready
    assert len(rendered) == first_count
    second, first = asked
    half = len(first) // 2
    assert len(first) > 20 and second == first[half:] + first[:half]  # worker 1 of 2 starts half way
    assert rendered[0] == second[0][0]


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
