"""Dialogue engines: load time, turn latency (p50/p95) and understanding accuracy, measured in one run.

    .venv/bin/python bench/dialogue_bench.py [--calls N] [--no-rasa] [--quick]

The understanding table has a row per engine and script for all held-out replies and one for the
legally significant and off-topic replies alone (attorney, bankruptcy, cease, deceased, third party,
language, complaint, off-topic, dispute), whose mistakes change what may happen to an account.

The Rasa rows appear when the Rasa environment is built (`dialer rasa setup`); its load time includes
starting the server (the model is trained once and cached).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from dialogue.embedded.engine import EmbeddedEngine
from dialogue.evaluate import HeldOut, load_heldout, score
from dialogue.interfaces import KeyPressed, UserSaid
from dialogue.rasa_env import health, venv_dir
from dialogue.script import load_script
from dialogue.settings import DialogueSettings
from dialogue.storytest import context_for

REPO = Path(__file__).resolve().parent.parent
SCRIPTS = {"en": REPO / "scripts" / "reminder-en", "zh": REPO / "scripts" / "reminder-zh"}
HELDOUT = {lang: REPO / "tests" / "dialogue" / f"heldout_{lang}.yml" for lang in SCRIPTS}
CONVERSATION = {
    "en": ["yes this is john", "how much do i owe", "i can pay fifty dollars next friday", "#1"],
    "zh": ["是我", "我欠多少", "我先还五百块，下周五", "#1"],
}


SIGNIFICANT = {"attorney", "bankruptcy", "cease", "deceased", "third_party", "language_barrier", "complaint",
               "off_topic", "dispute"}  # fmt: skip


def significant_only(heldout: HeldOut) -> HeldOut:
    kept = tuple(e for e in heldout.examples if e.intent in SIGNIFICANT)
    return HeldOut(heldout.language, heldout.now, kept)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def turn_latencies(engine: Any, lang: str, calls: int) -> list[float]:
    """Per-event latency over whole reminder calls (opening, questions, promise, confirmation)."""
    context = context_for(engine.script)
    latencies: list[float] = []
    for _ in range(calls):
        policy = engine.new_policy()
        started = time.perf_counter()
        policy.start(context)
        latencies.append(time.perf_counter() - started)
        for line in CONVERSATION[lang]:
            event = KeyPressed(line[1]) if line.startswith("#") else UserSaid(line)
            started = time.perf_counter()
            policy.handle(event)
            latencies.append(time.perf_counter() - started)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20, help="conversations per engine and script")
    parser.add_argument("--no-rasa", action="store_true")
    parser.add_argument("--quick", action="store_true", help="2 calls per engine, embedded engine only")
    args = parser.parse_args()
    if args.quick:
        args.calls, args.no_rasa = 2, True
    console = Console()
    speed = Table(title="dialogue engines: load and turn latency")
    for column in ("engine", "script", "load s", "turns", "p50 ms", "p95 ms", "max ms"):
        speed.add_column(column, justify="right" if column not in ("engine", "script") else "left")
    quality = Table(title="understanding on held-out replies")
    for column in ("engine", "script", "replies", "intent acc", "dated", "date acc"):
        quality.add_column(
            column, justify="right" if column not in ("engine", "script", "replies") else "left"
        )

    def measure(name: str, lang: str, engine: Any, load_s: float) -> None:
        lat = turn_latencies(engine, lang, args.calls)
        speed.add_row(name, lang, f"{load_s:.2f}", str(len(lat)), f"{statistics.median(lat) * 1000:.1f}",
                      f"{percentile(lat, 0.95) * 1000:.1f}", f"{max(lat) * 1000:.1f}")  # fmt: skip
        heldout = load_heldout(HELDOUT[lang])
        result = score(heldout, engine.parse)
        quality.add_row(name, lang, f"all {result.total}", f"{result.intent_accuracy:.1%}",
                        str(result.dates_total), f"{result.date_accuracy:.1%}")  # fmt: skip
        legal = score(significant_only(heldout), engine.parse)
        quality.add_row(name, lang, f"significant {legal.total}", f"{legal.intent_accuracy:.1%}", "-", "-")

    for lang, path in SCRIPTS.items():
        started = time.perf_counter()
        engine = EmbeddedEngine(load_script(path))
        measure("embedded", lang, engine, time.perf_counter() - started)

    settings = DialogueSettings()
    problem = None if not args.no_rasa else "skipped (--no-rasa)"
    problem = problem or health(venv_dir(settings))
    if problem:
        console.print(f"[yellow]rasa: not measured: {problem}[/yellow]")
    else:
        from dialogue.rasa_env import train
        from dialogue.rasa_server import served_script

        for lang, path in SCRIPTS.items():
            train(venv_dir(settings), path)  # cached; not part of the load time
            started = time.perf_counter()
            with served_script(path, settings) as engine:
                load_s = time.perf_counter() - started
                measure("rasa", lang, engine, load_s)
    console.print(speed)
    console.print(quality)


if __name__ == "__main__":
    main()
