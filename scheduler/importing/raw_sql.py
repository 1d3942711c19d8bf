"""Bulk statements in the driver's own terms, for the import hot path.

SQLAlchemy Core spends about ten microseconds per row and table turning parameters into driver values
(type decorators, JSON, Decimal); an import of 100,000 rows touches three tables. Here the values are
converted once, by hand, to what SQLAlchemy itself would have stored, and go to `executemany` as tuples:
SQLite gets naive-UTC timestamp text in SQLAlchemy's storage format, ISO dates, floats for money and 0/1;
PostgreSQL (psycopg) gets aware datetimes, dates, Decimals and booleans. Results are normalized back to
Python values with the `as_*` helpers so that comparisons do not depend on the backend.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

CENT = Decimal("0.01")
IN_BATCH = 900  # bound parameters per IN (...) list; SQLite allows 32766, PostgreSQL 65535


class RawSql:
    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.mark = "%s" if self.pg else "?"

    # ---- Python -> driver ------------------------------------------------------------------------------
    def ts(self, value: dt.datetime | None) -> Any:
        if value is None:
            return None
        utc = value.astimezone(dt.UTC)
        return utc if self.pg else utc.strftime("%Y-%m-%d %H:%M:%S.%f")

    def day(self, value: dt.date | None) -> Any:
        return value if self.pg or value is None else value.isoformat()

    def money(self, value: Decimal) -> Any:
        return value if self.pg else float(value)

    def flag(self, value: bool) -> Any:
        return value if self.pg else int(value)

    @staticmethod
    def json(value: Any) -> str:
        return json.dumps(value, separators=(",", ":"))

    # ---- statements ------------------------------------------------------------------------------------
    def _marks(self, columns: Sequence[str], json_columns: Iterable[str]) -> list[str]:
        cast = set(json_columns) if self.pg else set()
        return [self.mark + ("::json" if c in cast else "") for c in columns]

    def insert(
        self,
        table: str,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
        json_columns: Iterable[str] = (),
    ) -> None:
        if not rows:
            return
        if self.pg:  # COPY costs about half of executemany per row on PostgreSQL
            cursor = self.conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            finally:
                cursor.close()
            return
        marks = ", ".join(self._marks(columns, json_columns))
        self.conn.exec_driver_sql(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)

    def update(
        self,
        table: str,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
        json_columns: Iterable[str] = (),
    ) -> None:
        """Each row is the new values of `columns` followed by the id."""
        if rows:
            sets = ", ".join(
                f"{c} = {m}" for c, m in zip(columns, self._marks(columns, json_columns), strict=True)
            )
            self.conn.exec_driver_sql(f"UPDATE {table} SET {sets} WHERE id = {self.mark}", rows)

    def select_in(self, select: str, key: str, values: Iterable[Any]) -> list[Any]:
        """`select` ("SELECT a, b FROM t") restricted to `key IN values`, in batches."""
        values = list(values)
        out: list[Any] = []
        for start in range(0, len(values), IN_BATCH):
            part = values[start : start + IN_BATCH]
            if self.pg:  # one array parameter: no 900-placeholder statement to build and parse
                out.extend(self.conn.exec_driver_sql(f"{select} WHERE {key} = ANY(%s)", (part,)).all())
            else:
                marks = ", ".join([self.mark] * len(part))
                out.extend(self.conn.exec_driver_sql(f"{select} WHERE {key} IN ({marks})", tuple(part)).all())
        return out


# ---- driver -> Python (for comparisons) ------------------------------------------------------------------
def as_day(value: Any) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def as_ts(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def as_money(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(CENT)


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
