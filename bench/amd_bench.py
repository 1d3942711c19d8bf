"""Who answered: accuracy and time to decision of the session's detector on a labelled corpus.

    python bench/amd_bench.py --quick          # a fixed stratified subset (about 110 clips)
    python bench/amd_bench.py                  # the evaluation split (>= 300 clips, en + zh)
    python bench/amd_bench.py --fit            # choose the timing thresholds on the training split

Each clip (bench/amd_corpus.py) is played frame by frame into what a call session runs: the
MachineDetector (timing, tones) and, when a recognizer speaks the clip's language, the real Listener
(endpointer + recognizer, partials and finals) feeding it words, the recognizer a call in the clip's
language gets (whisper tiny.en for English, whisper base for Chinese). Carrier announcements carried in 183
early media go through the unanswered-call path (SIT, transcription, number-status table). Time runs as
on a live call: a frame arrives at its audio time and the session handles it when it is free, so a
slow decode delays the decisions after it. The recognizer's guesses at the callee's pauses decode on
its own thread, on the call's clock (voice.background.ClockedThread): a guess overlaps the silence
after it, and a decision that needs it waits only for what is left of it. Prints accuracy per class,
the confusion matrix, the number status of announcements, time to decision p50/p95, and how many
people heard silence (the opening came more than 1 s after the end of their first words) or were hung
up on (taken for anything else).
Timings depend on the machine's load; quote them with it.
"""

from __future__ import annotations

import argparse
import collections
import dataclasses
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.amd_corpus import LABELS, RATE, Clip, corpus, load_line, quick
from dialer.numberstatus import classify_number, detect_sit
from dialer.numberstatus.listen import transcribe_announcement
from dialer.session.machine import MachineDetector
from dialer.session.settings import SessionSettings
from dialer.session.whole_greeting import WholeGreeting, whole_decodes
from voice.background import ClockedThread, TimedRunner
from voice.endpointing import Endpointer
from voice.frames import AudioFrame, split_frames
from voice.interfaces import Recognizer
from voice.listener import Heard, Hearing, Listener
from voice.recognizers.whisper import WhisperRecognizer
from voice.settings import VoiceSettings

DEAD = ("vacant", "out_of_service", "unreachable")
MACHINES = ("machine", "screener", "ivr", "announcement")  # what speaks and is nobody to talk to


@dataclasses.dataclass
class Result:
    clip: Clip
    said: str  # the predicted label
    decided_at: float | None  # seconds after the answer (session clock) of the verdict that stood
    opened_at: float | None  # when the opening would have started
    status: str = ""
    heard: str = ""  # the recognizer's finals (printed with --verbose, to see what the line gives it)
    reason: str = ""  # the verdict's reason


def _ready_at(runner: TimedRunner) -> float:
    return max([0.0, *(done.ready_at for done in runner.submitted)])


def _label(detector: MachineDetector) -> str:
    v = detector.verdict
    if v is None:
        return "human"
    if v.kind == "human" and not detector.heard_voice:
        return "silence"
    return v.kind


def run_answered(
    clip: Clip,
    settings: SessionSettings,
    voice: VoiceSettings,
    recognizer: Recognizer | None,
    *,
    deaf: bool = False,
) -> Result:
    """`deaf`: the detector waits for words that never come (a recognizer that hears nothing it knows):
    only timing and tones can name a machine, as for a voice the recognizer cannot make out."""
    words = deaf or (recognizer is not None and recognizer.language == clip.lang)
    detector = MachineDetector(settings, words=words)
    listener = None
    whole = None
    # the whole-greeting decodes run off the call's loop, as in a call: at once here, each ready on the
    # call's clock when it would have come back from the call's thread (voice/background.py); the
    # listener decodes in the loop, as in a call, and its time is on the clock
    decodes = TimedRunner()
    if words and recognizer is not None:
        endpointer = Endpointer(
            aggressiveness=voice.vad_aggressiveness,
            start_ms=voice.start_of_speech_ms,
            end_ms=voice.end_of_speech_ms,
        )
        # partials and finals, as in a call session
        listener = Listener(recognizer, endpointer)
        whole = WholeGreeting(whole_decodes(recognizer, decodes))
    clock = 0.0  # the session's wall clock, in call seconds
    # the recognizer's guesses at the callee's pauses decode on its own thread while the call goes on:
    # here on the call's clock, so a guess overlaps the silence after it as on a live call
    handled = 0.0
    guesses = ClockedThread(lambda: handled)
    if isinstance(recognizer, WhisperRecognizer):
        own, recognizer.guesses = recognizer.guesses, guesses
    decided_at = opened_at = None
    heard: list[str] = []
    limit = settings.amd_window_seconds + 2.0
    try:
        for frame in split_frames(clip.pcm, RATE):
            arrive = detector.t + frame.duration
            if arrive > limit and not detector.open_to_words:
                break  # (a machine judged by its length: the session listens on while it waits for the beep)
            handled = max(arrive, clock)
            guesses.advance(handled)
            clock, decided, opened = _step(frame, handled, detector, listener, whole, guesses, heard)
            decided_at = decided if decided is not None else decided_at
            if opened_at is None and opened:
                opened_at = clock
    finally:
        if isinstance(recognizer, WhisperRecognizer):
            recognizer.guesses = own
    # the clip ended; on a call the line goes on until the decode under way comes back, and a carrier's
    # words held to the end decide when the line goes quiet
    last_words = whole is not None and whole.last_words(detector) is not None
    if detector.line_ended() is not None or last_words:
        decided_at = max(clock, _ready_at(decodes))
    said = _label(detector)
    status = ""
    if said == "announcement":
        sit = detect_sit(clip.pcm, RATE) if detector.sit_at is not None else None
        said_all = " ".join([*heard, *(whole.texts if whole is not None else [])])
        found = classify_number(sip_code=200, answered=True, sit=sit, announcement=said_all)
        status = str(found.number_status or "")
    reason = detector.verdict.reason if detector.verdict is not None else ""
    if whole is not None and whole.texts:
        heard.append("whole: " + " / ".join(whole.texts))
    return Result(clip, said, decided_at, opened_at, status, " | ".join(heard), reason)


def _step(
    frame: AudioFrame,
    handled: float,
    detector: MachineDetector,
    listener: Listener | None,
    whole: WholeGreeting | None,
    guesses: ClockedThread,
    heard: list[str],
) -> tuple[float, float | None, bool]:
    """One frame as the session handles it from call time `handled`: the clock after it, the time of a
    decision it made (or None), and whether the opening is due."""
    started = time.perf_counter()
    guesses.wall_in_waits = 0.0
    decoding = listener is not None and listener.decoding
    verdict = detector.process(frame, decoding=decoding) if not detector.final else None
    changed = verdict is not None
    announcing = detector.verdict is not None and detector.verdict.kind == "announcement"
    if listener is not None and (detector.open_to_words or announcing):
        for event in listener.process(frame):
            if isinstance(event, Hearing | Heard):
                text = event.utterance.text
                if isinstance(event, Heard):
                    heard.append(text)
                if detector.transcript(text, final=isinstance(event, Heard)) is not None:
                    changed = True
    # a guess waited for was decoding on its thread meanwhile: the session waited until it was over
    took = time.perf_counter() - started - guesses.wall_in_waits
    clock = max(handled + took, guesses.waited_until)
    if whole is not None and whole.step(frame, detector, clock) is not None:
        changed = True
    return clock, clock if changed else None, detector.opening_due()


def run_early_media(clip: Clip, recognizer: Recognizer | None) -> Result:
    """An unanswered call: SIT and the carrier's words in the early media, then the final response."""
    started = time.perf_counter()
    sit = detect_sit(clip.pcm, RATE)
    text = (transcribe_announcement(recognizer, clip.pcm, RATE, sit) or "") if recognizer is not None else ""
    found = classify_number(sip_code=404, sip_result="rejected", sit=sit, announcement=text)
    said = "announcement" if found.disposition is not None and found.disposition.value in DEAD else "other"
    decided = len(clip.pcm) / (2 * RATE) + time.perf_counter() - started
    return Result(clip, said, decided, None, str(found.number_status or ""), text, found.evidence)


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f} %" if whole else "   -  "


def _p(values: list[float], q: float) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]:.2f} s"


def report(results: list[Result]) -> dict[str, float]:
    labels = [*LABELS, "other"]
    confusion = collections.Counter((r.clip.label, r.said) for r in results)
    right = sum(confusion[(label, label)] for label in LABELS)
    print(f"\n{len(results)} clips; overall accuracy {_pct(right, len(results))}")
    print("\nper class (and by language):")
    for label in LABELS:
        mine = [r for r in results if r.clip.label == label]
        parts = []
        for lang in ("en", "zh"):
            of_lang = [r for r in mine if r.clip.lang == lang]
            parts.append(f"{lang} {_pct(sum(r.said == label for r in of_lang), len(of_lang))}")
        right_here = sum(r.said == label for r in mine)
        print(f"  {label:13s} {_pct(right_here, len(mine))}  n={len(mine):3d}  {' '.join(parts)}")
    print("\nby voice (clips that speak; a voice the recognizer cannot make out fails on words):")
    for voice in sorted({r.clip.voice for r in results if r.clip.voice}):
        mine = [r for r in results if r.clip.voice == voice]
        humans = [r for r in mine if r.clip.label == "human"]
        print(
            f"  {voice:20s} {_pct(sum(r.said == r.clip.label for r in mine), len(mine))}  n={len(mine):3d}"
            f"  humans {_pct(sum(r.said == 'human' for r in humans), len(humans))}"
        )
    print("\nconfusion (rows: truth, columns: decided)")
    print(" " * 14 + "".join(f"{label[:8]:>9s}" for label in labels))
    for truth in LABELS:
        print(f"  {truth:12s}" + "".join(f"{confusion[(truth, said)]:9d}" for said in labels))
    calls = [r for r in results if r.clip.label == "announcement"]
    status_right = sum(r.status == r.clip.status for r in calls)
    print(f"\nannouncements: number status right {status_right}/{len(calls)}")
    for r in calls:
        if r.status != r.clip.status:
            print(f"    {r.clip.key} {r.clip.kind}: {r.clip.status} heard as {r.status or '-'}")
    print("\ntime to decision (session clock from the answer; early media: from the first ring)")
    for label in LABELS:
        times = [r.decided_at for r in results if r.clip.label == label and r.said == label and r.decided_at]
        print(f"  {label:13s} p50 {_p(times, 0.5):>7s}  p95 {_p(times, 0.95):>7s}")
    humans = [r for r in results if r.clip.label == "human"]
    after_words = [
        r.opened_at - r.clip.speech_end
        for r in humans
        if r.opened_at is not None and r.clip.speech_end is not None and r.said == "human"
    ]
    after_onset = [
        r.opened_at - r.clip.onset
        for r in humans
        if r.opened_at is not None and r.clip.onset is not None and r.said == "human"
    ]
    silence = sum(1 for r in humans if r.opened_at is None or r.opened_at - (r.clip.speech_end or 0) > 1.0)
    hung_up = sum(1 for r in humans if r.said != "human")
    print(
        f"\nhumans: opening after their first word p50 {_p(after_onset, 0.5)} p95 {_p(after_onset, 0.95)};"
        f" after the end of their first words p50 {_p(after_words, 0.5)} p95 {_p(after_words, 0.95)}"
    )
    print(
        f"  heard silence (> 1 s after their words): {silence}/{len(humans)};"
        f"  hung up on: {hung_up}/{len(humans)}"
    )
    answered = [r for r in results if r.clip.label in MACHINES and not r.clip.early_media]
    opened = sum(r.opened_at is not None for r in answered)
    print(f"  machines that heard the start of the opening before being told apart: {opened}/{len(answered)}")
    wrong = [r for r in results if r.said != r.clip.label]
    if wrong:
        print("\nmistakes:")
        for r in wrong[:40]:
            print(f"    {r.clip.key} ({r.clip.kind}) -> {r.said}")
    human_right = sum(r.said == "human" for r in humans)
    return {
        "overall": right / len(results),
        "human": human_right / len(humans) if humans else 0.0,
        "human_p95": float(_p(after_onset, 0.95).split()[0]) if after_onset else 0.0,
    }


def run(
    clips: list[Clip],
    settings: SessionSettings,
    voice: VoiceSettings,
    recognizer_for: Callable[[str], Recognizer | None],
    *,
    deaf: bool = False,
) -> list[Result]:
    """Each clip with the recognizer a call in its language gets (as the session's Recognizers do)."""
    out = []
    for clip in clips:
        recognizer = recognizer_for(clip.lang)
        if clip.early_media:
            out.append(run_early_media(clip, recognizer))
        else:
            out.append(run_answered(clip, settings, voice, recognizer, deaf=deaf))
    return out


def fit(clips: list[Clip], voice: VoiceSettings) -> SessionSettings:
    """Grid search of the timing thresholds on the training split, timing and tones only (fast): the
    detector waits for words that never come, so only the timing evidence can name a machine."""
    best: tuple[float, SessionSettings] | None = None
    answered = [c for c in clips if not c.early_media]
    for hello_silence in (0.25, 0.3, 0.4):
        for after in (0.55, 0.7, 0.85):
            for reads_on in (3.5, 4.0, 4.5, 5.0):
                settings = SessionSettings(
                    hello_silence_seconds=hello_silence,
                    after_greeting_silence_seconds=after,
                    machine_greeting_seconds=reads_on,
                )
                results = [run_answered(c, settings, voice, None, deaf=True) for c in answered]
                humans = [r for r in results if r.clip.label == "human"]
                machines = [
                    r for r in results if r.clip.label in ("machine", "screener", "ivr", "announcement")
                ]
                # a person taken for a machine costs ten machines taken for a person
                score = 10 * sum(r.said == "human" for r in humans) + sum(r.said != "human" for r in machines)
                late = [
                    r.opened_at - r.clip.onset
                    for r in humans
                    if r.opened_at is not None and r.clip.onset is not None and r.said == "human"
                ]
                print(
                    f"  hello silence {hello_silence:.2f} s, end silence {after:.2f} s,"
                    f" reads on {reads_on:.1f} s:"
                    f" score {score} (humans {sum(r.said == 'human' for r in humans)}/{len(humans)},"
                    f" machines {sum(r.said != 'human' for r in machines)}/{len(machines)}),"
                    f" opening after first word p95 {_p(late, 0.95)}"
                )
                if best is None or score > best[0]:
                    best = (score, settings)
    assert best is not None
    return best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fixed stratified subset")
    parser.add_argument("--split", default="eval", choices=("eval", "train"))
    parser.add_argument("--no-words", action="store_true", help="timing and tones only (no recognizer)")
    parser.add_argument(
        "--deaf",
        action="store_true",
        help="no recognizer; the detector waits for words in vain (timing only)",
    )
    parser.add_argument("--line", default="", help="module:function of another phone-line simulator")
    parser.add_argument("--fit", action="store_true", help="choose timing thresholds on the training split")
    parser.add_argument("--only", default="", help="comma-separated labels to run (e.g. human,machine)")
    parser.add_argument("--lang", default="", help="one language's clips only (en or zh)")
    parser.add_argument(
        "--set", action="append", default=[], metavar="NAME=VALUE", help="a session setting for this run"
    )
    parser.add_argument("--verbose", action="store_true", help="print each clip's decision and transcript")
    args = parser.parse_args()
    line = load_line(args.line) if args.line else None
    voice = VoiceSettings()
    started = time.perf_counter()
    if args.fit:
        print(f"fitting on the training split: {fit(corpus('train', line=line), voice)}")
        return
    clips = corpus(args.split, line=line)
    if args.quick:
        clips = quick(clips, 2)
    if args.only:
        clips = [c for c in clips if c.label in args.only.split(",")]
    if args.lang:
        clips = [c for c in clips if c.lang == args.lang]
    print(f"{len(clips)} clips generated in {time.perf_counter() - started:.1f} s")
    recognizer_for: Callable[[str], Recognizer | None] = dict[str, Recognizer]().get  # --no-words
    if not (args.no_words or args.deaf):
        from voice.engines import Recognizers

        recognizers = Recognizers.from_settings(voice, Path("data/models"), Path("data/work"))
        recognizer_for = recognizers.get
        for lang in sorted({c.lang for c in clips}):
            print(f"words ({lang}): {recognizers.get(lang).name}")
    settings = SessionSettings(**dict(item.split("=", 1) for item in args.set))
    started = time.perf_counter()
    results = run(clips, settings, voice, recognizer_for, deaf=args.deaf)
    if args.verbose:
        for r in results:
            at = f"{r.decided_at:.2f}" if r.decided_at is not None else "-"
            opened = f"{r.opened_at:.2f}" if r.opened_at is not None else "-"
            print(
                f"  {r.clip.key:30s} {r.clip.kind:20s} -> {r.said:12s} {r.reason:14s} at {at} open {opened}"
                f" onset {r.clip.onset or 0:.2f} end {r.clip.speech_end or 0:.2f}: {r.heard}"
            )
    figures = report(results)
    took = time.perf_counter() - started
    load = os.getloadavg()[1]
    print(f"\n{took:.0f} s for the run on {os.cpu_count()} cores, 5-minute load average {load:.1f}")
    print(
        f"targets: overall {figures['overall']:.1%} (>= 97 %), humans {figures['human']:.1%} (>= 99 %), "
        f"human opening p95 after first word {figures['human_p95']:.2f} s (<= 1.5 s)"
    )


if __name__ == "__main__":
    main()
