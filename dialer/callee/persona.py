"""Persona files: how a simulated callee answers and what it says. YAML, validated, errors name the field."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class PersonaError(Exception):
    """The persona file cannot be used; the message names the file and the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Tone(_Strict):
    hz: float = Field(default=1000.0, gt=50, lt=4000)
    seconds: float = Field(default=0.4, gt=0, le=5)


class PersonaLine(_Strict):
    """One thing the callee says: a WAV, a text for espeak-ng, or a tone (a voicemail beep)."""

    text: str = ""
    wav: str = ""
    tone: Tone | None = None
    when: Literal["pause", "answer", "barge_in", "next"] = Field(
        default="pause",
        description="pause: after the bot stops; answer: at once; barge_in: while it talks; next: right "
        "after the previous utterance",
    )

    @model_validator(mode="after")
    def _one(self) -> PersonaLine:
        if sum(bool(x) for x in (self.text, self.wav, self.tone)) != 1:
            raise ValueError("give exactly one of text, wav, tone")
        return self


class EarlyMedia(_Strict):
    """183 Session Progress with an announcement, then a final code (a carrier's 'not in service')."""

    say: PersonaLine
    then: int = Field(default=404, ge=300, le=699)


class Answer(_Strict):
    after: float = Field(default=1.0, ge=0, le=300, description="seconds of ringing before 200 OK")
    reject: int | None = Field(default=None, ge=300, le=699, description="reject with this code instead")
    early_media: EarlyMedia | None = None
    never: bool = Field(default=False, description="ring until the caller gives up")

    @model_validator(mode="after")
    def _one_mode(self) -> Answer:
        if sum(bool(x) for x in (self.reject, self.early_media, self.never)) > 1:
            raise ValueError("choose one of reject, early_media, never")
        return self


class Dtmf(_Strict):
    after: float = Field(ge=0, description="seconds after answer")
    digits: str = Field(pattern=r"^[0-9*#A-D]+$")
    method: Literal["rfc2833", "info"] = "rfc2833"


class Persona(_Strict):
    name: str
    description: str = ""
    voice: str = "en-us"
    answer: Answer = Answer()
    replies: tuple[PersonaLine, ...] = ()
    dtmf: tuple[Dtmf, ...] = ()
    pause_ms: int = Field(default=600, ge=100, le=5000, description="bot silence that counts as a pause")
    barge_in_after: float = Field(default=1.0, ge=0, le=30, description="seconds into bot speech")
    hangup_after: float | None = Field(default=None, gt=0, le=3600, description="seconds after answer")
    hangup_at_end: bool = Field(default=True, description="hang up after the last reply and the bot's answer")
    energy_threshold: float = Field(
        default=300.0, gt=0, description="RMS of a 20 ms frame that counts as speech"
    )


def load_persona(path: Path) -> Persona:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PersonaError(f"{path}: cannot read ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise PersonaError(f"{path}: invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise PersonaError(f"{path}: a persona is a mapping")
    try:
        persona = Persona.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise PersonaError(f"{path}: field {field!r}: {first['msg']}") from None
    base = path.resolve().parent

    def fix(u: PersonaLine) -> PersonaLine:
        if u.wav and not Path(u.wav).is_absolute():
            return u.model_copy(update={"wav": str(base / u.wav)})
        return u

    replies = tuple(fix(u) for u in persona.replies)
    answer = persona.answer
    if answer.early_media is not None:
        answer = answer.model_copy(
            update={"early_media": answer.early_media.model_copy(update={"say": fix(answer.early_media.say)})}
        )
    return persona.model_copy(update={"replies": replies, "answer": answer})
