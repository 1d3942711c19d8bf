"""The supervisor's APScheduler 3.x jobs: planner tick, window openings, retention purge, daily summary.

No daemon here: `install_jobs(scheduler, ctx)` adds the jobs to a scheduler the supervisor owns and starts.
Each job is a plain function of a JobContext, so tests (and an operator's one-off run) call it directly.
All triggers run in UTC; calling windows are the policy engine's business, in each debtor's zones.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from apscheduler.job import Job
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from scheduler.claims import ClaimStore
from scheduler.db import session_factory
from scheduler.ledger import LedgerError
from scheduler.models import Attempt, AuditEntry, CallTurn, Campaign, Recording
from scheduler.planner import Planner, policy_gate
from scheduler.policy import ProfileSet
from scheduler.settings import SchedulerSettings

log = logging.getLogger(__name__)
JOB_IDS = ("planner_tick", "window_openings", "retention_purge", "daily_summary")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass
class JobContext:
    engine: Engine  # for SQLite, a claims_engine (BEGIN IMMEDIATE)
    profiles: ProfileSet
    settings: SchedulerSettings
    data_dir: Path
    owner: str
    clock: Callable[[], dt.datetime] = field(default=_utcnow)


def planner_tick(ctx: JobContext) -> dict[str, int]:
    """Recover expired leases (back through the policy), then plan every running campaign."""
    now = ctx.clock()
    lease = dt.timedelta(seconds=ctx.settings.lease_seconds)
    recovery = ClaimStore(
        ctx.engine, owner=ctx.owner, lease=lease, gate=policy_gate(ctx.profiles)
    ).recover_expired(now)
    planner = Planner(ctx.profiles, actor=ctx.owner)
    horizon = dt.timedelta(hours=ctx.settings.plan_horizon_hours)
    created = suppressed = 0
    with session_factory(ctx.engine).begin() as session:
        campaigns = list(
            session.scalars(sa.select(Campaign).where(Campaign.state == "running").order_by(Campaign.id))
        )
        for campaign in campaigns:
            result = planner.plan(session, campaign, now, horizon=horizon, write=True)
            created += result.created
            suppressed += result.suppressed_numbers
    report = {
        "campaigns": len(campaigns),
        "queued": created,
        "suppressed_numbers": suppressed,
        "requeued": recovery.requeued + recovery.rescheduled,
        "interrupted": recovery.interrupted,
    }
    log.info("planner tick: %s", report)
    return report


def window_openings(ctx: JobContext) -> dict[str, int]:
    """On every quarter hour (when calling windows open in every zone, :30 and :45 offsets included),
    plan at once instead of waiting for the next interval tick."""
    return planner_tick(ctx)


def retention_purge(ctx: JobContext) -> dict[str, int]:
    """Delete recordings (rows and files) and transcripts older than the retention period. The audit log
    and attempt records stay: the audit log is append-only by construction."""
    cutoff = ctx.clock() - dt.timedelta(days=ctx.settings.retention_days)
    root = ctx.data_dir.resolve()
    files = 0
    with session_factory(ctx.engine).begin() as session:
        old = list(session.scalars(sa.select(Recording).where(Recording.created_at < cutoff)))
        for recording in old:
            path = (root / recording.path).resolve()
            if path.is_relative_to(root) and path.is_file():
                path.unlink()
                files += 1
            session.delete(recording)
        turns = session.execute(
            sa.delete(CallTurn)
            .where(CallTurn.started_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        report = {"recordings": len(old), "files": files, "turns": int(turns.rowcount or 0)}  # type: ignore[attr-defined]
        session.add(
            AuditEntry(
                at=ctx.clock(), actor=ctx.owner, action="retention.purge", subject="ledger", detail=report
            )
        )
    log.info("retention purge before %s: %s", cutoff.date(), report)
    return report


def daily_summary(ctx: JobContext, day: dt.date | None = None) -> dict[str, dict[str, Any]]:
    """Yesterday's (UTC) attempts per campaign by state and disposition, appended to the audit log."""
    day = day or (ctx.clock() - dt.timedelta(days=1)).date()
    start = dt.datetime.combine(day, dt.time(), dt.UTC)
    end = start + dt.timedelta(days=1)
    summary: dict[str, dict[str, Any]] = {}
    with session_factory(ctx.engine).begin() as session:
        rows = session.execute(
            sa.select(Campaign.name, Attempt.state, Attempt.disposition, sa.func.count())
            .join(Campaign, Campaign.id == Attempt.campaign_id)
            .where(Attempt.scheduled_at >= start, Attempt.scheduled_at < end)
            .group_by(Campaign.name, Attempt.state, Attempt.disposition)
        ).all()
        for name, state, disposition, count in rows:
            entry = summary.setdefault(name, {"attempts": 0, "states": {}, "dispositions": {}})
            entry["attempts"] += count
            entry["states"][state] = entry["states"].get(state, 0) + count
            if disposition:
                entry["dispositions"][disposition] = entry["dispositions"].get(disposition, 0) + count
        for name, entry in summary.items():
            session.add(
                AuditEntry(
                    at=ctx.clock(),
                    actor=ctx.owner,
                    action="report.daily",
                    subject=f"campaign:{name}",
                    detail={"day": day.isoformat(), **entry},
                )
            )
    return summary


def install_jobs(scheduler: BaseScheduler, ctx: JobContext) -> list[Job]:
    """Add the four jobs to the supervisor's scheduler (idempotent: ids are replaced)."""
    common: dict[str, Any] = {"args": [ctx], "max_instances": 1, "coalesce": True, "replace_existing": True}
    for job_id in JOB_IDS:  # a scheduler not started yet keeps duplicates pending: remove them first
        if scheduler.get_job(job_id) is not None:
            scheduler.remove_job(job_id)
    return [
        scheduler.add_job(
            planner_tick,
            IntervalTrigger(seconds=ctx.settings.planner_interval_seconds, timezone=dt.UTC),
            id="planner_tick",
            name="planner tick",
            **common,
        ),
        scheduler.add_job(
            window_openings,
            CronTrigger(minute="0,15,30,45", timezone=dt.UTC),
            id="window_openings",
            name="window openings",
            **common,
        ),
        scheduler.add_job(
            retention_purge,
            CronTrigger(hour=3, minute=30, timezone=dt.UTC),
            id="retention_purge",
            name="retention purge",
            **common,
        ),
        scheduler.add_job(
            daily_summary,
            CronTrigger(hour=ctx.settings.daily_summary_hour_utc, minute=5, timezone=dt.UTC),
            id="daily_summary",
            name="daily summary",
            **common,
        ),
    ]


def install_pass(
    scheduler: BaseScheduler,
    run: Callable[[], dict[str, int]],
    *,
    job_id: str,
    name: str,
    event: str,
    every_seconds: float,
) -> Job:
    """A background pass of the daemon (quality inspection, webhook delivery): every `every_seconds`, never
    two at once. `run` returns its counts, logged as ``event=<event>`` when any is non-zero; a pass that
    fails on the ledger (out of reach, busy) is logged as ``event=<event>_failed`` and tried again on
    the next tick. It runs on the scheduler's worker thread, never on a call's."""

    def job() -> None:
        try:
            counts = run()
        except LedgerError as exc:
            log.warning("event=%s_failed error=%s", event, exc.__class__.__name__)
            return
        if any(counts.values()):
            log.info("event=%s %s", event, " ".join(f"{k}={v}" for k, v in counts.items()))

    return scheduler.add_job(
        job,
        IntervalTrigger(seconds=every_seconds),
        id=job_id,
        name=name,
        max_instances=1,
        coalesce=True,
        replace_existing=True,
    )
