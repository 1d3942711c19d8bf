"""The call-list importer: file -> validated rows in chunks -> one ledger transaction.

Two passes over the file keep memory bounded by the number of accounts, not the file size: the first
reads only the account column to find refs that occur more than once; the second validates every row and
streams chunks to the ledger. Rows of a repeated ref are held back until its last occurrence, where the
last *valid* one wins and the others count as duplicates (an invalid later row does not erase a good
earlier one). Re-importing the same file changes nothing: the ledger upserts by account ref.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scheduler.importing.errors import ImportFileError, RowError
from scheduler.importing.headers import HeaderMap, find_header, parse_mapping
from scheduler.importing.reader import TableSource, file_sha256
from scheduler.importing.rows import RowNormalizer, raw_line
from scheduler.ledger import ImportChunk, ImportCounts, ImportHeader, ImportRow, Ledger, RejectedRow

HEADER_SEARCH_ROWS = 10
CHUNK_ROWS = 2000
Progress = Callable[[int, int], None]  # (rows done, rows total)
RejectSink = Callable[[RejectedRow], None]


@dataclass(frozen=True)
class ImportOptions:
    campaign: str
    region: str | None = None  # default region for numbers written without +CC
    currency: str | None = None  # when neither a column nor a symbol nor the country says
    dry_run: bool = False
    chunk_rows: int = CHUNK_ROWS
    columns: tuple[str, ...] = ()  # `--map FIELD=HEADER` items
    move: bool = False  # accounts now in another campaign move here (else the import is refused)


@dataclass(frozen=True)
class ImportResult:
    counts: ImportCounts
    quality: dict[str, Any]
    source: dict[str, Any]

    def summary(self) -> dict[str, int]:
        """The JSON object `dialer import --json` prints."""
        c = self.counts
        return {
            "batch": c.batch,
            "rows": c.rows,  # = imported + updated + unchanged + rejected + suppressed + duplicates
            "imported": c.imported,
            "updated": c.updated,
            "unchanged": c.unchanged,
            "rejected": c.rejected,
            "suppressed": c.suppressed,
            "duplicates": c.duplicates,
            "moved": c.moved,  # of the updated: accounts moved here from another campaign (--move)
        }

    def report(self) -> dict[str, Any]:
        """The summary with what deserves a look: extensions, numbers several debtors share, rows the
        jurisdiction will not allow as they stand (counts and line numbers), and the ignored columns."""
        notes = {
            k: self.quality[k] for k in ("extensions", "shared_numbers", "never_callable_without_consent")
        }
        return {**self.summary(), **notes, "ignored_columns": list(self.source.get("ignored_columns", []))}


class CallListFile:
    """An opened call list whose header has been found and checked (ImportFileError otherwise)."""

    def __init__(self, path: Path, mapping: dict[str, str] | None = None) -> None:
        self.source = TableSource(path)
        head: list[tuple[int, list[str]]] = []
        for line, cells in self.source.rows():
            head.append((line, [str(c) if c is not None else "" for c in cells]))
            if len(head) >= HEADER_SEARCH_ROWS:
                break
        self.header_line, self.header = find_header(head, self.source.name, mapping)

    def data_rows(self) -> Iterator[tuple[int, list[Any]]]:
        for line, cells in self.source.rows():
            if line > self.header_line:
                yield line, cells

    def describe(self, header: HeaderMap) -> dict[str, Any]:
        info = self.source.info
        return {
            "kind": info.kind,
            "encoding": info.encoding,
            "delimiter": info.delimiter,
            "sheet": info.sheet,
            "header_line": self.header_line,
            "ignored_columns": list(header.ignored),
        }


def import_file(
    ledger: Ledger,
    path: Path,
    options: ImportOptions,
    *,
    on_reject: RejectSink | None = None,
    progress: Progress | None = None,
) -> ImportResult:
    """Import one file into `options.campaign` (which must exist). ImportFileError: nothing imported."""
    ledger.get_campaign(options.campaign)  # CampaignNotFound before any work
    try:
        mapping = parse_mapping(options.columns)
    except ValueError as exc:
        raise ImportFileError(str(exc)) from exc
    table = CallListFile(path, mapping)
    normalizer = RowNormalizer(table.header, options.region, options.currency)
    repeated, total = _repeated_refs(table, normalizer)
    header = ImportHeader(options.campaign, path.name, file_sha256(path), options.dry_run, options.move)
    chunks = _chunks(table, normalizer, repeated, total, options.chunk_rows, on_reject, progress)
    counts = ledger.import_batch(header, chunks)
    quality = normalizer.quality.as_dict()
    quality["source"] = table.describe(table.header)
    ledger.set_batch_quality(counts.batch, quality)
    return ImportResult(counts, quality, quality["source"])


def _repeated_refs(table: CallListFile, normalizer: RowNormalizer) -> tuple[dict[str, int], int]:
    """Pass 1: the last line of every account ref that occurs more than once, and the row count."""
    seen: set[str] = set()
    repeated: dict[str, int] = {}
    total = 0
    for line, cells in table.data_rows():
        total += 1
        ref = normalizer.account_ref(cells)
        if not ref:
            continue
        if ref in seen:
            repeated[ref] = line
        else:
            seen.add(ref)
    if total == 0:
        raise ImportFileError(
            f"{table.source.name}: no data rows below the header (line {table.header_line})"
        )
    return repeated, total


def _chunks(
    table: CallListFile,
    normalize: RowNormalizer,
    repeated: dict[str, int],
    total: int,
    chunk_rows: int,
    on_reject: RejectSink | None,
    progress: Progress | None,
) -> Iterator[ImportChunk]:
    """Pass 2: validated rows and rejects, `chunk_rows` at a time."""
    rows: list[ImportRow] = []
    rejects: list[RejectedRow] = []
    held: dict[str, ImportRow] = {}  # latest valid row of a repeated ref, until its last line
    duplicates = done = 0
    for line, cells in table.data_rows():
        done += 1
        ref = normalize.account_ref(cells)
        try:
            row: ImportRow | None = normalize(line, cells)
        except RowError as exc:
            reject = RejectedRow(line, str(exc), raw_line(cells))
            normalize.quality.reject_reasons[str(exc).split(" '")[0].split(":")[0]] += 1
            rejects.append(reject)
            if on_reject is not None:
                on_reject(reject)
            row = None
        last_line = repeated.get(ref)
        if last_line is not None:
            if row is not None:
                duplicates += ref in held
                held[ref] = row
            row = held.pop(ref, None) if line == last_line else None
        if row is not None:
            rows.append(row)
        if len(rows) + len(rejects) >= chunk_rows:
            yield ImportChunk(rows, rejects, duplicates)
            rows, rejects, duplicates = [], [], 0
            if progress is not None:
                progress(done, total)
    yield ImportChunk(rows, rejects, duplicates)
    if progress is not None:
        progress(done, total)
