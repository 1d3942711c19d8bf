"""Sign-in, sessions, CSRF and the permission table, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from dialer.web.roles import PERMISSIONS, Permission, Role, can

from .conftest import ConsoleEnv, csrf_from, password_of, sign_in


def test_permission_table_is_total_and_ordered() -> None:
    assert set(PERMISSIONS) == set(Role)
    assert PERMISSIONS[Role.admin] == frozenset(Permission)
    assert PERMISSIONS[Role.viewer] <= PERMISSIONS[Role.operator] <= PERMISSIONS[Role.supervisor]
    assert not can("root", Permission.view)


def test_sign_in_ok_and_failed_are_audited(env: ConsoleEnv) -> None:
    client = env.client()
    page = client.get("/login")
    bad = client.post(
        "/login",
        data={"username": "viewer", "password": "wrong-password", "csrf_token": csrf_from(page.text)},
    )
    assert bad.status_code == 303 and bad.headers["location"] == "/login?error=1"
    assert client.get("/").status_code == 303  # still signed out
    sign_in(client, "viewer", password_of("viewer"))
    assert client.get("/").status_code == 200
    actions = [(a.action, a.actor) for a in env.ledger.list_audit(limit=10)]
    assert ("web.sign_in_failed", "viewer") in actions
    assert ("web.sign_in", "viewer") in actions


def test_session_cookie_flags(env: ConsoleEnv) -> None:
    client = env.client()
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": "admin", "password": password_of("admin"), "csrf_token": csrf_from(page.text)},
    )
    cookie = response.headers["set-cookie"].lower()
    assert "dialer_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie


def test_sign_in_form_needs_its_csrf_cookie(env: ConsoleEnv) -> None:
    client = env.client()
    response = client.post("/login", data={"username": "admin", "password": password_of("admin")})
    assert response.status_code == 403


def test_unknown_user_and_disabled_user_cannot_sign_in(env: ConsoleEnv) -> None:
    env.store.update_user("operator", active=False)
    for name in ("operator", "ghost"):
        client = env.client()
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": name, "password": password_of("operator"), "csrf_token": csrf_from(page.text)},
        )
        assert response.headers["location"] == "/login?error=1"


def test_signed_out_pages_redirect_and_api_answers_401(env: ConsoleEnv) -> None:
    client = env.client()
    page = client.get("/campaigns/june")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    api = client.get("/api/campaigns")
    assert api.status_code == 401 and api.headers["www-authenticate"] == "Bearer"


def test_forged_or_tampered_session_cookie_is_refused(env: ConsoleEnv) -> None:
    client = env.client()
    client.cookies.set("dialer_session", "abc.def.ghi")
    assert client.get("/").status_code == 303


def test_state_change_without_csrf_token_is_refused(env: ConsoleEnv) -> None:
    client = env.client("operator")
    refused = client.post("/campaigns/june/state", data={"action": "start"})
    assert refused.status_code == 403 and "CSRF" in refused.text
    wrong = client.post("/campaigns/june/state", data={"action": "start", "csrf_token": "x" * 40})
    assert wrong.status_code == 403
    assert env.ledger.get_campaign("june").state == "draft"
    token = csrf_from(client.get("/campaigns/june").text)
    ok = client.post("/campaigns/june/state", data={"action": "start", "csrf_token": token})
    assert ok.status_code == 303
    assert env.ledger.get_campaign("june").state == "running"


def test_browser_api_calls_need_the_csrf_header(env: ConsoleEnv) -> None:
    client = env.client("operator")
    body = {"number": "+1 617 555 0188", "reason": "asked"}
    assert client.post("/api/dnc", json=body).status_code == 403
    token = csrf_from(client.get("/").text)
    assert client.post("/api/dnc", json=body, headers={"X-CSRF-Token": token}).status_code == 201


def test_sign_out_revokes_the_session(env: ConsoleEnv) -> None:
    client = env.client("viewer")
    cookie = client.cookies.get("dialer_session")
    token = csrf_from(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    again = env.client()
    again.cookies.set("dialer_session", cookie or "")
    assert again.get("/").status_code == 303


@pytest.mark.parametrize("role", ["supervisor", "operator", "viewer"])
def test_only_admins_manage_users_tokens_webhooks_and_sip(env: ConsoleEnv, role: str) -> None:
    client = env.client(role)
    token = csrf_from(client.get("/").text)
    for path in ("/admin/users", "/admin/tokens", "/admin/webhooks", "/admin/sip"):
        assert client.get(path).status_code == 403, path
    add = client.post(
        "/admin/users",
        data={"username": "mallory", "role": "admin", "password": "x" * 12, "csrf_token": token},
    )
    assert add.status_code == 403
    promote = client.post("/admin/users/viewer", data={"role": "admin", "csrf_token": token})
    assert promote.status_code == 403
    assert [u.name for u in env.store.list_users() if u.role == "admin"] == ["admin"]


def test_admin_adds_and_changes_a_user_and_it_is_audited(env: ConsoleEnv) -> None:
    client = env.client("admin")
    token = csrf_from(client.get("/admin/users").text)
    weak = client.post(
        "/admin/users", data={"username": "bob", "role": "viewer", "password": "short", "csrf_token": token}
    )
    assert weak.status_code == 422
    ok = client.post(
        "/admin/users",
        data={"username": "bob", "role": "viewer", "password": "long enough pw", "csrf_token": token},
    )
    assert ok.status_code == 303
    client.post("/admin/users/bob", data={"role": "operator", "active": "true", "csrf_token": token})
    assert env.store.get_user("bob").role == "operator"
    actions = [a.action for a in env.ledger.list_audit(limit=5)]
    assert "user.add" in actions and "user.change" in actions


def test_last_admin_cannot_be_demoted(env: ConsoleEnv) -> None:
    client = env.client("admin")
    token = csrf_from(client.get("/admin/users").text)
    response = client.post("/admin/users/admin", data={"role": "viewer", "csrf_token": token})
    assert response.status_code == 409
    assert env.store.get_user("admin").role == "admin"


@pytest.mark.parametrize(
    ("role", "status"), [("viewer", 403), ("operator", 403), ("supervisor", 403), ("admin", 200)]
)
def test_only_admins_download_recordings(env: ConsoleEnv, role: str, status: int) -> None:
    client = env.client(role)
    response = client.get(f"/calls/{env.seeded.answered_attempt}/recording/0")
    assert response.status_code == status
    if status == 200:
        assert response.headers["content-type"] == "audio/wav"
        assert response.content[:4] == b"RIFF"
        assert any(a.action == "recording.download" for a in env.ledger.list_audit(limit=5))


@pytest.mark.parametrize(("role", "status"), [("viewer", 403), ("operator", 403)])
def test_viewers_and_operators_cannot_edit_campaigns(env: ConsoleEnv, role: str, status: int) -> None:
    client = env.client(role)
    token = csrf_from(client.get("/").text)
    response = client.post("/campaigns/new", data={"name": "x", "script": "reminder-en", "csrf_token": token})
    assert response.status_code == status


def test_viewer_cannot_control_campaigns(env: ConsoleEnv) -> None:
    client = env.client("viewer")
    token = csrf_from(client.get("/").text)
    assert (
        client.post("/campaigns/june/state", data={"action": "start", "csrf_token": token}).status_code == 403
    )


def test_recording_path_outside_the_data_dir_is_not_served(env: ConsoleEnv) -> None:
    from dialer.web.routes.result_pages import recording_bytes

    console = env.app.state.console
    with pytest.raises(Exception, match="no such recording"):
        recording_bytes(console, "../../etc/passwd")


def test_every_state_changing_route_refuses_a_session_without_the_csrf_token(env: ConsoleEnv) -> None:
    """Walks every router the app includes, so a route added later without `require(...)` fails here."""
    from fastapi.routing import APIRoute

    from dialer.web.app import api_router, page_routers

    client = env.client("admin")
    checked = []
    for route in (r for router in [*page_routers(), api_router()] for r in router.routes):
        if not isinstance(route, APIRoute) or route.path == "/login":
            continue
        for method in route.methods - {"GET", "HEAD", "OPTIONS"}:
            path = route.path
            for name in route.param_convertors:
                path = path.replace("{" + name + "}", "1" if "id" in name or name == "index" else "june")
            response = client.request(method, path, data={"action": "pause"})
            assert response.status_code == 403 and "CSRF" in response.text, (method, route.path)
            checked.append((method, route.path))
    assert len(checked) >= 20, checked


def test_pause_and_resume_from_the_page(env: ConsoleEnv) -> None:
    client = env.client("operator")
    token = csrf_from(client.get("/").text)
    for action, state in (
        ("start", "running"),
        ("pause", "paused"),
        ("resume", "running"),
        ("stop", "stopped"),
    ):
        response = client.post("/campaigns/june/state", data={"action": action, "csrf_token": token})
        assert response.status_code == 303, (action, response.text)
        assert env.ledger.get_campaign("june").state == state
    page = client.get("/campaigns/june").text
    assert 'id="action-' not in page  # a stopped campaign offers no transitions
    again = client.post("/campaigns/june/state", data={"action": "resume", "csrf_token": token})
    assert again.status_code == 409


def test_only_admins_get_the_recording_player(env: ConsoleEnv) -> None:
    path = f"/calls/{env.seeded.answered_attempt}"
    assert f'<audio controls preload="none" src="{path}/recording/0"' in env.client("admin").get(path).text
    for role in ("supervisor", "viewer"):
        page = env.client(role).get(path).text
        assert "<audio" not in page and "only admins may listen" in page


def test_secure_flag_when_configured(env: ConsoleEnv) -> None:
    from fastapi.testclient import TestClient

    from dialer.web import create_app

    from .conftest import SECRET

    app = create_app(env.settings, ledger=env.ledger, cookie_secure=True, secret_key=SECRET)
    client = TestClient(app, base_url="https://console.test", follow_redirects=False)
    page = client.get("/login")
    assert "secure" in page.headers["set-cookie"].lower()
    response = client.post(
        "/login",
        data={"username": "admin", "password": password_of("admin"), "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 303 and "secure" in response.headers["set-cookie"].lower()


def test_repeated_failed_sign_ins_are_throttled(env: ConsoleEnv) -> None:
    client = env.client()
    for _ in range(5):
        page = client.get("/login")
        response = client.post(
            "/login",
            data={"username": "viewer", "password": "guess-guess", "csrf_token": csrf_from(page.text)},
        )
        assert response.headers["location"] == "/login?error=1"
    page = client.get("/login")
    right = client.post(
        "/login",
        data={"username": "viewer", "password": password_of("viewer"), "csrf_token": csrf_from(page.text)},
    )
    assert right.status_code == 429  # even the right password waits: the name is under attack
    assert any(a.action == "web.sign_in_throttled" for a in env.ledger.list_audit(limit=3))
    sign_in(env.client(), "admin", password_of("admin"))  # other users are not affected
