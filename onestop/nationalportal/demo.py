"""The demo's exchange with the stand-in portal (``make run``): three birth registrations at Bến Nghé ward,
one left waiting, one accepted, one with its result ready, so the portal holds dossiers at three statuses;
then the dossiers submitted on the portal are pulled into the ward's desk queue. Safe to run twice: the
dossiers are made only once (the marker is a comment on the first one)."""
import socket
import time
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model

from onestop.dossiers import lifecycle
from onestop.dossiers.models import Dossier
from onestop.interop.models import Peer
from onestop.worklist.models import WorkItem

from . import services, submissions
from .models import OutboxMessage

FORM = {
    "child_full_name": "Nguyễn Gia Bảo", "child_birth_date": "2026-11-25", "child_sex": "nam",
    "child_birth_place": "Bệnh viện Từ Dũ, Quận 1", "father_full_name": "Nguyễn Văn An",
    "father_id_number": "079090000001", "mother_full_name": "Lê Thị Hoa", "mother_id_number": "079190000003",
    "applicant_relationship": "cha",
}


def _act(username, dossier, decision):
    user = get_user_model().objects.get(username=username)
    item = dossier.work_items.get(state__in=WorkItem.ACTIVE_STATES)
    lifecycle.claim_work_item(item, user)
    lifecycle.complete_work_item(item, user, decision=decision)


def _wait_for(url, seconds=15.0):
    """The stand-ins are started beside this command by ``make run``: wait until they listen."""
    parts = urlsplit(url)
    deadline = time.monotonic() + seconds
    while True:
        try:
            socket.create_connection((parts.hostname, parts.port or 80), timeout=1).close()
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.2)


def run() -> list[str]:
    link = services.active_link()
    if link is None:
        return ["no active portal link: run manage.py configure_national_portal first"]
    peer = Peer.objects.select_related("platform").filter(is_active=True).first()
    needed = [link.base_url] + ([peer.platform.gateway_url if peer.platform else peer.base_url] if peer else [])
    if not all(_wait_for(url) for url in needed):
        return [f"the portal or the registries ({', '.join(needed)}) do not answer: nothing synchronised"]
    lines = []
    if not OutboxMessage.objects.exists():
        citizen = get_user_model().objects.get(username="citizen1")
        for step in range(3):
            dossier = lifecycle.submit(citizen, procedure_code="1.001193", agency_code="q1-bennghe", form_data=FORM)
            if step >= 1:
                _act("bennghe.receiver", dossier, "accept")
            if step >= 2:
                _act("bennghe.specialist", Dossier.objects.get(pk=dossier.pk), "approve")
                _act("bennghe.leader", Dossier.objects.get(pk=dossier.pk), "sign")  # then the register: result
            lines.append(f"dossier {dossier.code}: {Dossier.objects.get(pk=dossier.pk).get_status_display()}")
    sent = OutboxMessage.objects.filter(state=OutboxMessage.State.SENT).count()
    lines.append(f"portal messages: {sent} sent, {OutboxMessage.objects.exclude(state='sent').count()} waiting")
    new = submissions.pull()
    lines.append(f"dossiers taken in from the portal: {new}")
    for taken in submissions.PortalSubmission.objects.select_related("dossier"):
        lines.append(f"  {taken.portal_code} -> {taken.dossier.code if taken.dossier else taken.error}")
    return lines
