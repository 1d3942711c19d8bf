"""Word error rate, for the round-trip tests and the benchmark (lowercase, punctuation ignored)."""

from __future__ import annotations

import re

_WORD = re.compile(r"[\w']+")


def words(text: str) -> list[str]:
    return [w.strip("'") for w in _WORD.findall(text.lower()) if w.strip("'")]


def units(text: str) -> list[str]:
    """Words whole and hanzi one by one (Chinese has no spaces to split on); lower case, letters and
    digits only. For matching a reply against phrases or a context, where Chinese words are unknown."""
    out: list[str] = []
    for word in text.lower().split():
        latin = ""
        for ch in word:
            if "\u4e00" <= ch <= "\u9fff":
                out += [latin, ch] if latin else [ch]
                latin = ""
            elif ch.isalnum():
                latin += ch
        if latin:
            out.append(latin)
    return out


def edit_distance(reference: list[str], hypothesis: list[str]) -> int:
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i]
        for j, hyp in enumerate(hypothesis, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def word_error_rate(references: list[str], hypotheses: list[str]) -> float:
    """Total edits over total reference words, across all pairs."""
    errors = sum(edit_distance(words(r), words(h)) for r, h in zip(references, hypotheses, strict=True))
    total = sum(len(words(r)) for r in references)
    return errors / total if total else 0.0
