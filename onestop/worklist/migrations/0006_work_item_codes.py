"""Work items carry their dossier's code and procedure code (set when opened; neither ever changes), so a
queue filters and sorts on them through its own indexes instead of joining its history to the dossiers."""
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def backfill(apps, schema_editor):
    WorkItem = apps.get_model("worklist", "WorkItem")
    Dossier = apps.get_model("dossiers", "Dossier")
    dossier = Dossier.objects.filter(pk=OuterRef("dossier_id"))
    WorkItem.objects.update(dossier_code=Subquery(dossier.values("code")[:1]),
                            procedure_code=Subquery(dossier.values("procedure__code")[:1]))


class Migration(migrations.Migration):

    dependencies = [
        ('dossiers', '0008_code_search_index'),
        ('procedures', '0002_procedureversion_filename_procedureversion_report_and_more'),
        ('organisation', '0002_citizen_name_trigram'),
        ('worklist', '0005_queue_indexes'),
    ]

    operations = [
        migrations.AddField(
            model_name='workitem',
            name='dossier_code',
            field=models.CharField(blank=True, editable=False, max_length=60),
        ),
        migrations.AddField(
            model_name='workitem',
            name='procedure_code',
            field=models.CharField(blank=True, editable=False, max_length=30),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='workitem',
            index=models.Index(fields=['agency', 'role', 'dossier_code', 'id'], name='workitem_queue_code'),
        ),
        migrations.AddIndex(
            model_name='workitem',
            index=models.Index(fields=['agency', 'role', 'procedure_code', 'due_date', 'id'],
                               name='workitem_queue_procedure'),
        ),
    ]
