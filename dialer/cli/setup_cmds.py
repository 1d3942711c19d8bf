"""`dialer init` (a commented dialer.toml, the site's scripts and SIP profiles, the database) and `dialer db
upgrade|current`.

The dialer.toml that init writes is generated from the settings models themselves: every section, every
key, its default and its Field description as a comment, so the file can never drift from the code.
Defaults are written commented out (uncomment to change); only `data_dir` is set.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
import tomli_w
from pydantic import BaseModel

from dialer.cli.context import AppContext, pass_app
from dialer.settings import DEFAULT_CONFIG_NAME, Settings, SettingsError, load_settings


def _toml_value(value: Any) -> str:
    if isinstance(value, Path):
        value = str(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table, so the commented default stays on one line
        items = (f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items())
        return "{ " + ", ".join(items) + " }" if value else "{}"
    return tomli_w.dumps({"v": value}).strip()[len("v = ") :]


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_value(key)


def _doc(model: type[BaseModel]) -> str:
    doc = (model.__doc__ or "").strip().splitlines()
    return doc[0] if doc else ""


def render_config(model: BaseModel | None = None, prefix: str = "") -> str:
    """A commented TOML document for `model` (the built-in defaults when None)."""
    model = model if model is not None else Settings()
    lines: list[str] = []
    tables: list[tuple[str, BaseModel]] = []
    for name, field in type(model).model_fields.items():
        if field.exclude:
            continue
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            tables.append((f"{prefix}{name}", value))
            continue
        if field.description:
            lines.append(f"# {field.description}")
        if value is None:
            lines.append(f"# {name} =  (unset)")
        elif not prefix and name == "data_dir":
            lines.append(f"{name} = {_toml_value('data')}")
        elif f"{prefix}{name}" in SITE_PATHS:  # the site's own copies, relative to this file
            lines.append(f"{name} = {_toml_value(SITE_PATHS[prefix + name])}")
        else:
            lines.append(f"# {name} = {_toml_value(value)}")
    for table, value in tables:
        lines.append("")
        doc = _doc(type(value))
        if doc:
            lines.append(f"# {doc}")
        lines.append(f"[{table}]")
        lines.append(render_config(value, f"{table}.").rstrip("\n"))
    return "\n".join(line for line in lines if line is not None) + "\n"


# Paths `dialer init` sets to the site's own copies (relative paths resolve against dialer.toml's folder).
SITE_PATHS = {"sip.profile": "sip/loopback.yaml", "dialogue.scripts_dir": "scripts"}
PACKAGE_ROOT = Path(__file__).resolve().parents[2]


def _copy_site_files(directory: Path) -> list[str]:
    """The call scripts and the example SIP profiles, copied into the site (kept when already there), so
    the site runs from any directory and the operator edits its own copies."""
    import shutil

    import sip_config

    copied = []
    scripts = PACKAGE_ROOT / "scripts"
    if scripts.is_dir():
        for project in sorted(p for p in scripts.iterdir() if (p / "domain.yml").is_file()):
            target = directory / "scripts" / project.name
            if not target.exists():
                shutil.copytree(project, target)
                copied.append(f"scripts/{project.name}")
    examples = Path(sip_config.__file__).resolve().parent / "examples"
    for profile in sorted(examples.glob("*.yaml")):
        target = directory / "sip" / profile.name
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(profile, target)
            copied.append(f"sip/{profile.name}")
    return copied


HEADER = """\
# reminder-dialer configuration. Values shown commented out are the built-in defaults.
# Environment variables override this file: DIALER_<SECTION>__<KEY>, e.g. DIALER_DATABASE__URL.
# Secrets (SIP passwords, database passwords) belong in the environment or a secrets file, not here.

"""


@click.command("init")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="overwrite an existing dialer.toml")
def init_cmd(directory: Path, force: bool) -> None:
    """Write a commented DIRECTORY/dialer.toml and create the database."""
    from scheduler import migrations

    directory.mkdir(parents=True, exist_ok=True)
    config = directory / DEFAULT_CONFIG_NAME
    if config.exists() and not force:
        raise click.ClickException(f"{config} exists: pass --force to overwrite it")
    copied = _copy_site_files(directory)
    if not (directory / "scripts").is_dir():
        raise click.ClickException(
            f"no call scripts found next to the package ({PACKAGE_ROOT / 'scripts'}): copy a script "
            f"project into {directory / 'scripts'}"
        )
    config.write_text(HEADER + render_config(), encoding="utf-8")
    try:
        settings = load_settings(config)
    except SettingsError as exc:  # the environment may hold a bad DIALER_* value
        raise click.ClickException(str(exc)) from exc
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    migrations.upgrade(settings.database_url)
    click.echo(f"wrote {config}")
    if copied:
        click.echo(f"copied into the site: {', '.join(copied)}")
    click.echo(
        f"database ready: {_safe_url(settings.database_url)} (revision {', '.join(migrations.heads())})"
    )


def _safe_url(url: str) -> str:
    from scheduler.read_models import display_url

    return display_url(url)


@click.group("db")
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@pass_app
def db_upgrade(app: AppContext, revision: str) -> None:
    """Create the tables or bring the database to the newest schema."""
    from scheduler import migrations

    settings = app.settings
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    before = migrations.current(settings.database_url)
    try:
        migrations.upgrade(settings.database_url, revision)
    except Exception as exc:
        raise click.ClickException(f"upgrade failed: {exc.__class__.__name__}: {exc}") from exc
    after = migrations.current(settings.database_url)
    click.echo(f"{_safe_url(settings.database_url)}: {', '.join(before) or 'empty'} -> {', '.join(after)}")


@db.command("current")
@pass_app
def db_current(app: AppContext) -> None:
    """Show the schema revision; exit code 1 when it is not the newest."""
    from scheduler import migrations

    url = app.settings.database_url
    try:
        current = migrations.current(url)
    except Exception as exc:
        raise click.ClickException(f"cannot read {_safe_url(url)}: {exc.__class__.__name__}") from exc
    heads = migrations.heads()
    state = "(head)" if set(current) == set(heads) else f"(not current: head is {', '.join(heads)})"
    click.echo(f"{_safe_url(url)}: {', '.join(current) or 'no schema'} {state}")
    if set(current) != set(heads):
        raise SystemExit(1)
