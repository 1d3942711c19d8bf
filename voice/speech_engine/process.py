"""The engine as a supervised process: started before the call workers, restarted when it dies.

`start` waits until the preloaded models are in and the socket listens (workers warm up against it);
`check` (called from the supervisor's loop) restarts a dead engine without waiting for its models, so
the supervisor never stalls: requests fail fast with a RecognitionError until the new engine listens.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import time
from pathlib import Path
from typing import Any

from voice.errors import EngineUnavailable
from voice.settings import VoiceSettings
from voice.speech_engine.channel import engine_address, ensure_key
from voice.speech_engine.server import engine_main

log = logging.getLogger(__name__)

RESTART_BACKOFF = 1.0


def wanted(voice: VoiceSettings, workers: int) -> bool:
    """Whether this host runs a speech engine: `host`, or `auto` with more than one call worker; and
    only if some language is heard by Whisper (Vosk streams inside the worker)."""
    if voice.speech_engine == "local" or (voice.speech_engine == "auto" and workers <= 1):
        return False
    return voice.asr_engine == "whisper" or "whisper" in voice.asr_engines.values()


class SpeechEngineProcess:
    def __init__(self, voice: VoiceSettings, models_dir: Path, work_dir: Path) -> None:
        self.voice = voice
        self.models_dir = models_dir
        self.work_dir = work_dir
        self.address = engine_address(work_dir)
        self._ctx = mp.get_context("spawn")
        self._process: Any = None
        self._parent: Any = None
        self._started_at = 0.0
        self.restarts = 0
        self.languages: list[str] = []
        self._client: Any = None

    @property
    def pid(self) -> int:
        return int(self._process.pid or 0) if self._process is not None else 0

    def alive(self) -> bool:
        return self._process is not None and self._process.is_alive()

    def start(self, timeout: float = 120.0) -> None:
        """Start the engine and wait until it listens; EngineUnavailable if it does not."""
        self._spawn()
        self.wait_ready(timeout)

    def spawn(self) -> None:
        """Start the engine without waiting (`wait_ready` later): it loads while the workers start."""
        self._spawn()

    def wait_ready(self, timeout: float = 120.0) -> None:
        if not self._parent.poll(timeout):
            self.stop()
            raise EngineUnavailable("speech-engine", f"not ready after {timeout:.0f} s")
        try:
            _, _, self.languages = self._parent.recv()
        except (EOFError, OSError) as exc:
            code = self._process.exitcode
            self.stop()
            raise EngineUnavailable("speech-engine", f"exited while starting (code {code})") from exc

    def check(self) -> bool:
        """Restart the engine if it died; True when it was restarted now."""
        if self._process is None or self._process.is_alive():
            return False
        if time.monotonic() - self._started_at < RESTART_BACKOFF:
            return False
        log.warning("speech engine died (exit %s); restarting", self._process.exitcode)
        self.restarts += 1
        self._spawn()
        return True

    def stats(self) -> dict[str, Any]:
        """The engine's queue depth and decode counters (RecognitionError when it does not answer)."""
        if self._client is None:
            from voice.recognizers.remote import EngineClient

            self._client = EngineClient(self.work_dir)
        return {**self._client.stats(), "restarts": self.restarts}

    def stop(self, timeout: float = 5.0) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._parent is not None:
            with contextlib.suppress(OSError):
                self._parent.send(None)
            self._parent.close()
            self._parent = None
        if self._process is not None:
            self._process.join(timeout)
            if self._process.is_alive():
                self._process.kill()
                self._process.join(2)
            self._process = None

    def _spawn(self) -> None:
        if self._parent is not None:
            self._parent.close()
        key = ensure_key(self.work_dir)
        parent, child = self._ctx.Pipe()
        process = self._ctx.Process(
            target=engine_main,
            args=(self.address, key, self.voice, self.models_dir, self.work_dir, child),
            name="speech-engine",
            daemon=True,
        )
        process.start()
        child.close()
        self._process, self._parent, self._started_at = process, parent, time.monotonic()
