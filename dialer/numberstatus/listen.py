"""Transcribing a carrier announcement from early media: for number status, and in the session of a
call that was never answered.

Only audio worth the decode is sent to the recognizer (`announcement_audio`): at least half a second
of sound, taken after a SIT when there is one (the tones would only confuse the model), and ending half
a second after the last sound. A carrier speaks for 3-6 s and the network then keeps the early media
open in silence or line noise; sent whole, 12 s of it took Whisper's 30 s window (2-4x the cost of its
10 s one) and the quiet tail made it stop early ("We're sorry, the number you have reached has been
disconnected …" came back as "I'm sorry,"; bench/amd_bench.py, training voices).
"""

from __future__ import annotations

import logging

import numpy as np

from dialer.numberstatus.sit import Sit
from voice.audio import loud_frames
from voice.errors import VoiceError
from voice.interfaces import ListeningHints, Recognizer

log = logging.getLogger(__name__)
MIN_SECONDS = 0.5
MIN_PEAK = 500  # PCM16: quieter than this is line noise
FRAME_SECONDS = 0.02
SOUND_WITHIN_DB = 25.0  # a frame this close to the loudest one is the carrier's voice, not the line's noise
TAIL_SECONDS = 0.5  # kept after the last sound (a word's fading end)
# what carriers say, as the recognizer's context when `primed` (whisper's prompt; nothing is restricted)
PROMPTS = {
    "en": "The number you have dialed is not in service. The number you have called has been "
    "disconnected. The subscriber you have dialed is not available or is busy.",
    "zh": "您拨打的号码是空号。您拨打的电话已停机。您拨打的电话已关机。您拨打的电话暂时无法接通。"
    "您拨打的用户正在通话中。",
}


def announcement_audio(pcm: bytes, rate: int, sit: Sit | None = None) -> bytes:
    """The part of the early media worth a decode ("" for none): after the SIT, up to the last sound."""
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
    if sit is not None:
        samples = samples[round((sit.onset + 1.1) * rate) :]  # three segments of at most 380 ms
    if samples.size < MIN_SECONDS * rate or int(np.abs(samples).max(initial=0)) < MIN_PEAK:
        return b""
    samples = samples[: _sound_end(samples, rate)]
    return samples.tobytes() if samples.size >= MIN_SECONDS * rate else b""


def _sound_end(samples: np.ndarray, rate: int) -> int:
    """The sample half a second after the last frame within `SOUND_WITHIN_DB` of the loudest frame."""
    size = max(1, round(FRAME_SECONDS * rate))
    loud = np.flatnonzero(loud_frames(samples, size, SOUND_WITHIN_DB))
    if loud.size == 0:
        return samples.size
    return min(samples.size, (int(loud[-1]) + 1) * size + round(TAIL_SECONDS * rate))


def transcribe_announcement(
    recognizer: Recognizer, pcm: bytes, rate: int, sit: Sit | None = None, *, primed: bool = False
) -> str | None:
    """The carrier's words ("" when nothing is worth a decode); None when the recognizer failed (the SIP
    code and the tones still classify the call).

    `primed`: the recognizer hears it in the context of what carriers say. The session's unanswered call
    is primed (on 8 kHz G.711 tiny.en heard "not in service" as "in for with" without it, and exactly
    with it); the number status of a call that never reached a session is not (a primed model may hear
    an announcement in noise)."""
    audio = announcement_audio(pcm, rate, sit)
    if not audio:
        return ""
    hints = ListeningHints(prompt=PROMPTS.get(recognizer.language, "") if primed else "")
    try:
        return recognizer.transcribe(audio, rate, hints).text.strip()
    except VoiceError as exc:
        log.warning("carrier announcement not transcribed: %s", exc.__class__.__name__)
        return None
