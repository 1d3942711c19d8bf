"""Call handlers that fail the way a broken site fails, for the fault suite (loaded by the call workers)."""

from __future__ import annotations

import resource
from typing import Any

from dialer.session.report import SessionReport
from dialer.session.spec import SessionSpec
from dialer.sip.interfaces import Call, CallRequest
from tests.supervisor.line_handler import ReportingLine


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


class DiskFullLine(ReportingLine):
    """The daemon tests' short conversation, in a call worker whose files may not grow past
    `FILE_LIMIT` bytes (RLIMIT_FSIZE, as a full disk or a quota refuses the writes): the call's
    recording stops short. Set once per worker process, when the worker builds its handler."""

    FILE_LIMIT = 16 * 1024

    @classmethod
    def from_settings(cls, settings: Any, worker: int = 0) -> DiskFullLine:
        _soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
        limit = cls.FILE_LIMIT if hard == resource.RLIM_INFINITY else min(cls.FILE_LIMIT, hard)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
        return cls()
