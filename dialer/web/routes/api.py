"""The HTTP API under /api: campaigns, accounts (read and push), dispositions, promises, DNC, live calls.

Machines authenticate with `Authorization: Bearer <token>`; the browser may call it with its session
cookie plus the `X-CSRF-Token` header. Phone numbers are masked unless the role sees full numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.security import HTTPBearer
from pydantic import Field

from dialer.web.api_models import (
    AccountDetail,
    AccountOut,
    AccountsPush,
    CampaignCreate,
    CampaignOut,
    Counters,
    DispositionOut,
    DncIn,
    DncOut,
    LiveOut,
    PromiseOut,
    PushResult,
    RejectOut,
    StateChange,
)
from dialer.web.auth import Principal, require
from dialer.web.console import console_of
from dialer.web.imports import SpooledLedger
from dialer.web.live import durations
from dialer.web.masking import display_number, mask_display, mask_free_text
from dialer.web.roles import Permission
from dialer.web.routes.campaign_pages import ACTIONS, local_midnight, refuse_what_cannot_work
from dialer.web.routes.list_pages import parse_number
from scheduler.importing import ImportFileError, ImportOptions, import_file
from scheduler.ledger import CampaignInfo, CampaignSpec, RejectedRow
from scheduler.vocabulary import CampaignState, DncScope, DncSource

bearer = HTTPBearer(auto_error=False, description="an API token created by an admin")
router = APIRouter(prefix="/api", dependencies=[Depends(bearer)], tags=["api"])


def _campaign(c: CampaignInfo) -> CampaignOut:
    return CampaignOut(
        **{**c.__dict__, "profiles": list(c.profiles), "caller_id_pool": list(c.caller_id_pool)}
    )


Limit = Annotated[int, Query(ge=1, le=1000)]
AfterId = Annotated[int, Query(ge=0, le=2**62, description="return records with a larger id (paging)")]


@router.get("/campaigns", response_model=list[CampaignOut])
def list_campaigns(request: Request, me: Principal = Depends(require(Permission.view))) -> list[CampaignOut]:
    return [_campaign(c) for c in console_of(request).ledger.list_campaigns()]


@router.post("/campaigns", response_model=CampaignOut, status_code=201)
def create_campaign(
    request: Request, body: CampaignCreate, me: Principal = Depends(require(Permission.edit_campaigns))
) -> CampaignOut:
    console = console_of(request)
    data = body.model_dump()
    spec = CampaignSpec(
        **{**data, "profiles": tuple(data["profiles"]), "caller_id_pool": tuple(data["caller_id_pool"])}
    )
    refuse_what_cannot_work(console, spec.name, spec.script, spec.caller_id_pool)
    info = console.ledger.create_campaign(spec)
    console.audit(me.name, "campaign.create", f"campaign:{info.id}", name=info.name, script=info.script)
    return _campaign(info)


@router.get("/campaigns/{name}", response_model=CampaignOut)
def get_campaign(
    request: Request, name: str, me: Principal = Depends(require(Permission.view))
) -> CampaignOut:
    return _campaign(console_of(request).ledger.get_campaign(name))


@router.post("/campaigns/{name}/state", response_model=CampaignOut)
def change_state(
    request: Request,
    name: str,
    body: StateChange,
    me: Principal = Depends(require(Permission.control_campaigns)),
) -> CampaignOut:
    console = console_of(request)
    target = ACTIONS[body.action]
    if target == CampaignState.running:
        current = console.ledger.get_campaign(name)
        refuse_what_cannot_work(console, name, current.script, current.caller_id_pool)
    return _campaign(console.ledger.set_campaign_state(name, target, actor=me.name))


@router.get("/campaigns/{name}/counters", response_model=Counters)
def counters(request: Request, name: str, me: Principal = Depends(require(Permission.view))) -> Counters:
    console = console_of(request)
    return Counters(**console.queries.counters(local_midnight(console), console.queries.campaign_id(name)))


@router.get("/accounts", response_model=list[AccountOut])
def list_accounts(
    request: Request,
    campaign: str | None = None,
    limit: Limit = 100,
    offset: Annotated[int, Query(ge=0, le=2**62)] = 0,
    me: Principal = Depends(require(Permission.view)),
) -> list[AccountOut]:
    console = console_of(request)
    campaign_id = console.queries.campaign_id(campaign) if campaign else None
    rows = console.queries.accounts(campaign_id, limit=limit, offset=offset)
    return [AccountOut(**{**r, "numbers": [display_number(n, me.role) for n in r["numbers"]]}) for r in rows]


@router.get("/accounts/{account_ref}", response_model=AccountDetail)
def get_account(
    request: Request, account_ref: str, me: Principal = Depends(require(Permission.view))
) -> AccountDetail:
    """One account with its calls (newest first) and promises."""
    console = console_of(request)
    row = console.queries.account(account_ref)
    if row is None:
        raise HTTPException(404, f"no account {account_ref!r}")
    calls = console.queries.calls(account_ref=account_ref, limit=200)
    promises = console.queries.promises(account_ref=account_ref, limit=200)
    return AccountDetail(
        **{**row, "numbers": [display_number(n, me.role) for n in row["numbers"]]},
        calls=[DispositionOut(**{**c, "number": display_number(c["e164"], me.role)}) for c in calls],
        promises=[PromiseOut(**p) for p in promises],
    )


PUSH_COLUMNS = ["account", "customer_id", "name", "phone1", "phone2", "phone3", "phone4", "phone5"]
PUSH_COLUMNS += ["amount", "currency", "due_date", "state", "zip", "country", "language", "consent_date"]


@router.post("/accounts", response_model=PushResult)
def push_accounts(
    request: Request, body: AccountsPush, me: Principal = Depends(require(Permission.upload_lists))
) -> PushResult:
    """Add or update accounts with the same validation as a call-list upload; rejects say why."""
    console = console_of(request)
    console.ledger.get_campaign(body.campaign)
    uploads = console.options.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=uploads, prefix="push-") as folder:  # swept at start if killed
        path = Path(folder) / "api-push.csv"
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(PUSH_COLUMNS)
            for a in body.accounts:
                phones = [*a.phones, "", "", "", "", ""][:5]
                writer.writerow(
                    [
                        a.account_ref,
                        a.customer_id or "",
                        a.name,
                        *phones,
                        a.amount,
                        a.currency or "",
                        a.due_date,
                        a.state or "",
                        a.postal_code or "",
                        a.country or "",
                        a.language or "",
                        a.consent_date or "",
                    ]
                )
        rejects: list[RejectedRow] = []
        options = ImportOptions(
            body.campaign,
            body.region.upper() if body.region else None,
            body.currency.upper() if body.currency else None,
            body.dry_run,
        )
        try:
            ledger = SpooledLedger.wrap(console.ledger)
            result = import_file(ledger, path, options, on_reject=rejects.append)
        except ImportFileError as exc:
            raise HTTPException(422, str(exc)) from exc
    console.audit(me.name, "api.push_accounts", f"campaign:{body.campaign}", **result.summary())
    return PushResult(
        **result.summary(),
        rejects=[
            RejectOut(
                index=r.line - 2, reason=mask_free_text(r.reason, me.role), raw=mask_free_text(r.raw, me.role)
            )
            for r in rejects
        ],
    )


@router.get("/dispositions", response_model=list[DispositionOut])
def dispositions(
    request: Request,
    campaign: str | None = None,
    since: dt.datetime | None = Query(None, description="ended at or after (ISO 8601 with zone)"),
    after_id: AfterId = 0,
    limit: Limit = 100,
    me: Principal = Depends(require(Permission.view)),
) -> list[DispositionOut]:
    console = console_of(request)
    campaign_id = console.queries.campaign_id(campaign) if campaign else None
    rows = console.queries.dispositions(
        campaign_id=campaign_id, since=_aware(since), after_id=after_id, limit=limit
    )
    return [DispositionOut(**{**r, "number": display_number(r["e164"], me.role)}) for r in rows]


@router.get("/promises", response_model=list[PromiseOut])
def promises(
    request: Request,
    campaign: str | None = None,
    since: dt.datetime | None = Query(None, description="created at or after (ISO 8601 with zone)"),
    after_id: AfterId = 0,
    limit: Limit = 100,
    me: Principal = Depends(require(Permission.view)),
) -> list[PromiseOut]:
    console = console_of(request)
    campaign_id = console.queries.campaign_id(campaign) if campaign else None
    rows = console.queries.promises(
        campaign_id=campaign_id, since=_aware(since), after_id=after_id, limit=limit
    )
    return [PromiseOut(**r) for r in rows]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise HTTPException(422, "since: give a time zone (e.g. 2026-11-29T00:00:00Z)")
    return value


def _dnc(entry: Any, role: str) -> DncOut:
    return DncOut(
        id=entry.id,
        number=display_number(entry.e164, role) if entry.e164 else f"debtor:{entry.debtor_id}",
        reason=mask_free_text(entry.reason, role),
        source=entry.source,
        created_at=entry.created_at,
        removed_at=entry.removed_at,
        removed_reason=mask_free_text(entry.removed_reason, role) if entry.removed_reason else None,
    )


@router.get("/dnc", response_model=list[DncOut])
def list_dnc(
    request: Request,
    number: str | None = Query(None, max_length=40, description="exact number (E.164 or with region)"),
    region: str | None = Query(None, pattern=r"^[A-Za-z]{2}$"),
    me: Principal = Depends(require(Permission.view)),
) -> list[DncOut]:
    console = console_of(request)
    entries = console.ledger.list_dnc()
    if number:
        if not me.can(Permission.see_full_numbers):  # "is this number listed?" reveals the number
            raise HTTPException(403, f"your role ({me.role}) may not look up full numbers")
        try:
            e164 = parse_number(number, region)
        except ValueError as exc:
            raise HTTPException(422, f"number: {exc}") from exc
        entries = [e for e in entries if e.e164 == e164]
    return [_dnc(e, me.role) for e in entries[-1000:]]


@router.post("/dnc", response_model=DncOut, status_code=201)
def add_dnc(request: Request, body: DncIn, me: Principal = Depends(require(Permission.manage_dnc))) -> DncOut:
    console = console_of(request)
    try:
        e164 = parse_number(body.number, body.region)
    except ValueError as exc:
        raise HTTPException(422, f"number: {exc}") from exc
    entry = console.ledger.add_dnc(DncScope.number, source=DncSource.api, reason=body.reason, e164=e164)
    console.audit(me.name, "dnc.add", f"dnc:{entry.id}", number=mask_display(e164), reason=body.reason)
    return _dnc(entry, me.role)


@router.delete("/dnc/{entry_id}", response_model=DncOut)
def remove_dnc(
    request: Request,
    entry_id: Annotated[int, Field(ge=1, le=2**62)],
    reason: str = Query(..., min_length=3, max_length=200),
    me: Principal = Depends(require(Permission.manage_dnc)),
) -> DncOut:
    console = console_of(request)
    entry = console.ledger.remove_dnc(entry_id, reason=reason)
    console.audit(
        me.name, "dnc.remove", f"dnc:{entry.id}", number=mask_display(entry.e164 or ""), reason=reason
    )
    return _dnc(entry, me.role)


@router.get("/live", response_model=list[LiveOut])
def live_calls(request: Request, me: Principal = Depends(require(Permission.view))) -> list[LiveOut]:
    console = console_of(request)
    return [
        LiveOut(
            attempt_id=c.attempt_id,
            campaign=c.campaign,
            number=display_number(c.e164, me.role),
            state=c.state,
            seconds=round(seconds, 1),
            turn=c.turn_seq,
            intent=c.turn_intent,
        )
        for c, seconds in durations(console.live.snapshot(), console.clock)
    ]
