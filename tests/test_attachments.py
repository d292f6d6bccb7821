"""Dossier files: checked by content, stored outside the web root, served only to who may see the dossier;
and the applicant's rating of the service."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation

from onestop.core.exceptions import Conflict, InvalidInput
from onestop.dossiers import lifecycle as services
from onestop.dossiers.attachments import add_attachment, check_upload, clean_name
from onestop.dossiers.models import Attachment, Dossier, Rating
from tests.conftest import BIRTH_FORM, submit

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\0" * 64
ELF = b"\x7fELF\x02\x01\x01" + b"\0" * 200


@pytest.fixture(autouse=True)
def _attachments_root(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_upload_errors_speak_vietnamese_by_default():
    with translation.override("vi"), pytest.raises(InvalidInput) as error:
        check_upload(SimpleUploadedFile("virus.pdf", ELF))
    assert "không phải tệp PDF, JPEG hoặc PNG" in str(error.value)


def test_uploads_are_judged_by_their_content():
    assert check_upload(SimpleUploadedFile("giay-chung-sinh.pdf", PDF)) == "application/pdf"
    assert check_upload(SimpleUploadedFile("anh.PNG", PNG)) == "image/png"
    with pytest.raises(InvalidInput, match="not a PDF, JPEG or PNG"):
        check_upload(SimpleUploadedFile("virus.pdf", ELF))
    with pytest.raises(InvalidInput, match="named like another kind"):
        check_upload(SimpleUploadedFile("scan.png", PDF))
    with pytest.raises(InvalidInput, match="empty"):
        check_upload(SimpleUploadedFile("empty.pdf", b""))


def test_an_oversize_file_is_refused_saying_the_limit(settings):
    settings.ONESTOP_MAX_UPLOAD_BYTES = 10 * 1024 * 1024
    big = SimpleUploadedFile("big.pdf", PDF + b"\0" * (50 * 1024 * 1024))
    with pytest.raises(InvalidInput) as error:
        check_upload(big)
    assert "50 MB" in str(error.value.detail if hasattr(error.value, "detail") else error.value)
    assert "10 MB" in str(error.value)


def test_the_clients_file_name_is_never_a_path():
    assert clean_name("../../etc/passwd") == "passwd"
    assert clean_name("C:\\Users\\a\\to-khai.pdf") == "to-khai.pdf"
    assert clean_name("") == "file"


def test_a_file_is_stored_under_a_random_name_and_served_only_to_who_may_see_the_dossier(as_user, settings):
    citizen = as_user("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    dossier = Dossier.objects.get(code=code)
    attachment = add_attachment(dossier, SimpleUploadedFile("../giấy chứng sinh.pdf", PDF), user=citizen.user,
                                document_index=1)
    stored = settings.ATTACHMENTS_ROOT / attachment.file.name
    assert stored.read_bytes() == PDF
    assert "giấy" not in attachment.file.name and ".." not in attachment.file.name
    assert attachment.original_name == "giấy chứng sinh.pdf"
    assert dossier.events.filter(action="attachment_added").count() == 1

    url = f"/dossiers/files/{attachment.key}/"
    for username, expected in [("citizen1", 200), ("bennghe.receiver", 200), ("citizen2", 404),
                               ("vothisau.receiver", 404)]:
        client = Client()
        client.force_login(as_user(username).user)
        response = client.get(url)
        assert response.status_code == expected, username
        if expected == 200:
            assert b"".join(response.streaming_content) == PDF
            assert response["Content-Type"] == "application/pdf"
            assert response["X-Content-Type-Options"] == "nosniff"
    assert Client().get(url).status_code == 302  # to the login page
    client = Client()
    client.force_login(citizen.user)
    assert client.get(f"/dossiers/files/{Attachment.objects.get().key.hex[::-1]}/").status_code == 404


def test_the_applicant_rates_once_after_the_result_is_returned(as_user):
    citizen = as_user("citizen1")
    code = submit(citizen, "1.001193", "q1-bennghe", BIRTH_FORM)["code"]
    with pytest.raises(Conflict):
        services.rate(citizen.user, code, score=5)
    Dossier.objects.filter(code=code).update(status="returned")
    with pytest.raises(InvalidInput):
        services.rate(citizen.user, code, score=6)
    with pytest.raises(Exception):  # noqa: B017 - someone else's dossier is not found
        services.rate(as_user("citizen2").user, code, score=4)
    services.rate(citizen.user, code, score=4, comment="Nhanh, chu đáo")
    with pytest.raises(Conflict):
        services.rate(citizen.user, code, score=1)
    rating = Rating.objects.get(dossier__code=code)
    assert (rating.score, rating.comment) == (4, "Nhanh, chu đáo")
    assert Dossier.objects.get(code=code).events.filter(action="rated").count() == 1
