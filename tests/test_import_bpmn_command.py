"""``manage.py import_bpmn``: exit 0 on success; a clear message and no traceback on a bad file."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from procedures.models import Procedure

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def roles(db):
    """Agencies and routing roles, which the lanes of the sample files name; no procedures."""
    from onestop.demo.seed import seed

    seed(load_procedures=False)


def test_import_creates_procedure_named_after_the_process(roles, capsys):
    call_command("import_bpmn", str(ROOT / "bpmn" / "business_household_registration.bpmn"),
                 "--procedure", "9.000001", "--publish")
    procedure = Procedure.objects.get(code="9.000001")
    assert procedure.name == "Đăng ký thành lập hộ kinh doanh"
    assert procedure.versions.get().state == "published"
    assert "9.000001 v1 (published)" in capsys.readouterr().out


def test_bad_file_is_a_command_error(roles, tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text("<definitions>")
    with pytest.raises(CommandError, match="bad.bpmn"):
        call_command("import_bpmn", str(bad), "--procedure", "9.000002")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_bpmn", str(tmp_path / "missing.bpmn"), "--procedure", "9.000002")
    assert not Procedure.objects.filter(code="9.000002").exists()


def test_exit_codes_from_the_shell(tmp_path):
    """The real command line, on a throwaway SQLite database."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "manage.py", "seed_demo"], cwd=ROOT, env=env, check=True, capture_output=True)
    bad = tmp_path / "bad.bpmn"
    bad.write_text('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>')
    result = subprocess.run([sys.executable, "manage.py", "import_bpmn", str(bad), "--procedure", "9.1"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    assert "DOCTYPE" in result.stderr and "Traceback" not in result.stderr
    good = ROOT / "bpmn" / "birth_registration.bpmn"
    result = subprocess.run([sys.executable, "manage.py", "import_bpmn", str(good), "--procedure", "9.1"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    # A file whose service task names an operator nobody provides: the element and the reason, no traceback.
    unknown = tmp_path / "unknown.bpmn"
    unknown.write_bytes(good.read_bytes().replace(b"population.lookup_citizen", b"no.such_operator"))
    result = subprocess.run([sys.executable, "manage.py", "import_bpmn", str(unknown), "--procedure", "9.2"],
                            cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "lookup_mother" in result.stderr and "no.such_operator" in result.stderr
