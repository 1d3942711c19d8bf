"""Simulated callees for the barge-in figures of `bench/e2e_bench.py --mix barge-in`.

Four personas, written at run time into a persona folder next to the product's own (the callee loads the
whole folder):

- ``interrupts-often``: talks over every prompt 0.8 s in ("Sorry, who is calling?", "Yes, speaking." ...):
  true barge-ins, several per call;
- ``coughs``: never says a word; a 180 ms cough (shaped noise) about every 2 s while the bot talks;
- ``clicks``: never says a word; a 10 ms click about every second while the bot talks;
- ``echo``: never says a word; the bot's own opening played back 20 dB down as soon as the bot is heard
  (a line with poor echo return loss); the audio is the bot's opening as the warm-up call's callee heard it.

Each barge-in the session confirms on a call of the last three is a false barge-in: the prompt was cut for
good by something that was not speech. `noise_bursts` counts what they played over the bot, so the
figure reads "false barge-ins k of n".
"""

from __future__ import annotations

import shutil
import wave
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

BARGE_MIX = ("interrupts-often", "coughs", "clicks", "echo")
NOISY = ("coughs", "clicks", "echo")  # personas that never speak over the bot: every barge-in is false
RATE = 8000
ECHO_LOSS_DB = 20.0
HANGUP_AFTER_S = 14.0

_PERSONAS = {
    "interrupts-often": (
        "name: interrupts-often\n"
        "description: Talks over every prompt of the bot 0.8 s in.\n"
        "answer: {after: 0.5}\nbarge_in_after: 0.8\n"
        "replies:\n"
        '  - {text: "Sorry, who is calling?", when: barge_in}\n'
        '  - {text: "Yes, speaking, this is me.", when: barge_in}\n'
        '  - {text: "I can pay the full amount on Friday.", when: barge_in}\n'
        '  - {text: "Yes, that is right.", when: barge_in}\n'
        '  - {text: "Thank you, goodbye.", when: barge_in}\n'
    ),
    "coughs": (
        "name: coughs\n"
        "description: Coughs over the bot about every two seconds; says nothing.\n"
        f"answer: {{after: 0.5}}\nbarge_in_after: 0.6\nhangup_after: {HANGUP_AFTER_S}\nhangup_at_end: false\n"
        "replies:\n" + "  - {wav: cough.wav, when: barge_in}\n" * 8
    ),
    "clicks": (
        "name: clicks\n"
        "description: A click on the line about every second while the bot talks; says nothing.\n"
        f"answer: {{after: 0.5}}\nbarge_in_after: 0.4\nhangup_after: {HANGUP_AFTER_S}\nhangup_at_end: false\n"
        "replies:\n" + "  - {wav: click.wav, when: barge_in}\n" * 12
    ),
    "echo": (
        "name: echo\n"
        "description: The bot's own voice comes back 20 dB down while it talks; says nothing.\n"
        f"answer: {{after: 0.5}}\nbarge_in_after: 0.0\nhangup_after: {HANGUP_AFTER_S}\nhangup_at_end: false\n"
        "replies:\n" + "  - {wav: echo.wav, when: barge_in}\n" * 4
    ),
}


def _write_wav(path: Path, samples: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(samples.clip(-32768, 32767).astype("<i2").tobytes())


def cough(seed: int = 7) -> np.ndarray:
    """180 ms of low-passed noise with a fast attack and a decay, then 1.8 s of quiet (the next cough
    waits for it)."""
    rng = np.random.default_rng(seed)
    n = round(0.18 * RATE)
    noise = np.convolve(rng.standard_normal(n), np.ones(4) / 4, mode="same")
    t = np.arange(n) / n
    envelope = np.minimum(1.0, t * 12) * np.exp(-3.0 * t)
    burst = noise / np.abs(noise).max() * envelope * 14000
    return np.concatenate([burst, np.zeros(round(1.8 * RATE))])


def click() -> np.ndarray:
    """A 10 ms click (a square pulse that rings down), then 1 s of quiet."""
    n = round(0.01 * RATE)
    pulse = np.where(np.arange(n) < n // 4, 20000.0, -8000.0) * np.exp(-np.arange(n) / (n / 3))
    return np.concatenate([pulse, np.zeros(RATE)])


def echo_of(heard_wav: Path, seconds: float = 4.0) -> np.ndarray:
    """The bot's opening from a callee's `call-NNN-heard.wav` (left channel), from its first loud frame,
    `ECHO_LOSS_DB` down."""
    with wave.open(str(heard_wav)) as w:
        stereo = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, w.getnchannels())
    bot = stereo[:, 0].astype(np.float64)
    frame = RATE // 50
    rms = np.sqrt(np.mean(bot[: len(bot) // frame * frame].reshape(-1, frame) ** 2, axis=1))
    loud = np.nonzero(rms >= 300)[0]
    start = int(loud[0]) * frame if loud.size else 0
    return bot[start : start + round(seconds * RATE)] * 10 ** (-ECHO_LOSS_DB / 20)


def write_personas(folder: Path, standard: Path, heard_wav: Path) -> Path:
    """The product's personas plus the four above, into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    for path in standard.glob("*.yaml"):
        shutil.copy(path, folder / path.name)
    for path in standard.glob("*.wav"):
        shutil.copy(path, folder / path.name)
    _write_wav(folder / "cough.wav", cough())
    _write_wav(folder / "click.wav", click())
    _write_wav(folder / "echo.wav", echo_of(heard_wav))
    for name, text in _PERSONAS.items():
        (folder / f"bench-{name}.yaml").write_text(text)
    return folder


def noise_bursts(events: Iterable[Mapping[str, Any]]) -> int:
    """Coughs, clicks and echoes a callee played over the bot."""
    return sum(
        1 for e in events if e.get("event") == "speak_start" and str(e.get("text", "")).endswith(".wav")
    )
