"""The queue's search by dossier code (``code__istartswith``: ``UPPER(code) LIKE 'X%'``) reads an index instead
of every dossier of the queue. PostgreSQL only: a pattern operator class (SQLite has no use for it)."""
from django.db import migrations

CREATE = "CREATE INDEX IF NOT EXISTS dossier_code_upper ON dossiers_dossier (UPPER(code) text_pattern_ops)"
DROP = "DROP INDEX IF EXISTS dossier_code_upper"


def run(sql):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)
    return operation


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0007_reports_indexes")]

    operations = [migrations.RunPython(run(CREATE), run(DROP), elidable=False)]
