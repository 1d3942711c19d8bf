"""A carrier's announcement in the early media of an unanswered call, as text for number status.

The recognizer is primed with what carriers say (whisper's context prompt; nothing is restricted): on
8 kHz G.711 audio tiny.en heard "not in service" as "in for with" without it, and exactly with it.
"""

from __future__ import annotations

from dialer.numberstatus.listen import announcement_audio
from dialer.numberstatus.sit import detect_sit
from voice.errors import VoiceError
from voice.interfaces import ListeningHints, Recognizer

ANNOUNCEMENT_PROMPTS = {
    "en": "The number you have dialed is not in service. The number you have called has been "
    "disconnected. The subscriber you have dialed is not available or is busy.",
    "zh": "您拨打的号码是空号。您拨打的电话已停机。您拨打的电话已关机。您拨打的电话暂时无法接通。"
    "您拨打的用户正在通话中。",
}


def transcribe_announcement(recognizer: Recognizer, pcm: bytes, rate: int) -> str | None:
    """The announcement's text ("" for silence); None when the recognizer failed. The audio is cut as
    for number status (dialer/numberstatus/listen.py): after a SIT, up to the last sound."""
    audio = announcement_audio(pcm, rate, detect_sit(pcm, rate))
    if not audio:
        return ""
    hints = ListeningHints(prompt=ANNOUNCEMENT_PROMPTS.get(recognizer.language, ""))
    try:
        return recognizer.transcribe(audio, rate, hints).text.strip()
    except VoiceError:
        return None
