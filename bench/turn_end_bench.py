"""End of turn on the spoken corpus: false cut-offs inside mid-turn pauses and latency after the true end.

    .venv/bin/python bench/turn_end_bench.py --quick
    .venv/bin/python bench/turn_end_bench.py --lang en --conditions ulaw,pink10 --partials oracle,asr
    .venv/bin/python bench/turn_end_bench.py --quick --smart-turn path/to/smart-turn-v3.2-cpu.onnx

Each corpus line (never reworded) is rendered by the language's unseen test voices and becomes two turns:
``complete`` (the render as it is) and, for a line with punctuation inside, ``paused``: the line cut
after each mark, each piece rendered by the same voice (so "No." ends as a full stop does), joined with
400-900 ms of silence, the way people stop after "No." or "Um," and go on. Both get 0.5 s of line
before and 2 s after and go down the simulated phone line (voice/linesim.py). Every policy runs the
product's endpointer over the frames in audio time:

* false cut-off: the turn was ended before the speech was over (inside a pause);
* end: from the true end of speech (last 20 ms frame within 30 dB of the peak in the clean render) to
  the decision, for turns not cut off (p50 / p95);
* reply (with ``asr``): to when the bot could answer, the later of the decision and the whole turn's
  transcript (a decode 80 ms into the last pause, its wall time measured separately, so an adaptive
  decision made on the partial of that same decode can show up to one decode's noise later).

Turns are ``complete``, ``pause after 1-2 words`` (the line opens with a word or two: "No.", "Um,",
"Yeah,"; up to three hanzi) or ``pause after a clause`` (a complete clause, then more: no text check
can know that more is coming, only a longer wait).

The text policy needs partial transcripts. As whisper does live, a decode starts after 80 ms of
silence and its text reaches the policy when the decode is done: ``oracle`` partials are the corpus
words said before the pause, ready 150 ms later (the text check's ceiling); ``asr`` partials are the
product's recognizer (tiny.en, whisper base for Chinese) on the audio so far, ready after the decode's
measured wall time. Smart Turn v3 runs when its model file is given (`pip download --no-deps
pipecat-ai==1.14.0`, then unzip pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx); its
inference time is added to its decision. Timings are wall-clock measurements on whatever machine runs this.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from rich.console import Console
from rich.table import Table

from voice.audio import loud_frames, trim_edges
from voice.endpointing import Endpointer, SpeechEnded
from voice.errors import VoiceError
from voice.frames import split_frames
from voice.interfaces import Recognizer
from voice.linesim import CONDITIONS, LineCondition, parse_conditions, transmit
from voice.settings import VoiceSettings
from voice.spoken_corpus import SpokenLine, corpus_path, load_corpus
from voice.testvoices import EvalVoice, VoiceRenderer, default_cache_dir, voices_for
from voice.turn_end import AdaptiveSilence, FixedSilence, TurnEndPolicy, policy_for

RATE = 8000
FRAME = RATE * 20 // 1000
LEAD, TAIL = 0.5, 2.0
PAUSE_RANGE = (0.4, 0.9)
SPECULATE_S = 0.08
ORACLE_DECODE_S = 0.15
QUICK_LINES = 24
QUICK_CONDITIONS = "ulaw,pink20"
CUT_TOLERANCE_S = 0.05
KINDS = ("complete", "pause after 1-2 words", "pause after a clause")
_PUNCT = re.compile(r"[,.?!;:，。？！；：、]")
console = Console(width=160)


@dataclass(slots=True)
class Turn:
    """One rendered turn: clean 8 kHz PCM, where its speech ends, the words said by each moment."""

    line: SpokenLine
    kind: str  # complete | paused
    pcm: bytes
    speech_end: float
    pauses: list[tuple[float, float]] = field(default_factory=list)  # inserted (start, end)
    said: list[tuple[float, str]] = field(default_factory=list)  # (end of a piece, text up to it)


SPEECH_WITHIN_DB = 30.0  # a frame this close to the loudest is speech, not a gap


def speech_frames(samples: np.ndarray) -> np.ndarray:
    """Per 20 ms frame: within `SPEECH_WITHIN_DB` of the loudest frame (speech, not the gaps)."""
    return loud_frames(samples, FRAME, SPEECH_WITHIN_DB)


def gaps_of(voiced: np.ndarray) -> list[tuple[int, int]]:
    """Silent frame runs between speech (start frame, end frame), inside the first and last voiced."""
    idx = np.flatnonzero(voiced)
    if idx.size == 0:
        return []
    gaps, start = [], None
    for i in range(idx[0], idx[-1] + 1):
        if not voiced[i] and start is None:
            start = i
        elif voiced[i] and start is not None:
            gaps.append((start, i))
            start = None
    return gaps


def trimmed(pcm: bytes) -> np.ndarray:
    """The render from its first to its last speech frame (as `speech_frames` tells them)."""
    return np.frombuffer(trim_edges(pcm, RATE, lead_ms=0, tail_ms=0, within_db=SPEECH_WITHIN_DB), dtype="<i2")


def pieces_of(text: str) -> list[str]:
    """The line cut after each punctuation mark (the words kept as written), empty pieces dropped."""
    out, last = [], 0
    for match in _PUNCT.finditer(text):
        piece = text[last : match.end()].strip()
        if piece and any(ch.isalnum() for ch in piece):
            out.append(piece)
            last = match.end()
    rest = text[last:].strip()
    if rest and any(ch.isalnum() for ch in rest):
        out.append(rest)
    elif out and rest:
        out[-1] += rest
    return out


def make_turns(line: SpokenLine, render: Callable[[str], bytes], rng: np.random.Generator) -> list[Turn]:
    """The line as said, and (when it has more than one piece) with its inner pauses stretched."""
    speech = trimmed(render(line.text))
    pieces = pieces_of(line.text)
    lead = np.zeros(int(LEAD * RATE), np.int16)
    tail = np.zeros(int(TAIL * RATE), np.int16)
    complete = np.concatenate([lead, speech, tail])
    said_all = [(LEAD + speech.size / RATE, line.text)]
    turns = [Turn(line, "complete", complete.tobytes(), LEAD + speech.size / RATE, said=said_all)]
    if len(pieces) < 2:
        return turns
    # each piece rendered alone keeps the voice's own ending of it ("No." falls as a full stop does)
    parts = [trimmed(render(p)) for p in pieces]
    out, pauses, said, t = [lead], [], [], LEAD
    for i, part in enumerate(parts):
        out.append(part)
        t += part.size / RATE
        said_so_far = " ".join(pieces[: i + 1]) if " " in line.text else "".join(pieces[: i + 1])
        said.append((t, said_so_far.rstrip(",.?!;:，。？！；：、")))  # words said, not the written mark
        if i < len(parts) - 1:
            pause = float(rng.uniform(*PAUSE_RANGE))
            out.append(np.zeros(int(pause * RATE), np.int16))
            pauses.append((t, t + pause))
            t += pause
    out.append(tail)
    opener = len(pieces[0].split()) <= 2 if " " in line.text else sum(ch.isalnum() for ch in pieces[0]) <= 3
    kind = "pause after 1-2 words" if opener else "pause after a clause"
    turns.append(Turn(line, kind, np.concatenate(out).tobytes(), t, pauses, said))
    return turns


class Partials:
    """Partial transcripts as the live listener gets them: a decode per pause, delivered when done."""

    def __init__(
        self,
        turn: Turn,
        received: bytes,
        recognizer: Recognizer | None,
        cache: dict[tuple[int, int], tuple[str, float]],
    ):
        self.turn, self.received, self.recognizer = turn, received, recognizer
        self.cache = cache  # (turn, audio end) -> decode: the policies share one decode per pause
        self._pending: tuple[float, str] | None = None
        self._decoded_voiced_end = -1.0
        self._last = ""
        self.decode_seconds: list[float] = []
        self.log: list[str] = []  # "t=1.23 heard 'No.'" for --misses

    def _text(self, now: float, start: float) -> tuple[str, float]:
        if self.recognizer is None:
            said = [text for end, text in self.turn.said if end <= now + 1e-9]
            return (said[-1] if said else ""), ORACLE_DECODE_S
        key = (id(self.turn), int(now * RATE))
        if key not in self.cache:
            begin = max(0, int((start - 0.2) * RATE)) * 2
            audio = self.received[begin : int(now * RATE) * 2] + bytes(int(0.3 * RATE) * 2)
            started = time.perf_counter()
            text = self.recognizer.transcribe(audio, RATE).text
            self.cache[key] = (text, time.perf_counter() - started)
            self.decode_seconds.append(self.cache[key][1])
        return self.cache[key]

    def step(self, endpointer: Endpointer, policy: TurnEndPolicy, start: float, voiced_end: float) -> None:
        now = endpointer.now
        if self._pending is not None and now >= self._pending[0]:
            text = self._pending[1]
            self._pending = None
            if text and text != self._last:
                self._last = text
                policy.heard(text, now)
                self.log.append(f"{now:.2f} heard {text!r}")
        silence = endpointer.silence_ms / 1000
        if endpointer.in_speech and silence >= SPECULATE_S and voiced_end != self._decoded_voiced_end:
            self._decoded_voiced_end = voiced_end
            text, delay = self._text(now, start)
            self._pending = (now + delay, text)


@dataclass(slots=True)
class Outcome:
    cut: bool
    latency: float | None  # None when cut off or never ended
    reply: float | None = None  # max(decision, transcript ready) after the true end
    decodes: list[float] = field(default_factory=list)  # wall seconds of each asr partial
    note: str = ""


def run_turn(
    turn: Turn,
    received: bytes,
    make: Callable[[], TurnEndPolicy],
    recognizer: Recognizer | None,
    text: bool,
    ready: float | None,
    cache: dict[tuple[int, int], tuple[str, float]],
) -> Outcome:
    """`ready`: when the transcript of the whole turn is ready (a decode after the last pause)."""
    policy = make()
    endpointer = Endpointer(turn_end=policy)
    partials = Partials(turn, received, recognizer, cache) if text else None
    start = None
    voiced_end = 0.0
    extra = 0.0
    for frame in split_frames(received, RATE):
        events = endpointer.process(frame)
        if endpointer.in_speech and endpointer.silence_ms == 0.0:
            voiced_end = endpointer.now
        for event in events:
            if not isinstance(event, SpeechEnded):
                if start is None:
                    start = endpointer.now
                continue
            extra = getattr(getattr(policy, "model", None), "last_seconds", 0.0) or 0.0
            decided = event.detected_at + extra
            if event.detected_at < turn.speech_end - CUT_TOLERANCE_S:
                log = " | ".join(partials.log) if partials else ""
                pauses = ", ".join(f"{a:.2f}-{b:.2f}" for a, b in turn.pauses)
                note = f"{turn.line.text!r} cut at {event.detected_at:.2f} (pauses {pauses}): {log}"
                return Outcome(True, None, None, partials.decode_seconds if partials else [], note)
            reply = None if ready is None else max(decided, ready) - turn.speech_end
            decodes = partials.decode_seconds if partials else []
            return Outcome(False, decided - turn.speech_end, reply, decodes)
        if partials is not None and start is not None:
            partials.step(endpointer, policy, start, voiced_end)
    return Outcome(False, None)


def _pct(values: list[float], q: float) -> float | None:
    return float(np.percentile(values, q)) if values else None


def summary(outcomes: list[Outcome]) -> list[str]:
    """n, false cut-off, decision p50/p95, reply-ready p50/p95."""
    lat = [o.latency for o in outcomes if o.latency is not None]
    reply = [o.reply for o in outcomes if o.reply is not None]
    cut = sum(o.cut for o in outcomes) / len(outcomes) if outcomes else 0.0
    figures = (_pct(lat, 50), _pct(lat, 95), _pct(reply, 50), _pct(reply, 95))
    return [str(len(outcomes)), f"{100 * cut:.1f}%", *(_ms(v) for v in figures)]


def transcript_ready(turn: Turn, received: bytes, recognizer: Recognizer) -> float:
    """Audio time the whole turn's transcript is ready: whisper decodes 80 ms into the last pause."""
    begin = int((LEAD - 0.2) * RATE) * 2
    audio = received[begin : int((turn.speech_end + 0.3) * RATE) * 2]
    started = time.perf_counter()
    recognizer.transcribe(audio, RATE)
    return turn.speech_end + SPECULATE_S + time.perf_counter() - started


def stratified(lines: Sequence[SpokenLine], count: int | None) -> list[SpokenLine]:
    """Lines with more than one piece first (they make the paused turns), round-robin across intents."""
    if count is None or count >= len(lines):
        return list(lines)
    by_intent: dict[str, list[SpokenLine]] = {}
    for line in sorted(lines, key=lambda x: len(pieces_of(x.text)) < 2):
        by_intent.setdefault(line.intent, []).append(line)
    picked: list[SpokenLine] = []
    depth = 0
    while len(picked) < count and depth < len(lines):
        for group in by_intent.values():
            if depth < len(group) and len(picked) < count:
                picked.append(group[depth])
        depth += 1
    return picked


def recognizer_for(lang: str, models_dir: Path) -> Recognizer:
    from voice.engines import build_recognizer

    settings = VoiceSettings(whisper_incremental=False, whisper_threads=1)
    return build_recognizer(settings, models_dir, Path(tempfile.mkdtemp(prefix="turn-end-")), language=lang)


def policies(smart_turn: Path | None) -> dict[str, tuple[Callable[[], TurnEndPolicy], bool]]:
    """name -> (factory, needs partial transcripts)."""
    chosen: dict[str, tuple[Callable[[], TurnEndPolicy], bool]] = {
        "fixed 300": (lambda: FixedSilence(300), False),
        "adaptive": (lambda: policy_for(VoiceSettings()) or FixedSilence(), True),  # the product's
        "adaptive brief 400": (lambda: AdaptiveSilence(brief_ms=400), True),
        "adaptive eager": (lambda: AdaptiveSilence(brief_ms=250, pending_ms=600), True),
    }
    if smart_turn is not None:
        from voice.turn_end_smart import SmartTurn, SmartTurnModel

        model = SmartTurnModel(smart_turn)
        chosen["smart-turn v3"] = (lambda: SmartTurn(model), False)
    return chosen


def _render_with(renderer: VoiceRenderer, voice: EvalVoice) -> Callable[[str], bytes]:
    return lambda text: renderer.render(voice, text)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{1000 * value:.0f}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_LINES} lines, {QUICK_CONDITIONS}")
    parser.add_argument("--lang", default="en,zh")
    parser.add_argument("--conditions", default=None, help=f"'all' or any of {', '.join(CONDITIONS)}")
    parser.add_argument("--lines", type=int, default=None)
    parser.add_argument("--partials", default="oracle,asr", help="oracle and/or asr (for the text policy)")
    parser.add_argument("--smart-turn", type=Path, default=None, help="smart-turn-v3.2-cpu.onnx")
    parser.add_argument("--models-dir", type=Path, default=None)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--misses", action="store_true", help="print each cut-off turn with its partials")
    parser.add_argument("--policies", default=None, help="only these (comma list of table names)")
    args = parser.parse_args(argv)

    from dialer.settings import load_settings

    settings = load_settings(None)
    models_dir = args.models_dir or settings.path(settings.voice.models_dir, "models")
    smart = args.smart_turn
    conditions: list[LineCondition] = parse_conditions(args.conditions or QUICK_CONDITIONS)
    count = args.lines or (QUICK_LINES if args.quick else None)
    modes = [m.strip() for m in args.partials.split(",") if m.strip()]
    renderer = VoiceRenderer(default_cache_dir(models_dir))
    chosen = policies(smart)
    if args.policies:
        chosen = {k: v for k, v in chosen.items() if k in args.policies.split(",")}
    table = Table(title="end of turn (unseen voices, simulated line; latency from the true end of speech)")
    left = ("lang", "line", "policy", "partials", "turns")
    for column in (*left, "n", "false cut-off", "end p50", "end p95", "reply p50", "reply p95"):
        table.add_column(column, justify="left" if column in left else "right")
    decode_note: list[str] = []
    for lang in [x.strip() for x in args.lang.split(",") if x.strip()]:
        corpus = load_corpus(corpus_path(lang))
        lines = stratified(corpus.lines, count)
        voices: list[EvalVoice] = []
        for voice in voices_for(lang):
            try:
                renderer.render(voice, lines[0].text)
                voices.append(voice)
            except VoiceError as exc:
                console.print(f"[yellow]{lang}: voice {voice.id} skipped: {exc}")
        rng = np.random.default_rng(args.seed)
        turns: list[Turn] = []
        for i, line in enumerate(lines):
            voice = voices[i % len(voices)]
            turns += make_turns(line, _render_with(renderer, voice), rng)
        paused = sum(t.kind != "complete" for t in turns)
        console.print(
            f"{lang}: {len(lines)} lines, {paused} with pauses; voices {', '.join(v.id for v in voices)}"
        )
        recognizer = recognizer_for(lang, models_dir) if "asr" in modes else None
        for condition in conditions:
            received = [transmit(t.pcm, RATE, condition, seed=args.seed + i).pcm for i, t in enumerate(turns)]
            decoded: dict[tuple[int, int], tuple[str, float]] = {}
            ready: list[float | None] = [
                transcript_ready(t, pcm, recognizer) if recognizer is not None else None
                for t, pcm in zip(turns, received, strict=True)
            ]
            for name, (make, needs_text) in chosen.items():
                for mode in modes if needs_text else ["-"]:
                    asr = recognizer if mode == "asr" else None
                    outcomes: dict[str, list[Outcome]] = {}
                    spent: list[float] = []
                    for turn, pcm, at in zip(turns, received, ready, strict=True):
                        outcome = run_turn(turn, pcm, make, asr, needs_text, at, decoded)
                        outcomes.setdefault(turn.kind, []).append(outcome)
                        spent += outcome.decodes
                        if args.misses and outcome.note:
                            console.print(f"    {name} {mode} {turn.kind}: {outcome.note}", markup=False)
                    for kind in KINDS:
                        if kind in outcomes:
                            table.add_row(lang, condition.name, name, mode, kind, *summary(outcomes[kind]))
                    console.print(f"  {lang} {condition.name} {name} {mode}: done")
                    if spent:
                        decode_note.append(
                            f"{lang} {condition.name}: asr partial decode p50 {np.median(spent):.2f} s, "
                            f"p95 {np.percentile(spent, 95):.2f} s ({len(spent)} decodes)"
                        )
    console.print(table)
    for note in decode_note:
        console.print(note)
    if smart is None:
        console.print("[yellow]smart-turn v3 skipped: no model file (--smart-turn PATH)")
    console.print("timings measured on this machine (load matters for asr partials and Smart Turn)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
