"""The forms as PDFs, to whoever may see the dossier (404 otherwise, and when the form does not apply)."""
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from onestop.core.exceptions import NotFound
from onestop.dossiers import selectors

from .forms_pdf import FormNotApplicable, form_01, form_02, form_03, form_04, form_05
from .selectors import extension_of, stopping


def _pdf(request, code, number, build):
    try:
        dossier = selectors.dossier_for(request.user, code)
        content = build(dossier)
    except (NotFound, FormNotApplicable):
        raise Http404 from None
    response = HttpResponse(content, content_type="application/pdf")
    # Inline: the browser shows it and the official prints it; the name says which paper of which dossier.
    response["Content-Disposition"] = f'inline; filename="{dossier.code}-{number}.pdf"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_safe
def form01(request, code):
    return _pdf(request, code, "01", form_01)


@login_required
@require_safe
def form02(request, code):
    return _pdf(request, code, "02", form_02)


@login_required
@require_safe
def form03(request, code):
    return _pdf(request, code, "03", form_03)


def _apology(dossier):
    extension = extension_of(dossier)
    if extension is None:
        raise FormNotApplicable("The appointment date was not extended.")
    return form_04(dossier, reason=extension.reason, new_date=extension.new_date, official=extension.requested_by,
                   previous_date=extension.previous_date, agency=extension.agency, at=extension.created_at)


@login_required
@require_safe
def form04(request, code):
    return _pdf(request, code, "04", _apology)


def _stop_notice(dossier):
    stopped = stopping(dossier)
    if stopped is None:
        raise FormNotApplicable("The handling of the dossier was not stopped.")
    return form_05(dossier, reason=stopped.reason, official=stopped.official, agency=stopped.agency, at=stopped.at)


@login_required
@require_safe
def form05(request, code):
    return _pdf(request, code, "05", _stop_notice)
