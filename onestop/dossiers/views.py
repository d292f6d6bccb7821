"""Pages of a dossier. (The full portal comes with the web pages issue.)"""
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from onestop.core.exceptions import NotFound
from onestop.engine import runtime

from . import selectors


def _dossier(request, code):
    try:
        return selectors.dossier_for(request.user, code)
    except NotFound:
        raise Http404 from None


@login_required
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
def diagram_bpmn(request, code):
    dossier = _dossier(request, code)
    return HttpResponse(dossier.version.bpmn_xml, content_type="application/xml; charset=utf-8")
