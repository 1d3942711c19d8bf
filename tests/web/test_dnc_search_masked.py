"""Searching the do-not-call list cannot reveal a masked digit, and only roles that see full numbers may
ask the API whether an exact number is listed. The probe: a viewer recovered a masked number from
`/dnc?q=` in 39 queries; `/api/dnc?number=` confirmed exact numbers to any role."""

from __future__ import annotations

from scheduler.vocabulary import DncScope, DncSource

from .conftest import ConsoleEnv

HIDDEN = "+16175550188"  # shown to a viewer as +1 617 ***-**88


def test_no_query_tells_a_viewer_a_masked_digit(sqlite_env: ConsoleEnv) -> None:
    env = sqlite_env
    env.ledger.add_dnc(DncScope.number, source=DncSource.operator, reason="asked", e164=HIDDEN)
    viewer = env.client("viewer")
    assert "***-**88" in viewer.get("/dnc?q=88").text
    # the probe's method: extend a known prefix one digit at a time and watch for the entry
    for prefix in ("1617", "16175", "617555", "6175550"):
        hits = [d for d in "0123456789" if "***-**88" in viewer.get(f"/dnc?q={prefix}{d}").text]
        assert hits == [], (prefix, hits)
    assert "***-**88" not in viewer.get(f"/dnc?q={HIDDEN}").text  # nor does the exact number confirm it
    assert "+1 617-555-0188" in env.client("admin").get(f"/dnc?q={HIDDEN}").text


def test_exact_number_lookup_is_for_roles_that_see_numbers(sqlite_env: ConsoleEnv) -> None:
    env = sqlite_env
    env.ledger.add_dnc(DncScope.number, source=DncSource.operator, reason="asked", e164=HIDDEN)
    client = env.client()
    for role in ("viewer", "operator", "supervisor"):
        response = client.get(
            "/api/dnc", params={"number": HIDDEN}, headers={"Authorization": f"Bearer {env.token(role)}"}
        )
        assert response.status_code == 403, role
    admin = client.get(
        "/api/dnc", params={"number": HIDDEN}, headers={"Authorization": f"Bearer {env.token('admin')}"}
    )
    assert admin.status_code == 200 and [e["number"] for e in admin.json()] == ["+1 617-555-0188"]
    listing = client.get("/api/dnc", headers={"Authorization": f"Bearer {env.token('viewer')}"})
    assert listing.status_code == 200 and "0188" not in listing.text
