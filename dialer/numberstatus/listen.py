"""Transcribing a carrier announcement from early media (the session does the same after an answer).

Only audio worth the decode is sent to the recognizer: at least half a second of sound, taken after a SIT
when there is one (the tones would only confuse the model). Recognition failures give an empty text: the
SIP code and the tones still classify the call.
"""

from __future__ import annotations

import logging

import numpy as np

from dialer.numberstatus.sit import Sit
from voice.errors import VoiceError
from voice.interfaces import ListeningHints, Recognizer

log = logging.getLogger(__name__)
MIN_SECONDS = 0.5
MIN_PEAK = 500  # PCM16: quieter than this is line noise
# no prompt: priming the model with an announcement would make it hear one in any noise
HINTS = ListeningHints()


def transcribe_announcement(recognizer: Recognizer, pcm: bytes, rate: int, sit: Sit | None = None) -> str:
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
    if sit is not None:
        samples = samples[round((sit.onset + 1.1) * rate) :]  # three segments of at most 380 ms
    if samples.size < MIN_SECONDS * rate or int(np.abs(samples).max(initial=0)) < MIN_PEAK:
        return ""
    try:
        return recognizer.transcribe(samples.tobytes(), rate, HINTS).text.strip()
    except VoiceError as exc:
        log.warning("carrier announcement not transcribed: %s", exc.__class__.__name__)
        return ""
