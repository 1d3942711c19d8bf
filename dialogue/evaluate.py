"""Understanding quality on a held-out set: intent accuracy and date-extraction accuracy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dialogue.interfaces import ParseResult, ScriptError


@dataclass(frozen=True)
class HeldOutReply:
    text: str
    intent: str
    date: str | None
    spoken_in: str = ""  # a reply in another language than the set's (benches speak it in that one)


@dataclass(frozen=True)
class HeldOut:
    language: str
    now: dt.datetime
    examples: tuple[HeldOutReply, ...]


@dataclass
class Score:
    total: int = 0
    intents_right: int = 0
    dates_total: int = 0
    dates_right: int = 0
    misses: list[str] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intents_right / self.total if self.total else 0.0

    @property
    def date_accuracy(self) -> float:
        return self.dates_right / self.dates_total if self.dates_total else 0.0


def load_heldout(path: Path) -> HeldOut:
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        examples = tuple(
            HeldOutReply(
                str(e["text"]),
                str(e["intent"]),
                str(e["date"]) if e.get("date") else None,
                str(e.get("spoken_in") or ""),
            )
            for e in data["examples"]
        )
        return HeldOut(str(data["language"]), dt.datetime.fromisoformat(str(data["now"])), examples)
    except (KeyError, TypeError, ValueError) as exc:
        raise ScriptError(f"invalid held-out set: {exc}", str(path)) from exc


def score(heldout: HeldOut, parse: Callable[[str, dt.datetime], ParseResult]) -> Score:
    """Intent accuracy over all examples; date accuracy over the examples that name a date."""
    result = Score()
    for example in heldout.examples:
        parsed = parse(example.text, heldout.now)
        result.total += 1
        if parsed.intent == example.intent:
            result.intents_right += 1
        else:
            result.misses.append(
                f"{example.text!r}: {parsed.intent} ({parsed.confidence:.2f}), want {example.intent}"
            )
        got_date = dict(parsed.entities).get("date")
        if example.date is not None:
            result.dates_total += 1
            if got_date == example.date:
                result.dates_right += 1
            else:
                result.misses.append(f"{example.text!r}: date {got_date}, want {example.date}")
    return result
