"""On PostgreSQL the database itself refuses to change or delete audit events."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION coordinator_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER coordinator_auditevent_append_only
    BEFORE UPDATE OR DELETE ON coordinator_auditevent
    FOR EACH ROW EXECUTE FUNCTION coordinator_audit_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS coordinator_auditevent_append_only ON coordinator_auditevent;
DROP FUNCTION IF EXISTS coordinator_audit_append_only();
"""


def _on_postgres(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("coordinator", "0001_initial")]
    operations = [migrations.RunPython(_on_postgres(CREATE), _on_postgres(DROP))]
