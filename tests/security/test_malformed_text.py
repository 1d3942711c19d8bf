"""A CSV row with bytes that do not decode is rejected with its line and the reason, never imported
with U+FFFD in place of the bytes (nor the whole file read as mojibake); the rest of the file imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from scheduler.importing import ImportOptions, import_file
from scheduler.ledger import CampaignSpec, RejectedRow
from scheduler.sql_ledger import SqlLedger

HEADER = b"account,name,phone,amount,due_date,notes\n"
GOOD = "A1,王小明,+16175550101,10,2026-12-05,ok\nA3,李华,+16175550103,10,2026-12-05,ok\n"
BAD = b"A2,Bo \xff\xfe Chan,+16175550102,10,2026-12-05,x\n"


@pytest.mark.parametrize("padding_rows", [0, 12], ids=["in the sample", "after the first megabyte"])
def test_malformed_utf8_rows_are_rejected_with_line_and_reason(
    tmp_path: Path, padding_rows: int, sqlite_ledger: SqlLedger
) -> None:
    path = tmp_path / "list.csv"
    padding = "".join(
        f"P{i},Pat Roe,+1617555{i + 2000:04d},10,2026-12-05,{'备注' * 15000}\n" for i in range(padding_rows)
    )
    first, second = GOOD.encode().splitlines(keepends=True)
    path.write_bytes(HEADER + padding.encode() + first + BAD + second)
    assert (path.stat().st_size > 1 << 20) == (padding_rows > 0)
    ledger = sqlite_ledger
    ledger.create_campaign(CampaignSpec(name="c", profiles=("US",)))
    rejects: list[RejectedRow] = []
    result = import_file(ledger, path, ImportOptions("c", "US"), on_reject=rejects.append)
    assert result.source["encoding"] == "utf-8"
    assert result.counts.imported == 2 + padding_rows and result.counts.rejected == 1
    (reject,) = rejects
    assert reject.line == padding_rows + 3 and "column 2 holds bytes that are not valid" in reject.reason
