"""The incidents page: dossiers whose process stopped, for the officials of their agencies and for admins.

An incident opens when an exchange fails for good, a step of the process fails, the process cannot advance or
the sweep finds a dossier with no way forward (docs/run-contract.md). Some of these dossiers have no open step
to show them on, so they are listed here, each with its way out: try again after the cause is fixed, or stop
the dossier with the reason its applicant reads (form 05). Who may do either is the API's rule
(``dossiers.selectors.incidents_for``): a person who cannot see an incident gets 404.
"""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from onestop.core.exceptions import Conflict, InvalidInput, NotAllowed
from onestop.core.text import bilingual
from onestop.dossiers import lifecycle
from onestop.dossiers.models import Incident
from onestop.dossiers.selectors import incidents_for
from onestop.organisation import access
from onestop.worklist.models import WorkItem

PAGE_SIZE = 20


def _may_use(user):
    return user.is_staff or access.is_official(user)


@login_required
@require_safe
def incidents(request):
    return _page(request)


def _page(request, stop_error=None):
    """The list (open incidents first by age, or the resolved ones, newest first), each with its open step."""
    if not _may_use(request.user):
        raise PermissionDenied(_("These pages are for officials."))
    shown = request.GET.get("show") == "resolved"
    rows = (incidents_for(request.user).filter(resolved_at__isnull=not shown)
            .select_related("dossier__procedure", "dossier__receiving_agency")
            .order_by("-resolved_at" if shown else "created_at", "id"))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    open_steps = dict(WorkItem.objects.filter(dossier__in=[i.dossier_id for i in page],
                                              state__in=WorkItem.ACTIVE_STATES)
                      .order_by("-created_at").values_list("dossier_id", "id"))
    for incident in page:
        incident.open_step = open_steps.get(incident.dossier_id)
    return render(request, "workspace/incidents.html", {
        "page": page, "shown": "resolved" if shown else "open", "stop_error": stop_error,
    }, status=400 if stop_error else 200)


def _incident_or_404(request, pk) -> Incident:
    incident = incidents_for(request.user).filter(pk=pk).first()
    if incident is None:
        raise Http404
    return incident


@login_required
@require_POST
def retry(request, incident):
    found = _incident_or_404(request, incident)
    try:
        lifecycle.retry_incident(found.pk, request.user)
    except (Conflict, NotAllowed) as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Tried again: “%(step)s”.") % {"step": bilingual(found.element_name)})
    return redirect("workspace:incidents")


@login_required
@require_POST
def stop(request, incident):
    found = _incident_or_404(request, incident)
    try:
        lifecycle.stop_dossier(found.pk, request.user, reason=request.POST.get("reason", ""))
    except InvalidInput as error:  # no reason given: the page again, the error at its box
        return _page(request, stop_error={"incident": found.pk, "message": str(error.message)})
    except (Conflict, NotAllowed) as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("Dossier %(code)s is stopped; its applicant is told why.")
                         % {"code": found.dossier.code})
    return redirect("workspace:incidents")
