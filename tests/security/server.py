"""A real console in a subprocess (`dialer web` under uvicorn) on a fresh SQLite ledger, with one user
per role, so that tests can measure what a probe does to the server process: its memory (RSS from
/proc) and how fast it still answers."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from argon2 import PasswordHasher

from scheduler import migrations
from scheduler.ledger import CampaignSpec
from scheduler.operators import OperatorStore
from scheduler.sql_ledger import SqlLedger

ROLES = ("admin", "supervisor", "operator", "viewer")


def password_of(role: str) -> str:
    return f"password-for-{role}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    url: str
    pid: int
    data: Path

    def rss_mb(self, field: str = "VmRSS") -> float:
        """Current (VmRSS) or peak (VmHWM) resident memory of the server process, in MB."""
        status = Path(f"/proc/{self.pid}/status").read_text()
        found = re.search(rf"^{field}:\s+(\d+) kB", status, re.M)
        assert found, status
        return int(found.group(1)) / 1024

    def signed_in(self, role: str) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=120, follow_redirects=False)
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token, page.text
        form = {"username": role, "password": password_of(role), "csrf_token": token.group(1), "next": "/"}
        response = client.post("/login", data=form)
        assert response.status_code == 303 and response.headers["location"] == "/", response.text
        return client

    def csrf(self, client: httpx.Client, page: str = "/") -> str:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
        assert token
        return token.group(1)


@contextmanager
def console_server(tmp_path: Path, *args: str) -> Iterator[Server]:
    data = tmp_path / "data"
    data.mkdir()
    url = f"sqlite:///{data / 'dialer.db'}"
    migrations.upgrade(url)
    ledger = SqlLedger.open(url)
    try:
        ledger.create_campaign(CampaignSpec(name="june", profiles=("US",)))
        store = OperatorStore(ledger.engine)
        cheap = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        for role in ROLES:
            store.create_user(role, role, cheap.hash(password_of(role)))
    finally:
        ledger.close()
    port = free_port()
    env = {**os.environ, "DIALER_DATA_DIR": str(data)}
    dialer = Path(sys.executable).parent / "dialer"
    command = [str(dialer), "web", "--host", "127.0.0.1", "--port", str(port), "--insecure-cookies", *args]
    log = (tmp_path / "console.log").open("wb")  # a file, not a pipe: the access log must never block
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, (tmp_path / "console.log").read_text()
                assert time.monotonic() < deadline, "the console did not start"
                time.sleep(0.2)
        yield Server(base, proc.pid, data)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
