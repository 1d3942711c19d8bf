"""The SipEngine / Call seam: every other module talks to these, never to pjsua2.

Exceptions::

    SipError
     ├── EngineError        the engine cannot start or is gone (ports taken, library failure)
     ├── CapacityError      this engine already carries its maximum number of calls
     └── CallGoneError      a command was sent to a call that has ended

Threading contract: every `Call` method is safe to call from any thread. Engines move commands to their own
SIP thread; audio moves through thread-safe queues of 20 ms PCM16 frames.
"""

from __future__ import annotations

import abc
import queue
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Protocol


class SipError(Exception):
    """Base class of the seam's errors."""


class EngineError(SipError):
    pass


class CapacityError(SipError):
    pass


class CallGoneError(SipError):
    pass


FRAME_MS = 20


def frame_bytes(rate: int) -> int:
    """Bytes in one 20 ms PCM16 mono frame."""
    return rate * FRAME_MS // 1000 * 2


class EventKind(StrEnum):
    RINGING = "ringing"
    EARLY_MEDIA = "early_media"
    ANSWERED = "answered"
    DTMF = "dtmf"
    TRANSFER = "transfer"
    ENDED = "ended"


@dataclass(frozen=True, slots=True)
class CallEvent:
    kind: EventKind
    at: float  # seconds since the call started (engine clock)
    sip_code: int = 0
    digit: str = ""
    result: CallResult | None = None


@dataclass(frozen=True, slots=True)
class Timings:
    """Seconds since the INVITE (or since the incoming INVITE); None when it never happened."""

    ringing: float | None = None
    early_media: float | None = None
    answered: float | None = None
    ended: float = 0.0


@dataclass(frozen=True)
class CallResult:
    """The final outcome of one call attempt, as the scheduler records it."""

    call_id: str
    sip_code: int
    reason: str
    result: str  # a VOCAB disposition: answered calls are "answered" (or "transferred")
    answered: bool
    early_media_seconds: float = 0.0
    talk_seconds: float = 0.0
    dtmf: str = ""
    recording: str | None = None
    recording_error: str = ""  # the recording was asked for and could not be written (disk full): why
    timings: Timings = field(default_factory=Timings)
    direction: str = "outbound"
    early_media: bytes = field(default=b"", repr=False)  # PCM16 at `rate`, for number-status checks
    rate: int = 8000
    frame_gap_p99_ms: float = 0.0  # media clock regularity after answer (benchmarks, health)
    frame_gap_max_ms: float = 0.0
    codec: str = ""
    session: Any = field(default=None, compare=False)  # what the call handler returned (a session report)

    def summary(self) -> dict[str, Any]:
        """The JSON shape of `dialer call --json`."""
        return {
            "sip_code": self.sip_code,
            "result": self.result,
            "answered": self.answered,
            "early_media_seconds": round(self.early_media_seconds, 3),
            "talk_seconds": round(self.talk_seconds, 3),
            "dtmf": self.dtmf,
            "recording": self.recording,
        }

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("early_media")
        return data


@dataclass(frozen=True)
class CallRequest:
    """One outbound attempt. `call_id` is the caller's id: the pool reports exactly one result for it."""

    call_id: str
    uri: str
    ring_timeout: float = 30.0
    max_duration: float = 600.0
    record_path: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    options: dict[str, Any] = field(default_factory=dict)  # handler-specific (play WAV, hold seconds...)


class Call(abc.ABC):
    """One live call, outbound or inbound, as a call handler sees it."""

    call_id: str
    direction: str
    rate: int
    codec: str  # negotiated codec once media runs, e.g. "G722/16000"
    local_uri: str = ""  # inbound: the URI the caller dialled (a simulated callee routes on its user part)

    @property
    @abc.abstractmethod
    def events(self) -> queue.Queue[CallEvent]:
        """Ringing, early media, answered, DTMF digits, transfer status and finally ENDED (once)."""

    @property
    @abc.abstractmethod
    def frames(self) -> queue.Queue[bytes]:
        """Inbound 20 ms PCM16 frames of the far end's audio (after answer; early media too)."""

    @abc.abstractmethod
    def play(self, pcm: bytes) -> None:
        """Queue PCM16 mono at `rate` to be sent; frames go out in order behind earlier plays."""

    @abc.abstractmethod
    def clear_playback(self) -> None:
        """Barge-in: drop everything queued; the next outgoing frame is silence."""

    @abc.abstractmethod
    def playback_pending(self) -> float:
        """Seconds of queued audio not yet sent."""

    @abc.abstractmethod
    def send_dtmf(self, digits: str, method: str | None = None) -> None:
        """Send digits by "rfc2833" or "info" (default: the profile's mode)."""

    @abc.abstractmethod
    def transfer(self, uri: str) -> None:
        """Blind transfer (REFER); the TRANSFER event reports the far end's answer."""

    @abc.abstractmethod
    def hangup(self) -> None:
        """BYE when answered, CANCEL while ringing, a rejection for an unanswered inbound call."""

    @abc.abstractmethod
    def answer(self, code: int = 200) -> None:
        """Inbound only: 180 ringing, 183 with media (early media) or 200 answer."""

    @abc.abstractmethod
    def reject(self, code: int) -> None:
        """Inbound only: a final non-2xx answer."""

    @abc.abstractmethod
    def wait(self, timeout: float | None = None) -> CallResult | None:
        """Block until the call has ended; its result (None on timeout)."""

    @property
    @abc.abstractmethod
    def result(self) -> CallResult | None:
        """The final result once the call has ended."""

    @property
    def ended(self) -> bool:
        return self.result is not None

    def start_recording(self, path: str) -> None:
        """Begin the stereo recording now, for a call dialled without `record_path` (rule REC: nothing
        is recorded before the recording notice has played). Engines that cannot record raise."""
        raise NotImplementedError(f"{type(self).__name__} cannot start a recording mid-call")


IncomingHandler = Callable[[Call], None]


class SipEngine(abc.ABC):
    """A user agent that places and takes calls. One per process (pjsua2 is a process-wide library)."""

    rate: int
    max_calls: int

    @abc.abstractmethod
    def start(self) -> None:
        """Bind transports and begin processing; raises EngineError."""

    @abc.abstractmethod
    def dial(self, request: CallRequest) -> Call:
        """Place a call; raises CapacityError at `max_calls`. Failures to connect end as results."""

    @abc.abstractmethod
    def on_incoming(self, handler: IncomingHandler | None) -> None:
        """Hand each incoming call to `handler` (run on its own thread); None rejects them with 486."""

    @abc.abstractmethod
    def active_calls(self) -> int: ...

    @abc.abstractmethod
    def register(self, timeout: float = 10.0) -> tuple[int, str]:
        """REGISTER with the profile's registrar; the final (code, reason)."""

    @abc.abstractmethod
    def shutdown(self) -> None:
        """Hang up what is left and release the library; idempotent."""

    def __enter__(self) -> SipEngine:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()


class CallHandler(Protocol):
    """What conducts one call inside a worker process; loaded by `module:attr` path, one per worker.

    `handle` runs on its own thread and returns when the handler is done with the call; the worker hangs up
    anything still connected and reports the call's result, carrying what `handle` returned (if not None,
    and picklable) as `CallResult.session`.
    """

    def handle(self, call: Call, request: CallRequest) -> Any: ...
