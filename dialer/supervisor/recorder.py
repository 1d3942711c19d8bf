"""Writing what happened: each call's result into the ledger (fenced by our lease), the run's summary,
the metrics and one log line; and, after a crash, the leases still held under our host id."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from dialer.results import interrupted_outcome, to_outcome
from dialer.session.report import SessionReport
from dialer.sip.interfaces import CallResult
from dialer.supervisor.metrics import Metrics
from scheduler import supervision as ledger_ops
from scheduler.claims import ClaimStore
from scheduler.ledger import InvalidValue
from scheduler.results import record_outcome

log = logging.getLogger("dialer.run")


@dataclass
class RunSummary:
    """What `dialer run --json` prints when it exits (no personal data: attempt ids, dispositions)."""

    campaigns: list[str]
    claimed: int = 0
    dialled: int = 0
    recorded: int = 0
    released: int = 0
    cancelled: int = 0
    lost_leases: int = 0
    recovered: int = 0
    dispositions: Counter[str] = field(default_factory=Counter)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    stopped_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["dispositions"] = dict(self.dispositions)
        data["seconds"] = round(self.seconds, 1)
        return data


class Recorder:
    def __init__(
        self, engine: Engine, owner: str, data_dir: Path, metrics: Metrics, summary: RunSummary
    ) -> None:
        self.engine, self.owner, self.data_dir = engine, owner, data_dir
        self.metrics, self.summary = metrics, summary

    def record(self, attempt_id: int, result: CallResult, campaign: str, now: dt.datetime) -> bool:
        """One ended call -> the ledger; False when the lease was gone (nothing written)."""
        report = result.session if isinstance(result.session, SessionReport) else None
        if result.result == "interrupted":  # the worker died or the pool stopped with the call
            outcome = interrupted_outcome(attempt_id, ended_at=now, error=result.reason)
        else:
            outcome = to_outcome(attempt_id, result, report, ended_at=now, data_dir=self.data_dir)
        try:
            ok = record_outcome(self.engine, self.owner, outcome, now, data_dir=self.data_dir)
        except InvalidValue as exc:  # e.g. an unreadable recording: keep the outcome, say why
            log.error("event=outcome.invalid attempt=%d reason=%s", attempt_id, exc)
            outcome = dataclasses.replace(outcome, recording_path=None, error=str(exc)[:200])
            ok = record_outcome(self.engine, self.owner, outcome, now, data_dir=self.data_dir)
        if not ok:
            self.summary.lost_leases += 1
            self.metrics.lost_leases.inc()
            log.error("event=outcome.lost attempt=%d reason=lease gone", attempt_id)
            return False
        disposition = str(outcome.disposition)
        self.summary.recorded += 1
        self.summary.dispositions[disposition] += 1
        self.summary.attempts.append(
            {
                "attempt_id": attempt_id,
                "campaign": campaign,
                "disposition": disposition,
                "sip_code": result.sip_code,
                "talk_seconds": round(result.talk_seconds, 2),
            }
        )
        self.metrics.attempts.labels(disposition=disposition).inc()
        self.metrics.observe_report(report)
        log.info(
            "event=call.ended attempt=%d disposition=%s sip=%d talk_s=%.1f number_status=%s",
            attempt_id, disposition, result.sip_code, result.talk_seconds, outcome.number_status or "-",
        )  # fmt: skip
        return True

    def recover_own(self, claims: ClaimStore, now: dt.datetime) -> int:
        """Leases still held under our host id from before a crash: claimed ones go back to the queue,
        dialled ones are interrupted (their result was lost) and re-decided by the planner."""
        recovered = 0
        for attempt_id, state in ledger_ops.held_by(self.engine, self.owner):
            if state == "claimed":
                ok = claims.release(attempt_id, now)
            else:
                outcome = interrupted_outcome(attempt_id, ended_at=now, error="supervisor restarted mid-call")
                ok = record_outcome(self.engine, self.owner, outcome, now, data_dir=self.data_dir)
            if ok:
                recovered += 1
                log.warning("event=attempt.recovered attempt=%d was=%s", attempt_id, state)
        self.summary.recovered += recovered
        return recovered
