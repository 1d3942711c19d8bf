"""`dialer rasa ...`: the optional Rasa 3.6 server engine (setup, train, serve)."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import click

from dialer.cli.context import AppContext, pass_app
from dialogue.interfaces import DialogueError


@click.group()
def rasa() -> None:
    """The optional Rasa server engine: a Python 3.10 environment beside the dialer."""


@rasa.command()
@click.option(
    "--python", "python", type=click.Path(path_type=Path), default=None, help="a Python 3.10 interpreter"
)
@click.option(
    "--constraints", type=click.Path(path_type=Path), default=None, help="pip constraints for Rasa 3.6.21"
)
@click.option(
    "--venv", type=click.Path(path_type=Path), default=None, help="where to build it (default: settings)"
)
@pass_app
def setup(app: AppContext, python: Path | None, constraints: Path | None, venv: Path | None) -> None:
    """Build (or reuse, when healthy) the Rasa 3.6.21 environment."""
    from rich.console import Console

    from dialogue import rasa_env

    settings = app.settings.dialogue
    target = venv or rasa_env.venv_dir(settings)
    console = Console(stderr=True)
    try:
        with console.status("checking / building the Rasa environment (minutes on first run)..."):
            reused = rasa_env.setup(
                target,
                python or rasa_env.default_python(settings),
                constraints or rasa_env.default_constraints(),
                say=lambda msg: console.log(msg),
            )
    except DialogueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Rasa {rasa_env.RASA_VERSION} environment {'reused' if reused else 'built'}: {target}")


@rasa.command()
@click.argument("name")
@click.option("--force", is_flag=True, help="retrain even if a model for these files exists")
@pass_app
def train(app: AppContext, name: str, force: bool) -> None:
    """Train a Rasa model for a script (cached by a hash of its files)."""
    from rich.console import Console

    from dialogue import rasa_env
    from dialogue.engines import resolve_script

    try:
        script = resolve_script(name, app.settings.dialogue, Path.cwd())
        started = time.monotonic()
        with Console(stderr=True).status(f"training {script.name} with Rasa {rasa_env.RASA_VERSION}..."):
            model = rasa_env.train(rasa_env.venv_dir(app.settings.dialogue), script, force=force)
    except DialogueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"model: {model} ({time.monotonic() - started:.1f} s)")


@rasa.command()
@click.argument("name")
@click.option("--port", type=int, default=5005, show_default=True)
@pass_app
def serve(app: AppContext, name: str, port: int) -> None:
    """Serve a script on 127.0.0.1 with a random auth token (printed once, for the client)."""
    from dialogue import rasa_env, rasa_server
    from dialogue.engines import resolve_script

    settings = app.settings.dialogue
    try:
        script = resolve_script(name, settings, Path.cwd())
        venv = rasa_env.venv_dir(settings)
        model = rasa_env.train(venv, script)
        server = rasa_server.start(venv, model, port, settings.rasa_start_timeout)
    except DialogueError as exc:
        raise click.ClickException(str(exc)) from exc
    token_file = server.log_path.parent / "auth-token"
    token_file.touch(mode=0o600)
    token_file.write_text(server.token, encoding="utf-8")
    click.echo(f"serving {script.name} at {server.url} (log: {server.log_path})")
    click.echo(f"auth token (owner-only file): {token_file}")

    def terminate(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, terminate)  # stop the server too when the dialer is told to stop
    try:
        server.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
