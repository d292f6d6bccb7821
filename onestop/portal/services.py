"""Writes of the citizen portal: sign-up, uploads staged between the form and the review, submission.

A submission is one transaction: the dossier (``dossiers.lifecycle.submit``) and every file
(``add_attachment``) are stored together or not at all. Staged files wait under
``ATTACHMENTS_ROOT/staging/<token>/`` (the token lives in the session) and are removed after
submission, when the citizen starts over, or after a day.
"""
from __future__ import annotations

import secrets
import shutil
import time
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.files import File
from django.db import transaction
from django.utils.translation import gettext as _

from onestop.core.exceptions import Conflict, InvalidInput, NotFound
from onestop.dossiers import lifecycle
from onestop.dossiers.attachments import add_attachment, check_upload, clean_name
from onestop.dossiers.forms import form_errors
from onestop.dossiers.models import Attachment, Dossier, can_supplement
from onestop.organisation.models import Citizen
from onestop.worklist.models import WorkItem
from procedures.selectors import is_conditional

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.base import SessionBase
    from django.core.files.uploadedfile import UploadedFile

    from procedures.models import Procedure

STAGING_MAX_AGE = 24 * 3600


# --- sign-up -------------------------------------------------------------------------------------------

@transaction.atomic
def sign_up(*, username: str, password: str, full_name: str, id_number: str, phone: str = "", email: str = "",
            address: str = "") -> User:
    """A citizen account and its profile, together."""
    if Citizen.objects.filter(id_number=id_number).exists():
        raise InvalidInput(_("An account already uses this citizen ID number."),
                           errors={"id_number": [_("An account already uses this citizen ID number.")]})
    user = get_user_model().objects.create_user(username=username, password=password, email=email,
                                                first_name=full_name)
    Citizen.objects.create(user=user, id_number=id_number, full_name=full_name, phone=phone, address=address)
    return user


# --- staged uploads ------------------------------------------------------------------------------------

def _staging_root():
    return Path(settings.ATTACHMENTS_ROOT) / "staging"


class Draft:
    """An application in progress, kept in the session: agency, form data and staged files per document."""

    def __init__(self, session: SessionBase, procedure_code: str) -> None:
        self.session = session
        self.key = f"portal.draft.{procedure_code}"
        self.state = session.get(self.key) or {}

    @property
    def exists(self) -> bool:
        return bool(self.state)

    @property
    def agency(self) -> str:
        return self.state.get("agency", "")

    @property
    def form_data(self) -> dict:
        return self.state.get("form_data", {})

    @property
    def files(self) -> dict[int, dict]:
        """``{index: {"name", "size"}}`` of the staged files (index as in the procedure's documents)."""
        return {int(k): v for k, v in self.state.get("files", {}).items()}

    def folder(self) -> Path:
        token = self.state.get("token", "")
        if not (len(token) == 32 and all(c in "0123456789abcdef" for c in token)):
            token = secrets.token_hex(16)
            self.state["token"] = token
        return _staging_root() / token

    def _save(self):
        self.session[self.key] = self.state
        self.session.modified = True

    def update(self, *, agency: str, form_data: dict) -> None:
        self.state["agency"] = agency
        self.state["form_data"] = form_data
        self._save()

    def stage(self, index: int, upload: UploadedFile) -> None:
        """Check ``upload`` (as ``check_upload`` does) and keep it for document ``index``."""
        content_type = check_upload(upload)
        if cache.add("portal.staging.swept", True, timeout=3600):  # at most once an hour
            clean_stale_staging()
        folder = self.folder()
        folder.mkdir(parents=True, exist_ok=True)
        with open(folder / str(index), "wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
        files = self.state.setdefault("files", {})
        files[str(index)] = {"name": clean_name(upload.name), "size": upload.size, "type": content_type}
        self._save()

    def unstage(self, index: int) -> None:
        if self.state.get("files", {}).pop(str(index), None) is not None:
            (self.folder() / str(index)).unlink(missing_ok=True)
            self._save()

    def open_files(self) -> list[tuple[int, File]]:
        """``[(index, File)]`` of the staged files; the caller closes them."""
        folder = self.folder()
        opened = []
        for index, meta in sorted(self.files.items()):
            path = folder / str(index)
            if path.is_file():
                opened.append((index, File(open(path, "rb"), name=meta["name"])))
        return opened

    def discard(self) -> None:
        if self.state.get("token"):
            shutil.rmtree(self.folder(), ignore_errors=True)
        self.session.pop(self.key, None)
        self.state = {}


def clean_stale_staging(max_age: float = STAGING_MAX_AGE) -> int:
    """Remove staged uploads nobody submitted within ``max_age`` seconds."""
    root = _staging_root()
    if not root.is_dir():
        return 0
    limit, removed = time.time() - max_age, 0
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < limit:
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
    return removed


# --- submission ----------------------------------------------------------------------------------------

def draft_problems(procedure: Procedure, draft: Draft) -> dict[str, list[str]]:
    """Why the draft cannot be reviewed yet (form errors, documents missing); empty when it can."""
    problems = dict(form_errors(procedure.form_schema, draft.form_data))
    staged = draft.files
    for index, document in enumerate(procedure.documents or []):
        if index not in staged and not is_conditional(document):
            problems[f"doc_{index}"] = [_("Attach this document.")]
    return problems


def submit_application(user: User, procedure: Procedure, draft: Draft) -> Dossier:
    """Submit the draft: the dossier and its documents in one transaction; then forget the draft.

    One draft never makes two dossiers, even when "Submit" is clicked twice and both requests carry the
    draft: creating ``<token>.submitting`` is atomic, so only one request goes on at a time, and a
    submitted draft leaves ``<token>.done`` behind (removed after a day) for any request still holding it.
    """
    folder = draft.folder()
    claimed, done = folder.with_name(folder.name + ".submitting"), folder.with_name(folder.name + ".done")
    _staging_root().mkdir(parents=True, exist_ok=True)
    try:
        claimed.mkdir()
    except FileExistsError:
        raise Conflict(_("This application is already being submitted.")) from None
    if done.exists():
        claimed.rmdir()
        raise Conflict(_("This application has already been submitted."))
    opened = draft.open_files()
    try:
        with transaction.atomic():
            dossier = lifecycle.submit(user, procedure_code=procedure.code, agency_code=draft.agency,
                                              form_data=draft.form_data)
            dossier = lifecycle.lock_dossier(dossier.pk)
            for index, upload in opened:
                add_attachment(dossier, upload, user=user, kind=Attachment.Kind.DOCUMENT, document_index=index)
    except BaseException:
        claimed.rmdir()  # nothing was stored: the citizen may correct the draft and submit it again
        raise
    finally:
        for _index, upload in opened:
            upload.close()
    claimed.rename(done)
    draft.discard()
    return dossier


def answer_supplementation(user: User, code: str, *, form_data: dict, comment: str,
                           uploads: Iterable[UploadedFile]) -> Dossier:
    """The applicant answers a supplementation request on the same dossier: new files, changed data."""
    with transaction.atomic():
        pk = Dossier.objects.filter(code=code, applicant=user).values_list("pk", flat=True).first()
        if pk is None:
            raise NotFound(_("No such dossier."))
        dossier = lifecycle.lock_dossier(pk)
        if not can_supplement(dossier):
            raise Conflict(_("Nothing is asked of you on this dossier now."))
        step = dossier.work_items.filter(kind=WorkItem.Kind.APPLICANT, state__in=WorkItem.ACTIVE_STATES).first()
        for upload in uploads:
            add_attachment(dossier, upload, user=user, kind=Attachment.Kind.SUPPLEMENT, work_item=step)
        return lifecycle.supplement(user, code, form_data=form_data, comment=comment)
