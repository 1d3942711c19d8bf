"""The `[session]` table of dialer.toml: how a call is conducted."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class SessionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_call_seconds: float = Field(default=300.0, gt=5, le=3600, description="hard maximum per call")
    no_input_seconds: float = Field(
        default=5.0, gt=0.5, le=60, description="silence after the bot's question that counts as no input"
    )
    barge_in_ms: int = Field(
        default=120, ge=40, le=1000, description="callee speech over the bot that stops it (calls only)"
    )
    barge_in_voicing_ms: int = Field(
        default=80,
        ge=0,
        le=1000,
        description="of that speech, this much with a pitch (a vowel): a cough or a clatter over the bot "
        "pauses it but does not cut the prompt (a lost packet's concealment can repeat a frame of it, "
        "so one or two pitched frames are not enough; 'stop' has ten); 0: any voiced audio",
    )
    pause_on_voice_ms: int | None = Field(
        default=20,
        ge=20,
        le=1000,
        description="voiced audio over the bot that pauses it at once, before it is known to be speech "
        "(resumed if it was a click); unset: pause when speech starts",
    )
    quick_end_ms: int = Field(
        default=200, ge=60, le=2000, description="end of turn when the partial already is an expected answer"
    )
    opening_silence_seconds: float = Field(
        default=0.8, gt=0, le=5, description="no greeting from the callee this long: open the call"
    )
    opening_deadline_seconds: float = Field(
        default=1.5, gt=0, le=10, description="open the call by then even if undecided (the 2 s promise)"
    )
    amd_window_seconds: float = Field(
        default=6.0, gt=1, le=30, description="a human verdict can still turn into 'machine' this long"
    )
    greeting_max_seconds: float = Field(
        default=2.5, gt=0.5, le=10, description="a first greeting longer than this is a machine's"
    )
    after_greeting_silence_seconds: float = Field(
        default=0.85, gt=0.1, le=5, description="silence that ends a greeting (a pause for an answer)"
    )
    hello_max_seconds: float = Field(
        default=2.5,
        ge=0,
        le=5,
        description="a first greeting this short that pauses is a hello: a person, decided at once (before "
        "the recognizer's end-of-speech decode, which holds the call's loop for seconds)",
    )
    hello_silence_seconds: float = Field(
        default=0.25, gt=0.05, le=5, description="silence after a hello that makes it a person (provisional)"
    )
    machine_greeting_seconds: float = Field(
        default=3.5,
        gt=1,
        le=30,
        description="a first greeting running on this long (read speech, no pause "
        "for an answer) is a machine's, whatever its words",
    )
    beep_wait_seconds: float = Field(
        default=20.0, gt=0, le=120, description="longest wait for a machine's beep before the message"
    )
    machine_silence_seconds: float = Field(
        default=2.5, gt=0.2, le=30, description="no beep but this much silence after the greeting: speak"
    )
    recording_notice_en: str = Field(
        default="This call is recorded.", min_length=1, description="REC: said before any recording (English)"
    )
    recording_notice_zh: str = Field(
        default="本次通话将被录音。", min_length=1, description="REC: said before any recording (Chinese)"
    )
    announcement_max_seconds: float = Field(
        default=12.0, gt=1, le=60, description="after special information tones: listen this long at most"
    )
