"""CSV and XLSX files of the figures, of the dossier register (form 07) and of the control sheet (form 06).

The columns are declared once (``COLUMNS``) for the page, the files and the API. Dates are written as
real dates in local time (Asia/Ho_Chi_Minh, shown dd/mm/yyyy), so a spreadsheet can sort and filter them.
"""
import csv
import io
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from onestop.deadlines.models import Timeliness

from . import selectors

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE, MOMENT = "DD/MM/YYYY", "DD/MM/YYYY HH:MM"

DIMENSION_LABELS = {"agency": gettext_lazy("Agency"), "procedure": gettext_lazy("Procedure"),
                    "channel": gettext_lazy("Channel"), "month": gettext_lazy("Month")}
COLUMNS = [
    ("received", gettext_lazy("Received")),
    ("resolved", gettext_lazy("Resolved")),
    ("early", gettext_lazy("Early")),
    ("on_time", gettext_lazy("On time")),
    ("late", gettext_lazy("Late")),
    ("on_time_rate", gettext_lazy("On-time rate (%)")),
    ("pending", pgettext_lazy("report column", "Pending")),
    ("pending_within", gettext_lazy("Pending, within time")),
    ("pending_overdue", gettext_lazy("Pending, overdue")),
    ("avg_days", gettext_lazy("Average processing days")),
    ("rating_avg", gettext_lazy("Average rating (1-5)")),
    ("rating_count", gettext_lazy("Ratings")),
    ("extended", gettext_lazy("Extended (form 04)")),
    # Decision 766/QĐ-TTg (docs/reports.md)
    ("online_rate", gettext_lazy("Received online (%)")),
    ("full_online_rate", gettext_lazy("Procedures fully online (%)")),
    ("digitised_rate", gettext_lazy("Dossiers digitised (%)")),
    ("results_digitised_rate", gettext_lazy("Results digitised (%)")),
    ("satisfaction_rate", gettext_lazy("Satisfied (%)")),
    ("avg_working_days", gettext_lazy("Average processing working days")),
]


def dimension_value(row, dimension):
    value = row.get(dimension)
    if dimension == "month":
        return value.strftime("%m/%Y") if value else ""
    if isinstance(value, dict):
        return value["name"] if dimension != "procedure" else f"{value['code']} – {value['name']}"
    return value or ""


def summary_table(report):
    """Header and rows (the last one the totals) as plain values: what every format writes."""
    by = report["group_by"]
    header = [str(DIMENSION_LABELS[d]) for d in by] + [str(label) for _key, label in COLUMNS]
    rows = [[dimension_value(r, d) for d in by] + [r[key] for key, _label in COLUMNS] for r in report["rows"]]
    totals = [str(_("Total"))] + [""] * (len(by) - 1) + [report["totals"][key] for key, _label in COLUMNS]
    return header, rows + [totals]


def _filename(stem, filters, ext):
    return f"{stem}-{filters.date_from:%Y%m%d}-{filters.date_to:%Y%m%d}.{ext}"


def _download(content, content_type, filename):
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def summary_csv(report, filters):
    header, rows = summary_table(report)
    out = io.StringIO()
    out.write("\ufeff")  # so that spreadsheet programs read the Vietnamese as UTF-8
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[_csv(v) for v in row] for row in rows])
    return _download(out.getvalue().encode("utf-8"), "text/csv; charset=utf-8",
                     _filename("bao-cao", filters, "csv"))


def _csv(value):
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value  # shown as text by spreadsheet programs (formula injection)
    return value


EXTENSION_HEADER = [
    gettext_lazy("No."), gettext_lazy("Dossier code"), gettext_lazy("Procedure"), gettext_lazy("Agency"),
    gettext_lazy("Asked at"), gettext_lazy("Original appointment"), gettext_lazy("New appointment"),
    gettext_lazy("Reason"), gettext_lazy("Early / on time / late"),
]


def extension_rows(extensions):
    for n, e in enumerate(extensions["rows"], 1):
        yield [n, e["code"], e["procedure"]["name"], e["agency"]["name"], e["asked_at"],
               e["original_appointment_date"], e["new_date"], e["reason"], str(TIMELINESS.get(e["timeliness"], ""))]


def summary_xlsx(report, filters, extensions=None):
    header, rows = summary_table(report)
    title = _("On-time resolution of dossiers, %(start)s – %(end)s") % {
        "start": f"{filters.date_from:%d/%m/%Y}", "end": f"{filters.date_to:%d/%m/%Y}"}
    book, sheet = _book(_("Figures"))
    sheet.append([_bold(sheet, title)])
    sheet.append([_("Pending as of %(date)s") % {"date": f"{report['as_of']:%d/%m/%Y}"}])
    sheet.append([_bold(sheet, h) for h in header])
    for row in rows[:-1]:
        sheet.append([_cell(sheet, v) for v in row])
    sheet.append([_bold(sheet, v) for v in rows[-1]])
    if extensions is not None:
        sheet = book.create_sheet(str(_("Extensions (form 04)"))[:31])
        sheet.append([_bold(sheet, _("Extensions of the appointment date asked in the period: %(count)s")
                            % {"count": extensions["count"]})])
        sheet.append([_bold(sheet, str(h)) for h in EXTENSION_HEADER])
        for row in extension_rows(extensions):
            sheet.append([_cell(sheet, v) for v in row])
    return _download(_save(book), XLSX, _filename("bao-cao", filters, "xlsx"))


def register_rows(dossiers):
    """Form 07's columns for each dossier."""
    for n, d in enumerate(dossiers, 1):
        note = d.get_status_display()
        if d.timeliness:
            note = f"{note} ({d.get_timeliness_display()})"
        yield [n, d.code, d.procedure.display_name, selectors.applicant_name(d), selectors.applicant_contact(d),
               d.received_at, d.appointment_date, d.handed_over_at, d.result_at, selectors.returned_at(d), note]


REGISTER_HEADER = [
    gettext_lazy("No."), gettext_lazy("Dossier code"), gettext_lazy("Procedure"), gettext_lazy("Applicant"),
    gettext_lazy("Address, phone"), gettext_lazy("Received"), gettext_lazy("Appointment"),
    gettext_lazy("Handed over for processing"), gettext_lazy("Result"), gettext_lazy("Returned to the applicant"),
    gettext_lazy("Note"),
]


def register_xlsx(agency, date_from, date_to, dossiers):
    book, sheet = _book(_("Form 07"))
    sheet.append([_bold(sheet, _("DOSSIER REGISTER (form 07)"))])
    sheet.append([f"{agency.name} · {date_from:%d/%m/%Y} – {date_to:%d/%m/%Y}"])
    sheet.append([_bold(sheet, str(h)) for h in REGISTER_HEADER])
    for row in register_rows(dossiers.iterator(chunk_size=2000)):
        sheet.append([_cell(sheet, v) for v in row])
    return _download(_save(book), XLSX, f"so-theo-doi-{agency.code}-{date_from:%Y%m%d}-{date_to:%Y%m%d}.xlsx")


CONTROL_HEADER = [
    gettext_lazy("No."), gettext_lazy("Giving agency"), gettext_lazy("Given by"), gettext_lazy("Receiving side"),
    gettext_lazy("Received by"), gettext_lazy("Handed over at"), gettext_lazy("Received at"), gettext_lazy("Result"),
    gettext_lazy("Early / on time / late"), gettext_lazy("Note"),
]


TIMELINESS = dict(Timeliness.choices)


def person(user):
    return (user.get_full_name() or user.get_username()) if user else ""


def control_rows(rows):
    """Form 06's columns for each hand-over (``selectors.handovers``)."""
    for n, r in enumerate(rows, 1):
        yield [n, r.giver_agency, r.giver, r.receiver_agency, r.receiver, r.handed_at, r.received_at, r.result,
               r.timeliness, r.note]


def control_xlsx(dossier, rows):
    book, sheet = _book(_("Form 06"))
    sheet.append([_bold(sheet, _("PROCESSING CONTROL SHEET (form 06)"))])
    sheet.append([_("Dossier code"), dossier.code])
    sheet.append([_("Procedure"), _cell(sheet, dossier.procedure.name)])
    sheet.append([_("Applicant"), _cell(sheet, selectors.applicant_name(dossier))])
    sheet.append([_("Received"), _cell(sheet, dossier.received_at)])
    sheet.append([_("Appointment"), _cell(sheet, dossier.appointment_date)])
    sheet.append([])
    sheet.append([_bold(sheet, str(h)) for h in CONTROL_HEADER])
    for row in control_rows(rows):
        sheet.append([_cell(sheet, v) for v in row])
    return _download(_save(book), XLSX, f"phieu-kiem-soat-{dossier.code}.xlsx")


def interconnection_table(found):
    """The matrix as a table: a row a procedure, a column an agency or system; a cell "Y", "X" or "Y, X",
    with "(horizontal)" or "(vertical)" seen from the receiving agency."""
    columns = found["columns"]
    header = [str(_("Procedure code")), str(_("Procedure"))] + [name for _key, _code, name in columns]
    words = {"horizontal": str(_("horizontal")), "vertical": str(_("vertical"))}
    rows = []
    for procedure in found["procedures"]:
        cells = {e.key: e for e in procedure["entries"]}
        row = [procedure["procedure"].code, procedure["procedure"].display_name]
        for key, _code, _name in columns:
            e = cells.get(key)
            if e is None:
                row.append("")
            else:
                direction = ", ".join(words[d] for d in ("horizontal", "vertical") if d in e.directions)
                row.append(f"{e.mark} ({direction})" if direction else e.mark)
        rows.append(row)
    return header, rows


def interconnection_csv(found):
    header, rows = interconnection_table(found)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([[_csv(v) for v in row] for row in rows])
    return _download(out.getvalue().encode("utf-8"), "text/csv; charset=utf-8", "ma-tran-lien-thong.csv")


def interconnection_xlsx(found):
    header, rows = interconnection_table(found)
    book, sheet = _book(_("Interconnection"))
    sheet.append([_bold(sheet, _("INTERCONNECTION MATRIX"))])
    sheet.append([_("Y: takes part in the process; X: supplies an input")])
    sheet.append([_bold(sheet, h) for h in header])
    for row in rows:
        sheet.append([_cell(sheet, v) for v in row])
    return _download(_save(book), XLSX, "ma-tran-lien-thong.xlsx")


# --- openpyxl ----------------------------------------------------------------------------------------
# Imported when a spreadsheet is made: it takes about 170 ms, which every web process would otherwise pay at boot.

def _book(title):
    from openpyxl import Workbook

    # Write-only: rows stream to the file, so a register of many thousand rows stays small in memory.
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    return book, sheet


def _save(book):
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _bold(sheet, value):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True)
    return cell


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(sheet, value):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, str) and value.startswith(FORMULA_START):
        # Text typed by people (a name, a comment) is never a formula in the file (formula injection).
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=timezone.localtime(value).replace(tzinfo=None))
        cell.number_format = MOMENT
        return cell
    if hasattr(value, "isoformat") and not isinstance(value, str):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE
        return cell
    return value
