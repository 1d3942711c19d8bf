"""The value types that move between telephony and speech engines: 20 ms PCM frames and utterances."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from voice.errors import AudioError

FRAME_MS = 20
SUPPORTED_RATES = (8000, 16000, 22050, 24000, 44100, 48000)


@dataclass(frozen=True, slots=True)
class AudioFrame:
    """One chunk of PCM16 little-endian mono audio (normally 20 ms)."""

    pcm: bytes
    sample_rate: int

    def __post_init__(self) -> None:
        if self.sample_rate <= 0:
            raise AudioError(f"sample rate must be positive, got {self.sample_rate}")
        if len(self.pcm) % 2:
            raise AudioError(f"PCM16 needs an even byte count, got {len(self.pcm)}")

    @property
    def samples(self) -> int:
        return len(self.pcm) // 2

    @property
    def duration(self) -> float:
        """Seconds of audio in this frame."""
        return self.samples / self.sample_rate

    @classmethod
    def silence(cls, sample_rate: int, ms: int = FRAME_MS) -> AudioFrame:
        return cls(bytes(2 * samples_per_frame(sample_rate, ms)), sample_rate)


@dataclass(frozen=True, slots=True)
class Utterance:
    """Recognized text; `start`/`end` are seconds of audio time from the start of the stream.

    `confidence` is the recognizer's, 0..1 (Whisper: exp of the average token log-probability; Vosk:
    mean word confidence); `no_speech_prob` is Whisper's estimate that the audio held no speech at all
    (0 for engines that give none); `language` is set only when the recognizer heard speech in another
    language than its own (Whisper's language spotting)."""

    text: str
    final: bool
    confidence: float = 0.0
    start: float = 0.0
    end: float = 0.0
    no_speech_prob: float = 0.0
    language: str = ""  # the language the speech was in when the recognizer heard it was another one

    @property
    def empty(self) -> bool:
        return not self.text.strip()


def samples_per_frame(sample_rate: int, ms: int = FRAME_MS) -> int:
    return sample_rate * ms // 1000


def split_frames(
    pcm: bytes, sample_rate: int, ms: int = FRAME_MS, *, pad: bool = True
) -> Iterator[AudioFrame]:
    """Cut PCM into frames of `ms`; the last partial frame is padded with silence (or dropped)."""
    size = 2 * samples_per_frame(sample_rate, ms)
    if len(pcm) % 2:
        raise AudioError(f"PCM16 needs an even byte count, got {len(pcm)}")
    for offset in range(0, len(pcm), size):
        chunk = pcm[offset : offset + size]
        if len(chunk) < size:
            if not pad:
                return
            chunk = chunk + bytes(size - len(chunk))
        yield AudioFrame(chunk, sample_rate)


def join_frames(frames: Iterable[AudioFrame]) -> bytes:
    return b"".join(frame.pcm for frame in frames)


def duration_of(pcm: bytes, sample_rate: int) -> float:
    return len(pcm) / 2 / sample_rate
