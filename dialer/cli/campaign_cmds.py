"""`dialer campaigns` (a table) and `dialer campaign create|show|pause|resume|stop NAME`."""

from __future__ import annotations

import getpass
import json
from typing import Any

import click

from dialer.cli.context import AppContext, pass_app
from dialer.cli.import_cmd import open_ledger
from scheduler.ledger import CampaignInfo, CampaignSpec, LedgerError
from scheduler.vocabulary import CampaignState, VoicemailPolicy


def _actor() -> str:
    try:
        return f"operator:{getpass.getuser()}"
    except (KeyError, OSError):
        return "operator"


def _csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def _window(campaign: CampaignInfo) -> str:
    if campaign.window_from or campaign.window_to:
        return f"{campaign.window_from or '...'}-{campaign.window_to or '...'}"
    return "law only"


@click.command("campaigns")
@click.option("--json", "as_json", is_flag=True, help="one JSON array instead of a table")
@pass_app
def campaigns(app: AppContext, as_json: bool) -> None:
    """List campaigns with their state and size."""
    ledger = open_ledger(app)
    try:
        rows = [(c, ledger.campaign_stats(c.name)) for c in ledger.list_campaigns()]
    finally:
        ledger.close()
    if as_json:
        click.echo(
            json.dumps([_as_dict(c) | {"accounts": s.accounts, "attempts": s.attempts} for c, s in rows])
        )
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="campaigns")
    for column in (
        "name",
        "state",
        "script",
        "profiles",
        "window",
        "accounts",
        "attempts",
        "amount due",
        "created",
    ):
        table.add_column(
            column, justify="right" if column in ("accounts", "attempts", "amount due") else "left"
        )
    for campaign, stats in rows:
        due = ", ".join(f"{amount:,.2f} {currency}" for currency, amount in sorted(stats.amount_due.items()))
        table.add_row(
            campaign.name,
            campaign.state,
            campaign.script,
            ",".join(campaign.profiles) or "(per debtor)",
            _window(campaign),
            str(stats.accounts),
            str(stats.attempts),
            due or "-",
            campaign.created_at.strftime("%Y-%m-%d %H:%M UTC"),
        )
    Console().print(table if rows else "no campaigns yet: dialer campaign create NAME")


@click.group("campaign")
def campaign() -> None:
    """Create, show and control one campaign."""


@campaign.command("create")
@click.argument("name")
@click.option("--script", default="reminder-en", show_default=True, help="call script project")
@click.option("--profiles", help="jurisdiction profiles, e.g. US,US-MA (default: derived from each debtor)")
@click.option("--window-from", help="earliest local time HH:MM (narrower than the law only)")
@click.option("--window-to", help="latest local time HH:MM")
@click.option("--max-per-day", type=int, default=1, show_default=True, help="attempts per account per day")
@click.option("--max-total", type=int, default=7, show_default=True, help="attempts per account in all")
@click.option("--trunk", help="SIP trunk profile name (default: the configured one)")
@click.option("--caller-id", "caller_ids", multiple=True, help="E.164 caller id; repeat for a pool")
@click.option(
    "--voicemail",
    type=click.Choice([p.value for p in VoicemailPolicy]),
    default=VoicemailPolicy.message.value,
    show_default=True,
)
@pass_app
def create(
    app: AppContext,
    name: str,
    script: str,
    profiles: str | None,
    window_from: str | None,
    window_to: str | None,
    max_per_day: int,
    max_total: int,
    trunk: str | None,
    caller_ids: tuple[str, ...],
    voicemail: str,
) -> None:
    """Create campaign NAME (in state draft: `dialer campaign resume NAME` starts it)."""
    spec = CampaignSpec(
        name=name,
        script=script,
        profiles=tuple(p.upper() for p in _csv(profiles)),
        window_from=window_from,
        window_to=window_to,
        max_attempts_per_day=max_per_day,
        max_attempts_total=max_total,
        trunk=trunk,
        caller_id_pool=caller_ids,
        voicemail_policy=voicemail,
    )
    _refuse_what_cannot_work(app, name, script, caller_ids)
    ledger = open_ledger(app)
    try:
        created = ledger.create_campaign(spec)
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        ledger.close()
    click.echo(f"created campaign {created.name!r} (id {created.id}, {created.state})")


def _refuse_what_cannot_work(app: AppContext, name: str, script: str, caller_ids: tuple[str, ...]) -> None:
    """A campaign whose script or caller IDs cannot work is refused here, not found out by ringing."""
    from dialer.supervisor.preflight import campaign_refusal

    refusal = campaign_refusal(name, script, caller_ids, app.settings)
    if refusal:
        raise click.ClickException(refusal)


def _as_dict(c: CampaignInfo) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "state": c.state,
        "script": c.script,
        "profiles": list(c.profiles),
        "window_from": c.window_from,
        "window_to": c.window_to,
        "max_attempts_per_day": c.max_attempts_per_day,
        "max_attempts_total": c.max_attempts_total,
        "retry_policy": c.retry_policy,
        "trunk": c.trunk,
        "caller_id_pool": list(c.caller_id_pool),
        "voicemail_policy": c.voicemail_policy,
        "created_at": c.created_at.isoformat(),
        "state_reason": c.state_reason,
        "failure_streak": c.failure_streak,
        "backoff_until": c.backoff_until.isoformat() if c.backoff_until else None,
    }


@campaign.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@pass_app
def show(app: AppContext, name: str, as_json: bool) -> None:
    """Settings, progress and the latest imports of campaign NAME."""
    ledger = open_ledger(app)
    try:
        info = ledger.get_campaign(name)
        stats = ledger.campaign_stats(name)
        batches = ledger.list_import_batches(name, limit=5)
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        ledger.close()
    if as_json:
        out = _as_dict(info) | {
            "accounts": stats.accounts,
            "amount_due": {k: str(v) for k, v in stats.amount_due.items()},
            "attempts_by_state": stats.attempts_by_state,
            "dispositions": stats.dispositions,
            "promises": stats.promises,
            "imports": [
                {
                    "batch": b.id,
                    "file": b.filename,
                    "rows": b.rows,
                    "imported": b.imported,
                    "rejected": b.rejected,
                    "quality": b.quality,
                }
                for b in batches
            ],
        }
        click.echo(json.dumps(out, default=str))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console()
    settings = Table(title=f"campaign {info.name}", show_header=False)
    for key, value in _as_dict(info).items():
        settings.add_row(key, json.dumps(value) if isinstance(value, list | dict) else str(value))
    settings.add_row("accounts", str(stats.accounts))
    for currency, amount in sorted(stats.amount_due.items()):
        settings.add_row(f"amount due ({currency})", f"{amount:,.2f}")
    settings.add_row(
        "attempts", ", ".join(f"{k} {v}" for k, v in sorted(stats.attempts_by_state.items())) or "0"
    )
    settings.add_row(
        "dispositions", ", ".join(f"{k} {v}" for k, v in sorted(stats.dispositions.items())) or "-"
    )
    settings.add_row("promises to pay", str(stats.promises))
    console.print(settings)
    if batches:
        imports = Table(title="latest imports")
        for column in (
            "batch",
            "file",
            "rows",
            "imported",
            "updated",
            "rejected",
            "suppressed",
            "valid/invalid #",
        ):
            imports.add_column(column)
        for b in batches:
            quality = f"{b.quality.get('numbers_valid', '?')}/{b.quality.get('numbers_invalid', '?')}"
            imports.add_row(
                str(b.id) + (" (dry run)" if b.dry_run else ""),
                b.filename,
                str(b.rows),
                str(b.imported),
                str(b.updated),
                str(b.rejected),
                str(b.suppressed),
                quality,
            )
        console.print(imports)


def _set_state(app: AppContext, name: str, state: CampaignState) -> None:
    ledger = open_ledger(app)
    try:
        before = ledger.get_campaign(name).state
        after = ledger.set_campaign_state(name, state, actor=_actor())
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        ledger.close()
    click.echo(f"campaign {name!r}: {before} -> {after.state}")


@campaign.command("pause")
@click.argument("name")
@pass_app
def pause(app: AppContext, name: str) -> None:
    """Stop placing new calls (live calls finish); resume continues."""
    _set_state(app, name, CampaignState.paused)


@campaign.command("resume")
@click.argument("name")
@pass_app
def resume(app: AppContext, name: str) -> None:
    """Start a draft campaign or continue a paused one (refused while its script or caller IDs cannot
    work); the failure streak and back-off start again from nothing."""
    ledger = open_ledger(app)
    try:
        info = ledger.get_campaign(name)
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        ledger.close()
    _refuse_what_cannot_work(app, name, info.script, info.caller_id_pool)
    _set_state(app, name, CampaignState.running)


@campaign.command("stop")
@click.argument("name")
@pass_app
def stop(app: AppContext, name: str) -> None:
    """End the campaign for good: queued attempts are cancelled."""
    _set_state(app, name, CampaignState.stopped)


@campaign.command("scripts")
@click.argument("name")
@click.argument("scripts", nargs=-1, required=True)
@pass_app
def scripts(app: AppContext, name: str, scripts: tuple[str, ...]) -> None:
    """The script for each language, LANGUAGE=SCRIPT (e.g. en=reminder-en zh=reminder-zh): a consumer who
    speaks another language is called again with that language's script; a language without one is not."""
    from scheduler.account_flags import set_language_scripts
    from scheduler.db import create_engine

    pairs = {}
    for item in scripts:
        language, sep, script = item.partition("=")
        if not sep:
            raise click.BadParameter(f"{item!r}: expected LANGUAGE=SCRIPT", param_hint="SCRIPTS")
        pairs[language] = script
    engine = create_engine(app.settings.database_url)
    try:
        done = set_language_scripts(engine, name, pairs, actor=getpass.getuser())
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"campaign {name!r}: " + ", ".join(f"{k}={v}" for k, v in sorted(done.items())))
