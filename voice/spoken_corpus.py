"""The spoken-understanding corpus: callee replies with their intent, entities and critical class.

The corpus (``tests/data/spoken/<lang>.yml``) is evaluation data that nothing is tuned to: the bench
renders each line with voices the product does not use, sends it through a simulated phone line,
recognizes it and classifies the transcript. Lines are never reworded to pass; a failing line is a
finding. Loading checks every line and names the file and line of anything wrong.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

INTENTS = (
    "greet",
    "affirm",
    "deny",
    "stop",
    "wrong_person",
    "promise_to_pay",
    "inform",
    "already_paid",
    "dispute",
    "cannot_pay",
    "callback_later",
    "ask_who",
    "ask_amount",
    "ask_purpose",
    "goodbye",
    "attorney",
    "bankruptcy",
    "cease",
    "deceased",
    "third_party",
    "language_barrier",
    "complaint",
    "off_topic",
)

# The outcomes a call may record with legal or financial weight, by the intent that says them. A
# reading that lands in a class the callee did not say, or misses the class they did, is a critical error.
CRITICAL_CLASSES: dict[str, str] = {
    "promise_to_pay": "promise",
    "already_paid": "paid",
    "wrong_person": "wrong_party",
    "third_party": "wrong_party",
    "dispute": "dispute",
    "attorney": "attorney",
    "bankruptcy": "bankruptcy",
    "stop": "opt_out",
    "cease": "opt_out",
}

_ENTITY_NAMES = ("date", "amount")


class CorpusError(ValueError):
    """A corpus file or line is invalid; the message starts with ``path:line:``."""


@dataclass(frozen=True, slots=True)
class SpokenLine:
    text: str
    intent: str
    date: str | None = None
    amount: Decimal | None = None
    critical: str | None = None
    line: int = 0
    spoken_in: str = ""  # a line in another language than the corpus's: spoken by a voice of that one


@dataclass(frozen=True, slots=True)
class SpokenCorpus:
    language: str
    now: dt.datetime
    lines: tuple[SpokenLine, ...]
    path: Path


def critical_class(intent: str | None) -> str | None:
    return CRITICAL_CLASSES.get(intent or "")


def overlap_key(text: str, language: str) -> str:
    """The form two lines share when they say the same words (case, punctuation, spaces, fillers aside)."""
    from dialogue.understanding.classifier import normalize

    key = normalize(text, language)
    return re.sub(r"\s+", "", key) if language.startswith("zh") else key


def _example_lines(root: yaml.Node, path: Path) -> list[int]:
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if getattr(key, "value", None) == "examples" and isinstance(value, yaml.SequenceNode):
                return [item.start_mark.line + 1 for item in value.value]
    raise CorpusError(f"{path}: no `examples:` list")


def _line(raw: Any, where: str) -> SpokenLine:
    if not isinstance(raw, dict):
        raise CorpusError(f"{where}: expected a mapping with text and intent")
    unknown = set(raw) - {"text", "intent", "entities", "critical", "spoken_in"}
    if unknown:
        raise CorpusError(f"{where}: unknown keys {sorted(unknown)}")
    text, intent = raw.get("text"), raw.get("intent")
    if not isinstance(text, str) or not text.strip():
        raise CorpusError(f"{where}: empty or missing text")
    if intent not in INTENTS:
        raise CorpusError(f"{where}: unknown intent {intent!r}")
    entities = raw.get("entities") or {}
    if not isinstance(entities, dict) or set(entities) - set(_ENTITY_NAMES):
        raise CorpusError(f"{where}: entities may only be {', '.join(_ENTITY_NAMES)}")
    date = entities.get("date")
    if date is not None:
        try:
            date = dt.date.fromisoformat(str(date)).isoformat()
        except ValueError:
            raise CorpusError(f"{where}: date {date!r} is not YYYY-MM-DD") from None
    amount = entities.get("amount")
    if amount is not None:
        try:
            amount = Decimal(str(amount))
        except InvalidOperation:
            raise CorpusError(f"{where}: amount {amount!r} is not a decimal number") from None
    critical = raw.get("critical")
    if critical != critical_class(intent):
        raise CorpusError(
            f"{where}: critical is {critical!r}, intent {intent} means {critical_class(intent)!r}"
        )
    spoken_in = raw.get("spoken_in") or ""
    if not isinstance(spoken_in, str) or (spoken_in and not re.fullmatch(r"[a-z]{2,3}", spoken_in)):
        raise CorpusError(f"{where}: spoken_in {spoken_in!r} is not a language code (es, en, vi)")
    return SpokenLine(text.strip(), intent, date, amount, critical, spoken_in=spoken_in)


def load_corpus(path: Path) -> SpokenCorpus:
    try:
        source = path.read_text(encoding="utf-8")
        data = yaml.safe_load(source)
        root = yaml.compose(source, Loader=yaml.SafeLoader)
    except FileNotFoundError:
        raise CorpusError(f"{path}: file not found") from None
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        raise CorpusError(f"{path}:{line}: invalid YAML: {exc.problem}") from exc
    if not isinstance(data, dict) or root is None:
        raise CorpusError(f"{path}: expected language, now and examples")
    numbers = _example_lines(root, path)
    try:
        language = str(data["language"])
        now = dt.datetime.fromisoformat(str(data["now"]))
    except (KeyError, ValueError) as exc:
        raise CorpusError(f"{path}: language and now (ISO date-time) are required: {exc}") from None
    lines = []
    for raw, number in zip(data["examples"], numbers, strict=True):
        lines.append(replace(_line(raw, f"{path}:{number}"), line=number))
    return SpokenCorpus(language, now, tuple(lines), path)


def corpus_path(language: str, root: Path | None = None) -> Path:
    base = root or Path(__file__).resolve().parent.parent / "tests" / "data" / "spoken"
    return base / f"{language}.yml"
