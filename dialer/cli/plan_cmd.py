"""`dialer plan`: who would be called in the next hours, and why the others would not (a preview)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import click
from rich.console import Console
from rich.table import Table

from dialer.cli.context import AppContext, pass_app
from dialer.cli.policy_cmds import app_profiles
from dialer.logs import mask_number
from scheduler.read_models import ReadError, plan_preview


def parse_at(value: str | None) -> dt.datetime:
    if not value:
        return dt.datetime.now(dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint="--at") from exc
    if parsed.tzinfo is None:
        raise click.BadParameter("give a UTC offset or Z (e.g. 2026-03-09T13:05:00Z)", param_hint="--at")
    return parsed.astimezone(dt.UTC)


@click.command()
@click.option("--campaign", "campaign_name", required=True, help="campaign name")
@click.option("--at", "at", default=None, help="plan as of this instant (ISO 8601 with offset; default: now)")
@click.option("--hours", default=8, show_default=True, type=click.IntRange(1, 24 * 60), help="look-ahead")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1), help="rows per table")
@pass_app
def plan(app: AppContext, campaign_name: str, at: str | None, hours: int, limit: int) -> None:
    """Preview the planner: nothing is written."""
    now = parse_at(at)
    profiles = app_profiles(app)
    try:
        result = plan_preview(
            app.settings.database_url, campaign_name, profiles, now, dt.timedelta(hours=hours)
        )
    except ReadError as exc:
        raise click.ClickException(str(exc)) from exc
    until = now + dt.timedelta(hours=hours)
    due = sorted(result.due_within(until), key=lambda r: (r.at or now, r.account_ref))
    others = [r for r in result.rows if r not in due]
    console = Console()
    calls = Table(title=f"{campaign_name}: calls from {now:%Y-%m-%d %H:%M}Z to {until:%Y-%m-%d %H:%M}Z")
    for column in ("when (UTC)", "account", "number", "decision", "profiles"):
        calls.add_column(column)
    for row in due[:limit]:
        when = row.at.strftime("%Y-%m-%d %H:%M") if row.at else "-"
        state = (
            "already queued"
            if row.rule == "QUEUED"
            else (
                "now"
                if row.allow and row.rule == "ALLOW"
                else (f"{row.rule} (asked for)" if row.allow else f"after {row.rule}")
            )
        )
        calls.add_row(
            when, row.account_ref, mask_number(row.number or "") or "-", state, ", ".join(row.profiles)
        )
    console.print(calls)
    if len(due) > limit:
        console.print(f"... and {len(due) - limit} more calls")
    skipped = Table(title="not called in this period, and why")
    for column in ("account", "rule", "reason", "next possible (UTC)"):
        skipped.add_column(column)
    for row in others[:limit]:
        nxt = row.at.strftime("%Y-%m-%d %H:%M") if row.at else "-"
        skipped.add_row(row.account_ref, row.rule, row.reason, nxt)
    console.print(skipped)
    summary = Counter(r.rule for r in others)
    console.print(
        f"{len(due)} calls due, {len(others)} not: "
        + (", ".join(f"{rule} {n}" for rule, n in summary.most_common()) or "none")
    )
