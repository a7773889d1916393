"""Writes to the procedure catalog. Each is atomic and leaves an audit event (field names only).

Codes are never deleted (plans refer to them): they are deactivated. A new fee applies to
procedures added from then on; procedures already on plans keep the fee they were given.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from coordinator.audit import audit_record
from coordinator.models import Practice
from plans.catalog import category_for_code
from plans.catalog_import import RawRow, RowStatus, compare_rows, results_digest
from plans.catalog_selectors import catalog_entries
from plans.models import ProcedureCode
from plans.teeth import site_for_code

EDITABLE_FIELDS = ("description", "fee", "minutes", "category", "site", "is_active")


class ImportRefused(Exception):
    """The import cannot be applied as it stands; the message says what to do."""


@dataclass(frozen=True)
class ImportCounts:
    created: int
    changed: int
    unchanged: int


def _already_there(code: str) -> ValidationError:
    return ValidationError({"code": f"{code} is already in the catalog."})


def catalog_code_create(
    *,
    practice: Practice,
    request: HttpRequest,
    code: str,
    description: str,
    fee: Decimal,
    minutes: int,
    category: str = "",
    site: str = "",
) -> ProcedureCode:
    """Add a code; category and site default from the code's range when not given."""
    procedure_code = ProcedureCode(
        practice=practice,
        code=code,
        description=description.strip(),
        fee=fee,
        minutes=minutes,
        category=category or category_for_code(code),
        site=site or site_for_code(code),
    )
    try:
        with transaction.atomic():
            if ProcedureCode.objects.filter(practice=practice, code=code).exists():
                raise _already_there(code)
            procedure_code.full_clean()
            procedure_code.save()
            audit_record(
                action="catalog.code_created",
                request=request,
                practice=practice,
                obj=procedure_code,
                detail={"fields": ["code", *sorted(EDITABLE_FIELDS)]},
            )
    except IntegrityError:
        # Someone added the same code a moment ago.
        raise _already_there(code) from None
    return procedure_code


@transaction.atomic
def catalog_code_update(*, code: ProcedureCode, request: HttpRequest, data: dict) -> list[str]:
    """Copy the given editable values onto the code; return the names of fields that changed."""
    changed = []
    for field in EDITABLE_FIELDS:
        if field in data and getattr(code, field) != data[field]:
            setattr(code, field, data[field])
            changed.append(field)
    if changed:
        code.full_clean()
        code.save(update_fields=changed)
        audit_record(
            action="catalog.code_updated",
            request=request,
            practice=code.practice,
            obj=code,
            detail={"fields": sorted(changed)},
        )
    return changed


def catalog_import_apply(
    *,
    practice: Practice,
    request: HttpRequest,
    rows: Sequence[RawRow],
    expected_digest: str | None = None,
) -> ImportCounts:
    """Check the rows again against the catalog as it is now, then apply all of them or none.

    `expected_digest` is the fingerprint of the preview the manager confirmed: when the catalog
    changed since, the import is refused so that they confirm what will really happen.
    """
    try:
        with transaction.atomic():
            return _apply(practice, request, rows, expected_digest)
    except IntegrityError:
        raise ImportRefused(
            "Someone changed the catalog while you were importing. Review the preview again."
        ) from None


def _apply(practice, request, rows, expected_digest) -> ImportCounts:
    results = compare_rows(rows, catalog_entries(practice=practice, for_update=True))
    if any(result.status == RowStatus.ERROR for result in results):
        raise ImportRefused("The file has errors: fix them in the file and upload it again.")
    if expected_digest is not None and results_digest(results) != expected_digest:
        raise ImportRefused(
            "The catalog changed since this preview was made. Review the preview again."
        )
    new = [result for result in results if result.status == RowStatus.NEW]
    changed = {result.code: result for result in results if result.status == RowStatus.CHANGED}
    created = [
        ProcedureCode(
            practice=practice,
            code=result.code,
            description=result.description,
            fee=result.fee,
            category=result.category,
            minutes=result.minutes,
            site=site_for_code(result.code),
        )
        for result in new
    ]
    updated = list(ProcedureCode.objects.filter(practice=practice, code__in=changed))
    fields: set[str] = set()
    for procedure_code in updated:
        result = changed[procedure_code.code]
        for change in result.changes:
            setattr(procedure_code, change.field, change.new)
        fields |= result.changed_fields
    # The rows were checked by compare_rows; clean_fields repeats the model's own rules cheaply.
    for procedure_code in (*created, *updated):
        procedure_code.clean_fields()
    ProcedureCode.objects.bulk_create(created, batch_size=500)
    if updated:
        ProcedureCode.objects.bulk_update(updated, sorted(fields), batch_size=500)
    counts = ImportCounts(
        created=len(created), changed=len(updated), unchanged=len(results) - len(new) - len(updated)
    )
    audit_record(
        action="catalog.imported",
        request=request,
        practice=practice,
        detail={
            "created": counts.created,
            "changed": counts.changed,
            "unchanged": counts.unchanged,
            "fields": sorted(fields),
        },
    )
    return counts
