"""Console fixtures: a migrated ledger (SQLite file or PostgreSQL), seeded with calls whose full phone
numbers the leak tests search for, one user per role, and signed-in TestClients."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import shutil
import uuid
import wave
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from dialer.settings import Settings
from dialer.web import create_app
from dialer.web.security import API_TOKEN_PREFIX, digest, new_token
from scheduler import migrations
from scheduler.db import create_engine
from scheduler.importing import ImportOptions, import_file
from scheduler.ledger import CampaignSpec, RecordingInfo, Turn
from scheduler.operators import OperatorStore
from scheduler.outcomes import CallOutcome
from scheduler.sql_ledger import SqlLedger
from scheduler.vocabulary import Disposition, HistoryResult, NumberStatus, Speaker
from tests.ledger.lifecycle import Calls, ledger_url

ROLES = ("admin", "supervisor", "operator", "viewer")
SECRET = b"k" * 48
UPLOAD_LIMIT = 64 * 1024
LOOPBACK = ("127.0.0.0/8",)
# Full numbers seeded into the ledger: no page may show them to anyone but an admin.
NUMBERS = {"A1": "+16175550123", "A2": "+16175550177", "A3": "+13125550144"}
CALL_LIST = (
    "account,name,phone,amount,currency,due_date,state\n"
    "A1,Ann Lee,+1 617 555 0123,120.50,USD,2026-12-01,MA\n"
    "A2,Bo Chan,(617) 555-0177,80.00,USD,2026-12-05,MA\n"
    "A3,Cy Diaz,312-555-0144,45.10,USD,2026-12-09,IL\n"
)
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def password_of(role: str) -> str:
    return f"password-for-{role}"


@functools.cache
def password_hash_of(role: str) -> str:
    """argon2 is slow on purpose; test users get cheap parameters (a hash carries its own, so sign-in
    verifies them with the production code path at a fraction of the cost)."""
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(password_of(role))


def number_variants(e164: str) -> list[str]:
    """The ways a full number could appear in HTML, JSON or CSV."""
    national = e164[2:] if e164.startswith("+1") else e164[1:]
    area, exchange, line = national[:3], national[3:6], national[6:]
    return [
        e164,
        national,
        f"{area}-{exchange}-{line}",
        f"{area} {exchange} {line}",
        f"({area}) {exchange}-{line}",
        f"{exchange}-{line}",
        f"{exchange}{line}",
    ]


def leaks(text: str) -> list[str]:
    found = []
    for e164 in NUMBERS.values():
        found += [v for v in number_variants(e164) if v in text]
    return found


@dataclass
class Seeded:
    campaign: str
    batch: int
    answered_attempt: int
    live_attempt: int
    account_ids: dict[str, int]


def write_wav(path: Path, seconds: float = 0.2, rate: int = 8000) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(b"\x01\x00\x02\x00" * int(seconds * rate))
    return hashlib.sha256(path.read_bytes()).hexdigest()


def seed(ledger: SqlLedger, data_dir: Path, tmp_path: Path) -> Seeded:
    ledger.create_campaign(
        CampaignSpec(name="june", profiles=("US",), window_from="09:00", window_to="18:00")
    )
    csv_path = tmp_path / "june.csv"
    rejected = (
        "A4,No Phone,,10.00,USD,2026-12-01,MA\nA5,Bad Number,+1 617 555 01234,10.00,USD,2026-12-01,MA\n"
    )
    csv_path.write_text(CALL_LIST + rejected, encoding="utf-8")
    result = import_file(ledger, csv_path, ImportOptions("june", "US"))
    campaign_id = ledger.get_campaign("june").id
    now = dt.datetime.now(dt.UTC)
    start = now - dt.timedelta(minutes=3)
    ids = {}
    attempts = []
    calls = Calls(ledger_url(ledger), "console-seed")
    # A1 and A2 were dialled three minutes ago and have ended; A3 has been ringing for 20 s (live)
    for ref, at, caller_id in (
        ("A1", start, "+16175550999"),
        ("A2", start, None),
        ("A3", now - dt.timedelta(seconds=20), None),
    ):
        account = ledger.get_account(ref)
        ids[ref] = account.id
        number_id = ledger.contact_numbers(ref)[0][0]
        attempts.append(
            calls.dial(
                campaign_id=campaign_id,
                account_id=account.id,
                contact_number_id=number_id,
                at=at,
                caller_id=caller_id,
            )
        )
    a1, a2, a3 = attempts
    calls.record(
        CallOutcome(
            a1,
            ended_at=now - dt.timedelta(minutes=1),
            disposition=Disposition.promise_to_pay,
            history_result=HistoryResult.conversation,
            number_status=NumberStatus.valid,
            answered_at=start + dt.timedelta(seconds=5),
            sip_code=200,
            talk_seconds=95.0,
        )
    )
    ledger.add_turns(
        a1,
        [
            Turn(0, Speaker.bot, "Hello, this is an automated call from Acme.", start, latency_ms=640),
            Turn(
                1,
                Speaker.callee,
                "yes my number is 617 555 0123",
                start,
                intent="affirm",
                confidence=0.9,
                heard_by="whisper-base",
                asr_confidence=0.74,
            ),
            Turn(2, Speaker.bot, "Thank you. I have noted your promise.", start, latency_ms=910),
            Turn(
                3,
                Speaker.callee,
                "No, no, I'm in this.",
                start,
                intent="language_barrier",
                confidence=1.0,
                heard_by="whisper-tiny.en",
                asr_confidence=0.31,
                heard_language="es",
            ),
        ],
    )
    ledger.add_promise(a1, ids["A1"], (now + dt.timedelta(days=7)).date(), Decimal("120.50"), "USD")
    sha = write_wav(data_dir / "recordings" / f"{a1}.wav")
    ledger.add_recording(a1, RecordingInfo(f"recordings/{a1}.wav", 0.2, 2, 8000, sha))
    calls.record(
        CallOutcome(
            a2,
            ended_at=now,
            disposition=Disposition.opt_out,
            history_result=HistoryResult.conversation,
            answered_at=now,
        )
    )
    calls.close()
    return Seeded("june", result.counts.batch, a1, a3, ids)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty SQLite file; each test copies it (migrating every time costs more)."""
    path = tmp_path_factory.mktemp("web-template") / "ledger.db"
    migrations.upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_server_url: str) -> Iterator[str]:
    """A migrated, empty PostgreSQL database that per-test databases are created from."""
    import sqlalchemy as sa

    name = f"dialer_tpl_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    migrations.upgrade(postgres_server_url.rsplit("/", 1)[0] + "/" + name)
    try:
        yield name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def web_postgres_url(postgres_server_url: str, postgres_template: str) -> Iterator[str]:
    import sqlalchemy as sa

    name = f"dialer_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"'))
    try:
        yield postgres_server_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def web_sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    path = tmp_path / "ledger.db"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    name = "web_sqlite_url" if request.param == "sqlite" else "web_postgres_url"
    return str(request.getfixturevalue(name))


@dataclass
class ConsoleEnv:
    app: FastAPI
    ledger: SqlLedger
    store: OperatorStore
    seeded: Seeded
    settings: Settings

    def client(self, role: str | None = None) -> TestClient:
        client = TestClient(self.app, follow_redirects=False)
        if role is not None:
            sign_in(client, role, password_of(role))
        return client

    def token(self, role: str) -> str:
        token = new_token(API_TOKEN_PREFIX)
        self.store.create_token(f"{role}-machine", role, token[:10], digest(token), role)
        return token


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, name: str, password: str) -> None:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": csrf_from(page.text), "next": "/"},
    )
    assert response.status_code == 303 and response.headers["location"] == "/", response.text


@pytest.fixture
def make_env(settings: Settings, tmp_path: Path) -> Iterator[Callable[[str], ConsoleEnv]]:
    ledgers: list[SqlLedger] = []

    def build(url: str) -> ConsoleEnv:
        migrations.upgrade(url)  # a no-op on a copy of the template; migrates anything else
        ledger = SqlLedger(create_engine(url))
        ledgers.append(ledger)
        seeded = seed(ledger, settings.data_dir, tmp_path)
        store = OperatorStore(ledger.engine)
        for role in ROLES:
            store.create_user(role, role, password_hash_of(role))
        app = create_app(
            settings,
            ledger=ledger,
            cookie_secure=False,
            secret_key=SECRET,
            max_upload_bytes=UPLOAD_LIMIT,
            webhook_allow_networks=LOOPBACK,  # the test receivers listen on 127.0.0.1
        )
        return ConsoleEnv(app, ledger, store, seeded, settings)

    yield build
    for ledger in ledgers:
        ledger.close()


@pytest.fixture
def env(make_env: Callable[[str], ConsoleEnv], db_url: str) -> ConsoleEnv:
    return make_env(db_url)


@pytest.fixture
def sqlite_env(make_env: Callable[[str], ConsoleEnv], web_sqlite_url: str) -> ConsoleEnv:
    return make_env(web_sqlite_url)
