"""Files of a dossier: what an upload must be, storing it, and who may read it.

Uploads are checked by their content, not their name: the first bytes must be a PDF, JPEG or PNG and
agree with the file's extension, so an executable renamed ``.pdf`` is refused. Files are stored under
``ATTACHMENTS_ROOT`` with random names, outside the web root, and read only through ``attachment_for``.
"""
import hashlib
import os
import unicodedata

import filetype
from django.conf import settings
from django.utils.translation import gettext as _

from onestop.core.exceptions import InvalidInput, NotFound

from . import audit
from .models import Action, Attachment

# content type -> the extensions a file of that type may carry
ALLOWED_TYPES = {
    "application/pdf": {".pdf"},
    "image/jpeg": {".jpg", ".jpeg"},
    "image/png": {".png"},
}
ACCEPT = ",".join(sorted({ext for exts in ALLOWED_TYPES.values() for ext in exts}))


def _megabytes(size):
    return f"{size / (1024 * 1024):.1f}".rstrip("0").rstrip(".")


def clean_name(name):
    """The file's own name without any folder part, for display only (it is never a path on disk).

    Control and format characters go too: a right-to-left override would show "fdp.exe" as "exe.pdf",
    and a terminal escape would colour the logs (Django's multipart parser removes them as well).
    """
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(c for c in name if unicodedata.category(c) not in ("Cc", "Cf")).strip()
    return name[:200] or "file"


def check_upload(upload):
    """The content type of ``upload`` (a Django ``UploadedFile``), or ``InvalidInput`` saying what is wrong."""
    name = clean_name(upload.name)
    limit = settings.ONESTOP_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise InvalidInput(_("“%(name)s” is %(size)s MB; a file may be at most %(limit)s MB.")
                           % {"name": name, "size": _megabytes(upload.size), "limit": _megabytes(limit)})
    if upload.size == 0:
        raise InvalidInput(_("“%(name)s” is empty.") % {"name": name})
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    extension = os.path.splitext(name)[1].lower()
    if kind is None or kind.mime not in ALLOWED_TYPES:
        raise InvalidInput(_("“%(name)s” is not a PDF, JPEG or PNG file. Scan or save the document in one of "
                             "those formats.") % {"name": name})
    if extension not in ALLOWED_TYPES[kind.mime]:
        raise InvalidInput(_("“%(name)s” is named like another kind of file than it contains (%(type)s). "
                             "Rename it or save it again.") % {"name": name, "type": kind.mime})
    return kind.mime


def add_attachment(dossier, upload, *, user, kind=Attachment.Kind.DOCUMENT, document_index=None,
                   work_item=None, agency=None):
    """Check and store ``upload`` on ``dossier`` and record it in the audit trail.

    Call it inside the transaction that holds the dossier's row lock (the file is written first; a
    rolled-back transaction leaves an orphan file, never a row without its file).
    """
    content_type = check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    attachment = Attachment(
        dossier=dossier, kind=kind, document_index=document_index, original_name=clean_name(upload.name),
        content_type=content_type, size=upload.size, sha256=digest.hexdigest(),
        uploaded_by=user if user is not None and user.is_authenticated else None, work_item=work_item,
    )
    attachment.file.save("upload", upload, save=False)
    attachment.save()
    audit.record(dossier, Action.ATTACHMENT_ADDED, actor=user, agency=agency, from_status=dossier.status,
                 work_item=work_item, data={"attachment": str(attachment.key), "name": attachment.original_name,
                                            "kind": kind, "size": attachment.size})
    return attachment


def attachment_for(user, key):
    """The attachment ``key`` if ``user`` may see its dossier; ``NotFound`` otherwise (also for bad keys)."""
    from .selectors import dossiers_for

    try:
        return Attachment.objects.select_related("dossier").get(key=key, dossier__in=dossiers_for(user))
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise NotFound(_("No such file.")) from None
