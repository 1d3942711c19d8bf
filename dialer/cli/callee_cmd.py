"""`dialer callee`: a simulated callee for tests and demos.

One persona (`--persona FILE`) answers every call, or a folder of personas (`--personas DIR --routes FILE`)
shares one SIP endpoint and the dialled number picks the persona.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import click

from dialer.cli.context import AppContext, pass_app


def _listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter("expected HOST:PORT, e.g. 127.0.0.1:5070", param_hint="--listen")
    return host, int(port)


_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.command("callee")
@click.option("--listen", "listen", required=True, help="HOST:PORT to take SIP calls on")
@click.option("--persona", "persona_path", type=_FILE, help="one persona answers every call")
@click.option(
    "--personas",
    "personas_dir",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="a folder of persona files; --routes picks one per dialled number",
)
@click.option("--routes", "routes_path", type=_FILE, help="YAML: dialled number -> persona name")
@click.option(
    "--log-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("callee-logs"),
    show_default=True,
    help="heard WAVs and JSON event logs, one pair per call (one sub-folder per persona with --personas)",
)
@click.option("--rtp-port", type=int, default=0, help="first RTP port (0: any)")
@click.option("--rate", type=click.Choice(["8000", "16000"]), default="8000", show_default=True)
@click.option("--calls", type=int, default=0, help="exit after this many calls (0: run until interrupted)")
@pass_app
def callee(
    app: AppContext,
    listen: str,
    persona_path: Path | None,
    personas_dir: Path | None,
    routes_path: Path | None,
    log_dir: Path,
    rtp_port: int,
    rate: str,
    calls: int,
) -> None:
    """Answer calls on --listen with the persona in FILE, or with the persona routed by number."""
    from dialer.callee.persona import PersonaError, load_persona
    from dialer.callee.router import PersonaRouter, load_personas
    from dialer.callee.routes import load_routes
    from dialer.callee.runner import PersonaRunner
    from dialer.callee.synth import SynthError
    from dialer.sip.interfaces import Call, SipError
    from dialer.sip.pjsua_engine import PjsuaEngine
    from sip_config.loader import parse_profile

    if (persona_path is None) == (personas_dir is None):
        raise click.UsageError("give either --persona FILE or --personas DIR with --routes FILE")
    if (personas_dir is None) != (routes_path is None):
        raise click.UsageError("--personas and --routes go together")
    host, port = _listen(listen)
    runner: Callable[[Call], None]
    try:
        if persona_path is not None:
            persona = load_persona(persona_path)
            runner = PersonaRunner(persona, log_dir, int(rate))
            label = persona.name
        else:
            assert personas_dir is not None and routes_path is not None
            personas = load_personas(personas_dir)
            routes = load_routes(routes_path, set(personas))
            runner = PersonaRouter(personas.values(), routes, log_dir, int(rate))
            label = f"router ({len(routes)} numbers, {len(routes.personas())} personas)"
    except (PersonaError, SynthError) as exc:
        raise click.ClickException(str(exc)) from None
    profile = parse_profile(
        f"name: callee\ndomain: {host}\nmax_call_duration: 3600\ncodecs: [PCMU, PCMA, G722]\n"
    )
    engine = PjsuaEngine(profile, sip_port=port, rtp_port=rtp_port, rate=int(rate), bind=host)
    finished = threading.Event()
    count = 0
    lock = threading.Lock()

    def handle(call: Call) -> None:
        nonlocal count
        try:
            runner(call)
        finally:
            with lock:
                count += 1
                if calls and count >= calls:
                    finished.set()

    signal.signal(signal.SIGTERM, lambda *_: finished.set())
    try:
        engine.start()
        engine.on_incoming(handle)
        click.echo(f"callee {label} listening on {host}:{port}", err=True)
        sys.stderr.flush()
        while not finished.wait(0.2):
            pass
    except SipError as exc:
        raise click.ClickException(str(exc)) from None
    except KeyboardInterrupt:
        pass
    finally:
        engine.shutdown()
        from dialer.callee.latency import summarize

        click.echo(f"callee {label}: {count} calls, turn latency on the wire {summarize(log_dir)}", err=True)
