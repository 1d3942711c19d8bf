"""Seeded inspection campaigns on a real SQLite file and on PostgreSQL, and the CLI pointed at them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.qa.seed import CALLS, seed
from tests.reports.conftest import Site

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url"))


@pytest.fixture(params=BACKENDS)
def qa_site(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Site, dict[str, int]]:
    """Every seeded call (clean ones and rule breakers); account ref -> attempt id."""
    url = _url(request)
    data_dir = tmp_path / "data"
    return Site(url, data_dir, {}), seed(url, data_dir, tmp_path)


@pytest.fixture(params=BACKENDS)
def small_site(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Site, dict[str, int]]:
    """Three calls: enough evidence on the chain to tamper with."""
    url = _url(request)
    data_dir = tmp_path / "data"
    return Site(url, data_dir, {}), seed(url, data_dir, tmp_path, CALLS[:3])
