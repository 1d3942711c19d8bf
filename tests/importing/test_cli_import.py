"""`dialer import` end to end on a real SQLite file and a real PostgreSQL database."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from scheduler.db import create_engine
from scheduler.vocabulary import DncScope, DncSource


def _query(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(sa.text(sql)))
    finally:
        engine.dispose()


def test_2000_rows_with_50_bad_import_1950_and_a_second_run_changes_nothing(
    dialer: Any, lists: Any, db_url: str, tmp_path: Path
) -> None:
    rows, bad_lines = lists.rows(2000, bad_every=40)
    assert len(bad_lines) == 50
    path = lists.csv("june.csv", rows)
    errors = tmp_path / "errors.csv"

    first = dialer.json(
        "import", str(path), "--campaign", "june", "--create", "--region", "US", "--errors", str(errors)
    )
    assert {k: v for k, v in first.items() if isinstance(v, int)} == {
        "batch": first["batch"],
        "rows": 2000,
        "imported": 1950,
        "updated": 0,
        "unchanged": 0,
        "rejected": 50,
        "suppressed": 0,
        "duplicates": 0,
        "moved": 0,
    }
    with errors.open(encoding="utf-8-sig", newline="") as handle:
        reported = list(csv.DictReader(handle))
    assert [int(r["line"]) for r in reported] == bad_lines
    assert all(r["reason"] and r["raw"] for r in reported)
    reasons = {r["reason"].split(" ")[0] for r in reported}
    assert reasons == {"amount", "due_date", "phone", "account_ref", "name"}
    assert _query(db_url, "SELECT count(*) FROM accounts")[0][0] == 1950
    assert _query(db_url, "SELECT count(*) FROM contact_numbers")[0][0] == 1950
    assert (
        _query(db_url, f"SELECT count(*) FROM import_rejects WHERE batch_id = {first['batch']}")[0][0] == 50
    )
    stamps = _query(db_url, "SELECT max(updated_at) FROM accounts")[0][0]

    second = dialer.json("import", str(path), "--campaign", "june", "--region", "US")
    assert second["batch"] != first["batch"]
    assert (second["imported"], second["updated"], second["rejected"], second["rows"]) == (0, 0, 50, 2000)
    assert _query(db_url, "SELECT count(*) FROM accounts")[0][0] == 1950
    assert _query(db_url, "SELECT max(updated_at) FROM accounts")[0][0] == stamps


def test_changed_rows_are_updated_and_duplicates_merged(dialer: Any, lists: Any, db_url: str) -> None:
    rows, _ = lists.rows(10)
    dialer.json("import", str(lists.csv("a.csv", rows)), "--campaign", "c", "--create", "--region", "US")
    changed = [list(r) for r in rows]
    changed[3][3] = "999.99"  # amount changed
    changed.append([*changed[5][:3], "42.00", "2027-01-31", "NY"])  # duplicate ref, later row wins
    changed.append(["NEW1", "Ann New", "+1 617 555 0199", "5", "2026-12-05", "MA"])
    summary = dialer.json("import", str(lists.csv("b.csv", changed)), "--campaign", "c", "--region", "US")
    assert summary["rows"] == 12
    assert (summary["imported"], summary["updated"], summary["duplicates"]) == (1, 2, 1)
    amounts = dict(_query(db_url, "SELECT account_ref, amount_due FROM accounts"))
    assert str(amounts["ACC000003"]) in ("999.99", "999.990000000000")
    assert float(amounts["ACC000005"]) == 42.0
    assert (
        str(_query(db_url, "SELECT due_date FROM accounts WHERE account_ref = 'ACC000005'")[0][0])
        == "2027-01-31"
    )


def test_an_invalid_later_duplicate_does_not_erase_the_good_row(dialer: Any, lists: Any, db_url: str) -> None:
    rows, _ = lists.rows(2)
    rows.append([rows[0][0], "Bad Later", "123", "5", "2026-12-05", "MA"])
    summary = dialer.json(
        "import", str(lists.csv("d.csv", rows)), "--campaign", "c", "--create", "--region", "US"
    )
    assert (summary["imported"], summary["rejected"], summary["duplicates"]) == (2, 1, 0)


def test_numbers_on_the_dnc_list_are_suppressed(dialer: Any, lists: Any, ledger: Any) -> None:
    rows, _ = lists.rows(5)
    ledger.add_dnc(DncScope.number, source=DncSource.operator, e164="+16172000000", reason="asked by phone")
    summary = dialer.json(
        "import", str(lists.csv("s.csv", rows)), "--campaign", "c", "--create", "--region", "US"
    )
    assert (summary["imported"], summary["suppressed"]) == (4, 1)
    assert ledger.contact_numbers("ACC000000") == []
    with pytest.raises(KeyError):
        ledger.get_account("ACC000000")


def test_dry_run_writes_only_the_batch_record(dialer: Any, lists: Any, db_url: str, ledger: Any) -> None:
    rows, _ = lists.rows(20, bad_every=10)
    path = str(lists.csv("dry.csv", rows))
    refused = dialer("import", path, "--campaign", "c", "--create", "--dry-run")
    assert refused.exit_code == 1 and "a dry run creates nothing" in refused.stderr
    assert _query(db_url, "SELECT count(*) FROM campaigns")[0][0] == 0
    assert dialer("campaign", "create", "c").exit_code == 0
    summary = dialer.json("import", path, "--campaign", "c", "--region", "US", "--dry-run")
    assert (summary["imported"], summary["rejected"]) == (18, 2)
    assert _query(db_url, "SELECT count(*) FROM accounts")[0][0] == 0
    batch = ledger.get_import_batch(summary["batch"])
    assert batch.dry_run and batch.imported == 18
    assert batch.quality["numbers_valid"] == 20


def test_chinese_gbk_file_with_chinese_headers(dialer: Any, lists: Any, db_url: str, ledger: Any) -> None:
    header = ["合同号", "客户号", "姓名", "手机号", "电话", "欠款金额(元)", "到期日", "省", "邮编"]
    rows = [
        [
            "HT001",
            "C1",
            "王小明",
            "13800138000",
            "010-12345678",
            "￥1,234.5",
            "2026年12月5日",
            "广东",
            "510000",
        ],
        ["HT002", "C1", "王小明", "13800138000", "", "300", "2026/12/31", "广东", "510000"],
        ["HT003", "C2", "欧阳娜娜", "139 0013 9000", "", "1,000.00", "2026-12-05", "北京", ""],
        ["HT004", "C3", "李四", "12345", "", "100", "2026-12-05", "上海", ""],
    ]
    path = lists.csv("名单.csv", rows, header=header, encoding="gbk")
    summary = dialer.json("import", str(path), "--campaign", "zh", "--create", "--region", "CN")
    assert (summary["imported"], summary["rejected"]) == (3, 1)
    people = _query(
        db_url,
        "SELECT debtor_ref, first_name, last_name, language, country, state FROM debtors ORDER BY debtor_ref",
    )
    assert [tuple(p) for p in people] == [
        ("C1", "小明", "王", "zh", "CN", "广东"),
        ("C2", "娜娜", "欧阳", "zh", "CN", "北京"),
    ]
    numbers = _query(db_url, "SELECT e164, line_type FROM contact_numbers ORDER BY e164")
    assert [tuple(n) for n in numbers] == [
        ("+861012345678", "fixed_line"),
        ("+8613800138000", "mobile"),
        ("+8613900139000", "mobile"),
    ]
    currencies = {c for (c,) in _query(db_url, "SELECT currency FROM accounts")}
    assert currencies == {"CNY"}
    quality = ledger.get_import_batch(summary["batch"]).quality
    assert quality["source"]["encoding"] == "gb18030"
    assert quality["line_types"]["mobile"] == 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "utf-16"])
def test_encodings_are_detected(dialer: Any, lists: Any, db_url: str, encoding: str) -> None:
    header = ["账号", "姓名", "手机", "金额", "还款日"]
    rows = [["Z1", "张三", "+86 138 0013 8001", "88", "2026-12-05"]]
    summary = dialer.json(
        "import", str(lists.csv(f"{encoding}.csv", rows, header, encoding)), "--campaign", "z", "--create"
    )
    assert summary["imported"] == 1
    assert _query(db_url, "SELECT first_name FROM debtors")[0][0] == "三"


def test_xlsx_with_title_row_excel_dates_and_formulas(dialer: Any, tmp_path: Path, db_url: str) -> None:
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["June reminder list"])
    sheet.append(["Account No", "First Name", "Last Name", "Mobile", "Balance", "Due Date", "Consent Date"])
    sheet.append(["X1", "Ann", "Lee", 6175550123, 1234.5, dt.datetime(2026, 12, 5), 46000])
    sheet.append(["X2", '=HYPERLINK("http://evil")', "Roe", "+1 212 555 0144", "=1+2", "2026-12-05", None])
    sheet.append(["X3", "Bo", "Chen", "+1 212 555 0145", 20, "2026-12-05", None])
    path = tmp_path / "list.xlsx"
    book.save(path)
    errors = tmp_path / "errors.csv"
    summary = dialer.json(
        "import", str(path), "--campaign", "x", "--create", "--region", "US", "--errors", str(errors)
    )
    assert (summary["rows"], summary["imported"], summary["rejected"]) == (3, 2, 1)
    text = errors.read_text(encoding="utf-8-sig")
    assert "4," in text  # spreadsheet line of X2
    assert ",=" not in text and '"=' not in text  # no cell starts with = in the exported file
    assert "'=HYPERLINK" in text
    due = _query(db_url, "SELECT due_date FROM accounts WHERE account_ref = 'X1'")[0][0]
    assert str(due) == "2026-12-05"
    consent = _query(db_url, "SELECT consent_at FROM contact_numbers WHERE e164 = '+16175550123'")[0][0]
    assert consent is not None


def test_formula_name_is_stored_neutralized_and_flagged(
    dialer: Any, lists: Any, db_url: str, ledger: Any
) -> None:
    rows = [["F1", "=cmd|' /C calc'!A0", "+1 617 555 0100", "10", "2026-12-05", "MA"]]
    summary = dialer.json("import", str(lists.csv("f.csv", rows)), "--campaign", "f", "--create")
    assert summary["imported"] == 1
    assert _query(db_url, "SELECT first_name FROM debtors")[0][0] == "'=cmd|' /C calc'!A0"
    quality = ledger.get_import_batch(summary["batch"]).quality
    assert quality["formula_cells"] == 1 and quality["formula_lines"] == [2]


def test_terminal_report_lists_rejects_with_line_and_reason(dialer: Any, lists: Any) -> None:
    rows, bad = lists.rows(6, bad_every=3)
    result = dialer("import", str(lists.csv("t.csv", rows)), "--campaign", "t", "--create", "--region", "US")
    assert result.exit_code == 0, result.output
    assert "imported" in result.stdout and "rejected rows" in result.stdout
    assert "amount '1,234.5O' is not a number" in result.stdout
    assert str(bad[0]) in result.stdout


def test_progress_is_reported_up_to_the_total(lists: Any, sqlite_ledger: Any) -> None:
    from scheduler.importing import ImportOptions, import_file
    from scheduler.ledger import CampaignSpec

    rows, _ = lists.rows(4500)
    ledger = sqlite_ledger
    ledger.create_campaign(CampaignSpec("p"))
    seen: list[tuple[int, int]] = []
    import_file(
        ledger,
        lists.csv("p.csv", rows),
        ImportOptions("p", region="US"),
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen[-1] == (4500, 4500)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen) and len(seen) >= 3


def test_terminal_report_masks_phone_numbers(dialer: Any, lists: Any) -> None:
    rows = [["M1", "Ann Lee", "+44 20 7946 09", "5", "2026-12-05", "MA"]]
    result = dialer("import", str(lists.csv("m.csv", rows)), "--campaign", "m", "--create")
    assert result.exit_code == 0
    assert "7946" not in result.stdout and "phone" in result.stdout
