"""The leader's dashboard, its exports, the dossier register (form 07) and the control sheet (form 06)."""
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from onestop.core.exceptions import NotAllowed, NotFound
from onestop.deadlines import schedule
from onestop.documents import forms_pdf
from onestop.dossiers.selectors import dossier_for

from . import charts, exports, interconnection, selectors
from .forms import RegisterForm, ReportForm


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _scope(request, which=selectors.visible_agencies):
    try:
        return which(request.user)
    except NotAllowed:
        raise PermissionDenied from None


def _report_form(request, scope):
    return ReportForm(request.GET or {}, scope=scope)


@login_required
@require_safe
def dashboard(request):
    scope = _scope(request)
    form = _report_form(request, scope)
    context = {"form": form, "title": _("Dashboard"), "calendar_warnings": schedule.warnings(timezone.localdate())}
    if form.is_valid():
        filters = form.filters()
        found = selectors.cells(filters)  # one set of queries, three roll-ups
        report = selectors.summary(filters, found)
        by_month = selectors.summary(form.filters(group_by=("month",)), found)
        by_agency = selectors.summary(form.filters(group_by=("agency",)), found)
        header, rows = exports.summary_table(report)
        context.update({
            "filters": filters, "report": report, "header": header, "rows": rows[:-1], "total_row": rows[-1],
            "dimensions": len(report["group_by"]), "query": request.GET.urlencode(),
            "month_chart": charts.monthly_bars(by_month["rows"], _("Dossiers resolved per month")),
            "rate_chart": charts.rate_bars(by_agency["rows"], _("On-time rate per agency")),
            "rate_chart_cut": len(by_agency["rows"]) > charts.RATE_BARS,
            "extensions": selectors.extensions(filters),
        })
    return render(request, "reports/dashboard.html", context)


@login_required
@require_safe
def steps(request):
    """The processing view: steps per agency that handled them (not only the receiving one)."""
    form = _report_form(request, _scope(request))
    context = {"form": form, "title": _("Steps per processing agency")}
    if form.is_valid():
        filters = form.filters()
        context.update({"filters": filters, "steps": selectors.steps(filters)})
    return render(request, "reports/steps.html", context)


@login_required
@require_safe
def export(request, fmt):
    form = _report_form(request, _scope(request))
    if not form.is_valid():
        return render(request, "reports/dashboard.html", {"form": form, "title": _("Dashboard")}, status=400)
    filters = form.filters()
    report = selectors.summary(filters)
    if fmt == "xlsx":
        return exports.summary_xlsx(report, filters, selectors.extensions(filters))
    return exports.summary_csv(report, filters)


@login_required
@require_safe
def register(request):
    """Form 07, one agency's register: the page (50 rows a page) or, with ``?format=xlsx``, the whole file."""
    scope = _scope(request, selectors.register_agencies)
    form = RegisterForm(request.GET or None, scope=scope)
    context = {"form": form, "title": _("Dossier register (form 07)")}
    if not request.GET and form.fields["agency"].choices:
        form = RegisterForm({"agency": form.fields["agency"].choices[0][0]}, scope=scope)
        context["form"] = form
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        agency = form.agencies[data["agency"]]
        dossiers = selectors.register(agency, data["date_from"], data["date_to"])
        if request.GET.get("format") == "xlsx":  # the files are the register itself: whole, whatever the search
            return exports.register_xlsx(agency, data["date_from"], data["date_to"], dossiers)
        if request.GET.get("format") == "pdf":
            content = forms_pdf.form_07(agency, data["date_from"], data["date_to"], dossiers)
            return _pdf(content, f"so-theo-doi-{agency.code}-{data['date_from']:%Y%m%d}-{data['date_to']:%Y%m%d}.pdf")
        if data["q"]:
            dossiers = selectors.register(agency, data["date_from"], data["date_to"], data["q"])
        page = Paginator(dossiers, 50).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        files_query = query.copy()
        files_query.pop("q", None)
        context.update({
            "agency": agency, "data": data, "page": page, "query": query.urlencode(),
            "files_query": files_query.urlencode(),
            "header": exports.REGISTER_HEADER,
            "rows": list(exports.register_rows(page.object_list)),
            "first": page.start_index(),
        })
    return render(request, "reports/register.html", context)


@login_required
@require_safe
def control_sheet(request, code):
    """Form 06 of one dossier, for whoever may see the dossier and for the leaders above its receiving
    agency (404 for anyone else)."""
    try:
        dossier = dossier_for(request.user, code)
    except NotFound:
        dossier = selectors.overseen_dossier(request.user, code)
        if dossier is None:
            raise Http404 from None
    if request.GET.get("format") == "pdf":  # a legal paper: in Vietnamese whatever the page's language
        with translation.override("vi"):
            return _pdf(forms_pdf.form_06(dossier, selectors.handovers(dossier)), f"{dossier.code}-06.pdf")
    rows = selectors.handovers(dossier)
    if request.GET.get("format") == "xlsx":
        return exports.control_xlsx(dossier, rows)
    return render(request, "reports/control_sheet.html", {
        "dossier": dossier, "applicant": selectors.applicant_name(dossier), "header": exports.CONTROL_HEADER,
        "rows": list(exports.control_rows(rows)), "title": _("Processing control sheet (form 06)"),
    })


@login_required
@require_safe
def interconnection_matrix(request, code=None):
    """The interconnection matrix of every published procedure (``?format=csv|xlsx`` for the files), or of
    one procedure (``code``; ``?version=N`` for a version being checked before it is published)."""
    scope = _scope(request)
    if code is None:
        found = interconnection.matrix(scope)
        if request.GET.get("format") == "csv":
            return exports.interconnection_csv(found)
        if request.GET.get("format") == "xlsx":
            return exports.interconnection_xlsx(found)
        header, rows = exports.interconnection_table(found)
        return render(request, "reports/interconnection.html", {
            "title": _("Interconnection matrix"), "found": found, "header": header, "rows": rows})
    number = request.GET.get("version")
    version = interconnection.published(code, int(number) if number and number.isdigit() else None)
    if version is None:
        raise Http404
    one = interconnection.scoped(version, scope)
    return render(request, "reports/interconnection.html", {
        "title": _("Interconnection of %(code)s") % {"code": version.procedure.code},
        "found": {"procedures": [one]}, "single": True})
