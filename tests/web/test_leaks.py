"""No page, API response or export shows a full phone number to anyone but an admin.

Every page and API list is rendered as each role and searched for the seeded numbers in every format a
number could take; the admin run is the positive control (the same search must find them there).
"""

from __future__ import annotations

import io
import zipfile

import pytest

from .conftest import ROLES, ConsoleEnv, csrf_from, leaks


def pages(env: ConsoleEnv) -> list[str]:
    s = env.seeded
    return [
        "/",
        "/campaigns/june",
        "/campaigns/june/calls",
        "/live",
        f"/calls/{s.answered_attempt}",
        f"/calls/{s.live_attempt}",
        "/dnc",
        "/dnc?removed=true",
        f"/imports/{s.batch}",
        f"/imports/{s.batch}/rejects.csv",
        "/campaigns/june/explain?account=A1",
        "/campaigns/june/explain?account=A3",
        "/campaigns/june/export.zip",
        "/admin/audit",
        "/api/campaigns",
        "/api/accounts",
        "/api/accounts?campaign=june",
        "/api/accounts/A1",
        "/api/dispositions",
        "/api/promises",
        "/api/live",
        "/api/dnc",
        "/api/campaigns/june/counters",
    ]


def body_text(response_content: bytes, path: str) -> str:
    if path.endswith(".zip"):
        with zipfile.ZipFile(io.BytesIO(response_content)) as archive:
            return archive.read("calls.csv").decode("utf-8-sig")
    return response_content.decode("utf-8", errors="replace")


@pytest.mark.parametrize("role", ROLES)
def test_no_page_leaks_a_full_number_to_a_non_admin(env: ConsoleEnv, role: str) -> None:
    client = env.client(role)
    token = csrf_from(client.get("/").text)
    # put the numbers into the DNC list and the audit log too (one entry each way)
    client.post("/dnc/add", data={"number": "+1 617 555 0123", "reason": "asked", "csrf_token": token})
    seen_any = False
    for path in pages(env):
        response = client.get(path)
        if response.status_code == 403:
            continue  # the role may not see this page at all: nothing leaks
        assert response.status_code == 200, (role, path, response.status_code)
        found = leaks(body_text(response.content, path))
        if role == "admin":
            seen_any = seen_any or bool(found)
        else:
            assert found == [], f"{path} shows {found} to a {role}"
    if role == "admin":
        assert seen_any, "the leak search found no number even for an admin: the check is broken"


def test_admin_sees_the_full_number_on_the_call_page(env: ConsoleEnv) -> None:
    page = env.client("admin").get(f"/calls/{env.seeded.answered_attempt}").text
    assert "+1 617-555-0123" in page
    viewer = env.client("viewer").get(f"/calls/{env.seeded.answered_attempt}").text
    assert "+1 617 ***-**23" in viewer
