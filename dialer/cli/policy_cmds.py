"""`dialer policy`: compliance decisions for officers and audits.

`decide` reads one case as JSON and prints one decision as JSON. Case format (extra fields named):

\b
  {"now": "2026-03-09T13:05:00Z",                 (required, with Z or an offset)
   "profiles": ["US", "US-MA"],                   (optional; default: derived from the debtor)
   "debtor": {"country": "US", "state": "MA", "postal_code": "02139",
              "inconvenient_times": [{"days": "mon-fri", "from": "09:00", "to": "17:00"}],
              "attorney": false, "cease_requested": false, "employer_forbids_calls": false,
              "reachable": true, "numbers": ["+1..."],
              "flags": [{"kind": "attorney|bankruptcy|cease|deceased|dispute|language_barrier",
                         "debt": "A-1", "number": "+1...", "language": "es"}]},
                                                  (replies on record: the ACCOUNT profile's rules)
   "contact": {"number": "+16175550100", "line_type": "mobile", "personal": true, "workplace": false,
               "consent_at": "2025-01-01T00:00:00Z", "opted_out": false,
               "relation": "debtor|guarantor|emergency_contact|third_party",
               "reassigned_at": null},
   "debt": "A-1",
   "history": [{"at": "...Z", "number": "+1...", "debt": "A-1", "result": "no_answer",
                "direction": "outbound|inbound", "debts": ["B-2"]}],
   "callbacks": [{"asked_at": "...Z", "at": "...Z", "debt": "A-1", "number": "+1..."}],
                                                  (calls the consumer asked for: Reg F consent)
   "campaign": {"window": {"from": "09:00", "to": "20:00"}, "days": "mon-sat",
                "max_attempts_per_day": 3, "max_attempts_total": 7, "artificial_voice": true,
                "live_agent": false, "abandoned_rate_24h": 0.01, "languages": ["en", "es"]}}

Output: {"allow", "rule", "reason", "next_allowed_at", "profiles"}. Bad input exits 2 with one line naming
the field.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from dialer.cli.context import AppContext, pass_app
from scheduler.policy import ComplianceProfileError, ProfileSet, decide, load_profiles
from scheduler.policy.caseio import CaseError, parse_case

BAD_INPUT = 2


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(BAD_INPUT)


def app_profiles(app: AppContext) -> ProfileSet:
    try:
        return load_profiles(app.settings.scheduler.profiles_dir or None)
    except ComplianceProfileError as exc:
        _fail(str(exc))
        raise  # unreachable


@click.group()
def policy() -> None:
    """Compliance decisions: decide a case, explain a ledger entry, resolve a dispute."""


@policy.command(help=__doc__.split("\n\n", 1)[1] if __doc__ else None)
@click.argument("case_file", type=click.File("r", encoding="utf-8"))
@pass_app
def decide_cmd(app: AppContext, case_file: Any) -> None:
    text = case_file.read()
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{case_file.name}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}")
    profiles = app_profiles(app)
    try:
        case = parse_case(raw, profiles)
    except CaseError as exc:
        _fail(str(exc))
    click.echo(json.dumps(decide(case, profiles).as_json(), ensure_ascii=False))


decide_cmd.name = "decide"


@policy.command()
@click.option("--campaign", "campaign_name", required=True, help="campaign name")
@click.option("--account", "account_ref", required=True, help="account reference (the debt)")
@click.option(
    "--at", "at", default=None, help="decide as of this instant (ISO 8601 with offset; default: now)"
)
@pass_app
def explain(app: AppContext, campaign_name: str, account_ref: str, at: str | None) -> None:
    """The decision for one ledger account, one JSON line per contact number (numbers masked)."""
    from dialer.cli.plan_cmd import parse_at
    from dialer.logs import mask_number
    from scheduler.read_models import ReadError, explain_account

    now = parse_at(at)
    profiles = app_profiles(app)
    try:
        decisions = explain_account(app.settings.database_url, campaign_name, account_ref, profiles, now)
    except ReadError as exc:
        raise click.ClickException(str(exc)) from exc
    for item in decisions:
        out: dict[str, object] = {"number": mask_number(item.e164), "number_status": item.number_status}
        out.update(item.decision.as_json())
        if item.flags:  # the replies on record the ACCOUNT rules act on (any of the debtor's debts)
            out["flags"] = [dict(flag) for flag in item.flags]
        click.echo(json.dumps(out, ensure_ascii=False))


@policy.command()
@click.option("--campaign", "campaign_name", required=True, help="campaign name")
@click.option("--account", "account_ref", required=True, help="account reference (the debt)")
@click.option("--flag", "kind", default="dispute", show_default=True, help="the flag to resolve")
@click.option("--reason", required=True, help="why (validation sent, dispute settled); kept in the audit")
@click.option("--actor", default="operator", show_default=True, help="who resolves it (audit)")
@pass_app
def resolve(
    app: AppContext, campaign_name: str, account_ref: str, kind: str, reason: str, actor: str
) -> None:
    """Mark an account's dispute resolved: the DISPUTE rule stops holding its calls."""
    import datetime as dt

    from scheduler import ledger as L
    from scheduler.account_flags import resolve_flag
    from scheduler.db import create_engine

    engine = create_engine(app.settings.database_url)
    try:
        closed = resolve_flag(
            engine, campaign_name, account_ref, kind, actor=actor, reason=reason, now=dt.datetime.now(dt.UTC)
        )
    except L.LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        engine.dispose()
    click.echo(f"{account_ref}: {closed} {kind} flag(s) resolved")
