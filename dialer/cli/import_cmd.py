"""`dialer import FILE --campaign NAME`: load a call list, report rejects, print a summary."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import IO, Any

import click

from dialer.cli.context import AppContext, pass_app
from dialer.logs import mask_text
from scheduler.importing import ImportFileError, ImportOptions, import_file
from scheduler.importing.values import neutralize
from scheduler.ledger import CampaignNotFound, CampaignSpec, LedgerError, RejectedRow
from scheduler.sql_ledger import SqlLedger


class FileUnusable(click.ClickException):
    """The call list cannot be imported at all: exit code 2, nothing imported."""

    exit_code = 2


def open_ledger(app: AppContext) -> SqlLedger:
    settings = app.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        return SqlLedger.open(settings.database_url)
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc


@click.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--campaign", "campaign_name", required=True, help="campaign the accounts belong to")
@click.option("--region", help="country (ISO 3166 alpha-2) for numbers written without +CC, e.g. US, CN")
@click.option("--currency", help="ISO 4217 currency when the file has no currency column or symbol")
@click.option("--dry-run", is_flag=True, help="validate and count; write nothing but the batch record")
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="write rejected rows (line, reason, raw) to this CSV file",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object with the counts, nothing else")
@click.option("--create", is_flag=True, help="create the campaign with default settings if it does not exist")
@click.option(
    "--map",
    "columns",
    multiple=True,
    metavar="FIELD=HEADER",
    help='name a column the importer does not know, e.g. --map "amount=Amount Owed" (repeatable)',
)
@click.option("--move", is_flag=True, help="move accounts that are in another campaign into this one")
@pass_app
def import_cmd(
    app: AppContext,
    file: Path,
    campaign_name: str,
    region: str | None,
    currency: str | None,
    dry_run: bool,
    errors_path: Path | None,
    as_json: bool,
    create: bool,
    columns: tuple[str, ...],
    move: bool,
) -> None:
    """Import a call list (CSV or XLSX) into a campaign.

    \b
    Required columns (English or Chinese headers): account (账号/合同号), name or
    first_name/last_name (姓名, 名/姓), phone (手机号/电话; phone2, mobile, ... add numbers),
    amount (欠款金额/金额), due_date (到期日/还款日). Optional: customer id (客户号), currency
    (币种), state (省/州), zip (邮编), country, language (语言), consent_date, attorney, cease.
    Dates: YYYY-MM-DD, YYYY/MM/DD, 2026年12月5日, Excel dates; NN/NN/YYYY is month/day/year
    unless the first number is above 12. Amounts: 1,234.50, ¥1,234.5 (commas group thousands).
    Rows with the same account: the last valid one wins. Exit code 2: the file is unusable.
    """
    if region is not None and (len(region) != 2 or not region.isalpha()):
        raise click.BadParameter("use a two-letter country code such as US or CN", param_hint="--region")
    ledger = open_ledger(app)
    try:
        try:
            ledger.get_campaign(campaign_name)
        except CampaignNotFound:
            if dry_run:
                raise click.ClickException(
                    f"no campaign named {campaign_name!r}, and a dry run creates nothing: create it with "
                    f"`dialer campaign create {campaign_name}` first"
                ) from None
            if not create:
                raise click.ClickException(
                    f"no campaign named {campaign_name!r}: create it with "
                    f"`dialer campaign create {campaign_name}` or pass --create"
                ) from None
            ledger.create_campaign(CampaignSpec(name=campaign_name))
        options = ImportOptions(
            campaign_name,
            region.upper() if region else None,
            currency.upper() if currency else None,
            dry_run,
            columns=columns,
            move=move,
        )
        _run(ledger, file, options, errors_path, as_json)
    finally:
        ledger.close()


def _run(
    ledger: SqlLedger, file: Path, options: ImportOptions, errors_path: Path | None, as_json: bool
) -> None:
    shown: list[RejectedRow] = []
    errors_handle: IO[str] | None = None
    writer = None
    if errors_path is not None:
        errors_handle = errors_path.open("w", encoding="utf-8-sig", newline="")
        writer = csv.writer(errors_handle)
        writer.writerow(["line", "reason", "raw"])

    def on_reject(reject: RejectedRow) -> None:
        if len(shown) < 10:
            shown.append(reject)
        if writer is not None:
            writer.writerow([reject.line, neutralize(reject.reason), reject.raw])

    show_bar = not as_json and sys.stderr.isatty()
    try:
        if show_bar:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(
                TextColumn("importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeRemainingColumn(),
                transient=True,
            ) as bar:
                task = bar.add_task("rows", total=None)
                result = import_file(
                    ledger,
                    file,
                    options,
                    on_reject=on_reject,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        else:
            result = import_file(ledger, file, options, on_reject=on_reject)
    except ImportFileError as exc:
        if errors_handle is not None:
            errors_handle.close()
            errors_path.unlink(missing_ok=True)  # type: ignore[union-attr]
        raise FileUnusable(str(exc)) from exc
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        if errors_handle is not None and not errors_handle.closed:
            errors_handle.close()
    if as_json:
        click.echo(json.dumps(result.report()))
        return
    _report(result.report(), result.quality, shown, errors_path, options.dry_run)


NOTES = (
    ("extensions", "numbers with an extension (not dialled)"),
    ("shared_numbers", "numbers shared by several debtors"),
    ("never_callable_without_consent", "US cell numbers without consent (T1: never called as they stand)"),
)


def _report(
    summary: dict[str, Any],
    quality: dict[str, object],
    shown: list[RejectedRow],
    errors_path: Path | None,
    dry_run: bool,
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console()
    title = f"import batch {summary['batch']}" + (" (dry run: nothing written)" if dry_run else "")
    table = Table(title=title, show_header=False)
    for key in ("rows", "imported", "updated", "unchanged", "rejected", "suppressed", "duplicates"):
        table.add_row(key, str(summary[key]))
    if summary.get("moved"):
        table.add_row("moved from other campaigns", str(summary["moved"]))
    table.add_row(
        "numbers valid / invalid", f"{quality.get('numbers_valid', 0)} / {quality.get('numbers_invalid', 0)}"
    )
    line_types = quality.get("line_types")
    if isinstance(line_types, dict):
        table.add_row("line types", ", ".join(f"{k} {v}" for k, v in line_types.items()))
    if quality.get("formula_cells"):
        table.add_row("formula cells neutralized", str(quality["formula_cells"]))
    for key, label in NOTES:
        note = summary.get(key) or {}
        if note.get("rows"):
            lines = ", ".join(str(n) for n in note["lines"][:10]) + (" ..." if note["rows"] > 10 else "")
            table.add_row(label, f"{note['rows']} (lines {lines})")
    if summary.get("ignored_columns"):
        table.add_row("ignored columns", ", ".join(summary["ignored_columns"]))
    console.print(table)
    if shown:
        rejects = Table(title="rejected rows" + (" (first 10)" if summary["rejected"] > len(shown) else ""))
        rejects.add_column("line", justify="right")
        rejects.add_column("reason")
        for reject in shown:
            # Text(): no rich markup from file content; numbers masked as in logs (the errors file has them)
            rejects.add_row(str(reject.line), Text(mask_text(reject.reason)))
        console.print(rejects)
    if errors_path is not None and summary["rejected"]:
        console.print(f"all {summary['rejected']} rejected rows: {errors_path}", markup=False)
