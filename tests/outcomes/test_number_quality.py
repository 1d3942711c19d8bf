"""Data quality per uploaded list, on real imports (SQLite file and PostgreSQL), as calls come back."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from scheduler.db import create_engine, session_factory
from scheduler.importing import ImportOptions, import_file
from scheduler.ledger import CampaignSpec
from scheduler.models import ContactNumber
from scheduler.number_quality import STATUSES, list_quality
from scheduler.outcomes import CallOutcome
from scheduler.sql_ledger import SqlLedger
from scheduler.vocabulary import Disposition, NumberStatus
from tests.ledger.lifecycle import Calls
from tests.scheduler.seed import T0, migrated

HEADER = ["account", "name", "phone", "amount", "due_date", "state"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest) -> Iterator[str]:
    value = str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))
    migrated(value)
    yield value


def _csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def _dead(url: str, e164: str, status: NumberStatus, disposition: Disposition) -> None:
    """Dial the number's account once and record what the network said."""
    engine = create_engine(url)
    with engine.connect() as conn:
        number_id, debtor_id = conn.execute(
            sa.select(ContactNumber.id, ContactNumber.debtor_id).where(ContactNumber.e164 == e164)
        ).one()
        account_id = conn.scalar(sa.text("select id from accounts where debtor_id = :d"), {"d": debtor_id})
        campaign_id = conn.scalar(
            sa.text("select campaign_id from accounts where id = :a"), {"a": account_id}
        )
    engine.dispose()
    with Calls(url, "h1") as calls:
        attempt = calls.dial(
            campaign_id=campaign_id, account_id=account_id, contact_number_id=number_id, at=T0
        )
        outcome = CallOutcome(
            attempt, T0 + dt.timedelta(seconds=20), disposition, "failed", status, f"sip 404 ({status})", 404
        )
        calls.record(outcome, T0 + dt.timedelta(seconds=21))


def test_each_list_shows_its_numbers_by_status_and_line_type(url: str, tmp_path: Path) -> None:
    ledger = SqlLedger.open(url)
    ledger.create_campaign(CampaignSpec("q"))
    first = [
        ["A1", "Ann Lee", "(617) 555-0101", "10.50", "2026-12-05", "MA"],
        ["A2", "Bo Li", "(212) 555-0102", "11.50", "2026-12-05", "NY"],
        ["A3", "Cy Wu", "555", "12.50", "2026-12-05", "NY"],  # invalid: the row is rejected
        ["A4", "Di Ho", "(800) 555-0104", "13.50", "2026-12-05", "NY"],  # toll free
        ["A5", "Ed Ma", "(415) 555-0105", "14.50", "2026-12-05", "CA"],
    ]
    second = [["B1", "Fa Ng", "(312) 555-0201", "20.00", "2026-12-05", "IL"]]
    import_file(ledger, _csv(tmp_path / "first.csv", first), ImportOptions("q", region="US"))
    import_file(ledger, _csv(tmp_path / "second.csv", second), ImportOptions("q", region="US"))
    import_file(ledger, _csv(tmp_path / "dry.csv", second), ImportOptions("q", region="US", dry_run=True))
    ledger.close()
    _dead(url, "+16175550101", NumberStatus.vacant, Disposition.vacant)
    _dead(url, "+12125550102", NumberStatus.unavailable, Disposition.unreachable)
    _dead(url, "+14155550105", NumberStatus.out_of_service, Disposition.out_of_service)
    engine = create_engine(url)
    with engine.begin() as conn:  # an operator suppressed the second list's number
        conn.execute(sa.update(ContactNumber).where(ContactNumber.e164 == "+13125550201").values(
            status="suppressed", suppressed_at=T0))  # fmt: skip
    with session_factory(engine)() as session:
        campaign_id = session.scalar(sa.text("select id from campaigns where name = 'q'"))
        quality = list_quality(session, int(campaign_id))
    engine.dispose()
    assert [(q.filename, q.total) for q in quality] == [("first.csv", 5), ("second.csv", 1)]
    one, two = quality
    assert set(one.numbers) == {s.value for s in STATUSES}
    expected = {"valid": 1, "invalid": 1, "vacant": 1, "out_of_service": 1, "unavailable": 1}
    assert one.numbers == expected | {"suppressed": 0, "unknown": 0, "powered_off": 0, "unreachable": 0}
    assert one.line_types == {"fixed_line_or_mobile": 3, "toll_free": 1}
    assert one.checked_by_calls == 3 and one.regions == {"US": 4}
    assert two.numbers["suppressed"] == 1 and two.total == 1 and two.checked_by_calls == 0
    assert one.as_dict()["numbers"]["vacant"] == 1 and one.as_dict()["total"] == 5
