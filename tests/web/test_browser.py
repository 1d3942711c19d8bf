"""The console in headless Chromium (Debian's chromium + chromedriver, never a downloaded browser):
sign in, upload a list with bad rows, import it, start the campaign and read its counters.
Screenshots go to test-artifacts/ for a person to look at."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from dialer.settings import Settings
from dialer.web import create_app
from scheduler import migrations
from scheduler.db import create_engine
from scheduler.operators import OperatorStore
from scheduler.sql_ledger import SqlLedger

from .conftest import SECRET, password_hash_of, password_of, seed

pytestmark = pytest.mark.slow
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
UPLOAD = (
    "account,name,phone,amount,currency,due_date\n"
    "W1,Wim Ode,+1 617 555 0161,70.00,USD,2026-12-10\n"
    "W2,Xia Poe,12345,70.00,USD,2026-12-10\n"
    "W3,Yan Qu,+1 617 555 0163,not money,USD,2026-12-10\n"
    "W4,Zed Ray,+1 617 555 0164,30.00,USD,2026-12-12\n"
)


@pytest.fixture
def server(settings: Settings, sqlite_url: str, tmp_path: Path) -> Iterator[str]:
    migrations.upgrade(sqlite_url)
    ledger = SqlLedger(create_engine(sqlite_url))
    seed(ledger, settings.data_dir, tmp_path)
    OperatorStore(ledger.engine).create_user("operator", "operator", password_hash_of("operator"))
    app = create_app(settings, ledger=ledger, cookie_secure=False, secret_key=SECRET)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    uv = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=uv.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not uv.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert uv.started, "uvicorn did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        uv.should_exit = True
        thread.join(timeout=10)
        sock.close()
        ledger.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[object]:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.fail(
            "headless browser tests need Debian's chromium and chromium-driver (tools/system-packages.sh)"
        )
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager fetch anything
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--window-size=1280,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(tmp_path / "chromium-profile", ignore_errors=True)


def wait_for_text(driver: object, element_id: str, text: str) -> str:
    """The element's text once it holds `text`: after a click the old page's element (a flash message
    from the step before) may still be there, or go stale while it is read, until the next page loads."""
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    seen = [""]

    def holds(drv: Any) -> bool:
        elements = drv.find_elements(By.ID, element_id)
        seen[0] = elements[0].text if elements else ""
        return text in seen[0]

    with contextlib.suppress(TimeoutException):
        WebDriverWait(driver, 15, ignored_exceptions=(StaleElementReferenceException,)).until(holds)
    return seen[0]


def wait_for(driver: object, element_id: str) -> Any:
    """The element once the page that has it is loaded (a click does not wait for the next page)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, 15).until(
        expected_conditions.presence_of_element_located((By.ID, element_id))
    )


def shot(driver: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / f"console-{name}.png"))  # type: ignore[attr-defined]


def test_sign_in_upload_start_and_read_counters(server: str, browser: object, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    d = browser
    d.get(f"{server}/campaigns/june")  # type: ignore[attr-defined]
    assert "/login" in d.current_url  # type: ignore[attr-defined]
    d.find_element(By.ID, "username").send_keys("operator")  # type: ignore[attr-defined]
    d.find_element(By.ID, "password").send_keys(password_of("operator"))  # type: ignore[attr-defined]
    shot(d, "1-sign-in")
    d.find_element(By.ID, "sign-in").click()  # type: ignore[attr-defined]
    assert wait_for(d, "campaign-state").text == "draft"

    d.find_element(By.ID, "upload-link").click()  # type: ignore[attr-defined]
    listing = tmp_path / "december.csv"
    listing.write_text(UPLOAD, encoding="utf-8")
    wait_for(d, "file").send_keys(str(listing))
    d.find_element(By.ID, "preview").click()  # type: ignore[attr-defined]
    mapping = wait_for(d, "mapping").text
    assert "account_ref" in mapping and "due_date" in mapping
    shot(d, "2-mapping")
    d.find_element(By.ID, "import").click()  # type: ignore[attr-defined]
    assert wait_for(d, "s-rows").text == "4"
    assert d.find_element(By.ID, "s-imported").text == "2"  # type: ignore[attr-defined]
    assert d.find_element(By.ID, "s-rejected").text == "2"  # type: ignore[attr-defined]
    assert d.find_element(By.ID, "rejects-csv").get_attribute("href").endswith("/rejects.csv")  # type: ignore[attr-defined]
    shot(d, "3-import-summary")

    d.get(f"{server}/campaigns/june")  # type: ignore[attr-defined]
    d.find_element(By.ID, "action-start").click()  # type: ignore[attr-defined]
    assert "campaign is running" in wait_for_text(d, "flash", "campaign is running")
    assert d.find_element(By.ID, "campaign-state").text == "running"  # type: ignore[attr-defined]
    counters = {
        key: int(d.find_element(By.ID, f"c-{key}").text)  # type: ignore[attr-defined]
        for key in ("dialed", "answered", "promises", "optouts", "live")
    }
    assert counters == {"dialed": 3, "answered": 2, "promises": 1, "optouts": 1, "live": 1}
    shot(d, "4-campaign-running")
    page = d.page_source  # type: ignore[attr-defined]
    assert "555-0123" not in page and "+1 617 ***-**23" in page

    d.get(f"{server}/campaigns/june/explain?account=A1")  # type: ignore[attr-defined]
    assert wait_for(d, "numbers").text.count("+1 617 ***-**23") == 1
    shot(d, "5-why-not-called")
    d.find_element(By.LINK_TEXT, "1").click()  # type: ignore[attr-defined]
    assert "Thank you. I have noted your promise." in wait_for(d, "turns").text
    assert "only admins may listen" in d.page_source  # type: ignore[attr-defined]
    shot(d, "6-call")
