"""Parity: the same script files on a real Rasa 3.6 server and on the embedded engine.

Builds (or reuses) the Rasa environment, trains (cached), serves on 127.0.0.1 with a token. On a machine
where the environment cannot be built, the fixture fails and says why; it never skips.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dialogue.embedded.engine import EmbeddedEngine
from dialogue.evaluate import load_heldout, score
from dialogue.script import load_script
from dialogue.storytest import run_stories

# The first Rasa test may build the environment (minutes) and train both scripts.
RASA_TIMEOUT = 1800
RASA_MARKS = [pytest.mark.rasa, pytest.mark.slow, pytest.mark.timeout(RASA_TIMEOUT)]

pytestmark = RASA_MARKS
HERE = Path(__file__).resolve().parent


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_stories_pass_on_rasa_and_match_embedded(
    script_dirs: dict[str, Path], embedded: dict[str, EmbeddedEngine], rasa_engines: dict[str, Any], lang: str
) -> None:
    script = load_script(script_dirs[lang])
    on_rasa = run_stories(script, rasa_engines[lang].new_policy)
    on_embedded = run_stories(script, embedded[lang].new_policy)
    assert [f"{r.name}: {r.detail}" for r in on_rasa if not r.passed] == []
    for rasa_result, embedded_result in zip(on_rasa, on_embedded, strict=True):
        assert rasa_result.transcript == embedded_result.transcript, rasa_result.name


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_rasa_understanding_on_heldout(rasa_engines: dict[str, Any], lang: str) -> None:
    """Reported for comparison with the embedded engine; Rasa's own classifier decides intents here."""
    result = score(load_heldout(HERE / f"heldout_{lang}.yml"), rasa_engines[lang].parse)
    print(f"\nrasa {lang}: intent {result.intent_accuracy:.1%}, dates {result.date_accuracy:.1%}")
    assert result.total >= 40
    assert result.intent_accuracy >= 0.6, result.misses


OFF_SCRIPT = {
    "en": [
        ["i already paid", "#1", "what is this about", "i can pay on the 30th of december", "ok the 9th"],
        ["purple monkey dishwasher", "hello?", "#1", "<silence>", "<silence>", "yes"],
        ["yes", "who is this", "no", "call me tomorrow at 9 am"],
    ],
    "zh": [
        ["我已经还了", "#1", "什么事", "下个月20号还", "那就10号", "对"],
        ["啦啦啦", "喂", "是我", "我没钱", "晚点打给我"],
    ],
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_off_script_conversations_match(
    script_dirs: dict[str, Path], embedded: dict[str, EmbeddedEngine], rasa_engines: dict[str, Any], lang: str
) -> None:
    """Replies the rules do not expect (fallbacks, wrong-place intents) take the same path on both engines."""
    from dialogue.interfaces import KeyPressed, NoInput, Say, UserEvent, UserSaid
    from dialogue.storytest import context_for

    script = load_script(script_dirs[lang])
    for conversation in OFF_SCRIPT[lang]:
        paths = []
        for engine in (embedded[lang], rasa_engines[lang]):
            policy = engine.new_policy()
            path = [a.response for a in policy.start(context_for(script)) if isinstance(a, Say)]
            for line in conversation:
                event: UserEvent = KeyPressed(line[1]) if line.startswith("#") else UserSaid(line)
                event = NoInput() if line == "<silence>" else event
                said = [a.response for a in policy.handle(event) if isinstance(a, Say)]
                path += [f"{line} ->", *said]  # intents may differ on gibberish: the paths may not
            paths.append(path)
        assert paths[0] == paths[1], conversation
