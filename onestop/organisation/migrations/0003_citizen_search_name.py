"""Searches by applicant name ignore diacritics and case: ``Citizen.search_name`` holds the folded name
("nguyen van anh" for "Nguyễn Văn Ánh"), matched with ``LIKE '%...%'`` through a trigram index on PostgreSQL;
it replaces the index on ``UPPER(full_name)``, which only matched the marks as typed."""
from django.db import migrations, models

from onestop.core.text import fold

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "DROP INDEX IF EXISTS citizen_name_trgm",
    "CREATE INDEX IF NOT EXISTS citizen_search_name_trgm ON organisation_citizen USING gin (search_name gin_trgm_ops)",
]
DROP = [
    "DROP INDEX IF EXISTS citizen_search_name_trgm",
    "CREATE INDEX IF NOT EXISTS citizen_name_trgm ON organisation_citizen USING gin (UPPER(full_name) gin_trgm_ops)",
]


def fill(apps, schema_editor):
    Citizen = apps.get_model("organisation", "Citizen")
    batch = []
    for citizen in Citizen.objects.only("pk", "full_name").iterator(chunk_size=5000):
        citizen.search_name = fold(citizen.full_name)
        batch.append(citizen)
        if len(batch) == 5000:
            Citizen.objects.bulk_update(batch, ["search_name"])
            batch = []
    Citizen.objects.bulk_update(batch, ["search_name"])


def run(statements):
    def operation(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)
    return operation


class Migration(migrations.Migration):
    dependencies = [("organisation", "0002_citizen_name_trigram")]

    operations = [
        migrations.AddField(model_name="citizen", name="search_name",
                            field=models.CharField(blank=True, editable=False, max_length=200)),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(run(CREATE), run(DROP), elidable=False),
    ]
