"""`dialer web` (serve the console and the HTTP API) and `dialer user add NAME --role ROLE`.

Passwords come from standard input (`--password-stdin`) or an interactive prompt, never from argv,
where other users of the host could read them in the process list.
"""

from __future__ import annotations

import sys

import click

from dialer.cli.context import AppContext, pass_app


@click.command("web")
@click.option("--host", help="address to bind (default: [web] host, 127.0.0.1)")
@click.option("--port", type=int, help="port (default: [web] port, 8080)")
@click.option("--insecure-cookies", is_flag=True, help="cookies without Secure, for plain-http localhost")
@pass_app
def web(app: AppContext, host: str | None, port: int | None, insecure_cookies: bool) -> None:
    """Serve the operator web console and the HTTP API."""
    try:
        import uvicorn

        from dialer.web import create_app
    except ImportError as exc:
        raise click.ClickException(
            f"the console needs the web extra: pip install 'reminder-dialer[web]' ({exc})"
        ) from exc
    settings = app.settings
    try:
        application = create_app(settings, cookie_secure=False) if insecure_cookies else create_app(settings)
    except Exception as exc:  # a schema not current, an unreadable key file: say it, no traceback
        raise click.ClickException(str(exc)) from exc
    bind_host = host or settings.web.host
    bind_port = port or settings.web.port
    click.echo(f"console on http://{bind_host}:{bind_port}/  (API document: /api/openapi.json)", err=True)
    uvicorn.run(application, host=bind_host, port=bind_port, log_level="warning", proxy_headers=False)


@click.group("user")
def user() -> None:
    """Console users."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "supervisor", "operator", "viewer"]),
    help="permissions",
)
@click.option("--password-stdin", is_flag=True, help="read the password from standard input (one line)")
@pass_app
def add(app: AppContext, name: str, role: str, password_stdin: bool) -> None:
    """Create a console user (the password is asked for, or read from stdin)."""
    from dialer.web.security import WeakPassword, hash_password
    from scheduler.ledger import AuditRecord, LedgerError
    from scheduler.operators import OperatorStore
    from scheduler.sql_ledger import SqlLedger

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        hashed = hash_password(password)
    except WeakPassword as exc:
        raise click.ClickException(str(exc)) from exc
    settings = app.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    try:
        ledger = SqlLedger.open(settings.database_url)
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        created = OperatorStore(ledger.engine).create_user(name, role, hashed)
        ledger.append_audit(
            AuditRecord(actor="cli", action="user.add", subject=f"user:{name}", detail={"role": role})
        )
    except LedgerError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        ledger.close()
    click.echo(f"user {created.name} ({created.role}) created")
