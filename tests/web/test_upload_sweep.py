"""What a killed import leaves in the uploads folder (its per-upload folder with the operator's file,
an API push's folder) is removed when the console starts; a fresh preview waiting for confirmation stays."""

from __future__ import annotations

import os
import time

from dialer.web import create_app
from dialer.web.uploads import sweep_at_start

from .conftest import SECRET, ConsoleEnv


def test_leftovers_of_a_killed_import_are_swept_at_start(sqlite_env: ConsoleEnv) -> None:
    uploads = sqlite_env.settings.data_dir / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    importing = uploads / ("a" * 24)
    importing.mkdir()
    (importing / "june list.csv").write_text("account,name\nA1,Ann\n")
    pushed = uploads / "push-x1y2"
    pushed.mkdir()
    (pushed / "api-push.csv").write_text("account\n")
    waiting = uploads / f"{'b' * 24}.csv"
    waiting.write_text("account\n")
    stale = uploads / f"{'c' * 24}.csv"
    stale.write_text("account\n")
    old = time.time() - 2 * 24 * 3600
    os.utime(stale, (old, old))
    create_app(sqlite_env.settings, ledger=sqlite_env.ledger, cookie_secure=False, secret_key=SECRET)
    assert sorted(p.name for p in uploads.iterdir()) == [waiting.name]
    assert sweep_at_start(uploads) == 0
