"""The HTTP API with machine tokens: every role against every kind of endpoint, and the OpenAPI document."""

from __future__ import annotations

import pytest

from .conftest import ConsoleEnv, leaks


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_tokens_authenticate_and_revoked_or_unknown_tokens_do_not(env: ConsoleEnv) -> None:
    client = env.client()
    token = env.token("viewer")
    ok = client.get("/api/campaigns", headers=bearer(token))
    assert ok.status_code == 200 and [c["name"] for c in ok.json()] == ["june"]
    assert client.get("/api/campaigns", headers=bearer("dlr_nonsense")).status_code == 401
    tid = next(t.id for t in env.store.list_tokens() if t.name == "viewer-machine")
    env.store.revoke_token(tid)
    assert client.get("/api/campaigns", headers=bearer(token)).status_code == 401


def test_tokens_need_no_csrf_but_are_bound_by_their_role(env: ConsoleEnv) -> None:
    client = env.client()
    viewer, operator = env.token("viewer"), env.token("operator")
    body = {"number": "+16175550166", "reason": "asked by letter"}
    assert client.post("/api/dnc", json=body, headers=bearer(viewer)).status_code == 403
    added = client.post("/api/dnc", json=body, headers=bearer(operator))
    assert added.status_code == 201 and added.json()["number"] == "+1 617 ***-**66"
    removed = client.delete(f"/api/dnc/{added.json()['id']}?reason=entered+twice", headers=bearer(operator))
    assert removed.status_code == 200 and removed.json()["removed_reason"] == "entered twice"


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("operator", 200), ("admin", 200)])
def test_campaign_control_over_the_api(env: ConsoleEnv, role: str, status: int) -> None:
    client = env.client()
    response = client.post(
        "/api/campaigns/june/state", json={"action": "start"}, headers=bearer(env.token(role))
    )
    assert response.status_code == status
    if status == 200:
        assert response.json()["state"] == "running"
        counters = client.get("/api/campaigns/june/counters", headers=bearer(env.token("viewer"))).json()
        assert counters["dialed"] == 3 and counters["answered"] == 2 and counters["live"] == 1


def test_invalid_transition_is_a_409(env: ConsoleEnv) -> None:
    client = env.client()
    token = env.token("operator")
    assert (
        client.post("/api/campaigns/june/state", json={"action": "stop"}, headers=bearer(token)).status_code
        == 200
    )
    again = client.post("/api/campaigns/june/state", json={"action": "start"}, headers=bearer(token))
    assert again.status_code == 409 and "cannot become" in again.json()["detail"]


def test_create_campaign_needs_supervisor(env: ConsoleEnv) -> None:
    client = env.client()
    body = {"name": "july", "profiles": ["US-MA"], "window_from": "10:00", "window_to": "17:00"}
    assert client.post("/api/campaigns", json=body, headers=bearer(env.token("operator"))).status_code == 403
    created = client.post("/api/campaigns", json=body, headers=bearer(env.token("supervisor")))
    assert created.status_code == 201 and created.json()["profiles"] == ["US-MA"]
    dup = client.post("/api/campaigns", json=body, headers=bearer(env.token("supervisor")))
    assert dup.status_code == 409


def test_push_accounts_with_the_importers_validation(env: ConsoleEnv) -> None:
    client = env.client()
    body = {
        "campaign": "june",
        "region": "US",
        "accounts": [
            {
                "account_ref": "P1",
                "name": "Hal Oak",
                "phones": ["617 555 0131"],
                "amount": "50.00",
                "due_date": "2026-12-20",
                "currency": "USD",
            },
            {
                "account_ref": "P3",
                "name": "Jo Ash",
                "phones": ["+1 617 555 01234"],
                "amount": "50.00",
                "due_date": "2026-12-20",
                "currency": "USD",
            },
            {
                "account_ref": "P2",
                "name": "Ida Elm",
                "phones": ["12"],
                "amount": "50.00",
                "due_date": "2026-12-20",
                "currency": "USD",
            },
        ],
    }
    assert client.post("/api/accounts", json=body, headers=bearer(env.token("viewer"))).status_code == 403
    pushed = client.post("/api/accounts", json=body, headers=bearer(env.token("operator")))
    assert pushed.status_code == 200, pushed.text
    result = pushed.json()
    assert result["imported"] == 1 and result["rejected"] == 2
    assert [r["index"] for r in result["rejects"]] == [1, 2]
    assert "phone" in result["rejects"][1]["reason"].lower()
    assert leaks(pushed.text) == []  # the rejected full number is masked in reason and raw row
    accounts = client.get("/api/accounts?campaign=june&limit=10", headers=bearer(env.token("viewer"))).json()
    p1 = next(a for a in accounts if a["account_ref"] == "P1")
    assert p1["numbers"] == ["+1 617 ***-**31"]
    full = client.get("/api/accounts?campaign=june", headers=bearer(env.token("admin"))).json()
    assert next(a for a in full if a["account_ref"] == "P1")["numbers"] == ["+1 617-555-0131"]


def test_dispositions_and_promises_page_by_id(env: ConsoleEnv) -> None:
    client = env.client()
    token = env.token("viewer")
    dispositions = client.get("/api/dispositions", headers=bearer(token)).json()
    assert [d["disposition"] for d in dispositions] == ["promise_to_pay", "opt_out"]
    assert leaks(str(dispositions)) == []
    rest = client.get(f"/api/dispositions?after_id={dispositions[0]['id']}", headers=bearer(token)).json()
    assert [d["disposition"] for d in rest] == ["opt_out"]
    promises = client.get("/api/promises?campaign=june", headers=bearer(token)).json()
    assert promises[0]["account_ref"] == "A1" and promises[0]["amount"] == "120.50"
    naive = client.get("/api/promises?since=2026-01-01T00:00:00", headers=bearer(token))
    assert naive.status_code == 422
    missing = client.get("/api/dispositions?campaign=nope", headers=bearer(token))
    assert missing.status_code == 404


def test_openapi_document_describes_the_api_and_bearer_auth(env: ConsoleEnv) -> None:
    doc = env.client().get("/api/openapi.json").json()
    paths = set(doc["paths"])
    assert {
        "/api/campaigns",
        "/api/accounts",
        "/api/dispositions",
        "/api/promises",
        "/api/dnc",
        "/api/live",
    } <= paths
    assert not any(not p.startswith("/api/") for p in paths)  # pages stay out of the API document
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert "X-Dialer-Signature" in doc["info"]["description"]


def test_one_account_with_its_calls_and_promises(env: ConsoleEnv) -> None:
    client = env.client()
    found = client.get("/api/accounts/A1", headers=bearer(env.token("viewer")))
    assert found.status_code == 200
    body = found.json()
    assert body["numbers"] == ["+1 617 ***-**23"] and body["status"] == "promised"
    assert [c["disposition"] for c in body["calls"]] == ["promise_to_pay"]
    assert body["promises"][0]["amount"] == "120.50"
    assert leaks(found.text) == []
    assert client.get("/api/accounts/NOPE", headers=bearer(env.token("viewer"))).status_code == 404
