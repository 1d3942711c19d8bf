"""The ledger out of reach (a database restart, a cut connection, SQLite busy past its timeout): worth
waiting out, unlike errors that would fail again. One log line when it goes, one when it is back."""

from __future__ import annotations

import logging
import time

from scheduler.db import ledger_unavailable

log = logging.getLogger("dialer.run")


class LedgerOutage:
    def __init__(self) -> None:
        self.since: float | None = None

    def absorb(self, exc: BaseException, live: int, waiting: int) -> None:
        """Note an outage for `exc`, or raise it again when it is not one."""
        if not ledger_unavailable(exc):
            raise exc
        if self.since is None:
            self.since = time.monotonic()
            log.error(
                "event=ledger.unavailable reason=%s live=%d waiting=%d (retrying)",
                type(exc).__name__, live, waiting,
            )  # fmt: skip

    def over(self) -> None:
        if self.since is not None:
            log.warning("event=ledger.back after_s=%.1f", time.monotonic() - self.since)
            self.since = None
