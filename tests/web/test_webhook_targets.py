"""Webhook targets are public addresses unless the operator allows a network, checked when subscribing
and before each POST; a disabled subscription's queued retries are not delivered. The probe: loopback
and link-local targets (a cloud metadata address) were accepted, and queued retries kept going out after
the subscription was disabled."""

from __future__ import annotations

import datetime as dt

import pytest

from scheduler.webhooks import TargetRefused, WebhookOutbox, allowed_networks, backoff, check_target

from .conftest import LOOPBACK, ConsoleEnv, csrf_from
from .test_webhooks import Clock, Receiver, receiver  # noqa: F401 - the fixture

REFUSED = [
    "http://127.0.0.1:8080/hook",
    "http://localhost/hook",
    "http://[::1]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fe80::1]/x",
    "http://10.0.0.5/x",
    "http://192.168.1.10/x",
    "http://172.16.0.1/x",
    "http://0.0.0.0/x",
    "http://100.64.0.1/x",
]


@pytest.mark.parametrize("url", REFUSED)
def test_non_public_targets_are_refused(url: str) -> None:
    with pytest.raises(TargetRefused, match="not a public address"):
        check_target(url)


def test_public_targets_and_allowed_networks_pass() -> None:
    check_target("https://93.184.216.34/hook")
    check_target("http://10.0.0.5/x", allowed_networks(["10.0.0.0/24"]))
    with pytest.raises(TargetRefused):
        check_target("http://10.0.1.5/x", allowed_networks(["10.0.0.0/24"]))


def test_the_console_refuses_a_metadata_address(env: ConsoleEnv) -> None:
    client = env.client("admin")
    token = csrf_from(client.get("/admin/webhooks").text)
    form = {
        "url": "http://169.254.169.254/latest/meta-data/",
        "events": "promise_to_pay",
        "csrf_token": token,
    }
    response = client.post("/admin/webhooks", data=form)
    assert response.status_code == 422 and "not a public address" in response.text
    assert env.app.state.console.outbox.subscriptions() == []


def test_queued_retries_stop_when_the_subscription_is_disabled(
    env: ConsoleEnv,
    receiver: Receiver,  # noqa: F811
) -> None:
    clock = Clock()
    clock.now -= dt.timedelta(hours=1)
    outbox = WebhookOutbox(env.ledger.engine, clock, LOOPBACK)
    info, _ = outbox.subscribe(receiver.url, ("promise_to_pay", "opt_out"), created_by="admin")
    clock.now += dt.timedelta(hours=1, minutes=1)
    assert outbox.collect() == 2
    receiver.statuses = [500, 500]
    assert outbox.deliver_due() == {"delivered": 0, "retried": 2, "failed": 0}
    outbox.deactivate(info.id)
    clock.now += backoff(1)
    assert outbox.deliver_due() == {"delivered": 0, "retried": 0, "failed": 0}
    assert len(receiver.received) == 2
    assert {d.status for d in outbox.deliveries()} == {"cancelled"}


def test_a_target_is_checked_again_before_each_post(
    env: ConsoleEnv,
    receiver: Receiver,  # noqa: F811
) -> None:
    clock = Clock()
    clock.now -= dt.timedelta(hours=1)
    WebhookOutbox(env.ledger.engine, clock, LOOPBACK).subscribe(
        receiver.url, ("opt_out",), created_by="admin"
    )
    clock.now += dt.timedelta(hours=1, minutes=1)
    strict = WebhookOutbox(env.ledger.engine, clock)  # the network allowance was withdrawn since
    assert strict.collect() == 1
    assert strict.deliver_due() == {"delivered": 0, "retried": 1, "failed": 0}
    assert receiver.received == []
    assert "not a public address" in (strict.deliveries()[0].last_error or "")
