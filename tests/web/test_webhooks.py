"""Webhooks: HMAC-signed POSTs from the outbox to a real receiver on 127.0.0.1, with retries."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest

from scheduler.ledger import InvalidValue
from scheduler.webhooks import MAX_ATTEMPTS, WebhookOutbox, backoff, install_webhook_job, sign, verify
from tests.webhook_receiver import Receiver

from .conftest import LOOPBACK, ConsoleEnv, csrf_from


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


def test_signature_round_trip_and_tampering() -> None:
    body = b'{"a":1}'
    header = sign("whsec_x", 1_700_000_000, body)
    assert verify("whsec_x", header, body, now=1_700_000_010)
    assert not verify("whsec_x", header, body + b" ", now=1_700_000_010)
    assert not verify("whsec_y", header, body, now=1_700_000_010)
    assert not verify("whsec_x", header, body, now=1_700_000_000 + 3600)  # replayed later
    assert not verify("whsec_x", "garbage", body, now=1_700_000_000)


def test_subscription_input_is_checked(env: ConsoleEnv) -> None:
    outbox = env.app.state.console.outbox
    with pytest.raises(InvalidValue):
        outbox.subscribe("ftp://example", ("promise_to_pay",), created_by="t")
    with pytest.raises(InvalidValue):
        outbox.subscribe("http://127.0.0.1/x", ("payment",), created_by="t")


def test_promise_and_opt_out_are_delivered_signed_and_retried(env: ConsoleEnv, receiver: Receiver) -> None:
    clock = Clock()
    subscribed_at = clock.now - dt.timedelta(hours=1)  # before the seeded calls
    clock.now = subscribed_at
    outbox = WebhookOutbox(env.ledger.engine, clock, LOOPBACK)
    _, secret = outbox.subscribe(receiver.url, ("promise_to_pay", "opt_out"), created_by="admin")
    clock.now = subscribed_at + dt.timedelta(hours=1, minutes=1)
    assert outbox.collect() == 2
    assert outbox.collect() == 0  # idempotent

    receiver.statuses = [500]  # the first POST fails: retried later, not lost
    first = outbox.deliver_due()
    assert first == {"delivered": 1, "retried": 1, "failed": 0}
    assert outbox.deliver_due() == {"delivered": 0, "retried": 0, "failed": 0}  # not due yet
    clock.now += backoff(1)
    assert outbox.deliver_due() == {"delivered": 1, "retried": 0, "failed": 0}

    events = {}
    for headers, body in receiver.received:
        assert verify(secret, headers["X-Dialer-Signature"], body, now=time.time())
        payload = json.loads(body)
        assert payload["id"] == headers["X-Dialer-Delivery"]
        events[payload["type"]] = payload
    assert set(events) == {"promise_to_pay", "opt_out"}
    promise = events["promise_to_pay"]["data"]
    assert promise["account_ref"] == "A1" and Decimal(promise["amount"]) == Decimal("120.50")
    assert "+1617" not in json.dumps(events)  # no phone numbers in webhook payloads
    assert {d.status for d in outbox.deliveries()} == {"delivered"}


def test_an_unreachable_receiver_fails_after_the_last_retry(env: ConsoleEnv) -> None:
    clock = Clock()
    clock.now -= dt.timedelta(hours=1)
    outbox = WebhookOutbox(env.ledger.engine, clock, LOOPBACK)
    outbox.subscribe("http://127.0.0.1:9/closed", ("promise_to_pay",), created_by="admin")
    clock.now += dt.timedelta(hours=1, minutes=1)
    outbox.collect()
    outcomes = []
    for _ in range(MAX_ATTEMPTS):
        outcomes.append(outbox.deliver_due(timeout=2))
        clock.now += backoff(MAX_ATTEMPTS)
    assert outcomes[0] == {"delivered": 0, "retried": 1, "failed": 0}
    assert outcomes[-1] == {"delivered": 0, "retried": 0, "failed": 1}
    (delivery,) = outbox.deliveries()
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS and delivery.last_error


def test_admin_subscribes_in_the_console_and_sees_the_secret_once(env: ConsoleEnv) -> None:
    client = env.client("admin")
    token = csrf_from(client.get("/admin/webhooks").text)
    page = client.post(
        "/admin/webhooks",
        data={"url": "http://127.0.0.1:8999/h", "events": ["promise_to_pay", "opt_out"], "csrf_token": token},
    )
    assert page.status_code == 200 and "whsec_" in page.text
    assert "whsec_" not in client.get("/admin/webhooks").text


def test_deliver_now_from_the_console(env: ConsoleEnv, receiver: Receiver) -> None:
    console = env.app.state.console
    original = console.outbox._clock
    console.outbox._clock = lambda: original() - dt.timedelta(hours=1)  # subscribed before the seeded calls
    console.outbox.subscribe(receiver.url, ("opt_out",), created_by="admin")
    console.outbox._clock = original
    client = env.client("admin")
    token = csrf_from(client.get("/admin/webhooks").text)
    done = client.post("/admin/webhooks/deliver", data={"csrf_token": token})
    assert done.status_code == 303 and "1%20delivered" in done.headers["location"]
    (headers, body) = receiver.received[0]
    assert headers["X-Dialer-Event"] == "opt_out" and json.loads(body)["data"]["account_ref"] == "A2"
    assert (
        env.client("supervisor").post("/admin/webhooks/deliver", data={"csrf_token": token}).status_code
        == 403
    )


def test_the_delivery_job_posts_without_anyone_pressing_deliver(env: ConsoleEnv, receiver: Receiver) -> None:
    """The daemon's job queues and delivers on its own; before it, only the console's button did."""
    from apscheduler.schedulers.background import BackgroundScheduler

    now = dt.datetime.now(dt.UTC)
    clock = iter([now - dt.timedelta(hours=1)])  # subscribed before the seeded calls, then the real time
    outbox = WebhookOutbox(env.ledger.engine, lambda: next(clock, dt.datetime.now(dt.UTC)), LOOPBACK)
    outbox.subscribe(receiver.url, ("promise_to_pay", "opt_out"), created_by="admin")
    scheduler = BackgroundScheduler(timezone=dt.UTC)
    install_webhook_job(scheduler, outbox, timeout=5, every_seconds=0.2)
    scheduler.start()
    try:
        deadline = time.monotonic() + 15
        while len(receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown()
    events = sorted(json.loads(body)["type"] for _, body in receiver.received)
    assert events == ["opt_out", "promise_to_pay"]  # each once: later passes find nothing new
    assert {d.status for d in outbox.deliveries()} == {"delivered"}


def test_a_delivery_pass_on_an_unreachable_database_is_logged_and_tried_again(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from scheduler.db import create_engine

    outbox = WebhookOutbox(create_engine("postgresql://dialer:pw@127.0.0.1:9/x"), allow_networks=LOOPBACK)
    scheduler = BackgroundScheduler(timezone=dt.UTC)  # not started: the pass is run by hand
    job = install_webhook_job(scheduler, outbox, timeout=1)
    with caplog.at_level(logging.WARNING, logger="scheduler.webhooks"):
        job.func()  # raises nothing: the next tick tries again
    assert "event=webhooks.pass_failed error=BackendError" in caplog.text
