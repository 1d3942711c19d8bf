"""A Rasa server the dialer starts for one script: bound to 127.0.0.1, with a random auth token.

The token travels in the environment of the child process (never on its command line, never logged).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from dialogue.interfaces import DialogueEngineError
from dialogue.rasa_client import RasaEngine
from dialogue.rasa_env import require, train, venv_dir
from dialogue.settings import DialogueSettings

TOKEN_ENV = "REMINDER_DIALER_RASA_TOKEN"
# Reads the token from the environment so it never appears in `ps`. One `--auth-token=...` argument: a
# token that starts with "-" (token_urlsafe makes one in 64) would otherwise read as an option.
_LAUNCH = (
    "import os, sys; from rasa.__main__ import main; "
    "sys.argv = ['rasa', 'run', '--enable-api', '--auth-token=' + os.environ.pop('"
    + TOKEN_ENV
    + "')] + sys.argv[1:]; "
    "main()"
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RasaServer:
    process: subprocess.Popen[bytes]
    url: str
    token: str
    log_path: Path
    _log: IO[bytes]
    workdir: Path | None = None  # a temporary directory of ours: removed with the log and token on stop

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        kept = [ln for ln in text.splitlines() if "Processed" not in ln]
        return "\n".join(kept[-lines:])


def start(venv: Path, model: Path, port: int, timeout: float, log_path: Path | None = None) -> RasaServer:
    """Start `rasa run` on 127.0.0.1:port and wait until the model is loaded."""
    require(venv)
    token = secrets.token_urlsafe(24)
    workdir = None
    if log_path is None:
        workdir = Path(tempfile.mkdtemp(prefix="rasa-serve-"))
        log_path = workdir / "rasa.log"
    log = log_path.open("wb")
    env = {
        **os.environ,
        TOKEN_ENV: token,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }
    command = [
        str(venv / "bin" / "python"),
        "-c",
        _LAUNCH,
        "-i",
        "127.0.0.1",
        "-p",
        str(port),
        "-m",
        str(model),
    ]
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=log_path.parent, start_new_session=True
    )
    server = RasaServer(process, f"http://127.0.0.1:{port}", token, log_path, log, workdir)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = server.log_tail()
            server.stop()
            raise DialogueEngineError(f"the Rasa server exited with {process.returncode}:\n{tail}")
        try:
            status = httpx.get(f"{server.url}/status", params={"token": token}, timeout=2.0)
            if status.status_code == 200 and status.json().get("model_file"):
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    tail = server.log_tail()
    server.stop()
    raise DialogueEngineError(f"the Rasa server did not come up within {timeout:.0f} s:\n{tail}")


@contextmanager
def served_script(script: Path, settings: DialogueSettings) -> Iterator[RasaEngine]:
    """Train if needed, serve, and yield a RasaEngine; the server is stopped on exit."""
    from dialogue.script import load_script

    venv = venv_dir(settings)
    require(venv)
    model = train(venv, script)
    server = start(venv, model, free_port(), settings.rasa_start_timeout)
    try:
        engine = RasaEngine(
            server.url, server.token, load_script(script), min_asr_confidence=settings.min_asr_confidence
        )
        try:
            yield engine
        finally:
            engine.close()
    finally:
        server.stop()
