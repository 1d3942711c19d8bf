"""The simulated phone line does what each condition says, measured on the audio it returns."""

from __future__ import annotations

import numpy as np
import pytest

from voice.linesim import (
    CONDITIONS,
    RATE,
    LineCondition,
    active_power,
    band_limit,
    conceal_losses,
    parse_conditions,
    to_float,
    to_pcm,
    transmit,
)


def _speechlike(seconds: float, seed: int = 1) -> np.ndarray:
    """Voiced bursts (harmonics of 140 Hz under a syllable envelope) separated by pauses, at 8 kHz."""
    t = np.arange(int(seconds * RATE)) / RATE
    rng = np.random.default_rng(seed)
    voiced = sum(np.sin(2 * np.pi * 140 * k * t + rng.uniform(0, 6)) / k for k in range(1, 20))
    envelope = np.clip(np.sin(2 * np.pi * 2.5 * t), 0, None) ** 0.5
    return 0.2 * voiced * envelope / np.max(np.abs(voiced))


def _band_energy(samples: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(samples.size, 1.0 / RATE)
    return float(spectrum[(freqs >= low) & (freqs < high)].sum())


def test_clean_line_keeps_the_speech() -> None:
    speech = _speechlike(3.0)
    out = to_float(transmit(to_pcm(speech), RATE, CONDITIONS["ulaw"]).pcm)
    reference = band_limit(speech)
    error = 10 * np.log10(np.mean(reference**2) / np.mean((out - reference) ** 2))
    assert error > 25  # G.711 keeps ~35 dB SNR on speech; band limiting is in the reference
    alaw = to_float(transmit(to_pcm(speech), RATE, CONDITIONS["alaw"]).pcm)
    assert not np.array_equal(alaw, out)
    assert 10 * np.log10(np.mean(reference**2) / np.mean((alaw - reference) ** 2)) > 25


def test_band_is_300_to_3400_hz() -> None:
    white = np.random.default_rng(3).standard_normal(RATE * 4) * 0.1
    out = to_float(transmit(to_pcm(white), RATE, CONDITIONS["ulaw"]).pcm)
    in_band = _band_energy(out, 400, 3300)
    assert _band_energy(out, 0, 200) < in_band * 1e-3
    assert _band_energy(out, 3500, 4000) < in_band * 1e-3
    # the input had energy there
    assert _band_energy(white, 0, 200) > _band_energy(white, 400, 3300) * 0.03


@pytest.mark.parametrize("name", ["pink20", "pink10", "babble20", "babble10"])
def test_noise_is_added_at_the_asked_snr(name: str) -> None:
    condition = CONDITIONS[name]
    speech = _speechlike(4.0)
    others = [to_pcm(_speechlike(2.0 + i, seed=10 + i)) for i in range(4)]
    sent = transmit(to_pcm(speech), RATE, condition, seed=7, babble=others)
    assert sent.snr_db == pytest.approx(condition.snr_db, abs=0.5)
    # measured on the received audio against the clean line's output
    clean = to_float(transmit(to_pcm(speech), RATE, CONDITIONS["ulaw"]).pcm)
    noise = to_float(sent.pcm) - clean
    received_snr = 10 * np.log10(active_power(clean) / np.mean(noise**2))
    assert received_snr == pytest.approx(condition.snr_db, abs=2.0)  # band limiting removes some noise


def test_same_seed_same_audio_other_seed_other_noise() -> None:
    pcm = to_pcm(_speechlike(2.0))
    a = transmit(pcm, RATE, CONDITIONS["pink10"], seed=1).pcm
    assert a == transmit(pcm, RATE, CONDITIONS["pink10"], seed=1).pcm
    assert a != transmit(pcm, RATE, CONDITIONS["pink10"], seed=2).pcm


@pytest.mark.parametrize(("name", "expected"), [("loss1", 10), ("loss3", 30)])
def test_packet_loss_count_and_concealment(name: str, expected: int) -> None:
    speech = _speechlike(20.0)
    sent = transmit(to_pcm(speech), RATE, CONDITIONS[name], seed=5)
    assert sent.packets == 1000
    assert len(sent.lost_packets) == expected
    assert len(set(sent.lost_packets)) == expected
    clean = to_float(transmit(to_pcm(speech), RATE, CONDITIONS["ulaw"]).pcm)
    received = to_float(sent.pcm)
    frame = RATE // 50
    changed = {
        i
        for i in range(1000)
        if not np.array_equal(received[i * frame : (i + 1) * frame], clean[i * frame : (i + 1) * frame])
    }
    assert changed <= set(sent.lost_packets)


def test_concealment_repeats_then_fades() -> None:
    frame = RATE // 50
    samples = np.concatenate([np.full(frame, 0.5), np.full(frame, 0.1), np.zeros(2 * frame)])
    out = conceal_losses(samples, [1, 2])
    assert np.allclose(out[frame : 2 * frame], 0.5)  # repeated
    assert np.allclose(out[2 * frame : 3 * frame], 0.25)  # faded
    assert np.allclose(out[3 * frame :], 0.0)  # untouched


def test_level_is_10_db_low() -> None:
    speech = _speechlike(3.0)
    normal = to_float(transmit(to_pcm(speech), RATE, CONDITIONS["ulaw"]).pcm)
    low = to_float(transmit(to_pcm(speech), RATE, CONDITIONS["low10"]).pcm)
    assert 10 * np.log10(np.mean(normal**2) / np.mean(low**2)) == pytest.approx(10.0, abs=0.3)


def test_conditions_by_name() -> None:
    assert [c.name for c in parse_conditions("pink20, loss3")] == ["pink20", "loss3"]
    assert len(parse_conditions("all")) == len(CONDITIONS) == 9
    with pytest.raises(ValueError, match=r"unknown line condition.*pink5.*known: ulaw"):
        parse_conditions("pink5")
    with pytest.raises(ValueError, match="codec"):
        LineCondition("x", codec="gsm")
    with pytest.raises(ValueError, match="babble needs"):
        transmit(to_pcm(_speechlike(1.0)), RATE, CONDITIONS["babble20"])
