"""Dashboard and campaigns: list, create, settings, start/pause/resume/stop, and "why not called?"."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response

from dialer.web import charts
from dialer.web.auth import Principal, require
from dialer.web.console import Console, console_of
from dialer.web.explain import explain_account
from dialer.web.pages import redirect, render
from dialer.web.roles import Permission
from dialer.web.sip_profiles import profile_names
from scheduler.ledger import CampaignSpec, InvalidValue
from scheduler.vocabulary import CampaignState, VoicemailPolicy

router = APIRouter()
ACTIONS = {
    "start": CampaignState.running,
    "resume": CampaignState.running,
    "pause": CampaignState.paused,
    "stop": CampaignState.stopped,
}


def scripts(console: Console) -> list[str]:
    root = console.options.scripts_dir
    return sorted(p.name for p in root.glob("*/") if (p / "domain.yml").is_file()) if root.is_dir() else []


def jurisdiction_profiles() -> list[str]:
    import scheduler

    folder = Path(scheduler.__file__).resolve().parent / "profiles"
    return sorted(p.stem for p in folder.glob("*.toml"))


def local_midnight(console: Console) -> dt.datetime:
    zone = ZoneInfo(console.settings.operator_timezone)
    now = console.clock().astimezone(zone)
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


@router.get("/")
def dashboard(request: Request, me: Principal = Depends(require(Permission.view))) -> Response:
    console = console_of(request)
    rows = []
    for campaign in console.ledger.list_campaigns():
        stats = console.ledger.campaign_stats(campaign.name)
        rows.append((campaign, stats))
    counters = console.queries.counters(local_midnight(console))
    return render(request, "dashboard.html", me, campaigns=rows, counters=counters)


def _split(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.replace(",", "\n").splitlines() if p.strip())


def _retry(value: str) -> dict[str, Any]:
    if not value.strip():
        return {}
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise InvalidValue(f"retry policy: not JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(parsed, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in parsed.values()
    ):
        raise InvalidValue('retry policy: a JSON object of minutes, e.g. {"no_answer": 120, "busy": 30}')
    return parsed


@dataclass(frozen=True)
class CampaignForm:
    """The campaign settings form, shared by "new campaign" and "settings"; FastAPI fills it from the
    posted fields and checks the numbers' ranges."""

    script: str = Form(...)
    profiles: str = Form("")
    window_from: str = Form("")
    window_to: str = Form("")
    max_attempts_per_day: int = Form(1, ge=1, le=50)
    max_attempts_total: int = Form(7, ge=1, le=500)
    retry_policy: str = Form("")
    trunk: str = Form("")
    caller_ids: str = Form("")
    voicemail_policy: str = Form(VoicemailPolicy.message.value)

    def fields(self, console: Console) -> dict[str, Any]:
        """The ledger's campaign fields; an unknown script or a malformed retry policy is refused."""
        if self.script not in scripts(console):
            raise InvalidValue(f"unknown script {self.script!r}")
        return {
            "script": self.script,
            "profiles": tuple(p.upper() for p in _split(self.profiles)),
            "window_from": self.window_from.strip() or None,
            "window_to": self.window_to.strip() or None,
            "max_attempts_per_day": self.max_attempts_per_day,
            "max_attempts_total": self.max_attempts_total,
            "retry_policy": _retry(self.retry_policy),
            "trunk": self.trunk.strip() or None,
            "caller_id_pool": _split(self.caller_ids),
            "voicemail_policy": self.voicemail_policy,
        }


def _form_context(console: Console) -> dict[str, Any]:
    return {
        "scripts": scripts(console),
        "profiles": jurisdiction_profiles(),
        "trunks": profile_names(console),
        "voicemail_policies": [v.value for v in VoicemailPolicy],
    }


def refuse_what_cannot_work(console: Console, name: str, script: str, caller_ids: tuple[str, ...]) -> None:
    """The checks of `dialer campaign create/resume`: a campaign whose script or caller IDs cannot work
    is refused when it is saved or started, not found out by ringing."""
    from dialer.supervisor.preflight import campaign_refusal

    refusal = campaign_refusal(name, script, caller_ids, console.settings)
    if refusal:
        raise InvalidValue(refusal)


@router.get("/campaigns/new")
def new_campaign_form(
    request: Request, me: Principal = Depends(require(Permission.edit_campaigns))
) -> Response:
    return render(request, "campaign_new.html", me, **_form_context(console_of(request)))


@router.post("/campaigns/new")
def create_campaign(
    request: Request,
    name: str = Form(..., min_length=1, max_length=100),
    form: CampaignForm = Depends(),
    me: Principal = Depends(require(Permission.edit_campaigns)),
) -> Response:
    console = console_of(request)
    fields = form.fields(console)
    refuse_what_cannot_work(console, name.strip(), form.script, fields["caller_id_pool"])
    info = console.ledger.create_campaign(CampaignSpec(name=name.strip(), **fields))
    console.audit(me.name, "campaign.create", f"campaign:{info.id}", name=info.name, script=info.script)
    return redirect(f"/campaigns/{info.name}", "campaign created")


@router.get("/campaigns/{name}")
def campaign_detail(
    request: Request, name: str, me: Principal = Depends(require(Permission.view))
) -> Response:
    console = console_of(request)
    campaign = console.ledger.get_campaign(name)
    stats = console.ledger.campaign_stats(name)
    q = console.queries
    counters = q.counters(local_midnight(console), campaign.id)
    funnel = q.funnel(campaign.id)
    since = console.clock() - dt.timedelta(days=30)
    hours = q.answer_rate_by_hour(campaign.id, console.settings.operator_timezone, since)
    rates = [(100.0 * a / d if d else None) for _, d, a in hours]
    latencies = q.turn_latencies(campaign.id)
    pct = {p: charts.percentile(latencies, p) for p in (50, 90, 95, 99)}
    dispositions = sorted(stats.dispositions.items(), key=lambda kv: -kv[1])
    return render(
        request,
        "campaign.html",
        me,
        campaign=campaign,
        stats=stats,
        counters=counters,
        funnel_svg=charts.hbar(funnel),
        funnel=funnel,
        dispositions_svg=charts.hbar(dispositions),
        hours_svg=charts.columns([f"{h:02d}" for h, _, _ in hours], rates, unit="%", max_value=100),
        latency=pct,
        latency_count=len(latencies),
        batches=q.import_batches(campaign.id),
        calls=q.calls(campaign.id, limit=50),
        transitions=[a for a, s in ACTIONS.items() if _allowed(campaign.state, s, a)],
        **_form_context(console),
    )


def _allowed(current: str, target: CampaignState, action: str) -> bool:
    from scheduler.vocabulary import CAMPAIGN_TRANSITIONS

    if action == "start" and current != CampaignState.draft:
        return False
    if action == "resume" and current != CampaignState.paused:
        return False
    return target in CAMPAIGN_TRANSITIONS[CampaignState(current)]


@router.post("/campaigns/{name}/settings")
def update_settings(
    request: Request,
    name: str,
    form: CampaignForm = Depends(),
    me: Principal = Depends(require(Permission.edit_campaigns)),
) -> Response:
    console = console_of(request)
    fields = form.fields(console)
    refuse_what_cannot_work(console, name, form.script, fields["caller_id_pool"])
    changed = console.queries.update_campaign(name, fields, actor=me.name)
    return redirect(f"/campaigns/{name}", f"{len(changed)} setting(s) changed")


@router.post("/campaigns/{name}/state")
def change_state(
    request: Request,
    name: str,
    action: str = Form(...),
    me: Principal = Depends(require(Permission.control_campaigns)),
) -> Response:
    console = console_of(request)
    target = ACTIONS.get(action)
    if target is None:
        raise HTTPException(422, f"unknown action {action!r}: use start, pause, resume or stop")
    if target == CampaignState.running:
        current = console.ledger.get_campaign(name)
        refuse_what_cannot_work(console, name, current.script, current.caller_id_pool)
    info = console.ledger.set_campaign_state(name, target, actor=me.name)
    return redirect(f"/campaigns/{name}", f"campaign is {info.state}")


@router.get("/campaigns/{name}/explain")
def explain(
    request: Request, name: str, account: str = "", me: Principal = Depends(require(Permission.explain))
) -> Response:
    console = console_of(request)
    campaign = console.ledger.get_campaign(name)
    result = explain_account(console, account.strip(), me) if account.strip() else None
    return render(request, "explain.html", me, campaign=campaign, account=account, result=result)
