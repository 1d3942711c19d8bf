"""Refuse what cannot work, before any phone rings: a campaign's script and caller IDs.

Used by `campaign create` and `campaign resume`, by `dialer run` at start-up and on SIGHUP, and before each
dial (the script is checked once per name and run, then remembered). Each problem is one line that names
what is wrong and how to fix it, and holds no personal data.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from scheduler.policy.geo import BadNumber, number_facts


def script_problem(name: str, settings: Any) -> str:
    """ "" when the script loads, validates and lints without errors; else the one-line problem."""
    from dialogue.engines import resolve_script
    from dialogue.interfaces import DialogueError
    from dialogue.lint import lint
    from dialogue.script import load_script
    from dialogue.validate import validate

    base = settings.config_path.resolve().parent if settings.config_path is not None else None
    try:
        path = resolve_script(name, settings.dialogue, base)
    except (DialogueError, OSError, ValueError):
        where = Path(settings.dialogue.scripts_dir)
        if not where.is_absolute() and base is not None:
            where = base / where
        return (
            f"script {name!r} not found in {where}: copy the script project there, or use an existing "
            "script (dialer campaign create --script NAME)"
        )
    try:
        script = load_script(path)
    except (DialogueError, OSError, ValueError) as exc:
        return f"script {name!r} cannot be loaded ({exc}): fix it, then `dialer script validate {name}`"
    findings = [f for f in (*validate(script), *lint(script)) if f.severity == "error"]
    if findings:
        return (
            f"script {name!r} has {len(findings)} error(s), first {findings[0]}: "
            f"fix them (dialer script validate {name}; dialer script lint {name})"
        )
    speech = language_problem(script.language, settings)
    return f"script {name!r} speaks {script.language!r}, but {speech}" if speech else ""


def language_problem(language: str, settings: Any) -> str:
    """ "" when a recognizer and a voice for `language` are configured and installed; else what is not."""
    return _recognizer_problem(language, settings) or _voice_problem(language, settings.voice)


def _recognizer_problem(language: str, settings: Any) -> str:
    """What keeps the recognizer a call in `language` would get (voice.engines.build_recognizer: the
    engine per language, whisper-base for a language other than English) from hearing it."""
    import importlib.util

    voice = settings.voice
    engine = voice.engine_for(language)
    if engine == "scripted":
        return ""
    if engine == "whisper":
        if importlib.util.find_spec("faster_whisper") is None:
            return "faster-whisper is not installed: pip install reminder-dialer"
        from voice.engines import whisper_model_for

        model = whisper_model_for(voice, language)
        if model == "whisper-base":
            from voice.models import whisper_base_problem

            return whisper_base_problem(settings.path(voice.models_dir, "models"))
        if model and not Path(model).is_dir():
            return f"the whisper model {model} is not installed: set voice.whisper_models.{language} to a dir"
        if language != "en" and (not model or Path(model).name.endswith(".en")):
            return (
                f"the whisper model {Path(model).name if model else 'tiny.en'} knows English only: set "
                f'voice.whisper_models.{language} = "whisper-base" (dialer models install whisper-base)'
            )
        return ""
    if engine == "vosk":
        from voice.engines import _vosk_language, resolve_vosk_model
        from voice.errors import ModelNotInstalled

        spec = voice.vosk_models.get(language, "") if language != "en" else voice.vosk_model
        try:
            resolve_vosk_model(spec, settings.path(voice.models_dir, "models"))
        except ModelNotInstalled as exc:
            return str(exc)
        if _vosk_language(spec) != language:
            return f"the Vosk model {spec} is not a {language} model: dialer models list"
        return ""
    return f"the recognizer {engine!r} is unknown: set voice.asr_engines.{language} to whisper or vosk"


def _voice_problem(language: str, voice: Any) -> str:
    import importlib.util
    import shutil

    for engine in voice.tts_engines:
        if engine == "silence" or (engine == "edge" and language in voice.edge_voices):
            return ""
        if engine == "espeak" and language in voice.espeak_voices and shutil.which("espeak-ng"):
            return ""
        if engine == "piper" and language == "en" and importlib.util.find_spec("piper") is not None:
            return ""  # the piper wheel's own voice is English
    return (
        f"no configured voice speaks {language!r} ({', '.join(voice.tts_engines)}): add one to "
        "voice.edge_voices or voice.espeak_voices (with espeak-ng installed)"
    )


def caller_id_problems(pool: Iterable[str], owned: Iterable[str] = ()) -> list[str]:
    """Each caller ID must be a valid, dialable E.164 number and, when the trunk profile names the numbers
    the operator owns, one of them (C9: never a number that is not ours)."""
    mine = {n for n in owned if n}
    problems = []
    for number in pool:
        try:
            facts = number_facts(number)
        except BadNumber as exc:
            problems.append(f"caller ID {number!r} is not a valid E.164 number ({exc}): fix the pool")
            continue
        if facts.line_type == "premium":
            problems.append(f"caller ID {number!r} is {facts.line_type}: callees cannot call it back")
        if mine and facts.e164 not in mine:
            problems.append(
                f"caller ID {number!r} is not one of the trunk profile's numbers (caller_id): "
                "use a number you own, or add it to the profile"
            )
    return problems


def owned_numbers(settings: Any) -> tuple[str, ...]:
    """The numbers the trunk profile says the operator owns (its caller_id and owned_numbers); () when
    the profile names none or cannot be read here (`dialer run` refuses a bad profile on its own)."""
    from dialer.settings import site_path
    from sip_config.loader import load_profile

    try:
        profile = load_profile(site_path(settings, settings.sip.profile), resolve=False)
    except Exception:
        return ()
    if not profile.owned_numbers:
        return ()
    return (*profile.owned_numbers, *([profile.caller_id] if profile.caller_id.startswith("+") else []))


def campaign_problems(script: str, caller_ids: Iterable[str], settings: Any) -> list[str]:
    """Everything that stops a campaign from placing a useful call: its script, its caller IDs."""
    problem = script_problem(script, settings)
    return ([problem] if problem else []) + caller_id_problems(caller_ids, owned_numbers(settings))


def campaign_refusal(name: str, script: str, caller_ids: Iterable[str], settings: Any) -> str:
    """ "" when the campaign can work; else the one line that refuses it (CLI, console and API alike)."""
    problems = campaign_problems(script, caller_ids, settings)
    return f"campaign {name!r}: {problems[0]}" if problems else ""


class ScriptChecks:
    """Script problems by name, checked once per run (cleared on SIGHUP)."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self._known: dict[str, str] = {}

    def problem(self, name: str) -> str:
        if name not in self._known:
            self._known[name] = script_problem(name, self.settings)
        return self._known[name]

    def clear(self) -> None:
        self._known.clear()
