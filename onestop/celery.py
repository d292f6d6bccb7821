"""The Celery application. Tasks live in each app's ``tasks.py`` and only call services."""
import os

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "onestop.settings")

app = Celery("onestop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Celery's Django fix-up closes the database connection around every task, so a worker opens a new
# PostgreSQL session per exchange (measured: about a third of an exchange's cost). When persistent
# connections are configured (DB_CONN_MAX_AGE > 0), keep them the way web requests do: reuse, and let
# Django's own check close those that are too old or broken.
if int(os.environ.get("DB_CONN_MAX_AGE", "0")) > 0:
    app.conf.CELERY_DB_REUSE_MAX = 10_000

    @task_prerun.connect
    @task_postrun.connect
    def _close_old_connections(**kwargs):
        from django.db import close_old_connections

        close_old_connections()
