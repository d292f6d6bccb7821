"""``manage.py import_bpmn`` takes what the upload API takes (process, catalogue entry, applicant's form),
answers in one language, prints warnings, and keeps nothing when it exits non-zero."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from procedures import content
from procedures.models import CatalogueEvent, Procedure, ProcedureVersion

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "bpmn" / "examples"
MARITAL = (EXAMPLE / "marital_status.bpmn").read_bytes()
# A second executable process in the same file: the command must be told which one runs.
TWO_PROCESSES = MARITAL.replace(b"</bpmn:definitions>", b"""
  <bpmn:process id="archive" name="Archive" isExecutable="true">
    <bpmn:startEvent id="archive_start"><bpmn:outgoing>archive_flow</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="archive_file" name="Archive the file"><bpmn:incoming>archive_flow</bpmn:incoming>
      <bpmn:outgoing>archive_done</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="archive_end"><bpmn:incoming>archive_done</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="archive_flow" sourceRef="archive_start" targetRef="archive_file" />
    <bpmn:sequenceFlow id="archive_done" sourceRef="archive_file" targetRef="archive_end" />
  </bpmn:process>
</bpmn:definitions>""")
# A step without a name: a warning, not an error.
UNNAMED = MARITAL.replace('name="Công chức tư pháp thẩm định / Justice officer reviews" '.encode(), b"")


@pytest.fixture
def roles(db):
    """Agencies and routing roles, which the lanes of the sample files name; no procedures."""
    from onestop.demo.seed import seed

    seed(load_procedures=False)


def write(tmp_path, name, content):
    path = tmp_path / name
    path.write_bytes(content)
    return path


def nothing_kept(code):
    return not (Procedure.objects.filter(code=code).exists() or CatalogueEvent.objects.filter(
        procedure__code=code).exists() or ProcedureVersion.objects.filter(procedure__code=code).exists())


def test_import_with_its_side_file_and_form_publishes_the_whole_procedure(roles, capsys):
    call_command("import_bpmn", str(EXAMPLE / "marital_status.bpmn"), "--procedure", "1.004873",
                 "--form", str(EXAMPLE / "marital_status.form"), "--publish")
    procedure = Procedure.objects.get(code="1.004873")
    # marital_status.catalogue.json beside the file was read without being named.
    assert (procedure.name_en, procedure.processing_days, procedure.fee) == ("Certificate of marital status", 3, 15000)
    assert procedure.form_schema["properties"]["marital_status"]["title"] == "Tình trạng hôn nhân hiện nay"
    # The side file and the form carry every English text: the English portal shows it wholly in English.
    assert (procedure.fee_note_en, content.missing_english(procedure)) == (
        "Fee set by the resolution of the provincial People's Council.", [])
    assert procedure.versions.get().state == "published"
    assert "1.004873 phiên bản 1" in capsys.readouterr().out


def test_import_without_a_form_keeps_a_draft_named_after_the_process(roles, capsys):
    call_command("import_bpmn", str(ROOT / "bpmn" / "business_household_registration.bpmn"),
                 "--procedure", "9.000001", "--lang", "en")
    procedure = Procedure.objects.get(code="9.000001")
    assert procedure.name == "Đăng ký thành lập hộ kinh doanh"
    assert procedure.versions.get().state == "draft"
    assert "9.000001 v1 (Draft)" in capsys.readouterr().out


def test_a_refused_publication_keeps_nothing_and_says_so(roles, tmp_path):
    bad_form = write(tmp_path, "form.json", b'{"type": "object", "properties": {"person_full_name": '
                                            b'{"type": "string", "title": "Ho ten"}}}')
    bpmn = write(tmp_path, "marital.bpmn", MARITAL)  # no side file beside it in tmp_path
    with pytest.raises(CommandError) as refused:
        call_command("import_bpmn", str(bpmn), "--procedure", "9.000003", "--form", str(bad_form), "--publish",
                     "--lang", "en")
    message = str(refused.value)
    assert "person_id_number" in message and "person_full_name" not in message.split("define:")[-1]
    assert "Nothing was kept" in message
    assert nothing_kept("9.000003")
    # The same in Vietnamese, the default language.
    with pytest.raises(CommandError) as refused:
        call_command("import_bpmn", str(bpmn), "--procedure", "9.000003", "--form", str(bad_form), "--publish")
    assert "Không lưu lại gì" in str(refused.value) and "Nothing" not in str(refused.value)
    assert nothing_kept("9.000003")


def test_process_chooses_among_several_and_warnings_are_printed(roles, tmp_path, capsys):
    two = write(tmp_path, "two.bpmn", TWO_PROCESSES)
    with pytest.raises(CommandError, match="archive"):
        call_command("import_bpmn", str(two), "--procedure", "9.000004", "--lang", "en")
    assert nothing_kept("9.000004")
    call_command("import_bpmn", str(two), "--procedure", "9.000004", "--process", "marital_status", "--lang", "en")
    assert Procedure.objects.get(code="9.000004").versions.get().process_id == "marital_status"
    extra = write(tmp_path, "unnamed.bpmn", UNNAMED)
    capsys.readouterr()
    call_command("import_bpmn", str(extra), "--procedure", "9.000005", "--lang", "en")
    out = capsys.readouterr().out
    assert "Warning: id=review" in out and "has no name" in out
    call_command("import_bpmn", str(extra), "--procedure", "9.000006")
    out = capsys.readouterr().out
    assert "Cảnh báo: id=review" in out and "không có tên" in out and "Warning" not in out


def test_a_wrong_side_file_is_refused_with_its_fields(roles, tmp_path):
    bpmn = write(tmp_path, "marital.bpmn", MARITAL)
    write(tmp_path, "marital.catalogue.json", b'{"processing_days": 0, "receiving_level": "village"}')
    with pytest.raises(CommandError) as refused:
        call_command("import_bpmn", str(bpmn), "--procedure", "9.000007", "--lang", "en")
    assert "processing_days" in str(refused.value) and "receiving_level" in str(refused.value)
    assert nothing_kept("9.000007")


def test_bad_file_is_a_command_error(roles, tmp_path):
    bad = tmp_path / "bad.bpmn"
    bad.write_text("<definitions>")
    with pytest.raises(CommandError, match="bad.bpmn"):
        call_command("import_bpmn", str(bad), "--procedure", "9.000002")
    with pytest.raises(CommandError, match="missing.bpmn"):
        call_command("import_bpmn", str(tmp_path / "missing.bpmn"), "--procedure", "9.000002")
    assert nothing_kept("9.000002")


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
    result = subprocess.run([sys.executable, "manage.py", "import_bpmn", str(unknown), "--procedure", "9.2",
                             "--lang", "en"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "lookup_mother" in result.stderr and "no.such_operator" in result.stderr
    assert "Nothing was kept" in result.stderr
