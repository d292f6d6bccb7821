"""What an expand-only release migration looks like: a new table, and a nullable column on the busiest
table, added while the previous release keeps serving (deploy/README.md, "Upgrade")."""
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("dossiers", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="ReleaseNote",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)),
                ("text", models.CharField(max_length=200)),
            ],
        ),
        migrations.RunSQL(
            "ALTER TABLE dossiers_dossier ADD COLUMN topology_release_note varchar(200) NULL",
            reverse_sql="ALTER TABLE dossiers_dossier DROP COLUMN topology_release_note",
        ),
    ]
