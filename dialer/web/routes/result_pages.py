"""Live calls, a call's detail (transcript turns, recording for admins) and the batch export."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response

from dialer.web.auth import Principal, require
from dialer.web.console import Console, console_of
from dialer.web.live import durations
from dialer.web.masking import display_number
from dialer.web.pages import render
from dialer.web.roles import Permission
from dialer.web.routes.campaign_pages import local_midnight
from scheduler.importing.values import neutralize
from scheduler.report_records import CALL_COLUMNS, MEASURE_COLUMNS, call_cells, measure_cells
from scheduler.vocabulary import Disposition

router = APIRouter()
EXPORT_COLUMNS = (*CALL_COLUMNS, *MEASURE_COLUMNS, "recordings")


@router.get("/live")
def live(request: Request, me: Principal = Depends(require(Permission.view))) -> Response:
    console = console_of(request)
    calls = durations(console.live.snapshot(), console.clock)
    counters = console.queries.counters(local_midnight(console))
    return render(request, "live.html", me, calls=calls, counters=counters)


def recording_file(console: Console, path: str) -> Path:
    """A recording path from the ledger, resolved inside the data directory (never outside it)."""
    root = console.options.data_dir.resolve()
    full = (root / path).resolve()
    if not full.is_relative_to(root):
        raise HTTPException(404, "no such recording")
    return full


PAGE = 100


@router.get("/campaigns/{name}/calls")
def calls(
    request: Request,
    name: str,
    account: str = Query("", max_length=64),
    disposition: str = Query("", max_length=32),
    page: int = Query(1, ge=1, le=100_000),
    me: Principal = Depends(require(Permission.view)),
) -> Response:
    """Every call of a campaign, newest first, by account or disposition, a page at a time."""
    console = console_of(request)
    campaign = console.ledger.get_campaign(name)
    rows = console.queries.calls(
        campaign.id,
        account_ref=account.strip() or None,
        disposition=disposition or None,
        limit=PAGE + 1,
        offset=(page - 1) * PAGE,
    )
    return render(
        request,
        "calls.html",
        me,
        campaign=campaign,
        calls=rows[:PAGE],
        more=len(rows) > PAGE,
        page=page,
        account=account,
        disposition=disposition,
        dispositions=[d.value for d in Disposition],
    )


@router.get("/calls/{attempt_id}")
def call_detail(
    request: Request, attempt_id: int, me: Principal = Depends(require(Permission.view))
) -> Response:
    console = console_of(request)
    record = console.ledger.call_record(attempt_id)
    account_ref = console.queries.account_ref(record.attempt.account_id)
    return render(request, "call.html", me, record=record, account_ref=account_ref)


@router.get("/calls/{attempt_id}/recording/{index}")
def recording(
    request: Request,
    attempt_id: int,
    index: int,
    me: Principal = Depends(require(Permission.download_recordings)),
) -> Response:
    console = console_of(request)
    record = console.ledger.call_record(attempt_id)
    if not 0 <= index < len(record.recordings):
        raise HTTPException(404, "no such recording")
    path = recording_file(console, record.recordings[index].path)
    if not path.is_file():
        raise HTTPException(404, "the recording file is missing from the data directory")
    console.audit(me.name, "recording.download", f"attempt:{attempt_id}", index=index)
    return FileResponse(path, media_type="audio/wav", filename=f"call-{attempt_id}-{index}.wav")


@router.get("/campaigns/{name}/export.zip")
def export(
    request: Request, name: str, recordings: bool = False, me: Principal = Depends(require(Permission.export))
) -> Response:
    """calls.csv (numbers masked unless the viewer sees full numbers) and, for admins, the WAV files."""
    console = console_of(request)
    campaign_id = console.queries.campaign_id(name)
    if recordings and not me.can(Permission.download_recordings):
        raise HTTPException(403, "only admins may export recordings")
    calls = console.queries.calls(campaign_id, limit=1_000_000)
    files = console.queries.recordings([c["id"] for c in calls])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        table = io.StringIO()
        writer = csv.writer(table)
        writer.writerow(EXPORT_COLUMNS)
        for c in calls:
            shown = " ".join(f"recordings/{Path(p).name}" for p in files.get(c["id"], []))
            writer.writerow(
                [
                    *call_cells(c, display_number(c["e164"], me.role)),
                    *measure_cells(c),
                    neutralize(shown if recordings else ""),
                ]
            )
        archive.writestr("calls.csv", "\ufeff" + table.getvalue())
        if recordings:
            for paths in files.values():
                for p in paths:
                    full = recording_file(console, p)
                    if full.is_file():
                        archive.write(full, f"recordings/{full.name}")
    console.audit(me.name, "export.calls", f"campaign:{campaign_id}", rows=len(calls), recordings=recordings)
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{_safe(name)}-export.zip"'},
    )


def _safe(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name) or "campaign"
