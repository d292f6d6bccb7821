"""The queue finds a dossier by any fragment of its code ("0004", "261206-0004"): ``code__icontains`` is
``UPPER(code) LIKE '%...%'``, which a trigram index answers on PostgreSQL. It replaces the prefix-only index."""
from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "DROP INDEX IF EXISTS dossier_code_upper",
    "CREATE INDEX IF NOT EXISTS dossier_code_trgm ON dossiers_dossier USING gin (UPPER(code) gin_trgm_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS dossier_code_trgm",
    "CREATE INDEX IF NOT EXISTS dossier_code_upper ON dossiers_dossier (UPPER(code) text_pattern_ops)",
]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)
    return operation


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0010_original_appointment_date")]

    operations = [migrations.RunPython(run(CREATE), run(DROP), elidable=False)]
