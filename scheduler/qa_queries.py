"""Reads of inspection results for `dialer qa report`, the console's QA queue and `dialer export`.

A finding's standing is its newest verdict: open (none yet), confirmed or dismissed. Only the newest
inspection of a call counts (a call is inspected again when the rule file's version changes).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from scheduler.ledger import BackendError
from scheduler.models import Account, Attempt, Campaign, QaFinding, QaInspection, QaVerdict


@dataclass(frozen=True)
class QueueFilter:
    campaign: str | None = None
    rule: str | None = None
    severity: str | None = None
    script_version: str | None = None
    since: dt.datetime | None = None  # the call's end, UTC
    until: dt.datetime | None = None
    status: str | None = None  # open, confirm, dismiss
    attempt_id: int | None = None


class QaQueries:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _run(self, fn: Any) -> Any:
        try:
            with Session(self.engine) as s:
                return fn(s)
        except sa.exc.SQLAlchemyError as exc:
            raise BackendError(f"reading inspections failed: {exc.__class__.__name__}") from exc

    def _latest(self) -> Any:
        return (
            sa.select(sa.func.max(QaInspection.id).label("id")).group_by(QaInspection.attempt_id).subquery()
        )

    def findings(
        self, where: QueueFilter = QueueFilter(), *, limit: int = 200, offset: int = 0
    ) -> list[dict[str, Any]]:
        """The QA queue: findings of the newest inspections, newest call first, with their standing."""

        def read(s: Session) -> list[dict[str, Any]]:
            latest = self._latest()
            query = (
                sa.select(QaFinding, QaInspection, Attempt.ended_at, Account.account_ref, Campaign.name)
                .join(QaInspection, QaInspection.id == QaFinding.inspection_id)
                .join(latest, latest.c.id == QaInspection.id)
                .join(Attempt, Attempt.id == QaFinding.attempt_id)
                .join(Account, Account.id == Attempt.account_id)
                .join(Campaign, Campaign.id == Attempt.campaign_id)
                .order_by(QaFinding.attempt_id.desc(), QaFinding.id)
            )
            if where.campaign:
                query = query.where(Campaign.name == where.campaign)
            if where.rule:
                query = query.where(QaFinding.rule == where.rule)
            if where.severity:
                query = query.where(QaFinding.severity == where.severity)
            if where.script_version:
                query = query.where(QaInspection.script_version == where.script_version)
            if where.since:
                query = query.where(Attempt.ended_at >= where.since)
            if where.until:
                query = query.where(Attempt.ended_at < where.until)
            if where.attempt_id is not None:
                query = query.where(QaFinding.attempt_id == where.attempt_id)
            rows = s.execute(query).all()
            verdicts = _verdicts(s, [f.id for f, *_ in rows])
            out = []
            for f, insp, ended_at, ref, campaign in rows:
                v = verdicts.get(f.id)
                status = v["verdict"] if v else "open"
                if where.status and status != where.status:
                    continue
                out.append(
                    {
                        "id": f.id,
                        "attempt_id": f.attempt_id,
                        "campaign": campaign,
                        "account_ref": ref,
                        "rule": f.rule,
                        "severity": f.severity,
                        "seq": f.seq,
                        "at_s": f.at_s,
                        "message": f.message,
                        "score": insp.score,
                        "script": insp.script,
                        "script_version": insp.script_version,
                        "rules_version": insp.rules_version,
                        "ended_at": ended_at,
                        "status": status,
                        "verdict": v,
                    }
                )
            return out[offset : offset + limit]

        result: list[dict[str, Any]] = self._run(read)
        return result

    def inspections(
        self, campaign: str | None = None, attempt_ids: list[int] | None = None
    ) -> list[dict[str, Any]]:
        def read(s: Session) -> list[dict[str, Any]]:
            latest = self._latest()
            query = (
                sa.select(QaInspection, Attempt.ended_at, Campaign.name)
                .join(latest, latest.c.id == QaInspection.id)
                .join(Attempt, Attempt.id == QaInspection.attempt_id)
                .join(Campaign, Campaign.id == Attempt.campaign_id)
                .order_by(QaInspection.attempt_id)
            )
            if campaign:
                query = query.where(Campaign.name == campaign)
            if attempt_ids is not None:
                query = query.where(QaInspection.attempt_id.in_(attempt_ids))
            return [
                {
                    "attempt_id": i.attempt_id,
                    "campaign": name,
                    "score": i.score,
                    "findings": i.findings,
                    "rules_version": i.rules_version,
                    "script": i.script,
                    "script_version": i.script_version,
                    "ended_at": ended_at,
                    "inspected_at": i.inspected_at,
                }
                for i, ended_at, name in s.execute(query)
            ]

        result: list[dict[str, Any]] = self._run(read)
        return result

    def report(self, campaign: str | None = None) -> dict[str, Any]:
        """Counts for the report: calls inspected, clean, mean score, findings by rule and severity with
        their verdicts, and trends by day and by script version."""
        calls = self.inspections(campaign)
        found = self.findings(QueueFilter(campaign=campaign), limit=1_000_000)
        by_rule: dict[str, Counter[str]] = {}
        for f in found:
            counter = by_rule.setdefault(f["rule"], Counter())
            counter["findings"] += 1
            counter[f["status"]] += 1
            counter[f["severity"]] += 0  # keeps the severity visible
        severity = Counter(f["severity"] for f in found)
        by_day: dict[str, Counter[str]] = {}
        for f in found:
            day = f["ended_at"].date().isoformat() if f["ended_at"] else "?"
            by_day.setdefault(day, Counter())[f["rule"]] += 1
        by_version: dict[str, Counter[str]] = {}
        for f in found:
            by_version.setdefault(_version(f), Counter())[f["rule"]] += 1
        calls_by_version = Counter(_version(c) for c in calls)
        return {
            "campaign": campaign,
            "calls": len(calls),
            "clean": sum(1 for c in calls if c["findings"] == 0),
            "mean_score": round(sum(c["score"] for c in calls) / len(calls), 1) if calls else None,
            "findings": len(found),
            "by_severity": dict(severity),
            "by_rule": {
                rule: {
                    "severity": next(f["severity"] for f in found if f["rule"] == rule),
                    "findings": c["findings"],
                    "open": c["open"],
                    "confirmed": c["confirm"],
                    "dismissed": c["dismiss"],
                }
                for rule, c in sorted(by_rule.items())
            },
            "verdicts": {
                "open": sum(c["open"] for c in by_rule.values()),
                "confirmed": sum(c["confirm"] for c in by_rule.values()),
                "dismissed": sum(c["dismiss"] for c in by_rule.values()),
            },
            "by_day": {day: dict(c) for day, c in sorted(by_day.items())},
            "by_script_version": {
                v: {"calls": calls_by_version.get(v, 0), "findings": dict(c)}
                for v, c in sorted(by_version.items())
            },
        }


def _version(row: dict[str, Any]) -> str:
    """A script version as the report groups it: the script's name and its content hash."""
    return f"{row['script']}@{row['script_version'] or '?'}"


def _verdicts(s: Session, finding_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The newest verdict of each finding."""
    out: dict[int, dict[str, Any]] = {}
    for start in range(0, len(finding_ids), 500):
        chunk = finding_ids[start : start + 500]
        for v in s.scalars(
            sa.select(QaVerdict).where(QaVerdict.finding_id.in_(chunk)).order_by(QaVerdict.id)
        ):
            out[v.finding_id] = {"verdict": v.verdict, "note": v.note, "reviewer": v.reviewer, "at": v.at}
    return out
