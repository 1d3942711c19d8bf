"""A reply spoken sentence by sentence: the first sentence plays while the rest are rendered.

A reply that carries per-call text (the callee's first name, the amount, the promised date) cannot come
from the render cache; rendered whole it keeps the callee waiting for every sentence of it (piper takes
1.7-2.7 s for a three-sentence reminder on a loaded machine). Split into sentences, only the first one
stands between the end of the callee's speech and the bot's first word; the script's fixed sentences are
pre-rendered at worker start (`fixed_sentences`) and come from the cache.

`ReplyStream` renders the pieces in order on its own thread (the first one urgent: it goes before other
calls' later sentences); the call's thread takes each one with
`ready()` as it is done. `cancel()` (barge-in, a new reply, the end of the call) drops every piece not yet
taken, rendered or not. A render failure is kept and raised on the call's thread by `ready()`, as a
whole-reply render would have raised it.
"""

from __future__ import annotations

import queue
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from dialer.session.prompts import PromptRenderer, Rendered
from voice.verbalize import verbalize

if TYPE_CHECKING:
    from dialer.session.carriers import Carriers

_EN_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_ZH_END = re.compile(r"(?<=[。！？!?])[”’」』）)]*\s*")


def sentences(text: str, lang: str) -> list[str]:
    """Split a prompt at sentence ends ("1.50" and "Dr.Smith" stay whole: a break needs a space in
    English); Chinese breaks after 。！？ and any closing quote."""
    pattern = _ZH_END if lang.startswith("zh") else _EN_END
    out: list[str] = []
    start = 0
    for match in pattern.finditer(text):
        if match.end() < len(text):
            out.append(text[start : match.end()].strip())
            start = match.end()
    out.append(text[start:].strip())
    return [piece for piece in out if piece]


def fixed_sentences(templates: Iterable[str], lang: str) -> list[str]:
    """The sentences of response templates that hold no slot: the same for every call, so cacheable.
    Verbalized as a live reply's sentence is, so the cache key is the same."""
    found: dict[str, None] = {}
    for template in templates:
        for piece in sentences(template, lang):
            if "{" not in piece:
                found[verbalize(piece, lang)] = None
    return list(found)


@dataclass(frozen=True, slots=True)
class Piece:
    prompt: int  # index of the Say action the sentence belongs to
    text: str  # verbalized: what the engine renders and the cache keys on


@dataclass(frozen=True, slots=True)
class RenderedPiece:
    piece: Piece
    rendered: Rendered
    starts_prompt: bool  # the first sentence of its Say action

    @property
    def after_gap(self) -> bool:
        """A later prompt of the reply: a short pause goes before it."""
        return self.starts_prompt and self.piece.prompt > 0


def plan(texts: Sequence[str], lang: str, carriers: Carriers | None = None) -> list[Piece]:
    """The pieces of a reply made of several prompts (Say actions), in speaking order. With `carriers`,
    a first sentence that carries per-call text starts with its cached head (`carriers.py`)."""
    pieces = [
        Piece(i, verbalize(sentence, lang))
        for i, text in enumerate(texts)
        for sentence in sentences(text, lang)
    ]
    if carriers is None or not pieces:
        return pieces
    first, *rest = pieces
    return [Piece(first.prompt, part) for part in carriers.split(first.text, lang)] + rest


class ReplyStream:
    """Renders a reply's pieces one after another on a thread of its own."""

    def __init__(
        self,
        prompts: PromptRenderer,
        pieces: Sequence[Piece],
        lang: str,
        rate: int,
    ) -> None:
        self.prompts = prompts
        self.pieces = tuple(pieces)
        self.lang = lang
        self.rate = rate
        self.text = " ".join(p.text for p in self.pieces)
        self.taken = 0  # pieces handed to the call
        self.fallback_prompts: set[int] = set()
        self._fallbacks_counted = 0
        self._error: BaseException | None = None
        self._done: queue.Queue[RenderedPiece | BaseException] = queue.Queue()
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._render_all, name="reply", daemon=True)
        self._thread.start()

    @property
    def complete(self) -> bool:
        """Every piece was handed over (or the reply was cancelled): nothing more will come. A render
        failure not yet raised by `ready()` keeps it incomplete, so the call asks and hears of it."""
        if self._error is not None:
            return False
        return self._cancelled.is_set() or self.taken >= len(self.pieces)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def _render_all(self) -> None:
        previous = -1
        for piece in self.pieces:
            if self._cancelled.is_set():
                return
            try:
                rendered = self.prompts.render(
                    piece.text, self.lang, self.rate, verbalized=True, urgent=previous < 0
                )
            except BaseException as exc:  # handed to the call's thread, raised there
                self._done.put(exc)
                return
            self._done.put(RenderedPiece(piece, rendered, piece.prompt != previous))
            previous = piece.prompt

    def ready(self, wait: float = 0.0) -> list[RenderedPiece]:
        """The pieces rendered since the last call (waiting up to `wait` seconds for the next one)."""
        if self._error is not None:
            error, self._error = self._error, None
            raise error
        out: list[RenderedPiece] = []
        while not (self._cancelled.is_set() or self.taken >= len(self.pieces)):
            try:
                item = self._done.get(timeout=wait) if wait > 0 and not out else self._done.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, BaseException):
                self.cancel()
                if out:  # the sentences before the failure still play; it is raised next time
                    self._error = item
                    return out
                raise item
            self.taken += 1
            if item.rendered.fallback:
                self.fallback_prompts.add(item.piece.prompt)
            out.append(item)
        return out

    def new_fallbacks(self) -> int:
        """Prompts (Say actions) a later engine rendered, not counted before: a prompt counts once
        however many of its sentences fell back."""
        new = len(self.fallback_prompts) - self._fallbacks_counted
        self._fallbacks_counted = len(self.fallback_prompts)
        return new

    def cancel(self) -> None:
        """Drop every piece not taken yet; a render under way finishes but is not played."""
        self._cancelled.set()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
