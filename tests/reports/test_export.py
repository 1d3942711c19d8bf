"""`dialer export` on a seeded campaign: records, transcripts, recordings in one zip, checked by SHA-256."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path

import sqlalchemy as sa

from dialer.reports.export import COLUMNS, read_manifest, verify
from scheduler.db import create_engine
from scheduler.models import Account, AuditEntry, Recording
from tests.reports.conftest import Site
from tests.reports.seed import CAMPAIGN, EXPECTED


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _rows(archive: zipfile.ZipFile) -> list[dict[str, str]]:
    text = archive.read("calls.csv").decode("utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == COLUMNS
    return list(reader)


def _ledger_recordings(url: str) -> dict[str, str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(sa.select(Recording.path, Recording.sha256)).all())
    finally:
        engine.dispose()


def test_the_archive_holds_records_transcripts_and_recordings_with_a_true_manifest(
    seeded: Site, tmp_path: Path
) -> None:
    out = tmp_path / "export.zip"
    result = seeded.run("export", "--campaign", CAMPAIGN, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "7 attempts, 3 transcripts, 3 recordings" in result.output
    with zipfile.ZipFile(out) as archive:
        names = set(archive.namelist())
        rows = _rows(archive)
        wavs = {n: archive.read(n) for n in names if n.startswith("recordings/")}
        transcript = json.loads(archive.read("transcripts/attempt-1.json"))
        text = archive.read("transcripts/attempt-1.txt").decode()
        manifest_text = archive.read("manifest.json").decode()
    transcripts = {n for n in names if n.startswith("transcripts/")}
    assert len(transcripts) == 2 * EXPECTED["transcripts"] and len(wavs) == EXPECTED["recordings"]
    assert names == {"calls.csv", "plans.csv", "manifest.json"} | transcripts | set(wavs)

    assert [r["attempt_id"] for r in rows] == [str(i) for i in range(1, 8)]
    by_account = {(r["account_ref"], r["attempt_no"]): r for r in rows}
    first = by_account[("A1", "1")]
    assert first["disposition"] == "promise_to_pay" and first["number"] == "+16175550101"
    assert (first["promise_date"], first["promise_amount"], first["promise_currency"]) == (
        "2026-01-16",
        "120.50",
        "USD",
    )
    assert first["turns"] == "6" and first["transcript"] == "transcripts/attempt-1.txt"
    measured = ("machine", "opening_ms", "number_status_evidence")
    assert [first[k] for k in measured] == ["human", "800", "sip 200"]
    assert [by_account[("A3", "1")][k] for k in measured] == ["", "", "sip 480"]  # never answered
    assert [by_account[("A3", "2")][k] for k in measured] == ["", "", ""]  # not called yet
    assert by_account[("A3", "2")]["state"] == "queued" and by_account[("A3", "2")]["dialing_at"] == ""
    assert {r["disposition"] for r in rows if r["disposition"]} == set(EXPECTED["dispositions"])

    # every WAV is the recording the ledger points at, byte for byte
    ledger_sha = _ledger_recordings(seeded.url)
    assert sorted(_sha(b) for b in wavs.values()) == sorted(ledger_sha.values())
    assert sorted(_sha(p.read_bytes()) for p in seeded.recordings.values()) == sorted(ledger_sha.values())
    for row in rows:
        for name in row["recordings"].split():
            assert name in wavs

    assert [t["latency_ms"] for t in transcript["turns"] if t["speaker"] == "bot"] == [300, 500, 700]
    assert transcript["turns"][0]["start_s"] == 0.5 and transcript["promises"][0]["amount"] == "120.50"
    assert "[00:05.5]    bot: bot line 3  (500 ms)" in text
    assert "answered by human, opening after 800 ms" in text
    assert "[00:13.0] callee: callee line 6  (keys 1, intent affirm)" in text
    assert (transcript["machine"], transcript["opening_ms"]) == ("human", 800)
    assert [t["keys"] for t in transcript["turns"]] == [None] * 5 + ["1"]
    # what the bot heard, who heard it and how sure each side was
    assert (
        "callee: callee line 2  (intent affirm, heard by whisper-tiny.en 0.82, intent confidence 0.90)"
        in text
    )
    heard = transcript["turns"][1]
    assert (heard["heard_by"], heard["asr_confidence"], heard["no_speech_prob"]) == (
        "whisper-tiny.en",
        0.82,
        0.01,
    )
    assert (heard["intent"], heard["confidence"]) == ("affirm", 0.9)
    assert heard["heard_language"] is None
    spanish = transcript["turns"][3]
    assert (spanish["heard_language"], spanish["asr_confidence"]) == ("es", 0.31)
    assert "heard by whisper-tiny.en 0.31 as es" in text

    manifest = json.loads(manifest_text)
    assert manifest["campaign"]["name"] == CAMPAIGN
    assert manifest["counts"] == {
        "attempts": 7,
        "transcripts": 3,
        "recordings": 3,
        "missing_recordings": 0,
        "changed_recordings": 0,
        "files": len(names),
    }
    assert set(manifest["files"]) == names - {"manifest.json"}
    for name, wav in wavs.items():
        assert manifest["files"][name]["sha256"] == _sha(wav)
        assert manifest["files"][name]["source"] in seeded.recordings
    assert verify(out) == []
    backend = "postgresql" if seeded.url.startswith("postgresql") else "sqlite"
    assert manifest["settings"]["database_backend"] == backend
    assert seeded.url not in manifest_text and "dialer:dialer" not in manifest_text
    assert not out.with_name("export.zip.partial").exists()
    assert out.stat().st_mode & 0o077 == 0  # personal data: the owner's eyes only

    engine = create_engine(seeded.url)
    with engine.connect() as conn:
        audit = conn.execute(sa.select(AuditEntry.detail).where(AuditEntry.action == "export.calls")).one()
    engine.dispose()
    assert audit.detail["attempts"] == 7 and audit.detail["recordings"] == 3


def test_formula_looking_cells_are_neutralized(seeded_sqlite: Site, tmp_path: Path) -> None:
    engine = create_engine(seeded_sqlite.url)
    with engine.begin() as conn:  # a reference written through the API, not the importer
        conn.execute(sa.update(Account).where(Account.account_ref == "A2").values(account_ref="=1+2"))
    engine.dispose()
    out = tmp_path / "x.zip"
    assert seeded_sqlite.run("export", "--campaign", CAMPAIGN, "--out", str(out)).exit_code == 0
    with zipfile.ZipFile(out) as archive:
        refs = [r["account_ref"] for r in _rows(archive)]
    assert "'=1+2" in refs and "=1+2" not in refs


def test_missing_and_changed_recordings_are_reported_not_fatal(seeded_sqlite: Site, tmp_path: Path) -> None:
    gone, changed, _ = sorted(seeded_sqlite.recordings)
    seeded_sqlite.recordings[gone].unlink()
    seeded_sqlite.recordings[changed].write_bytes(b"RIFF not the recorded call")
    out = tmp_path / "x.zip"
    result = seeded_sqlite.run("export", "--campaign", CAMPAIGN, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "1 recordings are missing" in result.output and "1 recordings changed" in result.output
    manifest = read_manifest(out)
    assert manifest["missing_recordings"] == [gone] and manifest["changed_recordings"] == [changed]
    assert manifest["counts"]["recordings"] == 2 and manifest["counts"]["attempts"] == 7
    assert verify(out) == []


def test_verify_finds_a_tampered_archive(seeded_sqlite: Site, tmp_path: Path) -> None:
    out = tmp_path / "x.zip"
    assert seeded_sqlite.run("export", "--campaign", CAMPAIGN, "--out", str(out)).exit_code == 0
    tampered = tmp_path / "t.zip"
    with zipfile.ZipFile(out) as src, zipfile.ZipFile(tampered, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(
                item, data.replace(b"promise_to_pay", b"dispute") if item.filename == "calls.csv" else data
            )
    assert verify(tampered) == ["calls.csv: content differs from the manifest"]


def test_bad_requests_are_clear_errors_and_leave_no_file(seeded_sqlite: Site, tmp_path: Path) -> None:
    out = tmp_path / "x.zip"
    result = seeded_sqlite.run("export", "--campaign", "nope", "--out", str(out))
    assert result.exit_code == 1 and "no campaign named 'nope'" in result.output
    assert list(tmp_path.glob("x.zip*")) == []
    result = seeded_sqlite.run("export", "--campaign", CAMPAIGN, "--out", str(tmp_path / "no" / "x.zip"))
    assert result.exit_code == 1 and "does not exist" in result.output
    out.write_bytes(b"an earlier export")
    result = seeded_sqlite.run("export", "--campaign", CAMPAIGN, "--out", str(out))
    assert result.exit_code == 1 and "--force" in result.output
    assert out.read_bytes() == b"an earlier export"
    result = seeded_sqlite.run("export", "--campaign", CAMPAIGN, "--out", str(out), "--force", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["attempts"] == 7
    assert verify(out) == []


def test_an_empty_campaign_exports_a_header_and_a_manifest(empty: Site, tmp_path: Path) -> None:
    out = tmp_path / "empty.zip"
    result = empty.run("export", "--campaign", "empty", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "path": str(out),
        "campaign": "empty",
        "attempts": 0,
        "transcripts": 0,
        "recordings": 0,
        "missing_recordings": 0,
        "changed_recordings": 0,
        "files": 3,
    }
    with zipfile.ZipFile(out) as archive:
        assert sorted(archive.namelist()) == ["calls.csv", "manifest.json", "plans.csv"]
        assert _rows(archive) == []
    assert verify(out) == []
