"""The demo's cast: one simulated debtor per callee persona, and the disposition each must end with.

The personas live in dialer/callee/personas; a persona's debtor gets a number in the chosen region whose
last two digits are its place in `CAST`, and the routes file sends that number to the persona.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import dialer.callee

PERSONAS_DIR = Path(dialer.callee.__file__).resolve().parent / "personas"


@dataclass(frozen=True, slots=True)
class Role:
    persona: str
    expected: str  # a VOCAB disposition
    first_name: str
    last_name: str
    amount: Decimal
    why: str  # what the persona does, for the table


CAST: tuple[Role, ...] = (
    Role("promises-friday", "promise_to_pay", "John", "Miller", Decimal("120.50"), "promises to pay Friday"),
    Role("already-paid", "already_paid", "Mary", "Jones", Decimal("89.99"), "paid last week"),
    Role("disputes", "dispute", "Robert", "Brown", Decimal("240.00"), "disputes the debt"),
    Role("cannot-pay", "cannot_pay", "Linda", "Davis", Decimal("310.25"), "lost her job"),
    Role("callback", "callback_requested", "James", "Wilson", Decimal("75.00"), "asks for a call back"),
    Role("wrong-person", "wrong_party", "Susan", "Moore", Decimal("150.00"), "not the debtor"),
    Role("says-stop", "opt_out", "David", "Taylor", Decimal("60.00"), "says stop"),
    Role("interrupts", "promise_to_pay", "Karen", "Anderson", Decimal("199.00"), "talks over the bot"),
    Role("silent", "no_response", "Paul", "Thomas", Decimal("45.10"), "says nothing"),
    Role("voicemail", "voicemail_left", "Nancy", "Jackson", Decimal("132.00"), "answering machine"),
    Role("busy", "busy", "Mark", "White", Decimal("58.75"), "line busy"),
    Role("vacant", "vacant", "Lisa", "Harris", Decimal("220.00"), "number not in service"),
    Role("never-answers", "no_answer", "Steven", "Martin", Decimal("99.00"), "rings out"),
)


def account_ref(role: Role) -> str:
    return f"DEMO-{CAST.index(role) + 1:02d}-{role.persona}"


def persona_of(account: str) -> str | None:
    """The persona behind a demo account ref (None for any other account)."""
    for role in CAST:
        if account_ref(role) == account:
            return role.persona
    return None
