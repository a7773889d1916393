"""Importing a practice from one JSON document (docs/import-format.md).

`validate` reads and checks everything without writing; `apply` writes a validated plan in one
transaction. The `import_practice` command and the demo data both go through these two.
"""

from coordinator.importing.fields import Problem
from coordinator.importing.source import UnreadableDocument, read_document
from coordinator.importing.validation import FORMAT, ImportPlan, validate
from coordinator.importing.writing import SYSTEM_ACTOR, ImportResult, apply

__all__ = [
    "FORMAT",
    "SYSTEM_ACTOR",
    "ImportPlan",
    "ImportResult",
    "Problem",
    "UnreadableDocument",
    "apply",
    "read_document",
    "validate",
]
