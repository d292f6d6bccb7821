from viewflow import jsonstore
from viewflow.workflow.models import Process


class Registration(Process):
    """What the citizen submits and each official decides, kept in the process's JSON data (no join)."""

    applicant = jsonstore.CharField(max_length=150)
    reviewed = jsonstore.BooleanField(default=False)
    approved = jsonstore.BooleanField(default=False)
    signed = jsonstore.BooleanField(default=False)

    class Meta:
        proxy = True
