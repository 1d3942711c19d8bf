"""Frames and sample-level audio: G.711 against the ITU reference (audioop, while Python 3.11 has it),
resampling, WAV files and level measures."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from voice import audio
from voice.errors import AudioError
from voice.frames import AudioFrame, Utterance, join_frames, split_frames

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import audioop  # reference oracle only; the package itself never uses it

ALL_PCM16 = np.arange(-32768, 32768, dtype=np.int32).astype("<i2").tobytes()


def tone(freq: float, seconds: float, rate: int, amplitude: float = 0.5) -> bytes:
    t = np.arange(round(seconds * rate)) / rate
    return audio.from_float(amplitude * np.sin(2 * np.pi * freq * t))


def test_frame_duration_and_validation() -> None:
    frame = AudioFrame(bytes(320), 8000)
    assert frame.duration == pytest.approx(0.020)
    assert frame.samples == 160
    assert AudioFrame.silence(16000).duration == pytest.approx(0.020)
    with pytest.raises(AudioError):
        AudioFrame(b"\x00", 8000)
    with pytest.raises(AudioError):
        AudioFrame(b"", 0)
    with pytest.raises(AttributeError):
        frame.sample_rate = 16000  # type: ignore[misc]


def test_split_pads_last_frame_and_join_restores() -> None:
    pcm = bytes(range(256)) * 3  # 768 bytes = 384 samples = 2.4 frames at 8 kHz
    frames = list(split_frames(pcm, 8000))
    assert [f.samples for f in frames] == [160, 160, 160]
    assert join_frames(frames)[: len(pcm)] == pcm
    assert len(list(split_frames(pcm, 8000, pad=False))) == 2


def test_utterance_is_frozen_value() -> None:
    u = Utterance("i will pay", final=True, confidence=0.9, start=0.1, end=1.2)
    assert u == Utterance("i will pay", True, 0.9, 0.1, 1.2)
    assert not u.empty and Utterance(" ", False).empty


@pytest.mark.parametrize(
    ("encode", "decode", "ref_encode", "ref_decode"),
    [
        (audio.ulaw_encode, audio.ulaw_decode, audioop.lin2ulaw, audioop.ulaw2lin),
        (audio.alaw_encode, audio.alaw_decode, audioop.lin2alaw, audioop.alaw2lin),
    ],
    ids=["ulaw", "alaw"],
)
def test_g711_matches_reference_for_every_value(encode, decode, ref_encode, ref_decode) -> None:  # type: ignore[no-untyped-def]
    assert encode(ALL_PCM16) == ref_encode(ALL_PCM16, 2)
    codes = bytes(range(256))
    assert decode(codes) == ref_decode(codes, 2)


@given(st.binary(min_size=0, max_size=400).filter(lambda b: len(b) % 2 == 0))
def test_g711_roundtrip_error_is_bounded(pcm: bytes) -> None:
    original = np.frombuffer(pcm, dtype="<i2").astype(np.int32)
    for enc, dec in ((audio.ulaw_encode, audio.ulaw_decode), (audio.alaw_encode, audio.alaw_decode)):
        back = np.frombuffer(dec(enc(pcm)), dtype="<i2").astype(np.int32)
        assert back.size == original.size
        # logarithmic quantiser: error stays within ~1/16 of the magnitude (+ a small floor)
        assert np.all(np.abs(back - original) <= np.abs(original) / 16 + 140)


def test_g711_rejects_odd_bytes() -> None:
    with pytest.raises(AudioError):
        audio.ulaw_encode(b"\x01\x02\x03")


@pytest.mark.parametrize(("src", "dst"), [(8000, 16000), (16000, 8000), (22050, 8000), (24000, 8000)])
def test_resample_keeps_duration_and_pitch(src: int, dst: int) -> None:
    pcm = tone(440, 1.0, src)
    out = audio.resample(pcm, src, dst)
    assert len(out) // 2 == pytest.approx(dst, abs=2)
    samples = audio.to_float(out)
    spectrum = np.abs(np.fft.rfft(samples))
    peak_hz = np.argmax(spectrum) * dst / samples.size
    assert peak_hz == pytest.approx(440, abs=2)


def test_stream_resampler_matches_length_of_batch() -> None:
    pcm = tone(300, 1.0, 8000)
    stream = audio.StreamResampler(8000, 16000)
    frames = list(split_frames(pcm, 8000))
    out = b"".join(stream.process(f.pcm, last=i == len(frames) - 1) for i, f in enumerate(frames))
    assert abs(len(out) // 2 - 16000) <= 2


def test_wav_roundtrip_and_errors(tmp_path: Path) -> None:
    pcm = tone(1000, 0.5, 8000)
    path = tmp_path / "x.wav"
    audio.write_wav(path, pcm, 8000)
    assert audio.read_wav(path) == (pcm, 8000)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"not a wav at all")
    with pytest.raises(AudioError, match=r"bad\.wav"):
        audio.read_wav(bad)


def test_parse_streamed_wav_with_placeholder_sizes() -> None:
    pcm = tone(500, 0.1, 22050)
    data = bytearray(audio.wav_bytes(pcm, 22050))
    data[4:8] = (0x7FFFFFFF).to_bytes(4, "little")
    data[40:44] = (0x7FFFF000).to_bytes(4, "little")
    assert audio.parse_wav_bytes(bytes(data)) == (pcm, 22050)


def test_levels_and_clipping() -> None:
    assert audio.level_dbfs(bytes(320)) == -math.inf
    full_sine = tone(1000, 1.0, 8000, amplitude=1.0)
    assert audio.level_dbfs(full_sine) == pytest.approx(-3.01, abs=0.05)
    assert audio.level_dbfs(audio.scale(full_sine, -20)) == pytest.approx(-23.01, abs=0.1)
    assert audio.clipping_ratio(tone(1000, 1.0, 8000, amplitude=0.5)) == 0.0
    assert audio.clipping_ratio(tone(1000, 1.0, 8000, amplitude=2.0)) > 0.3
    assert audio.peak_dbfs(tone(1000, 1.0, 8000, amplitude=0.5)) == pytest.approx(-6.02, abs=0.05)


def test_loud_frames_are_those_within_the_given_db_of_the_loudest() -> None:
    frame = 160
    levels = [1000.0, 100.0, 40.0, 0.0, 1000.0]  # 0, -20, -28 dB and digital silence
    samples = np.concatenate([np.full(frame, a) for a in levels] + [np.full(frame // 2, 1000.0)])
    assert audio.loud_frames(samples, frame, 25.0).tolist() == [True, True, False, False, True]
    assert audio.loud_frames(samples, frame, 30.0).tolist() == [True, True, True, False, True]
    assert audio.loud_frames(samples[: frame - 1], frame, 25.0).size == 0  # no whole frame


def test_trim_edges_bounds_the_quiet_at_both_ends_and_keeps_the_pauses_inside() -> None:
    rate = 8000
    tone = (np.sin(2 * np.pi * 300 * np.arange(rate // 2) / rate) * 8000).astype("<i2").tobytes()
    quiet = audio.silence(0.5, rate)
    hiss = (np.random.default_rng(1).normal(0, 3, rate // 2)).astype("<i2").tobytes()  # -80 dBFS
    pcm = quiet + hiss + tone + quiet + tone + hiss + quiet + quiet
    trimmed = audio.trim_edges(pcm, rate, lead_ms=40, tail_ms=200, within_db=45)
    seconds = len(trimmed) / 2 / rate
    assert seconds == pytest.approx(0.04 + 0.5 + 0.5 + 0.5 + 0.2, abs=0.021)
    samples = np.frombuffer(trimmed, dtype="<i2")
    assert np.abs(samples[: int(0.04 * rate)]).max() < 50  # what is kept before the sound is quiet
    assert np.abs(samples[int(0.06 * rate) : int(0.5 * rate)]).max() > 5000  # the sound itself is whole
    assert audio.trim_edges(tone, rate, lead_ms=0, tail_ms=0, within_db=45) == tone  # nothing quiet
    for flat in (quiet, hiss):  # no sound at all: nothing to measure the quiet against
        assert audio.trim_edges(flat, rate, lead_ms=40, tail_ms=200, within_db=45) == flat
    # a fading end (breath, reverb) 30 dB down is loud within 45 dB of the peak, quiet within 25
    fade = (np.sin(2 * np.pi * 300 * np.arange(rate // 2) / rate) * 250).astype("<i2").tobytes()
    assert len(audio.trim_edges(tone + fade, rate, lead_ms=0, tail_ms=0, within_db=45)) == len(tone + fade)
    assert len(audio.trim_edges(tone + fade, rate, lead_ms=0, tail_ms=0, within_db=25)) == len(tone)
