"""Reads of the procedure catalog, always within one practice."""

import re

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404

from coordinator.models import Practice
from plans.catalog_import import CatalogEntry
from plans.models import ProcedureCode

# "D27", "d2740" or just "2740": the start of a code.
_CODE_START = re.compile(r"^[dD]?(\d{1,4})$")


def catalog_search_filter(query: str) -> Q:
    """A code (or its start), or words that all appear in the code or the description."""
    text = query.replace("\x00", "").strip()
    if not text:
        return Q()
    if match := _CODE_START.match(text):
        return Q(code__startswith=f"D{match[1]}")
    condition = Q()
    for word in text.split():
        condition &= Q(description__icontains=word) | Q(code__iexact=word)
    return condition


def catalog_list(
    *, practice: Practice, query: str = "", category: str = "", include_inactive: bool = False
) -> QuerySet[ProcedureCode]:
    codes = ProcedureCode.objects.filter(practice=practice).filter(catalog_search_filter(query))
    if category:
        codes = codes.filter(category=category)
    if not include_inactive:
        codes = codes.filter(is_active=True)
    return codes.order_by("code")


def catalog_code_get(*, practice: Practice, code_id) -> ProcedureCode:
    """The practice's catalog line; 404 for anything else."""
    return get_object_or_404(ProcedureCode, practice=practice, pk=code_id)


def catalog_entries(*, practice: Practice, for_update: bool = False) -> dict[str, CatalogEntry]:
    """The whole catalog by code, as the import compares it (one query)."""
    codes = ProcedureCode.objects.filter(practice=practice)
    if for_update:
        codes = codes.select_for_update()
    return {
        code: CatalogEntry(
            description=description,
            fee=fee,
            category=category,
            minutes=minutes,
            is_active=is_active,
        )
        for code, description, fee, category, minutes, is_active in codes.values_list(
            "code", "description", "fee", "category", "minutes", "is_active"
        )
    }
