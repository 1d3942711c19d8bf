"""Import failures.

ImportProblem (base, never raised itself)
 ├── ImportFileError      the file as a whole cannot be used: unreadable, empty, no header,
 │                        missing required columns. Nothing is imported. Exit code 2 in the CLI.
 └── RowError             one row is invalid; the importer records it as a reject and goes on.
"""

from __future__ import annotations


class ImportProblem(Exception):
    """Base class of import failures."""


class ImportFileError(ImportProblem):
    """The file cannot be imported at all; the message is one line and names the file."""


class RowError(ImportProblem):
    """One row cannot be imported; the message is the reason written to the rejects."""
