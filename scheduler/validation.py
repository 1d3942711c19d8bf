"""Checks the ledger applies before writing: no word outside the vocabulary, no naive time reaches a row."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum

from scheduler import ledger as L
from scheduler.vocabulary import VoicemailPolicy

_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PROFILE = re.compile(r"^[A-Z]{2}(-[A-Z0-9]{1,3})?$")


def check_word(vocabulary: type[StrEnum], value: object, what: str) -> str:
    try:
        return vocabulary(str(value)).value
    except ValueError as exc:
        words = ", ".join(m.value for m in vocabulary)
        raise L.InvalidValue(f"{what} {value!r} is not one of: {words}") from exc


def check_aware(value: dt.datetime, what: str) -> None:
    if not isinstance(value, dt.datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise L.InvalidValue(f"{what} must be a timezone-aware datetime, not {value!r}")


def check_campaign_spec(spec: L.CampaignSpec) -> None:
    if not spec.name or len(spec.name) > 100 or spec.name != spec.name.strip():
        raise L.InvalidValue(f"campaign name {spec.name!r} must be 1-100 characters without outer spaces")
    for what, value in (("window_from", spec.window_from), ("window_to", spec.window_to)):
        if value is not None and not _HHMM.match(value):
            raise L.InvalidValue(f"{what} {value!r} must be HH:MM (24 h)")
    if spec.window_from and spec.window_to and spec.window_from >= spec.window_to:
        raise L.InvalidValue("window_from must be before window_to")
    for profile in spec.profiles:
        if not _PROFILE.match(profile):
            raise L.InvalidValue(f"profile {profile!r} must look like US or US-MA")
    for number in spec.caller_id_pool:
        if not _E164.match(number):
            raise L.InvalidValue("caller_id_pool holds a number that is not E.164 (+CC...)")
    if spec.max_attempts_per_day < 1 or spec.max_attempts_total < spec.max_attempts_per_day:
        raise L.InvalidValue("max_attempts_per_day must be >= 1 and <= max_attempts_total")
    check_word(VoicemailPolicy, spec.voicemail_policy, "voicemail_policy")
