"""Pages of officials: the one-stop desk, the task queue, and the workspace of one work item.

Views are thin: reads come from ``selectors``, every write is a service call; service errors become form
errors (400), the 403 page, or a message.
"""
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from onestop.core.exceptions import Conflict, InvalidInput, NotAllowed, NotFound
from onestop.core.text import bilingual
from onestop.dossiers import lifecycle as dossiers
from onestop.engine import runtime
from onestop.organisation import access
from onestop.organisation.models import Citizen, OfficialRole, same_tier
from onestop.web.schema_forms import SchemaForm
from onestop.worklist import selectors as worklist
from onestop.worklist.models import WorkItem
from procedures import content
from procedures.models import Procedure

from . import forms, selectors, services


def official_required(view):
    """Logged in and an official of some agency; anyone else gets the 403 page."""
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not access.held_pairs(request.user):  # no role in any agency (read once for the page)
            raise PermissionDenied(_("These pages are for officials."))
        return view(request, *args, **kwargs)
    return wrapped


def _item_or_403(request, pk, *, act=False):
    """The work item, if the user may see it (leaders: their whole agency) or, with ``act``, work on it."""
    item = selectors.item(pk)
    if item is None or item.agency_id is None:
        raise Http404
    allowed = access.may_act_on(item, request.user) if act else access.may_see_item(item, request.user)
    if not allowed:
        raise PermissionDenied(_("This step belongs to another agency or role."))
    return item


def _attempt(request, action, *, refusal_as_message=False):
    """Run a service call: ``(result, None)``, or ``(None, InvalidInput)`` to show next to the fields.

    Refusals become the 403 page (or a message, when the page itself was allowed: a step someone else
    claimed a moment ago); a conflict (already done...) a message.
    """
    try:
        return action(), None
    except InvalidInput as error:
        return None, error
    except NotAllowed as error:
        if refusal_as_message:
            messages.error(request, str(error.message))
            return None, None
        raise PermissionDenied(str(error.message)) from None
    except NotFound:
        raise Http404 from None
    except Conflict as error:
        messages.error(request, str(error.message))
        return None, None


# --- the queue ------------------------------------------------------------------------------------------

@official_required
@require_safe
def queue(request):
    form = forms.QueueFilterForm(selectors.active_procedures(), request.GET)
    form.is_valid()
    params = form.cleaned_data  # the filters that are valid still apply; the others are said in the results
    tab = params.get("tab") if params.get("tab") in dict(selectors.TABS) else "open"
    sort = params.get("sort") or "due"
    items, counts = selectors.queue(
        request.user, tab=tab, procedure=params.get("procedure", ""), state=params.get("state", ""),
        kind=params.get("kind", ""), due_from=params.get("due_from"), due_to=params.get("due_to"),
        q=params.get("q", ""), sort=sort)
    more = False
    if counts[tab] is None:  # the history during a search is not counted: a page, and whether more follow
        page, more = _open_ended_page(items, request.GET.get("page"))
        counts[tab] = page.paginator.count
    else:
        paginator = Paginator(items, selectors.PAGE_SIZE)
        paginator.count = counts[tab]  # already counted with the tabs: no second count over the queue
        page = paginator.get_page(request.GET.get("page"))
    queue_url = reverse("workspace:queue")
    context = {
        "form": form, "page": page, "tab": tab, "sort": sort, "queue_url": queue_url,
        "more": _grouped(counts[tab]) if more else "",
        "tabs": _tabs(request.GET, tab, counts, more),
        "columns": _columns(request.GET, sort),
        "rows": _rows(page.object_list),
    }
    partial = request.htmx and not request.htmx.history_restore_request
    response = render(request, "workspace/_queue_results.html" if partial else "workspace/queue.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# The queue's table is built here rather than in the template: 20 rows of lookups, filters, an include and
# a URL reversal each were most of the page's time (bench/queue_page.py); a row's markup is written in
# Python (``_rows``), every value escaped.

def _query(params, **changes):
    """``?...``: the page's query string with ``changes`` (None removes a parameter), as ``{% querystring %}``."""
    query = params.copy()
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return f"?{query.urlencode()}"


def _tabs(params, current, counts, more):
    tabs = []
    for key, label in selectors.TABS:
        count = _badge(counts[key], more and key == current)
        tone = " bad" if key == "overdue" and count else " warn" if key == "due_soon" and count else ""
        tabs.append({"query": _query(params, tab=key, page=None), "label": label, "count": count,
                     "tone": tone, "current": key == current})
    return tabs


def _columns(params, sort):
    """The sortable columns: the link sorts by the column, or reverses its order when it is the current one."""
    columns = []
    for key, label in (("code", _("Dossier")), ("procedure", _("Procedure")), ("received", _("Received")),
                       ("due", _("Due date"))):
        order = "ascending" if sort == key else "descending" if sort == f"-{key}" else ""
        columns.append({"key": key, "label": label, "order": order,
                        "query": _query(params, sort=f"-{key}" if order == "ascending" else key, page=None)})
    return columns


def _rows(values):
    """The page's rows (``selectors.QUEUE_ROW`` dicts) as the table's rows, written here in one piece."""
    today, language = timezone.localdate(), get_language() or "vi"
    item_url = reverse("workspace:item", args=[987654321]).replace("987654321", "%d")
    held_by, overdue = _("Held by"), _("overdue")
    states = {}
    rows = []
    for v in values:
        state = v["state"]
        if state not in states:
            states[state] = escape(WorkItem.State(state).label)
        due = v["due_date"]
        if due is None:
            due_cell = "—"
        else:
            active = state in WorkItem.ACTIVE_STATES
            late = active and due < today
            tone = " bad" if late else " warn" if active and due == today else ""
            shown = (timezone.localtime(v["due_at"]).strftime("%d/%m/%Y %H:%M") if v["due_at"]
                     else due.strftime("%d/%m/%Y"))
            due_cell = f'<span class="badge{tone}">{shown}{f" · {escape(overdue)}" if late else ""}</span>'
        if state == WorkItem.State.CLAIMED:
            holder = (f"{v['claimed_by__first_name']} {v['claimed_by__last_name']}".strip()
                      or v["claimed_by__username"] or "")
            state_cell = f"{escape(held_by)} {escape(holder)}"
        else:
            state_cell = states[state]
        applicant = (v["dossier__applicant__citizen__full_name"]
                     or f"{v['dossier__applicant__first_name']} {v['dossier__applicant__last_name']}".strip())
        agency = f'<br><span class="muted">{escape(v["agency__name"])}</span>' if v["agency__name"] else ""
        english = language.startswith("en") and v["dossier__procedure__name_en"]
        procedure = english or v["dossier__procedure__name"]
        rows.append(mark_safe(
            f'<tr>\n  <td><a href="{item_url % v["id"]}">{escape(v["dossier_code"])}</a></td>\n'
            f'  <td>{escape(applicant)}</td>\n  <td>{escape(procedure)}</td>\n'
            f'  <td>{escape(bilingual(v["name"], language))}{agency}</td>\n'
            f'  <td>{timezone.localtime(v["created_at"]).strftime("%d/%m/%Y %H:%M")}</td>\n'
            f'  <td>{due_cell}</td>\n  <td><span class="badge">{state_cell}</span></td>\n</tr>\n'))
    return rows


class _OpenEndedPage(Page):
    """A page of a list that was not counted: whether more follow is known from one row read beyond it."""

    def __init__(self, rows, number):
        more = len(rows) > selectors.PAGE_SIZE
        paginator = Paginator([], selectors.PAGE_SIZE)
        paginator.count = (number - 1) * selectors.PAGE_SIZE + min(len(rows), selectors.PAGE_SIZE)
        paginator.num_pages = None  # unknown: the pager says "page n" and offers the next one
        super().__init__(rows[:selectors.PAGE_SIZE], number, paginator)
        self.more = more

    def has_next(self):
        return self.more

    def next_page_number(self):
        return self.number + 1

    def previous_page_number(self):
        return self.number - 1


def _open_ended_page(items, number):
    """One page of ``items`` read with one row more, without counting them all."""
    try:
        number = min(max(int(number), 1), 100_000)  # OFFSET stays a bigint
    except (TypeError, ValueError):
        number = 1
    start = (number - 1) * selectors.PAGE_SIZE
    page = _OpenEndedPage(list(items[start:start + selectors.PAGE_SIZE + 1]), number)
    return page, page.more


def _grouped(number):
    """1000 as "1.000" in Vietnamese, "1,000" in English (the vi locale of Django does not group digits)."""
    return f"{number:,}".replace(",", get_format("THOUSAND_SEPARATOR"))


def _badge(count, more):
    """A tab's count; "" when it was not counted; "hơn 20" ("20+") when more follow the rows read so far."""
    if count is None:
        return ""
    # Translators: a count with more after it, e.g. "1,000+" (Vietnamese: "hơn 1.000").
    return _("%(count)s+") % {"count": _grouped(count)} if more else count


@official_required
@require_safe
def desk(request):
    if not access.is_receiver(request.user):
        raise PermissionDenied(_("The one-stop desk is for receivers."))
    receptions = Paginator(selectors.desk(request.user, WorkItem.Kind.RECEPTION), selectors.PAGE_SIZE)
    returns = Paginator(selectors.desk(request.user, WorkItem.Kind.RETURN), selectors.PAGE_SIZE)
    return render(request, "workspace/desk.html", {
        "receptions": receptions.get_page(request.GET.get("page")),
        "returns": returns.get_page(request.GET.get("rpage")),
    })


# --- one work item --------------------------------------------------------------------------------------

def _item_context(request, item, **extra):
    dossier = item.dossier
    files = selectors.attachments(dossier)
    context = {
        "item": item, "dossier": dossier, "applicant": selectors.applicant_name(dossier),
        "citizen": getattr(dossier.applicant, "citizen", None), "form_rows": selectors.form_rows(dossier),
        "files": files, "timeline": selectors.timeline(dossier), "route": selectors.route(dossier),
        "can_act": item.is_active and access.may_act_on(item, request.user)
        and item.claimed_by_id in (None, request.user.pk),
        "held_by_me": item.claimed_by_id == request.user.pk,
        "decision": selectors.decision_label(item.form, item.decision) if item.decision else "",
        "is_leader": access.is_leader_of(request.user, item.agency_id),
        "comment_form": extra.pop("comment_form", None) or forms.CommentForm(),
        "incidents": selectors.open_incidents(dossier),
        "case_file": worklist.case_file(dossier),
        "forms_urls": {n: selectors.document_url(f"documents:form0{n}", dossier.code) for n in (1, 2, 3)},
    }
    if item.kind == WorkItem.Kind.RECEPTION:
        context["checklist"], context["scans"] = selectors.checklist(dossier, files)
        documents = dossier.procedure.documents or []
        shown = content.content_language(dossier.procedure)
        for decision in ("accept", "supplement", "refuse"):
            context[f"{decision}_form"] = forms.ReceptionForm(documents, initial={"decision": decision},
                                                              language=shown)
    elif item.kind == WorkItem.Kind.RETURN:
        context["return_form"] = forms.ReturnForm()
    else:
        context["step_form"] = forms.StepForm(item.form)
        context["exchanges"] = selectors.exchanges(dossier, (get_language() or "vi")[:2])
        where = runtime.positions(dossier.process) if dossier.process_id else {"current": [], "done": []}
        context["diagram"] = {"xml_url": reverse("dossier-diagram-bpmn", kwargs={"code": dossier.code}),
                              "current": ",".join(where["current"]), "done": ",".join(where["done"])}
    if context["is_leader"] and item.is_active:
        context["reassign_form"] = forms.ReassignForm(worklist.officials_for(item))
    context.update(extra)
    return context


def _render_item(request, item, status=200, **extra):
    templates = {WorkItem.Kind.RECEPTION: "workspace/reception.html", WorkItem.Kind.RETURN: "workspace/return.html"}
    template = templates.get(item.kind, "workspace/item.html")
    return render(request, template, _item_context(request, item, **extra), status=status)


@official_required
@require_safe
def item(request, pk):
    return _render_item(request, _item_or_403(request, pk))


def _back(item):
    return redirect("workspace:item", pk=item.pk)


@official_required
@require_POST
def claim(request, pk):
    item = _item_or_403(request, pk, act=True)
    done, _error = _attempt(request, lambda: dossiers.claim_work_item(item, request.user), refusal_as_message=True)
    if done is not None:
        messages.success(request, _("You hold this step now."))
    return _back(item)


@official_required
@require_POST
def unclaim(request, pk):
    item = _item_or_403(request, pk, act=True)
    done, _error = _attempt(request, lambda: dossiers.unclaim_work_item(item, request.user),
                            refusal_as_message=True)
    if done is not None:
        messages.success(request, _("The step is back in the queue for anyone to claim."))
        return redirect("workspace:queue")
    return _back(item)


@official_required
@require_POST
def complete(request, pk):
    item = _item_or_403(request, pk, act=True)
    if item.kind != WorkItem.Kind.TASK:  # the desk's steps have their own forms
        raise Http404
    form = forms.StepForm(item.form, request.POST)
    if form.is_valid():
        decision, data, comment = form.submission()
        done, error = _attempt(request, lambda: dossiers.complete_work_item(
            item, request.user, decision=decision, data=data, comment=comment), refusal_as_message=True)
        if done is not None:
            messages.success(request, _("Step “%(step)s” of dossier %(code)s is done.")
                             % {"step": bilingual(item.name), "code": item.dossier.code})
            return redirect("workspace:queue")
        if error is None:  # a conflict: the message says why
            return _back(item)
        forms.apply_errors(form, error.errors or {"__all__": [error.message]}, rename=form.error_names())
    return _render_item(request, item, status=400, step_form=form)


@official_required
@require_POST
def receive(request, pk):
    item = _item_or_403(request, pk, act=True)
    if item.kind != WorkItem.Kind.RECEPTION:
        raise Http404
    form = forms.ReceptionForm(item.dossier.procedure.documents or [], request.POST,
                               language=content.content_language(item.dossier.procedure))
    if form.is_valid():
        decision = form.cleaned_data["decision"]
        done, error = _attempt(request, lambda: services.decide_reception(
            item, request.user, decision=decision, missing_documents=form.missing_documents(),
            note=form.cleaned_data["note"]), refusal_as_message=True)
        if done is not None:
            messages.success(request, {
                "accept": _("Dossier %(code)s is received. Appointment date: %(date)s."),
                "supplement": _("Dossier %(code)s: the applicant is asked to supplement it."),
                "refuse": _("Dossier %(code)s is refused."),
            }[decision] % {"code": done.code,
                           "date": done.appointment_date.strftime("%d/%m/%Y") if done.appointment_date else ""})
            return _back(item)
        if error is None:
            return _back(item)
        forms.apply_errors(form, error.errors or {"__all__": [error.message]},
                           rename={"missing_documents": "missing", "comment": "note"})
    decision = form.data.get("decision", "")
    return _render_item(request, item, status=400, **{f"{decision}_form": form, "failed": decision})


@official_required
@require_POST
def hand_over(request, pk):
    item = _item_or_403(request, pk, act=True)
    if item.kind != WorkItem.Kind.RETURN:
        raise Http404
    form = forms.ReturnForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        done, error = _attempt(request, lambda: dossiers.hand_over_result(
            item, request.user, collector_name=data["collector_name"],
            collector_id_number=data["collector_id_number"], result_file=data["result_file"]),
            refusal_as_message=True)
        if done is not None:
            messages.success(request, _("The result of dossier %(code)s is handed over.") % {"code": done.code})
            return _back(item)
        if error is None:
            return _back(item)
        forms.apply_errors(form, error.errors or {"result_file": [error.message]})
    return _render_item(request, item, status=400, return_form=form)


@official_required
@require_POST
def comment(request, pk):
    item = _item_or_403(request, pk)
    form = forms.CommentForm(request.POST)
    if form.is_valid():
        done, error = _attempt(request, lambda: dossiers.comment_on(item, request.user, form.cleaned_data["text"]))
        if done is not None:
            messages.success(request, _("Your comment is recorded."))
            return _back(item)
        if error is not None:
            forms.apply_errors(form, error.errors, rename={"comment": "text"})
    return _render_item(request, item, status=400, comment_form=form)


@official_required
@require_POST
def reassign(request, pk):
    item = _item_or_403(request, pk)
    if not access.is_leader_of(request.user, item.agency_id):
        raise PermissionDenied(_("Only a leader of this agency can reassign its work."))
    form = forms.ReassignForm(worklist.officials_for(item), request.POST)
    if form.is_valid():
        official = form.cleaned_data["official"]
        done, error = _attempt(request, lambda: dossiers.reassign_work_item(item, request.user, official))
        if done is not None:
            messages.success(request, _("The step is now with %(name)s.")
                             % {"name": official.get_full_name() or official.get_username()})
            return _back(item)
        if error is not None:
            forms.apply_errors(form, error.errors)
        else:
            return _back(item)
    return _render_item(request, item, status=400, reassign_form=form)


@official_required
@require_POST
def retry_incident(request, pk, incident):
    """Try a failed exchange or step of this item's dossier again (any official who sees the item)."""
    item = _item_or_403(request, pk)
    if not item.dossier.incidents.filter(pk=incident).exists():
        raise Http404
    done, _error = _attempt(request, lambda: dossiers.retry_incident(incident, request.user))
    if done is not None:
        messages.success(request, _("Tried again: “%(step)s”.") % {"step": bilingual(done.element_name)})
    return _back(item)


# --- a paper dossier at the desk -----------------------------------------------------------------------------

def _desk_agencies(user):
    return list(access.agencies_of(user, OfficialRole.RECEIVER).filter(is_active=True).order_by("name"))


@official_required
@require_http_methods(["GET", "HEAD", "POST"])
def intake(request):
    if not access.is_receiver(request.user):
        raise PermissionDenied(_("The one-stop desk is for receivers."))
    desks = _desk_agencies(request.user)
    # Only the procedures one of the user's desks takes in (by the procedure's receiving level).
    procedures = [p for p in Procedure.objects.filter(is_active=True).order_by("code")
                  if any(same_tier(a.level, p.receiving_level) for a in desks)]
    find = forms.FindCitizenForm(procedures, request.GET or None)
    context = {"find": find}
    if not find.is_valid():
        return render(request, "workspace/intake.html", context)
    procedure = next(p for p in procedures if p.code == find.cleaned_data["procedure"])
    id_number = find.cleaned_data["id_number"]
    citizen = Citizen.objects.filter(id_number=id_number).first()
    agencies = [a for a in desks if same_tier(a.level, procedure.receiving_level)]
    context.update(procedure=procedure, citizen=citizen, id_number=id_number, agencies=agencies)
    schema = procedure.form_schema or {}
    if request.method != "POST":
        context.update(form=forms.IntakeForm(agencies, citizen), schema_form=SchemaForm(schema, prefix="f"))
        return render(request, "workspace/intake.html", context)
    form = forms.IntakeForm(agencies, citizen, request.POST, request.FILES)
    schema_form = SchemaForm(schema, data=request.POST, prefix="f")
    context.update(form=form, schema_form=schema_form)
    if form.is_valid() and schema_form.is_valid():
        data = form.cleaned_data
        dossier, error = _attempt(request, lambda: services.take_in_paper_dossier(
            request.user, id_number=id_number, procedure_code=procedure.code, agency_code=data["agency"],
            form_data=schema_form.json_data(), scan=data["scan"], full_name=data.get("full_name", ""),
            phone=data.get("phone", ""), address=data.get("address", "")))
        if dossier is not None:
            messages.success(request, _("Dossier %(code)s is received. Appointment date: %(date)s.")
                             % {"code": dossier.code, "date": dossier.appointment_date.strftime("%d/%m/%Y")})
            reception = dossier.work_items.filter(kind=WorkItem.Kind.RECEPTION).order_by("-id").first()
            return redirect("workspace:item", pk=reception.pk)
        if error is not None:
            errors = dict(error.errors or {"scan": [error.message]})
            forms.apply_errors(schema_form, errors.pop("form_data", {}))
            forms.apply_errors(form, errors)
    return render(request, "workspace/intake.html", context, status=400)
