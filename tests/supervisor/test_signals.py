"""SIGTERM drains (live calls finish, paced claims are released, exit 0); the metrics endpoint counts;
SIGHUP reloads the policy profiles and the call scripts."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import signal
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler.db import create_engine
from scheduler.models import Account, Attempt, AuditEntry
from tests.sip.peers import Procs

from .conftest import REPO, Daemon, make_daemon, next_ports, start_peer
from .ledger_seed import attempt_rows, place_open_now, seed_campaign


def _wait(predicate: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _denials(url: str) -> set[tuple[str, str]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.select(AuditEntry.subject, AuditEntry.rule).where(AuditEntry.action == "policy.deny")
            ).all()
        return {(str(a), str(b)) for a, b in rows}
    finally:
        engine.dispose()


def _metric(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name)}{re.escape(labels)} ([0-9.e+-]+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else 0.0


@pytest.mark.sip
def test_sigterm_lets_live_calls_finish_releases_paced_claims_and_exits_0(
    tmp_path: Path, procs: Procs, shared_dir: Path, callee_ulaw: Path, daemons: list[Daemon]
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    numbers = seed_campaign(url, 4)
    ports = next_ports()
    peer = start_peer(procs, shared_dir, tmp_path, ports, callee_ulaw)
    # one call start per 5 s on the trunk: one call goes live, three claims wait for the pacer
    daemon = make_daemon(tmp_path, url, ports, cps=0.2, DIALER_RUN__HANDLER_OPTIONS__SECONDS="4")
    daemons.append(daemon)
    daemon.start()
    daemon.wait_log(r"event=call\.dialled")
    # the loop dials its first claim before it has loaded the other three: wait until all are held
    _wait(lambda: json.loads(daemon.get("/healthz")[1])["claims_held"] == 3, 5, "three paced claims")
    code, body = daemon.get("/healthz")
    health = json.loads(body)
    assert code == 200 and health["status"] == "ok" and health["calls_live"] == 1
    assert health["claims_held"] == 3 and len(health["workers"]) == 2
    _, metrics = daemon.get("/metrics")
    assert _metric(metrics, "dialer_claims_total") == 4
    assert _metric(metrics, "dialer_calls_live") == 1
    daemon.signal(signal.SIGTERM)
    _wait(lambda: daemon.get("/healthz")[0] == 503, 5, "/healthz to say draining")
    assert json.loads(daemon.get("/healthz")[1])["status"] == "draining"
    code, _ = daemon.finish(timeout=30)
    assert code == 0, daemon.text()[-3000:]
    rows = attempt_rows(url)
    done = [r for r in rows if r["state"] == "done"]
    assert len(done) == 1 and done[0]["disposition"], rows  # the live call finished and was recorded
    released = [r for r in rows if r["state"] == "queued"]
    assert len(released) == 3 and all(r["lease_owner"] is None for r in released)
    assert peer.invites() == {str(done[0]["e164"]): 1}  # nothing else was dialled
    assert set(numbers.values()) == {r["e164"] for r in rows}
    log = daemon.text()
    assert "event=drain.start live=1" in log and "event=run.stopped by=SIGTERM recorded=1 released=3" in log


@pytest.mark.sip
def test_metrics_count_attempts_by_disposition_and_claim_denials(
    tmp_path: Path, procs: Procs, shared_dir: Path, callee_ulaw: Path, daemons: list[Daemon]
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    seed_campaign(url, 4)
    engine = create_engine(url)
    with engine.begin() as conn:  # an attempt queued before its account was disputed: denied at claim
        conn.execute(sa.update(Account).where(Account.id == 1).values(status="disputed"))
        conn.execute(
            sa.insert(Attempt).values(
                campaign_id=1, account_id=1, contact_number_id=1, scheduled_at=dt.datetime.now(dt.UTC)
            )
        )
    engine.dispose()
    ports = next_ports()
    start_peer(procs, shared_dir, tmp_path, ports, callee_ulaw)
    daemon = make_daemon(tmp_path, url, ports)
    daemons.append(daemon)
    daemon.start()
    daemon.wait_log(r"event=call\.ended", count=3)
    _, metrics = daemon.get("/metrics")
    ended = sum(
        float(v)
        for v in re.findall(r'^dialer_attempts_total\{disposition="[a-z_]+"\} ([0-9.]+)$', metrics, re.M)
    )
    assert ended == 3
    assert _metric(metrics, "dialer_calls_live") == 0
    assert _metric(metrics, "dialer_claims_total") == 3
    assert _metric(metrics, "dialer_turn_latency_seconds_count") == 3  # one timed bot turn per call
    assert _metric(metrics, "dialer_turn_latency_seconds_bucket", '{le="0.4"}') == 3  # 300 ms each
    assert _metric(metrics, "dialer_turn_latency_seconds_bucket", '{le="0.2"}') == 0
    assert _metric(metrics, "dialer_asr_errors_total") == 3
    assert _metric(metrics, "dialer_attempts_total", '{disposition="refused"}') == 3
    assert _metric(metrics, "dialer_denials_total", '{rule="ACCOUNT"}') == 1
    code, _ = daemon.get("/nothing")
    assert code == 404
    daemon.signal(signal.SIGTERM)
    assert daemon.finish(timeout=30)[0] == 0


SITE_QUIET = """\
id = "SITE-QUIET"
version = "2026.9"
name = "Site quiet day"
applies_to = ["*"]

[[rules]]
id = "SITE-QUIET"
kind = "window"
from = "00:00"
to = "00:30"
summary = "this site calls only just after midnight (a test of reloading)"
source = "site policy"
"""


@pytest.mark.sip
def test_sighup_reloads_profiles_at_once_and_recycles_workers_after_live_calls(
    tmp_path: Path, procs: Procs, shared_dir: Path, callee_ulaw: Path, daemons: list[Daemon]
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    place = place_open_now()
    seed_campaign(url, 2, place=place)
    site = tmp_path / "site-profiles"
    site.mkdir()
    scripts = tmp_path / "scripts"
    shutil.copytree(REPO / "scripts" / "reminder-en", scripts / "reminder-en")
    domain = scripts / "reminder-en" / "domain.yml"
    ports = next_ports()
    peer = start_peer(procs, shared_dir, tmp_path, ports, callee_ulaw)
    daemon = make_daemon(
        tmp_path,
        url,
        ports,
        DIALER_SCHEDULER__PROFILES_DIR=str(site),
        DIALER_DIALOGUE__SCRIPTS_DIR=str(scripts),
    )
    daemons.append(daemon)
    daemon.start()
    daemon.wait_log(r"event=call\.ended", count=2)
    pids = json.loads(daemon.get("/healthz")[1])["workers"]
    (site / "quiet.toml").write_text(SITE_QUIET.replace('source = "site policy"', ""))
    daemon.signal(signal.SIGHUP)  # a broken profile file: said so, the old profiles stay
    daemon.wait_log(r"event=reload\.failed what=profiles reason=.*quiet\.toml: rule 1 \(SITE-QUIET\)")
    good = domain.read_text()
    domain.write_text(good + "\nresponses: [oops\n")  # a broken script: said so, the workers stay
    (site / "quiet.toml").write_text(SITE_QUIET)
    daemon.signal(signal.SIGHUP)
    daemon.wait_log(r"event=reload\.failed what=script reason=reminder-en: .*domain\.yml")
    assert json.loads(daemon.get("/healthz")[1])["workers"] == pids
    domain.write_text(good)
    daemon.signal(signal.SIGHUP)
    daemon.wait_log(r"event=reload\.done workers=recycled")
    log = daemon.text()
    assert re.search(r"event=reload\.profiles profiles=\d+ versions=.*SITE-QUIET@2026\.9", log)
    assert "event=reload.scripts scripts=reminder-en" in log
    new_pids = json.loads(daemon.get("/healthz")[1])["workers"]
    assert len(new_pids) == 2 and not set(new_pids) & set(pids)
    # a debtor added now is planned under the site's new rule: denied (audited), never dialled
    seed_campaign(url, 1, name="later", place=place, start=500)
    daemon.wait_log(r"planner tick: \{'campaigns': 2")
    assert ("account:later-000", "SITE-QUIET") in _denials(url)
    assert not [r for r in attempt_rows(url) if str(r["e164"]).endswith("0500")]
    assert all(not n.endswith("0500") for n in peer.invites())
    daemon.signal(signal.SIGTERM)
    assert daemon.finish(timeout=30)[0] == 0


@pytest.mark.sip
def test_calls_still_live_when_the_drain_runs_out_end_as_interrupted(
    tmp_path: Path, procs: Procs, shared_dir: Path, callee_ulaw: Path, daemons: list[Daemon]
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    seed_campaign(url, 1)
    ports = next_ports()
    start_peer(procs, shared_dir, tmp_path, ports, callee_ulaw)
    daemon = make_daemon(
        tmp_path, url, ports, DIALER_RUN__DRAIN_SECONDS="1", DIALER_RUN__HANDLER_OPTIONS__SECONDS="30"
    )
    daemons.append(daemon)
    daemon.start()
    daemon.wait_log(r"event=call\.dialled")
    time.sleep(1.0)
    daemon.signal(signal.SIGTERM)
    code, _ = daemon.finish(timeout=30)
    assert code == 0, daemon.text()[-3000:]
    assert [(r["state"], r["disposition"]) for r in attempt_rows(url)] == [("interrupted", "interrupted")]
