"""The `dialer` command. Subcommands live in their own modules and are imported only when used,
so `dialer import` never pays for loading pjsua2 or a speech model."""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path
from typing import Any

import click

from dialer.cli.context import AppContext
from dialer.logs import configure_logging

# name -> "module:attribute". A subcommand module owns one command or one group.
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("dialer.cli.setup_cmds:init_cmd", "write a commented dialer.toml and create the database"),
    "db": ("dialer.cli.setup_cmds:db", "database migrations"),
    "import": ("dialer.cli.import_cmd:import_cmd", "import a call list (CSV/XLSX) into a campaign"),
    "campaigns": ("dialer.cli.campaign_cmds:campaigns", "list campaigns"),
    "campaign": ("dialer.cli.campaign_cmds:campaign", "create, show and control one campaign"),
    "policy": ("dialer.cli.policy_cmds:policy", "compliance decisions: decide, explain"),
    "plan": ("dialer.cli.plan_cmd:plan", "who would be called in the next hours, and why not the others"),
    "sip": ("dialer.cli.sip_cmds:sip", "SIP trunk profiles: check"),
    "call": ("dialer.cli.call_cmd:call", "place one test call"),
    "callee": ("dialer.cli.callee_cmd:callee", "a simulated callee that answers with a persona"),
    "tts": ("dialer.cli.voice_cmds:tts", "synthesize a prompt to a WAV file"),
    "asr": ("dialer.cli.voice_cmds:asr", "transcribe a WAV file"),
    "models": ("dialer.cli.voice_cmds:models", "list and install speech models"),
    "script": ("dialer.cli.script_cmds:script", "call scripts: validate, lint, test, parse"),
    "chat": ("dialer.cli.script_cmds:chat", "talk to a call script in the terminal"),
    "rasa": ("dialer.cli.rasa_cmds:rasa", "the optional Rasa server engine: setup, train, serve"),
    "demo": ("dialer.cli.demo_cmd:demo", "run a demo campaign against local simulated callees"),
    "run": ("dialer.cli.run_cmd:run", "the unattended dialer daemon: claims, calls, results"),
    "report": ("dialer.cli.report_cmds:report", "a campaign's funnel, outcomes, latency, data quality"),
    "export": ("dialer.cli.report_cmds:export", "call records, recordings and transcripts in one archive"),
    "web": ("dialer.cli.web_cmds:web", "the operator web console and HTTP API"),
    "user": ("dialer.cli.web_cmds:user", "console users: add"),
    "qa": ("dialer.cli.qa_cmds:qa", "quality inspection of every call: run, report, verdict"),
    "audit": ("dialer.cli.qa_cmds:audit", "the hash-chained audit log: seal, verify"),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target[0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith(("dialer", "scheduler", "voice", "dialogue", "sip_config")):
                return _unavailable(cmd_name, f"this build has no {module_name}")
            hint = f"missing dependency {exc.name!r}: pip install 'reminder-dialer[all]'"
            return _unavailable(cmd_name, hint)
        command = getattr(module, attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{module_name}:{attr} is not a click command")
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_) for name, (_, help_) in sorted(COMMANDS.items())]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _unavailable(name: str, why: str) -> click.Command:
    @click.command(name=name, context_settings={"ignore_unknown_options": True})
    @click.argument("args", nargs=-1, type=click.UNPROCESSED)
    def missing(args: Any) -> None:
        raise click.ClickException(f"`dialer {name}` is not available: {why}")

    return missing


@click.group(cls=LazyGroup)
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="DIALER_CONFIG",
    help="dialer.toml to use (default: ./dialer.toml if present, else built-in defaults)",
)
@click.option("-v", "--verbose", count=True, help="more log output (-vv for debug)")
@click.version_option(package_name="reminder-dialer")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, verbose: int) -> None:
    """reminder-dialer: a compliant outbound voice-bot dialer for payment reminders."""
    configure_logging(logging.WARNING - 10 * verbose)
    ctx.obj = AppContext(config_path=config_path)


def main(argv: list[str] | None = None) -> None:
    try:
        cli.main(args=argv, prog_name="dialer")
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)


if __name__ == "__main__":
    main()
