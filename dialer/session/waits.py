"""How long the bot listens to what is not a person: a voicemail greeting until its beep, a carrier's
announcement until it is over. Pure decisions on the detector's marks and the call's audio time."""

from __future__ import annotations

from dialer.session.machine import MachineDetector
from dialer.session.settings import SessionSettings
from voice.audio import level_dbfs
from voice.frames import AudioFrame

QUIET_DBFS = -40.0  # the line after a beep
ANNOUNCEMENT_QUIET_SECONDS = 1.5


def message_due(
    detector: MachineDetector, frame: AudioFrame, t: float, machine_at: float, settings: SessionSettings
) -> bool:
    """After the beep (once the line is quiet again), or long silence, or waited long enough."""
    if detector.beep_at is not None:
        quiet = level_dbfs(frame.pcm) < QUIET_DBFS
        return t - detector.beep_at >= 2.0 or (quiet and t - detector.beep_at >= 0.1)
    if t - machine_at >= settings.beep_wait_seconds:
        return True
    return t - machine_at >= 0.5 and detector.silence_since_voice() >= settings.machine_silence_seconds


def announcement_over(
    detector: MachineDetector, t: float, in_speech: bool, settings: SessionSettings
) -> bool:
    """The carrier's words have ended (a quiet line), or the announcement ran its longest."""
    sit_at = detector.sit_at or 0.0
    if t - sit_at >= settings.announcement_max_seconds:
        return True
    quiet = not in_speech and detector.silence_since_voice() >= ANNOUNCEMENT_QUIET_SECONDS
    return quiet and t - sit_at >= ANNOUNCEMENT_QUIET_SECONDS
