"""Live calls, a call's detail (transcript turns, recording for admins) and the batch export."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from dialer.web.auth import Principal, require
from dialer.web.console import Console, console_of
from dialer.web.live import durations
from dialer.web.masking import display_number
from dialer.web.pages import render
from dialer.web.recordings import RecordingRefused, read_recording
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


def recording_bytes(console: Console, path: str) -> bytes:
    """A recording from the ledger: a WAV file in the recordings directory, or 404 with the reason."""
    try:
        return read_recording(console.options.data_dir, path)
    except RecordingRefused as exc:
        raise HTTPException(404, f"no such recording: {exc}") from exc


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
    audio = recording_bytes(console, record.recordings[index].path)
    console.audit(me.name, "recording.download", f"attempt:{attempt_id}", index=index)
    disposition = f'attachment; filename="call-{attempt_id}-{index}.wav"'
    return Response(audio, media_type="audio/wav", headers={"Content-Disposition": disposition})


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
        skipped: list[tuple[int, str, str]] = []
        if recordings:
            for attempt_id, paths in files.items():
                for p in paths:
                    try:
                        archive.writestr(
                            f"recordings/{Path(p).name}", read_recording(console.options.data_dir, p)
                        )
                    except RecordingRefused as exc:  # reported in the archive, the export goes on
                        skipped.append((attempt_id, Path(p).name, str(exc)))
        if skipped:
            report = io.StringIO()
            csv.writer(report).writerows([("attempt_id", "file", "reason"), *skipped])
            archive.writestr("recordings-skipped.csv", "\ufeff" + report.getvalue())
    console.audit(
        me.name,
        "export.calls",
        f"campaign:{campaign_id}",
        rows=len(calls),
        recordings=recordings,
        recordings_skipped=len(skipped),
    )
    return Response(
        buffer.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{_safe(name)}-export.zip"'},
    )


def _safe(name: str) -> str:
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name) or "campaign"
