"""The bot's mouth on one call: queue rendered prompts, know when they finished, stop them at once.

Barge-in is `stop()`: the call's outbound queue is cleared (the next frame out is silence) and the
time from the callee's first word to the stop is kept. The listener is told what is playing, frame by
frame, so its endpointer can tell the bot's echo from the callee.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialer.sip.interfaces import Call, frame_bytes
from voice.frames import AudioFrame
from voice.listener import Listener


@dataclass
class Playing:
    turn: int  # index of the bot turn in the transcript
    text: str
    started: float
    frames: int  # frames queued for this turn so far
    stopped: float | None = None
    barged_in: bool = False
    pcm: bytes = field(default=b"", repr=False)


class Speaker:
    def __init__(self, call: Call, listener: Listener) -> None:
        self.call = call
        self.listener = listener
        self.frame_size = frame_bytes(call.rate)
        self.current: Playing | None = None
        self.finished: list[Playing] = []
        self.stop_ms: list[int] = []
        self._queued_frames = 0  # frames queued since the bot last fell silent

    @property
    def busy(self) -> bool:
        return self.current is not None

    def play(self, turn: int, text: str, pcm: bytes, now: float) -> None:
        """Queue one prompt behind whatever is playing (a reply can be several prompts)."""
        if self.current is not None:
            self.finish(now)  # the earlier prompt of this reply is fully queued: it ends as this one starts
        if not self.call.playback_pending():
            self._queued_frames = 0
        self.call.play(pcm)
        frames = -(-len(pcm) // self.frame_size)
        self._queued_frames += frames
        self.current = Playing(turn, text, now, frames, pcm=pcm)
        self.listener.set_bot_speaking(True)

    def tick(self, now: float) -> Playing | None:
        """Once per inbound frame: feed the echo guard; returns the prompt that just finished."""
        if self.current is None:
            return None
        pending = self.call.playback_pending()
        if pending <= 0:
            return self.finish(now)
        sent = self._queued_frames - round(pending / 0.02)
        offset = sent - (self._queued_frames - self.current.frames)
        frame = self.current.pcm[offset * self.frame_size : (offset + 1) * self.frame_size]
        if offset >= 0 and len(frame) == self.frame_size:
            self.listener.note_outbound(AudioFrame(frame, self.call.rate))
        return None

    def finish(self, now: float) -> Playing | None:
        done, self.current = self.current, None
        if done is not None:
            done.stopped = now
            self.finished.append(done)
        if not self.call.playback_pending():
            self.listener.set_bot_speaking(False)
        return done

    def stop(self, now: float, speech_start: float | None) -> Playing | None:
        """Barge-in: silence the bot now; `speech_start` (audio time) gives the stop time."""
        self.call.clear_playback()
        done = self.finish(now)
        if done is not None:
            done.barged_in = True
            if speech_start is not None:
                self.stop_ms.append(max(0, round((now - speech_start) * 1000)))
        self.listener.set_bot_speaking(False)
        return done
