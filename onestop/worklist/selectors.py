"""Reads of task queues and case files, shared by the API and the pages. No workflow is ever loaded here."""
from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Exists, QuerySet
from django.utils.translation import gettext as _

from onestop.core.text import bilingual
from onestop.organisation import access

from .forms import decision_field
from .models import WorkItem

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from onestop.dossiers.models import Dossier


def work_items_for(user: User) -> QuerySet[WorkItem]:
    return (
        WorkItem.objects.filter(access.queue_filter(user))
        .select_related("dossier", "dossier__procedure", "agency", "claimed_by")
        .order_by("due_date", "created_at", "id")
    )


def may_act_on_row(user: User) -> Exists:
    """``access.may_act_on`` as an expression on work items: the rule read with the item, in one query."""
    return access.may_act_on_row(user)


def officials_for(item: WorkItem) -> QuerySet[User]:
    """Who may be given this item: the officials holding its role in its agency."""
    return access.officials_holding(item.agency_id, item.role).order_by("first_name", "last_name", "username")


def case_file(dossier: Dossier, *, public_only: bool = False) -> list[dict]:
    """The dossier's case file: each completed step with what its official entered, labelled from its form.

    ``public_only`` keeps the fields the procedure marks public (``"public": true`` in the step's form) and
    the steps that have any: what the applicant may read. Officials read everything, the decision and
    comment included. One query, whatever the number of steps.
    """
    items = (dossier.work_items.filter(state=WorkItem.State.COMPLETED)
             .select_related("agency", "completed_by").order_by("completed_at", "id"))
    entries = []
    for item in items:
        fields = entered_fields(item.form, item.data or {}, public_only=public_only)
        if public_only and not fields:
            continue
        entry = {"work_item": item.pk, "step": bilingual(item.name), "kind": item.kind, "agency": item.agency,
                 "completed_at": item.completed_at, "fields": fields}
        if not public_only:
            user = item.completed_by
            entry.update(official=(user.get_full_name() or user.get_username()) if user else "",
                         decision=item.decision, decision_label=option_name(decision_field(item.form),
                                                                             item.decision),
                         comment=item.comment)
        entries.append(entry)
    return entries


def entered_fields(form: list[dict], data: dict, *, public_only: bool = False) -> list[dict]:
    """``[{id, label, value, text}]`` for the values in ``data``, in the form's order; ``text`` is for reading.
    Labels and option names are in the active language (``bilingual``)."""
    rows = []
    for field in form or []:
        if field["id"] not in data or (public_only and not field.get("public")):
            continue
        value = data[field["id"]]
        rows.append({"id": field["id"], "label": bilingual(field.get("label")) or field["id"], "value": value,
                     "text": display_value(field, value)})
    return rows


def option_name(field: dict | None, value: str) -> str:
    for option in (field or {}).get("options", []):
        if option["id"] == value:
            return bilingual(option["name"])
    return value or ""


def display_value(field: dict, value: object) -> str:
    """A stored form value as an official or the applicant reads it (dd/mm/yyyy dates, option names)."""
    kind = field.get("type")
    if kind == "enum":
        return option_name(field, value)
    if kind == "boolean":
        return str(_("Yes") if value else _("No"))
    if kind == "date":
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except (TypeError, ValueError):
            return str(value)
    if kind == "list":
        return ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
    return str(value)
