"""`dialer report --campaign NAME [--json] [--png FILE]`; `dialer export --campaign NAME --out FILE.zip`."""

from __future__ import annotations

import datetime as dt
import getpass
import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from dialer.cli.context import AppContext, pass_app, write_figure
from scheduler.ledger import LedgerError

if TYPE_CHECKING:
    from scheduler.db import Engine


def _engine(app: AppContext) -> Engine:
    """The ledger's engine, refusing a database that does not exist or whose schema is not current."""
    from scheduler.read_models import ReadError, open_current

    try:
        return open_current(app.settings.database_url)
    except ReadError as exc:
        raise click.ClickException(str(exc)) from exc


def _actor() -> str:
    try:
        return f"operator:{getpass.getuser()}"
    except (KeyError, OSError):
        return "operator"


@click.command("report")
@click.option("--campaign", "campaign", required=True, help="the campaign to report on")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object instead of tables")
@click.option(
    "--png",
    "png",
    type=click.Path(dir_okay=False, path_type=Path),
    help="also draw the funnel, dispositions, answer rate by hour and latency histogram to this PNG",
)
@pass_app
def report(app: AppContext, campaign: str, as_json: bool, png: Path | None) -> None:
    """A campaign's funnel, dispositions, answer rate by hour, turn latency and data quality per list."""
    from scheduler.plans import campaign_plan_parts
    from scheduler.reports import build_report

    engine = _engine(app)
    try:
        result = build_report(engine, campaign, app.settings.operator_timezone, dt.datetime.now(dt.UTC))
        plan_parts = campaign_plan_parts(engine, campaign)
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    if png is not None:
        from dialer.reports.plot import write_png

        write_figure(png, lambda path: write_png(result, path))
    if as_json:
        out = result.as_dict()
        out["plans"] = [p.as_dict() for p in plan_parts]
        if png is not None:
            out["png"] = str(png)
        click.echo(json.dumps(out, ensure_ascii=False))
        return
    from rich.console import Console

    from dialer.reports.tables import plans_table, render

    console = Console()
    console.print(render(result))
    console.print(plans_table(plan_parts))
    if png is not None:
        console.print(f"figure: {png}")


@click.command("export")
@click.option("--campaign", "campaign", required=True, help="the campaign to export")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="the archive to write (FILE.zip)",
)
@click.option("--force", is_flag=True, help="replace an existing archive")
@click.option("--json", "as_json", is_flag=True, help="print the manifest's counts as JSON, no progress bar")
@pass_app
def export(app: AppContext, campaign: str, out: Path, force: bool, as_json: bool) -> None:
    """Call records (CSV), transcripts and recordings of a campaign in one zip, with a manifest."""
    from dialer.reports.export import ExportError, write_export

    if out.exists() and not force:
        raise click.ClickException(f"{out} exists: choose another name or pass --force")
    engine = _engine(app)
    try:
        with _bar(enabled=not as_json) as progress:
            summary = write_export(
                engine,
                app.settings,
                campaign,
                out,
                dt.datetime.now(dt.UTC),
                actor=_actor(),
                progress=progress,
            )
    except (LedgerError, ExportError) as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    counts = summary.counts()
    if as_json:
        click.echo(json.dumps({"path": str(out), "campaign": summary.campaign, **counts}))
        return
    click.echo(
        f"{out}: {counts['attempts']} attempts, {counts['transcripts']} transcripts, "
        f"{counts['recordings']} recordings, {counts['files']} files"
    )
    if summary.missing_recordings:
        click.echo(
            f"warning: {len(summary.missing_recordings)} recordings are missing from the data directory"
        )
    if summary.changed_recordings:
        click.echo(f"warning: {len(summary.changed_recordings)} recordings changed since they were recorded")


class _bar:
    """A rich progress bar fed by the export's (done, total) callback; silent when disabled."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled = enabled

    def __enter__(self) -> Callable[[int, int], None] | None:
        if not self.enabled:
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "exporting", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), transient=True
        )
        self._progress.__enter__()
        self._task = self._progress.add_task("export", total=None)

        def update(done: int, total: int) -> None:
            self._progress.update(self._task, completed=done, total=total)

        return update

    def __exit__(self, *exc: object) -> None:
        if self.enabled:
            self._progress.__exit__(None, None, None)
