"""XLSX read as a stream: the archive checked before anything is parsed, the sheet XML parsed with expat
a block at a time, every limit (ImportLimits) checked while the characters arrive.

openpyxl, even in read-only mode, trusts the sheet's `<dimension>` (a 2 KB workbook claiming A1:XFD1048576
yields 17 billion empty cells) and accumulates a cell's or a shared string's whole text before anyone can
look at it. Here nothing is trusted: members are measured by their declared size and expansion ratio
(zipfile never returns more than the declared size), text is counted as it streams, a DOCTYPE is refused
(no entity expansion), and `<dimension>` is only compared with the limits. Cell values come back as
openpyxl returns them with data_only=False: formulas as their "=..." text (never evaluated), numbers as
int or float, date-formatted numbers as datetime, booleans as bool.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any
from xml.parsers import expat

from scheduler.importing.errors import ImportFileError
from scheduler.importing.limits import ImportLimits, LimitExceeded

BLOCK = 1 << 16
MAX_SMALL_MEMBER = 16 * 1024 * 1024  # workbook.xml, rels, styles.xml
MAX_SHEET_ROW = 1_048_576  # Excel's last row
_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
Attrs = dict[str, str]


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1]


def column_index(letters: str) -> int:
    """'A' -> 0, 'XFD' -> 16383."""
    index = 0
    for ch in letters.upper():
        index = index * 26 + (ord(ch) - 64)
    return index - 1


def parse_ref(ref: str) -> tuple[int, int] | None:
    """'B3' -> (column 1, row 3); None when it is not a cell reference."""
    found = _REF.match(ref.strip())
    return (column_index(found.group(1)), int(found.group(2))) if found else None


class XmlStream:
    """expat over one archive member, fed a block at a time; handlers collect into `out`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype

    def _doctype(self, *_: Any) -> None:
        raise ImportFileError(f"{self.source}: the workbook declares a DOCTYPE or entities (refused)")

    def run(self, handle: IO[bytes], after_block: Callable[[], None] | None = None) -> None:
        try:
            while block := handle.read(BLOCK):
                self.parser.Parse(block, False)
                if after_block is not None:
                    after_block()
            self.parser.Parse(b"", True)
        except expat.ExpatError as exc:
            raise ImportFileError(f"{self.source}: damaged XLSX ({exc})") from exc


class Workbook:
    """The archive's table of contents: the sheet to read, shared strings, date styles, the epoch."""

    def __init__(self, archive: zipfile.ZipFile, name: str, limits: ImportLimits) -> None:
        self.archive = archive
        self.name = name
        self.limits = limits
        self._check_members()
        root_rels = self._rels("_rels/.rels", "")
        book_path = next(
            (t for kind, t in root_rels.values() if kind.endswith("/officeDocument")), "xl/workbook.xml"
        )
        self.sheet_title, sheet_rel, self.date1904 = self._workbook(book_path)
        rels = self._rels(
            posixpath.join(posixpath.dirname(book_path), "_rels", "workbook.xml.rels"), book_path
        )
        if sheet_rel not in rels:
            raise ImportFileError(f"{name}: not a readable XLSX workbook (the sheet is missing)")
        self.sheet_path = rels[sheet_rel][1]
        by_kind = {kind.rsplit("/", 1)[-1]: target for kind, target in rels.values()}
        self.shared_path = by_kind.get("sharedStrings")
        self.date_styles = self._date_styles(by_kind.get("styles"))
        self._shared: list[str] | None = None

    # ---- the archive ----------------------------------------------------------------------------------
    def _check_members(self) -> None:
        infos = self.archive.infolist()
        limits = self.limits
        if len(infos) > limits.max_members:
            raise LimitExceeded(
                f"{self.name}: the workbook has {len(infos):,} parts (limit {limits.max_members:,})"
            )
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > limits.max_member_bytes:
                raise LimitExceeded(
                    f"{self.name}: {info.filename} expands to {info.file_size:,} bytes "
                    f"(limit {limits.max_member_bytes:,})"
                )
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > limits.ratio_floor and ratio > limits.max_ratio:
                raise LimitExceeded(
                    f"{self.name}: {info.filename} expands {ratio:,.0f} times "
                    f"(limit {limits.max_ratio:,.0f}): refused as a compression bomb"
                )
        if total > limits.max_archive_bytes:
            raise LimitExceeded(
                f"{self.name}: the workbook expands to {total:,} bytes (limit {limits.max_archive_bytes:,})"
            )

    def open(self, path: str, max_bytes: int | None = None) -> IO[bytes]:
        try:
            info = self.archive.getinfo(path)
        except KeyError as exc:
            raise ImportFileError(f"{self.name}: not a readable XLSX workbook ({path} is missing)") from exc
        if max_bytes is not None and info.file_size > max_bytes:
            raise LimitExceeded(f"{self.name}: {path} is {info.file_size:,} bytes (limit {max_bytes:,})")
        return self.archive.open(info)

    def _parse_small(self, path: str, start: Callable[[str, Attrs], None]) -> None:
        stream = XmlStream(f"{self.name}: {path}")
        stream.parser.StartElementHandler = lambda tag, attrs: start(_local(tag), attrs)
        with self.open(path, MAX_SMALL_MEMBER) as handle:
            stream.run(handle)

    def _rels(self, path: str, owner: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, archive path of the target)."""
        found: dict[str, tuple[str, str]] = {}
        if path not in self.archive.NameToInfo:
            if owner:  # the workbook's own relationships are required
                raise ImportFileError(f"{self.name}: not a readable XLSX workbook ({path} is missing)")
            return found

        def start(tag: str, attrs: Attrs) -> None:
            if tag == "Relationship" and attrs.get("TargetMode") != "External":
                target = attrs.get("Target", "")
                if target.startswith("/"):
                    full = target.lstrip("/")
                else:
                    full = posixpath.normpath(posixpath.join(posixpath.dirname(owner), target))
                found[attrs.get("Id", "")] = (attrs.get("Type", ""), full)

        self._parse_small(path, start)
        return found

    def _workbook(self, path: str) -> tuple[str, str, bool]:
        sheets: list[tuple[str, str]] = []
        state = {"active": 0, "date1904": False}

        def start(tag: str, attrs: Attrs) -> None:
            if tag == "sheet":
                rel = next((v for k, v in attrs.items() if _local(k) == "id"), "")
                sheets.append((attrs.get("name", ""), rel))
            elif tag == "workbookView" and attrs.get("activeTab", "").isdigit():
                state["active"] = int(attrs["activeTab"])
            elif tag == "workbookPr":
                state["date1904"] = attrs.get("date1904", "") in ("1", "true")

        self._parse_small(path, start)
        if not sheets:
            raise ImportFileError(f"{self.name}: not a readable XLSX workbook (no sheet)")
        active = int(state["active"])
        title, rel = sheets[active] if active < len(sheets) else sheets[0]
        return title, rel, bool(state["date1904"])

    def _date_styles(self, path: str | None) -> frozenset[int]:
        if path is None or path not in self.archive.NameToInfo:
            return frozenset()
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        custom: dict[int, str] = {}
        xfs: list[int] = []
        depth = {"cellXfs": False}

        def start(tag: str, attrs: Attrs) -> None:
            if tag == "numFmt" and attrs.get("numFmtId", "").isdigit():
                custom[int(attrs["numFmtId"])] = attrs.get("formatCode", "")
            elif tag == "cellXfs":
                depth["cellXfs"] = True
            elif tag == "cellStyleXfs":
                depth["cellXfs"] = False
            elif tag == "xf" and depth["cellXfs"]:
                value = attrs.get("numFmtId", "0")
                xfs.append(int(value) if value.isdigit() else 0)

        self._parse_small(path, start)
        dates = set()
        for index, fmt_id in enumerate(xfs):
            code = custom.get(fmt_id, BUILTIN_FORMATS.get(fmt_id, "General"))
            if is_date_format(code):
                dates.add(index)
        return frozenset(dates)

    # ---- shared strings -------------------------------------------------------------------------------
    def shared_strings(self) -> list[str]:
        """Parsed once per workbook, bounded by count, by cell length and by total characters."""
        if self._shared is not None:
            return self._shared
        strings: list[str] = []
        if self.shared_path is not None and self.shared_path in self.archive.NameToInfo:
            limits = self.limits
            where = f"{self.name}: {self.shared_path}"
            parts: list[str] = []
            state = {"in_t": False, "skip": 0, "chars": 0, "total": 0}

            def start(tag: str, attrs: Attrs) -> None:
                tag = _local(tag)
                if tag == "si":
                    parts.clear()
                    state["chars"] = 0
                    if len(strings) >= limits.max_shared_strings:
                        raise LimitExceeded(
                            f"{where}: more than {limits.max_shared_strings:,} shared strings"
                        )
                elif tag in ("rPh", "phoneticPr"):
                    state["skip"] += 1  # phonetic guides are not the cell's text
                elif tag == "t" and not state["skip"]:
                    state["in_t"] = True

            def end(tag: str) -> None:
                tag = _local(tag)
                if tag == "si":
                    strings.append("".join(parts))
                    parts.clear()
                elif tag in ("rPh", "phoneticPr"):
                    state["skip"] -= 1
                elif tag == "t":
                    state["in_t"] = False

            def text(data: str) -> None:
                if not state["in_t"]:
                    return
                state["chars"] += len(data)
                state["total"] += len(data)
                if state["chars"] > limits.max_cell_chars:
                    raise LimitExceeded(
                        f"{where}: shared string {len(strings) + 1:,} is longer than "
                        f"{limits.max_cell_chars:,} characters"
                    )
                if state["total"] > limits.max_shared_chars:
                    raise LimitExceeded(
                        f"{where}: the shared strings exceed {limits.max_shared_chars:,} characters"
                    )
                parts.append(data)

            stream = XmlStream(where)
            stream.parser.buffer_text = False  # see text as it arrives, before it piles up
            stream.parser.StartElementHandler = start
            stream.parser.EndElementHandler = end
            stream.parser.CharacterDataHandler = text
            with self.open(self.shared_path) as handle:
                stream.run(handle)
        self._shared = strings
        return strings

    # ---- the sheet ------------------------------------------------------------------------------------
    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        """(row number, cells) for every row element of the sheet, in file order."""
        sheet = SheetParser(self)
        with self.open(self.sheet_path) as handle:
            stream = XmlStream(f"{self.name}: {self.sheet_path}")
            stream.parser.buffer_text = False
            stream.parser.StartElementHandler = sheet.start
            stream.parser.EndElementHandler = sheet.end
            stream.parser.CharacterDataHandler = sheet.text
            try:
                while block := handle.read(BLOCK):
                    stream.parser.Parse(block, False)
                    yield from sheet.take()
                stream.parser.Parse(b"", True)
            except expat.ExpatError as exc:
                raise ImportFileError(f"{self.name}: damaged XLSX sheet ({exc})") from exc
            yield from sheet.take()


class SheetParser:
    """expat handlers for one worksheet: completed rows wait in `done` until the reader takes them."""

    def __init__(self, book: Workbook) -> None:
        self.book = book
        self.limits = book.limits
        self.shared = book.shared_strings()
        self.where = f"{book.name}: sheet {book.sheet_title!r}"
        self.done: list[tuple[int, list[Any]]] = []
        self.row = 0
        self.cells: list[Any] = []
        self.column = 0
        self.kind = ""
        self.style = 0
        self.value: list[str] = []
        self.formula: list[str] = []
        self.target: list[str] | None = None
        self.chars = 0
        self.skip = 0

    def take(self) -> list[tuple[int, list[Any]]]:
        done, self.done = self.done, []
        return done

    def start(self, tag: str, attrs: Attrs) -> None:
        tag = _local(tag)
        if tag == "c":
            ref = parse_ref(attrs.get("r", "")) if "r" in attrs else None
            self.column = ref[0] if ref else self.column
            if self.column >= self.limits.max_columns:
                raise LimitExceeded(
                    f"{self.where}: line {self.row} has a cell in column {self.column + 1:,}, beyond the "
                    f"limit of {self.limits.max_columns} columns"
                )
            self.kind = attrs.get("t", "n")
            style = attrs.get("s", "0")
            self.style = int(style) if style.isdigit() else 0
            self.value, self.formula, self.chars = [], [], 0
        elif tag == "v":
            self.target = self.value
        elif tag == "f":
            self.target = self.formula
        elif tag == "t" and not self.skip:
            self.target = self.value  # inline string text
        elif tag == "rPh":
            self.skip += 1
        elif tag == "row":
            number = attrs.get("r", "")
            self.row = int(number) if number.isdigit() else self.row + 1
            if not 1 <= self.row <= MAX_SHEET_ROW:
                raise ImportFileError(f"{self.where}: row number {self.row} is not a spreadsheet row")
            self.cells = []
            self.column = 0
        elif tag == "dimension":
            self._check_dimension(attrs.get("ref", ""))

    def end(self, tag: str) -> None:
        tag = _local(tag)
        if tag in ("v", "f", "t"):
            self.target = None
        elif tag == "rPh":
            self.skip -= 1
        elif tag == "c":
            value = self._value()
            if value is not None:
                self.cells.extend([None] * (self.column + 1 - len(self.cells)))
                self.cells[self.column] = value
            self.column += 1
        elif tag == "row":
            self.done.append((self.row, self.cells))
            self.cells = []

    def text(self, data: str) -> None:
        if self.target is None:
            return
        self.chars += len(data)
        if self.chars > self.limits.max_cell_chars:
            raise LimitExceeded(
                f"{self.where}: line {self.row} has a cell longer than "
                f"{self.limits.max_cell_chars:,} characters"
            )
        self.target.append(data)

    def _check_dimension(self, ref: str) -> None:
        last = parse_ref(ref.split(":")[-1]) if ref else None
        if last is None:
            return
        column, row = last
        if column >= self.limits.max_columns or row > self.limits.max_rows + 1:
            raise LimitExceeded(
                f"{self.where}: the sheet declares the range {ref}, more than the limits of "
                f"{self.limits.max_columns} columns and {self.limits.max_rows:,} rows"
            )

    def _value(self) -> Any:
        if self.formula:
            return "=" + "".join(self.formula)
        text = "".join(self.value)
        kind = self.kind
        if kind == "s":
            try:
                return self.shared[int(text)]
            except (ValueError, IndexError):
                raise ImportFileError(
                    f"{self.where}: line {self.row} refers to a shared string that does not exist"
                ) from None
        if kind in ("inlineStr", "str", "e"):
            return text
        if not text:
            return None
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":
            try:
                return dt.datetime.fromisoformat(text.strip().rstrip("Z"))
            except ValueError:
                return text
        return self._number(text.strip())

    def _number(self, text: str) -> Any:
        try:
            number: int | float = float(text) if any(c in text for c in ".eE") else int(text)
        except ValueError:
            return text
        if self.style in self.book.date_styles:
            from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

            try:
                return from_excel(number, CALENDAR_MAC_1904 if self.book.date1904 else CALENDAR_WINDOWS_1900)
            except (ValueError, OverflowError):
                return number
        return number
