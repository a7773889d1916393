"""Import a practice's staff, catalog and patients from a JSON document (docs/import-format.md)."""

import sys

from django.core.management.base import BaseCommand
from django.db import DatabaseError, transaction

from coordinator import importing

# Exit status when the document is rejected (nothing was written).
REJECTED = 2


class Command(BaseCommand):
    help = (
        "Import a practice from a coordinator-practice/1 JSON document, all or nothing. "
        "Importing the same file again changes nothing."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE", help="the JSON document, or - for stdin")
        parser.add_argument(
            "--dry-run", action="store_true", help="check the document and write nothing"
        )

    def handle(self, *, file: str, dry_run: bool, **options) -> None:
        try:
            document = importing.read_document(file, options.get("stdin") or sys.stdin)
            with transaction.atomic():
                plan, problems = importing.validate(document)
                if problems:
                    self._reject(*problems)
                if not dry_run:
                    result = importing.apply(plan)
        except importing.UnreadableDocument as error:
            self._reject(error)
        except DatabaseError as error:
            # Another import of the same practice at the same moment, say: nothing was kept.
            self._reject(f"{file}: the database refused the import, nothing was written ({error})")
        if dry_run:
            self.stdout.write(f"dry run, nothing written: would import {plan.summary()}")
            return
        self.stdout.write(f"imported {plan.summary()}")
        if options["verbosity"] >= 2:
            self.stdout.write(
                f"created {_counts(result.created)}; updated {_counts(result.updated)}"
            )

    def _reject(self, *problems) -> None:
        for problem in problems:
            self.stderr.write(str(problem))
        raise SystemExit(REJECTED)


def _counts(counter) -> str:
    return ", ".join(f"{n} {key.replace('_', ' ')}" for key, n in counter.items() if n) or "nothing"
