"""Hostile uploads through the real pages and the API: the citizen's apply page, the desk's paper intake,
the BPMN upload page and API. Each is refused with a 4xx and a message a person understands, or (a PDF
whose stream inflates to 50 MB) stored as it came, never decompressed.
"""
import io
import tracemalloc
import zipfile
import zlib

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils.html import escape

from onestop.dossiers.models import Attachment, Dossier
from tests.conftest import BIRTH_FORM

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BIRTH = "1.001193"
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _isolated(settings, tmp_path):
    settings.ATTACHMENTS_ROOT = tmp_path / "attachments"
    cache.clear()


def client_for(username):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(get_user_model().objects.get(username=username))
    return client


def text(response):
    return response.content.decode()


def zip_bomb():
    """10 MB of zeros in a zip of about 10 KB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\0" * (10 * MB))
    return buffer.getvalue()


def pdf_with_a_huge_stream():
    """A valid PDF whose one stream inflates to 50 MB (about 50 KB on the wire)."""
    stream = zlib.compress(b"\0" * (50 * MB), 9)
    return (b"%PDF-1.7\n1 0 obj<</Length " + str(len(stream)).encode() + b"/Filter/FlateDecode>>stream\n" + stream
            + b"\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


# name, content, what the message says (English)
REFUSED = [
    ("zip bomb renamed", "to-khai.pdf", zip_bomb(), "is not a PDF, JPEG or PNG file"),
    ("executable renamed", "giay-chung-sinh.pdf", b"MZ\x90\x00" + b"\0" * 500, "is not a PDF, JPEG or PNG file"),
    ("html renamed", "anh.png", b"<html><script>alert(1)</script></html>", "is not a PDF, JPEG or PNG file"),
    ("svg renamed", "anh.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
     "is not a PDF, JPEG or PNG file"),
    ("double extension", "to-khai.pdf.exe", PDF, "is named like another kind of file"),
    ("empty", "to-khai.pdf", b"", "is empty"),
]


# --- the citizen's apply page -------------------------------------------------------------------------------

def _apply(client, **files):
    return client.post(f"/procedures/{BIRTH}/apply/", {"agency": "q1-bennghe", **BIRTH_FORM, **files})


@pytest.mark.parametrize("case, name, content, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_apply_refuses_a_hostile_file_next_to_its_field(demo, case, name, content, message):
    client = client_for("citizen1")
    response = _apply(client, doc_0=SimpleUploadedFile(name, content), doc_1=SimpleUploadedFile("ok.pdf", PDF))
    assert response.status_code == 400
    page = text(response)
    field = page[page.index('id="document-0"'):page.index('id="document-1"')]
    assert 'id="id_doc_0_error"' in field and escape(message) in field
    assert client.post(f"/procedures/{BIRTH}/apply/review/").status_code == 302  # back to the form
    assert not Dossier.objects.exists()


@pytest.mark.parametrize("name, shown", [
    ("../../../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
    ("giay\x1b[31m\x07.pdf", "giay[31m.pdf"),  # a terminal escape and a bell, for whoever reads the logs
    ("hoa-don\u202efdp.exe.pdf", "hoa-donfdp.exe.pdf"),  # a right-to-left override would show "...exe.pdf" reversed
    ("to\x00khai.pdf", "tokhai.pdf"),
])
def test_a_file_name_is_never_a_path_and_loses_its_control_characters(demo, name, shown):
    client = client_for("citizen1")
    response = _apply(client, doc_0=SimpleUploadedFile(name, PDF), doc_1=SimpleUploadedFile("ok.pdf", PDF))
    assert response.status_code == 302, text(response)[:3000]
    response = client.post(f"/procedures/{BIRTH}/apply/review/")
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    attachment = dossier.attachments.get(document_index=0)
    assert attachment.original_name == shown
    assert attachment.file.name.startswith("dossiers/") or "/" not in attachment.original_name
    download = client.get(reverse("dossier-attachment", args=[attachment.key]), {"download": 1})
    assert download.status_code == 200
    assert "\n" not in download["Content-Disposition"] and "\r" not in download["Content-Disposition"]


def test_a_pdf_whose_stream_inflates_to_50_mb_is_stored_as_it_came(demo):
    """We never decompress a PDF: it is checked by its first bytes, stored and served byte for byte."""
    content = pdf_with_a_huge_stream()
    client = client_for("citizen1")
    response = _apply(client, doc_0=SimpleUploadedFile("to-khai.pdf", content), doc_1=SimpleUploadedFile("b.pdf", PDF))
    assert response.status_code == 302
    client.post(f"/procedures/{BIRTH}/apply/review/")
    attachment = Attachment.objects.get(document_index=0)
    assert (attachment.size, attachment.content_type) == (len(content), "application/pdf")
    download = client.get(reverse("dossier-attachment", args=[attachment.key]))
    assert b"".join(download.streaming_content) == content


def test_a_50_mb_file_is_streamed_to_disk_and_refused_saying_the_limit(demo, settings):
    """Django keeps an upload over FILE_UPLOAD_MAX_MEMORY_SIZE in a temporary file: the server's memory
    holds a few chunks of the 50 MB, never the file (nginx refuses more than 12 MB in production)."""
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2.5 * MB
    client = client_for("citizen1")
    big = SimpleUploadedFile("giay-chung-sinh.pdf", PDF + b"\0" * (50 * MB))
    request = RequestFactory().post(f"/procedures/{BIRTH}/apply/", {"agency": "q1-bennghe", **BIRTH_FORM,
                                                                   "doc_0": big})
    environ = {**request.environ, "HTTP_COOKIE": client.cookies.output(header="", sep=";").strip(),
               "HTTP_ACCEPT_LANGUAGE": "en"}
    del big, request
    tracemalloc.start()
    try:
        response = client.handler(environ)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert response.status_code == 400
    assert "a file may be at most 10 MB" in text(response)
    assert peak < 20 * MB, f"the request used {peak / MB:.0f} MB"


def test_a_form_field_over_the_memory_limit_and_too_many_files_are_refused(demo, settings):
    client = client_for("citizen1")
    response = client.post(f"/procedures/{BIRTH}/apply/", {**BIRTH_FORM, "agency": "x" * (6 * MB)})
    assert response.status_code == 400  # DATA_UPLOAD_MAX_MEMORY_SIZE (5 MB)
    files = {f"doc_{i}": SimpleUploadedFile(f"{i}.pdf", PDF) for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1)}
    assert client.post(f"/procedures/{BIRTH}/apply/", {**BIRTH_FORM, **files}).status_code == 400
    assert not Dossier.objects.exists()


# --- the desk's paper intake -----------------------------------------------------------------------------------

@pytest.mark.parametrize("case, name, content, message", REFUSED, ids=[r[0] for r in REFUSED])
def test_intake_refuses_a_hostile_scan(demo, case, name, content, message):
    desk = client_for("bennghe.receiver")
    data = {f"f-{key}": value for key, value in BIRTH_FORM.items()}
    response = desk.post(f"{reverse('workspace:intake')}?id_number=079090000001&procedure={BIRTH}",
                         {**data, "agency": "q1-bennghe", "scan": SimpleUploadedFile(name, content)})
    assert response.status_code == 400
    assert escape(message) in text(response)
    assert not Dossier.objects.exists()


# --- BPMN uploads: page and API --------------------------------------------------------------------------------

BPMN_ROOT = b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</bpmn:definitions>'
XML_ATTACKS = [
    ("billion laughs", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">'
     + b"".join(b'<!ENTITY %s "%s">' % (bytes([99 + i]), b"".join([b"&%s;" % bytes([98 + i])] * 10)) for i in range(8))
     + b'<!ENTITY x "&j;">]>' + BPMN_ROOT, "not well-formed"),  # lxml stops the amplification itself
    ("xxe file", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + BPMN_ROOT,
     "DOCTYPE"),
    ("external dtd", b'<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://127.0.0.1:9/evil.dtd">'
     + BPMN_ROOT.replace(b"&x;", b""), "DOCTYPE"),
    ("parameter entity", b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p">%p;]>'
     + BPMN_ROOT.replace(b"&x;", b""), "DOCTYPE"),
    ("xinclude", b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
     b'xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="file:///etc/passwd" parse="text"/>'
     b"</bpmn:definitions>", "process"),
    ("huge", b'<?xml version="1.0"?>' + BPMN_ROOT.replace(b"&x;", b"<!--" + b"x" * (6 * MB) + b"-->"), "5 MB"),
    ("not xml", b"PK\x03\x04" + b"\0" * 100, "not well-formed"),
]


@pytest.mark.parametrize("case, content, message", XML_ATTACKS, ids=[a[0] for a in XML_ATTACKS])
def test_bpmn_upload_page_refuses_xml_attacks(demo, case, content, message):
    admin = client_for("admin")
    response = admin.post(reverse("catalogue-upload"),
                          {"code": "9.999001", "bpmn_file": SimpleUploadedFile("quy-trinh.bpmn", content)})
    assert response.status_code == 400
    assert message in text(response)
    assert "root:" not in text(response)  # nothing of /etc/passwd


@pytest.mark.parametrize("case, content, message", XML_ATTACKS, ids=[a[0] for a in XML_ATTACKS])
def test_bpmn_upload_api_refuses_xml_attacks(demo, case, content, message):
    admin = client_for("admin")
    response = admin.post("/api/v1/procedures/9.999001/versions/",
                          {"bpmn_file": SimpleUploadedFile("quy-trinh.bpmn", content)})
    assert response.status_code == 400
    assert message in text(response) and "root:" not in text(response)


def test_clean_name_drops_folders_and_invisible_characters():
    """The pages' multipart parser already cleans names; ``clean_name`` does it for every other caller."""
    from onestop.dossiers.attachments import clean_name

    assert clean_name("hoa-don\u202efdp.exe.pdf") == "hoa-donfdp.exe.pdf"
    assert clean_name("..\\..\\giay\x1b[31m\x07.pdf") == "giay[31m.pdf"
    assert clean_name("/etc/\x00") == "file"
