"""API tokens act for a live user: a token dies with its owner's account or role, lapses at its expiry,
and rotation replaces its secret at once. The probe: an admin's token kept creating admins after the
admin had been disabled and demoted."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import sqlalchemy as sa

from dialer.web.security import API_TOKEN_PREFIX, digest, new_token
from scheduler import migrations
from scheduler.db import create_engine
from scheduler.operators import OperatorStore

from .conftest import ConsoleEnv, csrf_from, password_hash_of, password_of, sign_in

NEW_ADMIN = {"username": "mallory", "role": "admin", "password": "Tr0ubadour-Horse-Staple"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_token_of(env: ConsoleEnv, name: str) -> str:
    """`name` (a second admin) signs in and creates a token in the console."""
    env.store.create_user(name, "admin", password_hash_of("admin"))
    client = env.client()
    sign_in(client, name, password_of("admin"))
    page = client.post(
        "/admin/tokens",
        data={"csrf_token": csrf_from(client.get("/admin/tokens").text), "name": "ci", "role": "admin"},
    )
    found = re.search(r'<code id="new-token">([^<]+)</code>', page.text)
    assert found, page.text
    return found.group(1)


@pytest.mark.parametrize("change", [{"role": "viewer"}, {"active": "false"}])
def test_a_token_dies_when_its_owner_is_demoted_or_disabled(
    sqlite_env: ConsoleEnv, change: dict[str, str]
) -> None:
    env = sqlite_env
    token = admin_token_of(env, "ops2")
    api = env.client()
    assert api.get("/api/campaigns", headers=bearer(token)).status_code == 200
    boss = env.client("admin")
    done = boss.post(
        "/admin/users/ops2", data={"csrf_token": csrf_from(boss.get("/admin/users").text), **change}
    )
    assert done.status_code == 303
    refused = api.post("/admin/users", data=NEW_ADMIN, headers=bearer(token))
    assert refused.status_code == 401
    assert api.get("/api/campaigns", headers=bearer(token)).status_code == 401
    assert "mallory" not in [u.name for u in env.store.list_users()]


def test_a_token_is_refused_while_its_owner_lacks_its_role(sqlite_env: ConsoleEnv) -> None:
    """Even without the revocation on demotion (a role changed directly in the database)."""
    env = sqlite_env
    token = new_token(API_TOKEN_PREFIX)
    env.store.create_token("t", "supervisor", token[:10], digest(token), "operator")
    response = env.client().get("/api/campaigns", headers=bearer(token))
    assert response.status_code == 401 and "no longer holds its role" in response.json()["detail"]


def test_an_expired_token_is_refused(sqlite_env: ConsoleEnv) -> None:
    env = sqlite_env
    token = new_token(API_TOKEN_PREFIX)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    env.store.create_token("old", "viewer", token[:10], digest(token), "viewer", expires_at=past)
    response = env.client().get("/api/campaigns", headers=bearer(token))
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_tokens_expire_after_the_chosen_days_and_rotate(sqlite_env: ConsoleEnv) -> None:
    env = sqlite_env
    admin = env.client("admin")
    page = admin.post(
        "/admin/tokens",
        data={
            "csrf_token": csrf_from(admin.get("/admin/tokens").text),
            "name": "n",
            "role": "viewer",
            "days": "7",
        },
    )
    old = re.search(r'<code id="new-token">([^<]+)</code>', page.text).group(1)  # type: ignore[union-attr]
    info = next(t for t in env.store.list_tokens() if t.name == "n")
    assert info.expires_at is not None
    left = info.expires_at.replace(tzinfo=dt.UTC) - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=6) < left <= dt.timedelta(days=7)
    rotated = admin.post(f"/admin/tokens/{info.id}/rotate", data={"csrf_token": csrf_from(page.text)})
    new = re.search(r'<code id="new-token">([^<]+)</code>', rotated.text).group(1)  # type: ignore[union-attr]
    api = env.client()
    assert api.get("/api/campaigns", headers=bearer(old)).status_code == 401
    assert api.get("/api/campaigns", headers=bearer(new)).status_code == 200


def test_a_token_cannot_hold_a_role_above_its_creator(sqlite_env: ConsoleEnv) -> None:
    from dialer.web.roles import grants_within

    assert grants_within("viewer", "admin") and not grants_within("admin", "supervisor")
    assert not grants_within("admin", "no-such-role")


def test_migration_binds_existing_tokens_to_their_creator_or_revokes_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'old.db'}"
    migrations.upgrade(url, "0003")
    engine = create_engine(url)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO operator_users (name, role, password_hash, active, created_at) "
                "VALUES ('ann', 'admin', 'x', 1, :now)"
            ),
            {"now": now},
        )
        for name, by in (("kept", "ann"), ("orphan", "gone")):
            conn.execute(
                sa.text(
                    "INSERT INTO api_tokens (name, prefix, token_sha256, role, created_by, created_at) "
                    "VALUES (:n, 'dlr_', :d, 'viewer', :by, :now)"
                ),
                {"n": name, "d": digest(name), "by": by, "now": now},
            )
    engine.dispose()
    migrations.upgrade(url)
    engine = create_engine(url)
    try:
        store = OperatorStore(engine)
        kept = store.find_token(digest("kept"), now + dt.timedelta(days=1))
        assert kept is not None and kept.owner is not None and kept.owner.name == "ann"
        assert store.find_token(digest("kept"), now + dt.timedelta(days=91)) is None  # 90 days
        assert store.find_token(digest("orphan"), now + dt.timedelta(days=1)) is None
    finally:
        engine.dispose()
