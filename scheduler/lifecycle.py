"""Failures on the way to a call: not placed, backed off, paused with a reason.

    claimed/dialing --not_placed(cause)--> done, disposition not_placed, never in the compliance history
         campaign: failure_streak + 1, no claims until backoff_until (doubling per failure); after
         `pause_after` failures in a row the campaign pauses itself with the cause as its state reason
    placed call recorded --placed(...)--> a call the session conducted resets the campaign's streak; a trunk
         failure (408 without ringing, 5xx, no response) backs the trunk off for every host, anything
         else from the network resets it

Only causes without personal data are stored (an exception's class and our own words, never a number).
Every step is fenced by the lease (`claims.fenced`), so a host that lost its lease writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from scheduler.claims import LIVE, default_owner
from scheduler.models import Attempt, AuditEntry, Campaign, TrunkHealth
from scheduler.settings import Backoff
from scheduler.vocabulary import AttemptState, CampaignState, Disposition

PAUSED = "campaign.paused"


@dataclass(frozen=True, slots=True)
class Failure:
    """What one local failure did to its campaign (for the log, the metrics and the run summary)."""

    recorded: bool  # False: the lease was gone, nothing written
    campaign_id: int = 0
    streak: int = 0
    backoff_until: dt.datetime | None = None
    paused_reason: str = ""  # non-empty: this failure paused the campaign


def trunk_key(trunk: str | None) -> str:
    return trunk or ""


def _audit(
    conn: Connection, owner: str, action: str, subject: str, now: dt.datetime, **detail: object
) -> None:
    conn.execute(
        sa.insert(AuditEntry).values(
            at=now, actor=owner, action=action, subject=subject, rule="LOCAL", profile_versions={},
            detail=detail,
        )
    )  # fmt: skip


def pause_campaign(conn: Connection, owner: str, campaign_id: int, reason: str, now: dt.datetime) -> bool:
    """A running (or draft) campaign -> paused with `reason`; audited as campaign.paused (the webhook
    feed's event). False when it was not running (already paused, stopped or finished)."""
    done = conn.execute(
        sa.update(Campaign)
        .where(Campaign.id == campaign_id, Campaign.state.in_((CampaignState.running.value, "draft")))
        .values(state=CampaignState.paused.value, state_reason=reason[:300])
    ).rowcount
    if done:
        _audit(conn, owner, PAUSED, f"campaign:{campaign_id}", now, reason=reason[:300])
    return bool(done)


class Lifecycle:
    """One host's writes for attempts that failed on the way to a call."""

    def __init__(self, engine: Engine, owner: str | None = None, backoff: Backoff | None = None) -> None:
        self.engine = engine
        self.owner = owner or default_owner()
        self.backoff = backoff or Backoff()

    def not_placed(self, attempt_id: int, cause: str, now: dt.datetime) -> Failure:
        """A claimed (or paced) attempt that failed before an INVITE left: done, not_placed, with its
        cause; the campaign backs off and pauses itself after `pause_after` failures in a row."""
        cause = cause[:200] or "unknown local failure"
        with self.engine.begin() as conn:
            done = conn.execute(
                sa.update(Attempt)
                .where(
                    Attempt.id == attempt_id,
                    Attempt.state.in_(LIVE),
                    Attempt.lease_owner == self.owner,
                    Attempt.lease_expires_at > now,
                )
                .values(
                    state=AttemptState.done.value,
                    disposition=Disposition.not_placed.value,
                    result=None,
                    dialing_at=None,
                    ended_at=now,
                    lease_expires_at=None,
                    cause=cause,
                )
            ).rowcount
            if not done:
                return Failure(False)
            campaign_id = int(
                conn.scalar(sa.select(Attempt.campaign_id).where(Attempt.id == attempt_id)) or 0
            )
            _audit(conn, self.owner, "attempt.not_placed", f"attempt:{attempt_id}", now, cause=cause)
            return self._local_failure(conn, campaign_id, cause, now)

    def failed_after_dial(self, attempt_id: int, cause: str, now: dt.datetime) -> Failure:
        """A placed call (already recorded, counted in the history) that our side could not conduct
        (the session never spoke): a local failure of its campaign all the same."""
        with self.engine.begin() as conn:
            campaign_id = conn.scalar(sa.select(Attempt.campaign_id).where(Attempt.id == attempt_id))
            if campaign_id is None:
                return Failure(False)
            return self._local_failure(conn, int(campaign_id), cause[:200], now)

    def _local_failure(self, conn: Connection, campaign_id: int, cause: str, now: dt.datetime) -> Failure:
        streak = 1 + int(
            conn.scalar(sa.select(Campaign.failure_streak).where(Campaign.id == campaign_id)) or 0
        )
        until = now + dt.timedelta(seconds=self.backoff.delay(self.backoff.local_seconds, streak))
        conn.execute(
            sa.update(Campaign)
            .where(Campaign.id == campaign_id)
            .values(failure_streak=streak, backoff_until=until)
        )
        reason = ""
        if streak >= self.backoff.pause_after:
            why = f"paused after {streak} local failures in a row; last: {cause}"
            if pause_campaign(conn, self.owner, campaign_id, why, now):
                reason = why
        return Failure(True, campaign_id, streak, until, reason)

    def placed(self, attempt_id: int, *, conducted: bool, trunk_failure: str, now: dt.datetime) -> None:
        """After a placed call was recorded: `conducted` (the session spoke, or the network ended the call
        before an answer) ends the campaign's failure streak; `trunk_failure` (a reason, or "") backs the
        trunk off or, when empty, clears its streak."""
        with self.engine.begin() as conn:
            row = conn.execute(
                sa.select(Attempt.campaign_id, Campaign.trunk)
                .join(Campaign, Campaign.id == Attempt.campaign_id)
                .where(Attempt.id == attempt_id)
            ).first()
            if row is None:
                return
            campaign_id, trunk = int(row[0]), trunk_key(row[1])
            if conducted:
                conn.execute(
                    sa.update(Campaign)
                    .where(Campaign.id == campaign_id, Campaign.failure_streak > 0)
                    .values(failure_streak=0, backoff_until=None)
                )
            health = conn.execute(
                sa.select(TrunkHealth.failure_streak).where(TrunkHealth.trunk == trunk)
            ).scalar()
            if not trunk_failure:
                if health:
                    conn.execute(
                        sa.update(TrunkHealth)
                        .where(TrunkHealth.trunk == trunk)
                        .values(failure_streak=0, backoff_until=None)
                    )
                return
            streak = int(health or 0) + 1
            until = now + dt.timedelta(seconds=self.backoff.delay(self.backoff.trunk_seconds, streak))
            values = {"failure_streak": streak, "backoff_until": until, "last_reason": trunk_failure[:200]}
            if health is None:
                conn.execute(sa.insert(TrunkHealth).values(trunk=trunk, **values))
            else:
                conn.execute(sa.update(TrunkHealth).where(TrunkHealth.trunk == trunk).values(**values))

    def pause(self, campaign_id: int, reason: str, now: dt.datetime) -> bool:
        """Pause a campaign that cannot work (start-up, reload checks) with the reason an operator sees."""
        with self.engine.begin() as conn:
            return pause_campaign(conn, self.owner, campaign_id, reason, now)


def trunk_backoff(conn: Connection, trunk: str | None, now: dt.datetime) -> tuple[dt.datetime, str] | None:
    """(until, last reason) while the trunk is backed off after failures; None when it may dial."""
    row = conn.execute(
        sa.select(TrunkHealth.backoff_until, TrunkHealth.last_reason).where(
            TrunkHealth.trunk == trunk_key(trunk)
        )
    ).first()
    if row is None or row[0] is None or row[0] <= now:
        return None
    return row[0], str(row[1] or "")
