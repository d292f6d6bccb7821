"""The officials' page to extend a dossier's appointment date (form 04). Thin: the rules are in the lifecycle
(``onestop.dossiers.lifecycle.extensions``)."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from onestop.core.exceptions import Conflict, InvalidInput, NotAllowed, NotFound
from onestop.deadlines.forms import ExtendForm
from onestop.deadlines.models import Extension
from onestop.dossiers import selectors
from onestop.dossiers.lifecycle import extensions


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def extend(request, code):
    try:
        dossier = selectors.dossier_for(request.user, code)
    except NotFound:
        raise Http404 from None
    if extensions.official_agency(dossier, request.user) is None:
        raise PermissionDenied(_("Only an official of an agency handling this dossier can extend its "
                                 "appointment date."))
    form = ExtendForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                extensions.extend(request.user, code, **form.cleaned_data)
            except InvalidInput as exc:
                for field, errors in (exc.errors or {}).items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, str(error))
            except (Conflict, NotAllowed) as exc:
                messages.error(request, str(exc))
                return redirect("deadlines:extend", code=code)
            else:
                messages.success(request, _("The appointment date is extended; the apology letter is ready."))
                return redirect("deadlines:extend", code=code)
        status = 400
    extension = Extension.objects.filter(dossier=dossier).select_related("letter", "requested_by", "agency").first()
    return render(request, "deadlines/extend.html",
                  {"dossier": dossier, "form": form, "extension": extension}, status=status)
