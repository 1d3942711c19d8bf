"""`dialer callee --listen 127.0.0.1:PORT --persona FILE`: a simulated callee for tests and demos."""

from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path

import click

from dialer.cli.context import AppContext, pass_app


def _listen(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter("expected HOST:PORT, e.g. 127.0.0.1:5070", param_hint="--listen")
    return host, int(port)


@click.command("callee")
@click.option("--listen", "listen", required=True, help="HOST:PORT to take SIP calls on")
@click.option(
    "--persona", "persona_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option(
    "--log-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("callee-logs"),
    show_default=True,
    help="heard WAVs and JSON event logs, one pair per call",
)
@click.option("--rtp-port", type=int, default=0, help="first RTP port (0: any)")
@click.option("--rate", type=click.Choice(["8000", "16000"]), default="8000", show_default=True)
@click.option("--calls", type=int, default=0, help="exit after this many calls (0: run until interrupted)")
@pass_app
def callee(
    app: AppContext, listen: str, persona_path: Path, log_dir: Path, rtp_port: int, rate: str, calls: int
) -> None:
    """Answer calls on --listen and play the persona in FILE."""
    from dialer.callee.persona import PersonaError, load_persona
    from dialer.callee.runner import PersonaRunner
    from dialer.callee.synth import SynthError
    from dialer.sip.interfaces import Call, SipError
    from dialer.sip.pjsua_engine import PjsuaEngine
    from sip_config.loader import parse_profile

    host, port = _listen(listen)
    try:
        persona = load_persona(persona_path)
        runner = PersonaRunner(persona, log_dir, int(rate))
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
        click.echo(f"callee {persona.name} listening on {host}:{port}", err=True)
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

        click.echo(
            f"callee {persona.name}: {count} calls, turn latency on the wire {summarize(log_dir)}", err=True
        )
