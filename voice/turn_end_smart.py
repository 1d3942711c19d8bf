"""Smart Turn v3 (pipecat-ai, BSD-2): an audio-only end-of-turn classifier, as a `TurnEndPolicy`.

The model reads the last 8 s of the turn at 16 kHz as Whisper log-mel features and says how likely
the speaker is done. As pipecat runs it: after `probe_ms` of silence the turn is classified once; a
complete turn ends there, an incomplete one waits until `incomplete_ms` of silence (or more speech,
which asks again at the next pause). Measured against the text policy by `bench/turn_end_bench.py`:
at 8 kHz on the test voices it cut more turns and waited longer than the adaptive silence, so calls do
not use it and no installer fetches its model; the bench takes the file with `--smart-turn PATH`.

The model file is `smart-turn-v3.2-cpu.onnx` from the `pipecat-ai` 1.14.0 wheel; onnxruntime (installed
with faster-whisper) runs it on one CPU thread. The log-mel features follow Whisper's feature extractor
(transformers' `WhisperFeatureExtractor(chunk_length=8)`, as pipecat computes them).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from voice.errors import EngineUnavailable, ModelNotInstalled
from voice.turn_end import TurnEndPolicy, TurnSoFar

MODEL_FILE = "smart-turn-v3.2-cpu.onnx"
MODEL_RATE = 16000
WINDOW_SECONDS = 8
N_FFT, HOP, N_MELS = 400, 160, 80


def _mel_filters() -> np.ndarray:
    """Slaney-scale, area-normalised triangular filters, (n_fft/2+1, 80), as librosa/transformers."""

    def to_mel(hz: np.ndarray) -> np.ndarray:
        mel = 3.0 * hz / 200.0
        log = hz >= 1000.0
        mel[log] = 15.0 + np.log(hz[log] / 1000.0) * (27.0 / np.log(6.4))
        return mel

    def to_hz(mel: np.ndarray) -> np.ndarray:
        hz = 200.0 * mel / 3.0
        log = mel >= 15.0
        hz[log] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel[log] - 15.0))
        return hz

    edges = to_hz(np.linspace(to_mel(np.array([0.0]))[0], to_mel(np.array([MODEL_RATE / 2]))[0], N_MELS + 2))
    fft_hz = np.linspace(0, MODEL_RATE // 2, N_FFT // 2 + 1)
    slopes = edges[None, :] - fft_hz[:, None]
    diff = np.diff(edges)
    down = -slopes[:, :-2] / diff[:-1]
    up = slopes[:, 2:] / diff[1:]
    filters = np.maximum(0.0, np.minimum(down, up))
    return filters * (2.0 / (edges[2 : N_MELS + 2] - edges[:N_MELS]))[None, :]


def log_mel(samples: np.ndarray, filters: np.ndarray) -> np.ndarray:
    """(80, 800) features of exactly 8 s at 16 kHz, waveform normalised first (do_normalize=True)."""
    x = samples.astype(np.float32)
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    padded = np.pad(x.astype(np.float64), (N_FFT // 2, N_FFT // 2), mode="reflect")
    window = np.hanning(N_FFT + 1)[:-1]
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP]
    power = np.abs(np.fft.rfft(frames * window, axis=-1)) ** 2
    mel = np.log10(np.maximum(1e-10, filters.T @ power.T))[:, :-1]
    mel = np.maximum(mel, mel.max() - 8.0)
    return ((mel + 4.0) / 4.0).astype(np.float32)


class SmartTurnModel:
    """The loaded ONNX classifier: `probability(pcm, rate)` that the turn in `pcm` is complete."""

    def __init__(self, path: Path, threads: int = 1):
        if not path.is_file():
            raise ModelNotInstalled(f"Smart Turn model not found: {path}")
        try:
            import onnxruntime as ort
        except ImportError as exc:
            raise EngineUnavailable(
                "smart-turn", "onnxruntime is not installed", hint="pip install onnxruntime"
            ) from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session: Any = ort.InferenceSession(str(path), sess_options=options)
        self._filters = _mel_filters()
        self.last_seconds = 0.0  # wall time of the last inference (benches add it to the decision)

    def probability(self, pcm: bytes, sample_rate: int) -> float:
        from voice.audio import resample

        started = time.perf_counter()
        audio = resample(pcm, sample_rate, MODEL_RATE) if sample_rate != MODEL_RATE else pcm
        samples = np.frombuffer(audio, dtype="<i2").astype(np.float32) / 32768.0
        size = WINDOW_SECONDS * MODEL_RATE
        samples = samples[-size:] if samples.size > size else np.pad(samples, (size - samples.size, 0))
        features = log_mel(samples, self._filters)[None, :, :]
        output = self._session.run(None, {"input_features": features})
        self.last_seconds = time.perf_counter() - started
        return float(np.asarray(output[0]).reshape(-1)[0])


class SmartTurn(TurnEndPolicy):
    name = "smart-turn"

    def __init__(
        self,
        model: SmartTurnModel,
        *,
        probe_ms: float = 200.0,
        incomplete_ms: float = 1200.0,
        threshold: float = 0.5,
    ):
        self.model = model
        self.probe_ms = probe_ms
        self.incomplete_ms = incomplete_ms
        self.threshold = threshold
        self._verdict: bool | None = None  # None: not yet asked during this pause
        self.last_probability: float | None = None

    def begin(self, now: float) -> None:
        self._verdict = None

    def speaking(self, now: float) -> None:
        self._verdict = None

    def ended(self, turn: TurnSoFar) -> bool:
        if turn.silence_ms >= self.incomplete_ms - 1e-6:
            return True
        if turn.silence_ms < self.probe_ms - 1e-6:
            return False
        if self._verdict is None:
            self.last_probability = self.model.probability(turn.audio(), turn.sample_rate)
            self._verdict = self.last_probability >= self.threshold
        return self._verdict

    @property
    def max_wait_ms(self) -> float:
        return self.incomplete_ms
