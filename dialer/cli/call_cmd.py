"""`dialer call DESTINATION --profile P`: place one test call and print its result."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from dialer.cli.context import AppContext, pass_app
from dialer.cli.sip_cmds import load_profile_or_exit
from dialer.logs import mask_number


def _masked(destination: str) -> str:
    if destination.startswith(("sip:", "sips:")):
        user, at, host = destination.partition("@")
        scheme, _, name = user.partition(":")
        return f"{scheme}:{mask_number(name)}{at}{host}"
    return mask_number(destination)


@click.command("call")
@click.argument("destination")
@click.option(
    "--profile",
    "profile_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="trunk profile (default: [sip] profile from the settings)",
)
@click.option(
    "--play",
    "play",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="WAV to play when answered",
)
@click.option(
    "--record",
    "record",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="stereo WAV of the call: callee left, bot right",
)
@click.option(
    "--seconds", type=float, default=None, help="hang up this long after answer (default: prompt + 1 s)"
)
@click.option("--sip-port", type=int, default=0, show_default=True, help="local SIP port (0: any free port)")
@click.option("--rtp-port", type=int, default=0, show_default=True, help="first local RTP port (0: any)")
@click.option(
    "--rate",
    type=click.Choice(["8000", "16000"]),
    default=None,
    help="PCM rate of the bot side and the recording (default: [sip] rate)",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
@pass_app
def call(
    app: AppContext,
    destination: str,
    profile_path: Path | None,
    play: Path | None,
    record: Path | None,
    seconds: float | None,
    sip_port: int,
    rtp_port: int,
    rate: str | None,
    as_json: bool,
) -> None:
    """Call DESTINATION (E.164 like +15551234567, or a sip: URI) and report how it ended."""
    profile = load_profile_or_exit(app, profile_path or Path(app.settings.sip.profile))
    try:
        uri = profile.destination_uri(destination)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="DESTINATION") from None
    from dialer.sip.handlers import PlayAndHangup
    from dialer.sip.interfaces import CallRequest, SipError
    from dialer.sip.pjsua_engine import PjsuaEngine

    request = CallRequest(
        call_id=uuid.uuid4().hex,
        uri=uri,
        ring_timeout=profile.ring_timeout,
        max_duration=profile.max_call_duration,
        record_path=str(record) if record else None,
        options={"play": str(play) if play else None, "seconds": seconds},
    )
    err = Console(stderr=True)
    if not as_json:
        err.print(f"calling {_masked(destination)} via {profile.name}")
    pcm_rate = int(rate) if rate else app.settings.sip.rate
    engine = PjsuaEngine(profile, sip_port=sip_port, rtp_port=rtp_port, rate=pcm_rate, max_calls=1)
    try:
        engine.start()
        if profile.mode == "register":
            code, reason = engine.register()
            if not 200 <= code < 300:
                raise click.ClickException(f"registration failed: {code} {reason}")
        live = engine.dial(request)
        PlayAndHangup().handle(live, request)
        live.hangup()
        result = live.wait(request.ring_timeout + request.max_duration + 60)
    except SipError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        engine.shutdown()
    if result is None:
        raise click.ClickException("the call did not end")
    if as_json:
        click.echo(json.dumps(result.summary()))
    else:
        table = Table(show_header=False, title="call result")
        for key, value in result.summary().items():
            table.add_row(key, "-" if value in (None, "") else str(value))
        table.add_row("reason", result.reason)
        table.add_row("codec", result.codec or "-")
        Console().print(table)
    sys.exit(0 if result.result not in ("trunk_failure", "interrupted") else 1)
