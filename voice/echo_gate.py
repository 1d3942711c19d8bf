"""The level under which an inbound frame is taken for the bot's own echo, learnt from the line.

While the bot talks, its prompt can come back on the inbound leg (a hybrid, a speakerphone). A frame
quieter than the loudest outbound frame of the last `tail_ms` less the echo return loss is not callee
speech. A fixed loss (`min_loss_db`, 15 dB) must cover the worst line, so on a clean line (a SIP trunk
or a phone that cancels its echo) it also hides the callee's first soft syllables under the bot's prompt:
about 60 ms later to a barge-in on the wire.

So the loss is measured: each frame the bot sends, once its last `tail_ms` are all on the wire, gives a
sample "loudest recent outbound level minus this inbound level". Echo keeps the samples near the true
loss; silence makes them large; the callee talking makes them small. A low percentile of the recent
samples, less `margin_db`, is the loss used, never below `min_loss_db` (a fixed gate's worst case) nor
above `max_loss_db`. Until `min_samples` are in, the fixed loss holds. A few frames of new echo pull the
percentile down within `window` frames x `percentile`; the session's pause on the first voiced frame is
tentative, so such a frame costs a short pause, not the prompt.
"""

from __future__ import annotations

import collections

from voice.audio import level_dbfs
from voice.frames import AudioFrame

QUIET_DBFS = -45.0  # an outbound tail this quiet says nothing about the echo path


class EchoGate:
    def __init__(
        self,
        *,
        min_loss_db: float = 15.0,
        tail_ms: int = 300,
        adaptive: bool = True,
        max_loss_db: float = 45.0,
        margin_db: float = 6.0,
        window: int = 100,
        percentile: float = 0.05,
        min_samples: int = 20,
    ) -> None:
        self.min_loss_db = min_loss_db
        self.adaptive = adaptive
        self.max_loss_db = max_loss_db
        self.margin_db = margin_db
        self.percentile = percentile
        self.min_samples = min_samples
        self._outbound: collections.deque[float] = collections.deque(maxlen=max(1, tail_ms // 20))
        self._samples: collections.deque[float] = collections.deque(maxlen=window)
        self._fresh = False  # a frame was sent since the last inbound frame
        self.active = False

    def start(self) -> None:
        self.active = True

    def stop(self) -> None:
        """The bot went quiet: no echo to expect. What was learnt about the line is kept."""
        self.active = False
        self._outbound.clear()
        self._fresh = False

    def outbound(self, frame: AudioFrame) -> None:
        self._outbound.append(level_dbfs(frame.pcm))
        self._fresh = True

    @property
    def loss_db(self) -> float:
        """The echo return loss the gate assumes now."""
        if not self.adaptive or len(self._samples) < self.min_samples:
            return self.min_loss_db
        ordered = sorted(self._samples)
        low = ordered[int(self.percentile * (len(ordered) - 1))]
        return min(self.max_loss_db, max(self.min_loss_db, low - self.margin_db))

    def floor(self, inbound_dbfs: float) -> float:
        """The echo floor for this inbound frame (learning from it first): quieter is echo."""
        if not self.active or not self._outbound:
            return -200.0
        loudest = max(self._outbound)
        full = len(self._outbound) == self._outbound.maxlen
        if self._fresh and full and loudest >= QUIET_DBFS:  # paused: no sample, the echo stopped too
            self._samples.append(loudest - max(inbound_dbfs, -100.0))
        self._fresh = False
        return loudest - self.loss_db
