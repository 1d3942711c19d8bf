"""Call handlers that fail the way a broken site fails, for the fault suite (loaded by the call workers)."""

from __future__ import annotations

from typing import Any

from dialer.session.report import SessionReport
from dialer.session.spec import SessionSpec
from dialer.sip.interfaces import Call, CallRequest


class MissingModel:
    """Fails before the INVITE, as a session whose speech model is not installed does."""

    def prepare(self, request: CallRequest) -> None:
        SessionSpec.from_options(request.options)
        raise FileNotFoundError("speech model 'whisper-tiny.en' is not installed")

    def handle(self, call: Call, request: CallRequest) -> Any:
        raise AssertionError("a call that was not prepared must never be dialled")


class SessionCannotStart:
    """No pre-dial step: the session fails once the phone already rings (the way a missing script failed
    before calls were prepared) and hangs up, as `SessionHandler.handle` does on such an error."""

    def handle(self, call: Call, request: CallRequest) -> SessionReport:
        call.hangup()
        return SessionReport("", ended_by="error", error="ScriptError: no script directory 'gone'")
