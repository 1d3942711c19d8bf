"""The supervisor's jobs: wiring on an APScheduler 3 scheduler, and each job against a real SQLite ledger."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from scheduler.claims import claims_engine
from scheduler.db import create_engine
from scheduler.jobs import JobContext, daily_summary, install_jobs, planner_tick, retention_purge
from scheduler.models import Attempt, AuditEntry, CallTurn, Campaign, Recording
from scheduler.policy import load_profiles
from scheduler.settings import SchedulerSettings
from tests.scheduler.seed import T0, migrated, seed_accounts

NY = {"country": "US", "state": "NY", "postal_code": "10001"}


def _ctx(url: str, tmp_path: Path, now: dt.datetime = T0) -> JobContext:
    return JobContext(
        engine=claims_engine(url),
        profiles=load_profiles(),
        settings=SchedulerSettings(retention_days=365),
        data_dir=tmp_path,
        owner="host-1",
        clock=lambda: now,
    )


def test_install_jobs_wires_four_jobs(tmp_path: Path, sqlite_url: str) -> None:
    scheduler = BackgroundScheduler(timezone=dt.UTC)
    jobs = install_jobs(scheduler, _ctx(sqlite_url, tmp_path))
    assert [j.id for j in jobs] == ["planner_tick", "window_openings", "retention_purge", "daily_summary"]
    by_id = {j.id: j for j in scheduler.get_jobs()}
    assert isinstance(by_id["planner_tick"].trigger, IntervalTrigger)
    assert by_id["planner_tick"].trigger.interval == dt.timedelta(seconds=60)
    assert all(
        isinstance(by_id[i].trigger, CronTrigger)
        for i in ("window_openings", "retention_purge", "daily_summary")
    )
    install_jobs(scheduler, _ctx(sqlite_url, tmp_path))  # idempotent
    assert len(scheduler.get_jobs()) == 4


def test_planner_tick_plans_running_campaigns_only(tmp_path: Path, sqlite_url: str) -> None:
    migrated(sqlite_url)
    seed_accounts(sqlite_url, [{"ref": "a", **NY, "numbers": [("+12125550140", "mobile", True)]}])
    engine = create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.update(Campaign).values(state="paused"))
    report = planner_tick(_ctx(sqlite_url, tmp_path))
    assert (report["campaigns"], report["queued"]) == (0, 0)
    with engine.begin() as conn:
        conn.execute(sa.update(Campaign).values(state="running"))
    report = planner_tick(_ctx(sqlite_url, tmp_path))
    assert (report["campaigns"], report["queued"]) == (1, 1)
    with engine.connect() as conn:
        assert conn.scalar(sa.select(sa.func.count()).select_from(Attempt)) == 1
    engine.dispose()


def test_retention_purge_and_daily_summary(tmp_path: Path, sqlite_url: str) -> None:
    migrated(sqlite_url)
    seed_accounts(sqlite_url, [{"ref": "a", **NY, "numbers": [("+12125550141", "mobile", True)]}])
    ctx = _ctx(sqlite_url, tmp_path)
    planner_tick(ctx)
    engine = create_engine(sqlite_url)
    old_file = tmp_path / "recordings" / "old.wav"
    new_file = tmp_path / "recordings" / "new.wav"
    old_file.parent.mkdir()
    old_file.write_bytes(b"RIFF")
    new_file.write_bytes(b"RIFF")
    with engine.begin() as conn:
        attempt_id = conn.scalar(sa.select(Attempt.id))
        conn.execute(sa.update(Attempt).values(state="done", disposition="no_answer", result="no_answer"))
        for path, age in (("recordings/old.wav", 400), ("recordings/new.wav", 10)):
            conn.execute(
                sa.insert(Recording).values(
                    attempt_id=attempt_id, path=path, seconds=1.0, sha256="0" * 64,
                    created_at=T0 - dt.timedelta(days=age),
                )
            )  # fmt: skip
        for seq, age in ((1, 400), (2, 10)):
            conn.execute(
                sa.insert(CallTurn).values(
                    attempt_id=attempt_id, seq=seq, speaker="bot", text="hello",
                    started_at=T0 - dt.timedelta(days=age),
                )
            )  # fmt: skip
    report = retention_purge(ctx)
    assert report == {"recordings": 1, "files": 1, "turns": 1}
    assert not old_file.exists() and new_file.exists()
    summary = daily_summary(_ctx(sqlite_url, tmp_path, T0 + dt.timedelta(days=1)))
    assert summary == {"plan": {"attempts": 1, "states": {"done": 1}, "dispositions": {"no_answer": 1}}}
    with engine.connect() as conn:
        actions = set(conn.scalars(sa.select(AuditEntry.action)))
    engine.dispose()
    assert {"retention.purge", "report.daily", "policy.allow"} <= actions
