"""Call handlers: what conducts one call inside a worker. Loaded by `module:attr` path, one per worker.

A later session runner (VAD -> ASR -> policy -> TTS) plugs in the same way, next to its ASR model.
"""

from __future__ import annotations

import contextlib
import importlib
import queue
import time
from typing import Any

from dialer.sip.interfaces import Call, CallHandler, CallRequest, EventKind
from dialer.sip.recording import read_mono


def load_handler(path: str, settings: Any = None, worker: int = 0) -> CallHandler:
    """`package.module:Name` -> a handler instance. A class with a `from_settings` constructor gets the
    settings tree (a session loads its models from it) and the worker's index (workers share start-up
    work by it); other classes are instantiated without arguments."""
    module_name, _, attr = path.partition(":")
    if not attr:
        raise ValueError(f"handler path must look like package.module:Name, got {path!r}")
    target: Any = getattr(importlib.import_module(module_name), attr)
    if isinstance(target, type):
        from_settings = getattr(target, "from_settings", None)
        if callable(from_settings) and settings is not None:
            handler = from_settings(settings, worker=worker)
        else:
            handler = target()
    else:
        handler = target
    if not callable(getattr(handler, "handle", None)):
        raise TypeError(f"{path} has no handle(call, request) method")
    return handler  # type: ignore[no-any-return]


def wait_answered(call: Call, timeout: float) -> bool:
    """Consume events until the call is answered (True) or ends (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = call.events.get(timeout=0.1)
        except queue.Empty:
            continue
        if event.kind is EventKind.ANSWERED:
            return True
        if event.kind is EventKind.ENDED:
            return False
    return False


class PlayAndHangup:
    """The test-call handler: when answered, play `options["play"]` (a WAV), hold `options["seconds"]`
    (default: the prompt's length plus one second), hang up. Inbound audio is drained and discarded."""

    def handle(self, call: Call, request: CallRequest) -> None:
        if not wait_answered(call, request.ring_timeout + 60):
            return
        wav = request.options.get("play")
        pcm = read_mono(wav, call.rate) if wav else b""
        if pcm:
            call.play(pcm)
        seconds = request.options.get("seconds")
        hold = float(seconds) if seconds is not None else len(pcm) / (2 * call.rate) + 1.0
        deadline = time.monotonic() + hold
        while time.monotonic() < deadline and call.result is None:
            with contextlib.suppress(queue.Empty):
                call.frames.get(timeout=0.1)
        call.hangup()


class Echo:
    """A line test: send back what the far end says (`options["seconds"]`, default 5) then hang up.

    Exercises the whole media path through a worker; the stereo recording shows the round trip.
    """

    def handle(self, call: Call, request: CallRequest) -> None:
        if not wait_answered(call, request.ring_timeout + 60):
            return
        deadline = time.monotonic() + float(request.options.get("seconds") or 5.0)
        while time.monotonic() < deadline and call.result is None:
            with contextlib.suppress(queue.Empty):
                call.play(call.frames.get(timeout=0.1))
        call.hangup()
