"""The render cache every synthesis goes through, so a call never waits for a TTS engine twice.

Entries are content-addressed: SHA-256 over (format, engine, voice, sample rate, normalized text), stored
as ``<dir>/<engine>/<key[:2]>/<key>.wav`` (a person can listen to them). Writes are atomic (temporary
file in the same directory, then rename), so a crash or a concurrent worker never leaves half a prompt.
A changed voice or engine gives a new key; `invalidate()` drops one prompt or a whole engine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from voice.audio import AudioError, parse_wav_bytes, wav_bytes
from voice.errors import VoiceError
from voice.interfaces import Synthesizer

log = logging.getLogger(__name__)

CACHE_FORMAT = 1


def normalize_text(text: str) -> str:
    """Prompts that differ only in spacing or Unicode form sound the same: one cache entry."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True, slots=True)
class CacheStats:
    hits: int
    misses: int
    writes: int


class RenderCache:
    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._hits = self._misses = self._writes = 0

    @staticmethod
    def key(engine: str, voice: str, text: str, sample_rate: int) -> str:
        material = json.dumps(
            [CACHE_FORMAT, engine, voice, sample_rate, normalize_text(text)], ensure_ascii=False
        )
        return hashlib.sha256(material.encode("utf-8")).hexdigest()

    def path(self, engine: str, key: str) -> Path:
        return self.directory / _safe(engine) / key[:2] / f"{key}.wav"

    @property
    def stats(self) -> CacheStats:
        with self._lock:
            return CacheStats(self._hits, self._misses, self._writes)

    def _count(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self._hits += 1
            else:
                self._misses += 1

    def get(self, engine: str, key: str, sample_rate: int) -> bytes | None:
        path = self.path(engine, key)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        try:
            pcm, rate = parse_wav_bytes(data, str(path))
        except AudioError:
            log.warning("render cache: dropping unreadable entry %s", path.name)
            path.unlink(missing_ok=True)
            return None
        return pcm if rate == sample_rate else None

    def put(self, engine: str, key: str, pcm: bytes, sample_rate: int) -> Path:
        path = self.path(engine, key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".render-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(wav_bytes(pcm, sample_rate))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        with self._lock:
            self._writes += 1
        return path

    def lookup(self, synthesizer: Synthesizer, text: str, lang: str, sample_rate: int) -> bytes | None:
        """A cached render by this engine, or None; counts a hit or a miss."""
        key = self.key(synthesizer.name, synthesizer.voice_for(lang), text, sample_rate)
        pcm = self.get(synthesizer.name, key, sample_rate)
        self._count(pcm is not None)
        return pcm

    def render(self, synthesizer: Synthesizer, text: str, lang: str, sample_rate: int) -> bytes:
        """The cached render, or synthesize now and store it."""
        key = self.key(synthesizer.name, synthesizer.voice_for(lang), text, sample_rate)
        cached = self.get(synthesizer.name, key, sample_rate)
        self._count(cached is not None)
        if cached is not None:
            return cached
        pcm = synthesizer.synthesize(text, lang, sample_rate)
        self.put(synthesizer.name, key, pcm, sample_rate)
        return pcm

    def contains(self, synthesizer: Synthesizer, text: str, lang: str, sample_rate: int) -> bool:
        key = self.key(synthesizer.name, synthesizer.voice_for(lang), text, sample_rate)
        return self.path(synthesizer.name, key).is_file()

    def invalidate(
        self, synthesizer: Synthesizer, text: str | None = None, lang: str = "en", sample_rate: int = 8000
    ) -> int:
        """Drop one prompt's render (text given) or everything the engine rendered; returns files removed."""
        if text is not None:
            key = self.key(synthesizer.name, synthesizer.voice_for(lang), text, sample_rate)
            path = self.path(synthesizer.name, key)
            existed = path.is_file()
            path.unlink(missing_ok=True)
            return int(existed)
        root = self.directory / _safe(synthesizer.name)
        count = sum(1 for _ in root.rglob("*.wav")) if root.is_dir() else 0
        shutil.rmtree(root, ignore_errors=True)
        return count


class CachedSynthesizer(Synthesizer):
    """One engine behind the cache; same name and voices as the engine, so keys stay stable."""

    def __init__(self, engine: Synthesizer, cache: RenderCache):
        self.engine = engine
        self.cache = cache
        self.name = engine.name
        self.languages = engine.languages

    def voice_for(self, lang: str) -> str:
        return self.engine.voice_for(lang)

    def synthesize(self, text: str, lang: str, sample_rate: int) -> bytes:
        return self.cache.render(self.engine, text, lang, sample_rate)


@dataclass(frozen=True, slots=True)
class PrerenderReport:
    prompts: int
    rendered: int
    cached: int
    failed: int


def prerender(
    synthesizer: Synthesizer,
    prompts: Iterable[tuple[str, str]],
    sample_rate: int,
    cache: RenderCache,
    on_progress: Callable[[int], None] | None = None,
) -> PrerenderReport:
    """Render a campaign's static prompts (text, lang) before its first call.

    `synthesizer` must go through `cache` (a CachedSynthesizer or a FallbackSynthesizer built with it);
    failures are counted, not raised, so one bad prompt does not block the others.
    """
    unique = list(dict.fromkeys((normalize_text(text), lang) for text, lang in prompts))
    before = cache.stats
    failed = 0
    for done, (text, lang) in enumerate(unique, start=1):
        try:
            synthesizer.synthesize(text, lang, sample_rate)
        except VoiceError as exc:
            failed += 1
            log.warning("prerender: a %s prompt failed: %s", lang, exc)
        if on_progress is not None:
            on_progress(done)
    after = cache.stats
    return PrerenderReport(
        prompts=len(unique),
        rendered=after.writes - before.writes,
        cached=after.hits - before.hits,
        failed=failed,
    )


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name) or "engine"
