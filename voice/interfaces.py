"""The two speech seams, Recognizer and Synthesizer, in one place.

A `Recognizer` holds a loaded model (one per worker process, shared by all its calls) and opens one
`RecognizerStream` per utterance or call. A `Synthesizer` turns a prompt into PCM16 mono at the call's
rate. Every implementation lives in its own module under `voice/recognizers/` or `voice/synthesizers/`;
each has a fake (scripted, silence) and contract tests run over fake and real alike.
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from dataclasses import dataclass

from voice.frames import AudioFrame, Utterance, split_frames

LANGUAGES = ("en", "zh")


@dataclass(frozen=True, slots=True)
class ListeningHints:
    """What the dialogue expects to hear next.

    `prompt` primes whisper's context (the question just asked); `phrases` become a Vosk word-list
    grammar, restricting output to these phrases (plus "[unk]").
    """

    prompt: str = ""
    phrases: tuple[str, ...] = ()


class RecognizerStream(abc.ABC):
    """One utterance's (or one call leg's) recognition; fed frame by frame in audio time."""

    @abc.abstractmethod
    def accept(self, frame: AudioFrame) -> None:
        """Feed one frame (any rate; the stream resamples to what its model needs)."""

    @abc.abstractmethod
    def partial(self) -> Utterance | None:
        """The best guess so far (final=False), or None when nothing is recognized yet."""

    @abc.abstractmethod
    def finish(self) -> Utterance:
        """End of speech: the final utterance (final=True); the stream is spent afterwards."""


class Recognizer(abc.ABC):
    """A loaded ASR model; thread-safe to open streams from several calls."""

    name: str = "recognizer"
    language: str = "en"

    @property
    def label(self) -> str:
        """Engine and model, as the ledger records who heard a turn (e.g. "whisper-base")."""
        return self.name

    @abc.abstractmethod
    def open_stream(self, sample_rate: int, hints: ListeningHints | None = None) -> RecognizerStream:
        """A fresh stream for audio at `sample_rate`."""

    def transcribe(self, pcm: bytes, sample_rate: int, hints: ListeningHints | None = None) -> Utterance:
        """Recognize a whole utterance (CLI, tests, carrier announcements)."""
        stream = self.open_stream(sample_rate, hints)
        for frame in split_frames(pcm, sample_rate):
            stream.accept(frame)
        return stream.finish()

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the model (most engines free it with the object)."""


class Synthesizer(abc.ABC):
    """Text -> PCM16 mono at the requested rate. `name` and `voice_for()` form the render-cache key."""

    name: str = "synthesizer"
    languages: tuple[str, ...] = LANGUAGES

    @property
    def voice(self) -> str:
        """The voices this engine uses, one per language (for tables and logs)."""
        return ",".join(f"{lang}={self.voice_for(lang)}" for lang in self.languages)

    @abc.abstractmethod
    def voice_for(self, lang: str) -> str:
        """The voice id used for `lang`; raises SynthesisError for a language it cannot speak."""

    @abc.abstractmethod
    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        """Render `text`; raises EngineUnavailable (try another engine) or SynthesisError."""

    def supports(self, lang: str) -> bool:
        return lang in self.languages


def frames_of(synthesizer: Synthesizer, text: str, lang: str, sample_rate: int) -> Iterable[AudioFrame]:
    """A prompt as 20 ms frames, ready for an outbound queue."""
    return split_frames(synthesizer.synthesize(text, lang, sample_rate), sample_rate)
