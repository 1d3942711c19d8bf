"""Replies on record (account flags): listing them and an operator resolving a dispute.

A flag is written by `scheduler.results` when a call's outcome is recorded; the policy's ACCOUNT rules act
on every open one. Only a dispute ends by an operator's word (the validation was sent, the dispute is
settled); attorney, bankruptcy, cease and deceased stop calls for good.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from scheduler import ledger as L
from scheduler.db import for_writes
from scheduler.models import Account, AccountFlagEntry, AuditEntry, Campaign
from scheduler.validation import check_aware

RESOLVABLE = frozenset({"dispute"})


@dataclass(frozen=True, slots=True)
class FlagInfo:
    id: int
    kind: str
    account_ref: str
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    language: str | None


def resolve_flag(
    engine: Engine, campaign: str, account_ref: str, kind: str, *, actor: str, reason: str, now: dt.datetime
) -> int:
    """Close the account's open flags of `kind` (a disputed account is open again); the number closed.
    Raises RecordNotFound (no such account, no open flag) or InvalidValue (a flag that cannot be resolved)."""
    check_aware(now, "now")
    if kind not in RESOLVABLE:
        raise L.InvalidValue(
            f"a {kind} flag cannot be resolved: only {', '.join(sorted(RESOLVABLE))} ends by an operator"
        )
    if not reason.strip():
        raise L.InvalidValue("give the reason the dispute is resolved (--reason)")
    with for_writes(engine).begin() as conn:  # reads, then writes: wait for a running daemon's writes
        account_id = conn.scalar(
            sa.select(Account.id)
            .join(Campaign, Campaign.id == Account.campaign_id)
            .where(Campaign.name == campaign, Account.account_ref == account_ref)
        )
        if account_id is None:
            raise L.RecordNotFound(f"no account {account_ref!r} in campaign {campaign!r}")
        closed = conn.execute(
            sa.update(AccountFlagEntry)
            .where(
                AccountFlagEntry.account_id == account_id,
                AccountFlagEntry.kind == kind,
                AccountFlagEntry.resolved_at.is_(None),
            )
            .values(resolved_at=now, resolved_by=actor[:100], resolved_reason=reason.strip()[:200])
        ).rowcount
        if not closed:
            raise L.RecordNotFound(f"account {account_ref!r} has no open {kind} flag")
        if kind == "dispute":
            conn.execute(
                sa.update(Account)
                .where(Account.id == account_id, Account.status == "disputed")
                .values(status="open", updated_at=now)
            )
        conn.execute(
            sa.insert(AuditEntry).values(
                at=now,
                actor=actor[:100],
                action="account.flag_resolved",
                subject=f"account:{account_ref}",
                rule=kind.upper(),
                profile_versions={},
                detail={"kind": kind, "flags": int(closed), "reason": reason.strip()[:200]},
            )
        )
    return int(closed)


def account_flags(engine: Engine, campaign: str, account_ref: str) -> list[FlagInfo]:
    """Every flag of the account's debtor (open and resolved), oldest first."""
    with Session(engine) as session:
        debtor_id = session.scalar(
            sa.select(Account.debtor_id)
            .join(Campaign, Campaign.id == Account.campaign_id)
            .where(Campaign.name == campaign, Account.account_ref == account_ref)
        )
        if debtor_id is None:
            raise L.RecordNotFound(f"no account {account_ref!r} in campaign {campaign!r}")
        rows = session.execute(
            sa.select(AccountFlagEntry, Account.account_ref)
            .join(Account, Account.id == AccountFlagEntry.account_id)
            .where(AccountFlagEntry.debtor_id == debtor_id)
            .order_by(AccountFlagEntry.id)
        ).all()
        return [FlagInfo(f.id, f.kind, ref, f.created_at, f.resolved_at, f.language) for f, ref in rows]


def set_language_scripts(
    engine: Engine, campaign: str, scripts: dict[str, str], *, actor: str
) -> dict[str, str]:
    """The campaign's script per language (a language barrier re-queues with the debtor's language's
    script; a language without one is not called: rule LANGUAGE). Replaces the mapping; returns it."""
    clean: dict[str, str] = {}
    for language, script in scripts.items():
        code, name = language.strip().lower(), script.strip()
        if not code or not name or len(code) > 16 or len(name) > 100:
            raise L.InvalidValue(f"language script {language!r}={script!r}: expected LANGUAGE=SCRIPT")
        clean[code] = name
    with engine.begin() as conn:
        done = conn.execute(
            sa.update(Campaign).where(Campaign.name == campaign).values(scripts_by_language=clean)
        ).rowcount
        if not done:
            raise L.CampaignNotFound(f"no campaign named {campaign!r}")
        conn.execute(
            sa.insert(AuditEntry).values(
                at=dt.datetime.now(dt.UTC), actor=actor[:100], action="campaign.language_scripts",
                subject=f"campaign:{campaign}", profile_versions={}, detail={"scripts": clean},
            )
        )  # fmt: skip
    return clean
