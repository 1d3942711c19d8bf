"""One campaign's results for people (`dialer report`): the funnel, dispositions, answer rate by hour,
turn and opening latency, and data quality per uploaded list, as one frozen value.

Nothing here is computed twice: the funnel, the hours and the turn latencies are the console's own queries
(`scheduler.console_queries`), the dispositions and attempt counts are `Ledger.campaign_stats`, and data
quality is `scheduler.number_quality.list_quality`, so the report, the console and the API agree. What only
the report adds: the accounts that paid, and the opening latency (answer to the first audio of the opening,
the attempt's `opening_ms` column).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from scheduler.console_queries import ConsoleQueries
from scheduler.models import Account, Attempt
from scheduler.number_quality import ListQuality, list_quality
from scheduler.sql_ledger import SqlLedger
from scheduler.vocabulary import AccountStatus

PERCENTILES = (50, 95, 99)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100), the console's definition; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(math.ceil(q / 100 * len(ordered)), 1) - 1])


@dataclass(frozen=True)
class Latency:
    """Milliseconds; `values` stay in the object for the histogram and are left out of `as_dict`."""

    values: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.values)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"count": self.count}
        out |= {f"p{q}": percentile(self.values, q) for q in PERCENTILES}
        out["max"] = max(self.values) if self.values else None
        return out


@dataclass(frozen=True)
class HourRate:
    hour: int  # hour of day in the operator's time zone
    dialed: int
    answered: int

    @property
    def rate(self) -> float | None:
        return self.answered / self.dialed if self.dialed else None


@dataclass(frozen=True)
class CampaignReport:
    campaign: str
    campaign_id: int
    state: str
    script: str
    timezone: str
    generated_at: dt.datetime
    accounts: int
    amount_due: dict[str, Decimal]
    attempts_by_state: dict[str, int]
    funnel: tuple[tuple[str, int], ...]  # accounts, dialed, answered, right party, promise, paid
    dispositions: tuple[tuple[str, int], ...]  # most frequent first
    hours: tuple[HourRate, ...]  # 24 entries
    turn_latency: Latency  # bot turns: end of the callee's speech to the bot's first audio
    opening_latency: Latency  # answer to the first audio of the opening
    quality: tuple[ListQuality, ...]

    @property
    def attempts(self) -> int:
        return sum(self.attempts_by_state.values())

    @property
    def dialed_attempts(self) -> int:
        return sum(h.dialed for h in self.hours)

    @property
    def answered_attempts(self) -> int:
        return sum(h.answered for h in self.hours)

    def disposition_shares(self) -> list[tuple[str, int, float]]:
        total = sum(n for _, n in self.dispositions)
        return [(name, n, n / total if total else 0.0) for name, n in self.dispositions]

    def as_dict(self) -> dict[str, Any]:
        """The `--json` object: plain JSON types only (money as strings, times as ISO 8601)."""
        dialed, answered = self.dialed_attempts, self.answered_attempts
        return {
            "campaign": self.campaign,
            "state": self.state,
            "script": self.script,
            "timezone": self.timezone,
            "generated_at": self.generated_at.isoformat(),
            "accounts": self.accounts,
            "amount_due": {c: str(a) for c, a in sorted(self.amount_due.items())},
            "attempts": {
                "total": self.attempts,
                "by_state": dict(sorted(self.attempts_by_state.items())),
                "dialed": dialed,
                "answered": answered,
                "answer_rate": answered / dialed if dialed else None,
            },
            "funnel": [{"stage": s, "accounts": n} for s, n in self.funnel],
            "dispositions": [
                {"disposition": d, "count": n, "share": round(share, 4)}
                for d, n, share in self.disposition_shares()
            ],
            "answer_rate_by_hour": [
                {"hour": h.hour, "dialed": h.dialed, "answered": h.answered, "rate": h.rate}
                for h in self.hours
            ],
            "turn_latency_ms": self.turn_latency.as_dict(),
            "opening_latency_ms": self.opening_latency.as_dict(),
            "data_quality": [q.as_dict() for q in self.quality],
        }


def build_report(engine: Engine, campaign: str, timezone: str, now: dt.datetime) -> CampaignReport:
    """The report of the campaign named `campaign`; `CampaignNotFound` if there is none, `BackendError`
    when the database fails. `timezone` (an IANA name) only places attempts in hours of the day."""
    ledger = SqlLedger(engine)
    info = ledger.get_campaign(campaign)
    stats = ledger.campaign_stats(campaign)
    queries = ReportQueries(engine)
    funnel = queries.funnel(info.id)
    hours = queries.answer_rate_by_hour(info.id, timezone, EPOCH)
    latencies = queries.turn_latencies(info.id, limit=1_000_000)
    paid = queries.paid_accounts(info.id)
    openings = queries.opening_latencies(info.id)
    quality = queries.list_quality(info.id)
    return CampaignReport(
        campaign=info.name,
        campaign_id=info.id,
        state=info.state,
        script=info.script,
        timezone=timezone,
        generated_at=now,
        accounts=stats.accounts,
        amount_due=dict(stats.amount_due),
        attempts_by_state=dict(stats.attempts_by_state),
        funnel=(*funnel, ("paid", paid)),
        dispositions=tuple(sorted(stats.dispositions.items(), key=lambda kv: (-kv[1], kv[0]))),
        hours=tuple(HourRate(h, d, a) for h, d, a in hours),
        turn_latency=Latency(tuple(sorted(latencies))),
        opening_latency=Latency(tuple(sorted(openings))),
        quality=tuple(quality),
    )


class ReportQueries(ConsoleQueries):
    """The console's aggregates, plus the few only the report shows."""

    def paid_accounts(self, campaign_id: int) -> int:
        with self._session() as s:
            paid = s.scalar(
                sa.select(sa.func.count()).where(
                    Account.campaign_id == campaign_id, Account.status == AccountStatus.paid.value
                )
            )
        return int(paid or 0)

    def list_quality(self, campaign_id: int) -> list[ListQuality]:
        with self._session() as s:
            return list_quality(s, campaign_id)

    def opening_latencies(self, campaign_id: int) -> list[int]:
        """`opening_ms` of each answered call of the campaign that measured one."""
        with self._session() as s:
            values = s.scalars(
                sa.select(Attempt.opening_ms).where(
                    Attempt.campaign_id == campaign_id,
                    Attempt.answered_at.is_not(None),
                    Attempt.opening_ms.is_not(None),
                )
            ).all()
        return [int(v) for v in values if v is not None and v >= 0]
