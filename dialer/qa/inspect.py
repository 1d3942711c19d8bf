"""Inspecting calls: evaluate the rule set over one call's facts, and the `dialer qa run` pass.

Why a pass over new calls (plus a daemon job) instead of a hook where the outcome is recorded: recording an
outcome is one lease-fenced transaction on the hot path of every call; inspection reads the policy history
and the debtor's other dials, and must be re-runnable when the rule file changes (a call is inspected once
per rule version). The pass is idempotent and incremental: it takes the ended calls not yet inspected under
the current version, seals new audit rows and recordings onto the evidence chain first, and stores each
call's findings with their chain entries in one transaction.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dialer.qa.checks import CHECKS, disclosures_played, read_call
from dialer.qa.rules import RuleSet, load_rules
from scheduler import audit_chain
from scheduler.db import Engine
from scheduler.inspection import CallFacts, FindingRecord, InspectionResult, Inspections

log = logging.getLogger(__name__)


def evaluate(facts: CallFacts, rules: RuleSet, script_version: str = "") -> InspectionResult:
    call = read_call(facts, rules)
    findings: list[FindingRecord] = []
    for rule in rules.rules:
        findings.extend(CHECKS[rule.id](call, rule))
    penalty = sum(rules.weights[f.severity] for f in findings)
    return InspectionResult(
        facts.attempt_id,
        rules.version,
        script_version,
        max(0, 100 - penalty),
        findings,
        disclosures_played(call),
    )


def script_version(scripts_dir: Path, script: str) -> str:
    """A short content hash of the script's files as they are now ("" when the script is not here)."""
    root = scripts_dir / script
    if not root.is_dir():
        return ""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


@dataclass(frozen=True)
class InspectionSummary:
    sealed: int
    inspected: int
    findings: int


def run_pass(
    engine: Engine,
    rules: RuleSet,
    *,
    scripts_dir: Path | None = None,
    campaign: str | None = None,
    limit: int = 500,
) -> InspectionSummary:
    """Seal the evidence, then inspect up to `limit` calls not inspected under this rule version."""
    sealed = audit_chain.seal(engine)
    store = Inspections(engine)
    versions: dict[str, str] = {}
    inspected = found = 0
    for attempt_id in store.uninspected(rules.version, campaign=campaign, limit=limit):
        facts = store.facts(attempt_id)
        if facts.script not in versions:
            versions[facts.script] = script_version(scripts_dir, facts.script) if scripts_dir else ""
        result = evaluate(facts, rules, versions[facts.script])
        store.record(result, script=facts.script)
        inspected, found = inspected + 1, found + len(result.findings)
    return InspectionSummary(sealed, inspected, found)


QA_JOB_ID = "qa_pass"


def install_qa_job(scheduler: Any, engine: Engine, scripts_dir: Path, *, every_seconds: int = 60) -> Any:
    """The daemon's inspection job: every minute, seal new evidence and inspect the calls that ended.
    A failing pass is logged and retried on the next tick; it never touches a live call."""
    from scheduler.jobs import install_pass

    rules = load_rules()

    def run() -> dict[str, int]:
        summary = run_pass(engine, rules, scripts_dir=scripts_dir)
        return {"inspected": summary.inspected, "findings": summary.findings, "sealed": summary.sealed}

    return install_pass(
        scheduler,
        run,
        job_id=QA_JOB_ID,
        name="quality inspection",
        event="qa.pass",
        every_seconds=every_seconds,
    )
