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
@click.option(
    "--public", is_flag=True, help="allow an address other hosts can reach (needs TLS or a trusted proxy)"
)
@click.option("--insecure-cookies", is_flag=True, help="cookies without Secure, for plain-http localhost")
@pass_app
def web(app: AppContext, host: str | None, port: int | None, public: bool, insecure_cookies: bool) -> None:
    """Serve the operator web console and the HTTP API."""
    try:
        import uvicorn

        from dialer.web import create_app
        from dialer.web.binding import BindRefused, plan_bind
    except ImportError as exc:
        raise click.ClickException(
            f"the console needs the web extra: pip install 'reminder-dialer[web]' ({exc})"
        ) from exc
    settings = app.settings
    try:
        plan = plan_bind(settings, host, port, public, insecure_cookies)
    except BindRefused as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        application = create_app(settings, cookie_secure=plan.secure)
    except Exception as exc:  # a schema not current, an unreadable key file: say it, no traceback
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"console on {plan.scheme}://{plan.host}:{plan.port}/  (API document: /api/openapi.json)", err=True
    )
    configure_access_log()
    uvicorn.run(
        application,
        host=plan.host,
        port=plan.port,
        log_level="warning",
        access_log=False,  # dialer.web.access writes one line per request, without personal data
        proxy_headers=bool(plan.trusted_proxy),
        forwarded_allow_ips=plan.trusted_proxy or None,
        ssl_certfile=str(plan.certfile) if plan.certfile else None,
        ssl_keyfile=str(plan.keyfile) if plan.keyfile else None,
    )


def configure_access_log() -> None:
    """The console's access log on standard error (uvicorn's own would print query strings)."""
    import logging

    from dialer.logs import MaskingFilter

    log = logging.getLogger("dialer.web.access")
    if not log.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s access %(message)s"))
        handler.addFilter(MaskingFilter())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False


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
    from dialer.web.security import USER_NAME_RULE, WeakPassword, hash_password, valid_user_name
    from scheduler.ledger import AuditRecord, LedgerError
    from scheduler.operators import OperatorStore
    from scheduler.sql_ledger import SqlLedger

    if not valid_user_name(name):  # the console's sign-in and user forms accept only these
        raise click.ClickException(f"user name {name!r}: {USER_NAME_RULE}")
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    try:
        hashed = hash_password(password, name)
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
