"""The local channel between call workers and the speech engine: a Unix socket in the data directory.

`multiprocessing.connection` frames the messages and checks a shared key (HMAC challenge) before any
message is read, so only processes that can read the key file (0600, next to the socket) can talk to
the engine; messages are pickled tuples:

    worker -> engine   ("decode", id, stream, language, urgent, samples, prompt, fallback)
                       ("promote", id)   ("cancel", id)   ("stats", id)
    engine -> worker   ("decoded", id, text, confidence, no_speech_prob, window_frames, language)
                       ("dropped", id, reason)   ("failed", id, message)   ("stats", id, {...})
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

SOCKET_NAME = "speech-engine.sock"
KEY_NAME = "speech-engine.key"
_MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes


def engine_address(work_dir: Path) -> str:
    """The socket of the engine serving `work_dir` (`<data_dir>/work`). A path too long for a Unix
    socket becomes an abstract socket named after it (Linux), still one per data directory."""
    path = str(Path(work_dir).resolve() / SOCKET_NAME)
    if len(path.encode()) <= _MAX_SOCKET_PATH:
        return path
    return "\0reminder-dialer-" + hashlib.sha256(path.encode()).hexdigest()[:24]


def key_path(work_dir: Path) -> Path:
    return Path(work_dir) / KEY_NAME


def ensure_key(work_dir: Path) -> bytes:
    """The channel key, made once per data directory (readable by the dialer's user only)."""
    path = key_path(work_dir)
    if path.is_file():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made by another process just now
        return path.read_bytes()
    try:
        os.write(fd, key)
    finally:
        os.close(fd)
    return key


def read_key(work_dir: Path) -> bytes:
    return key_path(work_dir).read_bytes()
