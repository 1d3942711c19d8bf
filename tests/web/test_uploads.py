"""Call-list upload through the console: preview, import, summary, rejects CSV; size and type refused."""

from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import openpyxl
import pytest

from dialer.web.uploads import remove_stale

from .conftest import UPLOAD_LIMIT, ConsoleEnv, csrf_from, leaks

GOOD_AND_BAD = (
    "Account No,Customer Name,Mobile,Balance,Currency,Due Date,Notes\n"
    "B1,Dee Park,+1 617 555 0101,99.00,USD,2026-12-01,ok\n"
    "B2,Eve Roy,not-a-number,12.00,USD,2026-12-01,bad phone\n"
    "B3,Fay Wu,+1 617 555 0103,-5,USD,2026-12-01,bad amount\n"
    "B4,Gus Li,+1 617 555 0104,40.00,USD,2026-12-03,ok\n"
)


def upload(client, token: str, name: str, content: bytes, campaign: str = "june"):  # type: ignore[no-untyped-def]
    return client.post(
        f"/campaigns/{campaign}/upload",
        data={"csrf_token": token},
        files={"file": (name, content, "text/csv")},
    )


def test_upload_preview_import_summary_and_rejects(env: ConsoleEnv) -> None:
    client = env.client("operator")
    token = csrf_from(client.get("/campaigns/june/upload").text)
    preview = upload(client, token, "july.csv", GOOD_AND_BAD.encode())
    assert preview.status_code == 200, preview.text
    assert "Column mapping" in preview.text
    assert re.search(r"<td>account_ref</td><td>Account No</td>", preview.text)
    assert "Notes" in preview.text  # listed among the ignored columns
    assert leaks(preview.text) == []
    upload_token = re.search(r'name="token" value="([^"]+)"', preview.text).group(1)  # type: ignore[union-attr]
    done = client.post(
        "/campaigns/june/import",
        data={"csrf_token": token, "token": upload_token, "filename": "july.csv", "region": "US"},
    )
    assert done.status_code == 303
    summary = client.get(done.headers["location"])
    assert 'id="s-rows">4<' in summary.text and 'id="s-imported">2<' in summary.text
    assert 'id="s-rejected">2<' in summary.text
    batch = int(done.headers["location"].split("/")[2].split("?")[0])
    rejects = client.get(f"/imports/{batch}/rejects.csv")
    assert rejects.status_code == 200 and rejects.headers["content-type"].startswith("text/csv")
    lines = rejects.content.decode("utf-8-sig").strip().splitlines()
    assert lines[0] == "line,reason,raw" and len(lines) == 3
    assert lines[1].startswith("3,") and lines[2].startswith("4,")
    assert env.ledger.get_account("B4").amount_due == 40
    actions = [a.action for a in env.ledger.list_audit(limit=5)]
    assert "list.import" in actions and "export.rejects" in actions


def test_xlsx_upload_is_accepted(env: ConsoleEnv) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [line.split(",") for line in GOOD_AND_BAD.splitlines()]:
        sheet.append(row)
    data = io.BytesIO()
    book.save(data)
    client = env.client("operator")
    token = csrf_from(client.get("/campaigns/june/upload").text)
    preview = upload(client, token, "july.xlsx", data.getvalue())
    assert preview.status_code == 200 and "XLSX" in preview.text


def test_upload_over_the_size_limit_is_refused_with_413(env: ConsoleEnv) -> None:
    client = env.client("operator")
    token = csrf_from(client.get("/").text)
    big = GOOD_AND_BAD.encode() + b"x" * UPLOAD_LIMIT
    response = upload(client, token, "big.csv", big)
    assert response.status_code == 413 and "upload limit" in response.text
    assert not any((env.settings.data_dir / "uploads").glob("*"))  # nothing kept


@pytest.mark.parametrize(
    ("name", "content", "status"),
    [
        ("list.pdf", b"%PDF-1.4 not a list", 415),
        ("list.xls", b"\xd0\xcf\x11\xe0 legacy", 415),
        ("list.xlsx", b"account,name\n1,2\n", 415),
        ("list.csv", b"\x00\x01\x02binary\x00", 415),
        ("list.csv", b"", 422),
        ("list.csv", b"just,some,words\n1,2,3\n", 422),
    ],
)
def test_wrong_files_are_refused_cleanly(env: ConsoleEnv, name: str, content: bytes, status: int) -> None:
    client = env.client("operator")
    token = csrf_from(client.get("/").text)
    response = upload(client, token, name, content)
    assert response.status_code == status
    assert 'id="error-message"' in response.text  # a page with the reason, not a traceback


def test_viewer_cannot_upload(env: ConsoleEnv) -> None:
    client = env.client("viewer")
    token = csrf_from(client.get("/").text)
    assert upload(client, token, "july.csv", GOOD_AND_BAD.encode()).status_code == 403


def test_dnc_add_search_import_remove(env: ConsoleEnv) -> None:
    client = env.client("operator")
    token = csrf_from(client.get("/dnc").text)
    assert (
        client.post(
            "/dnc/add", data={"number": "617 555 0199", "region": "US", "csrf_token": token}
        ).status_code
        == 303
    )
    bad = client.post("/dnc/add", data={"number": "hello", "csrf_token": token})
    assert bad.status_code == 422
    found = client.get("/dnc?q=99").text  # a masked role searches the digits it can see
    assert "+1 617 ***-**99" in found
    listing = "number\n+16175550111\n+16175550112\nnot a number\n"
    imported = client.post(
        "/dnc/import",
        data={"csrf_token": token, "region": "US"},
        files={"file": ("dnc.csv", listing.encode(), "text/csv")},
    )
    assert imported.status_code == 303 and "2%20number" in imported.headers["location"]
    assert env.ledger.is_number_blocked("+16175550112")
    entry = next(e for e in env.ledger.list_dnc() if e.e164 == "+16175550199")
    assert client.post(f"/dnc/{entry.id}/remove", data={"reason": "", "csrf_token": token}).status_code == 422
    assert (
        client.post(
            f"/dnc/{entry.id}/remove", data={"reason": "added by mistake", "csrf_token": token}
        ).status_code
        == 303
    )
    assert not env.ledger.is_number_blocked("+16175550199")
    removed = next(e for e in env.ledger.list_dnc(active_only=False) if e.id == entry.id)
    assert removed.removed_reason == "added by mistake"
    assert {"dnc.add", "dnc.import", "dnc.remove"} <= {a.action for a in env.ledger.list_audit(limit=10)}


def test_unconfirmed_uploads_are_removed_after_a_day(tmp_path: Path) -> None:
    old, fresh = tmp_path / "a.csv", tmp_path / "b.csv"
    old.write_text("x")
    fresh.write_text("y")
    day_ago = time.time() - 25 * 3600
    os.utime(old, (day_ago, day_ago))
    assert remove_stale(tmp_path) == 1
    assert not old.exists() and fresh.exists()


def test_a_declared_oversized_body_is_refused_before_it_is_read(env: ConsoleEnv) -> None:
    client = env.client("operator")
    token = csrf_from(client.get("/").text)
    response = client.post(
        "/campaigns/june/upload",
        data={"csrf_token": token},
        files={"file": ("big.csv", b"x" * (UPLOAD_LIMIT + 100 * 1024), "text/csv")},
    )
    assert response.status_code == 413 and "upload limit" in response.json()["detail"]


def test_dnc_for_a_whole_person_by_account(env: ConsoleEnv) -> None:
    client = env.client("operator")
    token = csrf_from(client.get("/dnc").text)
    both = client.post("/dnc/add", data={"number": "+16175550100", "account": "A2", "csrf_token": token})
    assert both.status_code == 422
    assert client.post("/dnc/add", data={"account": "NOPE", "csrf_token": token}).status_code == 404
    assert client.post("/dnc/add", data={"account": "A2", "csrf_token": token}).status_code == 303
    debtor_id = env.ledger.get_account("A2").debtor_id
    assert env.ledger.is_number_blocked("+16175550177", debtor_id)
    assert "every number" in client.get("/dnc").text
