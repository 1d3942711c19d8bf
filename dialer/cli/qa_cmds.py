"""`dialer qa run|report|verdict` (quality inspection of every call) and `dialer audit verify` (the
hash-chained evidence log)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from dialer.cli.context import AppContext, pass_app, write_figure
from dialer.cli.report_cmds import _actor, _engine
from scheduler.ledger import LedgerError


@click.group("qa")
def qa() -> None:
    """Quality inspection (智能质检): rules over what was said and done on each call."""


def _rules(path: Path | None) -> Any:
    from dialer.qa.rules import RuleFileError, load_rules

    try:
        return load_rules(path)
    except RuleFileError as exc:
        raise click.ClickException(f"{exc.path}:{exc.line}: {exc}" if exc.path else str(exc)) from exc


@qa.command("run")
@click.option("--campaign", help="only this campaign's calls")
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False, path_type=Path), help="a rule file")
@click.option("--limit", default=500, show_default=True, help="calls to inspect in this pass at most")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def run(app: AppContext, campaign: str | None, rules_path: Path | None, limit: int, as_json: bool) -> None:
    """Seal new audit rows and recordings onto the evidence chain, then inspect the calls that ended and
    were not inspected under this rule version yet."""
    from dialer.qa.inspect import run_pass

    rules = _rules(rules_path)
    engine = _engine(app)
    try:
        summary = run_pass(
            engine, rules, scripts_dir=Path(app.settings.dialogue.scripts_dir), campaign=campaign, limit=limit
        )
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    out = {"rules_version": rules.version, **summary.__dict__}
    if as_json:
        click.echo(json.dumps(out))
    else:
        click.echo(
            f"rules {rules.version}: {summary.inspected} calls inspected, {summary.findings} findings; "
            f"{summary.sealed} entries sealed onto the audit chain"
        )


@qa.command("report")
@click.option("--campaign", help="only this campaign")
@click.option("--json", "as_json", is_flag=True, help="one JSON object: counts, findings, trends")
@click.option(
    "--png", type=click.Path(dir_okay=False, path_type=Path), help="trends by rule and script version"
)
@pass_app
def report(app: AppContext, campaign: str | None, as_json: bool, png: Path | None) -> None:
    """Findings per rule with their verdicts, the calls behind them, and trends."""
    from scheduler.qa_queries import QaQueries, QueueFilter

    engine = _engine(app)
    try:
        queries = QaQueries(engine)
        summary = queries.report(campaign)
        findings = queries.findings(QueueFilter(campaign=campaign), limit=100_000)
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    if png is not None:
        from dialer.qa.plot import write_trends_png

        write_figure(png, lambda path: write_trends_png(summary, path))
    if as_json:
        rows = [{k: v for k, v in f.items() if k != "verdict"} for f in findings]
        click.echo(json.dumps({**summary, "items": rows, "png": str(png) if png else None}, default=str))
        return
    _print_report(summary, findings, png)


def _print_report(summary: dict[str, Any], findings: list[dict[str, Any]], png: Path | None) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"{summary['calls']} calls inspected, {summary['clean']} clean, mean score {summary['mean_score']}; "
        f"{summary['findings']} findings ({summary['verdicts']['open']} open, "
        f"{summary['verdicts']['confirmed']} confirmed, {summary['verdicts']['dismissed']} dismissed)"
    )
    by_rule = Table(title="findings by rule")
    for column in ("rule", "severity", "findings", "open", "confirmed", "dismissed"):
        by_rule.add_column(column, justify="left" if column in ("rule", "severity") else "right")
    for rule, row in summary["by_rule"].items():
        by_rule.add_row(
            rule, row["severity"], *(str(row[k]) for k in ("findings", "open", "confirmed", "dismissed"))
        )
    console.print(by_rule)
    calls = Table(title="findings")
    for column in ("finding", "call", "account", "rule", "severity", "turn", "score", "status", "what"):
        calls.add_column(column)
    for f in findings:
        calls.add_row(
            str(f["id"]), str(f["attempt_id"]), f["account_ref"], f["rule"], f["severity"],
            "" if f["seq"] is None else str(f["seq"]), str(f["score"]), f["status"], f["message"],
        )  # fmt: skip
    console.print(calls)
    if png is not None:
        console.print(f"figure: {png}")


@qa.command("verdict")
@click.argument("finding_id", type=int)
@click.argument("verdict", type=click.Choice(["confirm", "dismiss"]))
@click.option("--note", default="", help="why (required to dismiss)")
@pass_app
def verdict(app: AppContext, finding_id: int, verdict: str, note: str) -> None:
    """A reviewer's verdict on one finding."""
    from scheduler.inspection import Inspections

    engine = _engine(app)
    try:
        Inspections(engine).add_verdict(finding_id, verdict, note, _actor())
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"finding {finding_id}: {verdict}")


@click.group("audit")
def audit() -> None:
    """The hash-chained audit log (evidence of dial decisions, disclosures, recordings, findings)."""


@audit.command("seal")
@pass_app
def seal(app: AppContext) -> None:
    """Put the audit rows and recordings not on the chain yet onto it (`dialer qa run` and the daemon's
    inspection job do this too)."""
    from scheduler import audit_chain

    engine = _engine(app)
    try:
        added = audit_chain.seal(engine)
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"{added} entries sealed onto the audit chain")


@audit.command("verify")
@click.option(
    "--segment",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="an exported chain segment (audit_chain.jsonl): check its hashes, and that this ledger holds it",
)
@click.option("--offline", is_flag=True, help="with --segment: check the file alone, no database")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def verify(app: AppContext, segment: Path | None, offline: bool, as_json: bool) -> None:
    """Check every link and hash of the chain (and that each sealed audit row is unchanged); names the
    first broken entry and exits 1 when one is found. Read-only: it seals nothing."""
    from scheduler import audit_chain

    if segment is not None:
        entries = [
            json.loads(line) for line in segment.read_text(encoding="utf-8").splitlines() if line.strip()
        ]
        count, broken, reason = audit_chain.check_segment(entries)
        missing = None
        if broken is None and not offline:
            engine = _engine(app)
            try:
                missing = audit_chain.in_chain(engine, entries)
            finally:
                engine.dispose()
            if missing is not None:
                broken, reason = missing, "this ledger's chain holds a different entry at that id"
        _verdict_out(
            {"entries": count, "broken_id": broken, "reason": reason, "segment": str(segment)}, as_json
        )
        return
    engine = _engine(app)
    try:
        result = audit_chain.verify(engine)
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    _verdict_out(
        {
            "entries": result.entries,
            "head": result.head,
            "broken_id": result.broken_id,
            "reason": result.reason,
        },
        as_json,
    )


def _verdict_out(out: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(out))
    elif out["broken_id"] is None:
        head = f"; head {out['head']}" if out.get("head") else ""
        click.echo(f"audit chain intact: {out['entries']} entries checked{head}")
    else:
        click.echo(f"audit chain BROKEN at entry {out['broken_id']}: {out['reason']}", err=True)
    if out["broken_id"] is not None:
        raise SystemExit(1)
