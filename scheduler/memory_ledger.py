"""The in-memory Ledger: the fake for fast unit tests of the code around the seam.

Same behaviour as the SQL ledger, checked by the same contract tests (tests/ledger/test_contract.py):
same validation, same import counting (upsert by account ref, flags only ratchet up, DNC suppression),
an append-only audit list. Not thread-safe; not persistent.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from scheduler import ledger as L
from scheduler.models import utcnow
from scheduler.validation import check_aware, check_campaign_spec, check_word
from scheduler.vocabulary import CAMPAIGN_TRANSITIONS, AttemptState, CampaignState, DncScope, DncSource


@dataclass
class _Debtor:
    id: int
    ref: str
    values: dict[str, Any]


@dataclass
class _Account:
    id: int
    ref: str
    debtor_id: int
    values: dict[str, Any]
    status: str = "open"
    promised_until: dt.date | None = None


@dataclass
class _Number:
    id: int
    debtor_id: int
    e164: str
    values: dict[str, Any]


@dataclass
class _Batch:
    info: L.ImportBatchInfo
    rejects: list[L.ImportReject] = field(default_factory=list)


@dataclass
class _State:
    """Everything, so that a failed import can restore the snapshot taken before it (one transaction)."""

    campaigns: dict[str, L.CampaignInfo] = field(default_factory=dict)
    debtors: dict[str, _Debtor] = field(default_factory=dict)
    accounts: dict[str, _Account] = field(default_factory=dict)
    numbers: dict[tuple[int, str], _Number] = field(default_factory=dict)
    batches: dict[int, _Batch] = field(default_factory=dict)
    dnc: dict[int, L.DncEntryInfo] = field(default_factory=dict)
    attempts: dict[int, dict[str, Any]] = field(default_factory=dict)
    promises: dict[int, dict[str, Any]] = field(default_factory=dict)
    callbacks: dict[int, dict[str, Any]] = field(default_factory=dict)
    turns: list[tuple[int, L.Turn]] = field(default_factory=list)
    recordings: dict[int, tuple[int, L.RecordingInfo]] = field(default_factory=dict)
    audit: list[L.AuditRecord] = field(default_factory=list)
    next_id: int = 1


class MemoryLedger:
    def __init__(self, clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._s = _State()
        self._clock = clock

    def _id(self) -> int:
        self._s.next_id += 1
        return self._s.next_id - 1

    def close(self) -> None:
        pass

    # ---- campaigns -------------------------------------------------------------------------------------
    def create_campaign(self, spec: L.CampaignSpec) -> L.CampaignInfo:
        check_campaign_spec(spec)
        if spec.name in self._s.campaigns:
            raise L.CampaignExists(f"campaign {spec.name!r} already exists")
        info = L.CampaignInfo(
            self._id(),
            spec.name,
            spec.script,
            tuple(spec.profiles),
            spec.window_from,
            spec.window_to,
            spec.max_attempts_per_day,
            spec.max_attempts_total,
            dict(spec.retry_policy),
            spec.trunk,
            tuple(spec.caller_id_pool),
            spec.voicemail_policy,
            CampaignState.draft.value,
            self._clock(),
        )
        self._s.campaigns[spec.name] = info
        return info

    def get_campaign(self, name: str) -> L.CampaignInfo:
        try:
            return self._s.campaigns[name]
        except KeyError:
            raise L.CampaignNotFound(f"no campaign named {name!r}") from None

    def list_campaigns(self) -> list[L.CampaignInfo]:
        return [self._s.campaigns[name] for name in sorted(self._s.campaigns)]

    def set_campaign_state(self, name: str, state: CampaignState, *, actor: str) -> L.CampaignInfo:
        target = CampaignState(check_word(CampaignState, state, "campaign state"))
        info = self.get_campaign(name)
        current = CampaignState(info.state)
        if target == current:
            return info
        if target not in CAMPAIGN_TRANSITIONS[current]:
            raise L.InvalidTransition(f"campaign {name!r} is {current}: it cannot become {target}")
        info = replace(info, state=target.value)
        self._s.campaigns[name] = info
        if target == CampaignState.stopped:
            for attempt in self._s.attempts.values():
                if attempt["campaign_id"] == info.id and attempt["state"] == AttemptState.queued:
                    attempt["state"] = AttemptState.cancelled.value
        self.append_audit(
            L.AuditRecord(
                actor,
                f"campaign.{target.value}",
                f"campaign:{info.id}",
                detail={"from": current.value, "name": name},
            )
        )
        return info

    def campaign_stats(self, name: str) -> L.CampaignStats:
        cid = self.get_campaign(name).id
        accounts = [a for a in self._s.accounts.values() if a.values["campaign_id"] == cid]
        amounts: dict[str, Decimal] = {}
        for a in accounts:
            amounts[a.values["currency"]] = (
                amounts.get(a.values["currency"], Decimal("0.00")) + a.values["amount_due"]
            )
        attempts = [a for a in self._s.attempts.values() if a["campaign_id"] == cid]
        by_state: dict[str, int] = {}
        dispositions: dict[str, int] = {}
        for attempt in attempts:
            by_state[attempt["state"]] = by_state.get(attempt["state"], 0) + 1
            if attempt["disposition"]:
                dispositions[attempt["disposition"]] = dispositions.get(attempt["disposition"], 0) + 1
        ids = {a.id for a in accounts}
        promises = sum(1 for p in self._s.promises.values() if p["account_id"] in ids)
        return L.CampaignStats(len(accounts), amounts, len(attempts), by_state, dispositions, promises)

    # ---- import ----------------------------------------------------------------------------------------
    def import_batch(self, header: L.ImportHeader, chunks: Iterable[L.ImportChunk]) -> L.ImportCounts:
        campaign = self.get_campaign(header.campaign)
        snapshot = copy.deepcopy(self._s)
        now = self._clock()
        batch_id = self._id()
        counts = {
            k: 0
            for k in (
                "rows",
                "imported",
                "updated",
                "unchanged",
                "rejected",
                "suppressed",
                "duplicates",
                "numbers_suppressed",
            )
        }
        blocked_numbers = {
            d.e164 for d in self._s.dnc.values() if d.removed_at is None and d.scope == "number"
        }
        blocked_people = {
            d.debtor_id for d in self._s.dnc.values() if d.removed_at is None and d.scope == "person"
        }
        rejects: list[L.ImportReject] = []
        try:
            for chunk in chunks:
                counts["rows"] += len(chunk.rows) + len(chunk.rejects) + chunk.duplicates
                counts["rejected"] += len(chunk.rejects)
                counts["duplicates"] += chunk.duplicates
                rejects.extend(chunk.rejects)
                for row in chunk.rows:
                    open_numbers = [n for n in row.numbers if n.e164 not in blocked_numbers]
                    counts["numbers_suppressed"] += len(row.numbers) - len(open_numbers)
                    debtor = self._s.debtors.get(row.debtor_ref)
                    if not open_numbers or (debtor is not None and debtor.id in blocked_people):
                        counts["suppressed"] += 1
                        continue
                    outcome = self._upsert_row(row, open_numbers, campaign.id, batch_id)
                    counts[outcome] += 1
        except BaseException:
            self._s = snapshot
            raise
        if header.dry_run:
            self._s = snapshot
            rejects = []
        info = L.ImportBatchInfo(
            batch_id,
            header.campaign,
            header.filename,
            header.sha256,
            counts["rows"],
            counts["imported"],
            counts["updated"],
            counts["rejected"],
            counts["suppressed"],
            counts["duplicates"],
            {},
            now,
            self._clock(),
            header.dry_run,
        )
        self._s.batches[batch_id] = _Batch(info, rejects)
        return L.ImportCounts(batch=batch_id, **counts)

    def _upsert_row(
        self, row: L.ImportRow, numbers: list[L.ImportNumber], campaign_id: int, batch_id: int
    ) -> str:
        changed = False
        values = {
            "first_name": row.first_name,
            "last_name": row.last_name,
            "language": row.language,
            "country": row.country,
            "state": row.state,
            "postal_code": row.postal_code,
            "attorney": row.attorney,
            "cease_requested": row.cease_requested,
        }
        debtor = self._s.debtors.get(row.debtor_ref)
        if debtor is None:
            debtor = self._s.debtors[row.debtor_ref] = _Debtor(self._id(), row.debtor_ref, values)
        else:
            values["attorney"] = values["attorney"] or debtor.values["attorney"]
            values["cease_requested"] = values["cease_requested"] or debtor.values["cease_requested"]
            if values != debtor.values:
                debtor.values, changed = values, True
        for priority, number in enumerate(numbers):
            nvalues: dict[str, Any] = {
                "line_type": number.line_type,
                "region": number.region,
                "area_code_zones": list(number.zones),
                "personal": number.personal,
                "priority": priority,
            }
            old = self._s.numbers.get((debtor.id, number.e164))
            if old is None:
                nvalues["consent_at"] = row.consent_at
                self._s.numbers[(debtor.id, number.e164)] = _Number(
                    self._id(), debtor.id, number.e164, nvalues
                )
                changed = True
                continue
            nvalues["consent_at"] = row.consent_at or old.values["consent_at"]
            if nvalues != old.values:
                old.values, changed = nvalues, True
        avalues = {
            "debtor_id": debtor.id,
            "campaign_id": campaign_id,
            "amount_due": row.amount_due,
            "currency": row.currency,
            "due_date": row.due_date,
        }
        account = self._s.accounts.get(row.account_ref)
        if account is None:
            self._s.accounts[row.account_ref] = _Account(self._id(), row.account_ref, debtor.id, avalues)
            return "imported"
        if avalues != account.values:
            account.values, account.debtor_id = avalues, debtor.id
            return "updated"
        return "updated" if changed else "unchanged"

    def set_batch_quality(self, batch_id: int, quality: dict[str, Any]) -> None:
        batch = self._batch(batch_id)
        batch.info = replace(batch.info, quality=copy.deepcopy(quality))

    def _batch(self, batch_id: int) -> _Batch:
        try:
            return self._s.batches[batch_id]
        except KeyError:
            raise L.RecordNotFound(f"no import batch {batch_id}") from None

    def get_import_batch(self, batch_id: int) -> L.ImportBatchInfo:
        return self._batch(batch_id).info

    def list_import_batches(self, campaign: str, *, limit: int = 10) -> list[L.ImportBatchInfo]:
        self.get_campaign(campaign)
        found = [
            b.info for _, b in sorted(self._s.batches.items(), reverse=True) if b.info.campaign == campaign
        ]
        return found[:limit]

    def list_import_rejects(self, batch_id: int) -> list[L.ImportReject]:
        return sorted(self._batch(batch_id).rejects, key=lambda r: r.line)

    def _account(self, account_ref: str) -> _Account:
        try:
            return self._s.accounts[account_ref]
        except KeyError:
            raise L.RecordNotFound(f"no account {account_ref!r}") from None

    def get_account(self, account_ref: str) -> L.AccountInfo:
        a = self._account(account_ref)
        v = a.values
        return L.AccountInfo(
            a.id,
            a.ref,
            a.debtor_id,
            v["campaign_id"],
            v["amount_due"],
            v["currency"],
            v["due_date"],
            a.status,
            a.promised_until,
        )

    def get_debtor(self, debtor_id: int) -> L.DebtorInfo:
        d = next((d for d in self._s.debtors.values() if d.id == debtor_id), None)
        if d is None:
            raise L.RecordNotFound(f"no debtor {debtor_id}")
        v = d.values
        return L.DebtorInfo(
            d.id,
            d.ref,
            v["first_name"],
            v["last_name"],
            v["language"],
            v["country"],
            v["state"],
            v["postal_code"],
            v["attorney"],
            v["cease_requested"],
        )

    def contact_numbers(self, account_ref: str) -> list[tuple[int, str]]:
        debtor_id = self._s.accounts[account_ref].debtor_id if account_ref in self._s.accounts else None
        found = [n for n in self._s.numbers.values() if n.debtor_id == debtor_id]
        return [(n.id, n.e164) for n in sorted(found, key=lambda n: (n.values["priority"], n.id))]

    # ---- do-not-call -----------------------------------------------------------------------------------
    def is_number_blocked(self, e164: str, debtor_id: int | None = None) -> bool:
        return any(
            d.removed_at is None
            and (
                (d.scope == DncScope.number and d.e164 == e164)
                or (d.scope == DncScope.person and debtor_id is not None and d.debtor_id == debtor_id)
            )
            for d in self._s.dnc.values()
        )

    def add_dnc(
        self,
        scope: DncScope,
        *,
        source: DncSource,
        reason: str = "",
        e164: str | None = None,
        debtor_id: int | None = None,
    ) -> L.DncEntryInfo:
        scope = DncScope(check_word(DncScope, scope, "DNC scope"))
        source = DncSource(check_word(DncSource, source, "DNC source"))
        if scope == DncScope.number and not e164:
            raise L.InvalidValue("a number-scope DNC entry needs the number")
        if scope == DncScope.person and debtor_id is None:
            raise L.InvalidValue("a person-scope DNC entry needs the debtor")
        entry = L.DncEntryInfo(self._id(), scope.value, e164, debtor_id, reason, source.value, self._clock())
        self._s.dnc[entry.id] = entry
        return entry

    def remove_dnc(self, entry_id: int, *, reason: str) -> L.DncEntryInfo:
        entry = self._s.dnc.get(entry_id)
        if entry is None:
            raise L.RecordNotFound(f"no DNC entry {entry_id}")
        if entry.removed_at is None:
            entry = self._s.dnc[entry_id] = replace(entry, removed_at=self._clock(), removed_reason=reason)
        return entry

    def list_dnc(self, *, active_only: bool = True) -> list[L.DncEntryInfo]:
        return [d for _, d in sorted(self._s.dnc.items()) if not active_only or d.removed_at is None]

    # ---- attempts --------------------------------------------------------------------------------------
    def _attempt(self, attempt_id: int) -> dict[str, Any]:
        try:
            return self._s.attempts[attempt_id]
        except KeyError:
            raise L.AttemptNotFound(f"no attempt {attempt_id}") from None

    def get_attempt(self, attempt_id: int) -> L.AttemptRecord:
        row = self._attempt(attempt_id)
        return L.AttemptRecord(**{k: row[k] for k in L.AttemptRecord.__dataclass_fields__})

    def call_record(self, attempt_id: int) -> L.CallRecord:
        attempt = self.get_attempt(attempt_id)
        turns = sorted((t for a, t in self._s.turns if a == attempt_id), key=lambda t: t.seq)
        return L.CallRecord(
            attempt,
            tuple(
                replace(
                    t,
                    started_at=t.started_at.astimezone(dt.UTC),
                    ended_at=t.ended_at.astimezone(dt.UTC) if t.ended_at else None,
                )
                for t in turns
            ),
            tuple(r for _, (a, r) in sorted(self._s.recordings.items()) if a == attempt_id),
            tuple(
                L.PromiseInfo(**p)
                for _, p in sorted(self._s.promises.items())
                if p["attempt_id"] == attempt_id
            ),
            tuple(
                c["requested_at"]
                for _, c in sorted(self._s.callbacks.items())
                if c["attempt_id"] == attempt_id
            ),
        )

    def history(self, debtor_id: int, since: dt.datetime, until: dt.datetime) -> list[L.AttemptRecord]:
        check_aware(since, "since")
        check_aware(until, "until")
        found = [
            self.get_attempt(a["id"])
            for a in self._s.attempts.values()
            if a["debtor_id"] == debtor_id and since <= (a["dialing_at"] or a["scheduled_at"]) < until
        ]
        return sorted(found, key=lambda r: (r.scheduled_at, r.id))

    def add_promise(
        self, attempt_id: int | None, account_id: int, promised_date: dt.date, amount: Decimal, currency: str
    ) -> int:
        if not isinstance(amount, Decimal) or amount <= 0:
            raise L.InvalidValue(f"promise amount must be a positive Decimal, not {amount!r}")
        account = next((a for a in self._s.accounts.values() if a.id == account_id), None)
        if account is None:
            raise L.RecordNotFound(f"no account {account_id}")
        account.status, account.promised_until = "promised", promised_date
        promise_id = self._id()
        self._s.promises[promise_id] = {
            "id": promise_id,
            "attempt_id": attempt_id,
            "account_id": account_id,
            "promised_date": promised_date,
            "amount": amount.quantize(Decimal("0.01")),
            "currency": currency,
            "status": "pending",
        }
        return promise_id

    def add_callback(self, attempt_id: int | None, account_id: int, requested_at: dt.datetime) -> int:
        check_aware(requested_at, "requested_at")
        callback_id = self._id()
        self._s.callbacks[callback_id] = {
            "attempt_id": attempt_id,
            "account_id": account_id,
            "requested_at": requested_at.astimezone(dt.UTC),
        }
        return callback_id

    def add_turns(self, attempt_id: int, turns: Sequence[L.Turn]) -> None:
        for turn in turns:
            check_aware(turn.started_at, "started_at")
        self._attempt(attempt_id)
        self._s.turns.extend((attempt_id, t) for t in turns)

    def add_recording(self, attempt_id: int, recording: L.RecordingInfo) -> int:
        if recording.path.startswith("/") or ".." in recording.path.split("/"):
            raise L.InvalidValue("recording path must be relative to the data directory")
        self._attempt(attempt_id)
        recording_id = self._id()
        self._s.recordings[recording_id] = (attempt_id, recording)
        return recording_id

    def append_audit(self, record: L.AuditRecord) -> int:
        at = record.at or self._clock()
        check_aware(at, "at")
        self._s.audit.append(replace(record, at=at.astimezone(dt.UTC)))
        return len(self._s.audit)

    def list_audit(self, *, subject: str | None = None, limit: int = 100) -> list[L.AuditRecord]:
        found = [a for a in reversed(self._s.audit) if subject is None or a.subject == subject]
        return found[:limit]
