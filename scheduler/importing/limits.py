"""How much one call-list file may hold: rows, columns, characters per cell, shared strings, and how far
an XLSX archive may expand. A file over a limit is refused as a whole with the limit named.

The limits are what keeps a hostile upload (a workbook that claims a million columns, a zip member that
expands a thousand times, one 300 MB cell) from costing the console minutes of CPU or a gigabyte of
memory: every reader checks them while it streams, never after reading everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from scheduler.importing.errors import ImportFileError

MB = 1024 * 1024


@dataclass(frozen=True)
class ImportLimits:
    max_rows: int = 500_000
    max_columns: int = 256
    max_cell_chars: int = 32_767  # Excel's own limit for one cell
    max_shared_strings: int = 1_000_000
    max_shared_chars: int = 32 * MB  # every shared string together (they are held in memory)
    max_member_bytes: int = 512 * MB  # one expanded member of an XLSX archive
    max_archive_bytes: int = 1024 * MB  # every member together, expanded
    max_members: int = 10_000
    max_ratio: float = 100.0  # expanded / compressed, for members larger than `ratio_floor`
    ratio_floor: int = 4 * MB


DEFAULT_LIMITS = ImportLimits()


class LimitExceeded(ImportFileError):
    """The file is over one of the ImportLimits; the message names the limit and where it was hit."""


def check_row(name: str, line: int, rows_seen: int, cells: list[object], limits: ImportLimits) -> None:
    """The checks every reader applies to each row it yields (CSV and XLSX alike)."""
    if rows_seen > limits.max_rows:
        raise LimitExceeded(f"{name}: more than {limits.max_rows:,} rows (line {line}): split the file")
    if len(cells) > limits.max_columns:
        raise LimitExceeded(
            f"{name}: line {line} has {len(cells):,} columns, more than the limit of {limits.max_columns}"
        )
    for cell in cells:
        if type(cell) is str and len(cell) > limits.max_cell_chars:
            raise LimitExceeded(
                f"{name}: line {line} has a cell longer than {limits.max_cell_chars:,} characters"
            )
