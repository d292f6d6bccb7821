"""Three human tasks in one lane, after a start by a person: the shape of a step-by-step one-stop dossier.

Each task is assigned (claimed) and executed by an official holding its permission; a process is locked
with ``SELECT ... FOR UPDATE`` while a task of it moves, as onestop locks a dossier's row.
"""
from viewflow import this
from viewflow.workflow import flow, lock
from viewflow.workflow.flow.views import CreateProcessView, UpdateProcessView

from .models import Registration


class RegistrationFlow(flow.Flow):
    process_class = Registration
    lock_impl = lock.select_for_update_lock

    start = flow.Start(CreateProcessView.as_view(fields=["applicant"])).Permission(auto_create=True).Next(this.review)
    review = flow.View(UpdateProcessView.as_view(fields=["reviewed"])).Permission(auto_create=True).Next(this.approve)
    approve = flow.View(UpdateProcessView.as_view(fields=["approved"])).Permission(auto_create=True).Next(this.sign)
    sign = flow.View(UpdateProcessView.as_view(fields=["signed"])).Permission(auto_create=True).Next(this.end)
    end = flow.End()
