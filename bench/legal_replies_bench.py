"""The legal replies, heard: are the held-out replies that end a call for a legal reason understood by speech?

    .venv/bin/python bench/legal_replies_bench.py --quick
    .venv/bin/python bench/legal_replies_bench.py --lang zh --cases bankruptcy,attorney --json out.json

Source: the held-out replies (tests/dialogue/heldout_<lang>.yml, never training data) of the cases that
change what may happen to an account: attorney, bankruptcy, cease, dispute, deceased, third party,
complaint, goodbye, language barrier. Each reply is rendered in a voice the product does not use
(voice/testvoices.py, rotating), sent down a G.711 line (voice/linesim.py, ``ulaw`` unless told), recognized
(Whisper tiny.en for English, Whisper base for Chinese, through the product's factory) with the listening
hints the product gives after the question the reply answers, and classified by the script's NLU.

Per case and language: how many replies were understood from their text and from speech, and what the
call does with the speech replies (the script's own policy after that question, given the recognizer's
confidence, dialer/evaluation/reply_verdict.py): taken as said at once ("acted"), or asked back first with the
case's check question ("asked"); of the false critical readings, how many the call would record without
asking and how many it would check first; of the missed critical ones, how many a check still catches.
Then every miss with what was heard and what the call does with it. A speech miss whose transcript lost
the key words is a recognizer finding; one whose transcript still says them is a dialogue finding.
Timings and figures depend on the machine's load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from understanding_bench import Skip, build_engine, call_hints, line_voice, speakable

from dialer.evaluation.hearing_eval import HearingScore, hear, read_as_text
from dialer.evaluation.reply_verdict import ACTED_ON, PAYMENT, CallJudge, ReplyVerdict
from voice.linesim import parse_conditions
from voice.spoken_corpus import SpokenLine, critical_class
from voice.testvoices import VoiceRenderer, default_cache_dir, voices_for

REPO = Path(__file__).resolve().parent.parent
CASES = (
    "attorney",
    "bankruptcy",
    "cease",
    "dispute",
    "deceased",
    "third_party",
    "complaint",
    "goodbye",
    "language_barrier",
)
# The question each case usually answers: its listening hints are the ones the recognizer gets on a call.
ANSWERS = {"deceased": "opening", "third_party": "opening", "language_barrier": "opening"}
ENGINE = {"en": "tiny.en", "zh": "base"}
QUICK_PER_CASE = 2


@dataclass(frozen=True)
class Case:
    name: str
    language: str
    text: HearingScore
    speech: HearingScore | None


def heldout_lines(
    lang: str, cases: Sequence[str], per_case: int | None
) -> tuple[list[SpokenLine], dt.datetime]:
    """The held-out replies of `cases` as corpus lines (the first `per_case` of each when given)."""
    from dialogue.evaluate import load_heldout

    heldout = load_heldout(REPO / "tests" / "dialogue" / f"heldout_{lang}.yml")
    lines: list[SpokenLine] = []
    for case in cases:
        mine = [e for e in heldout.examples if e.intent == case][:per_case]
        lines += [
            SpokenLine(e.text, e.intent, e.date, None, critical_class(e.intent), spoken_in=e.spoken_in)
            for e in mine
        ]
    return lines, heldout.now


def run_language(lang: str, cases: Sequence[str], args: argparse.Namespace, models_dir: Path) -> list[Case]:
    from dialogue.embedded.engine import EmbeddedEngine

    engine = EmbeddedEngine.load(REPO / "scripts" / f"reminder-{lang}")
    lines, now = heldout_lines(lang, cases, QUICK_PER_CASE if args.quick else None)
    renderer = VoiceRenderer(args.cache_dir or default_cache_dir(models_dir))
    voices = speakable(lang, renderer, voices_for(lang), lines[0].text)
    recognizer = None
    if not voices:
        print(f"{lang}: no evaluation voice can speak here: text only")
    else:
        try:
            recognizer = build_engine(
                args.engine or ENGINE[lang], lang, models_dir, Path(tempfile.mkdtemp()), pace=False
            )
        except Skip as exc:
            print(f"{lang}: recognizer skipped: {exc}: text only")
    hints = {} if args.no_hints else call_hints(engine, lang, now)
    condition = parse_conditions(args.condition)[0]
    calls = CallJudge(engine, now)
    out = []
    for case in cases:
        mine = [line for line in lines if line.intent == case]
        if not mine:
            continue

        def judge(
            _line: SpokenLine, said: str, sure: float, spoken_in: str, point: str = ANSWERS.get(case, PAYMENT)
        ) -> ReplyVerdict:
            return calls.judge(point, said, sure, spoken_in)

        text = read_as_text(mine, engine.parse, language=lang, now=now, judge=judge)
        speech = None
        if recognizer is not None:

            def render(line: SpokenLine) -> bytes:
                return renderer.render(line_voice(line, lines.index(line), lang, voices, renderer), line.text)

            speech = hear(
                mine,
                render,
                condition,
                recognizer,
                engine.parse,
                language=lang,
                now=now,
                seed=args.seed,
                hints=lambda _line, heard=hints.get(ANSWERS.get(case, PAYMENT)): heard,  # type: ignore[misc]
                judge=judge,
            )
        out.append(Case(case, lang, text, speech))
        print(f"  {lang} {case}: text {_count(text)}, speech {_count(speech)}", flush=True)
    return out


def _count(score: HearingScore | None) -> str:
    if score is None:
        return "-"
    return f"{sum(t.intent_right for t in score.trials)}/{score.count}"


def as_said(score: HearingScore | None, acted: bool) -> int | None:
    """Replies the call takes as said: at once (`acted`), or after asking first."""
    if score is None or not score.judged:
        return None
    return sum(
        t.verdict is not None
        and t.line.intent in t.verdict.readings
        and (t.verdict.kind == ACTED_ON if acted else t.verdict.checked)
        for t in score.trials
    )


def _n(value: int | None) -> str:
    return "-" if value is None else str(value)


def report(results: list[Case]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    print(
        f"\n{'lang':4} {'case':17} {'n':>3} {'text':>6} {'speech':>7} {'acted':>6} {'asked':>6}"
        f" {'false: acted on unchecked/checked first':>40} {'missed, caught':>15}"
    )
    for r in results:
        speech = r.speech
        figures: dict[str, int | None] = {
            "speech_understood": None if speech is None else sum(t.intent_right for t in speech.trials),
            "speech_acted_on_as_said": as_said(speech, acted=True),
            "speech_asked_first_as_said": as_said(speech, acted=False),
            "speech_critical_false_acted_on_unchecked": None
            if speech is None
            else speech.false_critical_acted_on,
            "speech_critical_false_checked_first": None if speech is None else speech.false_critical_checked,
            "speech_critical_missed_caught_by_check": None
            if speech is None
            else speech.missed_critical_caught,
        }
        false = "/".join(
            _n(figures[k])
            for k in ("speech_critical_false_acted_on_unchecked", "speech_critical_false_checked_first")
        )
        print(
            f"{r.language:4} {r.name:17} {r.text.count:>3} {_count(r.text):>6} {_count(speech):>7}"
            f" {_n(figures['speech_acted_on_as_said']):>6} {_n(figures['speech_asked_first_as_said']):>6}"
            f" {false:>40} {_n(figures['speech_critical_missed_caught_by_check']):>15}"
        )
        misses = [
            {
                "text": t.line.text,
                "heard": t.transcript,
                "intent": t.intent,
                "by": kind,
                "call": t.verdict.kind if t.verdict is not None else None,
                "combined_confidence": round(t.verdict.combined, 3) if t.verdict is not None else None,
            }
            for kind, score in (("text", r.text), ("speech", speech))
            if score is not None
            for t in score.trials
            if not t.intent_right
        ]
        rows.append(
            {
                "language": r.language,
                "case": r.name,
                "lines": r.text.count,
                "text_understood": sum(t.intent_right for t in r.text.trials),
                **figures,
                "misses": misses,
            }
        )
    for row in rows:
        for miss in row["misses"]:
            call = f", {miss['call']} at {miss['combined_confidence']:.2f}" if miss["call"] else ""
            print(
                f"miss {row['language']} {row['case']} by {miss['by']}: {miss['text']!r} heard "
                f"{miss['heard']!r} -> {miss['intent']}{call}"
            )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"the first {QUICK_PER_CASE} replies of each case"
    )
    parser.add_argument("--lang", default="en,zh")
    parser.add_argument("--cases", default=",".join(CASES), help=f"any of {', '.join(CASES)}")
    parser.add_argument("--engine", default=None, help="recognizer (default: tiny.en for en, base for zh)")
    parser.add_argument("--condition", default="ulaw", help="one line condition (voice/linesim.py)")
    parser.add_argument("--no-hints", action="store_true", help="recognize without the product's hints")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: <models_dir>/cache/spoken")
    parser.add_argument("--json", type=Path, default=None, help="write the figures and misses here")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        parser.error(f"unknown cases {unknown}; known: {', '.join(CASES)}")

    from dialer.settings import load_settings

    settings = load_settings(None)
    models_dir = args.models_dir or settings.path(settings.voice.models_dir, "models")
    results: list[Case] = []
    for lang in [x.strip() for x in args.lang.split(",") if x.strip()]:
        results += run_language(lang, cases, args, models_dir)
    rows = report(results)
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
