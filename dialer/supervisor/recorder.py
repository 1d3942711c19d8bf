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

from dialer.results import interrupted_outcome, to_outcome
from dialer.session.report import SessionReport
from dialer.sip.interfaces import CallResult
from dialer.supervisor.metrics import Metrics
from scheduler import supervision as ledger_ops
from scheduler.claims import ClaimStore
from scheduler.db import Engine
from scheduler.ledger import InvalidValue
from scheduler.lifecycle import Failure, Lifecycle
from scheduler.outcomes import CallOutcome
from scheduler.results import record_outcome
from scheduler.settings import Backoff
from scheduler.vocabulary import Disposition, HistoryResult

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
    not_placed: int = 0
    paused: dict[str, str] = field(default_factory=dict)  # campaign -> why it paused itself
    dispositions: Counter[str] = field(default_factory=Counter)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    stopped_by: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["dispositions"] = dict(self.dispositions)
        data["seconds"] = round(self.seconds, 1)
        return data


def failure_cause(cause: str) -> str:
    """A cause for the log: its first words, one token (the stored cause keeps the whole message)."""
    return cause.split(":", 1)[0].replace(" ", "_")[:60] or "unknown"


def may_have_rung(result: CallResult, outcome: CallOutcome) -> bool:
    """A trunk failure without a final answer from the network (no response, our own timeout or CANCEL):
    the INVITE left and may have rung the phone, so the history counts it as a placed, unanswered call.
    A trunk that answered 5xx or 403 said the call never got through (a network failure, COMPLIANCE U3)."""
    return outcome.disposition == Disposition.trunk_failure and result.sip_code in (0, 408, 487)


def session_failed(result: CallResult, report: SessionReport | None) -> bool:
    """The session could not start (script, spec, models) or broke off mid-call (a speech engine raised):
    our fault, though the phone rang. A broken engine breaks every call, so each one is a local failure
    of the campaign, which backs it off and pauses it rather than cut off debtor after debtor."""
    return report is not None and report.ended_by == "error"


class Recorder:
    def __init__(
        self,
        engine: Engine,
        owner: str,
        data_dir: Path,
        metrics: Metrics,
        summary: RunSummary,
        backoff: Backoff | None = None,
    ) -> None:
        self.engine, self.owner, self.data_dir = engine, owner, data_dir
        self.metrics, self.summary = metrics, summary
        self.lifecycle = Lifecycle(engine, owner, backoff)

    def not_placed(self, attempt_id: int, cause: str, campaign: str, now: dt.datetime) -> Failure:
        """An attempt that failed on our side before an INVITE left: recorded as not_placed with its cause
        (never in the compliance history), the campaign backs off, and pauses itself after N in a row."""
        failure = self.lifecycle.not_placed(attempt_id, cause, now)
        if not failure.recorded:
            self._lost(attempt_id)
            return failure
        self.summary.recorded += 1
        self.summary.not_placed += 1
        self.summary.dispositions[Disposition.not_placed.value] += 1
        self.summary.attempts.append(
            {"attempt_id": attempt_id, "campaign": campaign, "disposition": "not_placed", "sip_code": 0,
             "talk_seconds": 0.0, "cause": failure_cause(cause)}
        )  # fmt: skip
        self.metrics.attempts.labels(disposition=Disposition.not_placed.value).inc()
        log.error(
            "event=call.not_placed attempt=%d campaign=%s cause=%s streak=%d backoff_until=%s",
            attempt_id, campaign, failure_cause(cause), failure.streak,
            failure.backoff_until.isoformat() if failure.backoff_until else "-",
        )  # fmt: skip
        self._paused(campaign, failure)
        return failure

    def _paused(self, campaign: str, failure: Failure) -> None:
        if failure.paused_reason:
            self.summary.paused[campaign] = failure.paused_reason
            self.metrics.campaign_paused(campaign, failure.paused_reason)
            log.error("event=campaign.paused campaign=%s reason=%s", campaign, failure.paused_reason)

    def _lost(self, attempt_id: int) -> None:
        self.summary.lost_leases += 1
        self.metrics.lost_leases.inc()
        log.error("event=outcome.lost attempt=%d reason=lease gone", attempt_id)

    def record(self, attempt_id: int, result: CallResult, campaign: str, now: dt.datetime) -> bool:
        """One ended call -> the ledger; False when the lease was gone (nothing written)."""
        if result.result == Disposition.not_placed.value:
            return self.not_placed(attempt_id, result.reason, campaign, now).recorded
        report = result.session if isinstance(result.session, SessionReport) else None
        if result.result == "interrupted":  # the worker died or the pool stopped with the call
            outcome = interrupted_outcome(attempt_id, ended_at=now, error=result.reason)
        else:
            outcome = to_outcome(attempt_id, result, report, ended_at=now, data_dir=self.data_dir)
            if may_have_rung(result, outcome):  # the INVITE left and nothing says the phone did not ring
                outcome = dataclasses.replace(outcome, history_result=HistoryResult.no_answer.value)
            if result.recording_error:  # the call happened; its recording did not: the outcome says so
                log.error("event=recording.failed attempt=%d reason=%s", attempt_id, result.recording_error)
                error = "; ".join(e for e in (outcome.error, result.recording_error) if e)
                outcome = dataclasses.replace(outcome, error=error[:200])
        try:
            ok = record_outcome(self.engine, self.owner, outcome, now, data_dir=self.data_dir)
        except InvalidValue as exc:  # e.g. an unreadable recording: keep the outcome, say why
            log.error("event=outcome.invalid attempt=%d reason=%s", attempt_id, exc)
            outcome = dataclasses.replace(outcome, recording_path=None, error=str(exc)[:200])
            ok = record_outcome(self.engine, self.owner, outcome, now, data_dir=self.data_dir)
        if not ok:
            self._lost(attempt_id)
            return False
        disposition = str(outcome.disposition)
        self._after_placed(attempt_id, result, outcome, report, campaign, now)
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

    def _after_placed(
        self,
        attempt_id: int,
        result: CallResult,
        outcome: CallOutcome,
        report: SessionReport | None,
        campaign: str,
        now: dt.datetime,
    ) -> None:
        """A placed call's part in the back-off: trunk failures back the trunk off; a session that could
        not start or broke off, or a recording that could not be written (every next call would lose its
        own), is a local failure of the campaign; anything else ends its streak."""
        trunk = ""
        if outcome.disposition == Disposition.trunk_failure:
            trunk = f"sip {result.sip_code}" if result.sip_code else "no response"
        local = session_failed(result, report) or bool(result.recording_error)
        self.lifecycle.placed(attempt_id, conducted=not local, trunk_failure=trunk, now=now)
        if trunk:
            self.metrics.trunk_failures.inc()
        if local:
            cause = (
                report.error if session_failed(result, report) and report else ""
            ) or result.recording_error
            failure = self.lifecycle.failed_after_dial(attempt_id, cause, now)
            log.error(
                "event=call.local_failure attempt=%d campaign=%s streak=%d",
                attempt_id,
                campaign,
                failure.streak,
            )
            self._paused(campaign, failure)

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
