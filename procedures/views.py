"""Admin pages for BPMN versions: upload, the validation report, the diagram, publish or discard."""
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from onestop.core.exceptions import DomainError

from . import entries, services
from .forms import UploadForm
from .models import ProcedureVersion
from .selectors import published_version, unroutable_agencies


def _admin_page(request, template: str, context: dict, status: int = 200):
    """Render one of the catalogue's admin pages with the admin's own context: its branding, the user menu
    (log out, change password) and the language of the rest of the admin."""
    return render(request, template, {**admin.site.each_context(request), **context}, status=status)


@staff_member_required
@require_http_methods(["GET", "HEAD", "POST"])
def upload(request):
    form = UploadForm(request.POST or None, request.FILES or None, initial={"code": request.GET.get("code", "")})
    report = None
    if request.method == "POST" and form.is_valid():
        file, code = form.cleaned_data["bpmn_file"], form.cleaned_data["code"]
        try:
            entry = {}
            if form.cleaned_data.get("catalogue_file"):
                entry = entries.read_side_file(form.cleaned_data["catalogue_file"].read(), code=code)
            if form.cleaned_data.get("form_file"):
                entry["form_schema"] = entries.read_form_file(form.cleaned_data["form_file"].read())
        except DomainError as exc:
            form.add_error(None, exc.message)
            for field, messages in (exc.errors or {}).items() if isinstance(exc.errors, dict) else ():
                form.add_error(None, f"{field}: {messages}")
            return _admin_page(request, "procedures/upload.html", {"form": form, "title": _("Upload BPMN")}, status=400)
        result = services.upload_version(file.read(), code, user=request.user, filename=file.name, entry=entry)
        if result.version is not None:
            if not result.created:
                messages.info(request, _("This file is already version %(n)s.") % {"n": result.version.number})
            return redirect("catalogue-version", code=result.version.procedure.code, number=result.version.number)
        report = result.report
    return _admin_page(request, "procedures/upload.html", {"form": form, "report": report, "title": _("Upload BPMN")},
                       status=400 if request.method == "POST" else 200)  # a refused file is a 4xx, as in the API


def _version(code, number):
    return get_object_or_404(ProcedureVersion.objects.select_related("procedure", "uploaded_by"),
                             procedure__code=code, number=number)


@staff_member_required
@require_safe
def version_detail(request, code, number):
    version = _version(code, number)
    published = published_version(version.procedure)
    diff = services.diff(version, published) if published and published.pk != version.pk else None
    return _admin_page(request, "procedures/version.html", {
        "version": version, "published": published, "diff": diff, "report": version.report,
        "unroutable": [] if version.has_errors else unroutable_agencies(version),
        "title": f"{version.procedure.code} v{version.number}",
        "xml_url": reverse("version-bpmn", kwargs={"code": code, "number": number}),
        "events": version.procedure.events.select_related("actor").order_by("-at")[:20],
    })


@staff_member_required
@require_POST
def version_action(request, code, number, action):
    version = _version(code, number)
    try:
        if action == "publish":
            services.publish_version(version, user=request.user)
            messages.success(request, _("Version %(n)s is published: new dossiers use it.") % {"n": number})
        elif action == "retire":
            services.retire_version(version, user=request.user)
            messages.success(request, _("Version %(n)s is retired.") % {"n": number})
        elif action == "discard":
            services.discard_version(version, user=request.user)
            messages.success(request, _("Version %(n)s is discarded.") % {"n": number})
            return redirect("admin:procedures_procedure_changelist")
    except DomainError as exc:
        details = [m for ms in exc.errors.values() for m in ms] if isinstance(exc.errors, dict) else []
        messages.error(request, " ".join([str(exc.message), *map(str, details)]))  # e.g. the fields the form lacks
    return redirect("catalogue-version", code=code, number=number)
