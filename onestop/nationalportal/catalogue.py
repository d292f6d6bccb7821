"""The procedure catalogue from the national procedure database (Cơ sở dữ liệu quốc gia về thủ tục hành chính),
in the shape its ``LayThuTuc`` service answers: ``{"error_code": 0, "result": [procedure, ...]}``.

Each procedure is created or updated by its national code: names, field, legal time (working days), fee,
documents, levels. The applicant's form (JSON Schema) and the BPMN versions are ours and left as they are; a
new procedure has no published version, so it takes no dossiers until an admin uploads and publishes one.
"""
import math
from dataclasses import dataclass, field

from django.db import transaction

from procedures.models import CatalogueEvent, Procedure

from . import protocol

LEVEL_ORDER = ["province", "department", "district", "ward", "commune"]  # most central first


@dataclass
class ImportReport:
    created: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    problems: list = field(default_factory=list)  # (code or position, sentence)


def _get(record, name, default=None):
    return record.get(protocol.protocol()["catalogue_fields"][name], default)


def _as_list(value):
    if value is None or value == "":
        return []
    return value if isinstance(value, list) else [value]


def _days(record) -> int | None:
    """The shortest legal time over the channels, in working days (hours count as eighths of a day)."""
    names = protocol.protocol()["catalogue_fields"]
    best = None
    for channel in _as_list(_get(record, "channels")):
        for time in _as_list(channel.get(names["times"])) if isinstance(channel, dict) else []:
            try:
                amount = float(time.get(names["days"]))
            except (TypeError, ValueError, AttributeError):
                continue
            unit = str(time.get(names["time_unit"], "")).lower()
            days = math.ceil(amount / 8) if "giờ" in unit or "hour" in unit else math.ceil(amount)
            best = days if best is None else min(best, days)
    return best


def _fee(record) -> tuple[int, str]:
    names = protocol.protocol()["catalogue_fields"]
    for channel in _as_list(_get(record, "channels")):
        for time in _as_list(channel.get(names["times"])) if isinstance(channel, dict) else []:
            for fee in _as_list(time.get(names["fees"])) if isinstance(time, dict) else []:
                try:
                    return int(float(fee.get(names["fee_amount"]) or 0)), str(fee.get(names["fee_note"]) or "")[:300]
                except (TypeError, ValueError, AttributeError):
                    continue
    return 0, ""


def _documents(record) -> list:
    names = protocol.protocol()["catalogue_fields"]
    documents = []
    for part in _as_list(_get(record, "dossier_parts")):
        for paper in _as_list(part.get(names["documents"])) if isinstance(part, dict) else []:
            name = str(paper.get(names["document_name"], "")).strip() if isinstance(paper, dict) else ""
            if name and all(d["name"] != name for d in documents):
                documents.append({"name": name, "name_en": "", "originals": 1, "copies": 0})
    return documents


def _levels(record) -> list:
    table = protocol.protocol()["catalogue_levels"]
    levels = []
    for entry in _as_list(_get(record, "level")):
        value = entry.get("CAPDONVI", entry.get("MACAP", "")) if isinstance(entry, dict) else entry
        level = table.get(str(value))
        if level and level not in levels:
            levels.append(level)
    return sorted(levels, key=LEVEL_ORDER.index)


def import_catalogue(export: dict, *, actor=None) -> ImportReport:
    """Create or update our procedures from a ``LayThuTuc`` export, each in its own transaction."""
    report = ImportReport()
    records = export.get(protocol.envelope_field("result"), export) if isinstance(export, dict) else export
    if not isinstance(records, list):
        report.problems.append(("-", "the export has no list of procedures"))
        return report
    online_levels = protocol.protocol()["catalogue_online_levels"]
    for position, record in enumerate(records, 1):
        if not isinstance(record, dict):
            report.problems.append((str(position), "not an object"))
            continue
        code = str(_get(record, "code", "")).strip()
        name = str(_get(record, "name", "")).strip()
        if not code or not name:
            report.problems.append((code or str(position), "no procedure code or name"))
            continue
        levels = _levels(record)
        days = _days(record)
        existing = Procedure.objects.filter(code=code).first()
        if existing is None and (not levels or days is None):
            report.problems.append((code, "a new procedure needs its level and its legal time"))
            continue
        fee, fee_note = _fee(record)
        fields = [f for f in _as_list(_get(record, "fields")) if isinstance(f, dict)]
        values = {
            "name": name[:300], "fee": fee, "fee_note": fee_note, "documents": _documents(record),
            "field": str(fields[0].get(protocol.protocol()["catalogue_fields"]["field_name"], ""))[:200]
            if fields else "",
        }
        if days is not None:
            values["processing_days"] = days
        if levels:
            values["competent_level"], values["receiving_level"] = levels[0], levels[-1]
        online = online_levels.get(str(_get(record, "online_level", "")))
        if online:
            values["online_level"] = online
        with transaction.atomic():
            if existing is None:
                values.setdefault("online_level", Procedure.OnlineLevel.PARTIAL)
                procedure = Procedure.objects.create(code=code, **values)
                report.created.append(code)
            else:
                procedure = Procedure.objects.select_for_update().get(pk=existing.pk)
                for name_, value in values.items():
                    setattr(procedure, name_, value)
                procedure.save()
                report.updated.append(code)
            CatalogueEvent.objects.create(procedure=procedure, action="imported_national", actor=actor,
                                          data={"source": protocol.service("procedure")})
    return report
