"""Reading a call list as rows of cells, streamed: CSV (any common encoding and delimiter) or XLSX.

Encoding tries, in order: a byte-order mark; UTF-8 on the first megabyte (strict, or with a few malformed
sequences among many valid ones); charset-normalizer's best
guess (the Chinese family GB2312/GBK is read as GB18030, its superset); strict GB18030. Bytes that still do
not decode later in the file become U+FFFD, and the row holding them is rejected, not the file.
XLSX is streamed by scheduler.importing.xlsx_stream (the archive checked first, the sheet XML parsed a
block at a time); formula cells come back as their formula text and are neutralized like any other
formula-looking cell, never evaluated. Both kinds are held to ImportLimits while they stream.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import sys
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scheduler.importing.errors import ImportFileError
from scheduler.importing.limits import DEFAULT_LIMITS, ImportLimits, check_row

SAMPLE_BYTES = 1 << 20
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"
_CJK_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "hz_gb_2312", "big5", "big5hkscs", "cp936"}
Cell = Any  # str from CSV; str, int, float, datetime or None from XLSX

csv.field_size_limit(min(sys.maxsize, 1 << 24))  # a cap for the parser; ImportLimits is the real one


@dataclass(frozen=True)
class SourceInfo:
    kind: str  # "csv" | "xlsx"
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class TableSource:
    """A call-list file; `rows()` may be iterated more than once (each pass reopens the file)."""

    def __init__(self, path: Path, limits: ImportLimits = DEFAULT_LIMITS) -> None:
        self.path = path
        self.name = path.name
        self.limits = limits
        self._workbook: Any = None
        if not path.is_file():
            raise ImportFileError(f"{path}: no such file")
        if path.stat().st_size == 0:
            raise ImportFileError(f"{self.name}: the file is empty")
        with path.open("rb") as handle:
            sample = handle.read(SAMPLE_BYTES)
        if sample.startswith(XLS_MAGIC):
            raise ImportFileError(
                f"{self.name}: legacy .xls workbooks are not supported: save as .xlsx or CSV"
            )
        self.info = self._probe_xlsx() if sample.startswith(XLSX_MAGIC) else self._probe_csv(sample)

    # ---- probing ---------------------------------------------------------------------------------------
    def _probe_xlsx(self) -> SourceInfo:
        return SourceInfo("xlsx", sheet=self._open_workbook().sheet_title)

    def _open_workbook(self) -> Any:
        """The workbook's table of contents (checked against the limits), kept for further passes."""
        if self._workbook is None:
            from scheduler.importing.xlsx_stream import Workbook

            try:
                archive = zipfile.ZipFile(self.path)
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                raise ImportFileError(
                    f"{self.name}: not a readable XLSX workbook ({exc.__class__.__name__})"
                ) from exc
            try:
                self._workbook = Workbook(archive, self.name, self.limits)
            except BaseException:
                archive.close()
                raise
        return self._workbook

    def close(self) -> None:
        if self._workbook is not None:
            self._workbook.archive.close()
            self._workbook = None

    def _probe_csv(self, sample: bytes) -> SourceInfo:
        encoding = detect_encoding(sample)
        if encoding is None:
            raise ImportFileError(f"{self.name}: not a text file (binary data or an unknown encoding)")
        text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
        if _looks_binary(text):
            raise ImportFileError(f"{self.name}: not a text file (binary data)")
        if not text.strip():
            raise ImportFileError(f"{self.name}: the file is empty")
        return SourceInfo("csv", encoding=encoding, delimiter=_sniff_delimiter(text))

    # ---- rows ------------------------------------------------------------------------------------------
    def rows(self) -> Iterator[tuple[int, list[Cell]]]:
        """(line number as a spreadsheet shows it, cells), skipping blank rows; ImportLimits enforced."""
        source = self._xlsx_rows() if self.info.kind == "xlsx" else self._csv_rows()
        for seen, (line, cells) in enumerate(source, start=1):
            check_row(self.name, line, seen, cells, self.limits)
            if any(c is not None and (type(c) is not str or c.strip()) for c in cells):
                yield line, cells

    def _csv_rows(self) -> Iterator[tuple[int, list[Cell]]]:
        assert self.info.encoding is not None and self.info.delimiter is not None
        with self.path.open(encoding=self.info.encoding, errors="replace", newline="") as handle:
            reader = csv.reader(handle, delimiter=self.info.delimiter)
            line = 1
            while True:
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raise ImportFileError(f"{self.name}: line {line}: unreadable CSV ({exc})") from exc
                yield line, cells
                line = reader.line_num + 1

    def _xlsx_rows(self) -> Iterator[tuple[int, list[Cell]]]:
        workbook = self._open_workbook()
        try:
            yield from workbook.rows()
        except ImportFileError:
            raise
        except (OSError, EOFError, ValueError, KeyError, zlib.error, zipfile.BadZipFile) as exc:
            raise ImportFileError(f"{self.name}: damaged XLSX sheet ({exc.__class__.__name__})") from exc


def detect_encoding(sample: bytes) -> str | None:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if b"\x00" in sample:
        return None
    if _decodes(sample, "utf-8") or _mostly_utf8(sample):
        return "utf-8"
    from charset_normalizer import from_bytes

    best = from_bytes(sample[:200_000]).best()
    if best is not None:
        guess = best.encoding.lower().replace("-", "_")
        if guess in _CJK_FAMILY or guess.startswith("gb"):
            return "gb18030"
        if _decodes(sample, best.encoding):
            return best.encoding
    return "gb18030" if _decodes(sample, "gb18030") else None


def _mostly_utf8(sample: bytes) -> bool:
    """UTF-8 text with a few malformed sequences (a damaged row) is still UTF-8: its bad rows are then
    rejected with their line, instead of the whole file being read in a legacy code page as mojibake."""
    text = codecs.getincrementaldecoder("utf-8")(errors="replace").decode(sample, final=False)
    bad = text.count("\ufffd")
    good = sum(1 for c in text if ord(c) > 0x7F) - bad
    return good >= 4 and bad * 2 <= good


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)(errors="strict").decode(sample, final=False)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def _looks_binary(text: str) -> bool:
    head = text[:20_000]
    controls = sum(1 for c in head if (ord(c) < 32 and c not in "\t\r\n") or c == "\ufffd")
    return controls > max(8, len(head) // 50)


def _sniff_delimiter(text: str) -> str:
    """The delimiter under which the first lines parse into the same number (> 1) of fields."""
    lines = [line for line in text.splitlines()[:30] if line.strip()][:-1] or text.splitlines()[:1]
    best, best_score = ",", (0, 0)
    for delimiter in (",", ";", "\t", "|"):
        widths = [len(cells) for cells in csv.reader(lines, delimiter=delimiter)]
        common = max(set(widths), key=widths.count) if widths else 1
        if common < 2:
            continue
        score = (widths.count(common), common)
        if score > best_score:
            best, best_score = delimiter, score
    return best
