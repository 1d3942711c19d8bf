"""`dialer qa run|report|verdict` on seeded calls: every seeded violation found, nothing on the clean calls,
verdicts counted; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

from tests.qa.seed import CALLS, expected, seed
from tests.reports.conftest import Site


def _found(site: Site) -> dict[str, set[str]]:
    result = site.run("qa", "report", "--campaign", "qa-demo", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    found: dict[str, set[str]] = {}
    for item in report["items"]:
        found.setdefault(item["account_ref"], set()).add(item["rule"])
    return found


def test_report_finds_every_seeded_violation_and_nothing_on_clean_calls(
    qa_site: tuple[Site, dict[str, int]], tmp_path: Path
) -> None:
    site, _ = qa_site
    result = site.run("qa", "run", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["inspected"] == len(CALLS)
    assert summary["sealed"] > len(CALLS)  # policy decisions, outcomes and recordings at least
    found = _found(site)
    for account, rules in expected().items():
        assert found.get(account, set()) == set(rules), (
            f"{account}: {next(c.why for c in CALLS if c.account == account)}"
        )
    every_rule = set().union(*expected().values())
    assert len(every_rule) == 12  # each rule of the file is broken by some seeded call
    again = json.loads(site.run("qa", "run", "--json").output)
    assert again["inspected"] == 0  # inspected once per rule version

    png = tmp_path / "trends.png"
    report = json.loads(site.run("qa", "report", "--json", "--png", str(png)).output)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert report["calls"] == len(CALLS)
    assert report["clean"] == sum(1 for c in CALLS if not c.expected)
    assert report["by_rule"]["request_honoured"]["findings"] == 1
    table = site.run("qa", "report", "--campaign", "qa-demo")
    assert "request_honoured" in table.output and "findings by rule" in table.output


def test_verdicts_are_stored_counted_and_exported_with_the_chain_segment(
    qa_site: tuple[Site, dict[str, int]], tmp_path: Path
) -> None:
    site, attempts = qa_site
    assert site.run("qa", "run").exit_code == 0
    items = json.loads(site.run("qa", "report", "--json").output)["items"]
    first, second = items[0]["id"], items[1]["id"]
    refused = site.run("qa", "verdict", str(second), "dismiss")
    assert refused.exit_code != 0 and "needs a note" in refused.output
    assert site.run("qa", "verdict", str(first), "confirm").exit_code == 0
    assert (
        site.run("qa", "verdict", str(second), "dismiss", "--note", "the callee asked twice").exit_code == 0
    )
    report = json.loads(site.run("qa", "report", "--json").output)
    assert report["verdicts"] == {"open": report["findings"] - 2, "confirmed": 1, "dismissed": 1}
    statuses = {i["id"]: i["status"] for i in report["items"]}
    assert statuses[first] == "confirm" and statuses[second] == "dismiss"
    import sqlalchemy as sa

    from scheduler.db import create_engine
    from scheduler.models import AuditEntry

    engine = create_engine(site.url)
    try:
        with engine.connect() as conn:
            audited = conn.execute(
                sa.select(AuditEntry.detail).where(AuditEntry.action == "qa.verdict").order_by(AuditEntry.id)
            ).scalars()
            assert [(d["finding"], d["verdict"]) for d in audited] == [
                (first, "confirm"),
                (second, "dismiss"),
            ]
    finally:
        engine.dispose()

    import csv
    import io
    import zipfile

    from dialer.reports.export import verify

    out = tmp_path / "qa.zip"
    result = site.run("export", "--campaign", "qa-demo", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert verify(out) == []
    with zipfile.ZipFile(out) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("qa/findings.csv").decode("utf-8-sig"))))
        chain = archive.read("audit_chain.jsonl").decode()
        manifest = json.loads(archive.read("manifest.json"))
        how = archive.read("VERIFY.txt").decode()
    assert {(r["account_ref"], r["rule"]) for r in rows} == {
        (c.account, rule) for c in CALLS for rule in c.expected
    }
    dismissed = next(r for r in rows if r["finding_id"] == str(second))
    assert (dismissed["status"], dismissed["note"]) == ("dismiss", "the callee asked twice")
    subjects = {json.loads(line)["subject"] for line in chain.splitlines()}
    assert subjects == {f"attempt:{a}" for a in attempts.values()}
    assert manifest["evidence"]["findings"] == len(rows) and "dialer audit verify --segment" in how
    segment = tmp_path / "audit_chain.jsonl"
    segment.write_text(chain)
    assert site.run("audit", "verify", "--segment", str(segment)).exit_code == 0


def test_a_bad_rule_file_names_file_and_line(sqlite_url: str, tmp_path: Path) -> None:
    site = Site(sqlite_url, tmp_path / "data", {})  # the rule file is read before the database
    from dialer.qa.rules import DEFAULT_RULES

    text = DEFAULT_RULES.read_text().replace("- id: dead_air", "- id: dead_air_typo")
    bad = tmp_path / "rules.yaml"
    bad.write_text(text)
    result = site.run("qa", "run", "--rules", str(bad))
    assert result.exit_code != 0
    line = text.splitlines().index("  - id: dead_air_typo") + 1
    assert f"{bad}:{line}" in result.output and "dead_air_typo" in result.output


def test_a_new_rule_version_inspects_again(sqlite_url: str, tmp_path: Path) -> None:
    site, version = Site(sqlite_url, tmp_path / "data", {}), "2099.1"
    seed(sqlite_url, site.data_dir, tmp_path)
    assert json.loads(site.run("qa", "run", "--json").output)["inspected"] == len(CALLS)
    from dialer.qa.rules import DEFAULT_RULES

    newer = tmp_path / "rules.yaml"
    newer.write_text(DEFAULT_RULES.read_text().replace('version: "2026.12.1"', f'version: "{version}"'))
    again = json.loads(site.run("qa", "run", "--json", "--rules", str(newer)).output)
    assert again["inspected"] == len(CALLS) and again["rules_version"] == version
    report = json.loads(site.run("qa", "report", "--json").output)
    assert report["calls"] == len(CALLS)  # the newest inspection of each call counts, once
    assert {i["rules_version"] for i in report["items"]} == {version}
