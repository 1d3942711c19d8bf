"""A call's SIP result and session report -> the ledger's outcome; the carrier announcement of a real
espeak-ng recording through the real Whisper recognizer; the outcome recorded on a real ledger."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from dialer.results import history_result, interrupted_outcome, to_outcome
from dialer.session.report import SessionReport, TurnReport
from dialer.sip.interfaces import CallResult, Timings
from dialer.sip.recording import write_stereo
from scheduler.vocabulary import Disposition
from tests.outcomes.sounds import RATE, line, sit
from tests.voice.speech import speech
from voice import audio
from voice.recognizers.scripted import ScriptedRecognizer

os.environ["HF_HUB_OFFLINE"] = "1"  # no test fetches model weights from a hub
END = dt.datetime(2026, 1, 12, 15, 2, tzinfo=dt.UTC)
HELLO = TurnReport(0, "bot", "Hello", 0.3, 2.0)


def _result(code: int, result: str, answered: bool = False, **kw: Any) -> CallResult:
    return CallResult(call_id="c1", sip_code=code, reason="reason", result=result, answered=answered, **kw)


def test_an_answered_call_takes_the_sessions_disposition(tmp_path: Path) -> None:
    data = tmp_path / "data"
    wav = write_stereo(str(data / "rec" / "1.wav"), [b"\x00\x00" * 800], [b"\x00\x00" * 800], RATE)
    report = SessionReport(
        disposition="promise_to_pay",
        machine="human",
        promise_date=dt.date(2026, 1, 16),
        turns=(
            TurnReport(0, "bot", "Hello", 0.3, 2.0),
            TurnReport(1, "callee", "Friday", 2.5, 3.0, "promise"),
        ),
        opening_ms=310,
    )
    timings = Timings(ringing=0.1, answered=2.0, ended=42.0)
    result = _result(200, "answered", True, talk_seconds=40.0, timings=timings, recording=wav, session=report)
    out = to_outcome(7, result, None, ended_at=END, data_dir=data)
    assert (out.disposition, out.history_result, out.number_status, out.number_status_evidence) == (
        "promise_to_pay", "conversation", "valid", "sip 200 answered",
    )  # fmt: skip
    assert out.answered_at == END - dt.timedelta(seconds=40)
    assert out.recording_path == "rec/1.wav" and out.opening_ms == 310 and out.machine == "human"
    assert out.promise is not None and (out.promise.date, out.promise.amount) == (dt.date(2026, 1, 16), None)
    assert [(t.seq, t.speaker, t.intent) for t in out.turns] == [(0, "bot", None), (1, "callee", "promise")]


@pytest.mark.parametrize(
    ("report", "disposition", "history", "error"),
    [
        (None, "no_response", "abandoned", "the session returned no report"),
        (SessionReport("", machine="machine"), "machine_no_message", "voicemail", ""),
        (SessionReport("", machine="machine", voicemail_left=True), "voicemail_left", "voicemail", ""),
        (SessionReport("", machine="human", opening_ms=300), "no_response", "no_answer", ""),
        (SessionReport("chatting"), "no_response", "abandoned",
         "the session reported an unknown disposition"),
        (SessionReport("", machine="human", ended_by="error", error="tts failed"), "no_response", "abandoned",
         "tts failed"),
        # broken off after the person talked with the bot: counted as the stricter conversation
        (SessionReport("", machine="human", opening_ms=300, error="tts failed",
                       turns=(HELLO, TurnReport(1, "callee", "yes", 2.5, 3.0))),
         "no_response", "conversation", "tts failed"),
        (SessionReport("", machine="human", opening_ms=300, error="tts failed",
                       turns=(HELLO,)),
         "no_response", "no_answer", "tts failed"),
        (SessionReport("wrong_party", opening_ms=200), "wrong_party", "wrong_party", ""),
        (SessionReport("opt_out", opt_out="all", opening_ms=200), "opt_out", "conversation", ""),
    ],
)  # fmt: skip
def test_answered_calls_without_a_usable_disposition(
    report: SessionReport | None, disposition: str, history: str, error: str, tmp_path: Path
) -> None:
    out = to_outcome(1, _result(200, "answered", True), report, ended_at=END, data_dir=tmp_path)
    assert (out.disposition, out.history_result, out.error) == (disposition, history, error)


def test_a_network_announcement_after_a_200_outranks_the_session(tmp_path: Path) -> None:
    report = SessionReport("no_response", announcement="您拨打的号码是空号")
    out = to_outcome(1, _result(200, "answered", True), report, ended_at=END, data_dir=tmp_path)
    assert (out.disposition, out.number_status, out.history_result) == ("vacant", "vacant", "failed")
    assert out.number_status_evidence == "announcement: 空号"


def test_a_sit_in_early_media_classifies_an_unanswered_call(tmp_path: Path) -> None:
    early = line(audio.silence(0.4, RATE) + sit("VC") + audio.silence(0.4, RATE))
    out = to_outcome(2, _result(503, "trunk_failure", early_media=early, rate=RATE), None, ended_at=END,
                     data_dir=tmp_path)  # fmt: skip
    assert (out.disposition, out.number_status, out.number_status_evidence) == ("vacant", "vacant", "SIT VC")
    assert out.answered_at is None and out.turns == () and out.machine == ""


def test_a_recording_outside_the_data_dir_is_left_out(tmp_path: Path) -> None:
    wav = write_stereo(str(tmp_path / "elsewhere.wav"), [b"\x00\x00"], [b"\x00\x00"], RATE)
    out = to_outcome(3, _result(200, "answered", True, recording=wav), SessionReport("refused"), ended_at=END,
                     data_dir=tmp_path / "data")  # fmt: skip
    assert out.recording_path is None and out.disposition == "refused"


def test_history_results_and_the_interrupted_outcome() -> None:
    assert history_result(Disposition.callback_requested) == "conversation"
    assert history_result(Disposition.busy) == "busy"
    assert history_result(Disposition.unreachable) == "no_answer"
    assert history_result(Disposition.trunk_failure) == "failed"
    out = interrupted_outcome(9, ended_at=END)
    assert (out.disposition, out.history_result, out.error) == ("interrupted", "no_answer", "worker died")


def test_early_media_is_transcribed_only_when_there_is_sound(tmp_path: Path) -> None:
    scripted = ScriptedRecognizer(["您拨打的电话已关机"])
    quiet = _result(480, "unreachable", early_media=audio.silence(2.0, RATE), rate=RATE)
    out = to_outcome(4, quiet, None, ended_at=END, data_dir=tmp_path, recognizer=scripted)
    assert out.number_status_evidence == "sip 480" and scripted.hints_seen == []  # nothing was decoded
    loud = _result(480, "unreachable", early_media=line(speech("hello there")), rate=RATE)
    out = to_outcome(4, loud, None, ended_at=END, data_dir=tmp_path, recognizer=scripted)
    assert (out.disposition, out.number_status_evidence) == ("unreachable", "announcement: 关机")


@pytest.mark.slow
def test_a_spoken_announcement_through_whisper_outranks_a_vague_code(tmp_path: Path) -> None:
    from voice.recognizers.whisper import WhisperRecognizer

    recognizer = WhisperRecognizer(incremental=False)
    # wideband early media (G.722): tiny.en mishears espeak-ng's voice on an 8 kHz line
    wide = 16000
    said = speech("The number you have dialed is not in service.", wide)
    early = line(audio.silence(0.3, wide) + said + audio.silence(0.5, wide), wide)
    out = to_outcome(5, _result(480, "unreachable", early_media=early, rate=wide), None, ended_at=END,
                     data_dir=tmp_path, recognizer=recognizer)  # fmt: skip
    assert (out.disposition, out.number_status) == ("vacant", "vacant")
    assert out.number_status_evidence == "announcement: not in service"
    # after a SIT the tones are cut off before transcription, and the words still decide
    switched_off = speech("The mobile phone you are calling is switched off. Please try again later.", wide)
    early = line(audio.silence(0.2, wide) + sit("IC", wide) + audio.silence(0.2, wide) + switched_off, wide)
    out = to_outcome(6, _result(404, "vacant", early_media=early, rate=wide), None, ended_at=END,
                     data_dir=tmp_path, recognizer=recognizer)  # fmt: skip
    assert (out.disposition, out.number_status_evidence) == ("unreachable", "announcement: powered off")
