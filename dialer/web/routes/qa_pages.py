"""The QA queue (findings of every inspected call, filtered by rule, severity, campaign, script version,
date and standing), one call's review page (the transcript aligned to the stereo recording, the findings
marked on their turns) and reviewers' verdicts (confirm, or dismiss with a note)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import Response

from dialer.web.auth import Principal, require
from dialer.web.console import console_of
from dialer.web.pages import redirect, render
from dialer.web.roles import Permission
from scheduler.inspection import SEVERITIES, VERDICTS, Inspections
from scheduler.ledger import InvalidValue, NotFound
from scheduler.qa_queries import QaQueries, QueueFilter

router = APIRouter()
PAGE = 100
REVIEW = Permission.view_audit  # supervisors and admins give verdicts
STATUSES = ("open", "confirm", "dismiss")


def _rule_ids() -> list[str]:
    from dialer.qa.rules import load_rules

    return [r.id for r in load_rules().rules]


def _day(value: str, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), dt.UTC)
    except ValueError as exc:
        raise HTTPException(422, f"{name}: a date like 2026-12-06") from exc


@router.get("/qa")
def queue(
    request: Request,
    rule: str = Query("", max_length=64),
    severity: str = Query("", max_length=16),
    campaign: str = Query("", max_length=100),
    script_version: str = Query("", max_length=64),
    since: str = Query("", max_length=10),
    until: str = Query("", max_length=10),
    status: str = Query("", max_length=16),
    page: int = Query(1, ge=1, le=100_000),
    me: Principal = Depends(require(Permission.view)),
) -> Response:
    console = console_of(request)
    until_day = _day(until, "until")
    where = QueueFilter(
        campaign=campaign or None,
        rule=rule or None,
        severity=severity or None,
        script_version=script_version or None,
        since=_day(since, "since"),
        until=until_day + dt.timedelta(days=1) if until_day else None,
        status=status or None,
    )
    rows = QaQueries(console.ledger.engine).findings(where, limit=PAGE + 1, offset=(page - 1) * PAGE)
    filters: dict[str, Any] = {
        "rule": rule, "severity": severity, "campaign": campaign, "script_version": script_version,
        "since": since, "until": until, "status": status,
    }  # fmt: skip
    return render(
        request,
        "qa_queue.html",
        me,
        findings=rows[:PAGE],
        more=len(rows) > PAGE,
        page=page,
        f=filters,
        rules=_rule_ids(),
        severities=SEVERITIES,
        statuses=STATUSES,
        campaigns=[c.name for c in console.ledger.list_campaigns()],
    )


@router.get("/qa/calls/{attempt_id}")
def review(request: Request, attempt_id: int, me: Principal = Depends(require(Permission.view))) -> Response:
    console = console_of(request)
    record = console.ledger.call_record(attempt_id)
    findings = QaQueries(console.ledger.engine).findings(QueueFilter(attempt_id=attempt_id), limit=1000)
    base = record.attempt.answered_at or record.attempt.ended_at
    turns = [
        {
            "seq": t.seq,
            "speaker": str(t.speaker),
            "text": t.text,
            "intent": t.intent,
            "start_s": round((t.started_at - base).total_seconds(), 2) if base else 0.0,
            "end_s": round((t.ended_at - base).total_seconds(), 2) if base and t.ended_at else None,
            "findings": [f for f in findings if f["seq"] == t.seq],
        }
        for t in record.turns
    ]
    return render(
        request,
        "qa_call.html",
        me,
        record=record,
        turns=turns,
        findings=findings,
        call_findings=[f for f in findings if f["seq"] is None],
        account_ref=console.queries.account_ref(record.attempt.account_id),
        verdicts=VERDICTS,
    )


@router.post("/qa/findings/{finding_id}/verdict")
def verdict(
    request: Request,
    finding_id: int,
    attempt_id: int = Form(..., ge=1),
    verdict: str = Form(..., max_length=16),
    note: str = Form("", max_length=1000),
    me: Principal = Depends(require(REVIEW)),
) -> Response:
    console = console_of(request)
    try:
        Inspections(console.ledger.engine).add_verdict(finding_id, verdict, note, me.name)
    except InvalidValue as exc:
        return redirect(f"/qa/calls/{attempt_id}", str(exc))
    except NotFound as exc:
        raise HTTPException(404, str(exc)) from exc
    return redirect(f"/qa/calls/{attempt_id}", f"finding {finding_id}: {verdict}")
