"""Pages of a dossier shared by every part of the site: its diagram and its files."""
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from onestop.core.exceptions import NotFound
from onestop.engine import runtime

from . import selectors
from .attachments import attachment_for


def _dossier(request, code):
    try:
        return selectors.dossier_for(request.user, code)
    except NotFound:
        raise Http404 from None


@login_required
@require_safe
def diagram(request, code):
    """The dossier's process diagram: where it waits now, and the path it took."""
    dossier = _dossier(request, code)
    where = runtime.positions(dossier.process) if dossier.process_id else {"current": [], "done": []}
    return render(request, "dossiers/diagram.html", {
        "dossier": dossier, "title": dossier.code,
        "xml_url": reverse("dossier-diagram-bpmn", kwargs={"code": code}),
        "current": ",".join(where["current"]), "done": ",".join(where["done"]),
    })


@login_required
@require_safe
def diagram_bpmn(request, code):
    dossier = _dossier(request, code)
    return HttpResponse(dossier.version.bpmn_xml, content_type="application/xml; charset=utf-8")


@login_required
@require_safe
def attachment(request, key):
    """A dossier's file, to whoever may see the dossier (404 for anyone else and for unknown keys).

    ``?download=1`` asks the browser to save it; otherwise PDFs and images open in the page (preview).
    """
    try:
        item = attachment_for(request.user, key)
    except NotFound:
        raise Http404 from None
    response = FileResponse(item.file.open("rb"), content_type=item.content_type,
                            as_attachment=bool(request.GET.get("download")), filename=item.original_name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    # Only PDF, JPEG and PNG are stored (checked by content); a preview may be framed by our own pages only.
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Content-Security-Policy"] = "frame-ancestors 'self'"
    return response
