"""SIP final codes -> VOCAB dispositions. A trunk's own failure is never counted against the debtor."""

from __future__ import annotations

BUSY = frozenset({486, 600})
VACANT = frozenset({404, 484, 604})
TRUNK = frozenset({401, 403, 407, 415, 420, 488, 606})
MEDIA_FAILED = frozenset({415, 488})  # SDP negotiation failed: even a 200 OK never carried a conversation


def classify(
    code: int,
    *,
    answered: bool,
    cancelled_by_us: bool = False,
    provisional_seen: bool = False,
    transferred: bool = False,
    trunk_silent: bool = False,
) -> str:
    """The disposition of an ended call.

    `cancelled_by_us`: our ring timeout sent CANCEL. `provisional_seen`: the far end answered 18x, so a 408
    is the carrier's no-answer timer rather than a dead trunk. `trunk_silent`: not even a 100 Trying came
    back, so a timeout or our CANCEL says nothing about the callee.
    """
    if trunk_silent and (cancelled_by_us or code in (0, 408, 487)):
        return "trunk_failure"
    if code in MEDIA_FAILED:
        return "trunk_failure"
    if answered:
        return "transferred" if transferred else "answered"
    if cancelled_by_us or code == 487:
        return "no_answer"
    if code in BUSY:
        return "busy"
    if code == 603:
        return "rejected"
    if code in VACANT:
        return "vacant"
    if code == 410:
        return "out_of_service"
    if code == 480:
        return "unreachable"
    if code == 408:
        return "no_answer" if provisional_seen else "trunk_failure"
    if code in TRUNK or (code >= 500 and code < 600) or code < 300:
        return "trunk_failure"
    return "rejected"


# The compliance history's coarser call results (VOCAB "Call results").
HISTORY = {
    "answered": "conversation",
    "transferred": "conversation",
    "no_answer": "no_answer",
    "busy": "busy",
    "rejected": "refused",
    "vacant": "failed",
    "out_of_service": "failed",
    "unreachable": "no_answer",
    "trunk_failure": "failed",
    "interrupted": "no_answer",  # a worker died mid-call: it may have rung, so it counts as placed
}
