"""The bot's side of a turn: a reply starts on the line as soon as its first sentence is rendered.

`Speaking.start` waits for the reply's first sentence only (`reply.ReplyStream` renders the rest on its
own thread), records the bot turn with its latency (end of the callee's speech to the first frame of the
reply on the wire, in the call's audio time) and where that latency went, and hands the audio to the
prompt player; `feed`, on every frame, queues the sentences rendered since behind the one playing.
"""

from __future__ import annotations

import itertools

from dialer.session.line import FRAME_SECONDS, Line
from dialer.session.outcome import Outcome
from dialer.session.prompts import PromptRenderer
from dialer.session.reply import RenderedPiece, ReplyStream, plan
from dialer.session.speaker import PromptPlayer
from dialer.sip.interfaces import Call
from voice.errors import SynthesisError

PROMPT_GAP_SECONDS = 0.15  # between two prompts of one reply
FIRST_SENTENCE_WAIT_SECONDS = 60.0  # engines time out on their own; this only ends a hung renderer
# the callee turn a reply answers: its end of speech, when the endpointer ended it, when it was heard,
# when the dialogue had decided the reply
HeardTimes = tuple[float, float, float, float]


class Speaking:
    def __init__(
        self,
        call: Call,
        line: Line,
        speaker: PromptPlayer,
        prompts: PromptRenderer,
        outcome: Outcome,
        lang: str,
    ) -> None:
        self.call, self.line, self.speaker, self.prompts, self.outcome = call, line, speaker, prompts, outcome
        self.lang = lang

    def stream(self, texts: list[str]) -> ReplyStream:
        """A reply's sentences, rendering from now on."""
        return ReplyStream(
            self.prompts, plan(texts, self.lang, self.prompts.carriers), self.lang, self.call.rate
        )

    def start(
        self,
        reply: ReplyStream,
        reply_to: float | None,
        responses: tuple[str, ...],
        heard: HeardTimes | None,
        *,
        opening: bool = False,
    ) -> int:
        """Play `reply` once its first sentence is rendered; the bot turn. A renderer that gives nothing
        raises SynthesisError (the call ends with an outcome)."""
        first = reply.ready(wait=FIRST_SENTENCE_WAIT_SECONDS)
        if not first:
            reply.cancel()
            raise SynthesisError(f"no sentence of the reply rendered in {FIRST_SENTENCE_WAIT_SECONDS:.0f} s")
        self.outcome.tts_fallbacks += reply.new_fallbacks()
        pcm = b"".join(self._pcm(piece) for piece in first)
        now = self.line.now
        first_frame = now + FRAME_SECONDS  # the next tick of the media clock sends it
        latency = None if reply_to is None else max(0, round((first_frame - reply_to) * 1000))
        split = latency_split(heard, reply_to, first_frame)
        turn = self.outcome.bot_turn(reply.text, now, latency, responses, split)
        if opening:
            self.outcome.opening_ms = round(first_frame * 1000)
        self.speaker.play(turn, reply.text, pcm, now, reply=reply)
        return turn

    def feed(self) -> None:
        """Queue the reply's sentences rendered since the last frame behind the one playing."""
        current = self.speaker.current
        if current is None or current.reply is None or current.reply.complete:
            return
        for piece in current.reply.ready():
            self.speaker.extend(self._pcm(piece))
        self.outcome.tts_fallbacks += current.reply.new_fallbacks()

    def _pcm(self, piece: RenderedPiece) -> bytes:
        """A sentence's audio, after the pause between two prompts where the plan puts one."""
        if not piece.after_gap:
            return piece.rendered.pcm
        return bytes(2 * round(PROMPT_GAP_SECONDS * self.call.rate)) + piece.rendered.pcm


def latency_split(
    heard: HeardTimes | None, reply_to: float | None, first_frame: float
) -> tuple[int, ...] | None:
    """Where a reply's latency went (TurnReport.end_of_turn_ms...) when it answers the last turn heard."""
    if reply_to is None or heard is None or heard[0] != reply_to:
        return None
    marks = (*heard, first_frame)
    return tuple(round((later - earlier) * 1000) for earlier, later in itertools.pairwise(marks))
