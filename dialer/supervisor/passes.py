"""The daemon's background passes, on one APScheduler thread beside the dialling loop: the planner tick
and calling-window openings (never two ticks at once: they share the loop's lock), quality inspection of
ended calls, and webhook delivery. Each pass logs its counts; a failing pass is logged and tried again on
its next turn, and none of them touches a live call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine

from dialer.qa.inspect import install_qa_job
from dialer.settings import Settings, site_path
from scheduler.db import for_reads
from scheduler.jobs import JobContext, install_jobs
from scheduler.webhooks import WebhookOutbox, install_webhook_job

PLANNER_JOBS = ("planner_tick", "window_openings")


def start_passes(
    settings: Settings, ctx: JobContext, engine: Engine, tick: Callable[[], dict[str, int]]
) -> BackgroundScheduler:
    """Install every pass and start the scheduler; `tick` is the loop's locked planner tick."""
    scheduler = BackgroundScheduler(timezone=dt.UTC)
    for job in install_jobs(scheduler, ctx):
        if job.id in PLANNER_JOBS:
            job.modify(func=tick, args=[])
    install_qa_job(scheduler, engine, site_path(settings, settings.dialogue.scripts_dir))
    web = settings.web
    # its passes read first and write only what they queue: not a write lock every 15 s for nothing
    outbox = WebhookOutbox(for_reads(engine), allow_networks=web.webhook_allow_networks)
    install_webhook_job(
        scheduler,
        outbox,
        timeout=web.webhook_timeout_seconds,
        every_seconds=settings.scheduler.webhook_interval_seconds,
    )
    scheduler.start()
    return scheduler
