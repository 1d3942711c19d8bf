"""The bad-file corpus: files that cannot be imported at all fail with one clear line, exit 2, and
import nothing. Generated here (small, deterministic) rather than committed as opaque binaries."""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from scheduler.db import create_engine

GOOD_HEADER = "account,name,phone,amount,due_date\n"


def _xlsx_bytes(rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _truncated_xlsx() -> bytes:
    data = _xlsx_bytes(
        [["account", "name", "phone", "amount", "due_date"], ["A1", "Ann", "6175550100", 5, "2026-12-05"]]
    )
    return data[: len(data) // 2]


def _xlsx_without_sheet_xml() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return out.getvalue()


CORPUS: dict[str, tuple[Callable[[], bytes], str]] = {
    "empty.csv": (lambda: b"", "the file is empty"),
    "blank-lines.csv": (lambda: b"\n\n  \n", "the file is empty"),
    "garbage.csv": (lambda: random.Random(7).randbytes(4096), "not a text file"),
    "garbage-no-nul.csv": (
        lambda: bytes(b or 1 for b in random.Random(8).randbytes(4096)),
        "not a text file",
    ),
    "nul-bytes.csv": (lambda: b"account,name\x00\x00\x00phone\n" * 20, "not a text file"),
    "no-header.csv": (lambda: b"hello world\nthis is not a call list\n", "no recognizable header"),
    "numbers-only.csv": (lambda: b"1,2,3\n4,5,6\n", "no recognizable header"),
    "missing-columns.csv": (
        lambda: b"account,name\nA1,Ann\n",
        "missing required column(s): phone, amount, due_date",
    ),
    "missing-name.csv": (
        lambda: b"account,phone,amount,due_date\nA1,6175550100,5,2026-12-05\n",
        "name (or first_name)",
    ),
    "header-only.csv": (lambda: GOOD_HEADER.encode(), "no data rows"),
    "legacy.xls": (lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "legacy .xls"),
    "truncated.xlsx": (_truncated_xlsx, "not a readable XLSX"),
    "zip-not-workbook.xlsx": (_xlsx_without_sheet_xml, "not a readable XLSX"),
    "empty-sheet.xlsx": (lambda: _xlsx_bytes([]), "the file is empty"),
    "xlsx-missing-columns.xlsx": (
        lambda: _xlsx_bytes([["账号", "姓名"], ["A1", "王小明"]]),
        "missing required column(s)",
    ),
}


def _count_accounts(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM accounts")).scalar_one())
    finally:
        engine.dispose()


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_unusable_file_fails_cleanly_and_imports_nothing(
    name: str, dialer: Any, db_url: str, tmp_path: Path
) -> None:
    make, message = CORPUS[name]
    path = tmp_path / name
    path.write_bytes(make())
    result = dialer(
        "import",
        str(path),
        "--campaign",
        "c1",
        "--create",
        "--region",
        "US",
        "--errors",
        str(tmp_path / "errors.csv"),
    )
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert message in lines[0]
    assert name in lines[0]  # the message names the file
    assert result.stdout == ""
    assert _count_accounts(db_url) == 0
    assert not (tmp_path / "errors.csv").exists()


def test_missing_file_is_a_clear_error(dialer: Any, tmp_path: Path) -> None:
    result = dialer("import", str(tmp_path / "nope.csv"), "--campaign", "c1", "--create")
    assert result.exit_code == 2
    assert "no such file" in result.stderr


def test_unknown_campaign_without_create_is_refused(dialer: Any, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(GOOD_HEADER + "A1,Ann Lee,+16175550100,5,2026-12-05\n")
    result = dialer("import", str(path), "--campaign", "nope")
    assert result.exit_code == 1
    assert "no campaign named 'nope'" in result.stderr and "--create" in result.stderr
