"""Webhooks on promise to pay and opt-out: an outbox in the ledger database, delivered with retries.

The daemon's delivery job (`install_webhook_job`, every 15 s; the console's "Deliver now" runs the same
pass at once) calls `collect()` (turn new promises and opt-outs into one delivery row per subscription;
idempotent: a unique (subscription, event) key) and `deliver_due()` (POST what is due). Nothing is lost
when the receiver is down: a failed POST is retried with exponential backoff until `MAX_ATTEMPTS`.

Signing (documented for receivers): header ``X-Dialer-Signature: t=<unix seconds>,v1=<hex>`` where
``<hex> = HMAC-SHA256(secret, "<t>." + raw request body)``. Receivers recompute it, compare in constant
time and reject timestamps older than a few minutes (replay). ``X-Dialer-Event`` names the event and
``X-Dialer-Delivery`` is the event key, stable across retries (deduplicate on it).

Targets: only public addresses, checked when subscribing and again before every POST (a name may come
to resolve elsewhere): loopback, link-local (cloud metadata at 169.254.169.254), private and reserved
addresses are refused unless the operator allows that network (`[web] webhook_allow_networks`). A
disabled subscription's queued deliveries are cancelled, and only active subscriptions are delivered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from scheduler.ledger import InvalidValue, NotFound
from scheduler.models import Account, Attempt, AuditEntry, Campaign, Promise, utcnow
from scheduler.operators import WebhookDelivery, WebhookSubscription
from scheduler.transactions import Transactions

log = logging.getLogger(__name__)

EVENTS = ("promise_to_pay", "opt_out", "campaign_paused")
MAX_ATTEMPTS = 8
BASE_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(hours=1)
SIGNATURE_HEADER = "X-Dialer-Signature"


@dataclass(frozen=True)
class SubscriptionInfo:
    id: int
    url: str
    events: tuple[str, ...]
    active: bool
    created_by: str
    created_at: dt.datetime


@dataclass(frozen=True)
class DeliveryInfo:
    id: int
    subscription_id: int
    event_key: str
    event: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime
    last_status: int | None
    last_error: str | None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, now: float, tolerance: float = 300) -> bool:
    """What a receiver does; used by the tests and offered to Python receivers."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def backoff(attempts: int) -> dt.timedelta:
    return min(BASE_DELAY * (2 ** max(attempts - 1, 0)), MAX_DELAY)


Poster = Callable[[str, bytes, dict[str, str]], int]  # (url, body, headers) -> HTTP status
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class TargetRefused(InvalidValue):
    """The webhook URL names an address the console may not send to."""


def allowed_networks(cidrs: Sequence[str]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(c.strip(), strict=False) for c in cidrs if c.strip())
    except ValueError as exc:
        raise InvalidValue(f"webhook_allow_networks: {exc}") from exc


def check_target(url: str, allow: Sequence[Network] = ()) -> None:
    """TargetRefused unless every address the URL's host resolves to is public or in `allow`."""
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise TargetRefused("the webhook URL must be http:// or https:// with a host")
    host = parsed.host.strip("[]")
    try:
        addresses = {ipaddress.ip_address(host)}
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, parsed.port or 443, proto=socket.IPPROTO_TCP)
        except OSError as exc:
            raise TargetRefused(f"the webhook host {host!r} does not resolve") from exc
        addresses = {ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos}
    for address in addresses:
        if any(address in network for network in allow):
            continue
        if not address.is_global or address.is_multicast:
            raise TargetRefused(
                f"the webhook target {address} is not a public address (loopback, link-local, private or "
                "reserved): allow its network in [web] webhook_allow_networks if it is yours"
            )


def httpx_poster(timeout: float) -> Poster:
    def post(url: str, body: bytes, headers: dict[str, str]) -> int:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            return client.post(url, content=body, headers=headers).status_code

    return post


class WebhookOutbox(Transactions):
    def __init__(
        self, engine: Engine, clock: Callable[[], dt.datetime] = utcnow, allow_networks: Sequence[str] = ()
    ) -> None:
        super().__init__(engine)
        self._clock = clock
        self.allow = allowed_networks(allow_networks)

    # ---- subscriptions ---------------------------------------------------------------------------------
    def subscribe(
        self, url: str, events: tuple[str, ...], *, created_by: str
    ) -> tuple[SubscriptionInfo, str]:
        """A new subscription and its signing secret (shown once to the admin)."""
        if not url.startswith(("http://", "https://")):
            raise InvalidValue("the webhook URL must start with http:// or https://")
        check_target(url, self.allow)
        bad = [e for e in events if e not in EVENTS]
        if bad or not events:
            raise InvalidValue(f"events must be some of: {', '.join(EVENTS)}")
        secret = "whsec_" + secrets.token_urlsafe(32)
        with self._session(write=True) as s:
            row = WebhookSubscription(
                url=url, events=list(events), secret=secret, created_by=created_by, created_at=self._clock()
            )
            s.add(row)
            s.flush()
            return _subscription(row), secret

    def subscriptions(self) -> list[SubscriptionInfo]:
        with self._session() as s:
            return [
                _subscription(r)
                for r in s.scalars(sa.select(WebhookSubscription).order_by(WebhookSubscription.id))
            ]

    def deactivate(self, subscription_id: int) -> None:
        with self._session(write=True) as s:
            row = s.get(WebhookSubscription, subscription_id)
            if row is None:
                raise NotFound(f"no webhook subscription {subscription_id}")
            row.active = False
            s.execute(  # queued retries end with the subscription
                sa.update(WebhookDelivery)
                .where(WebhookDelivery.subscription_id == row.id, WebhookDelivery.status == "pending")
                .values(status="cancelled", last_error="subscription disabled")
            )

    def deliveries(self, limit: int = 100) -> list[DeliveryInfo]:
        with self._session() as s:
            rows = s.scalars(sa.select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit))
            return [_delivery(r) for r in rows]

    # ---- outbox ----------------------------------------------------------------------------------------
    def collect(self) -> int:
        """Queue a delivery for every promise and opt-out since each subscription was created."""
        now = self._clock()
        added = 0
        with self._session() as s:  # most sites subscribe nothing: no write lock every pass for them
            if not s.scalar(sa.select(sa.exists().where(WebhookSubscription.active))):
                return 0
        with self._session(write=True) as s:
            subs = s.scalars(sa.select(WebhookSubscription).where(WebhookSubscription.active)).all()
            for sub in subs:
                known = set(
                    s.scalars(
                        sa.select(WebhookDelivery.event_key).where(WebhookDelivery.subscription_id == sub.id)
                    )
                )
                for key, event, payload in self._events(s, sub):
                    if key in known:
                        continue
                    s.add(
                        WebhookDelivery(
                            subscription_id=sub.id,
                            event_key=key,
                            event=event,
                            payload=payload,
                            status="pending",
                            attempts=0,
                            next_attempt_at=now,
                            created_at=now,
                        )
                    )
                    added += 1
        return added

    def _events(self, s: Session, sub: WebhookSubscription) -> Iterator[tuple[str, str, dict[str, Any]]]:
        if "promise_to_pay" in sub.events:
            rows = s.execute(
                sa.select(Promise, Account.account_ref, Campaign.name)
                .join(Account, Account.id == Promise.account_id)
                .join(Campaign, Campaign.id == Account.campaign_id)
                .where(Promise.created_at >= sub.created_at)
                .order_by(Promise.id)
            )
            for p, ref, campaign in rows:
                key = f"promise:{p.id}"
                data = {
                    "promise_id": p.id,
                    "account_ref": ref,
                    "campaign": campaign,
                    "attempt_id": p.attempt_id,
                    "promised_date": p.promised_date.isoformat(),
                    "amount": str(p.amount),
                    "currency": p.currency,
                }
                yield key, "promise_to_pay", _envelope(key, "promise_to_pay", p.created_at, data)
        if "opt_out" in sub.events:
            rows2 = s.execute(
                sa.select(Attempt, Account.account_ref, Campaign.name)
                .join(Account, Account.id == Attempt.account_id)
                .join(Campaign, Campaign.id == Attempt.campaign_id)
                .where(Attempt.disposition == "opt_out", Attempt.ended_at >= sub.created_at)
                .order_by(Attempt.id)
            )
            for a, ref, campaign in rows2:
                key = f"opt_out:{a.id}"
                data = {"attempt_id": a.id, "account_ref": ref, "campaign": campaign}
                yield key, "opt_out", _envelope(key, "opt_out", a.ended_at or a.created_at, data)
        if "campaign_paused" in sub.events:  # by an operator, or by itself after failures (lifecycle.py)
            rows3 = s.execute(
                sa.select(AuditEntry, Campaign.name)
                .join(
                    Campaign, AuditEntry.subject == sa.literal("campaign:") + sa.cast(Campaign.id, sa.String)
                )
                .where(AuditEntry.action == "campaign.paused", AuditEntry.at >= sub.created_at)
                .order_by(AuditEntry.id)
            )
            for entry, campaign in rows3:
                key = f"campaign_paused:{entry.id}"
                reason = str((entry.detail or {}).get("reason") or f"paused by {entry.actor}")
                data = {"campaign": campaign, "reason": reason, "by": entry.actor}
                yield key, "campaign_paused", _envelope(key, "campaign_paused", entry.at, data)

    def deliver_due(
        self, poster: Poster | None = None, *, timeout: float = 10.0, limit: int = 100
    ) -> dict[str, int]:
        """POST every pending delivery that is due; returns counts of delivered, retried, failed."""
        post = poster or httpx_poster(timeout)
        now = self._clock()
        counts = {"delivered": 0, "retried": 0, "failed": 0}
        with self._session() as s:
            due = s.execute(
                sa.select(WebhookDelivery, WebhookSubscription)
                .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
                .where(
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at <= now,
                    WebhookSubscription.active,
                )
                .order_by(WebhookDelivery.id)
                .limit(limit)
            ).all()
            work = [(d.id, d.event, d.event_key, d.payload, sub.url, sub.secret) for d, sub in due]
        for delivery_id, event, key, payload, url, secret in work:
            body = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
            stamp = int(self._clock().timestamp())
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "reminder-dialer-webhooks/1",
                "X-Dialer-Event": event,
                "X-Dialer-Delivery": key,
                SIGNATURE_HEADER: sign(secret, stamp, body),
            }
            status: int | None = None
            error: str | None = None
            try:
                check_target(url, self.allow)  # again: what a name resolves to can change
                status = post(url, body, headers)
            except TargetRefused as exc:
                error = str(exc)[:300]
            except httpx.HTTPError as exc:
                error = f"{exc.__class__.__name__}: {exc}"[:300]
            outcome = self._record(delivery_id, status, error)
            counts[outcome] += 1
        return counts

    def _record(self, delivery_id: int, status: int | None, error: str | None) -> str:
        now = self._clock()
        with self._session(write=True) as s:
            row = s.get(WebhookDelivery, delivery_id)
            assert row is not None
            row.attempts += 1
            row.last_status, row.last_error = status, error
            if status is not None and 200 <= status < 300:
                row.status, row.delivered_at = "delivered", now
                return "delivered"
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
                return "failed"
            row.next_attempt_at = now + backoff(row.attempts)
            if error is None:
                row.last_error = f"HTTP {status}"
            return "retried"


def _envelope(key: str, event: str, at: dt.datetime, data: dict[str, Any]) -> dict[str, Any]:
    return {"id": key, "type": event, "created_at": at.isoformat(), "data": data}


def _subscription(r: WebhookSubscription) -> SubscriptionInfo:
    return SubscriptionInfo(r.id, r.url, tuple(r.events), r.active, r.created_by, r.created_at)


def _delivery(r: WebhookDelivery) -> DeliveryInfo:
    return DeliveryInfo(
        r.id,
        r.subscription_id,
        r.event_key,
        r.event,
        r.status,
        r.attempts,
        r.next_attempt_at,
        r.last_status,
        r.last_error,
    )


WEBHOOK_JOB_ID = "webhook_delivery"


def install_webhook_job(
    scheduler: Any, outbox: WebhookOutbox, *, timeout: float, every_seconds: float = 15.0
) -> Any:
    """The daemon's delivery job: every `every_seconds`, queue new events and POST what is due. A slow
    receiver never holds up dialling (the scheduler's thread); a pass that fails on the database is
    logged and tried again on the next tick, and nothing queued is lost."""
    from scheduler.jobs import install_pass

    def run() -> dict[str, int]:
        return {"queued": outbox.collect(), **outbox.deliver_due(timeout=timeout)}

    return install_pass(
        scheduler,
        run,
        job_id=WEBHOOK_JOB_ID,
        name="webhook delivery",
        event="webhooks.pass",
        every_seconds=every_seconds,
    )
