"""The call record page shows, per callee turn, what heard it and how sure it was beside the intent."""

from __future__ import annotations

import re

from .conftest import ConsoleEnv


def test_call_page_shows_who_heard_each_turn(env: ConsoleEnv) -> None:
    page = env.client("admin").get(f"/calls/{env.seeded.answered_attempt}").text
    assert "<th>Heard by</th>" in page
    row = next(r for r in re.findall(r"<tr class=\"callee\">.*?</tr>", page, re.S) if "affirm" in r)
    assert '<td class="heard">whisper-base 0.74</td>' in row
    assert "<td>0.90</td>" in row  # the dialogue's confidence in its intent, kept apart
    assert "(es)" not in row


def test_call_page_shows_a_turn_heard_in_another_language(env: ConsoleEnv) -> None:
    page = env.client("admin").get(f"/calls/{env.seeded.answered_attempt}").text
    row = next(r for r in re.findall(r"<tr class=\"callee\">.*?</tr>", page, re.S) if "language_barrier" in r)
    assert '<td class="heard">whisper-tiny.en 0.31 (es)</td>' in row
