"""The fresh held-out sets are well formed, cover every intent, and are nobody's training data.

`tests/data/spoken/<lang>-fresh.yml` was written before the NLU examples that followed the study of the
first corpus; it only shows whether those generalise if no script example and no other held-out line
says the same words.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from dialogue.evaluate import load_heldout
from dialogue.script import load_script
from voice.spoken_corpus import INTENTS, corpus_path, load_corpus, overlap_key

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_fresh_set_covers_every_intent_once_per_line(lang: str) -> None:
    corpus = load_corpus(corpus_path(f"{lang}-fresh"))
    assert corpus.language == lang
    assert {line.intent for line in corpus.lines} == set(INTENTS)
    keys = Counter(overlap_key(line.text, lang) for line in corpus.lines)
    assert [k for k, n in keys.items() if n > 1] == []


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_no_fresh_line_is_a_script_example_or_another_heldout_line(lang: str) -> None:
    seen: dict[str, str] = {}
    for script in sorted((REPO / "scripts").glob("*/data/nlu.yml")):
        for example in load_script(script.parent.parent).examples:
            seen[overlap_key(example.text, lang)] = f"{script.relative_to(REPO)}:{example.line}"
    for heldout in sorted((REPO / "tests" / "dialogue").glob("heldout_*.yml")):
        for reply in load_heldout(heldout).examples:
            seen[overlap_key(reply.text, lang)] = str(heldout.relative_to(REPO))
    for line in load_corpus(corpus_path(lang)).lines:
        seen[overlap_key(line.text, lang)] = f"{corpus_path(lang).relative_to(REPO)}:{line.line}"
    fresh = load_corpus(corpus_path(f"{lang}-fresh"))
    copies = [
        f"{line.line}: {line.text} (also in {seen[key]})"
        for line in fresh.lines
        if (key := overlap_key(line.text, lang)) in seen
    ]
    assert copies == []
