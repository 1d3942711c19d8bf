"""Sign-in throttling and the cap on concurrent password hashing.

An attempt is admitted *before* its password is checked and counts against its user name until it has
finished: with `limit` failures-or-attempts-in-flight per name, 25 parallel guesses for one name check at
most `limit` passwords (counting only finished failures let every parallel guess through). Unknown names
are throttled the same way, so the answer does not tell which names exist.

argon2 verification costs ~64 MB of memory per check; at most `hashing` checks run at once in the
process, and a sign-in that cannot get a slot within `wait` seconds is answered "busy" instead of
queuing without bound. Per process and in memory: a restart forgets, acceptable for a speed bump in
front of argon2.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter, deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio

MAX_NAMES = 10_000  # names tracked at once; the oldest idle ones are forgotten first


class HashingBusy(Exception):
    """Every password-hashing slot stayed taken for the whole wait."""


class SignInThrottle:
    def __init__(
        self,
        limit: int = 5,
        window: dt.timedelta = dt.timedelta(minutes=15),
        hashing: int = 2,
        wait: float = 30.0,
    ) -> None:
        self.limit = limit
        self.window = window
        self.wait = wait
        self._failures: dict[str, deque[dt.datetime]] = {}
        self._in_flight: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._hashing = anyio.Semaphore(hashing)  # waiters are coroutines, not worker threads

    def _prune(self, key: str, now: dt.datetime) -> deque[dt.datetime]:
        failures = self._failures.get(key)
        if failures is None:
            if len(self._failures) >= MAX_NAMES:
                self._forget_idle(now)
            failures = self._failures[key] = deque()
        while failures and now - failures[0] >= self.window:
            failures.popleft()
        return failures

    def _forget_idle(self, now: dt.datetime) -> None:
        for key in [k for k, f in self._failures.items() if not f or now - f[-1] >= self.window]:
            del self._failures[key]
        while len(self._failures) >= MAX_NAMES:  # still full: drop the oldest
            del self._failures[next(iter(self._failures))]

    def admit(self, name: str, now: dt.datetime) -> bool:
        """Reserve one attempt for `name`; False when failures plus attempts in flight reach the limit."""
        key = name.lower()
        with self._lock:
            failures = self._prune(key, now)
            if len(failures) + self._in_flight[key] >= self.limit:
                return False
            self._in_flight[key] += 1
            return True

    def finish(self, name: str, now: dt.datetime, ok: bool | None) -> None:
        """End an admitted attempt: a success clears the name's failures, a failure adds one, None (no
        password was checked) only releases the reservation."""
        key = name.lower()
        with self._lock:
            self._in_flight[key] -= 1
            if self._in_flight[key] <= 0:
                del self._in_flight[key]
            if ok:
                self._failures.pop(key, None)
            elif ok is False:
                self._prune(key, now).append(now)

    def blocked_until(self, name: str, now: dt.datetime) -> dt.datetime | None:
        with self._lock:
            failures = self._prune(name.lower(), now)
            return failures[0] + self.window if len(failures) >= self.limit else None

    @asynccontextmanager
    async def hashing_slot(self) -> AsyncIterator[None]:
        """Hold one of the password-hashing slots (HashingBusy after `wait` seconds). Awaited on the
        event loop, so sign-ins waiting for a slot do not occupy the worker threads other pages need."""
        try:
            with anyio.fail_after(self.wait):
                await self._hashing.acquire()
        except TimeoutError:
            raise HashingBusy("too many sign-ins at once: try again in a moment") from None
        try:
            yield
        finally:
            self._hashing.release()
