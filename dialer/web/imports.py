"""Console imports hold the database's write lock only while they write.

`import_file` validates rows inside the generator it hands to `Ledger.import_batch`, which consumes it
within one transaction: on SQLite the write lock is then held for the validation too (phone parsing is
half of an import's time), and a concurrent sign-in waited past the busy timeout ("database is locked").
`SpooledLedger` validates first, spooling the chunks to a temporary file (memory stays one chunk), and
only then opens the transaction and replays them; one import stays one transaction, all or nothing.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO, Any, cast

from scheduler.ledger import ImportChunk, ImportCounts, ImportHeader
from scheduler.sql_ledger import SqlLedger


class SpooledLedger:
    """A ledger whose `import_batch` validates every chunk before the write transaction begins."""

    def __init__(self, ledger: SqlLedger) -> None:
        self._ledger = ledger

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ledger, name)

    def import_batch(self, header: ImportHeader, chunks: Iterable[ImportChunk]) -> ImportCounts:
        with tempfile.TemporaryFile(prefix="dialer-import-") as spool:
            count = 0
            for chunk in chunks:
                pickle.dump(chunk, spool, protocol=pickle.HIGHEST_PROTOCOL)
                count += 1
            spool.seek(0)
            return self._ledger.import_batch(header, _replay(spool, count))

    @classmethod
    def wrap(cls, ledger: SqlLedger) -> SqlLedger:
        return cast(SqlLedger, cls(ledger))


def _replay(spool: IO[bytes], count: int) -> Iterator[ImportChunk]:
    for _ in range(count):
        yield pickle.load(spool)  # our own file, written just above: not untrusted input
