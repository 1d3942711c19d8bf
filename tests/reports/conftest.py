"""A seeded campaign on a real SQLite file and on PostgreSQL, and the CLI pointed at it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dialer.cli.main import cli
from tests.reports.seed import ZONE, new_campaign, seed

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@dataclass(frozen=True)
class Site:
    url: str
    data_dir: Path
    recordings: dict[str, Path]  # ledger path -> file

    @property
    def env(self) -> dict[str, str]:
        return {
            "DIALER_DATABASE__URL": self.url,
            "DIALER_DATA_DIR": str(self.data_dir),
            "DIALER_OPERATOR_TIMEZONE": ZONE,
            "DIALER_CONFIG": "",
        }

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(cli, list(args), env=self.env, catch_exceptions=False)


def _url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))


@pytest.fixture(params=BACKENDS)
def seeded(request: pytest.FixtureRequest, tmp_path: Path) -> Site:
    url = _url(request)
    data_dir = tmp_path / "data"
    return Site(url, data_dir, seed(url, data_dir, tmp_path))


@pytest.fixture
def seeded_sqlite(sqlite_url: str, tmp_path: Path) -> Site:
    data_dir = tmp_path / "data"
    return Site(sqlite_url, data_dir, seed(sqlite_url, data_dir, tmp_path))


@pytest.fixture(params=BACKENDS)
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Site:
    """A campaign with no accounts and no attempts."""
    url = _url(request)
    new_campaign(url, "empty")
    return Site(url, tmp_path / "data", {})
