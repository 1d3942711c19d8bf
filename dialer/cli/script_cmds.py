"""`dialer script ...` and `dialer chat`: tools for script writers, no phone needed."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from dialer.cli.context import AppContext, pass_app
from dialogue.interfaces import DialogueError, KeyPressed, MachineDetected, NoInput, Say, UserEvent, UserSaid


def _script_dir(app: AppContext, name: str) -> Path:
    from dialogue.engines import resolve_script

    try:
        return resolve_script(name, app.settings.dialogue, Path.cwd())
    except DialogueError as exc:
        raise click.ClickException(str(exc)) from exc


def _load(path: Path) -> Any:
    from dialogue.script import load_script

    try:
        return load_script(path)
    except DialogueError as exc:
        raise click.ClickException(str(exc)) from exc


def _where(script_dir: Path, path: str, line: int) -> str:
    shown = Path(path) if Path(path).is_absolute() else script_dir / path
    with contextlib.suppress(ValueError):
        shown = shown.relative_to(Path.cwd())
    return f"{shown}:{line}" if line else str(shown)


@contextmanager
def _opened(path: Path, app: AppContext, engine: str | None) -> Iterator[Any]:
    """Open the engine; a Rasa server takes a while to train and start, so show a spinner meanwhile."""
    from rich.console import Console

    from dialogue.engines import open_engine

    settings = app.settings.dialogue
    if (engine or settings.engine) != "rasa":
        with open_engine(path, settings, engine) as eng:
            yield eng
        return
    status = Console(stderr=True).status(
        f"training (if changed) and starting a Rasa server for {path.name}..."
    )
    status.start()
    try:
        with open_engine(path, settings, engine) as eng:
            status.stop()
            yield eng
    finally:
        status.stop()


@click.group()
def script() -> None:
    """Call scripts (Rasa-format projects): validate, lint, test, parse."""


@script.command()
@click.argument("name")
@pass_app
def validate(app: AppContext, name: str) -> None:
    """Check the schema and cross-references (intents, responses, slots, variables)."""
    from dialogue.validate import validate as run

    path = _script_dir(app, name)
    findings = run(_load(path))
    errors = [f for f in findings if f.severity == "error"]
    for f in findings:
        click.echo(f"{_where(path, f.path, f.line)}: {f.severity}: {f.message}")
    if errors:
        raise click.ClickException(f"{len(errors)} error(s) in {path.name}")
    click.echo(f"{path.name}: valid ({len(findings)} warning(s))")


@script.command()
@click.argument("name")
@pass_app
def lint(app: AppContext, name: str) -> None:
    """Compliance findings (rule id, file, line); exit status 1 when there are any."""
    from dialogue.lint import lint as run

    path = _script_dir(app, name)
    findings = run(_load(path))
    for f in findings:
        click.echo(f"{_where(path, f.path, f.line)}: [{f.rule}] {f.message}")
    if findings:
        click.echo(f"{path.name}: {len(findings)} compliance finding(s)", err=True)
        sys.exit(1)
    click.echo(f"{path.name}: no compliance findings")


@script.command("test")
@click.argument("name")
@click.option("--engine", type=click.Choice(["embedded", "rasa"]), default=None, help="default: settings")
@click.option("-v", "--verbose", is_flag=True, help="print the transcript of failing stories")
@pass_app
def test_cmd(app: AppContext, name: str, engine: str | None, verbose: bool) -> None:
    """Run tests/test_stories.yml; prints each story and the first step where it diverged."""
    from dialogue.storytest import run_stories

    path = _script_dir(app, name)
    loaded = _load(path)
    if not loaded.tests:
        raise click.ClickException(f"{path.name}: no stories in tests/test_stories.yml")
    chosen = engine or app.settings.dialogue.engine
    try:
        with _opened(path, app, chosen) as eng:
            results = run_stories(loaded, eng.new_policy)
    except DialogueError as exc:
        raise click.ClickException(str(exc)) from exc
    failed = 0
    for result in results:
        if result.passed:
            click.echo(f"PASS  {result.name}")
        else:
            failed += 1
            click.echo(
                f"FAIL  {result.name}\n      {_where(path, result.path, result.line)}: {result.detail}"
            )
            if verbose:
                for line in result.transcript:
                    click.echo(f"        {line}")
    click.echo(f"{path.name} on {chosen}: {len(results) - failed} passed, {failed} failed")
    if failed:
        sys.exit(1)


@script.command()
@click.argument("name")
@click.argument("text")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--engine", type=click.Choice(["embedded", "rasa"]), default=None)
@click.option("--now", type=click.DateTime(formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"]), default=None)
@pass_app
def parse(
    app: AppContext, name: str, text: str, as_json: bool, engine: str | None, now: dt.datetime | None
) -> None:
    """How one reply is understood: intent, confidence, entities."""

    path = _script_dir(app, name)
    try:
        with _opened(path, app, engine) as eng:
            result = eng.parse(text, now)
    except DialogueError as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result.as_json(), ensure_ascii=False))
    else:
        entities = ", ".join(f"{k}={v}" for k, v in result.entities) or "-"
        click.echo(f"intent: {result.intent} ({result.confidence:.2f})  entities: {entities}")


_CHAT_HELP = (
    "Type what the callee says. #1 #2 #9: keypad; /silence: no input; /machine: answering machine; /quit"
)
_SHOWN_SLOTS = ("date", "date_check", "callback_at", "amount_said", "promise_amount", "paid_method")


def _chat_event(line: str) -> UserEvent | None:
    if line.startswith("#") and len(line) == 2:
        return KeyPressed(line[1])
    if line == "/silence":
        return NoInput()
    if line == "/machine":
        return MachineDetected()
    return UserSaid(line) if line else NoInput()


@click.command()
@click.argument("name")
@click.option(
    "--debtor", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="YAML/JSON call context"
)
@click.option("--engine", type=click.Choice(["embedded", "rasa"]), default=None)
@pass_app
def chat(app: AppContext, name: str, debtor: Path | None, engine: str | None) -> None:
    """Talk to a call script in the terminal (stdin may be piped)."""
    import yaml

    from dialogue.storytest import context_for

    path = _script_dir(app, name)
    loaded = _load(path)
    overrides: dict[str, Any] = {}
    if debtor is not None:
        data = yaml.safe_load(debtor.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise click.ClickException(f"{debtor}: expected a mapping of call context fields")
        overrides = data
    try:
        context = context_for(
            loaded, {"now": dt.datetime.now().replace(microsecond=0).isoformat(), **overrides}
        )
    except (TypeError, ValueError) as exc:
        raise click.ClickException(f"{debtor}: {exc}") from exc
    interactive = sys.stdin.isatty()
    if interactive:
        click.echo(_CHAT_HELP)
    try:
        with _opened(path, app, engine) as eng:
            policy = eng.new_policy()
            _show(policy, policy.start(context))
            for raw in sys.stdin:
                line = raw.strip()
                if line == "/quit":
                    break
                event = _chat_event(line)
                if event is None:
                    continue
                click.echo(f"you: {line or '<silence>'}")
                _show(policy, policy.handle(event))
                if policy.ended:
                    click.echo("-- call ended --")
                    break
    except DialogueError as exc:
        raise click.ClickException(str(exc)) from exc


def _show(policy: Any, actions: list[Any]) -> None:
    parsed = getattr(policy, "last_parse", None)
    if parsed is not None:
        click.echo(f"   [intent {parsed.intent} {parsed.confidence:.2f}]")
    for action in actions:
        if isinstance(action, Say):
            click.echo(f"bot: {action.text}")
        else:
            click.echo(f"   -> {action}")
    slots = policy.slots
    shown = ", ".join(f"{k}={slots[k]}" for k in _SHOWN_SLOTS if slots.get(k) not in (None, ""))
    if shown:
        click.echo(f"   slots: {shown}")
