"""Which pools run the host's speech engine (nothing is started here: the choice is made when the pool
is built), and that their workers are then told to hear through it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.settings import load_settings
from dialer.sip.worker import WorkerSpec
from dialer.sip.workers import SESSION_HANDLER, WorkerPool
from sip_config.schema import Profile
from voice.engines import build_recognizer
from voice.recognizers.remote import RemoteRecognizer


def pool(
    tmp_path: Path, profile: Profile, workers: int, handler: str = SESSION_HANDLER, **env: str
) -> WorkerPool:
    environ = {"DIALER_DATA_DIR": str(tmp_path), **{f"DIALER_VOICE__{k.upper()}": v for k, v in env.items()}}
    settings = load_settings(config=None, environ=environ)
    return WorkerPool(WorkerSpec(profile=profile, handler=handler, settings=settings), workers)


@pytest.mark.parametrize(
    ("workers", "handler", "env", "runs"),
    [
        (2, SESSION_HANDLER, {}, True),  # auto: more than one worker hears calls
        (1, SESSION_HANDLER, {}, False),  # auto: one worker keeps its own model
        (2, "dialer.sip.handlers:PlayAndHangup", {}, False),  # auto: nobody listens
        (1, SESSION_HANDLER, {"speech_engine": "host"}, True),
        (4, SESSION_HANDLER, {"speech_engine": "local"}, False),
        (2, SESSION_HANDLER, {"asr_engine": "vosk", "asr_engines": "{}"}, False),  # Vosk streams locally
    ],
)
def test_who_runs_an_engine(
    tmp_path: Path, loopback_profile: Profile, workers: int, handler: str, env: dict[str, str], runs: bool
) -> None:
    p = pool(tmp_path, loopback_profile, workers, handler, **env)
    assert (p.speech is not None) == runs
    voice = p.spec.settings.voice
    assert (voice.speech_engine == "host") == runs


def test_workers_of_an_engine_pool_build_remote_recognizers(
    tmp_path: Path, loopback_profile: Profile
) -> None:
    p = pool(tmp_path, loopback_profile, 2)
    settings = p.spec.settings
    work = settings.data_dir / "work"
    assert p.speech is not None and p.speech.work_dir == work
    en = build_recognizer(settings.voice, settings.data_dir / "models", work, language="en")
    zh = build_recognizer(settings.voice, settings.data_dir / "models", work, language="zh")
    assert isinstance(en, RemoteRecognizer) and en.label == "whisper-tiny.en"
    assert isinstance(zh, RemoteRecognizer) and zh.label == "whisper-base" and zh.separator == ""
