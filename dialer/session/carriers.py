"""A reply's first sentence started from the render cache when it carries per-call text.

"Thank you, Paul." or "So you will pay one hundred forty-four dollars and ten cents by Friday." cannot
come from the cache, and rendering the whole sentence is what a callee waits through: on the e2e bench
such sentences made the slowest tenth of the turns (0.7-1.2 s of synthesis on a loaded host, against
20 ms for a cached one). The words before the first slot of every script sentence ("Thank you,", "So
you will pay", "跟您确认一下：") are the same on every call. They are pre-rendered at worker start with
the fixed sentences, so the reply starts with them at once and the rest of the sentence renders while
they play: a carrier spliced with its per-call tail, as IVR prompts are built.

A head is cut at the last clause mark before the slot (a comma, a colon) when there is one: the seam
then falls on a natural pause. Without one, the words before the slot are a head only when there are
at least three (Mandarin: four characters), so the seam is worth its small pause. Sentences with no slot
are never split: they come whole from the cache.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from dialer.session.reply import sentences
from voice.verbalize import verbalize

_CLAUSE_MARK = re.compile(r"[,，:：;；、]")
MIN_WORDS = 3  # English head without a clause mark
MIN_HAN = 4  # Mandarin head without a clause mark


def _head(before_slot: str, lang: str) -> str:
    """The carrier head of the text before a slot ("" when it is too short to be worth a seam)."""
    marks = list(_CLAUSE_MARK.finditer(before_slot))
    if marks:
        return before_slot[: marks[-1].end()].strip()
    text = before_slot.strip()
    if lang.startswith("zh"):
        return text if len(re.findall(r"[\u4e00-\u9fff]", text)) >= MIN_HAN else ""
    return text if len(text.split()) >= MIN_WORDS else ""


def carrier_heads(templates: Iterable[str], lang: str) -> list[str]:
    """The heads of the templates' sentences that hold a slot, verbalized as a live reply is."""
    found: dict[str, None] = {}
    for template in templates:
        for piece in sentences(template, lang):
            slot = piece.find("{")
            if slot <= 0:
                continue
            head = _head(piece[:slot], lang)
            if head:
                found[verbalize(head, lang)] = None
    return list(found)


@dataclass(frozen=True)
class Carriers:
    """The scripts' carrier heads per language (longest first) and their fixed sentences."""

    heads: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    fixed: frozenset[tuple[str, str]] = frozenset()  # (verbalized sentence, language)

    @classmethod
    def of(cls, heads: Iterable[tuple[str, str]], fixed: Iterable[tuple[str, str]]) -> Carriers:
        by_lang: dict[str, list[str]] = {}
        for head, lang in heads:
            by_lang.setdefault(lang, []).append(head)
        return cls(
            {lang: tuple(sorted(set(h), key=len, reverse=True)) for lang, h in by_lang.items()},
            frozenset(fixed),
        )

    def split(self, sentence: str, lang: str) -> list[str]:
        """`sentence` (verbalized) as [head, rest] when it starts with a head and is not fixed itself."""
        if (sentence, lang) in self.fixed:
            return [sentence]
        zh = lang.startswith("zh")
        for head in self.heads.get(lang, ()):
            rest = sentence[len(head) :]
            if not sentence.startswith(head) or not rest.strip():
                continue
            if zh or _CLAUSE_MARK.fullmatch(head[-1]) or rest.startswith(" "):  # whole words only
                return [head, rest.strip()]
        return [sentence]
