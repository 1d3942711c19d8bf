"""The spoken corpus is well formed, large enough, covers every intent, and is nobody's training data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dialogue.evaluate import load_heldout
from dialogue.script import load_script
from voice.spoken_corpus import INTENTS, CorpusError, corpus_path, load_corpus, overlap_key

REPO = Path(__file__).resolve().parents[2]
MINIMUM = {"en": 300, "zh": 200}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_corpus_size_and_coverage(lang: str) -> None:
    corpus = load_corpus(corpus_path(lang))
    assert corpus.language == lang
    assert len(corpus.lines) >= MINIMUM[lang]
    per_intent = Counter(line.intent for line in corpus.lines)
    assert {intent for intent, n in per_intent.items() if n >= 5} == set(INTENTS)
    assert sum(line.date is not None for line in corpus.lines) >= 30
    assert sum(line.amount is not None for line in corpus.lines) >= 10
    keys = [overlap_key(line.text, lang) for line in corpus.lines]
    assert [k for k, n in Counter(keys).items() if n > 1] == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_corpus_line_is_a_script_example_or_heldout_line(lang: str) -> None:
    corpus = load_corpus(corpus_path(lang))
    seen: dict[str, str] = {}
    for script in sorted((REPO / "scripts").glob("*/data/nlu.yml")):
        loaded = load_script(script.parent.parent)
        for example in loaded.examples:
            seen[overlap_key(example.text, lang)] = f"{script.relative_to(REPO)}:{example.line}"
    for heldout in sorted((REPO / "tests" / "dialogue").glob("heldout_*.yml")):
        for example in load_heldout(heldout).examples:
            seen[overlap_key(example.text, lang)] = str(heldout.relative_to(REPO))
    copies = [
        f"{line.line}: {line.text} (also in {seen[key]})"
        for line in corpus.lines
        if (key := overlap_key(line.text, lang)) in seen
    ]
    assert copies == []


def test_bad_lines_are_named_with_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "en.yml"
    bad.write_text(
        'language: en\nnow: "2026-11-29T10:00:00"\nexamples:\n'
        '- {text: "fine", intent: affirm}\n'
        '- {text: "I paid", intent: already_paid}\n',
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match=r"en\.yml:5: critical is None, intent already_paid means 'paid'"):
        load_corpus(bad)
    bad.write_text(
        'language: en\nnow: "2026-11-29T10:00:00"\nexamples:\n'
        '- {text: "friday", intent: inform, entities: {date: "2026-13-01"}}\n',
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match=r"en\.yml:4: date '2026-13-01' is not YYYY-MM-DD"):
        load_corpus(bad)
    bad.write_text(
        'language: en\nnow: "2026-11-29T10:00:00"\nexamples:\n'
        '- {text: "hablo español", intent: language_barrier, spoken_in: Spanish}\n',
        encoding="utf-8",
    )
    with pytest.raises(CorpusError, match=r"en\.yml:4: spoken_in 'Spanish' is not a language code"):
        load_corpus(bad)


def test_a_line_in_another_language_is_labelled_and_spoken_by_that_languages_voice() -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    from understanding_bench import line_voice

    from voice.testvoices import VoiceRenderer, voices_for

    spanish = next(line for line in load_corpus(corpus_path("en")).lines if line.spoken_in == "es")
    own = voices_for("en")
    renderer = VoiceRenderer(Path("/nonexistent-cache"))
    assert line_voice(spanish, 0, "en", own, renderer).language == "es"
    plain = load_corpus(corpus_path("en")).lines[0]
    assert line_voice(plain, 1, "en", own, renderer) == own[1]
