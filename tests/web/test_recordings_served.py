"""Recordings are served and exported only as WAV files inside the recordings directory. The probe: rows
naming `dialer.db` or a symlink to `web-secret` were served as audio/wav and packed into exports, and a row
pointing outside made the whole export fail."""

from __future__ import annotations

import csv
import io
import zipfile

import sqlalchemy as sa

from scheduler.ledger import RecordingInfo

from .conftest import ConsoleEnv


def hostile_rows(env: ConsoleEnv) -> dict[str, str]:
    """Recording rows for the answered call that are not recordings; name -> stored path."""
    data = env.settings.data_dir
    (data / "dialer.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    (data / "web-secret").write_text("k" * 64)
    rec = data / "recordings"
    (rec / "secret.wav").symlink_to(data / "web-secret")
    (rec / "notes.wav").write_text("not audio at all")
    outside = env.settings.data_dir.parent / "elsewhere"
    outside.mkdir()
    (outside / "x.wav").write_bytes((rec / f"{env.seeded.answered_attempt}.wav").read_bytes())
    (rec / "linked").symlink_to(outside, target_is_directory=True)
    rows = {
        "database": "dialer.db",
        "symlink": "recordings/secret.wav",
        "not wav": "recordings/notes.wav",
        "through a linked folder": "recordings/linked/x.wav",
        "missing": "recordings/gone.wav",
    }
    for path in rows.values():
        env.ledger.add_recording(env.seeded.answered_attempt, RecordingInfo(path, 1.0, 1, 8000, "0" * 64))
    with env.ledger.engine.begin() as conn:  # past the ledger's own check, as an old row might be
        conn.execute(
            sa.text(
                "INSERT INTO recordings (attempt_id, path, seconds, channels, sample_rate, sha256, "
                "created_at) VALUES (:a, '../elsewhere/x.wav', 1, 1, 8000, :s, CURRENT_TIMESTAMP)"
            ),
            {"a": env.seeded.answered_attempt, "s": "0" * 64},
        )
    rows["outside"] = "../elsewhere/x.wav"
    return rows


def test_only_wav_files_in_the_recordings_directory_are_served(sqlite_env: ConsoleEnv) -> None:
    env = sqlite_env
    rows = hostile_rows(env)
    admin = env.client("admin")
    attempt = env.seeded.answered_attempt
    good = admin.get(f"/calls/{attempt}/recording/0")
    assert good.status_code == 200 and good.content[:4] == b"RIFF"
    reasons = {}
    for index in range(1, len(rows) + 1):
        response = admin.get(f"/calls/{attempt}/recording/{index}", headers={"accept": "application/json"})
        assert response.status_code == 404, (index, response.status_code)
        assert b"SQLite" not in response.content and b"kkkk" not in response.content
        reasons[index] = response.text
    text = "\n".join(reasons.values())
    for reason in ("not in the recordings directory", "symbolic link", "not a WAV file", "missing"):
        assert reason in text


def test_the_export_skips_and_reports_what_is_not_a_recording(sqlite_env: ConsoleEnv) -> None:
    env = sqlite_env
    rows = hostile_rows(env)
    response = env.client("admin").get("/campaigns/june/export.zip?recordings=true")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    wavs = [n for n in archive.namelist() if n.startswith("recordings/")]
    assert wavs == [f"recordings/{env.seeded.answered_attempt}.wav"]
    skipped = list(csv.DictReader(io.StringIO(archive.read("recordings-skipped.csv").decode("utf-8-sig"))))
    assert len(skipped) == len(rows)
    assert all(r["attempt_id"] == str(env.seeded.answered_attempt) and r["reason"] for r in skipped)
    audit = next(a for a in env.ledger.list_audit(limit=5) if a.action == "export.calls")
    assert audit.detail["recordings_skipped"] == len(rows)
