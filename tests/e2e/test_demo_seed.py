"""The demo's region choice and data folder, before any call: the real policy engine, importer and planner."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from dialer.callee.routes import load_routes
from dialer.demo.cast import CAST, ZH_CAST, account_ref, persona_of
from dialer.demo.regions import CANDIDATES, NoOpenRegion, choose_region
from dialer.demo.seed import MARKER, DemoError, Ports, numbers, prepare_folder, seed
from scheduler.policy import load_profiles

from .conftest import PERSONAS, dialer

NOW = dt.datetime(2026, 11, 30, 15, 0, tzinfo=dt.UTC)  # a Monday


def test_some_region_is_open_at_every_hour_of_a_week() -> None:
    profiles = load_profiles()
    start = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    chosen = set()
    for step in range(7 * 48):
        now = start + dt.timedelta(minutes=30 * step)
        choice = choose_region(profiles, now)
        assert choice.decision.allow, now
        chosen.add(choice.region.label)
    assert len(chosen) >= 3  # the choice really moves with the clock


def test_choice_explains_the_regions_passed_over() -> None:
    now = dt.datetime(2026, 11, 30, 10, 0, tzinfo=dt.UTC)  # night in the US, morning in London
    choice = choose_region(load_profiles(), now)
    text = choice.explain(now)
    assert choice.region.label == "UK"
    assert text.startswith("region UK: local time Mon 10:00 (Europe/London)")
    assert "not US-NY: U1" in text and "outside the calling window" in text


def test_window_closing_soon_moves_to_the_next_region() -> None:
    now = dt.datetime(2026, 11, 30, 1, 50, tzinfo=dt.UTC)  # 20:50 in New York: closes in 10 minutes
    choice = choose_region(load_profiles(), now)
    assert choice.region.label == "US-HI"
    assert "not US-NY: its window closes soon" in choice.explain(now)


def test_no_open_region_says_when_one_opens() -> None:
    now = dt.datetime(2026, 11, 30, 3, 0, tzinfo=dt.UTC)
    with pytest.raises(NoOpenRegion, match=r"US-NY: U1 .* first opens at 2026-11-30 13:00 UTC \(US-NY\)"):
        choose_region(load_profiles(), now, candidates=CANDIDATES[:1])


def test_cast_matches_the_personas() -> None:
    cast = CAST + ZH_CAST  # the English demo and the Chinese one (dialer demo --lang zh)
    # personas that only the SIP tests call (legally significant replies; who answered)
    others = {"attorney", "bankruptcy", "cease", "deceased", "speaks-spanish", "screener", "ivr", "fax"}
    others |= {"announcement-answered", "announcement-183-en", "announcement-183-zh"}
    assert {role.persona for role in cast} == {p.stem for p in PERSONAS.glob("*.yaml")} - others
    assert all(persona_of(account_ref(role)) == role.persona for role in cast)
    assert len({account_ref(role) for role in cast}) == len(cast)
    assert persona_of("ACME-1") is None
    assert len(set(numbers(CANDIDATES[0]).values())) == len(CAST)


def test_folder_is_replaced_only_when_a_demo_made_it(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "precious.txt").write_text("x")
    with pytest.raises(DemoError, match="not empty and holds no earlier demo"):
        prepare_folder(other, keep=False, now=NOW)
    assert (other / "precious.txt").exists()
    demo = tmp_path / "demo"
    prepare_folder(demo, keep=False, now=NOW)
    (demo / "old.txt").write_text("x")
    prepare_folder(demo, keep=False, now=NOW)
    assert not (demo / "old.txt").exists() and (demo / MARKER).exists()
    (demo / "old.txt").write_text("x")
    prepare_folder(demo, keep=True, now=NOW)
    assert (tmp_path / "demo.20261130T150000Z" / "old.txt").exists()
    assert not (demo / "old.txt").exists()


def test_seed_makes_a_running_campaign_the_planner_would_call_now(tmp_path: Path) -> None:
    now = dt.datetime.now(dt.UTC)
    region = choose_region(load_profiles(), now).region
    layout = seed(tmp_path / "demo", region, Ports(sip=15490, rtp=39000), now, keep=False, ring_timeout=10)
    routes = load_routes(layout.routes, {role.persona for role in CAST})
    for persona, number in numbers(region).items():
        assert routes.persona_for(f"<sip:{number}@127.0.0.1:15490>") == persona
    assert "domain: 127.0.0.1:15490" in layout.profile.read_text()
    config = layout.config.read_text()
    assert "base_sip_port = 15492" in config and 'handler = "dialer.session.handler:SessionHandler"' in config
    shown = dialer("--config", str(layout.config), "campaign", "show", "demo", "--json")
    assert shown.returncode == 0, shown.stderr
    assert '"state": "running"' in shown.stdout and '"accounts": 13' in shown.stdout
    plan = dialer("--config", str(layout.config), "plan", "--campaign", "demo", "--hours", "1")
    assert plan.returncode == 0, plan.stderr
    assert "13 calls due, 0 not" in plan.stdout


def test_demo_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    out = dialer("demo", "--dir", str(tmp_path), "--sip-port", "15497")
    assert out.returncode == 1
    assert "not empty and holds no earlier demo: choose another --dir" in out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_demo_names_a_taken_port(tmp_path: Path) -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as held:
        held.bind(("127.0.0.1", 15496))
        out = dialer("demo", "--dir", str(tmp_path / "d"), "--sip-port", "15496")
    assert out.returncode == 1
    assert "UDP port 15496 is in use: pass --sip-port" in out.stderr
    assert not (tmp_path / "d").exists()  # nothing seeded
