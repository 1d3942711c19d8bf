"""A call handler for the daemon's bookkeeping tests: answers like `PlayAndHangup` (silence for
`options["seconds"]`, then BYE) and hands back a `SessionReport` as a real session would, so that
outcomes, metrics and the policy see an ordinary short conversation (not an abandoned call)."""

from __future__ import annotations

import contextlib
import queue
import time

from dialer.session.report import SessionReport, TurnReport
from dialer.session.spec import SessionSpec
from dialer.sip.handlers import wait_answered
from dialer.sip.interfaces import Call, CallRequest


class ReportingLine:
    def handle(self, call: Call, request: CallRequest) -> SessionReport | None:
        spec = SessionSpec.from_options(request.options)  # the supervisor must always send one
        if not wait_answered(call, request.ring_timeout + 60):
            return None
        started = time.monotonic()
        hold = float(request.options.get("seconds", 1.0))
        while time.monotonic() - started < hold and call.result is None:
            with contextlib.suppress(queue.Empty):
                call.frames.get(timeout=0.1)
        call.hangup()
        spoke = time.monotonic() - started
        turns = (
            TurnReport(0, "bot", f"This is {spec.company}.", 0.05, 0.5, latency_ms=None),
            TurnReport(1, "callee", "no thanks", 0.6, 0.9, intent="refuse"),
            TurnReport(2, "bot", "Goodbye.", 1.2, spoke, latency_ms=300),
        )
        disposition = str(request.options.get("disposition", "refused"))  # e.g. opt_out
        return SessionReport(
            disposition=disposition, machine="human", turns=turns, opening_ms=50, ended_by="bot", asr_errors=1
        )
