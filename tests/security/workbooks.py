"""Hostile workbooks, generated on the spot (small on disk, huge when expanded): a minimal valid XLSX
skeleton whose sheet and shared-strings parts are streamed into the archive from generators."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

HEADER = ["account", "name", "phone", "amount", "due_date"]
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/></Relationships>'
)
SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)
SST_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def inline_row(number: int, values: Iterable[str]) -> str:
    cells = "".join(
        f'<c r="{chr(65 + i)}{number}" t="inlineStr"><is><t>{v}</t></is></c>' for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def header_rows() -> str:
    return inline_row(1, HEADER) + inline_row(2, ["A1", "Ann Lee", "+16175550123", "12.50", "2026-12-05"])


def write(path: Path, sheet: Iterable[str], shared: Iterable[str] = ()) -> Path:
    """An XLSX at `path`; `sheet` and `shared` are the text of the two parts, streamed in pieces."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", BOOK_RELS)
        for name, parts in (("xl/sharedStrings.xml", shared), ("xl/worksheets/sheet1.xml", sheet)):
            with archive.open(name, "w", force_zip64=True) as out:
                for part in parts:
                    out.write(part.encode())
    return path


def repeated(piece: str, total_chars: int, block: int = 1 << 20) -> Iterator[str]:
    """`piece` repeated up to `total_chars`, a megabyte at a time (cheap to generate, compresses well)."""
    chunk = piece * max(1, block // len(piece))
    written = 0
    while written < total_chars:
        part = chunk[: total_chars - written]
        written += len(part)
        yield part


def claims_whole_sheet(path: Path) -> Path:
    """2 KB, a real two-row list, but `<dimension>` says A1:XFD1048576."""
    return write(
        path,
        [
            SHEET_OPEN,
            '<dimension ref="A1:XFD1048576"/><sheetData>',
            header_rows(),
            "</sheetData></worksheet>",
        ],
        [SST_OPEN, "</sst>"],
    )


def millions_of_rows(path: Path, rows: int = 3_000_000) -> Path:
    """Rows without a reference (each one the next), a few MB compressed."""
    row = '<row><c t="inlineStr"><is><t>A</t></is></c><c><v>1</v></c></row>'
    return write(
        path,
        [
            SHEET_OPEN,
            "<sheetData>",
            header_rows(),
            *repeated(row, rows * len(row)),
            "</sheetData></worksheet>",
        ],
        [SST_OPEN, "</sst>"],
    )


def huge_shared_string(path: Path, chars: int = 200 * 1024 * 1024) -> Path:
    """One shared string of `chars` characters, used by one cell."""
    sheet = [SHEET_OPEN, "<sheetData>", header_rows(), '<row r="3"><c r="A3" t="s"><v>0</v></c></row>']
    return write(
        path,
        [*sheet, "</sheetData></worksheet>"],
        [SST_OPEN, "<si><t>", *repeated("x", chars), "</t></si></sst>"],
    )


def huge_inline_cell(path: Path, chars: int = 300 * 1024 * 1024) -> Path:
    """One inline-string cell of `chars` characters."""
    cell = ['<row r="3"><c r="B3" t="inlineStr"><is><t>', *repeated("y", chars), "</t></is></c></row>"]
    return write(
        path,
        [SHEET_OPEN, "<sheetData>", header_rows(), *cell, "</sheetData></worksheet>"],
        [SST_OPEN, "</sst>"],
    )


def random_text(chars: int, seed: int = 1) -> str:
    """Text that does not compress much (so that the expansion-ratio check does not catch it first)."""
    import random

    return random.Random(seed).randbytes(chars // 2 + 1).hex()[:chars]
