"""`SessionHandler`: the call handler that conducts reminder calls inside a call worker.

Built once per worker process with `from_settings(settings)`: the recognizers (one per language, each
model shared by all the worker's calls in that language and chosen per call by the script's language;
languages in `voice.asr_preload` load at worker start, others on their first call, while it rings), the
synthesizer chain behind the render cache, and the dialogue engines, loaded per script on first use and
kept. `handle(call, request)` runs one call (see `conversation.py`) and returns its `SessionReport`,
which travels back with the call's result.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from dialer.session.carriers import Carriers, carrier_heads
from dialer.session.conversation import Conversation
from dialer.session.prompts import PromptRenderer
from dialer.session.reply import fixed_sentences
from dialer.session.report import SessionReport
from dialer.session.settings import SessionSettings
from dialer.session.spec import SessionSpec
from dialer.sip.interfaces import Call, CallRequest
from dialogue.interfaces import DialoguePolicy
from dialogue.settings import DialogueSettings
from voice.background import Runner, call_runner
from voice.engines import Recognizers
from voice.interfaces import Recognizer, Synthesizer
from voice.settings import VoiceSettings

log = logging.getLogger(__name__)

PolicyFactory = Callable[[SessionSpec], Callable[[], DialoguePolicy]]


@dataclass(frozen=True)
class _Named:
    script: str


class ScriptEngines:
    """Dialogue engines by script, loaded once per worker (a Rasa server is started once, kept running)."""

    def __init__(self, settings: DialogueSettings, base: Path | None = None) -> None:
        self.settings = settings
        self.base = base
        self._engines: dict[Path, Any] = {}
        self._stack = contextlib.ExitStack()
        self._lock = threading.Lock()

    def __call__(self, spec: SessionSpec | _Named) -> Callable[[], DialoguePolicy]:
        from dialogue.engines import open_engine, resolve_script

        path = resolve_script(spec.script, self.settings, self.base)
        with self._lock:
            engine = self._engines.get(path)
            if engine is None:
                engine = self._stack.enter_context(open_engine(path, self.settings))
                self._engines[path] = engine
        return engine.new_policy  # type: ignore[no-any-return]

    @property
    def loaded(self) -> list[str]:
        with self._lock:
            return sorted(path.name for path in self._engines)

    def preload(self) -> list[str]:
        """Load every script under the scripts directory now (worker start), not on a call's first ring:
        loading trains the understanding model (about a second). Broken scripts are skipped here (their
        calls end with an error report); their names are returned."""
        scripts_dir = Path(self.settings.scripts_dir)
        if not scripts_dir.is_absolute() and self.base is not None:
            scripts_dir = self.base / scripts_dir
        broken = []
        for candidate in sorted(scripts_dir.glob("*/domain.yml")) if scripts_dir.is_dir() else []:
            try:
                self(_Named(str(candidate.parent)))
            except Exception as exc:
                log.warning("script %s not loaded (%s)", candidate.parent.name, type(exc).__name__)
                broken.append(candidate.parent.name)
        return broken

    def templates(self) -> list[tuple[list[str], str]]:
        """Every loaded script's response texts, with its language."""
        from dialogue.script import load_script

        with self._lock:
            paths = sorted(self._engines)
        out: list[tuple[list[str], str]] = []
        for path in paths:
            script = load_script(path)
            out.append(
                ([v.text for r in script.responses.values() for v in r.variants if v.text], script.language)
            )
        return out

    def sentences(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(sentence, language) of every loaded script's responses that hold no slot, and (head,
        language): the words before the first slot of the others; from one reading of the scripts."""
        fixed: list[tuple[str, str]] = []
        heads: list[tuple[str, str]] = []
        for templates, lang in self.templates():
            fixed += [(text, lang) for text in fixed_sentences(templates, lang)]
            heads += [(head, lang) for head in carrier_heads(templates, lang)]
        return fixed, heads

    def fixed_sentences(self) -> list[tuple[str, str]]:
        """(sentence, language) of every loaded script's responses that hold no slot."""
        return self.sentences()[0]

    def close(self) -> None:
        with self._lock:
            self._engines.clear()
            self._stack.close()


class SessionHandler:
    def __init__(
        self,
        *,
        recognizer: Recognizer | None = None,
        recognizers: Recognizers | None = None,
        synthesizer: Synthesizer,
        policies: PolicyFactory,
        settings: SessionSettings | None = None,
        voice: VoiceSettings | None = None,
        background: Callable[[str], Runner] = call_runner,
    ) -> None:
        """`background`: where a call's decodes run (named by their job): `call_runner` on a live call;
        at once in virtual-time tests."""
        if recognizers is None:
            if recognizer is None:
                raise ValueError("a session handler needs a recognizer or recognizers per language")
            recognizers = Recognizers.single(recognizer)
        self.recognizers = recognizers
        self.prompts = PromptRenderer(synthesizer)
        self.policies = policies
        self.settings = settings or SessionSettings()
        self.voice = voice or VoiceSettings()
        self.background = background

    @classmethod
    def from_settings(cls, settings: Any, worker: int = 0) -> SessionHandler:
        """The worker's engines from the settings tree (models load here, once per process). `worker` is
        the worker's index among `sip.workers`: the workers of a host render the fixed sentences starting
        at different places, so each renders about its share and reads the others' from the cache."""
        from voice.engines import build_recognizer, build_synthesizer

        voice: VoiceSettings = settings.voice
        models_dir = settings.path(voice.models_dir, "models")
        cache_dir = settings.path(voice.cache_dir, "tts-cache")
        work_dir = settings.data_dir / "work"

        def load(language: str) -> Recognizer:
            recognizer = build_recognizer(voice, models_dir, work_dir, language=language)
            _warm_up(recognizer, voice.sample_rate)
            return recognizer

        recognizers = Recognizers(load)
        recognizers.preload(voice.asr_preload, background=True)  # loads while the scripts train
        synthesizer = build_synthesizer(voice, cache_dir)
        base = settings.config_path.resolve().parent if settings.config_path else None
        policies = ScriptEngines(settings.dialogue, base)
        if settings.dialogue.engine == "embedded":
            policies.preload()
        handler = cls(
            recognizers=recognizers,
            synthesizer=synthesizer,
            policies=policies,
            settings=settings.session,
            voice=voice,
        )
        if synthesizer.cache is not None:
            # the languages loaded at start are rendered before the worker is ready (their calls open at
            # once); the others in the background, after any call's own renders
            fixed, heads = policies.sentences()
            handler.prompts.carriers = Carriers.of(heads, fixed)
            sentences = fixed + heads
            now = [s for s in sentences if s[1] in voice.asr_preload]
            later = [s for s in sentences if s[1] not in voice.asr_preload]
            share = _share(worker, settings.sip.workers)
            handler.prerender(_rotated(now, share), voice.sample_rate)
            if later:
                threading.Thread(
                    target=handler.prerender,
                    args=(_rotated(later, share), voice.sample_rate),
                    name="prerender",
                    daemon=True,
                ).start()
        return handler

    @property
    def recognizer(self) -> Recognizer:
        """The English recognizer (the default language)."""
        return self.recognizers.get("en")

    def prerender(self, sentences: list[tuple[str, str]], rate: int) -> int:
        """Render the scripts' fixed sentences into the render cache (in the background at worker start, after
        the calls' own renders), so a reply
        waits only for its sentences with per-call text. Already cached ones cost a file read; a failure
        is logged and left to the call that needs the sentence. Returns the sentences rendered."""
        started, done = time.monotonic(), 0
        for text, lang in sentences:
            try:
                self.prompts.render(text, lang, rate, verbalized=True, urgent=False)  # calls go first
                done += 1
            except Exception as exc:
                log.warning("fixed %s sentence not pre-rendered (%s)", lang, type(exc).__name__)
        log.info(
            "%d of %d fixed sentences ready in the render cache (%.1f s)",
            done,
            len(sentences),
            time.monotonic() - started,
        )
        return done

    def prepare(self, request: CallRequest) -> None:
        """Before the INVITE: the spec and the script must be usable, else the call is not placed (the
        worker reports the exception as the cause) and no phone rings with nothing to say."""
        self.policies(SessionSpec.from_options(request.options))

    def handle(self, call: Call, request: CallRequest) -> SessionReport:
        try:
            spec = SessionSpec.from_options(request.options)
            new_policy = self.policies(spec)  # load the script while the phone rings
            recognizer = self.recognizers.get(spec.language)  # the script's language decides who hears
            conversation = Conversation(
                call,
                spec,
                recognizer=recognizer,
                prompts=self.prompts,
                new_policy=new_policy,
                settings=self.settings,
                voice=self.voice,
                background=self.background,
            )
        except Exception as exc:  # a bad spec (zone, currency) or script: no call can be conducted
            log.warning("call %s: cannot start a session (%s)", call.call_id, type(exc).__name__)
            call.hangup()
            return SessionReport("", ended_by="error", error=f"{type(exc).__name__}: {exc}")
        report = conversation.run(answer_timeout=request.ring_timeout + 60)
        log.info(
            "call %s: session ended by %s, disposition %s, %d turns, %d barge-ins, %d TTS fallbacks",
            call.call_id,
            report.ended_by or "-",
            report.disposition or "-",
            len(report.turns),
            len(report.barge_in_stop_ms),
            report.tts_fallbacks,
        )
        return report


def _warm_up(recognizer: Recognizer, rate: int) -> None:
    """One decode at worker start: the first one pays the engine's lazy set-up, not a caller."""
    try:
        hiss = np.random.default_rng(0).normal(0, 30, rate // 2).astype("<i2").tobytes()
        recognizer.transcribe(hiss, rate)
    except Exception as exc:  # the first call will meet the same problem and report it
        log.warning("recognizer warm-up failed (%s)", type(exc).__name__)


T = TypeVar("T")


def _share(worker: int, workers: int) -> float:
    """Where worker `worker` of `workers` starts in a list of start-up work, as a fraction of it."""
    return (worker % workers) / workers if workers > 1 else 0.0


def _rotated(items: list[T], share: float) -> list[T]:
    """`items` from `share` of the way in, wrapping round: the same work, another worker's first part."""
    start = int(len(items) * share)
    return items[start:] + items[:start]
