"""The QA queue in headless Chromium: the seeded violations are listed, the filters narrow them, the review
page marks the findings on their turns, and a supervisor's verdict is stored and shown."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from dialer.qa.inspect import run_pass
from dialer.qa.rules import load_rules
from dialer.settings import Settings
from dialer.web import create_app
from scheduler.db import create_engine
from scheduler.operators import OperatorStore
from scheduler.sql_ledger import SqlLedger
from tests.qa.seed import CALLS, seed
from tests.web.conftest import SECRET, password_hash_of, password_of
from tests.web.test_browser import browser, shot, wait_for, wait_for_text

__all__ = ["browser"]  # the Chromium fixture
pytestmark = pytest.mark.slow


@pytest.fixture
def qa_server(settings: Settings, sqlite_url: str, tmp_path: Path) -> Iterator[tuple[str, dict[str, int]]]:
    attempts = seed(sqlite_url, settings.data_dir, tmp_path)
    ledger = SqlLedger(create_engine(sqlite_url))
    run_pass(ledger.engine, load_rules())
    OperatorStore(ledger.engine).create_user("supervisor", "supervisor", password_hash_of("supervisor"))
    app = create_app(settings, ledger=ledger, cookie_secure=False, secret_key=SECRET)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", attempts
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()
        ledger.close()


def test_the_qa_queue_shows_every_seeded_violation(
    qa_server: tuple[str, dict[str, int]], browser: object
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    server, attempts = qa_server
    d: object = browser
    d.get(f"{server}/qa")  # type: ignore[attr-defined]
    wait_for(d, "username").send_keys("supervisor")
    d.find_element(By.ID, "password").send_keys(password_of("supervisor"))  # type: ignore[attr-defined]
    d.find_element(By.ID, "sign-in").click()  # type: ignore[attr-defined]
    table = wait_for(d, "qa-findings")  # sign-in returns to the page asked for
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr")
    shown = {(r.find_elements(By.TAG_NAME, "td")[2].text, r.get_attribute("data-rule")) for r in rows}
    assert shown == {(c.account, rule) for c in CALLS for rule in c.expected}
    shot(d, "qa-1-queue")

    Select(d.find_element(By.ID, "f-rule")).select_by_visible_text("request_honoured")  # type: ignore[attr-defined]
    d.find_element(By.ID, "f-apply").click()  # type: ignore[attr-defined]
    WebDriverWait(d, 15).until(lambda drv: "rule=request_honoured" in drv.current_url)
    rows = wait_for(d, "qa-findings").find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [r.find_elements(By.TAG_NAME, "td")[2].text for r in rows] == ["V03"]
    shot(d, "qa-2-filtered")

    rows[0].find_element(By.TAG_NAME, "a").click()
    turns = wait_for(d, "qa-turns")
    flagged = turns.find_elements(By.CSS_SELECTOR, "tr.flagged")
    assert len(flagged) == 1 and "Stop. Don't call me again." in flagged[0].text
    assert "request_honoured" in flagged[0].text
    finding_row = d.find_element(By.CSS_SELECTOR, "#qa-verdicts tbody tr")  # type: ignore[attr-defined]
    finding_id = finding_row.get_attribute("id").removeprefix("finding-")
    d.find_element(By.ID, f"dismiss-{finding_id}").click()  # type: ignore[attr-defined]
    assert "needs a note" in wait_for_text(d, "flash", "needs a note")
    d.find_element(By.ID, f"note-{finding_id}").send_keys("the callee withdrew the request")  # type: ignore[attr-defined]
    d.find_element(By.ID, f"dismiss-{finding_id}").click()  # type: ignore[attr-defined]
    dismissed = f"finding {finding_id}: dismiss"
    assert dismissed in wait_for_text(d, "flash", dismissed)
    status = d.find_element(By.CSS_SELECTOR, f"#finding-{finding_id} td.status").text  # type: ignore[attr-defined]
    assert status == "dismiss by supervisor: the callee withdrew the request"
    shot(d, "qa-3-review")

    d.get(f"{server}/qa?status=dismiss")  # type: ignore[attr-defined]
    rows = wait_for(d, "qa-findings").find_elements(By.CSS_SELECTOR, "tbody tr")
    assert [r.find_element(By.CSS_SELECTOR, "td.status").text for r in rows] == ["dismiss"]
    assert attempts["V03"] == int(rows[0].find_elements(By.TAG_NAME, "td")[0].text)
