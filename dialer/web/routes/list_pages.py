"""Call lists (upload, mapping preview, import, rejects) and do-not-call management."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path
from typing import Any

import phonenumbers
from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from dialer.web.auth import Principal, require
from dialer.web.console import Console, console_of
from dialer.web.imports import SpooledLedger
from dialer.web.masking import mask_display, mask_free_text, visible_digits
from dialer.web.pages import redirect, render
from dialer.web.roles import Permission
from dialer.web.uploads import save_upload
from scheduler.importing import CallListFile, ImportFileError, ImportOptions, import_file
from scheduler.importing.rows import raw_line
from scheduler.importing.values import neutralize
from scheduler.vocabulary import DncScope, DncSource

router = APIRouter()
TOKEN = re.compile(r"^[0-9a-f]{24}\.(csv|txt|xlsx)$")


def uploads_dir(console: Console) -> Path:
    return console.options.data_dir / "uploads"


@router.get("/campaigns/{name}/upload")
def upload_form(
    request: Request, name: str, me: Principal = Depends(require(Permission.upload_lists))
) -> Response:
    campaign = console_of(request).ledger.get_campaign(name)
    return render(request, "upload.html", me, campaign=campaign)


@router.post("/campaigns/{name}/upload")
async def upload(
    request: Request,
    name: str,
    file: UploadFile = File(...),
    me: Principal = Depends(require(Permission.upload_lists)),
) -> Response:
    console = console_of(request)
    campaign = await run_in_threadpool(console.ledger.get_campaign, name)
    path, _ = await save_upload(file, uploads_dir(console), console.options.max_upload_bytes)
    try:  # parsing is CPU work: off the event loop, so the console keeps answering meanwhile
        preview = await run_in_threadpool(_preview, path, me.role)
    except ImportFileError as exc:
        path.unlink(missing_ok=True)
        raise HTTPException(422, str(exc).replace(path.name, file.filename or path.name)) from exc
    return render(
        request,
        "upload_preview.html",
        me,
        campaign=campaign,
        token=path.name,
        filename=Path(file.filename or "upload").name,
        **preview,
    )


def _preview(path: Path, role: str) -> dict[str, Any]:
    """The column mapping and five masked sample rows; the whole file is read once so that a file over
    the import limits is refused now, not after the operator confirmed it."""
    table = CallListFile(path)
    try:
        sample = []
        for _, cells in table.data_rows():
            sample.append(mask_free_text(raw_line(cells), role))
            if len(sample) >= 5:
                break
        for _ in table.source.rows():  # ImportLimits checked while streaming
            pass
        header = table.header
        columns = _header_cells(table)
    finally:
        table.source.close()
    mapping = [
        (field, columns[i] if i < len(columns) else f"column {i + 1}") for field, i in header.fields.items()
    ]
    mapping += [
        ("phone" if personal else "work phone", columns[i] if i < len(columns) else f"column {i + 1}")
        for i, personal in header.phones
    ]
    return {
        "mapping": mapping,
        "ignored": list(header.ignored),
        "source": table.describe(header),
        "sample": sample,
    }


def _header_cells(table: CallListFile) -> list[str]:
    for line, cells in table.source.rows():
        if line == table.header_line:
            return [str(c) if c is not None else "" for c in cells]
    return []


@router.post("/campaigns/{name}/import")
def run_import(
    request: Request,
    name: str,
    token: str = Form(...),
    filename: str = Form("upload.csv", max_length=255),
    region: str = Form("", max_length=2),
    currency: str = Form("", max_length=3),
    dry_run: bool = Form(False),
    me: Principal = Depends(require(Permission.upload_lists)),
) -> Response:
    console = console_of(request)
    if not TOKEN.match(token):
        raise HTTPException(422, "unknown upload: upload the file again")
    path = uploads_dir(console) / token
    if not path.is_file():
        raise HTTPException(410, "the upload has expired: upload the file again")
    if region and not (len(region) == 2 and region.isalpha()):
        raise HTTPException(422, "region: a two-letter country code such as US or CN")
    folder = path.with_suffix("")  # one folder per upload: same-named files never collide
    named = folder / _file_name(filename, path.suffix)
    try:
        folder.mkdir(exist_ok=True)
        path.rename(named)  # the batch records the operator's file name
        options = ImportOptions(name, region.upper() or None, currency.upper() or None, dry_run)
        result = import_file(SpooledLedger.wrap(console.ledger), named, options)
    except ImportFileError as exc:
        raise HTTPException(422, str(exc)) from exc
    finally:
        named.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        if folder.is_dir():
            folder.rmdir()
    console.audit(me.name, "list.import", f"campaign:{name}", **result.summary())
    return redirect(f"/imports/{result.counts.batch}", "import finished")


def _file_name(name: str, suffix: str) -> str:
    """The operator's file name, reduced to safe characters, with the upload's real suffix."""
    stem = re.sub(r"[^\w.\- ]", "_", Path(name).stem).strip(" .") or "upload"
    return stem[:200] + suffix


@router.get("/imports/{batch_id}")
def import_summary(
    request: Request, batch_id: int, me: Principal = Depends(require(Permission.view))
) -> Response:
    console = console_of(request)
    batch = console.ledger.get_import_batch(batch_id)
    rejects = console.ledger.list_import_rejects(batch_id)[:50]
    shown = [(r.line, mask_free_text(r.reason, me.role), mask_free_text(r.raw, me.role)) for r in rejects]
    return render(request, "import_summary.html", me, batch=batch, rejects=shown)


@router.get("/imports/{batch_id}/rejects.csv")
def rejects_csv(
    request: Request, batch_id: int, me: Principal = Depends(require(Permission.view))
) -> Response:
    console = console_of(request)
    batch = console.ledger.get_import_batch(batch_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["line", "reason", "raw"])
    for r in console.ledger.list_import_rejects(batch_id):
        writer.writerow(
            [r.line, neutralize(mask_free_text(r.reason, me.role)), mask_free_text(r.raw, me.role)]
        )
    console.audit(me.name, "export.rejects", f"batch:{batch_id}", campaign=batch.campaign)
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="rejects-{batch_id}.csv"'},
    )


# ---- do-not-call ---------------------------------------------------------------------------------------
def parse_number(text: str, region: str | None) -> str:
    try:
        parsed = phonenumbers.parse(text.strip(), (region or "").upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"not a phone number ({exc.args[0] if exc.args else 'unparseable'})") from exc
    if not phonenumbers.is_possible_number(parsed):
        raise ValueError("not a possible phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


@router.get("/dnc")
def dnc_list(
    request: Request, q: str = "", removed: bool = False, me: Principal = Depends(require(Permission.view))
) -> Response:
    console = console_of(request)
    digits = "".join(c for c in q if c.isdigit())
    full = me.can(Permission.see_full_numbers)
    entries = [
        e
        for e in console.ledger.list_dnc(active_only=not removed)
        if not digits or (e.e164 and digits in (e.e164 if full else visible_digits(e.e164)))
    ]
    return render(request, "dnc.html", me, entries=entries[-500:], q=q, removed=removed)


@router.post("/dnc/add")
def dnc_add(
    request: Request,
    number: str = Form("", max_length=40),
    account: str = Form("", max_length=64),
    region: str = Form("", max_length=2),
    reason: str = Form("", max_length=200),
    me: Principal = Depends(require(Permission.manage_dnc)),
) -> Response:
    """One number, or (with an account ref) the person: every number of the debtor, now and later."""
    console = console_of(request)
    if bool(number.strip()) == bool(account.strip()):
        raise HTTPException(422, "give either a number or an account (for every number of that person)")
    if account.strip():
        debtor_id = console.ledger.get_account(account.strip()).debtor_id
        entry = console.ledger.add_dnc(
            DncScope.person, source=DncSource.operator, reason=reason, debtor_id=debtor_id
        )
        console.audit(me.name, "dnc.add", f"dnc:{entry.id}", account=account.strip(), reason=reason)
        return redirect("/dnc", "the person was added to the do-not-call list")
    try:
        e164 = parse_number(number, region)
    except ValueError as exc:
        raise HTTPException(422, f"number: {exc}") from exc
    entry = console.ledger.add_dnc(DncScope.number, source=DncSource.operator, reason=reason, e164=e164)
    console.audit(me.name, "dnc.add", f"dnc:{entry.id}", number=mask_display(e164), reason=reason)
    return redirect("/dnc", "added to the do-not-call list")


@router.post("/dnc/import")
async def dnc_import(
    request: Request,
    file: UploadFile = File(...),
    region: str = Form("", max_length=2),
    reason: str = Form("imported", max_length=200),
    me: Principal = Depends(require(Permission.manage_dnc)),
) -> Response:
    console = console_of(request)
    path, _ = await save_upload(
        file, uploads_dir(console), console.options.max_upload_bytes, (".csv", ".txt")
    )
    try:  # parsing and thousands of small writes: in a worker thread, not on the event loop
        added, bad = await run_in_threadpool(_import_dnc, console, path, region, reason)
    finally:
        path.unlink(missing_ok=True)
    await run_in_threadpool(console.audit, me.name, "dnc.import", "dnc", added=added, unreadable=bad)
    return redirect("/dnc", f"{added} number(s) added, {bad} unreadable line(s) skipped")


def _import_dnc(console: Console, path: Path, region: str, reason: str) -> tuple[int, int]:
    """(numbers added, unreadable lines); written in batches, each its own short transaction."""
    numbers: list[str] = []
    bad = 0
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        for row in csv.reader(handle):
            cell = next((c for c in row if c.strip()), "")
            if not cell or not any(ch.isdigit() for ch in cell):
                continue  # blank lines and a header row
            try:
                numbers.append(parse_number(cell, region))
            except ValueError:
                bad += 1
            if len(numbers) % 500 == 0:
                time.sleep(0.002)  # let the event loop's thread have the GIL: pages keep answering
    added = console.queries.add_dnc_numbers(numbers, source=DncSource.import_, reason=reason)
    return added, bad


@router.post("/dnc/{entry_id}/remove")
def dnc_remove(
    request: Request,
    entry_id: int,
    reason: str = Form(..., min_length=3, max_length=200),
    me: Principal = Depends(require(Permission.manage_dnc)),
) -> Response:
    console = console_of(request)
    entry = console.ledger.remove_dnc(entry_id, reason=reason)
    console.audit(
        me.name, "dnc.remove", f"dnc:{entry.id}", number=mask_display(entry.e164 or ""), reason=reason
    )
    return redirect("/dnc", "removed from the do-not-call list")
