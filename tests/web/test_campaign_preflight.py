"""The console and the API refuse what cannot work, as `dialer campaign create/resume` do: a campaign
whose script is gone is not started, and nothing changes."""

from __future__ import annotations

from scheduler.ledger import CampaignSpec

from .conftest import ConsoleEnv, csrf_from
from .test_api import bearer


def _gone(env: ConsoleEnv, name: str) -> None:
    env.ledger.create_campaign(CampaignSpec(name=name, script="gone-since", profiles=("US",)))


def test_starting_a_campaign_whose_script_is_gone_is_refused_on_the_page(env: ConsoleEnv) -> None:
    _gone(env, "winter")
    client = env.client("operator")
    token = csrf_from(client.get("/campaigns/winter").text)
    refused = client.post("/campaigns/winter/state", data={"action": "start", "csrf_token": token})
    assert refused.status_code == 422
    assert "&#39;gone-since&#39; not found" in refused.text or "'gone-since' not found" in refused.text
    assert env.ledger.get_campaign("winter").state == "draft"
    assert (
        client.post("/campaigns/june/state", data={"action": "start", "csrf_token": token}).status_code == 303
    )


def test_starting_or_creating_what_cannot_work_is_refused_over_the_api(env: ConsoleEnv) -> None:
    _gone(env, "winter")
    client = env.client()
    refused = client.post(
        "/api/campaigns/winter/state", json={"action": "start"}, headers=bearer(env.token("operator"))
    )
    assert refused.status_code == 422 and "'gone-since' not found" in refused.json()["detail"]
    assert env.ledger.get_campaign("winter").state == "draft"
    body = {"name": "spring", "script": "no-such-script", "profiles": ["US"]}
    created = client.post("/api/campaigns", json=body, headers=bearer(env.token("supervisor")))
    assert created.status_code == 422 and "'no-such-script' not found" in created.json()["detail"]
    assert "spring" not in [c.name for c in env.ledger.list_campaigns()]
