"""What every subcommand receives: the settings tree, loaded once on first use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click

from dialer.settings import Settings, SettingsError, load_settings


@dataclass
class AppContext:
    config_path: Path | None = None
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = load_settings(self.config_path)
            except SettingsError as exc:
                raise click.ClickException(str(exc)) from exc
        return self._settings


pass_app = click.make_pass_decorator(AppContext)


def write_figure(png: Path, write: Callable[[Path], object]) -> None:
    """A report figure written by `write`, with the folder checked first and failures as one-line errors."""
    from dialer.reports.plot import PlotUnavailable

    if not png.parent.is_dir():
        raise click.ClickException(f"the folder {png.parent} does not exist")
    try:
        write(png)
    except (PlotUnavailable, OSError) as exc:
        raise click.ClickException(f"cannot write {png}: {exc}") from exc
