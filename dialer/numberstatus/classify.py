"""Post-dial classification: what an ended call says about the number.

Evidence, strongest first: the words of a carrier announcement (they name the cause), the special
information tone's code, then the SIP final code (carriers send vague ones: a 480 for a phone that is off,
a 200 OK to play an announcement, a 404 for anything). A call answered by a person or a machine leaves the
disposition to the session and marks the number valid. Words in the early media that the table does not
know, before a vague failure, still say the call cannot be completed (unreachable, never valid).
"""

from __future__ import annotations

from dataclasses import dataclass

from dialer.numberstatus.announcements import match
from dialer.numberstatus.sit import Sit
from dialer.sip.dispositions import classify as classify_sip
from scheduler.vocabulary import Disposition, NumberStatus

_SPOKEN_CHARS = 4  # a transcript shorter than this is a recognizer's guess at a noise, not an announcement
# what a SIP-level disposition says about the number (None: nothing; the network failed, not the line)
SIP_STATUS: dict[str, NumberStatus | None] = {
    "answered": NumberStatus.valid,
    "transferred": NumberStatus.valid,
    "busy": NumberStatus.valid,
    "no_answer": NumberStatus.valid,
    "rejected": NumberStatus.valid,
    "vacant": NumberStatus.vacant,
    "out_of_service": NumberStatus.out_of_service,
    "unreachable": NumberStatus.unreachable,
    "trunk_failure": None,
}
SIT_STATUS: dict[str, NumberStatus | None] = {
    "vacant": NumberStatus.vacant,
    "out_of_service": NumberStatus.out_of_service,
    "trunk_failure": None,
    "unreachable": NumberStatus.unreachable,
}


@dataclass(frozen=True, slots=True)
class Classification:
    """`disposition` None: the call was answered by someone, the session's report decides."""

    disposition: Disposition | None
    number_status: NumberStatus | None
    evidence: str  # e.g. "sip 404", "SIT VC", "announcement: 空号" (table labels, never the transcript)


def classify_number(
    *,
    sip_code: int,
    sip_result: str = "",
    answered: bool = False,
    sit: Sit | None = None,
    announcement: str = "",
) -> Classification:
    """Combine the evidence of one ended call. `sip_result` is the engine's `classify()` output (it knows
    about CANCEL and silent trunks); when empty it is derived from the code."""
    result = sip_result or classify_sip(sip_code, answered=answered)
    said = match(announcement) if announcement else None
    if said is not None:
        return Classification(said.disposition, said.number_status, f"announcement: {said.phrase}")
    if sit is not None and sit.meaning is not None:
        return Classification(Disposition(sit.meaning), SIT_STATUS[sit.meaning], f"SIT {sit.code}")
    if result in ("answered", "transferred"):
        return Classification(None, NumberStatus.valid, f"sip {sip_code or 200} answered")
    if sit is not None and result in ("rejected", "trunk_failure", "no_answer"):
        # an unreadable SIT before a vague failure: the network says the call cannot be completed
        return Classification(Disposition.unreachable, NumberStatus.unreachable, f"SIT, sip {sip_code}")
    if (
        not answered
        and len(announcement.strip()) >= _SPOKEN_CHARS
        and result in ("rejected", "trunk_failure")
    ):
        # a carrier spoke in the early media, words the table does not know (a recognizer that cannot make
        # them out), then a vague failure: the call cannot be completed, and that is not a valid number.
        # (Not after a no-answer: ring-back carried as early media is transcribed into something too.)
        evidence = f"announcement (unread), sip {sip_code}"
        return Classification(Disposition.unreachable, NumberStatus.unreachable, evidence)
    try:
        disposition = Disposition(result)
    except ValueError:
        disposition = Disposition.trunk_failure
    return Classification(disposition, SIP_STATUS.get(result), f"sip {sip_code}")
