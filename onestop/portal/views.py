"""Pages of the citizen portal. Thin: reads come from selectors, writes from services."""
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from onestop.core.exceptions import Conflict, DomainError, InvalidInput
from onestop.core.throttling import SubmissionThrottle, check_submission
from onestop.dossiers import lifecycle
from onestop.dossiers.attachments import check_upload
from onestop.dossiers.models import Status, can_rate, can_supplement, can_withdraw
from onestop.dossiers.selectors import open_steps, route
from onestop.organisation.models import Agency
from onestop.web.context import roles_of
from onestop.web.schema_forms import SchemaForm, describe
from onestop.web.security import client_address
from onestop.worklist.models import WorkItem
from procedures import content
from procedures.selectors import is_conditional

from . import selectors, services
from .forms import DocumentsForm, LookupForm, RatingForm, SignUpForm, SupplementForm, WithdrawForm

CATALOGUE_PAGE_SIZE = 10
DOSSIERS_PAGE_SIZE = 20


def _url_or_none(name, **kwargs):
    try:
        return reverse(name, kwargs=kwargs or None)
    except NoReverseMatch:
        return None


def _language():
    return (get_language() or "vi")[:2]


def _errors_to_form(form, error):
    """Put a service's ``InvalidInput.errors`` next to the fields; the rest as a form-wide error."""
    placed = False
    for name, msgs in (error.errors or {}).items():
        if isinstance(msgs, dict):  # {"form_data": {field: [...]}}
            for inner, inner_msgs in msgs.items():
                if inner in form.fields:
                    form.add_error(inner, list(inner_msgs))
                    placed = True
        elif name in form.fields:
            form.add_error(name, list(msgs))
            placed = True
    if not placed:
        form.add_error(None, str(error.message))


# --- home, sign-up --------------------------------------------------------------------------------------

@require_safe
def home(request):
    roles = roles_of(request.user)
    # Officials start where their work is: the desk's receivers at the one-stop desk, the others at their queue.
    if roles & {"receiver", "specialist", "leader"}:
        start = _url_or_none("workspace:desk") if "receiver" in roles else None
        start = start or _url_or_none("workspace:queue")
        if start:
            return redirect(start)
    return render(request, "portal/home.html", {
        "fields": selectors.catalogue_fields(_language()),
        "popular": selectors.catalogue()[:6],
    })


@require_http_methods(["GET", "HEAD", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("portal:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and _over_limit(request, "signup", settings.ONESTOP_SIGNUPS_PER_HOUR, 3600):
        # The form says whether an ID number has an account: without a limit, a script could ask for every one.
        form.add_error(None, _("Too many sign-up attempts from your network. Try again in an hour."))
        return render(request, "portal/signup.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.sign_up(username=data["username"], password=data["password1"],
                                    full_name=data["full_name"], id_number=data["id_number"],
                                    phone=data["phone"], email=data.get("email", ""), address=data["address"])
        except InvalidInput as error:
            _errors_to_form(form, error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Your account is ready."))
            next_url = request.GET.get("next", "")
            if url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
                return redirect(next_url)
            return redirect("portal:catalogue")
    return render(request, "portal/signup.html", {"form": form})


# --- catalogue -----------------------------------------------------------------------------------------

@require_safe
def catalogue(request):
    q = request.GET.get("q", "").strip()[:100]
    field = request.GET.get("field", "").strip()[:200]
    agency = Agency.objects.filter(code=request.GET.get("agency", ""), is_active=True).first()
    page = Paginator(selectors.catalogue(q, field, agency), CATALOGUE_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "q": q, "field": field, "agency": agency,
               "fields": selectors.catalogue_fields(_language()), "agencies": selectors.desks()}
    # htmx swaps in the results only; going back in history asks for the whole page again.
    partial = request.htmx and not request.htmx.history_restore_request
    response = render(request, "portal/_catalogue_results.html" if partial else "portal/catalogue.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
def procedure(request, code):
    item = selectors.procedure(code)
    if item is None:
        raise Http404
    lang = content.content_language(item)
    documents = [{**doc, "conditional": is_conditional(stored)}
                 for doc, stored in zip(content.documents(item, lang), item.documents or [], strict=True)]
    return render(request, "portal/procedure.html", {
        "procedure": item, "documents": documents, "content_lang": lang,
        "field": content.text(item, "field", lang), "fee_note": content.text(item, "fee_note", lang)})


# --- apply ---------------------------------------------------------------------------------------------

def _citizen_required(request):
    if not hasattr(request.user, "citizen"):
        raise PermissionDenied(_("Only citizens with a profile can submit dossiers."))


def _apply_forms(request, item, draft):
    agencies = selectors.receiving_agencies(item)
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    lang = content.content_language(item)
    schema_form = SchemaForm(content.schema(item.form_schema, lang), data, initial=draft.form_data)
    documents_form = DocumentsForm(item.documents or [], data, files, staged=draft.files,
                                   conditional=is_conditional, language=lang)
    return agencies, schema_form, documents_form


def _application(request, code):
    """The procedure applied for and the citizen's draft of it (both steps of applying start here)."""
    _citizen_required(request)
    item = selectors.procedure(code)
    if item is None:
        raise Http404
    return item, services.Draft(request.session, item.code)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def apply(request, code):
    """Step 1: the desk, the form and the documents. Valid files are kept even when the form has errors."""
    item, draft = _application(request, code)
    agencies, schema_form, documents_form = _apply_forms(request, item, draft)
    agency_code = request.POST.get("agency", "") if request.method == "POST" else draft.agency
    agency_error = ""
    if request.method == "POST":
        if not agencies.filter(code=agency_code).exists():
            agency_error = _("Choose the agency whose one-stop desk will receive your dossier.")
        file_errors = _stage_files(request, draft, item)
        staged = draft.files
        for index, field in enumerate(documents_form.document_fields()):
            field.field.staged = staged.get(index)
            if index in file_errors:
                documents_form.add_error(field.name, file_errors[index])
            elif index not in staged and field.field.needed:
                documents_form.add_error(field.name, _("Attach this document."))
        valid_form = schema_form.is_valid()
        draft.update(agency=agency_code, form_data=schema_form.cleaned_data)
        if valid_form and not agency_error and not documents_form.errors:
            return redirect("portal:apply-review", code=item.code)
        messages.error(request, _("Some answers need your attention: see the messages next to the fields."))
    return render(request, "portal/apply.html", {
        "procedure": item, "agencies": agencies, "agency_code": agency_code, "agency_error": agency_error,
        "form": schema_form, "documents_form": documents_form, "max_mb": settings.ONESTOP_MAX_UPLOAD_BYTES // 2**20,
        "content_lang": content.content_language(item),
    }, status=400 if request.method == "POST" else 200)  # a refused form or file is a 4xx, as on the desk's pages


def _stage_files(request, draft, item):
    """Keep every acceptable upload of this POST; return ``{index: message}`` for the refused ones."""
    errors = {}
    for index, _document in enumerate(item.documents or []):
        if request.POST.get(f"remove_{index}"):
            draft.unstage(index)
        upload = request.FILES.get(f"doc_{index}")
        if upload is None:
            continue
        try:
            draft.stage(index, upload)
        except InvalidInput as error:
            errors[index] = str(error.message)
    return errors


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def apply_review(request, code):
    """Step 2: what will be sent; submitting stores the dossier and its files together."""
    item, draft = _application(request, code)
    agency = selectors.receiving_agencies(item).filter(code=draft.agency).first()
    if not draft.exists or agency is None or services.draft_problems(item, draft):
        return redirect("portal:apply", code=item.code)
    if request.method == "POST":
        refused = check_submission(request)
        if refused:  # the draft stays in the session: nothing typed or attached is lost
            messages.error(request, refused)
            return redirect("portal:apply-review", code=item.code)
        try:
            dossier = services.submit_application(request.user, item, draft)
        except InvalidInput as error:
            messages.error(request, error.message)
            return redirect("portal:apply", code=item.code)
        except Conflict as error:
            messages.warning(request, error.message)
            return redirect("portal:my-dossiers")
        SubmissionThrottle().record(request)
        return redirect("portal:submitted", code=dossier.code)
    lang = content.content_language(item)
    files = draft.files
    return render(request, "portal/review.html", {
        "procedure": item, "agency": agency, "content_lang": lang,
        "answers": describe(content.schema(item.form_schema, lang), draft.form_data),
        "documents": [{"document": doc, "file": files.get(i)} for i, doc in enumerate(content.documents(item, lang))],
    })


@login_required
@require_safe
def submitted(request, code):
    dossier = selectors.my_dossier(request.user, code)
    if dossier is None:
        raise Http404
    reception = dossier.work_items.filter(kind=WorkItem.Kind.RECEPTION, state__in=WorkItem.ACTIVE_STATES).first()
    return render(request, "portal/submitted.html", {"dossier": dossier, "reception": reception})


# --- the applicant's dossiers --------------------------------------------------------------------------

@login_required
@require_safe
def my_dossiers(request):
    page = Paginator(selectors.my_dossiers(request.user), DOSSIERS_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"dossier": d, "asked": selectors.asked_of_me(d)} for d in page]
    return render(request, "portal/my_dossiers.html", {"page": page, "rows": rows})


def _mine(request, code):
    dossier = selectors.my_dossier(request.user, code)
    if dossier is None:
        raise Http404
    return dossier


def _dossier_page(request, dossier, *, supplement_form=None, schema_form=None, rating_form=None, status=200):
    lang = content.content_language(dossier.procedure)
    if schema_form is None:
        schema_form = SchemaForm(content.schema(dossier.procedure.form_schema, lang), initial=dossier.form_data,
                                 prefix="form")
    agencies = {}
    for step in open_steps(dossier):
        if step.kind != WorkItem.Kind.APPLICANT and step.agency_id:
            agencies.setdefault(step.agency_id, step.agency)
    return render(request, "portal/dossier.html", {
        "dossier": dossier,
        "asked": selectors.asked_of_me(dossier),
        "refusal": selectors.refusal(dossier, _language()),
        "stop_notice": selectors.stop_notice(dossier),
        "recorded": selectors.recorded_for_me(dossier, _language()),
        "lookups": selectors.lookups(dossier, _language()),
        "answers": describe(content.schema(dossier.procedure.form_schema, lang), dossier.form_data),
        "content_lang": lang,
        "agencies": list(agencies.values()),
        "timeline": selectors.citizen_timeline(dossier, _language()),
        "route": route(dossier),
        "attachments": selectors.attachments(dossier),
        "results": selectors.results(dossier),
        "papers": _desk_papers(dossier),
        "request_info": selectors.supplementation_request(dossier),
        "can_supplement": can_supplement(dossier),
        "can_withdraw": can_withdraw(dossier),
        "can_rate": can_rate(dossier, rated=dossier.rated),
        "rating": getattr(dossier, "rating", None) if dossier.rated else None,
        "supplement_form": supplement_form or SupplementForm(),
        "schema_form": schema_form,
        "rating_form": rating_form or RatingForm(),
    }, status=status)


def _desk_papers(dossier):
    """The one-stop desk's forms given to the applicant (Circular 01/2018 and 03/2025), when they apply:
    01 the receipt with the appointment date, 02 what to add, 03 why it was refused, 04 the apology for an
    extension with the new date."""
    papers = []
    if dossier.received_at:
        papers.append((_("Receipt and appointment (form 01)"), _url_or_none("documents:form01", code=dossier.code)))
    if dossier.status == Status.SUPPLEMENT_REQUESTED:  # asked by the desk or by a step of the process
        papers.append((_("Documents to add (form 02)"), _url_or_none("documents:form02", code=dossier.code)))
    if dossier.status == Status.REFUSED and not dossier.received_at:
        papers.append((_("Refusal of the dossier (form 03)"), _url_or_none("documents:form03", code=dossier.code)))
    if dossier.status == Status.STOPPED:
        papers.append((_("Notice of stopping (form 05)"), _url_or_none("documents:form05", code=dossier.code)))
    if hasattr(dossier, "extension"):  # the agency's apology and the new date
        papers.append((_("Apology and new appointment date (form 04)"),
                       _url_or_none("documents:form04", code=dossier.code)))
    return [(label, url) for label, url in papers if url]


@login_required
@require_safe
def dossier(request, code):
    return _dossier_page(request, _mine(request, code))


@login_required
@require_POST
def supplement(request, code):
    dossier = _mine(request, code)
    form = SupplementForm(request.POST, request.FILES)
    schema_form = SchemaForm(content.schema(dossier.procedure.form_schema, content.content_language(dossier.procedure)),
                             request.POST, prefix="form")
    if form.is_valid() and schema_form.is_valid():
        uploads = form.cleaned_data["files"]
        for upload in uploads:
            try:
                check_upload(upload)
            except InvalidInput as error:
                form.add_error("files", str(error.message))
        if not form.errors:
            try:
                services.answer_supplementation(request.user, code, form_data=schema_form.cleaned_data,
                                                comment=form.cleaned_data["comment"], uploads=uploads)
            except InvalidInput as error:
                _errors_to_form(form if "comment" in (error.errors or {}) else schema_form, error)
            except DomainError as error:
                messages.error(request, error.message)
                return redirect("portal:dossier", code=code)
            else:
                messages.success(request, _("Thank you: your answer was sent on the same dossier."))
                return redirect("portal:dossier", code=code)
    messages.error(request, _("Your answer was not sent: see the messages next to the fields."))
    return _dossier_page(request, dossier, supplement_form=form, schema_form=schema_form, status=400)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def withdraw(request, code):
    """A confirmation page first: withdrawing cannot be undone."""
    dossier = _mine(request, code)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.withdraw(request.user, code, reason=form.cleaned_data["reason"])
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Your dossier was withdrawn."))
        return redirect("portal:dossier", code=code)
    return render(request, "portal/withdraw.html", {"dossier": dossier, "form": form})


@login_required
@require_POST
def rate(request, code):
    dossier = _mine(request, code)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            lifecycle.rate(request.user, code, score=form.cleaned_data["score"],
                                  comment=form.cleaned_data["comment"])
        except InvalidInput as error:
            _errors_to_form(form, error)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("portal:dossier", code=code)
        else:
            messages.success(request, _("Thank you for rating the service."))
            return redirect("portal:dossier", code=code)
    return _dossier_page(request, dossier, rating_form=form, status=400)


# --- public lookup -------------------------------------------------------------------------------------

def _client_address(request):
    return client_address(request) or "unknown"  # behind ONESTOP_PROXY_COUNT proxies, the citizen's own address


def _over_limit(request, scope="lookup", limit=None, seconds=60):
    """Count a ``scope`` request (a lookup, a sign-up) of this client address in the current window of
    ``seconds``; True once over ``limit``."""
    if limit is None:
        limit = getattr(settings, "ONESTOP_LOOKUPS_PER_MINUTE", 10)
    key = f"portal.{scope}.{_client_address(request)}"
    if cache.add(key, 1, timeout=seconds):
        return False
    try:
        return cache.incr(key) > limit
    except ValueError:  # expired in between
        cache.add(key, 1, timeout=seconds)
        return False


@require_http_methods(["GET", "HEAD", "POST"])
def lookup(request):
    """Status only, for a code and the last 4 digits of the applicant's ID number; same answer for any miss."""
    # A form's QR code opens this page with ?code=: the code is filled in, the 4 ID digits are asked.
    form = LookupForm(request.POST or None, initial={"code": request.GET.get("code", "")[:60]})
    context = {"form": form}
    status = 200
    if request.method == "POST":
        if _over_limit(request):
            context["limited"] = True
            status = 429
        elif form.is_valid():
            found = selectors.lookup(form.cleaned_data["code"], form.cleaned_data["id_digits"])
            context["found"] = found
            context["searched"] = True
    return render(request, "portal/lookup.html", context, status=status)
