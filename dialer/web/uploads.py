"""Receiving uploaded files: size limit while streaming (413), type by name and content (415)."""

from __future__ import annotations

import secrets
import shutil
import time
from pathlib import Path

from fastapi import HTTPException, UploadFile

XLSX_MAGIC = b"PK\x03\x04"
CSV_SUFFIXES = (".csv", ".txt")
TABLE_SUFFIXES = (*CSV_SUFFIXES, ".xlsx")
CHUNK = 1 << 16
STALE_SECONDS = 24 * 3600  # previews never confirmed are removed after a day


def kind_of(filename: str, head: bytes, allowed: tuple[str, ...] = TABLE_SUFFIXES) -> str:
    suffix = Path(filename).suffix.lower()
    if suffix not in allowed:
        raise HTTPException(
            415, f"{suffix or 'a file without extension'} is not accepted: upload CSV or XLSX"
        )
    if suffix == ".xlsx":
        if not head.startswith(XLSX_MAGIC):
            raise HTTPException(415, "the file is named .xlsx but is not an XLSX workbook")
        return "xlsx"
    if b"\x00" in head[:8192] or head.startswith(XLSX_MAGIC):
        raise HTTPException(415, "the file is named .csv but holds binary data: upload CSV text or XLSX")
    return "csv"


async def save_upload(
    upload: UploadFile, folder: Path, limit: int, allowed: tuple[str, ...] = TABLE_SUFFIXES
) -> tuple[Path, str]:
    """Store the upload under `folder` with a random name; returns (path, kind). Nothing is kept on error."""
    filename = Path(upload.filename or "upload").name
    head = await upload.read(CHUNK)
    if not head:
        raise HTTPException(422, "the uploaded file is empty")
    kind = kind_of(filename, head, allowed)
    folder.mkdir(parents=True, exist_ok=True)
    remove_stale(folder)
    path = folder / f"{secrets.token_hex(12)}{Path(filename).suffix.lower()}"
    size = 0
    try:
        with path.open("wb") as out:
            block = head
            while block:
                size += len(block)
                if size > limit:
                    raise HTTPException(413, f"the file is larger than the upload limit of {limit:,} bytes")
                out.write(block)
                block = await upload.read(CHUNK)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, kind


def remove_stale(folder: Path, max_age: float = STALE_SECONDS) -> int:
    """Uploads whose preview was never confirmed hold personal data: do not keep them."""
    cutoff = time.time() - max_age
    removed = 0
    for path in folder.iterdir():
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def sweep_at_start(folder: Path) -> int:
    """At console start no import is running: folders left by an import that was killed midway (and by
    an API push) go, with previews older than a day. Returns how many entries were removed."""
    if not folder.is_dir():
        return 0
    removed = 0
    for path in folder.iterdir():
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    return removed + remove_stale(folder)
