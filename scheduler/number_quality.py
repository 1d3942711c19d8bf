"""Data quality per uploaded call list: how many of its numbers turned out valid, invalid, vacant, out of
service, unreachable or suppressed, and their line types (`dialer report` and the console show it).

Invalid numbers never reach the contact table (the importer rejects them), so their count comes from the
batch's own import summary; every other status is the contact number's current one, so the figures improve
as calls come back. A number belongs to the list that last wrote its account; numbers of accounts that came
from no upload (the API, tests) are counted under `batch_id` None.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from scheduler.models import Account, ContactNumber, ImportBatch
from scheduler.vocabulary import NumberStatus

STATUSES = (
    NumberStatus.valid,
    NumberStatus.invalid,
    NumberStatus.vacant,
    NumberStatus.out_of_service,
    NumberStatus.powered_off,
    NumberStatus.unavailable,
    NumberStatus.unreachable,
    NumberStatus.suppressed,
    NumberStatus.unknown,
)
_NAMED_DEAD = frozenset({NumberStatus.vacant.value, NumberStatus.out_of_service.value})


@dataclass(frozen=True)
class ListQuality:
    batch_id: int | None
    filename: str
    uploaded_at: dt.datetime | None
    numbers: dict[str, int]  # every status of STATUSES, zero included
    line_types: dict[str, int]
    checked_by_calls: int = 0  # numbers whose status a call has set or confirmed
    regions: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.numbers.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "filename": self.filename,
            "uploaded_at": self.uploaded_at.isoformat() if self.uploaded_at else None,
            "total": self.total,
            "numbers": dict(self.numbers),
            "line_types": dict(self.line_types),
            "regions": dict(self.regions),
            "checked_by_calls": self.checked_by_calls,
        }


def _status(status: str, suppressed: bool) -> str:
    """A suppressed number keeps its named cause (vacant, out of service) when it has one."""
    if status in _NAMED_DEAD:
        return status
    if suppressed:
        return NumberStatus.suppressed.value
    return status if status in {s.value for s in STATUSES} else NumberStatus.unknown.value


def list_quality(session: Session, campaign_id: int) -> list[ListQuality]:
    """One entry per upload of the campaign (oldest first, dry runs left out), then the un-uploaded rest."""
    per_number = (
        sa.select(
            Account.import_batch_id.label("batch_id"),
            ContactNumber.id.label("number_id"),
            ContactNumber.status,
            ContactNumber.suppressed_at.is_not(None).label("suppressed"),
            ContactNumber.line_type,
            ContactNumber.region,
            ContactNumber.last_checked_at.is_not(None).label("checked"),
        )
        .join(Account, Account.debtor_id == ContactNumber.debtor_id)
        .where(Account.campaign_id == campaign_id)
        .distinct()
        .subquery()
    )
    rows = session.execute(
        sa.select(
            per_number.c.batch_id,
            per_number.c.status,
            per_number.c.suppressed,
            per_number.c.line_type,
            per_number.c.region,
            per_number.c.checked,
            sa.func.count(),
        ).group_by(
            per_number.c.batch_id,
            per_number.c.status,
            per_number.c.suppressed,
            per_number.c.line_type,
            per_number.c.region,
            per_number.c.checked,
        )
    ).all()
    tallies: dict[int | None, dict[str, dict[str, int]]] = {}
    for batch_id, status, suppressed, line_type, region, checked, count in rows:
        t = tallies.setdefault(batch_id, {"numbers": {}, "line_types": {}, "regions": {}, "checked": {}})
        key = _status(str(status), bool(suppressed))
        t["numbers"][key] = t["numbers"].get(key, 0) + int(count)
        t["line_types"][line_type] = t["line_types"].get(line_type, 0) + int(count)
        place = region or "??"
        t["regions"][place] = t["regions"].get(place, 0) + int(count)
        if checked:
            t["checked"]["n"] = t["checked"].get("n", 0) + int(count)
    batches = session.scalars(
        sa.select(ImportBatch)
        .where(ImportBatch.campaign_id == campaign_id, ImportBatch.dry_run.is_(False))
        .order_by(ImportBatch.id)
    ).all()
    out = [
        _entry(
            b.id,
            b.filename,
            b.started_at,
            tallies.get(b.id),
            int((b.quality or {}).get("numbers_invalid", 0)),
        )
        for b in batches
    ]
    if None in tallies:
        out.append(_entry(None, "(not uploaded)", None, tallies[None], 0))
    return out


def _entry(
    batch_id: int | None,
    filename: str,
    uploaded_at: dt.datetime | None,
    tally: dict[str, dict[str, int]] | None,
    invalid: int,
) -> ListQuality:
    tally = tally or {"numbers": {}, "line_types": {}, "regions": {}, "checked": {}}
    numbers = {s.value: tally["numbers"].get(s.value, 0) for s in STATUSES}
    numbers[NumberStatus.invalid.value] += invalid
    line_types = dict(sorted(tally["line_types"].items(), key=lambda kv: (-kv[1], kv[0])))
    regions = dict(sorted(tally["regions"].items(), key=lambda kv: (-kv[1], kv[0])))
    return ListQuality(
        batch_id, filename, uploaded_at, numbers, line_types, tally["checked"].get("n", 0), regions
    )
