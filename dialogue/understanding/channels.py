"""An opt-out that forbids the phone and writing alike is a cease, not a stop.

"Stop calling" ends calls to one number (Reg F 1006.14(h): that medium); "don't call, don't write" asks
for no contact at all (1006.6(c)), and a "stop" reading would keep the letters coming. The classifier
learns "don't call" and "leave me alone" as opt-outs so strongly that a list of channels rarely tips it,
so the list is read here: when a stop reading refuses both a phone channel (calls, texts) and a written
one (letters, mail, e-mail) and allows none, the reading is ``cease``. Only ever widened: a cease that
names the phone alone stays a cease (honouring more than asked is safe; less is not).
"""

from __future__ import annotations

import re

from dialogue.understanding.classifier import normalize

PHONE, WRITTEN = "phone", "written"

_EN_CHANNELS = {
    PHONE: re.compile(r"\b(call\w*|phon\w*|ring\w*|text\w*|sms|voicemails?)\b"),
    WRITTEN: re.compile(r"\b(writ\w*|wrote|letters?|mail\w*|e mail\w*|emails?|post)\b"),
}
_EN_NEGATION = re.compile(r"\b(not|no|never|stop|quit|nor|without|neither|none)\b")
# Clauses: a refusal's scope ends at a comma, "but" or "instead".
_EN_CLAUSE = re.compile(r"[,.;!?]|\b(?:but|instead|just|only|rather)\b")

_ZH_CHANNELS = {
    PHONE: re.compile(r"电话|打|短信|信息|微信|来电"),
    WRITTEN: re.compile(r"(?<![短微相])信(?![息用号])|邮件|寄|函"),
}
_ZH_NEGATION = re.compile(r"不要|不许|不准|不用|不想|别|甭|停止|都不|一律不")
# 、 lists channels under one refusal ("电话、短信、信件都不要再发了"), so it does not end a clause.
_ZH_CLAUSE = re.compile(r"[，,。；;！!？?]|但是|可以|只")


def _clauses(text: str, language: str) -> list[str]:
    if language.startswith("zh"):
        return [c for c in _ZH_CLAUSE.split(text) if c.strip()]
    # normalize() drops commas: split the raw text first, then normalise each clause.
    return [normalize(c, language) for c in _EN_CLAUSE.split(text.lower()) if c.strip()]


def refused_channels(text: str, language: str) -> tuple[frozenset[str], frozenset[str]]:
    """The channels the reply refuses and those it names without refusing ("send me a letter")."""
    zh = language.startswith("zh")
    channels = _ZH_CHANNELS if zh else _EN_CHANNELS
    negation = _ZH_NEGATION if zh else _EN_NEGATION
    refused: set[str] = set()
    allowed: set[str] = set()
    for clause in _clauses(text, language):
        named = {name for name, pattern in channels.items() if pattern.search(clause)}
        (refused if negation.search(clause) else allowed).update(named)
    return frozenset(refused), frozenset(allowed)


def widen_opt_out(intent: str, text: str, language: str) -> str:
    """``cease`` for a stop reading that refuses the phone and writing alike; any other reading as is."""
    if intent != "stop":
        return intent
    refused, allowed = refused_channels(text, language)
    return "cease" if {PHONE, WRITTEN} <= refused and not allowed else intent
