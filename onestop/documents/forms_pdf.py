"""The one-stop forms as PDFs (Circular 01/2018/TT-VPCP, replaced by Circular 03/2025/TT-VPCP).

- ``form_01(dossier)``: Giấy tiếp nhận hồ sơ và hẹn trả kết quả (receipt and appointment);
- ``form_02(dossier)``: Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (what to add, and why, given once);
- ``form_03(dossier)``: Phiếu từ chối tiếp nhận giải quyết hồ sơ (refusal, with the reason);
- ``form_04(dossier, *, reason, new_date, official, previous_date=None, agency=None, at=None)``:
  Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết (apology, asking to extend to the new date);
- ``form_05(dossier, *, reason, official, agency=None, at=None)``: Thông báo dừng giải quyết hồ sơ (stopped);
- ``form_06(dossier, rows)``: Phiếu kiểm soát quá trình giải quyết hồ sơ (every hand-over);
- ``form_07(agency, date_from, date_to, dossiers)``: Sổ theo dõi hồ sơ (the register of a period).

Each returns the PDF as bytes, or raises ``FormNotApplicable`` when the dossier has no such paper (form 01
before acceptance...). The forms are legal papers written in Vietnamese whatever the reader's language;
the embedded DejaVu Sans keeps every diacritic. Every page carries a QR code of the public lookup of the dossier.
See docs/forms.md for the wording and what was assumed.
"""
import itertools
from datetime import date, datetime
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode
from xml.sax.saxutils import escape

from django.conf import settings
from django.utils import timezone
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from . import selectors

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"
QR_SIZE = 24 * mm
QR_BORDER = 2  # modules of white around the code (the standard asks 4; the page margin adds the rest)
MARGINS = {"leftMargin": 25 * mm, "rightMargin": 18 * mm, "topMargin": 15 * mm, "bottomMargin": 36 * mm}
DESK = "Bộ phận Một cửa"
WIDTH = A4[0] - MARGINS["leftMargin"] - MARGINS["rightMargin"]


class FormNotApplicable(Exception):
    """The dossier has no such form (not accepted, no supplementation asked, not refused...)."""


def _register_fonts():
    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    pdfmetrics.registerFont(TTFont(REGULAR, FONTS / "DejaVuSans.ttf"))
    pdfmetrics.registerFont(TTFont(BOLD, FONTS / "DejaVuSans-Bold.ttf"))
    # No italic face is shipped: <i> falls back to the regular one.
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=REGULAR, boldItalic=BOLD)


def _styles():
    base = ParagraphStyle("body", fontName=REGULAR, fontSize=10.5, leading=14.5, alignment=TA_LEFT,
                          spaceAfter=3)
    return {
        "body": base,
        "center": ParagraphStyle("center", parent=base, alignment=TA_CENTER, spaceAfter=0),
        "head": ParagraphStyle("head", parent=base, fontSize=10, leading=13.5, alignment=TA_CENTER, spaceAfter=0),
        "agency": ParagraphStyle("agency", parent=base, fontSize=9.5, leading=13.5, alignment=TA_CENTER, spaceAfter=0),
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=12, spaceAfter=0),
        "cell": ParagraphStyle("cell", parent=base, fontSize=10, leading=13, spaceAfter=0),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=13.5, leading=18,
                                alignment=TA_CENTER, spaceBefore=10, spaceAfter=2),
    }


# --- values as printed ------------------------------------------------------------------------------

def _date(value):
    """dd/mm/yyyy, in Vietnam's time zone for a moment."""
    if value is None:
        return "…"
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return value.strftime("%d/%m/%Y")


def _moment(value):
    if value is None:
        return "…"
    local = timezone.localtime(value)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def _days(n):
    return f"{n:02d} ngày làm việc" if n else "trong ngày làm việc"


def _name(user):
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _e(text):
    return escape(str(text or ""))


def _place(agency):
    """Where the paper is written (Decree 30/2020): the locality of the agency, e.g. "Phường Bến Nghé"."""
    for each in agency.lineage():
        if each.name.lower().startswith("ủy ban nhân dân "):
            place = each.name[len("ủy ban nhân dân "):]
            return place[:1].upper() + place[1:]
    return ""


def lookup_link(code):
    """The public lookup page's address with ``code`` filled in (``ONESTOP_SITE_URL``)."""
    return f"{settings.ONESTOP_SITE_URL.rstrip('/')}/lookup/?{urlencode({'code': code})}"


def draw_qr(canvas, value, x, y, size):
    """A QR code of ``value`` (reportlab's encoder, error correction M) as one filled path, ``size`` wide.

    The widget's own drawing makes a shape object per run of dark modules and took half the time of a
    form; the modules are the widget's, drawn here as runs of rectangles in a single path.
    """
    qr = QrCodeWidget(value, barLevel="M").qr
    qr.make()
    count = qr.getModuleCount()
    box = size / (count + 2 * QR_BORDER)
    path = canvas.beginPath()
    for r, row in enumerate(qr.modules):
        c = 0
        for dark, run in itertools.groupby(bool(m) for m in row):
            length = len(list(run))
            if dark:
                path.rect(x + (c + QR_BORDER) * box, y + size - (r + QR_BORDER + 1) * box, length * box, box)
            c += length
    canvas.drawPath(path, stroke=0, fill=1)


# --- building blocks --------------------------------------------------------------------------------

class _Form:
    """One paper: the header of an administrative document, a title, a body, and a QR footer."""

    def __init__(self, dossier, number, title, *, agency=None, at=None, reference=None):
        _register_fonts()
        self.dossier, self.number, self.title = dossier, number, title
        self.reference = reference  # the "Số:" line under the agency (Decree 30/2020), "…" when not given
        self.agency = agency or dossier.receiving_agency
        self.at = at or timezone.now()
        self.s = _styles()
        self.story = []

    def header(self):
        """The agency (and the one above it) on the left, the national motto on the right, then the date."""
        s = self.s
        parent = self.agency.parent
        left = []
        if parent is not None:
            left.append(Paragraph(_e(parent.name.upper()), s["agency"]))
        left.append(Paragraph(f"<b>{_e(self.agency.name.upper())}</b>", s["agency"]))
        left.append(Paragraph("―――――", s["agency"]))
        left.append(Paragraph(f"Số: {_e(self.reference) or '……'}", s["agency"]))
        right = [
            Paragraph("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b>", s["head"]),
            Paragraph("<b>Độc lập - Tự do - Hạnh phúc</b>", s["head"]),
            Paragraph("―――――――――――", s["head"]),
        ]
        place = _place(self.agency)
        local = timezone.localtime(self.at)
        dated = f"ngày {local:%d} tháng {local:%m} năm {local:%Y}"
        dated = f"{_e(place)}, {dated}" if place else dated[:1].upper() + dated[1:]
        table = Table([[left, right], ["", Paragraph(f"<i>{dated}</i>", s["head"])]], colWidths=["48%", "52%"])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        number = ParagraphStyle("number", parent=s["small"], alignment=TA_RIGHT)
        self.story += [Paragraph(f"Mẫu số {self.number}", number), Spacer(1, 2 * mm), table,
                       Paragraph(self.title.upper(), s["title"])]

    def line(self, text):
        self.story.append(Paragraph(text, self.s["body"]))

    def fact(self, label, value):
        self.line(f"{label}: <b>{_e(value) or '…'}</b>")

    def letter_opening(self, received_by):
        """A letter's first lines to the applicant (forms 04 and 05): whom it is to, and which dossier
        ``received_by`` received from them, when."""
        dossier, who = self.dossier, selectors.applicant(self.dossier)
        self.story.append(Spacer(1, 4 * mm))
        self.line(f"Kính gửi: Ông/Bà <b>{_e(who['name'])}</b>")
        self.fact("Địa chỉ", who["address"])
        received = dossier.received_at or dossier.submitted_at
        self.line(f"Ngày {_date(received)}, {_e(received_by.name)} tiếp nhận hồ sơ của Ông/Bà đề nghị giải quyết "
                  f"thủ tục <b>{_e(dossier.procedure.name)}</b>, mã hồ sơ <b>{_e(dossier.code)}</b>.")

    def applicant(self, label="Tiếp nhận hồ sơ của"):
        who = selectors.applicant(self.dossier)
        self.fact(label, who["name"])
        self.fact("Số định danh cá nhân", who["id_number"])
        self.fact("Địa chỉ", who["address"])
        self.line(f"Số điện thoại: <b>{_e(who['phone']) or '…'}</b>&nbsp;&nbsp;&nbsp;&nbsp;"
                  f"Email: <b>{_e(who['email']) or '…'}</b>")
        procedure = self.dossier.procedure
        self.line(f"Nội dung yêu cầu giải quyết: <b>{_e(procedure.name)}</b> (thủ tục {_e(procedure.code)})")

    def numbered(self, items):
        for n, item in enumerate(items, 1):
            self.story.append(Paragraph(f"{n}. {_e(item)}", ParagraphStyle("li", parent=self.s["body"],
                                                                           leftIndent=8 * mm)))

    def table(self, rows, widths):
        s = self.s["cell"]
        data = [[Paragraph(cell if i == 0 else _e(cell), s) if isinstance(cell, str) else cell for cell in row]
                for i, row in enumerate(rows)]
        table = Table(data, colWidths=widths, repeatRows=1)
        table.setStyle(TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.5, colors.black),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ]))
        self.story += [Spacer(1, 1 * mm), table, Spacer(1, 2 * mm)]

    def signatures(self, *columns, how="Ký và ghi rõ họ tên"):
        """Signature blocks side by side: (role, name) each, the name under the space to sign."""
        s = self.s
        cells = [[Paragraph(f"<b>{_e(role.upper())}</b>", s["center"]),
                  Paragraph(f"<i>({how})</i>", s["center"]), Spacer(1, 16 * mm),
                  Paragraph(f"<b>{_e(name)}</b>", s["center"])] for role, name in columns]
        if len(cells) == 1:
            cells = [[], cells[0]]
        table = Table([cells], colWidths=["50%", "50%"])
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
        self.story += [Spacer(1, 6 * mm), KeepTogether([table])]

    def _footer(self, canvas, doc):
        """The QR code of the public lookup with the dossier code filled in, bottom left of every page, with the
        code in words beside it: a phone's camera opens the lookup, the applicant adds the 4 ID digits."""
        code = self.dossier.code
        canvas.saveState()
        draw_qr(canvas, lookup_link(code), doc.leftMargin - 2 * mm, 10 * mm, QR_SIZE)
        canvas.setFont(REGULAR, 8.5)
        text_x = doc.leftMargin + QR_SIZE + 1 * mm
        canvas.drawString(text_x, 10 * mm + QR_SIZE - 8 * mm, f"Mã hồ sơ: {code}")
        canvas.drawString(text_x, 10 * mm + QR_SIZE - 12.5 * mm, "Quét mã để tra cứu tình trạng hồ sơ.")
        canvas.drawRightString(A4[0] - doc.rightMargin, 10 * mm, f"Trang {doc.page}")
        canvas.restoreState()

    def render(self):
        buffer = BytesIO()
        doc = SimpleDocTemplate(
            buffer, pagesize=A4, title=f"{self.title} – {self.dossier.code}", author=self.agency.name,
            subject=f"Mẫu số {self.number}", creator="onestop", **MARGINS,
        )
        doc.build(self.story, onFirstPage=self._footer, onLaterPages=self._footer)
        return buffer.getvalue()


def _documents_table(form, dossier):
    rows = [["<b>TT</b>", "<b>Tên giấy tờ</b>", "<b>Bản chính</b>", "<b>Bản sao</b>", "<b>Tệp điện tử</b>"]]
    for n, doc in enumerate(selectors.received_documents(dossier), 1):
        rows.append([str(n), doc.name, str(doc.originals), str(doc.copies), str(doc.files)])
    if len(rows) == 1:
        rows.append(["", "(không có)", "", "", ""])
    form.table(rows, [10 * mm, WIDTH - 64 * mm, 18 * mm, 16 * mm, 20 * mm])


# --- the forms --------------------------------------------------------------------------------------

def _appointment(dossier):
    """The appointment as printed: the date, and for a procedure settled within the day of receipt (a budget
    of hours, no working day) the hour too: before the desk closes that day."""
    when = f"ngày {_date(dossier.appointment_date)}"
    if dossier.procedure.processing_days:
        return when
    closing = selectors.closing_time(dossier.receiving_agency)
    return f"trước {closing:%H} giờ {closing:%M} phút, {when}"


CHANNELS = {"online": "Trực tuyến", "desk": "Trực tiếp tại Bộ phận Một cửa", "post": "Qua dịch vụ bưu chính"}


def form_01(dossier):
    """Giấy tiếp nhận hồ sơ và hẹn trả kết quả: once the desk has accepted the dossier."""
    if dossier.received_at is None or dossier.appointment_date is None:
        raise FormNotApplicable("The dossier has not been accepted.")
    decision = selectors.reception_decision(dossier, "accept")
    official = decision.official if decision else None
    agency = dossier.receiving_agency
    entry = selectors.register_entry(dossier)
    form = _Form(dossier, "01", "Giấy tiếp nhận hồ sơ và hẹn trả kết quả", at=dossier.received_at,
                 reference=f"{entry.number}/TNHS")
    form.header()
    form.story.append(Paragraph(f"Mã hồ sơ: <b>{_e(dossier.code)}</b>", form.s["center"]))
    form.story.append(Paragraph(f"(Vào Sổ theo dõi hồ sơ năm {entry.year}, số thứ tự: <b>{entry.number}</b>)",
                                form.s["center"]))
    form.story.append(Spacer(1, 4 * mm))
    form.line(f"{DESK} – <b>{_e(agency.name)}</b>")
    form.applicant()
    form.fact("Hình thức nộp hồ sơ", CHANNELS.get(dossier.channel, dossier.channel))
    form.line("1. Thành phần hồ sơ nộp gồm:")
    _documents_table(form, dossier)
    form.line("2. Số lượng hồ sơ: <b>01</b> (bộ)")
    form.line(f"3. Thời gian giải quyết hồ sơ theo quy định là: <b>{_days(dossier.procedure.processing_days)}</b>")
    form.line(f"4. Thời gian nhận hồ sơ: <b>{_moment(dossier.received_at)}</b>")
    form.line(f"5. Thời gian trả kết quả giải quyết hồ sơ: <b>{_appointment(dossier)}</b>")
    form.line(f"6. Đăng ký nhận kết quả tại: <b>{DESK} – {_e(agency.name)}</b>")
    form.signatures(("Người nộp hồ sơ", selectors.applicant(dossier)["name"]),
                    ("Người tiếp nhận hồ sơ", _name(official)))
    return form.render()


def form_02(dossier):
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ: the latest request, the desk's at reception or a processing
    step's, listed in full (a step that gave no list asks for what its reason says)."""
    decision = selectors.supplementation_request(dossier)
    if decision is None:
        raise FormNotApplicable("No supplementation was requested.")
    missing = decision.missing_documents or list(dossier.missing_documents or [])
    agency = dossier.receiving_agency
    form = _Form(dossier, "02", "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ", at=decision.at)
    form.header()
    form.story.append(Spacer(1, 4 * mm))
    form.applicant(label="Hồ sơ của")
    form.fact("Ngày nộp hồ sơ", _date(dossier.submitted_at))
    if not decision.at_reception:
        asking = decision.agency or agency
        form.line(f"Trong quá trình giải quyết hồ sơ, <b>{_e(asking.name)}</b> yêu cầu hoàn thiện hồ sơ.")
    form.line("Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:")
    form.numbered(missing or [decision.reason or "…"])
    form.line(f"Lý do: <b>{_e(decision.reason) or '…'}</b>")
    form.line(f"Ông/bà bổ sung một lần, đầy đủ các nội dung trên, trên cùng mã hồ sơ <b>{_e(dossier.code)}</b>. "
              f"Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, ông/bà liên hệ với "
              f"{_e(_name(decision.official)) or DESK} – {DESK} {_e(agency.name)} để được hướng dẫn.")
    form.signatures(("Người hướng dẫn", _name(decision.official)))
    return form.render()


def form_03(dossier):
    """Phiếu từ chối tiếp nhận giải quyết hồ sơ: the desk refused the dossier, with its reason."""
    decision = selectors.reception_decision(dossier, "refuse")
    if decision is None or dossier.status != "refused":
        raise FormNotApplicable("The dossier was not refused at reception.")
    agency = dossier.receiving_agency
    form = _Form(dossier, "03", "Phiếu từ chối tiếp nhận giải quyết hồ sơ", at=decision.at)
    form.header()
    form.story.append(Spacer(1, 4 * mm))
    form.line(f"{DESK} – <b>{_e(agency.name)}</b>")
    form.applicant()
    form.fact("Ngày nộp hồ sơ", _date(dossier.submitted_at))
    form.line(f"Sau khi xem xét hồ sơ, đối chiếu với các quy định hiện hành, {DESK} từ chối tiếp nhận, "
              "giải quyết hồ sơ này vì lý do sau:")
    form.line(f"<b>{_e(decision.reason) or '…'}</b>")
    form.line("Xin thông báo để ông/bà được biết và thực hiện./.")
    form.signatures(("Người tiếp nhận hồ sơ", _name(decision.official)))
    return form.render()


def form_04(dossier, *, reason, new_date, official, previous_date=None, agency=None, at=None):
    """Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết (form 04 of Circular 03/2025/TT-VPCP).

    The agency that cannot settle the dossier by the appointment date apologises to the applicant, says why,
    and asks to extend the time to ``new_date``.
    ``reason``: why the result is late; ``new_date``: the new appointment date (a ``date``);
    ``official``: the user who signs for the agency; ``previous_date``: the appointment date before the
    extension (default: the dossier's, when it is not already ``new_date``); ``agency``: the agency that
    apologises (default: the receiving agency); ``at``: the date of the letter (default: now).
    """
    if not isinstance(new_date, date):
        raise TypeError("new_date must be a date")
    if previous_date is None and dossier.appointment_date != new_date:
        previous_date = dossier.appointment_date
    form = _Form(dossier, "04", "Văn bản xin lỗi và đề nghị gia hạn thời gian giải quyết", agency=agency, at=at)
    agency = form.agency
    form.header()
    form.letter_opening(received_by=agency)
    if previous_date is not None:
        form.line(f"Thời hạn trả kết quả giải quyết hồ sơ theo Giấy tiếp nhận hồ sơ và hẹn trả kết quả: "
                  f"<b>ngày {_date(previous_date)}</b>.")
    form.line(f"Tuy nhiên, đến nay {_e(agency.name)} chưa giải quyết xong hồ sơ của Ông/Bà. "
              f"Lý do: <b>{_e(reason) or '…'}</b>")
    form.line(f"Việc chậm giải quyết hồ sơ đã gây phiền hà cho Ông/Bà. {_e(agency.name)} trân trọng xin lỗi "
              f"Ông/Bà và đề nghị Ông/Bà đồng ý gia hạn thời gian giải quyết hồ sơ, trả kết quả vào "
              f"<b>ngày {_date(new_date)}</b>.")
    form.line(f"{_e(agency.name)} xin trân trọng cảm ơn sự hợp tác của Ông/Bà./.")
    form.signatures(("Đại diện cơ quan", _name(official)), how="Ký, ghi rõ họ tên và đóng dấu")
    return form.render()


def form_05(dossier, *, reason, official, agency=None, at=None):
    """Thông báo dừng giải quyết hồ sơ (form 05 of Circular 03/2025/TT-VPCP): the agency tells the applicant
    that the handling of their dossier stops, from when, and why (the applicant's withdrawal, or a finding
    that the dossier cannot go on).

    ``reason``: why it stops; ``official``: the user who stopped it, signing for the agency; ``agency``: the
    agency that stops it (default: the receiving agency); ``at``: when it stopped (default: now).
    """
    form = _Form(dossier, "05", "Thông báo dừng giải quyết hồ sơ", agency=agency, at=at)
    agency, at = form.agency, form.at
    form.header()
    form.letter_opening(received_by=dossier.receiving_agency)
    form.line(f"{_e(agency.name)} thông báo dừng giải quyết hồ sơ nêu trên kể từ <b>{_moment(at)}</b>.")
    form.line(f"Lý do: <b>{_e(reason) or '…'}</b>")
    form.line(f"Ông/Bà liên hệ {DESK} – {_e(dossier.receiving_agency.name)} để nhận lại hồ sơ (nếu có) và được "
              "hướng dẫn.")
    form.line("Xin thông báo để Ông/Bà được biết./.")
    form.signatures(("Đại diện cơ quan", _name(official)), how="Ký, ghi rõ họ tên và đóng dấu")
    return form.render()


# --- form 06 (the control sheet) and form 07 (the register) ---------------------------------------------

def _at(value):
    if value is None:
        return ""
    local = timezone.localtime(value)
    return f"{local:%H:%M} {local:%d/%m/%Y}"


def form_06(dossier, rows):
    """Phiếu kiểm soát quá trình giải quyết hồ sơ: every hand-over (``reports.selectors.handovers``), each with
    the giving and the receiving side (agency, official, room to sign), the time, and how the step ended."""
    form = _Form(dossier, "06", "Phiếu kiểm soát quá trình giải quyết hồ sơ")
    form.header()
    s = form.s
    form.story.append(Paragraph(f"Mã hồ sơ: <b>{_e(dossier.code)}</b>", s["center"]))
    form.story.append(Spacer(1, 3 * mm))
    form.line(f"(Kèm theo hồ sơ của: <b>{_e(selectors.applicant(dossier)['name'])}</b>)")
    form.line(f"Thủ tục: <b>{_e(dossier.procedure.name)}</b> (thủ tục {_e(dossier.procedure.code)})")
    form.line(f"Ngày nhận hồ sơ: <b>{_moment(dossier.received_at)}</b>&nbsp;&nbsp;&nbsp;"
              f"Ngày hẹn trả kết quả: <b>{_date(dossier.appointment_date)}</b>")
    form.line(f"Cơ quan, đơn vị tiếp nhận: <b>{_e(dossier.receiving_agency.name)}</b>")
    header = ["<b>TT</b>", "<b>Bên giao</b>", "<b>Bên nhận</b>", "<b>Thời gian giao, nhận hồ sơ</b>",
              "<b>Kết quả giải quyết hồ sơ (trước hạn / đúng hạn / quá hạn)</b>", "<b>Ghi chú</b>"]
    table = [header]
    for n, r in enumerate(rows, 1):
        giver = f"{r.giver_agency}\nNgười giao: {r.giver or '…'}\n(ký)"
        receiver = f"{r.receiver_agency}\nNgười nhận: {r.receiver or '…'}\n(ký)"
        when = f"Giao: {_at(r.handed_at) or '…'}\nNhận: {_at(r.received_at) or '…'}"
        result = ", ".join(part for part in (r.result, r.timeliness) if part)
        table.append([str(n), giver, receiver, when, result, r.note])
    if len(table) == 1:
        table.append(["", "(chưa có)", "", "", "", ""])
    cell = s["cell"]
    data = [[Paragraph(c if i == 0 else _e(c).replace("\n", "<br/>"), cell) for c in row]
            for i, row in enumerate(table)]
    grid = Table(data, colWidths=[9 * mm, 36 * mm, 36 * mm, 31 * mm, 30 * mm, WIDTH - 142 * mm], repeatRows=1)
    grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee"))]))
    form.story += [Spacer(1, 2 * mm), grid]
    return form.render()


REGISTER_COLUMNS = [
    ("TT", 9), ("Mã hồ sơ", 30), ("Tên thủ tục hành chính", 38), ("Số lượng hồ sơ (bộ)", 13),
    ("Tên cá nhân, tổ chức", 28), ("Địa chỉ, số điện thoại", 32), ("Cơ quan chủ trì giải quyết", 28),
    ("Nhận hồ sơ", 19), ("Hẹn trả kết quả", 17), ("Chuyển hồ sơ đến cơ quan giải quyết", 19),
    ("Nhận kết quả từ cơ quan giải quyết", 19), ("Trả kết quả", 19), ("Ký nhận", 14), ("Ghi chú", 22),
]


def _lead_agency(dossier):
    """The agency that settles the dossier: the last agency other than the receiving one it was handed to,
    else the receiving agency."""
    others = [leg.to_agency for leg in dossier.handovers.all() if leg.to_agency_id != dossier.receiving_agency_id]
    return (others[-1] if others else dossier.receiving_agency).name


def form_07(agency, date_from, date_to, dossiers, *, at=None):
    """Sổ theo dõi hồ sơ: the dossiers ``agency`` received from ``date_from`` to ``date_to`` (the register's
    query, ``reports.selectors.register``), one line each with every column of the form, on landscape pages."""
    _register_fonts()
    s = _styles()
    cell = ParagraphStyle("tiny", parent=s["cell"], fontSize=7.5, leading=9.5)
    page = landscape(A4)
    margins = {"leftMargin": 10 * mm, "rightMargin": 10 * mm, "topMargin": 12 * mm, "bottomMargin": 12 * mm}
    story = []
    left = [Paragraph(_e(agency.parent.name.upper()), s["agency"])] if agency.parent else []
    left += [Paragraph(f"<b>{_e(agency.name.upper())}</b>", s["agency"]),
             Paragraph(f"<b>{DESK.upper()}</b>", s["agency"])]
    head = Table([[left, [Paragraph("<b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b>", s["head"]),
                          Paragraph("<b>Độc lập - Tự do - Hạnh phúc</b>", s["head"])]]], colWidths=["45%", "55%"])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story += [Paragraph("Mẫu số 07", ParagraphStyle("n", parent=s["small"], alignment=TA_RIGHT)), head,
              Paragraph("SỔ THEO DÕI HỒ SƠ", s["title"]),
              Paragraph(f"Từ ngày {_date(date_from)} đến ngày {_date(date_to)}", s["center"]), Spacer(1, 3 * mm)]
    rows = [[Paragraph(f"<b>{_e(name)}</b>", cell) for name, _w in REGISTER_COLUMNS]]
    if hasattr(dossiers, "prefetch_related"):  # the lead agency of each dossier, read with the page
        dossiers = dossiers.prefetch_related("handovers__to_agency")
    for n, d in enumerate(dossiers, 1):
        note = d.get_status_display()
        if d.timeliness:
            note = f"{note} ({d.get_timeliness_display()})"
        applicant = selectors.applicant(d)
        contact = ", ".join(part for part in (applicant["address"], applicant["phone"]) if part)
        returned = d.closed_at if d.status == "returned" else None
        values = [str(n), d.code, d.procedure.name, "01", applicant["name"], contact, _lead_agency(d),
                  _at(d.received_at), _date(d.appointment_date) if d.appointment_date else "",
                  _at(getattr(d, "handed_over_at", None)), _at(d.result_at), _at(returned), "", str(note)]
        rows.append([Paragraph(_e(v), cell) for v in values])
    if len(rows) == 1:
        rows.append([Paragraph("", cell)] * len(REGISTER_COLUMNS))
    widths = [w * mm for _n, w in REGISTER_COLUMNS]
    scale = (page[0] - 20 * mm) / sum(widths)
    grid = Table(rows, colWidths=[w * scale for w in widths], repeatRows=1)
    grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                              ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee"))]))
    story.append(grid)

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont(REGULAR, 8)
        canvas.drawRightString(page[0] - 10 * mm, 6 * mm, f"Trang {doc.page}")
        canvas.restoreState()

    buffer = BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=page, title=f"Sổ theo dõi hồ sơ – {agency.name}", author=agency.name,
                            subject="Mẫu số 07", creator="onestop", **margins)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
