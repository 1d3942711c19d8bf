"""Spoken understanding on speech nobody tuned to: corpus -> unseen voices -> phone line -> ASR -> NLU.

    .venv/bin/python bench/understanding_bench.py --quick
    .venv/bin/python bench/understanding_bench.py --lang en --engine tiny.en --conditions pink20,pink10
    .venv/bin/python bench/understanding_bench.py --quick --json out.json --misses
    .venv/bin/python bench/understanding_bench.py --engine text --no-tts --corpus fresh --by-intent

Per language, engine and line condition: WER (CER for Chinese, numbers normalised), intent accuracy,
entity accuracy (dates, amounts), critical errors (a critical class read that was not said, or said
and missed), what the call does with them (the script's own policy at that point of the call, given
the recognizer's confidence: a false critical reading "acted on unchecked" is recorded silently, one
"checked first" is asked back with its check question or read back as a promise, one "not taken" is
not understood there; a missed one "caught" is still asked about, as an opt-out heard as a weak stop;
`--misses` says per line what the call does: dialer/evaluation/reply_verdict.py), ASR CPU seconds per
audio second and the wait after end of speech (p50/p95). Lines rotate through the language's unseen
voices (tests/data/spoken, voice/testvoices.py). Each line is
heard with the hints a call gives where that reply is usually said (the opening's "am I speaking
with ...?" or the payment question: the bot's sentence and the phrases it expects), as a live call
hears it; `--no-context` gives none. Engine "text"
is the NLU on the corpus text itself: the ceiling (seconds, no audio). `--corpus fresh` reads the second
held-out set (tests/data/spoken/<lang>-fresh.yml), written after the first had been studied, which shows
whether a change to the NLU generalises. `--by-intent` adds intent accuracy and confusions per intent.
A second table measures each voice's
intelligibility (the product's voices too): rendered, sent down a clean G.711 line, recognized.

Renders are cached under <models_dir>/cache/spoken, so only the first run synthesizes. Engines not
installed are skipped with the reason. Frames go in as fast as possible and the recognizer decodes at
end of speech (`--pace` feeds real time, letting an incremental recognizer decode while it listens).
Timings depend on the machine's load.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from rich.console import Console
from rich.table import Table

from dialer.evaluation.hearing_eval import HearingScore, hear, pick_babble, read_as_text
from dialer.evaluation.reply_verdict import OPENING, PAYMENT, CallJudge, ReplyVerdict
from voice.errors import EngineUnavailable, ModelError, VoiceError
from voice.interfaces import ListeningHints, Recognizer
from voice.linesim import CONDITIONS, parse_conditions
from voice.settings import VoiceSettings
from voice.spoken_corpus import SpokenCorpus, SpokenLine, corpus_path, load_corpus
from voice.testvoices import EvalVoice, VoiceRenderer, default_cache_dir, voices_for

REPO = Path(__file__).resolve().parent.parent
ENGINES = ("text", "tiny.en", "base", "vosk")
QUICK_LINES = 46  # two lines of each intent
QUICK_CONDITIONS = "ulaw,pink20,pink10"
TTS_LINES = {"quick": 8, "full": 24}
BABBLE_TALKERS = 4
console = Console(width=180)


class Skip(Exception):
    """An engine that cannot run here (not installed, wrong language); the message says why."""


def stratified(lines: Sequence[SpokenLine], count: int | None) -> list[SpokenLine]:
    """`count` lines round-robin across intents (all when None): a quick run has every intent."""
    if count is None or count >= len(lines):
        return list(lines)
    by_intent: dict[str, list[SpokenLine]] = {}
    for line in lines:
        by_intent.setdefault(line.intent, []).append(line)
    picked: list[SpokenLine] = []
    depth = 0
    while len(picked) < count:
        for group in by_intent.values():
            if depth < len(group) and len(picked) < count:
                picked.append(group[depth])
        depth += 1
    return picked


def _whisper_base_path(models_dir: Path) -> Path:
    try:
        from voice import models
    except ImportError as exc:
        raise Skip(f"voice.models cannot load: {exc}") from exc
    join = getattr(models, "whisper_base", None)
    if join is None:
        raise Skip("no Whisper base recognizer in this tree yet (voice.models.whisper_base)")
    try:
        return Path(join(models_dir))
    except (ModelError, EngineUnavailable) as exc:
        raise Skip(str(exc)) from exc


def build_engine(
    spec: str, lang: str, models_dir: Path, work_dir: Path, *, pace: bool, spotting: bool = True
) -> Recognizer | None:
    """The recognizer for `spec` through the product's factory (None for "text"); Skip when unavailable.
    `spotting`: the product's language spotting (on by default, as in a call)."""
    from voice.engines import build_recognizer

    if spec == "text":
        return None
    settings = VoiceSettings(
        whisper_incremental=pace, whisper_threads=1, vosk_grammar=False, language_spotting=spotting
    )
    try:
        if spec == "tiny.en":
            if lang != "en":
                raise Skip("tiny.en is English only")
            return build_recognizer(settings, models_dir, work_dir, "whisper")
        if spec == "base":
            path = _whisper_base_path(models_dir)
            settings = settings.model_copy(update={"whisper_model_path": str(path)})
            if "language" in inspect.signature(build_recognizer).parameters:
                return build_recognizer(settings, models_dir, work_dir, "whisper", language=lang)  # type: ignore[call-arg]
            from voice.recognizers.whisper import WhisperRecognizer

            if "language" not in inspect.signature(WhisperRecognizer).parameters:
                raise Skip("the Whisper recognizer here has no language option (English only)")
            return WhisperRecognizer(path, language=lang, incremental=pace)  # type: ignore[call-arg]
        if spec == "vosk":
            from voice.models import CATALOG, status

            for entry in CATALOG.values():
                if entry.engine == "vosk" and entry.language == lang and status(entry, models_dir).installed:
                    vosk = settings.model_copy(update={"asr_engine": "vosk", "vosk_model": entry.name})
                    return build_recognizer(vosk, models_dir, work_dir, "vosk")
            raise Skip(f"no Vosk {lang} model installed (dialer models list)")
    except (EngineUnavailable, ModelError, ImportError) as exc:
        raise Skip(str(exc)) from exc
    raise Skip(f"unknown engine {spec!r}; known: {', '.join(ENGINES)}")


# Where in a call each intent is usually said: at the opening's "am I speaking with ...?" or at the
# payment question after the callee confirmed who they are. `--context` gives the recognizer the hints
# a call gives at that point (the bot's last sentence and the phrases it expects), as a live call does.
OPENING_INTENTS = frozenset(
    [
        "greet",
        "affirm",
        "deny",
        "wrong_person",
        "third_party",
        "deceased",
        "ask_who",
        "ask_purpose",
        "language_barrier",
    ]
)


def point_of(line: SpokenLine) -> str:
    """Where in a call the line is usually said."""
    return OPENING if line.intent in OPENING_INTENTS else PAYMENT


def call_hints(nlu: Any, lang: str, now: Any = None) -> dict[str, ListeningHints]:
    """The hints a call gives at the opening and at the payment question, from the script itself."""
    calls = CallJudge(nlu, now)
    return {point: calls.hints(point) for point in (OPENING, PAYMENT)}


def speakable(
    lang: str,
    renderer: VoiceRenderer,
    voices: Sequence[EvalVoice],
    sample: str,
    report: Callable[[str], None] = print,
) -> list[EvalVoice]:
    """The voices that can speak here (each renders `sample`); the others are reported and left out."""
    ok = []
    for voice in voices:
        try:
            renderer.render(voice, sample)
            ok.append(voice)
        except VoiceError as exc:
            report(f"{lang}: voice {voice.id} skipped: {exc} ({voice.requires})")
    return ok


_OTHER_VOICES: dict[str, list[EvalVoice]] = {}


def line_voice(
    line: SpokenLine, index: int, lang: str, own: Sequence[EvalVoice], renderer: VoiceRenderer
) -> EvalVoice:
    """The voice that speaks `line`: the corpus language's voices in turn, but a line in another language
    (`spoken_in`: "hablo español" in the English corpus) is spoken by a voice of that language, as the
    callee who says it would speak it. Without such a voice here, the corpus's own voice says it."""
    other = line.spoken_in
    if other and other != lang:
        if other not in _OTHER_VOICES:
            _OTHER_VOICES[other] = speakable(other, renderer, voices_for(other), line.text, _warn)
        if _OTHER_VOICES[other]:
            return _OTHER_VOICES[other][index % len(_OTHER_VOICES[other])]
    return own[index % len(own)]


def _warn(message: str) -> None:
    console.print(f"[yellow]{message}")


class LanguageRun:
    """One language's corpus, NLU, voices and renders."""

    def __init__(
        self,
        lang: str,
        renderer: VoiceRenderer,
        lines: int | None,
        voice_ids: Sequence[str] | None,
        corpus: str = "",
    ):
        from dialogue.embedded.engine import EmbeddedEngine

        self.lang = lang
        self.corpus: SpokenCorpus = load_corpus(corpus_path(f"{lang}-{corpus}" if corpus else lang))
        self.lines = stratified(self.corpus.lines, lines)
        self.nlu = EmbeddedEngine.load(REPO / "scripts" / f"reminder-{lang}")
        self.known = set(self.nlu.script.intents)  # intents the script has (the corpus may have more)
        unseen = voices_for(lang)
        self.voices = [v for v in unseen if voice_ids is None or v.id in voice_ids]
        self.renderer = renderer
        self.speakable = self._speakable()
        self._pool: list[bytes] | None = None
        self.calls = CallJudge(self.nlu, self.corpus.now)

    def _speakable(self) -> list[EvalVoice]:
        ok = speakable(self.lang, self.renderer, self.voices, self.lines[0].text, _warn)
        if not ok:
            raise SystemExit(f"{self.lang}: no evaluation voice can speak here")
        return ok

    def voice_of(self, line: SpokenLine) -> EvalVoice:
        return line_voice(line, self.lines.index(line), self.lang, self.speakable, self.renderer)

    def render(self, line: SpokenLine) -> bytes:
        return self.renderer.render(self.voice_of(line), line.text)

    def babble(self, line: SpokenLine) -> list[bytes]:
        if self._pool is None:
            self._pool = [self.render(other) for other in self.lines]
        rng = np.random.default_rng(self.lines.index(line))
        return pick_babble(self._pool, self.lines.index(line), BABBLE_TALKERS, rng)

    def parse(self, text: str, now: Any) -> Any:
        return self.nlu.parse(text, now)

    def hints_for(self, context: bool) -> Callable[[SpokenLine], ListeningHints | None]:
        if not context:
            return lambda _line: None
        states = call_hints(self.nlu, self.lang, self.corpus.now)
        return lambda line: states[point_of(line)]

    def judge(self, line: SpokenLine, text: str, asr_confidence: float, language: str) -> ReplyVerdict:
        """What the call does with the reply, heard where the line is usually said."""
        return self.calls.judge(point_of(line), text, asr_confidence, language)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _secs(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def score_row(lang: str, engine: str, condition: str, score: HearingScore, known: set[str]) -> dict[str, Any]:
    return {
        "language": lang,
        "engine": engine,
        "condition": condition,
        "lines": score.count,
        "error_rate": score.error_rate,
        "error_kind": "CER" if lang == "zh" else "WER",
        "intent_accuracy": score.intent_accuracy,
        "intent_accuracy_script_intents": score.intent_accuracy_within(known),
        "entity_accuracy": score.entity_accuracy,
        "critical_errors": score.critical_errors,
        "critical_error_rate": score.critical_error_rate,
        "critical_recorded_not_said": score.false_critical,
        "critical_said_missed": score.missed_critical,
        "critical_false_acted_on_unchecked": score.false_critical_acted_on,
        "critical_false_checked_first": score.false_critical_checked,
        "critical_false_not_understood": score.false_critical_not_understood,
        "critical_missed_caught_by_check": score.missed_critical_caught,
        "critical_false_by_call": score.false_critical_by_call(),
        "other_language_named": score.other_language_named,
        "other_language_named_falsely": score.other_language_named_falsely,
        "asr_cpu_per_audio_second": score.cpu_per_audio_second,
        "latency_p50": score.latency(0.5),
        "latency_p95": score.latency(0.95),
        "by_intent": by_intent(score),
        "misses": [
            {
                "text": t.line.text,
                "heard": t.transcript,
                "intent": t.intent,
                "want": t.line.intent,
                "asr_confidence": round(t.asr_confidence, 3),
                **_verdict_fields(t.verdict),
            }
            for t in score.misses()
        ],
    }


def _verdict_fields(verdict: ReplyVerdict | None) -> dict[str, Any]:
    if verdict is None:
        return {}
    return {
        "call": verdict.kind,
        "call_readings": list(verdict.readings),
        "combined_confidence": round(verdict.combined, 3),
    }


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


def by_intent(score: HearingScore) -> dict[str, dict[str, Any]]:
    """Per wanted intent: lines, accuracy and what the misses were read as (most frequent first)."""
    result: dict[str, dict[str, Any]] = {}
    for trial in score.trials:
        entry = result.setdefault(trial.line.intent, {"lines": 0, "right": 0, "read_as": Counter()})
        entry["lines"] += 1
        if trial.intent_right:
            entry["right"] += 1
        else:
            entry["read_as"][trial.intent] += 1
    return {
        intent: {
            "lines": e["lines"],
            "accuracy": e["right"] / e["lines"],
            "read_as": dict(e["read_as"].most_common()),
        }
        for intent, e in sorted(result.items())
    }


def intent_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="intent accuracy per intent (misses read as)")
    for column in ("lang", "engine", "line", "intent", "n", "accuracy", "read as"):
        table.add_column(column, justify="right" if column in ("n", "accuracy") else "left")
    for r in rows:
        for intent, e in r["by_intent"].items():
            table.add_row(
                r["language"],
                r["engine"],
                r["condition"],
                intent,
                str(e["lines"]),
                _pct(e["accuracy"]),
                ", ".join(f"{k} {v}" for k, v in e["read_as"].items()),
            )
    return table


def understanding_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="spoken understanding (unseen voices, simulated line)")
    for column in (
        "lang",
        "engine",
        "line",
        "n",
        "WER/CER",
        "intent",
        "intent (script's)",
        "entities",
        "critical (false/missed)",
        "acted on unchecked",
        "checked first",
        "not taken",
        "missed, caught",
        "other lang (false)",
        "CPU s/audio s",
        "wait p50",
        "wait p95",
    ):
        table.add_column(column, justify="left" if column in ("lang", "engine", "line") else "right")
    for r in rows:
        table.add_row(
            r["language"],
            r["engine"],
            r["condition"],
            str(r["lines"]),
            f"{r['error_kind']} {_pct(r['error_rate'])}" if r["engine"] != "text" else "-",
            _pct(r["intent_accuracy"]),
            _pct(r["intent_accuracy_script_intents"]),
            _pct(r["entity_accuracy"]),
            f"{r['critical_errors']} ({_pct(r['critical_error_rate'])}) "
            f"{r['critical_recorded_not_said']}/{r['critical_said_missed']}",
            _count(r["critical_false_acted_on_unchecked"]),
            _count(r["critical_false_checked_first"]),
            _count(r["critical_false_not_understood"]),
            _count(r["critical_missed_caught_by_check"]),
            f"{r['other_language_named']} ({r['other_language_named_falsely']})",
            _secs(r["asr_cpu_per_audio_second"]),
            _secs(r["latency_p50"]),
            _secs(r["latency_p95"]),
        )
    return table


def tts_table(rows: list[dict[str, Any]]) -> Table:
    table = Table(title="TTS intelligibility (each voice -> clean G.711 line -> recognizer)")
    for column in ("lang", "voice", "role", "engine", "n", "WER/CER", "intent"):
        table.add_column(column, justify="right" if column in ("n", "WER/CER", "intent") else "left")
    for r in rows:
        table.add_row(
            r["language"],
            r["voice"],
            r["role"],
            r["engine"],
            str(r["lines"]),
            f"{r['error_kind']} {_pct(r['error_rate'])}",
            _pct(r["intent_accuracy"]),
        )
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a stratified subset, three conditions")
    parser.add_argument("--lang", default="en,zh")
    parser.add_argument("--engine", default=",".join(ENGINES), help=f"any of {', '.join(ENGINES)}")
    parser.add_argument("--conditions", default=None, help=f"'all' or any of {', '.join(CONDITIONS)}")
    parser.add_argument("--voices", default=None, help="voice ids (default: every unseen voice)")
    parser.add_argument("--lines", type=int, default=None, help="lines per language (default: all)")
    parser.add_argument(
        "--models-dir", type=Path, default=None, help="default: the dialer settings' models dir"
    )
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: <models_dir>/cache/spoken")
    parser.add_argument("--pace", action="store_true", help="feed audio in real time (incremental ASR)")
    parser.add_argument("--no-tts", action="store_true", help="skip the TTS intelligibility table")
    parser.add_argument("--misses", action="store_true", help="print the lines that were misunderstood")
    parser.add_argument("--json", type=Path, default=None, help="write every figure (and misses) here")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--corpus",
        default="",
        help="which held-out set: '' for tests/data/spoken/<lang>.yml, NAME for <lang>-NAME.yml (fresh)",
    )
    parser.add_argument("--by-intent", action="store_true", help="accuracy and confusions per intent")
    parser.add_argument(
        "--no-spotting",
        dest="spotting",
        action="store_false",
        help="without the recognizer's language spotting (to see what it costs and what it changes)",
    )
    parser.add_argument(
        "--no-context",
        dest="context",
        action="store_false",
        help="no hints for the recognizer (by default each line gets the hints a call gives there: the "
        "bot's question and the expected phrases)",
    )
    args = parser.parse_args(argv)

    from dialer.settings import load_settings

    settings = load_settings(None)
    models_dir = args.models_dir or settings.path(settings.voice.models_dir, "models")
    cache_dir = args.cache_dir or default_cache_dir(models_dir)
    conditions = parse_conditions(args.conditions or (QUICK_CONDITIONS if args.quick else "all"))
    engines = [e.strip() for e in args.engine.split(",") if e.strip()]
    line_count: int | None = args.lines or (QUICK_LINES if args.quick else None)
    voice_ids = args.voices.split(",") if args.voices else None
    renderer = VoiceRenderer(cache_dir)
    work_dir = Path(tempfile.mkdtemp(prefix="understanding-bench-"))
    rows: list[dict[str, Any]] = []
    tts_rows: list[dict[str, Any]] = []
    skipped: list[str] = []

    for lang in [x.strip() for x in args.lang.split(",") if x.strip()]:
        count = (
            line_count
            if isinstance(line_count, int)
            else (line_count(lang) if callable(line_count) else None)
        )
        run = LanguageRun(lang, renderer, count, voice_ids, args.corpus)
        console.print(f"{lang}: {len(run.lines)} lines, voices {', '.join(v.id for v in run.speakable)}")
        engines_here: list[tuple[str, Recognizer | None]] = []
        for spec in engines:
            try:
                built = build_engine(spec, lang, models_dir, work_dir, pace=args.pace, spotting=args.spotting)
                engines_here.append((spec, built))
            except Skip as exc:
                skipped.append(f"{lang} {spec}: {exc}")
                console.print(f"[yellow]{lang}: engine {spec} skipped: {exc}")
        for spec, recognizer in engines_here:
            if recognizer is None:
                score = read_as_text(run.lines, run.parse, language=lang, now=run.corpus.now, judge=run.judge)
                rows.append(score_row(lang, spec, "text", score, run.known))
                continue
            for condition in conditions:
                score = hear(
                    run.lines,
                    run.render,
                    condition,
                    recognizer,
                    run.parse,
                    language=lang,
                    now=run.corpus.now,
                    babble=run.babble,
                    seed=args.seed,
                    pace=args.pace,
                    hints=run.hints_for(args.context),
                    judge=run.judge,
                )
                label = condition.name if args.context else f"{condition.name} no context"
                rows.append(score_row(lang, spec, label, score, run.known))
                console.print(f"  {lang} {spec} {label}: intent {_pct(score.intent_accuracy)}")
        if not args.no_tts:
            tts_rows += intelligibility(
                run,
                [r for s, r in engines_here if r is not None],
                [s for s, r in engines_here if r is not None],
                args,
            )

    console.print(understanding_table(rows))
    if args.by_intent:
        console.print(intent_table(rows))
    if tts_rows:
        console.print(tts_table(tts_rows))
    for reason in skipped:
        console.print(f"[yellow]skipped: {reason}")
    if args.misses:
        for r in rows:
            for miss in r["misses"]:
                console.print(
                    f"{r['language']} {r['engine']} {r['condition']}: {miss['text']!r} heard "
                    f"{miss['heard']!r} -> {miss['intent']} (want {miss['want']}){_call_note(miss)}",
                    markup=False,
                )
    if args.json:
        args.json.write_text(
            json.dumps(
                {"understanding": rows, "tts": tts_rows, "skipped": skipped}, ensure_ascii=False, indent=1
            ),
            encoding="utf-8",
        )
    return 0


def _call_note(miss: dict[str, Any]) -> str:
    """What the call does with the reply: ', asked back (stop) at 0.12' (recognizer x NLU confidence)."""
    if "call" not in miss:
        return ""
    readings = f" ({', '.join(miss['call_readings'])})" if miss["call_readings"] else ""
    return f", {miss['call']}{readings} at {miss['combined_confidence']:.2f}"


def _voice_renderer(run: LanguageRun, voice: EvalVoice) -> Callable[[SpokenLine], bytes]:
    def render(line: SpokenLine) -> bytes:
        return run.renderer.render(voice, line.text)

    return render


def intelligibility(
    run: LanguageRun, recognizers: list[Recognizer], names: list[str], args: argparse.Namespace
) -> list[dict[str, Any]]:
    """Each voice of the language (unseen and product) on the same few lines, clean G.711, best engine."""
    if not recognizers:
        return []
    recognizer, name = recognizers[-1], names[-1]  # the most capable engine asked for (base after tiny.en)
    lines = stratified(run.lines, TTS_LINES["quick" if args.quick else "full"])
    rows = []
    for voice in voices_for(run.lang, None):
        render = _voice_renderer(run, voice)
        try:
            render(lines[0])
        except VoiceError as exc:
            console.print(f"[yellow]{run.lang}: voice {voice.id} skipped: {exc}")
            continue
        score = hear(
            lines,
            render,
            CONDITIONS["ulaw"],
            recognizer,
            run.parse,
            language=run.lang,
            now=run.corpus.now,
            seed=args.seed,
        )
        rows.append(
            {
                "language": run.lang,
                "voice": voice.id,
                "role": voice.role,
                "engine": name,
                "lines": score.count,
                "error_kind": "CER" if run.lang == "zh" else "WER",
                "error_rate": score.error_rate,
                "intent_accuracy": score.intent_accuracy,
            }
        )
    return rows


if __name__ == "__main__":
    raise SystemExit(main())
