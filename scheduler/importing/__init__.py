"""Call-list import: CSV/XLSX in, validated debtors, accounts and numbers in the ledger, rejects reported.

from scheduler.importing import ImportOptions, import_file
result = import_file(ledger, Path("list.csv"), ImportOptions(campaign="june", region="US"))
"""

from scheduler.importing.errors import ImportFileError, ImportProblem, RowError
from scheduler.importing.importer import CallListFile, ImportOptions, ImportResult, import_file

__all__ = [
    "CallListFile",
    "ImportFileError",
    "ImportOptions",
    "ImportProblem",
    "ImportResult",
    "RowError",
    "import_file",
]
