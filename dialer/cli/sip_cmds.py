"""`dialer sip check PROFILE`: validate a trunk profile and, for registering trunks, try to register."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from dialer.cli.context import AppContext, pass_app
from sip_config.loader import ProfileError, load_for_settings
from sip_config.schema import Profile

EXIT_INVALID = 2
EXIT_REGISTER_FAILED = 1


@click.group()
def sip() -> None:
    """SIP trunk profiles."""


def load_profile_or_exit(app: AppContext, path: Path) -> Profile:
    """The CLI's way in: settings name the secrets file, this front door passes the environment."""
    try:
        return load_for_settings(path, app.settings.sip.secrets_file, os.environ)
    except ProfileError as exc:
        click.echo(f"invalid profile: {exc}", err=True)
        sys.exit(EXIT_INVALID)


def describe(profile: Profile) -> Table:
    table = Table(title=f"profile {profile.name}", show_header=False)
    rows = [
        ("mode", profile.mode),
        ("domain", profile.domain),
        ("registrar", profile.registrar or "-"),
        ("proxy", profile.proxy or "-"),
        ("transport", profile.transport.value),
        ("auth user", profile.auth.username if profile.auth else "-"),
        ("password", "set" if profile.password else "-"),
        ("codecs", ", ".join(c.value for c in profile.codecs)),
        ("dtmf", profile.dtmf_mode.value),
        ("channels / cps", f"{profile.channel_limit} / {profile.calls_per_second:g}"),
        ("ring timeout / max call", f"{profile.ring_timeout:g} s / {profile.max_call_duration:g} s"),
    ]
    for key, value in rows:
        table.add_row(key, value)
    return table


@sip.command("check")
@click.argument("profile_path", metavar="PROFILE", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sip-port", type=int, default=0, show_default=True, help="local SIP port (0: any free port)")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="seconds to wait for REGISTER")
@pass_app
def check(app: AppContext, profile_path: Path, sip_port: int, timeout: float) -> None:
    """Validate PROFILE (exit 2 names the field); register a registering trunk (exit 1 on failure)."""
    profile = load_profile_or_exit(app, profile_path)
    console = Console()
    console.print(describe(profile))
    console.print("profile is valid")
    if profile.mode != "register":
        console.print("IP-authenticated trunk: nothing to register")
        return
    from dialer.sip.interfaces import SipError
    from dialer.sip.pjsua_engine import PjsuaEngine

    engine = PjsuaEngine(profile, sip_port=sip_port, rtp_port=0, max_calls=1)
    try:
        engine.start()
        code, reason = engine.register(timeout)
    except SipError as exc:
        click.echo(f"registration failed: {exc}", err=True)
        sys.exit(EXIT_REGISTER_FAILED)
    finally:
        engine.shutdown()
    if 200 <= code < 300:
        console.print(f"registered: {code} {reason}")
    else:
        click.echo(f"registration failed: {code} {reason}", err=True)
        sys.exit(EXIT_REGISTER_FAILED)
