"""`dialer report` on a seeded campaign: the numbers match the seed, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import struct
from pathlib import Path

import pytest
from alembic import command

from scheduler import migrations
from scheduler.db import create_engine
from scheduler.ledger import CampaignNotFound
from scheduler.reports import build_report, percentile
from tests.reports.conftest import Site
from tests.reports.seed import CAMPAIGN, EXPECTED, ZONE

NOW = dt.datetime(2026, 1, 13, 9, 0, tzinfo=dt.UTC)
SECTIONS = {
    "campaign",
    "state",
    "script",
    "timezone",
    "generated_at",
    "accounts",
    "amount_due",
    "attempts",
    "funnel",
    "dispositions",
    "answer_rate_by_hour",
    "turn_latency_ms",
    "opening_latency_ms",
    "data_quality",
}


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from the PNG's IHDR chunk; fails on anything that is not a PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG signature"
    assert data[12:16] == b"IHDR"
    assert data[-8:-4] == b"IEND", "the PNG is truncated"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_report_numbers_match_the_seed(seeded: Site) -> None:
    engine = create_engine(seeded.url)
    try:
        report = build_report(engine, CAMPAIGN, ZONE, NOW)
    finally:
        engine.dispose()
    assert list(report.funnel) == EXPECTED["funnel"]
    assert dict(report.dispositions) == EXPECTED["dispositions"]
    shares = {d: round(share, 3) for d, _, share in report.disposition_shares()}
    assert shares == {d: 0.167 for d in EXPECTED["dispositions"]}
    hours = {h.hour: (h.dialed, h.answered) for h in report.hours if h.dialed}
    assert hours == EXPECTED["hours"] and len(report.hours) == 24
    assert report.turn_latency.as_dict() == EXPECTED["turn_latency"]
    assert report.opening_latency.as_dict() == EXPECTED["opening_latency"]
    assert report.attempts == EXPECTED["attempts"]
    assert report.attempts_by_state == {"done": 6, "queued": 1}
    assert (report.dialed_attempts, report.answered_attempts) == (6, 3)
    assert report.accounts == 6 and str(report.amount_due["USD"]) == "430.50"
    (quality,) = report.quality
    assert quality.filename == "calls.csv" and quality.total == 7
    assert quality.numbers["invalid"] == 1 and quality.numbers["vacant"] == 1
    assert quality.numbers["valid"] == 5 and quality.checked_by_calls == 1
    assert sum(quality.line_types.values()) == 6


def test_calls_recorded_before_migration_0003_report_the_same_opening_latency(seeded: Site) -> None:
    engine = create_engine(seeded.url)
    try:
        with engine.begin() as conn:  # the ledger as 0002 left it: the measures only in the audit entries
            config = migrations.alembic_config(seeded.url)
            config.attributes["connection"] = conn
            command.downgrade(config, "0002")
        migrations.upgrade(seeded.url)
        report = build_report(engine, CAMPAIGN, ZONE, NOW)
    finally:
        engine.dispose()
    assert report.opening_latency.as_dict() == EXPECTED["opening_latency"]
    assert report.turn_latency.as_dict() == EXPECTED["turn_latency"]


def test_json_is_one_object_with_every_section_and_the_png_is_drawn(seeded: Site, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    result = seeded.run("report", "--campaign", CAMPAIGN, "--json", "--png", str(png))
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) >= SECTIONS and out["png"] == str(png)
    assert [(f["stage"], f["accounts"]) for f in out["funnel"]] == EXPECTED["funnel"]
    assert {d["disposition"]: d["count"] for d in out["dispositions"]} == EXPECTED["dispositions"]
    assert out["attempts"] == {
        "total": 7,
        "by_state": {"done": 6, "queued": 1},
        "dialed": 6,
        "answered": 3,
        "answer_rate": 0.5,
    }
    assert [h["hour"] for h in out["answer_rate_by_hour"]] == list(range(24))
    assert out["answer_rate_by_hour"][11] == {"hour": 11, "dialed": 2, "answered": 1, "rate": 0.5}
    assert out["turn_latency_ms"] == EXPECTED["turn_latency"]
    assert out["opening_latency_ms"] == EXPECTED["opening_latency"]
    assert out["data_quality"][0]["numbers"]["vacant"] == 1
    assert out["timezone"] == ZONE and out["amount_due"] == {"USD": "430.50"}
    assert png_size(png) == (1300, 850)
    assert 20_000 < png.stat().st_size < 1_000_000


def test_tables_show_the_figures(seeded_sqlite: Site) -> None:
    result = seeded_sqlite.run("report", "--campaign", CAMPAIGN)
    assert result.exit_code == 0, result.output
    text = result.output
    for expected in (
        "funnel (accounts)",
        "promise to pay",
        "answer rate by hour (America/New_York)",
        "10:00",
        "data quality per uploaded list",
        "calls.csv",
        "line type: fixed line or mobile",
    ):
        assert expected in text, expected
    latency_row = next(line for line in text.splitlines() if "bot turn" in line)
    assert [cell.strip() for cell in latency_row.split("│")[2:7]] == ["6", "400", "700", "700", "700"]
    assert "+1617" not in text  # the report never shows numbers


def test_an_empty_campaign_reports_zeros(empty: Site, tmp_path: Path) -> None:
    engine = create_engine(empty.url)
    try:
        report = build_report(engine, "empty", "UTC", NOW)
    finally:
        engine.dispose()
    assert [n for _, n in report.funnel] == [0] * 6
    assert report.dispositions == () and report.quality == ()
    assert report.turn_latency.as_dict() == {"count": 0, "p50": None, "p95": None, "p99": None, "max": None}
    png = tmp_path / "empty.png"
    result = empty.run("report", "--campaign", "empty", "--json", "--png", str(png))
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["attempts"]["total"] == 0 and out["attempts"]["answer_rate"] is None
    assert all(h["dialed"] == 0 and h["rate"] is None for h in out["answer_rate_by_hour"])
    assert png_size(png) == (1300, 850)
    text = empty.run("report", "--campaign", "empty")
    assert text.exit_code == 0 and "no ended attempts yet" in text.output


def test_a_campaign_that_does_not_exist_is_a_clear_error(seeded_sqlite: Site, tmp_path: Path) -> None:
    engine = create_engine(seeded_sqlite.url)
    with pytest.raises(CampaignNotFound):
        build_report(engine, "nope", ZONE, NOW)
    engine.dispose()
    png = tmp_path / "nope.png"
    result = seeded_sqlite.run("report", "--campaign", "nope", "--png", str(png))
    assert result.exit_code == 1
    assert "no campaign named 'nope'" in result.output
    assert not png.exists()


def test_no_database_and_a_missing_png_folder_are_clear_errors(seeded_sqlite: Site, tmp_path: Path) -> None:
    blank = Site(f"sqlite:///{tmp_path / 'absent.db'}", tmp_path / "d", {})
    result = blank.run("report", "--campaign", CAMPAIGN)
    assert result.exit_code == 1 and "no database at" in result.output
    assert not (tmp_path / "absent.db").exists()
    (tmp_path / "absent.db").write_bytes(b"")  # a database nobody migrated
    result = blank.run("export", "--campaign", CAMPAIGN, "--out", str(tmp_path / "x.zip"))
    assert result.exit_code == 1 and "schema is not current: run `dialer db upgrade`" in result.output
    result = seeded_sqlite.run("report", "--campaign", CAMPAIGN, "--png", str(tmp_path / "no" / "r.png"))
    assert result.exit_code == 1 and "does not exist" in result.output


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([5], 99) == 5.0
    values = list(range(1, 101))
    assert [percentile(values, q) for q in (50, 95, 99, 100)] == [50.0, 95.0, 99.0, 100.0]
    assert percentile([300, 700, 500, 400], 50) == 400.0
