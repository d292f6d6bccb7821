"""The one door to change a dossier: take its row lock first, then read what the change needs.

Every use case of the lifecycle (and every app above it that changes a dossier) locks it through
``lock_dossier``; two changes of one dossier then run one after the other, never interleaved.
"""
from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection, connections
from django.db.models import Exists, OuterRef, Subquery
from django.db.models.functions import JSONObject
from django.db.models.query import get_related_populators
from django.utils.translation import gettext as _

from onestop.core import refcache
from onestop.core.exceptions import NotFound
from onestop.deadlines.models import Timer
from onestop.engine.models import ProcessInstance
from onestop.interop.models import Exchange
from onestop.organisation import access
from onestop.organisation.models import Agency
from onestop.worklist import services as worklist
from onestop.worklist.models import WorkItem
from procedures.models import Procedure, ProcedureVersion

from ..models import Dossier, Handover
from .transitions import remember

if TYPE_CHECKING:
    from django.contrib.auth.models import User

VERSIONS = "lifecycle-versions"
refcache.invalidate_on(ProcedureVersion, VERSIONS)
# The procedures and agencies of dossiers (neither changes while dossiers run): kept per process, so that the
# lock reads the dossier's row alone instead of joining them (``core.refcache``).
REFS = "lifecycle-refs"
for _model in (Procedure, Agency):
    refcache.invalidate_on(_model, REFS)
_AGENCY_PARENT = Agency._meta.get_field("parent")
_DOSSIER_PROCEDURE = Dossier._meta.get_field("procedure")
_DOSSIER_AGENCY = Dossier._meta.get_field("receiving_agency")
_ITEM_AGENCY = WorkItem._meta.get_field("agency")
_ITEM_HOLDER = WorkItem._meta.get_field("claimed_by")
_PROCESS_VERSION = ProcessInstance._meta.get_field("version")


def _procedure(pk: int) -> Procedure:
    # Its documents and form schema (JSON, often kilobytes) are read only where used.
    return refcache.rebuild(refcache.cache(REFS).get(("procedure", pk), lambda: refcache.row(
        Procedure.objects.defer("documents", "form_schema").get(pk=pk))))


def agency_line(pk: int) -> Agency:
    """The agency ``pk`` with its parents up to the root set on it (``Agency.lineage`` walks them, no query)."""
    def load():  # a city's tree is 3-4 levels deep: one query
        agency = Agency.objects.select_related("parent__parent__parent").get(pk=pk)
        return [refcache.row(each) for each in agency.lineage()]

    line = [refcache.rebuild(kept) for kept in refcache.cache(REFS).get(("agency", pk), load)]
    for child, parent in zip(line, line[1:], strict=False):
        _AGENCY_PARENT.set_cached_value(child, parent)
    return line[0]


def _with_refs(dossier: Dossier) -> Dossier:
    _DOSSIER_PROCEDURE.set_cached_value(dossier, _procedure(dossier.procedure_id))
    _DOSSIER_AGENCY.set_cached_value(dossier, agency_line(dossier.receiving_agency_id))
    dossier.row_locked = True  # what follows the change in its transaction need not lock it again (the outbox)
    remember(dossier)  # written later by what changed only (``transitions.save``)
    return dossier


class _Prepared:
    """A query of a fixed shape, built and compiled by Django once per process, then run with new parameters.

    Django builds and compiles a query on every call (about 1 ms for the lock's, more than PostgreSQL takes to run
    it). ``build(*markers)`` makes the queryset with marker values where the parameters go; the compiled SQL is kept
    with the positions of the markers among its parameters, and rows become instances as Django's own iterator
    makes them (the converters, ``select_related``, the annotations).
    """

    def __init__(self, build, markers):
        self.build, self.markers, self.compiled = build, markers, None

    def _compile(self):
        queryset = self.build(*self.markers)
        compiler = queryset.query.get_compiler(queryset.db)
        sql, params = compiler.as_sql()
        places = [[i for i, value in enumerate(params) if value == marker] for marker in self.markers]
        if not all(places):
            raise RuntimeError("a marker is missing from the compiled query's parameters")
        select, klass_info = compiler.select, compiler.klass_info
        fields = klass_info["select_fields"]
        self.compiled = (
            sql, list(params), places, queryset.db, klass_info["model"], fields[0], fields[-1] + 1,
            [f[0].target.attname for f in select[fields[0]:fields[-1] + 1]],
            get_related_populators(klass_info, select, queryset.db), dict(compiler.annotation_col_map),
            list(compiler.get_converters([column[0] for column in select]).items()),
        )

    def first(self, *values):
        """The first row as an instance of the query's model, or None."""
        if self.compiled is None:
            self._compile()
        sql, params, places, db, model, start, end, init, related, annotations, converters = self.compiled
        params = list(params)
        for value, where in zip(values, places, strict=True):
            for i in where:
                params[i] = value
        connection = connections[db]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        if row is None:
            return None
        row = list(row)
        for pos, (convert, expression) in converters:
            value = row[pos]
            for converter in convert:
                value = converter(value, expression, connection)
            row[pos] = value
        instance = model.from_db(db, init, row[start:end])
        for populator in related:
            populator.populate(row, instance)
        for name, pos in annotations.items():
            setattr(instance, name, row[pos])
        return instance


# Marker parameters of the prepared queries (no row has a negative id).
_USER, _PK, _DOSSIER = -7_000_001, -7_000_002, -7_000_003


def lock_dossier(dossier_id: int, *, with_process: bool = False, skip_locked: bool = False) -> Dossier | None:
    """The dossier, row-locked, with what every change reads: its procedure and its receiving agency up to
    the city (routing walks that line: ``Agency.lineage``), both from the per-process reference cache.

    ``with_process`` then reads its workflow state and version, in a query of its own *after* the lock:
    PostgreSQL re-reads only the locked row when a lock wait ends, so a joined process would be the one
    from before the wait (two exchanges resuming one dossier would lose one). The BPMN text is read only
    if the engine has not parsed that version yet.

    ``skip_locked`` answers None instead of waiting when another transaction holds the dossier (beat's
    timers leave a dossier an official is changing for their next run).
    """
    dossier = _LOCKED[skip_locked].first(dossier_id)
    if dossier is None:
        if skip_locked:
            return None
        raise Dossier.DoesNotExist
    _with_refs(dossier)
    if with_process:
        _read_process(dossier)
    return dossier


_LOCKED = {skip: _Prepared(lambda pk, skip=skip: Dossier.objects.select_for_update(skip_locked=skip).filter(pk=pk)
                           .order_by()[:1], (_PK,)) for skip in (False, True)}


def _read_process(dossier: Dossier) -> None:
    """The process and its version; with them, in the same statement, what its advance reads of the dossier: its
    active steps (``dossier.active_rows``, ``worklist.active_items``), whether it has a pending timer and which
    service tasks have their exchange already (``dossier.timers_pending``, ``dossier.exchange_tasks``: the advance
    reads neither table when the process waits on no timer and no service task, ``deadlines.sync_timers``,
    ``interop.open_exchanges``). Read after the lock, like the process, so that a lock wait cannot hide a row."""
    if not dossier.process_id:  # the process starts on this version
        dossier.version = _version(dossier.version_id)
        return
    if connection.vendor != "postgresql":
        # SQLite (the demo of ``make run``) has no arrays: the process alone; the advance reads the rest itself.
        process = ProcessInstance.objects.get(pk=dossier.process_id)
    else:
        process = _PROCESS.first(dossier.process_id, dossier.pk)
        if process is None:
            raise ProcessInstance.DoesNotExist
        dossier.timers_pending = process.timers_pending
        dossier.exchange_tasks = set(process.exchange_tasks)
        dossier.active_rows = process.active_rows
    _PROCESS_VERSION.set_cached_value(process, _version(process.version_id))
    dossier.process = process


def _process_query(pk, dossier_id):
    pending = Timer.objects.filter(dossier_id=dossier_id, state=Timer.State.PENDING)
    exchanges = Exchange.objects.filter(dossier_id=dossier_id).order_by().values("task_id")
    active = (WorkItem.objects.filter(dossier_id=dossier_id, state__in=WorkItem.ACTIVE_STATES).order_by("id")
              .values(row=JSONObject(**{name: name for name in worklist.ACTIVE_FIELDS})))
    return (ProcessInstance.objects.annotate(timers_pending=Exists(pending), exchange_tasks=ArraySubquery(exchanges),
                                             active_rows=ArraySubquery(active))
            .filter(pk=pk).order_by()[:1])


_PROCESS = _Prepared(_process_query, (_PK, _DOSSIER))


def _version(pk: int) -> ProcedureVersion:
    """A version without its BPMN text, kept per process like the other reference data a step reads."""
    return refcache.rebuild(refcache.cache(VERSIONS).get(pk, lambda: refcache.row(
        ProcedureVersion.objects.defer("bpmn_xml", "report").get(pk=pk))))


# The steps whose completion runs the process (a task) or starts it (the reception).
PROCESS_KINDS = (WorkItem.Kind.TASK, WorkItem.Kind.RECEPTION)


def locked_item(item: WorkItem, *, with_process: bool = False) -> tuple[Dossier, WorkItem]:
    """The work item's dossier locked (see ``lock_dossier``), then the item itself, read again under the lock."""
    dossier = lock_dossier(item.dossier_id, with_process=with_process)
    item = _ITEM.first(item.pk)
    if item is None:
        raise WorkItem.DoesNotExist
    _with_item_refs(item, dossier, None)
    return dossier, item


_ITEM = _Prepared(lambda pk: WorkItem.objects.select_for_update().filter(pk=pk).order_by()[:1], (_PK,))


def _with_item_refs(item: WorkItem, dossier: Dossier, user: User | None) -> None:
    """The item's dossier (the answer names it and its procedure), its agency from the reference cache, and its
    holder when that is ``user`` (anyone else's is read if needed: the refusal names them)."""
    WorkItem.dossier.field.set_cached_value(item, dossier)
    agency = None
    if item.agency_id is not None:
        agency = (dossier.receiving_agency if item.agency_id == dossier.receiving_agency_id
                  else agency_line(item.agency_id))
    _ITEM_AGENCY.set_cached_value(item, agency)
    if user is not None and item.claimed_by_id == user.pk:
        _ITEM_HOLDER.set_cached_value(item, user)


def queued_item(pk: int | str, user: User, *, with_process: bool = False,
                with_applicant: bool = False) -> tuple[Dossier, WorkItem]:
    """The work item ``pk`` of ``user``'s queues and its dossier, both row-locked, in one statement: the queue
    check, the item and its dossier, and the open leg of the dossier's route to the item's agency
    (``item.open_leg``, for ``note_received``). What every change reads besides (the procedure, the agencies up
    to the city) comes from the per-process reference cache (see ``lock_dossier``); the item's holder is
    ``user`` or read when needed.

    ``FOR UPDATE OF`` locks the dossier before the item (the order every other change takes them in), and a
    lock wait re-reads both rows. An item the user may not act on, or no item, is not found (404).

    ``with_applicant``: the applicant and their citizen record are read in the same statement (a change they
    are told of needs their addresses: no query of its own then).
    """
    if not str(pk).isdigit():
        raise NotFound(_("No such step in your queues."))
    item = _QUEUED[with_applicant].first(user.pk, int(pk))
    if item is None or not item.may_act:
        raise NotFound(_("No such step in your queues."))
    dossier = _with_refs(item.dossier)
    _with_item_refs(item, dossier, user)
    if with_process and item.kind in PROCESS_KINDS:
        _read_process(dossier)
    return dossier, item


def _queued_query(user_id, pk, related):
    leg = (Handover.objects.filter(dossier_id=OuterRef("dossier_id"), to_agency_id=OuterRef("agency_id"),
                                   received_by__isnull=True).order_by("-id").values("id")[:1])
    return (WorkItem.objects.select_related(related)
            .annotate(may_act=access.may_act_on_row(get_user_model()(pk=user_id)), open_leg=Subquery(leg))
            .select_for_update(of=("dossier", "self")).filter(pk=pk).order_by()[:1])


_QUEUED = {with_applicant: _Prepared(partial(_queued_query, related=related), (_USER, _PK))
           for with_applicant, related in ((False, "dossier"), (True, "dossier__applicant__citizen"))}


def applicants_dossier(user: User, code: str) -> Dossier:
    """The applicant's own dossier ``code``, locked; another person's is not found."""
    dossier = Dossier.objects.filter(code=code, applicant=user).values_list("pk", flat=True).first()
    if dossier is None:
        raise NotFound(_("No such dossier."))
    return lock_dossier(dossier)
