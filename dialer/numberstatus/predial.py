"""Pre-dial number checks: the same phonenumbers parse the importer uses (scheduler.importing.phones),
plus what a dialer must refuse even for a valid number (premium rate), and the ledger's own verdict on it
(a number found vacant or out of service on an earlier call stays suppressed)."""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.importing.phones import NumberProblem, check_number
from scheduler.vocabulary import LineType, NumberStatus

NOT_DIALLED = frozenset({LineType.premium.value})
DEAD = frozenset(
    {NumberStatus.invalid, NumberStatus.vacant, NumberStatus.out_of_service, NumberStatus.suppressed}
)


@dataclass(frozen=True, slots=True)
class PreDial:
    dialable: bool
    status: NumberStatus  # valid, invalid, or the ledger's dead status
    e164: str | None
    line_type: str
    region: str | None
    zones: tuple[str, ...]
    reason: str = ""  # why not dialable (no digits of the number in it)


def check_before_dial(
    text: str, *, default_region: str | None = None, ledger_status: str | None = None
) -> PreDial:
    """Is this number fit to dial? `ledger_status` is the contact number's recorded status, if any."""
    checked = check_number(text, default_region)
    if isinstance(checked, NumberProblem):
        return PreDial(False, NumberStatus.invalid, None, LineType.unknown.value, None, (), checked.reason)
    if ledger_status is not None and ledger_status in DEAD:
        return PreDial(
            False,
            NumberStatus(ledger_status),
            checked.e164,
            checked.line_type,
            checked.region,
            checked.zones,
            f"the number is {ledger_status} in the ledger",
        )
    if checked.line_type in NOT_DIALLED:
        return PreDial(
            False,
            NumberStatus.valid,
            checked.e164,
            checked.line_type,
            checked.region,
            checked.zones,
            f"{checked.line_type} numbers are never dialled",
        )
    return PreDial(True, NumberStatus.valid, checked.e164, checked.line_type, checked.region, checked.zones)
