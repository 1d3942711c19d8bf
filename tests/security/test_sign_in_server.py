"""Parallel sign-ins against a real console process: one user name is checked at most `limit` times no
matter how many guesses arrive at once, and 40 parallel sign-ins for unknown names (each an argon2 check
of ~64 MB) keep the process under 400 MB."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from scheduler.db import create_engine

from .server import Server, console_server

MEMORY_LIMIT_MB = 400


def attempt(server: Server, name: str, password: str) -> int:
    with httpx.Client(base_url=server.url, timeout=60, follow_redirects=False) as client:
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token
        form = {"username": name, "password": password, "csrf_token": token.group(1), "next": "/"}
        response = client.post("/login", data=form)
        if response.status_code == 303:
            return 401 if "error=1" in response.headers["location"] else 200
        return response.status_code


def audited(server: Server, action: str, subject: str) -> int:
    engine = create_engine(f"sqlite:///{server.data / 'dialer.db'}")
    try:
        with engine.connect() as conn:
            query = "SELECT count(*) FROM audit_log WHERE action = :a AND subject = :s"
            return int(conn.execute(sa.text(query), {"a": action, "s": subject}).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.slow
def test_parallel_guesses_for_one_name_check_at_most_five_passwords(tmp_path: Path) -> None:
    with console_server(tmp_path) as server:
        with ThreadPoolExecutor(25) as pool:
            answers = list(pool.map(lambda i: attempt(server, "viewer", f"wrong-guess-{i}"), range(25)))
        assert answers.count(401) == 5 and answers.count(429) == 20, answers
        assert audited(server, "web.sign_in_failed", "user:viewer") == 5
        assert attempt(server, "viewer", "password-for-viewer") == 429  # the name is under attack


@pytest.mark.slow
def test_parallel_sign_ins_for_unknown_names_stay_under_the_memory_limit(tmp_path: Path) -> None:
    with console_server(tmp_path) as server:
        before = server.rss_mb()
        with ThreadPoolExecutor(40) as pool:
            answers = list(pool.map(lambda i: attempt(server, f"nobody-{i}", "not-the-password"), range(40)))
        assert set(answers) <= {401, 503} and answers.count(401) >= 20, answers  # 503: busy, try later
        peak = server.rss_mb("VmHWM")
        print(f"server RSS before {before:.0f} MB, peak {peak:.0f} MB after 40 parallel sign-ins")
        assert peak < MEMORY_LIMIT_MB
