"""Trigram indexes for search-as-you-type on PostgreSQL (SQLite, for development, scans).

Search filters use UPPER(column) LIKE 'TERM%' (Django's istartswith), which a GIN trigram
index on the same expression serves; benchmarks/patients.py measures the difference.
"""

from django.db import migrations

COLUMNS = ("last_name", "first_name", "preferred_name", "email")
CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *(
        f"CREATE INDEX IF NOT EXISTS patient_{column}_trgm ON patients_patient "
        f"USING gin (upper({column}) gin_trgm_ops)"
        for column in COLUMNS
    ),
    "CREATE INDEX IF NOT EXISTS patient_phone_trgm ON patients_patient "
    "USING gin (phone gin_trgm_ops)",
]
DROP = [f"DROP INDEX IF EXISTS patient_{column}_trgm" for column in (*COLUMNS, "phone")]


def _on_postgres(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]
    operations = [migrations.RunPython(_on_postgres(CREATE), _on_postgres(DROP))]
