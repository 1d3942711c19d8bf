"""How the bot ends an answered call: hang up, or hand the callee to a person.

A transfer is a REFER to the campaign's transfer target; the call's thread keeps polling the line until
the far end answers it (the call ends as "transferred") or refuses it. With no target, or a refused
transfer, the callee is called back instead: the outcome asks for a callback, and the bot hangs up.
"""

from __future__ import annotations

import time

from dialer.session.line import Line
from dialer.session.outcome import Outcome
from dialer.sip.interfaces import Call

TRANSFER_WAIT_SECONDS = 15.0


def close(call: Call, line: Line, outcome: Outcome, *, transfer_target: str, transfer_uri: str) -> None:
    """End the call as the bot; `transfer_target`: the dialogue asked for a person."""
    outcome.ended_by = "bot"
    if transfer_target:
        if transfer_uri:
            call.transfer(transfer_uri)
            if transferred(call, line):
                outcome.transferred_to = transfer_uri
                return
        # nobody to take the call, or the transfer failed: the callee gets called back
        outcome.callback_requested = True
    call.hangup()


def transferred(call: Call, line: Line, wait_seconds: float = TRANSFER_WAIT_SECONDS) -> bool:
    """Wait for the far end's verdict on the REFER: the call ends as "transferred", or a failure."""
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        line.poll_events()
        if line.ended or call.result is not None:
            result = call.wait(1.0)
            return result is not None and result.result == "transferred"
        if any(code >= 300 for code in line.transfers):
            return False
        line.next_frame()
    return False
