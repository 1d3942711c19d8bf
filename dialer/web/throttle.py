"""Sign-in throttling: after `limit` failures for one user name within `window`, refuse further attempts
until the window has passed. Per process and in memory: a restart forgets, which is acceptable for a
speed bump in front of argon2 (each guess already costs the attacker ~100 ms of server time)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict, deque


class SignInThrottle:
    def __init__(self, limit: int = 5, window: dt.timedelta = dt.timedelta(minutes=15)) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[dt.datetime]] = defaultdict(deque)
        self._lock = threading.Lock()

    def _prune(self, name: str, now: dt.datetime) -> deque[dt.datetime]:
        failures = self._failures[name]
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def blocked_until(self, name: str, now: dt.datetime) -> dt.datetime | None:
        with self._lock:
            failures = self._prune(name.lower(), now)
            return failures[0] + self.window if len(failures) >= self.limit else None

    def failed(self, name: str, now: dt.datetime) -> None:
        with self._lock:
            self._prune(name.lower(), now).append(now)

    def succeeded(self, name: str) -> None:
        with self._lock:
            self._failures.pop(name.lower(), None)
