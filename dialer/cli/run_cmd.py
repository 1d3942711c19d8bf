"""`dialer run`: the unattended daemon (supervisor, scheduler jobs, call workers, metrics)."""

from __future__ import annotations

import json
import logging
import os

import click
from rich.console import Console
from rich.table import Table

from dialer.cli.context import AppContext, pass_app
from dialer.logs import configure_logging


@click.command()
@click.option("--campaign", "campaigns", multiple=True, help="only this campaign (repeatable; default: all)")
@click.option("--until-idle", is_flag=True, help="exit when nothing is queued, due or live, with a summary")
@click.option("--json", "as_json", is_flag=True, help="print the summary as one JSON object")
@pass_app
def run(app: AppContext, campaigns: tuple[str, ...], until_idle: bool, as_json: bool) -> None:
    """Claim due attempts, place the calls, record the results. SIGTERM drains, SIGHUP reloads."""
    from dialer.supervisor.daemon import Supervisor, SupervisorError

    settings = app.settings
    configure_logging(getattr(logging, settings.log_level.upper(), logging.INFO))
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # job bookkeeping, not operator news
    try:
        supervisor = Supervisor(settings, os.environ, campaigns=campaigns, until_idle=until_idle)
    except SupervisorError as exc:
        raise click.ClickException(str(exc)) from exc
    supervisor.install_signals()
    try:
        summary = supervisor.serve()
    except SupervisorError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(summary.to_dict(), sort_keys=True))
        return
    if not until_idle:
        return
    table = Table(title=f"dialer run: {summary.recorded} calls recorded in {summary.seconds:.0f} s")
    table.add_column("disposition")
    table.add_column("attempts", justify="right")
    for disposition, count in summary.dispositions.most_common():
        table.add_row(disposition, str(count))
    console = Console()
    console.print(table)
    console.print(
        f"claimed {summary.claimed}, dialled {summary.dialled}, released {summary.released}, "
        f"cancelled {summary.cancelled}, lost leases {summary.lost_leases}, recovered {summary.recovered}"
    )
