"""Loopback ports of simulated callees and test peers: is one free, has a process bound it yet."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

UDP_ONLY = (socket.SOCK_DGRAM,)
UDP_AND_TCP = (socket.SOCK_DGRAM, socket.SOCK_STREAM)


def port_free(port: int, kinds: tuple[int, ...] = UDP_ONLY, host: str = "127.0.0.1") -> bool:
    """True when nothing holds `port` for any of `kinds` (a bind succeeds and is released at once)."""
    for kind in kinds:
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind((host, port))
            except OSError:
                return False
    return True


def wait_udp_bound(port: int, timeout: float, alive: Callable[[], bool] | None = None) -> bool:
    """Wait until a process binds UDP `port` (a SIP peer is listening): True, or False on timeout or as
    soon as `alive()` says the process has gone."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not port_free(port):
            return True
        if alive is not None and not alive():
            return False
        time.sleep(0.05)
    return False
