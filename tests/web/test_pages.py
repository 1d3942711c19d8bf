"""Campaign pages, "why not called?", exports, SIP profiles and the audit trail of what operators did."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import pytest

from scheduler.ledger import CampaignSpec
from tests.ledger.lifecycle import queue_attempt

from .conftest import ConsoleEnv, csrf_from

REPO = Path(__file__).resolve().parents[2]
CAMPAIGN_FORM = {
    "script": "reminder-en",
    "profiles": "US, US-MA",
    "window_from": "10:00",
    "window_to": "17:30",
    "max_attempts_per_day": "2",
    "max_attempts_total": "6",
    "retry_policy": '{"no_answer": 120, "busy": 30}',
    "trunk": "",
    "caller_ids": "+16175550900\n+16175550901",
    "voicemail_policy": "hang_up",
}


def test_supervisor_creates_a_campaign_from_a_script_and_changes_its_settings(env: ConsoleEnv) -> None:
    client = env.client("supervisor")
    form = client.get("/campaigns/new").text
    assert "reminder-en" in form and "reminder-zh" in form  # scripts/*/ are offered
    token = csrf_from(form)
    created = client.post("/campaigns/new", data={**CAMPAIGN_FORM, "name": "autumn", "csrf_token": token})
    assert created.status_code == 303, created.text
    info = env.ledger.get_campaign("autumn")
    assert info.profiles == ("US", "US-MA") and info.window_to == "17:30"
    assert info.retry_policy == {"no_answer": 120, "busy": 30} and info.voicemail_policy == "hang_up"
    assert info.caller_id_pool == ("+16175550900", "+16175550901")
    changed = client.post(
        "/campaigns/autumn/settings", data={**CAMPAIGN_FORM, "window_from": "11:00", "csrf_token": token}
    )
    assert changed.status_code == 303 and "1%20setting" in changed.headers["location"]
    assert env.ledger.get_campaign("autumn").window_from == "11:00"
    entry = next(a for a in env.ledger.list_audit(limit=5) if a.action == "campaign.settings")
    assert entry.actor == "supervisor" and entry.detail["changed"] == {"window_from": ["10:00", "11:00"]}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("script", "no-such-script", "unknown script"),
        ("window_from", "25:00", "HH:MM"),
        ("retry_policy", "{not json", "not JSON"),
        ("retry_policy", '{"busy": -1}', "minutes"),
        ("caller_ids", "617-555", "E.164"),
    ],
)
def test_bad_campaign_settings_are_refused_with_the_field_named(
    env: ConsoleEnv, field: str, value: str, message: str
) -> None:
    client = env.client("supervisor")
    token = csrf_from(client.get("/campaigns/new").text)
    response = client.post(
        "/campaigns/new", data={**CAMPAIGN_FORM, field: value, "name": "bad", "csrf_token": token}
    )
    assert response.status_code == 422 and message in response.text
    assert "bad" not in [c.name for c in env.ledger.list_campaigns()]


def test_campaign_page_shows_funnel_dispositions_hours_and_latency(env: ConsoleEnv) -> None:
    page = env.client("viewer").get("/campaigns/june").text
    assert page.count("<svg") == 3
    assert "promise_to_pay" in page and "opt_out" in page
    batches = re.search(r'<table id="batches">(.*?)</table>', page, re.S)
    assert batches and "<td>3 / 1</td>" in batches.group(1)  # numbers valid / invalid of the seeded list
    latency = re.search(r'<table class="small" id="latency">(.*?)</table>', page, re.S)
    assert latency and "640 ms" in latency.group(1) and "910 ms" in latency.group(1)
    assert 'action="/campaigns/june/state"' not in page  # a viewer gets no controls


def test_why_not_called_shows_the_engine_decision_per_number(env: ConsoleEnv) -> None:
    client = env.client("operator")
    page = client.get("/campaigns/june/explain?account=A1").text
    assert 'id="policy-problem"' not in page, page
    decisions = re.findall(r'<td class="decision">(allow|deny)</td><td>([^<]+)</td>', page)
    assert len(decisions) == 1 and decisions[0][1].strip()  # one number, a rule id
    assert "promise_to_pay" in page  # the attempt history
    assert any(a.action == "policy.explain" for a in env.ledger.list_audit(limit=3))
    missing = client.get("/campaigns/june/explain?account=NOPE").text
    assert "No account NOPE" in missing


def unzip(content: bytes) -> tuple[list[dict[str, str]], list[str]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        rows = list(csv.DictReader(io.StringIO(archive.read("calls.csv").decode("utf-8-sig"))))
        return rows, archive.namelist()


def test_export_records_and_recordings(env: ConsoleEnv) -> None:
    assert env.client("operator").get("/campaigns/june/export.zip").status_code == 403
    supervisor = env.client("supervisor")
    assert supervisor.get("/campaigns/june/export.zip?recordings=true").status_code == 403
    rows, names = unzip(supervisor.get("/campaigns/june/export.zip").content)
    assert names == ["calls.csv"] and len(rows) == 3
    assert {r["disposition"] for r in rows} == {"promise_to_pay", "opt_out", ""}
    assert all("***" in r["number"] for r in rows)
    admin = env.client("admin").get("/campaigns/june/export.zip?recordings=true")
    rows, names = unzip(admin.content)
    wav = f"recordings/{env.seeded.answered_attempt}.wav"
    assert wav in names
    answered = next(r for r in rows if r["attempt_id"] == str(env.seeded.answered_attempt))
    assert answered["recordings"] == wav and answered["number"] == "+1 617-555-0123"
    exports = [a for a in env.ledger.list_audit(limit=10) if a.action == "export.calls"]
    assert {a.actor for a in exports} == {"supervisor", "admin"}


def test_admin_manages_sip_profiles_with_the_sip_config_validation(env: ConsoleEnv) -> None:
    client = env.client("admin")
    token = csrf_from(client.get("/admin/sip").text)
    good = (REPO / "sip_config" / "examples" / "registering-trunk.yaml").read_bytes()
    saved = client.post(
        "/admin/sip",
        data={"name": "carrier-a", "csrf_token": token},
        files={"file": ("a.yaml", good, "text/yaml")},
    )
    assert saved.status_code == 303, saved.text
    assert "carrier-a" in client.get("/admin/sip").text
    assert "carrier-a" in client.get("/campaigns/new").text  # offered as a trunk
    bad = client.post(
        "/admin/sip",
        data={"name": "broken", "csrf_token": token},
        files={"file": ("b.yaml", b"name: x\nregistrar: [unclosed\n", "text/yaml")},
    )
    assert bad.status_code == 422
    assert any(a.action == "sip.profile_save" for a in env.ledger.list_audit(limit=5))


def test_audit_page_lists_sign_ins_downloads_and_changes_for_supervisors_only(env: ConsoleEnv) -> None:
    admin = env.client("admin")
    admin.get(f"/calls/{env.seeded.answered_attempt}/recording/0")
    page = env.client("supervisor").get("/admin/audit").text
    for action in ("web.sign_in", "recording.download"):
        assert action in page
    assert env.client("operator").get("/admin/audit").status_code == 403


def test_admin_creates_an_api_token_shown_once(env: ConsoleEnv) -> None:
    client = env.client("admin")
    token = csrf_from(client.get("/admin/tokens").text)
    page = client.post("/admin/tokens", data={"name": "crm", "role": "viewer", "csrf_token": token}).text
    secret = re.search(r'<code id="new-token">([^<]+)</code>', page)
    assert secret is not None
    assert (
        client.get("/api/campaigns", headers={"Authorization": f"Bearer {secret.group(1)}"}).status_code
        == 200
    )
    assert secret.group(1) not in client.get("/admin/tokens").text
    stored = env.store.list_tokens()[0]
    assert stored.prefix == secret.group(1)[:10] and stored.role == "viewer"


@pytest.mark.parametrize("value", ["nope", "999999", "%E2%9C%93"])
def test_every_page_answers_unknown_records_without_a_server_error(env: ConsoleEnv, value: str) -> None:
    from fastapi.routing import APIRoute

    from dialer.web.app import api_router, page_routers

    client = env.client("admin")
    for route in (r for router in [*page_routers(), api_router()] for r in router.routes):
        if not isinstance(route, APIRoute) or "GET" not in route.methods or not route.param_convertors:
            continue
        path = route.path
        for name in route.param_convertors:
            path = path.replace("{" + name + "}", value)
        response = client.get(path)
        assert response.status_code in (404, 422), (route.path, value, response.status_code)


def test_calls_page_filters_by_disposition_and_account(env: ConsoleEnv) -> None:
    client = env.client("viewer")
    every = client.get("/campaigns/june/calls").text
    assert every.count('<a href="/calls/') == 3
    promised = client.get("/campaigns/june/calls?disposition=promise_to_pay").text
    assert promised.count('<a href="/calls/') == 1 and "+1 617 ***-**23" in promised
    by_account = client.get("/campaigns/june/calls?account=A3").text
    assert by_account.count('<a href="/calls/') == 1 and "+1 312 ***-**44" in by_account
    assert 'id="older"' not in every


def test_export_neutralizes_formula_looking_cells(env: ConsoleEnv) -> None:
    campaign = env.ledger.create_campaign(CampaignSpec(name="=cmd"))
    queue_attempt(
        env.ledger.engine,
        campaign_id=campaign.id,
        account_id=env.ledger.get_account("A1").id,
        contact_number_id=env.ledger.contact_numbers("A1")[0][0],
        scheduled_at=dt.datetime.now(dt.UTC),
    )
    rows, _ = unzip(env.client("supervisor").get("/campaigns/%3Dcmd/export.zip").content)
    assert rows[0]["campaign"] == "'=cmd"  # a spreadsheet shows it as text, never runs it
