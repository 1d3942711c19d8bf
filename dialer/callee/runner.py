"""Plays a persona on one inbound call: answer or reject, speak when the bot pauses, log what happened.

The bot's speech is detected by frame energy. The event log (JSON) holds wall-clock times of when the
callee started and stopped speaking and when it heard the bot start: subtracting them gives the dialer's
turn latency as measured on the wire.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from dialer.callee.persona import Persona, PersonaLine
from dialer.callee.synth import render
from dialer.sip.interfaces import Call, EventKind, frame_bytes
from dialer.sip.recording import write_stereo

_END_GRACE = 3.0  # after the last reply: wait this long for the bot to answer, then hang up


@dataclass
class EventLog:
    path: Path
    t0: float = field(default_factory=time.time)
    events: list[dict[str, Any]] = field(default_factory=list)

    def add(self, event: str, **data: Any) -> None:
        now = time.time()
        self.events.append({"event": event, "wall": now, "t": round(now - self.t0, 3), **data})

    def save(self) -> None:
        """Written whole then renamed, so a reader polling for the file never sees it half written."""
        part = self.path.with_suffix(".part")
        part.write_text(json.dumps({"events": self.events}, indent=1))
        part.replace(self.path)


class PersonaRunner:
    """A handler for `SipEngine.on_incoming`; renders the persona's audio once, numbers calls in order."""

    def __init__(self, persona: Persona, log_dir: Path, rate: int = 8000) -> None:
        self.persona = persona
        self.log_dir = log_dir
        self.rate = rate
        log_dir.mkdir(parents=True, exist_ok=True)
        self._audio: dict[int, bytes] = {}
        self._lock = threading.Lock()
        self._count = 0
        self.done = threading.Event()
        for u in self._all():
            self._pcm(u)

    def _all(self) -> list[PersonaLine]:
        early = self.persona.answer.early_media
        return list(self.persona.replies) + ([early.say] if early else [])

    def _pcm(self, u: PersonaLine) -> bytes:
        key = id(u)
        if key not in self._audio:
            self._audio[key] = render(u, self.rate, self.persona.voice)
        return self._audio[key]

    def __call__(self, call: Call) -> None:
        with self._lock:
            self._count += 1
            n = self._count
        log = EventLog(self.log_dir / f"call-{n:03d}-events.json")
        heard: list[bytes] = []
        said: list[tuple[int, bytes]] = []  # (frame index in `heard`, audio) of what the callee said
        try:
            self._run(call, log, heard, said)
        finally:
            if call.result is None:
                call.hangup()
            result = call.wait(10)
            log.add(
                "ended",
                sip_code=result.sip_code if result else 0,
                frames=len(heard),
                frame_gap_p99_ms=round(result.frame_gap_p99_ms, 1) if result else 0.0,
                frame_gap_max_ms=round(result.frame_gap_max_ms, 1) if result else 0.0,
            )
            if heard:
                write_stereo(
                    str(self.log_dir / f"call-{n:03d}-heard.wav"),
                    heard,
                    _timeline(said, frame_bytes(self.rate)),
                    self.rate,
                )
            log.save()
            self.done.set()

    # -- the call ------------------------------------------------------------------------------------
    def _run(self, call: Call, log: EventLog, heard: list[bytes], said: list[tuple[int, bytes]]) -> None:
        p, a = self.persona, self.persona.answer
        log.add("incoming", persona=p.name)
        call.answer(180)
        if a.never:
            log.add("ringing_forever")
            call.wait(3600)
            return
        if a.early_media is not None:
            pcm = self._pcm(a.early_media.say)
            call.answer(183)
            time.sleep(0.2)
            call.play(pcm)
            log.add("early_media", seconds=len(pcm) / (2 * self.rate))
            time.sleep(len(pcm) / (2 * self.rate) + 0.3)
            call.reject(a.early_media.then)
            log.add("rejected", code=a.early_media.then)
            return
        time.sleep(a.after)
        if a.reject is not None:
            call.reject(a.reject)
            log.add("rejected", code=a.reject)
            return
        call.answer(200)
        if not self._wait_answered(call):
            return
        log.add("answered", codec=call.codec)
        self._converse(call, log, heard, said)

    def _wait_answered(self, call: Call) -> bool:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                event = call.events.get(timeout=0.1)
            except queue.Empty:
                continue
            if event.kind is EventKind.ANSWERED:
                return True
            if event.kind is EventKind.ENDED:
                return False
        return False

    def _converse(self, call: Call, log: EventLog, heard: list[bytes], said: list[tuple[int, bytes]]) -> None:
        p = self.persona
        replies = list(p.replies)
        dtmf = sorted(p.dtmf, key=lambda d: d.after)
        pause_frames = p.pause_ms // 20
        start = time.monotonic()
        bot_talking, silent, bot_spoke, talk_frames = False, 0, False, 0
        last_loud = 0.0  # wall time just after the bot's last loud frame
        speaking_until: float | None = None
        last_reply_done: float | None = None
        if replies and replies[0].when == "answer":
            speaking_until = self._say(call, replies.pop(0), log, said, len(heard))
        while call.result is None:
            now = time.monotonic()
            if p.hangup_after is not None and now - start >= p.hangup_after:
                log.add("hangup", why="hangup_after")
                call.hangup()
                return
            while dtmf and now - start >= dtmf[0].after:
                d = dtmf.pop(0)
                call.send_dtmf(d.digits, d.method)
                log.add("dtmf_sent", digits=d.digits, method=d.method)
            self._drain_events(call, log)
            try:
                frame = call.frames.get(timeout=0.1)
            except queue.Empty:
                continue
            heard.append(frame)
            if speaking_until is not None and now >= speaking_until:
                log.add("speak_stop")
                speaking_until = None
                last_reply_done = now
                if replies and replies[0].when == "next":
                    speaking_until = self._say(call, replies.pop(0), log, said, len(heard))
            rms = float(np.sqrt(np.mean(np.frombuffer(frame, dtype="<i2").astype(np.float64) ** 2)))
            if rms >= p.energy_threshold:
                last_loud = time.time()
                silent = 0
                talk_frames += 1
                if not bot_talking:
                    bot_talking, bot_spoke = True, True
                    talk_frames = 1
                    log.add("heard_bot_start")
                if (
                    replies
                    and replies[0].when == "barge_in"
                    and speaking_until is None
                    and talk_frames * 0.02 >= p.barge_in_after
                ):
                    speaking_until = self._say(call, replies.pop(0), log, said, len(heard))
                continue
            silent += 1
            if bot_talking and silent >= pause_frames:
                bot_talking = False
                log.add("heard_bot_pause", last_loud=last_loud)
                if replies and replies[0].when == "pause" and speaking_until is None and bot_spoke:
                    speaking_until = self._say(call, replies.pop(0), log, said, len(heard))
                    bot_spoke = False
            if (
                not replies
                and p.hangup_at_end
                and speaking_until is None
                and last_reply_done is not None
                and not bot_talking
                and now - last_reply_done > _END_GRACE
            ):
                log.add("hangup", why="end_of_persona")
                call.hangup()
                return
            if not replies and p.hangup_at_end and not p.replies and now - start > _END_GRACE * 4:
                log.add("hangup", why="end_of_persona")
                call.hangup()
                return

    def _say(
        self, call: Call, u: PersonaLine, log: EventLog, said: list[tuple[int, bytes]], at: int
    ) -> float:
        pcm = self._pcm(u)
        call.play(pcm)
        said.append((at, pcm))
        seconds = len(pcm) / (2 * self.rate)
        log.add(
            "speak_start",
            text=u.text or u.wav or "tone",
            seconds=round(seconds, 3),
            when=u.when,
            trailing_s=round(trailing_silence(pcm, self.rate, self.persona.energy_threshold), 3),
        )
        return time.monotonic() + seconds

    def _drain_events(self, call: Call, log: EventLog) -> None:
        while True:
            try:
                event = call.events.get_nowait()
            except queue.Empty:
                return
            if event.kind is EventKind.DTMF:
                log.add("dtmf_heard", digit=event.digit)


def trailing_silence(pcm: bytes, rate: int, threshold: float) -> float:
    """Seconds after the last loud 20 ms frame (espeak-ng ends its audio with ~0.4 s of silence): the
    callee's speech ends that long before its audio does."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    n = frame_bytes(rate) // 2
    frames = len(samples) // n
    if frames == 0:
        return len(samples) / rate
    rms = np.sqrt((samples[: frames * n].reshape(frames, n) ** 2).mean(axis=1))
    loud = np.nonzero(rms >= threshold)[0]
    if loud.size == 0:
        return len(samples) / rate
    return float(len(samples) - (int(loud[-1]) + 1) * n) / rate


def _timeline(said: list[tuple[int, bytes]], frame_size: int) -> list[bytes]:
    """What the callee said, placed at the frames where it started (the right channel of heard.wav)."""
    out = bytearray()
    for frame_index, pcm in said:
        start = frame_index * frame_size
        if len(out) < start:
            out += bytes(start - len(out))
        out[start : start + len(pcm)] = pcm
    return [bytes(out)]
