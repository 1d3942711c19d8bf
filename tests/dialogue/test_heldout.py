"""Understanding quality on held-out replies (not training examples): intent and date accuracy."""

from __future__ import annotations

from pathlib import Path

import pytest

from dialogue.embedded.engine import EmbeddedEngine
from dialogue.evaluate import load_heldout, score
from dialogue.script import load_script
from dialogue.understanding.classifier import normalize

HERE = Path(__file__).resolve().parent
MINIMUM = {"en": 60, "zh": 40}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_heldout_is_not_training_data(script_dirs: dict[str, Path], lang: str) -> None:
    heldout = load_heldout(HERE / f"heldout_{lang}.yml")
    assert len(heldout.examples) >= MINIMUM[lang]
    training = {normalize(e.text, lang) for e in load_script(script_dirs[lang]).examples}
    copies = [e.text for e in heldout.examples if normalize(e.text, lang) in training]
    assert copies == []
    assert sum(e.date is not None for e in heldout.examples) >= 10


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_embedded_understanding_quality(embedded: dict[str, EmbeddedEngine], lang: str) -> None:
    result = score(load_heldout(HERE / f"heldout_{lang}.yml"), embedded[lang].parse)
    print(
        f"\n{lang}: intent {result.intent_accuracy:.1%}, dates {result.date_accuracy:.1%}",
        *result.misses,
        sep="\n  ",
    )
    assert result.intent_accuracy >= 0.90, result.misses
    assert result.date_accuracy >= 0.90, result.misses


SIGNIFICANT = {"attorney", "bankruptcy", "cease", "deceased", "third_party", "language_barrier", "complaint"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_legally_significant_replies_are_understood(embedded: dict[str, EmbeddedEngine], lang: str) -> None:
    """Every legally significant intent has held-out replies, and most of them are understood."""
    from dialogue.evaluate import HeldOut

    heldout = load_heldout(HERE / f"heldout_{lang}.yml")
    kept = tuple(e for e in heldout.examples if e.intent in SIGNIFICANT)
    assert {e.intent for e in kept} == SIGNIFICANT
    result = score(HeldOut(heldout.language, heldout.now, kept), embedded[lang].parse)
    print(f"\n{lang} significant: intent {result.intent_accuracy:.1%}", *result.misses, sep="\n  ")
    assert result.intent_accuracy >= 0.85, result.misses
