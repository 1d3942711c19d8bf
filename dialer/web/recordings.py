"""Reading a call recording for the console: only a regular WAV file inside the recordings directory,
reached without a symbolic link.

The ledger stores a recording's path relative to the data directory; a row that names anything else
(the live `dialer.db`, a symlink to `web-secret`, a path outside) is refused with a reason, never served
as audio: reading the SQLite file while the daemon writes it is how writes were lost. The file is opened
with O_NOFOLLOW and checked on the open descriptor, so it cannot be swapped between check and read.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

MAX_RECORDING_BYTES = 512 * 1024 * 1024


class RecordingRefused(Exception):
    """The row's file is not a recording the console may serve; the message says why."""


def recordings_root(data_dir: Path) -> Path:
    return (data_dir / "recordings").resolve()


def read_recording(data_dir: Path, stored: str) -> bytes:
    """The WAV bytes of the recording stored as `stored` (relative to `data_dir`)."""
    root = recordings_root(data_dir)
    candidate = Path(os.path.normpath(data_dir.resolve() / stored))
    if not candidate.is_relative_to(root) or candidate == root:
        raise RecordingRefused("not in the recordings directory")
    if candidate.resolve() != candidate:
        raise RecordingRefused("reached through a symbolic link")
    try:
        fd = os.open(candidate, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError as exc:
        raise RecordingRefused("the file is missing from the recordings directory") from exc
    except OSError as exc:  # ELOOP: the last component is a symlink
        raise RecordingRefused(f"cannot be opened ({exc.strerror})") from exc
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise RecordingRefused("not a regular file")
        if info.st_size > MAX_RECORDING_BYTES:
            raise RecordingRefused("larger than any recording")
        head = handle.read(12)
        if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            raise RecordingRefused("not a WAV file")
        return head + handle.read()
