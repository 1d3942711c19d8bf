"""Hostile workbooks uploaded to a real console process: each is refused with a clear 422, the console
answers /login within a second meanwhile, and the process never holds more than 400 MB."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from . import workbooks
from .server import console_server

MEMORY_LIMIT_MB = 400
HOSTILE: list[tuple[Callable[[Path], Path], str]] = [
    (workbooks.claims_whole_sheet, "declares the range A1:XFD1048576"),
    (workbooks.millions_of_rows, "compression bomb"),
    (workbooks.huge_shared_string, "compression bomb"),
    (workbooks.huge_inline_cell, "compression bomb"),
]


@pytest.mark.slow
def test_hostile_workbooks_are_refused_while_the_console_keeps_answering(tmp_path: Path) -> None:
    files = [(make(tmp_path / f"{make.__name__}.xlsx"), message) for make, message in HOSTILE]
    with console_server(tmp_path) as server:
        client = server.signed_in("operator")
        token = server.csrf(client, "/campaigns/june/upload")
        for path, message in files:
            answer: dict[str, httpx.Response] = {}

            def send(path: Path = path, answer: dict[str, httpx.Response] = answer) -> None:
                with path.open("rb") as handle:
                    answer["r"] = client.post(
                        "/campaigns/june/upload",
                        data={"csrf_token": token},
                        files={"file": (path.name, handle)},
                    )

            worker = threading.Thread(target=send)
            worker.start()
            slowest = 0.0
            while worker.is_alive():
                started = time.monotonic()
                assert httpx.get(f"{server.url}/login", timeout=5).status_code == 200
                slowest = max(slowest, time.monotonic() - started)
                time.sleep(0.05)
            worker.join()
            response = answer["r"]
            assert response.status_code == 422, (path.name, response.status_code)
            assert message in response.text and path.name in response.text
            assert slowest < 1.0, f"/login took {slowest:.2f} s during {path.name}"
            peak = server.rss_mb("VmHWM")
            print(
                f"{path.name} ({path.stat().st_size:,} B): slowest /login {slowest:.3f} s, peak {peak:.0f} MB"
            )
            assert peak < MEMORY_LIMIT_MB, f"{peak:.0f} MB peak after {path.name}"
        assert not any((server.data / "uploads").iterdir())  # nothing refused is kept
