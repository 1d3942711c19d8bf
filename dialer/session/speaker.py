"""The bot's mouth on one call: queue rendered prompts, know when they finished, stop them at once.

Barge-in has two steps, so the bot goes quiet as soon as the callee starts to speak without a cough
ending the prompt:

* `pause()` at the start of the callee's speech: the outbound queue is cleared (the next frame out is
  silence) and the unsent rest of the prompt is kept;
* then either `stop()` (the speech lasted long enough to be a barge-in: the prompt is over, the time from
  the callee's first word to the pause is kept) or `resume()` (it was a click or a breath: the rest plays).

A reply spoken sentence by sentence (`reply.py`) starts with its first sentence and grows with `extend()`;
while more is coming (`Playing.more`) an empty queue is a wait for the renderer, not the end of the prompt.
The reply is cancelled with the prompt: whatever was not rendered yet is never played.

The listener is told what is playing, frame by frame, so its endpointer can tell the bot's echo from the
callee.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.session.reply import ReplyStream
from dialer.sip.interfaces import Call, frame_bytes
from voice.frames import AudioFrame
from voice.listener import Listener


@dataclass
class Playing:
    turn: int  # index of the bot turn in the transcript
    text: str
    started: float
    frames: int  # frames of `pcm`
    stopped: float | None = None
    barged_in: bool = False
    pcm: bytes = field(default=b"", repr=False)
    paused_at: float | None = None
    rest: bytes = field(default=b"", repr=False)
    reply: ReplyStream | None = field(default=None, repr=False)  # the sentences still to come

    @property
    def more(self) -> bool:
        return self.reply is not None and not self.reply.complete


class PromptPlayer:
    def __init__(self, call: Call, listener: Listener) -> None:
        self.call = call
        self.listener = listener
        self.frame_size = frame_bytes(call.rate)
        self.current: Playing | None = None
        self.stop_ms: list[int] = []
        self.pauses = 0

    @property
    def busy(self) -> bool:
        return self.current is not None

    @property
    def paused(self) -> bool:
        return self.current is not None and self.current.paused_at is not None

    def play(self, turn: int, text: str, pcm: bytes, now: float, reply: ReplyStream | None = None) -> None:
        """Speak one reply (its first sentence when `reply` renders the rest); whatever was still
        playing is cut off first."""
        if self.current is not None:
            self.call.clear_playback()
            self.finish(now)
        self.call.clear_playback()
        pcm = _padded(pcm, self.frame_size)
        self.call.play(pcm)
        frames = len(pcm) // self.frame_size
        self.current = Playing(turn, text, now, frames, pcm=pcm, reply=reply)
        self.listener.set_bot_speaking(True)

    def extend(self, pcm: bytes) -> None:
        """The next sentence of the reply: queued behind what is playing (kept for later if paused)."""
        current = self.current
        if current is None or not pcm:
            return
        pcm = _padded(pcm, self.frame_size)
        if current.paused_at is not None:
            current.rest += pcm
            return
        current.pcm += pcm
        current.frames = len(current.pcm) // self.frame_size
        self.call.play(pcm)

    def _sent(self) -> int:
        """Frames of the current prompt already on the wire."""
        assert self.current is not None
        return self.current.frames - round(self.call.playback_pending() / 0.02)

    def tick(self, now: float) -> Playing | None:
        """Once per inbound frame: feed the echo guard; returns the prompt that just finished."""
        current = self.current
        if current is None or current.paused_at is not None or self.call.result is not None:
            return None  # a call that ended dropped its queue: the prompt did not finish
        if self.call.playback_pending() <= 0:
            if current.more:
                return None  # the next sentence is being rendered
            return self.finish(now)
        offset = self._sent()
        frame = current.pcm[offset * self.frame_size : (offset + 1) * self.frame_size]
        if offset >= 0 and len(frame) == self.frame_size:
            self.listener.note_outbound(AudioFrame(frame, self.call.rate))
        return None

    def pause(self, now: float) -> None:
        """The callee started to speak: silence now, keep the rest."""
        current = self.current
        if current is None or current.paused_at is not None:
            return
        offset = max(0, self._sent())
        self.call.clear_playback()
        current.paused_at = now
        current.rest = current.pcm[offset * self.frame_size :]
        self.pauses += 1

    def resume(self) -> None:
        """It was not a barge-in: play the rest of the prompt."""
        current = self.current
        if current is None or current.paused_at is None:
            return
        current.pcm, current.paused_at, current.rest = current.rest, None, b""
        current.frames = -(-len(current.pcm) // self.frame_size)
        self.call.play(current.pcm)

    def finish(self, now: float) -> Playing | None:
        done, self.current = self.current, None
        if done is not None:
            if done.reply is not None:
                done.reply.cancel()
            done.stopped = done.paused_at if done.paused_at is not None else now
        if not self.call.playback_pending():
            self.listener.set_bot_speaking(False)
        return done

    def stop(self, now: float, speech_start: float | None) -> Playing | None:
        """Barge-in confirmed (or a new reply): the prompt is over. With `speech_start` (audio time) the
        stop time (first word -> bot silent) is kept."""
        self.call.clear_playback()
        done = self.finish(now)
        if done is not None:
            done.barged_in = True
            if speech_start is not None:
                self.stop_ms.append(max(0, round(((done.stopped or now) - speech_start) * 1000)))
        self.listener.set_bot_speaking(False)
        return done


def _padded(pcm: bytes, frame_size: int) -> bytes:
    """A sentence's audio to whole frames (the last one padded with silence), so the frame offsets of
    the sentences queued behind it line up."""
    return pcm + bytes(-len(pcm) % frame_size)
