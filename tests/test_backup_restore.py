"""Backup and restore, once end to end (deploy/README.md "Back up and restore").

With dossiers in progress (one waiting at the specialist's review, one with a file), the test database is
dumped with pg_dump, restored with pg_restore into a new database, the attachments folder is copied, and a
separate process pointed at the copy (DATABASE_URL, ONESTOP_ATTACHMENTS_ROOT) runs the documented steps
(migrate, requeue_exchanges) and carries on: the waiting dossier is reviewed and signed, the file downloads.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction

from tests.conftest import BIRTH_FORM, ROOT, Actor, load_demo, submit

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql" or not (shutil.which("pg_dump") and shutil.which("pg_restore")),
    reason="backups are PostgreSQL's pg_dump and pg_restore: run with DATABASE_URL (make test)",
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

AFTER_RESTORE = """
import hashlib, json, os, django
django.setup()
from django.core.management import call_command
from django.test import Client
from onestop.dossiers.models import Dossier
from tests.conftest import Actor

codes = json.loads(os.environ["RESTORE_CODES"])
call_command("migrate", verbosity=0)                        # a newer release migrates the copy forward
call_command("requeue_exchanges", older_than=0, stdout=open(os.devnull, "w"))  # no message in the new broker
seen = {name: Dossier.objects.get(code=code).status for name, code in codes.items()}
Actor("bennghe.specialist").act(codes["waiting"], "approve", {"review_notes": "Hồ sơ đầy đủ"})
Actor("bennghe.leader").act(codes["waiting"], "sign")
after = Actor("citizen1").dossier(codes["waiting"])
client = Client()
client.force_login(Actor("citizen1").user)
response = client.get(f"/dossiers/files/{os.environ['RESTORE_KEY']}/")
print(json.dumps({"before": seen, "status": after["status"], "steps": [s["kind"] for s in after["open_steps"]],
                  "file_status": response.status_code,
                  "file": hashlib.sha256(b"".join(response.streaming_content)).hexdigest()}))
"""


def database_url(name):
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def run(*command, env=None, timeout=300):
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{command[0]} failed: {done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture
def restored_database():
    name = f"{connection.settings_dict['NAME']}_restored"
    admin_url = database_url("postgres")
    run("psql", admin_url, "-c", f'DROP DATABASE IF EXISTS "{name}"')
    run("psql", admin_url, "-c", f'CREATE DATABASE "{name}"')
    yield name
    run("psql", admin_url, "-c", f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_restored_copy_keeps_its_dossiers_and_they_carry_on(transactional_db, peers, settings, tmp_path,
                                                                restored_database):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    load_demo(peers)
    citizen, desk = Actor("citizen1"), Actor("bennghe.receiver")
    waiting = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    desk.act(waiting, "accept")  # now at the specialist's review
    with_file = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    from onestop.dossiers import lifecycle as services
    from onestop.dossiers.attachments import add_attachment
    from onestop.dossiers.models import Dossier

    with transaction.atomic():
        dossier = services.lock_dossier(Dossier.objects.get(code=with_file).pk)
        key = add_attachment(dossier, SimpleUploadedFile("giay-chung-sinh.pdf", PDF),
                             user=get_user_model().objects.get(username="citizen1")).key

    # Back up: the database first, then the files (as deploy/README.md says).
    dump = tmp_path / "onestop.dump"
    run("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", database_url(connection.settings_dict["NAME"]))
    copy = tmp_path / "restored-attachments"
    shutil.copytree(settings.ATTACHMENTS_ROOT, copy)

    # Restore into a new, empty database, and run the app on the copy in a process of its own.
    run("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={database_url(restored_database)}", str(dump))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "CELERY_BROKER_URL"))}
    env.update({"DATABASE_URL": database_url(restored_database), "ONESTOP_ATTACHMENTS_ROOT": str(copy),
                "DJANGO_SETTINGS_MODULE": "onestop.settings", "LOG_LEVEL": "WARNING"})
    env["RESTORE_CODES"] = json.dumps({"waiting": waiting, "with_file": with_file})
    env["RESTORE_KEY"] = str(key)
    out = json.loads(run(sys.executable, "-c", AFTER_RESTORE, env=env).strip().splitlines()[-1])

    assert out["before"] == {"waiting": "processing", "with_file": "submitted"}
    assert out["status"] == "result_ready" and out["steps"] == ["return"]  # reviewed, signed, registered
    assert out["file_status"] == 200 and out["file"] == hashlib.sha256(PDF).hexdigest()
    # The original is untouched by what the copy did.
    assert Dossier.objects.get(code=waiting).status == "processing"
