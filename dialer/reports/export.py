"""`dialer export`: one archive with a campaign's call records, transcripts and recordings, and a manifest.

    FILE.zip
      calls.csv                       one row per attempt (full numbers: the operator's own data), formula
                                      cells neutralized as in the console's export
      transcripts/attempt-N.txt|json  each call that has turns: who said what or keyed in, when, intents,
                                      latencies; machine detection and opening latency
      recordings/attempt-N-K.wav      the call's recordings, copied byte for byte from the data directory
      manifest.json                   campaign and its settings, counts, bytes and SHA-256 of every file,
                                      recordings missing from disk or changed since the call was recorded
      qa/, audit_chain.jsonl          inspection findings and verdicts, the audit-chain segment of these
                                      calls and how to verify it (dialer.qa.evidence), when there are any

One pass over the ledger fills everything (records and recordings together); the CSV is spooled to a
temporary file because a zip takes one open entry at a time. The archive is written as FILE.zip.partial
and renamed when complete, so a failed export never leaves a truncated FILE.zip behind. No credentials go
in: the manifest names the database backend, never its URL.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO, Any

from dialer.qa.evidence import pack_evidence
from dialer.settings import Settings
from scheduler.db import Engine
from scheduler.importing.values import neutralize
from scheduler.ledger import AuditRecord, CampaignInfo
from scheduler.plans import PLAN_COLUMNS, campaign_plan_parts
from scheduler.report_records import (
    CALL_COLUMNS,
    MEASURE_COLUMNS,
    CallExport,
    CallExports,
    TurnRecord,
    call_cells,
    measure_cells,
)
from scheduler.sql_ledger import SqlLedger

FORMAT = "reminder-dialer export 2"  # 2: measure columns, turn keys
COLUMNS = (
    *CALL_COLUMNS,
    *MEASURE_COLUMNS,
    "promise_date",
    "promise_amount",
    "promise_currency",
    "callback_at",
    "turns",
    "transcript",
    "recordings",
)
CHUNK = 1 << 16

Progress = Callable[[int, int], None]  # (attempts done, attempts in all)


class ExportError(Exception):
    """The archive cannot be written (the output folder is missing, the disk is full...)."""


@dataclass
class ExportSummary:
    path: Path
    campaign: str
    exported_at: dt.datetime
    attempts: int = 0
    transcripts: int = 0
    recordings: int = 0
    missing_recordings: list[str] = field(default_factory=list)  # ledger paths not on disk
    changed_recordings: list[str] = field(default_factory=list)  # on disk, SHA-256 differs from the ledger
    files: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> bytes, sha256

    def counts(self) -> dict[str, int]:
        return {
            "attempts": self.attempts,
            "transcripts": self.transcripts,
            "recordings": self.recordings,
            "missing_recordings": len(self.missing_recordings),
            "changed_recordings": len(self.changed_recordings),
            "files": len(self.files) + 1,  # and the manifest
        }


def write_export(
    engine: Engine,
    settings: Settings,
    campaign: str,
    out: Path,
    now: dt.datetime,
    *,
    actor: str = "operator",
    progress: Progress | None = None,
) -> ExportSummary:
    """Write the archive of `campaign` to `out`; `CampaignNotFound`, `BackendError` or `ExportError`."""
    ledger = SqlLedger(engine)
    info = ledger.get_campaign(campaign)
    queries = CallExports(engine)
    total = queries.count_attempts(info.id)
    if not out.parent.is_dir():
        raise ExportError(f"the folder {out.parent} does not exist")
    partial = out.with_name(out.name + ".partial")
    summary = ExportSummary(out, info.name, now)
    try:
        with (
            tempfile.TemporaryFile("w+", encoding="utf-8", newline="", dir=out.parent) as table,
            zipfile.ZipFile(_private(partial), "w", zipfile.ZIP_DEFLATED) as archive,
        ):
            writer = csv.writer(table)
            writer.writerow(COLUMNS)
            if progress is not None:
                progress(0, total)
            exported: list[int] = []
            for done, record in enumerate(queries.campaign_calls(info.id), start=1):
                writer.writerow(_row(record, _pack_call(archive, settings.data_dir, record, summary)))
                exported.append(record.call["id"])
                summary.attempts = done
                if progress is not None:
                    progress(done, total)
            table.seek(0)
            _add(archive, "calls.csv", _chunks_of(table, prefix="\ufeff"), summary)
            _add_plans(archive, engine, info.name, summary)
            evidence = pack_evidence(engine, info.name, exported, lambda n, c: _add(archive, n, c, summary))
            manifest = {**_manifest(info, settings, now, summary), "evidence": evidence}
            archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    ledger.append_audit(
        AuditRecord(
            actor, "export.calls", f"campaign:{info.id}", detail={"format": FORMAT, **summary.counts()}
        )
    )
    return summary


def _add_plans(archive: zipfile.ZipFile, engine: Engine, campaign: str, summary: ExportSummary) -> None:
    """plans.csv: every part of every payment plan (plan, account, part, parts, date, amount, ...)."""
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(PLAN_COLUMNS)
    for part in campaign_plan_parts(engine, campaign):
        writer.writerow([neutralize(str(v if v is not None else "")) for v in part.as_dict().values()])
    _add(archive, "plans.csv", [("\ufeff" + text.getvalue()).encode("utf-8")], summary)


def _private(path: Path) -> Path:
    """Create `path` readable by its owner only: the archive holds names, numbers and voices."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    os.chmod(path, 0o600)
    return path


def _pack_call(
    archive: zipfile.ZipFile, data_dir: Path, record: CallExport, summary: ExportSummary
) -> dict[str, str]:
    """Transcript and recordings of one call into the archive; the names they got there."""
    attempt_id = record.call["id"]
    names: dict[str, str] = {"transcript": "", "recordings": ""}
    if record.turns:
        stem = f"transcripts/attempt-{attempt_id}"
        _add(archive, f"{stem}.txt", [_transcript_text(record).encode()], summary)
        _add(
            archive,
            f"{stem}.json",
            [json.dumps(_transcript_json(record), indent=2, ensure_ascii=False).encode()],
            summary,
        )
        names["transcript"] = f"{stem}.txt"
        summary.transcripts += 1
    packed = []
    for k, rec in enumerate(record.recordings, start=1):
        source = _inside(data_dir, rec.path)
        if source is None or not source.is_file():
            summary.missing_recordings.append(rec.path)
            continue
        name = f"recordings/attempt-{attempt_id}-{k}.wav"
        with source.open("rb") as f:
            digest = _add(archive, name, iter(lambda: f.read(CHUNK), b""), summary, zipfile.ZIP_STORED)
        if digest != rec.sha256:
            summary.changed_recordings.append(rec.path)
        summary.files[name]["source"] = rec.path
        summary.recordings += 1
        packed.append(name)
    names["recordings"] = " ".join(packed)
    return names


def _inside(data_dir: Path, relative: str) -> Path | None:
    """A ledger recording path resolved inside the data directory; None when it points outside."""
    root = data_dir.resolve()
    full = (root / relative).resolve()
    return full if full.is_relative_to(root) else None


def _add(
    archive: zipfile.ZipFile,
    name: str,
    chunks: Iterable[bytes],
    summary: ExportSummary,
    compression: int = zipfile.ZIP_DEFLATED,
) -> str:
    """Stream `chunks` into the archive as `name`, noting its size and SHA-256 for the manifest."""
    digest, size = hashlib.sha256(), 0
    info = zipfile.ZipInfo(name, date_time=summary.exported_at.timetuple()[:6])
    info.compress_type = compression
    with archive.open(info, "w", force_zip64=True) as entry:
        for chunk in chunks:
            entry.write(chunk)
            digest.update(chunk)
            size += len(chunk)
    summary.files[name] = {"bytes": size, "sha256": digest.hexdigest()}
    return digest.hexdigest()


def _chunks_of(text: IO[str], prefix: str = "") -> Iterable[bytes]:
    if prefix:
        yield prefix.encode()
    while block := text.read(CHUNK):
        yield block.encode()


def _iso(value: dt.datetime | None) -> str:
    return value.isoformat() if value else ""


def _row(record: CallExport, names: dict[str, str]) -> list[str]:
    promise = record.promises[-1] if record.promises else None
    extra: list[object] = [
        promise.promised_date.isoformat() if promise else "",
        str(promise.amount) if promise else "",
        promise.currency if promise else "",
        _iso(record.callbacks[-1]) if record.callbacks else "",
        len(record.turns),
        names["transcript"],
        names["recordings"],
    ]
    return [
        *call_cells(record.call, record.call["e164"]),
        *measure_cells(record.call),
        *(neutralize(str(v)) for v in extra),
    ]


def _offset(record: CallExport, at: dt.datetime) -> float:
    base = record.call["answered_at"] or record.turns[0].started_at
    return (at - base).total_seconds()


def _transcript_text(record: CallExport) -> str:
    c = record.call
    opening = f"{c['opening_ms']} ms" if c["opening_ms"] is not None else "-"
    lines = [
        f"attempt {c['id']} of campaign {c['campaign']}, account {c['account_ref']}",
        f"answered {_iso(c['answered_at']) or '-'}, disposition {c['disposition'] or '-'}",
        f"answered by {c['machine'] or '-'}, opening after {opening}",
        "",
    ]
    for t in record.turns:
        seconds = _offset(record, t.started_at)
        notes = [
            f"keys {t.keys}" if t.keys else "",
            f"intent {t.intent}" if t.intent else "",
            _heard(t),
            f"{t.latency_ms} ms" if t.latency_ms is not None else "",
        ]
        extra = f"  ({', '.join(n for n in notes if n)})" if any(notes) else ""
        lines.append(f"[{int(seconds // 60):02d}:{seconds % 60:04.1f}] {t.speaker.value:>6}: {t.text}{extra}")
    return "\n".join(lines) + "\n"


def _heard(t: TurnRecord) -> str:
    """Who heard a callee turn and how sure it was, beside the dialogue's intent and confidence."""
    if not t.heard_by:
        return ""
    asr = f" {t.asr_confidence:.2f}" if t.asr_confidence is not None else ""
    asr += f" as {t.heard_language}" if t.heard_language else ""
    decided = f", intent confidence {t.confidence:.2f}" if t.intent and t.confidence is not None else ""
    return f"heard by {t.heard_by}{asr}{decided}"


def _transcript_json(record: CallExport) -> dict[str, Any]:
    c = record.call
    return {
        "attempt_id": c["id"],
        "campaign": c["campaign"],
        "account_ref": c["account_ref"],
        "answered_at": _iso(c["answered_at"]) or None,
        "disposition": c["disposition"],
        "machine": c["machine"],
        "opening_ms": c["opening_ms"],
        "turns": [
            {
                "seq": t.seq,
                "speaker": t.speaker.value,
                "text": t.text,
                "start_s": round(_offset(record, t.started_at), 3),
                "end_s": round(_offset(record, t.ended_at), 3) if t.ended_at else None,
                "intent": t.intent,
                "confidence": t.confidence,
                "latency_ms": t.latency_ms,
                "keys": t.keys or None,
                "heard_by": t.heard_by or None,
                "asr_confidence": t.asr_confidence,
                "no_speech_prob": t.no_speech_prob,
                "heard_language": t.heard_language or None,
            }
            for t in record.turns
        ],
        "promises": [
            {
                "date": p.promised_date.isoformat(),
                "amount": str(p.amount),
                "currency": p.currency,
                "status": p.status,
            }
            for p in record.promises
        ],
        "callbacks": [_iso(at) for at in record.callbacks],
    }


def _version() -> str:
    try:
        return metadata.version("reminder-dialer")
    except metadata.PackageNotFoundError:
        return "unknown"


def _manifest(
    info: CampaignInfo, settings: Settings, now: dt.datetime, summary: ExportSummary
) -> dict[str, Any]:
    from scheduler.db import normalize_url

    return {
        "format": FORMAT,
        "exported_at": now.isoformat(),
        "dialer_version": _version(),
        "campaign": {
            "name": info.name,
            "state": info.state,
            "script": info.script,
            "profiles": list(info.profiles),
            "calling_window": [info.window_from, info.window_to],
            "max_attempts_per_day": info.max_attempts_per_day,
            "max_attempts_total": info.max_attempts_total,
            "retry_policy": info.retry_policy,
            "trunk": info.trunk,
            "voicemail_policy": info.voicemail_policy,
            "created_at": info.created_at.isoformat(),
        },
        "settings": {
            "operator_timezone": settings.operator_timezone,
            "database_backend": normalize_url(settings.database_url).get_backend_name(),
            "session": settings.session.model_dump(mode="json"),
        },
        "counts": summary.counts(),
        "missing_recordings": summary.missing_recordings,
        "changed_recordings": summary.changed_recordings,
        "files": dict(sorted(summary.files.items())),
    }


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of an export archive (for checks and tests)."""
    with zipfile.ZipFile(path) as archive:
        return dict(json.loads(archive.read("manifest.json")))


def verify(path: Path) -> list[str]:
    """Files of the archive whose size or SHA-256 differs from the manifest, or that are missing from
    either side; an empty list when the archive is whole."""
    problems = []
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        listed = manifest["files"]
        present = set(archive.namelist()) - {"manifest.json"}
        problems += [f"{name}: not in the manifest" for name in sorted(present - set(listed))]
        for name, facts in sorted(listed.items()):
            if name not in present:
                problems.append(f"{name}: missing from the archive")
                continue
            digest = hashlib.sha256()
            with archive.open(name) as f:
                for block in iter(lambda: f.read(CHUNK), b""):
                    digest.update(block)
            if digest.hexdigest() != facts["sha256"] or archive.getinfo(name).file_size != facts["bytes"]:
                problems.append(f"{name}: content differs from the manifest")
    return problems
