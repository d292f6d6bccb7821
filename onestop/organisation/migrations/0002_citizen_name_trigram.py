"""The queue's search by applicant name (``full_name__icontains``: ``UPPER(full_name) LIKE '%X%'``).

A trigram index on that expression gives PostgreSQL a fast path for rare names and, as important, statistics
of the expression: without them it guessed 5 matching citizens for "Nguyễn" (4 in 10 are) and walked all
their dossiers across the city (10 s with 1,000,000 dossiers, bench/README.md). PostgreSQL only; pg_trgm is a
trusted extension (the database owner may create it)."""
from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS citizen_name_trgm ON organisation_citizen USING gin (UPPER(full_name) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS citizen_name_trgm"]


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)
    return operation


class Migration(migrations.Migration):
    dependencies = [("organisation", "0001_initial")]

    operations = [migrations.RunPython(run(CREATE), run(DROP), elidable=False)]
