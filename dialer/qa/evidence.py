"""What `dialer export` adds about quality inspection and evidence, for the exported calls:

    qa/findings.csv      each finding with its rule, severity, turn, score and the reviewer's verdict
    qa/inspections.csv   each inspected call's score, rule version and script version
    audit_chain.jsonl    the hash-chain entries about these calls (dial decisions, outcomes, recordings,
                         disclosures played, findings), one JSON object a line, each with its hashes
    VERIFY.txt           how to check the segment, offline and against the ledger

The files are written only when there is something to put in them (a campaign never inspected or sealed
exports as before); the manifest lists them with their SHA-256 like every other file.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from scheduler import audit_chain
from scheduler.db import Engine
from scheduler.importing.values import neutralize
from scheduler.qa_queries import QaQueries, QueueFilter

FINDING_COLUMNS = (
    "finding_id", "attempt_id", "account_ref", "rule", "severity", "turn", "at_s", "message", "score",
    "rules_version", "script", "script_version", "status", "reviewer", "note", "verdict_at",
)  # fmt: skip
INSPECTION_COLUMNS = (
    "attempt_id",
    "score",
    "findings",
    "rules_version",
    "script",
    "script_version",
    "inspected_at",
)
VERIFY_TEXT = """This archive holds the audit-chain entries about its calls (audit_chain.jsonl): every dial
decision and call outcome, each recording's SHA-256, each required disclosure played (start and end, in
seconds since the answer) and each quality-inspection finding. Each entry carries the hash of the entry
before it in the ledger's chain and its own hash over its content.

  dialer audit verify --segment audit_chain.jsonl --offline  each entry's hash recomputes from its content
  dialer audit verify --segment audit_chain.jsonl            ... and the ledger's chain still holds each
  dialer audit verify                                        the ledger's whole chain, link by link

Chain head at export: {head} ({entries} entries). Note it down: a later chain must still contain it.
"""

Add = Callable[[str, Iterable[bytes]], Any]


def pack_evidence(engine: Engine, campaign: str, attempt_ids: Sequence[int], add: Add) -> dict[str, int]:
    """Write the evidence files for these calls through `add(name, chunks)`; counts for the manifest."""
    wanted = set(attempt_ids)
    queries = QaQueries(engine)
    findings = [
        f
        for f in queries.findings(QueueFilter(campaign=campaign), limit=10_000_000)
        if f["attempt_id"] in wanted
    ]
    inspections = [i for i in queries.inspections(campaign) if i["attempt_id"] in wanted]
    if inspections:
        add(
            "qa/inspections.csv",
            [_csv(INSPECTION_COLUMNS, ([i[k] for k in INSPECTION_COLUMNS] for i in inspections))],
        )
        add("qa/findings.csv", [_csv(FINDING_COLUMNS, (_finding_row(f) for f in findings))])
    rows = audit_chain.segment(engine, [f"attempt:{i}" for i in sorted(wanted)])
    if rows:
        add(
            "audit_chain.jsonl",
            [("".join(json.dumps(r.as_json(), ensure_ascii=False) + "\n" for r in rows)).encode()],
        )
        result = audit_chain.verify(engine)
        add("VERIFY.txt", [VERIFY_TEXT.format(head=result.head, entries=result.entries).encode()])
    return {"inspections": len(inspections), "findings": len(findings), "chain_entries": len(rows)}


def _finding_row(f: dict[str, Any]) -> list[Any]:
    v = f["verdict"] or {}
    return [
        f["id"], f["attempt_id"], f["account_ref"], f["rule"], f["severity"], f["seq"], f["at_s"],
        f["message"], f["score"], f["rules_version"], f["script"], f["script_version"], f["status"],
        v.get("reviewer", ""), v.get("note", ""), v["at"].isoformat() if v.get("at") else "",
    ]  # fmt: skip


def _csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralize("" if v is None else str(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode()
