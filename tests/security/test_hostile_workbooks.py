"""The XLSX reader against hostile workbooks: every one is refused with a message naming the limit, early
(before the expanded data is read), with the expansion-ratio check on and, behind it, with it off."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from scheduler.importing import CallListFile, ImportFileError
from scheduler.importing.limits import ImportLimits, LimitExceeded
from scheduler.importing.reader import TableSource

from . import workbooks

NO_RATIO = ImportLimits(max_ratio=1e12)  # the streaming limits alone


def read_all(path: Path, limits: ImportLimits = ImportLimits()) -> int:
    source = TableSource(path, limits)
    try:
        return sum(1 for _ in source.rows())
    finally:
        source.close()


def test_a_2kb_workbook_claiming_the_whole_sheet_is_refused(tmp_path: Path) -> None:
    path = workbooks.claims_whole_sheet(tmp_path / "dimension.xlsx")
    assert path.stat().st_size < 4096
    with pytest.raises(LimitExceeded, match=r"declares the range A1:XFD1048576"):
        read_all(path)


def test_millions_of_rows_are_refused_by_the_expansion_ratio(tmp_path: Path) -> None:
    path = workbooks.millions_of_rows(tmp_path / "rows.xlsx")
    with pytest.raises(LimitExceeded, match=r"sheet1.xml expands \d+ times .*compression bomb"):
        read_all(path)


def test_millions_of_rows_stop_at_the_row_limit_while_streaming(tmp_path: Path) -> None:
    path = workbooks.millions_of_rows(tmp_path / "rows.xlsx")
    limits = ImportLimits(max_ratio=1e12, max_rows=20_000)
    with pytest.raises(LimitExceeded, match=r"more than 20,000 rows \(line 20001\)"):
        read_all(path, limits)


@pytest.mark.parametrize("make", [workbooks.huge_shared_string, workbooks.huge_inline_cell])
def test_a_huge_cell_is_refused_by_the_expansion_ratio(make, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path / "huge.xlsx")
    assert path.stat().st_size < 400 * 1024
    with pytest.raises(LimitExceeded, match="compression bomb"):
        read_all(path)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (workbooks.huge_shared_string, r"shared string 1 is longer than 32,767 characters"),
        (workbooks.huge_inline_cell, r"line 3 has a cell longer than 32,767 characters"),
    ],
)
def test_a_huge_cell_is_refused_while_streaming_in_bounded_memory(make, message: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path / "huge.xlsx", chars=50 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(LimitExceeded, match=message):
            read_all(path, NO_RATIO)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024, f"peak {peak:,} bytes while refusing a 50 MB cell"


def test_a_less_compressible_long_cell_is_refused_too(tmp_path: Path) -> None:
    text = workbooks.random_text(100_000)
    sheet = [workbooks.SHEET_OPEN, "<sheetData>", workbooks.header_rows()]
    sheet += [workbooks.inline_row(3, ["A2", text]), "</sheetData></worksheet>"]
    path = workbooks.write(tmp_path / "long.xlsx", sheet, [workbooks.SST_OPEN, "</sst>"])
    with pytest.raises(LimitExceeded, match="line 3 has a cell longer than 32,767"):
        read_all(path)


def test_too_many_columns_are_refused(tmp_path: Path) -> None:
    row = '<row r="2">' + "".join(f"<c><v>{i}</v></c>" for i in range(300)) + "</row>"
    sheet = [workbooks.SHEET_OPEN, "<sheetData>", workbooks.header_rows(), row, "</sheetData></worksheet>"]
    path = workbooks.write(tmp_path / "wide.xlsx", sheet, [workbooks.SST_OPEN, "</sst>"])
    with pytest.raises(LimitExceeded, match="column 257, beyond the limit of 256 columns"):
        read_all(path)


def test_a_doctype_with_entities_is_refused(tmp_path: Path) -> None:
    bomb = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">]><worksheet><sheetData/></worksheet>'
    path = workbooks.write(tmp_path / "lol.xlsx", [bomb], [workbooks.SST_OPEN, "</sst>"])
    with pytest.raises(ImportFileError, match="DOCTYPE"):
        read_all(path)


def test_a_normal_workbook_still_reads_with_dates_formulas_and_numbers(tmp_path: Path) -> None:
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["account", "name", "phone", "amount", "due_date"])
    sheet.append(["A1", "王小明", 6175550123, 12.5, dt.datetime(2026, 12, 5)])
    sheet.append(["A2", "=1+2", "+1 617 555 0124", 7, True])
    book.save(tmp_path / "ok.xlsx")
    table = CallListFile(tmp_path / "ok.xlsx")
    rows = list(table.data_rows())
    assert rows == [
        (2, ["A1", "王小明", 6175550123, 12.5, dt.datetime(2026, 12, 5)]),
        (3, ["A2", "=1+2", "+1 617 555 0124", 7, True]),
    ]
    assert table.source.info.sheet == "Sheet"
