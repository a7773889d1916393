"""Codes already in catalogs get the site their code range implies."""

from django.db import migrations

from plans.teeth import site_for_code


def backfill(apps, schema_editor):
    ProcedureCode = apps.get_model("plans", "ProcedureCode")
    for entry in ProcedureCode._base_manager.all():
        site = site_for_code(entry.code)
        if entry.site != site:
            entry.site = site
            entry.save(update_fields=["site"])


class Migration(migrations.Migration):
    dependencies = [("plans", "0002_treatment_plans")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
