"""Record reads for the operator console and the HTTP API: calls, accounts, dispositions, promises,
one account's facts and the policy engine's decisions on them; and the one write, campaign settings.

Rows come back as plain dicts; phone numbers come back whole and are masked by the web layer per viewer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from scheduler.ledger import CampaignNotFound, CampaignSpec
from scheduler.models import (
    Account,
    Attempt,
    AuditEntry,
    Campaign,
    ContactNumber,
    Debtor,
    Promise,
    Recording,
    utcnow,
)
from scheduler.transactions import Transactions
from scheduler.validation import check_campaign_spec

EDITABLE = (
    "script",
    "profiles",
    "window_from",
    "window_to",
    "max_attempts_per_day",
    "max_attempts_total",
    "retry_policy",
    "trunk",
    "caller_id_pool",
    "voicemail_policy",
)


class RecordQueries(Transactions):
    def campaign_id(self, name: str) -> int:
        with self._session() as s:
            found = s.scalar(sa.select(Campaign.id).where(Campaign.name == name))
        if found is None:
            raise CampaignNotFound(f"no campaign named {name!r}")
        return int(found)

    def calls(
        self,
        campaign_id: int | None = None,
        *,
        account_ref: str | None = None,
        disposition: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        query = (
            sa.select(Attempt, Account.account_ref, ContactNumber.e164, Campaign.name)
            .join(Account, Account.id == Attempt.account_id)
            .join(ContactNumber, ContactNumber.id == Attempt.contact_number_id)
            .join(Campaign, Campaign.id == Attempt.campaign_id)
            .order_by(Attempt.id.desc())
            .limit(limit)
            .offset(offset)
        )
        if campaign_id is not None:
            query = query.where(Attempt.campaign_id == campaign_id)
        if account_ref is not None:
            query = query.where(Account.account_ref == account_ref)
        if disposition is not None:
            query = query.where(Attempt.disposition == disposition)
        with self._session() as s:
            return [_call(a, ref, e164, name) for a, ref, e164, name in s.execute(query)]

    def account(self, account_ref: str) -> dict[str, Any] | None:
        found = self.accounts(account_ref=account_ref, limit=1)
        return found[0] if found else None

    def accounts(
        self,
        campaign_id: int | None = None,
        *,
        account_ref: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        query = (
            sa.select(Account, Debtor, Campaign.name)
            .join(Debtor, Debtor.id == Account.debtor_id)
            .join(Campaign, Campaign.id == Account.campaign_id)
            .order_by(Account.id)
            .limit(limit)
            .offset(offset)
        )
        if campaign_id is not None:
            query = query.where(Account.campaign_id == campaign_id)
        if account_ref is not None:
            query = query.where(Account.account_ref == account_ref)
        with self._session() as s:
            found = s.execute(query).all()
            debtor_ids = [d.id for _, d, _ in found]
            numbers: dict[int, list[str]] = {}
            for debtor_id, e164 in s.execute(
                sa.select(ContactNumber.debtor_id, ContactNumber.e164)
                .where(ContactNumber.debtor_id.in_(debtor_ids))
                .order_by(ContactNumber.priority, ContactNumber.id)
            ):
                numbers.setdefault(debtor_id, []).append(e164)
            return [
                {
                    "account_ref": a.account_ref,
                    "campaign": name,
                    "first_name": d.first_name,
                    "last_name": d.last_name,
                    "amount_due": a.amount_due,
                    "currency": a.currency,
                    "due_date": a.due_date,
                    "status": a.status,
                    "promised_until": a.promised_until,
                    "numbers": numbers.get(d.id, []),
                }
                for a, d, name in found
            ]

    def dispositions(
        self,
        *,
        campaign_id: int | None = None,
        since: dt.datetime | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        query = (
            sa.select(Attempt, Account.account_ref, ContactNumber.e164, Campaign.name)
            .join(Account, Account.id == Attempt.account_id)
            .join(ContactNumber, ContactNumber.id == Attempt.contact_number_id)
            .join(Campaign, Campaign.id == Attempt.campaign_id)
            .where(Attempt.disposition.is_not(None), Attempt.id > after_id)
            .order_by(Attempt.id)
            .limit(limit)
        )
        if campaign_id is not None:
            query = query.where(Attempt.campaign_id == campaign_id)
        if since is not None:
            query = query.where(Attempt.ended_at >= since)
        with self._session() as s:
            return [_call(a, ref, e164, name) for a, ref, e164, name in s.execute(query)]

    def promises(
        self,
        *,
        campaign_id: int | None = None,
        account_ref: str | None = None,
        since: dt.datetime | None = None,
        after_id: int = 0,
        limit: int = 100,
    ) -> list[dict[str, Any]]:
        query = (
            sa.select(Promise, Account.account_ref, Campaign.name)
            .join(Account, Account.id == Promise.account_id)
            .join(Campaign, Campaign.id == Account.campaign_id)
            .where(Promise.id > after_id)
            .order_by(Promise.id)
            .limit(limit)
        )
        if campaign_id is not None:
            query = query.where(Account.campaign_id == campaign_id)
        if account_ref is not None:
            query = query.where(Account.account_ref == account_ref)
        if since is not None:
            query = query.where(Promise.created_at >= since)
        with self._session() as s:
            return [
                {
                    "id": p.id,
                    "account_ref": ref,
                    "campaign": name,
                    "attempt_id": p.attempt_id,
                    "promised_date": p.promised_date,
                    "amount": p.amount,
                    "currency": p.currency,
                    "status": p.status,
                    "created_at": p.created_at,
                }
                for p, ref, name in s.execute(query)
            ]

    def recordings(self, attempt_ids: list[int]) -> dict[int, list[str]]:
        with self._session() as s:
            out: dict[int, list[str]] = {}
            for attempt_id, path in s.execute(
                sa.select(Recording.attempt_id, Recording.path)
                .where(Recording.attempt_id.in_(attempt_ids))
                .order_by(Recording.id)
            ):
                out.setdefault(attempt_id, []).append(path)
            return out

    def account_ref(self, account_id: int) -> str:
        with self._session() as s:
            return str(s.scalar(sa.select(Account.account_ref).where(Account.id == account_id)) or "")

    def account_facts(self, account_ref: str) -> dict[str, Any] | None:
        """What the policy engine decides on for one account: the debtor and every contact number."""
        with self._session() as s:
            found = s.execute(
                sa.select(Account, Debtor, Campaign.name)
                .join(Debtor, Debtor.id == Account.debtor_id)
                .join(Campaign, Campaign.id == Account.campaign_id)
                .where(Account.account_ref == account_ref)
            ).first()
            if found is None:
                return None
            a, d, campaign = found
            numbers = [
                {
                    "id": n.id,
                    "e164": n.e164,
                    "line_type": n.line_type,
                    "region": n.region,
                    "zones": list(n.area_code_zones or []),
                    "personal": n.personal,
                    "consent_at": n.consent_at,
                    "status": n.status,
                    "suppressed_at": n.suppressed_at,
                }
                for n in s.scalars(
                    sa.select(ContactNumber)
                    .where(ContactNumber.debtor_id == d.id)
                    .order_by(ContactNumber.priority, ContactNumber.id)
                )
            ]
            return {
                "account_id": a.id,
                "account_ref": a.account_ref,
                "campaign": campaign,
                "status": a.status,
                "amount_due": a.amount_due,
                "currency": a.currency,
                "due_date": a.due_date,
                "promised_until": a.promised_until,
                "debtor": {
                    "id": d.id,
                    "country": d.country,
                    "state": d.state,
                    "postal_code": d.postal_code,
                    "attorney": d.attorney,
                    "cease_requested": d.cease_requested,
                    "inconvenient_times": list(d.inconvenient_times or []),
                },
                "numbers": numbers,
            }

    def policy_decisions(self, account_ref: str, now: dt.datetime, profiles: Any) -> dict[int, Any]:
        """The compliance engine's decision now for each contact number of the account (by number id),
        built with the policy package's own ledger bridge, exactly as the planner builds it."""
        from scheduler.policy import decide
        from scheduler.policy.ledger_cases import abandoned_rate, build_case, campaign_limits, load_bundles

        with self._session() as s:
            found = s.execute(
                sa.select(Account, Campaign).join(Campaign).where(Account.account_ref == account_ref)
            ).first()
            if found is None:
                return {}
            account, campaign = found
            limits = campaign_limits(campaign, abandoned_rate(s, campaign.id, now))
            bundle = load_bundles(s, [account.debtor_id], now)[account.debtor_id]
            return {
                number.id: decide(
                    build_case(
                        now, bundle, number, account.account_ref, limits, tuple(campaign.profiles) or None
                    ),
                    profiles,
                )
                for number in bundle.numbers
            }

    # ---- settings --------------------------------------------------------------------------------------
    def update_campaign(self, name: str, changes: dict[str, Any], *, actor: str) -> dict[str, Any]:
        """Change a campaign's settings (validated like a new campaign) and audit what changed."""
        unknown = set(changes) - set(EDITABLE)
        if unknown:
            raise ValueError(f"not editable: {', '.join(sorted(unknown))}")
        with self._session(write=True) as s:
            row = s.scalar(sa.select(Campaign).where(Campaign.name == name))
            if row is None:
                raise CampaignNotFound(f"no campaign named {name!r}")
            changes = {k: list(v) if isinstance(v, tuple) else v for k, v in changes.items()}
            current: dict[str, Any] = {k: getattr(row, k) for k in EDITABLE}
            merged: dict[str, Any] = {**current, **changes}
            for key in ("profiles", "caller_id_pool"):
                merged[key] = tuple(merged[key])
            spec = CampaignSpec(name=name, **merged)
            check_campaign_spec(spec)
            changed = {k: [current[k], v] for k, v in changes.items() if current[k] != v}
            for key, value in changes.items():
                setattr(row, key, value)
            if changed:
                s.add(
                    AuditEntry(
                        at=utcnow(),
                        actor=actor,
                        action="campaign.settings",
                        subject=f"campaign:{row.id}",
                        detail={"name": name, "changed": changed},
                    )
                )
            return changed


def _call(a: Attempt, account_ref: str, e164: str, campaign: str) -> dict[str, Any]:
    return {
        "id": a.id,
        "campaign": campaign,
        "account_ref": account_ref,
        "e164": e164,
        "attempt_no": a.attempt_no,
        "state": a.state,
        "scheduled_at": a.scheduled_at,
        "dialing_at": a.dialing_at,
        "answered_at": a.answered_at,
        "ended_at": a.ended_at,
        "result": a.result,
        "disposition": a.disposition,
        "number_status": a.number_status,
        "sip_code": a.sip_code,
        "talk_seconds": a.talk_seconds,
        "machine": a.machine,
        "opening_ms": a.opening_ms,
        "number_status_evidence": a.number_status_evidence,
    }
