"""The programme's review reports drafted as official documents (.docx): a year's "sơ kết" or the
whole 2023–2025 programme's "tổng kết", in the format of Decree 30/2020/NĐ-CP, appendix I.

Layout (what the decree prescribes for a report, "BÁO CÁO"):
- A4, margins top 20 mm, bottom 20 mm, left 30 mm, right 15 mm; Times New Roman, body 14 pt.
- A two-column header table: left the issuing body (upper case, bold; for a joint report both
  bodies) and the number and symbol placeholder ("Số: …/BC-LMHTX"; the Youth Union numbers its
  documents "Số: …-BC/TĐTN" by its own guidance); right the national name and motto with the
  place and date placeholder.
- The document type "BÁO CÁO" and its title, numbered sections I–IV, tables of figures.
- "Nơi nhận:" and the signature block; a joint report has two signature columns (the Cooperative
  Alliance on the left, the Youth Union on the right) above "Nơi nhận:".

Every figure comes from the services the screens use: the commitment-four figures from
marketplace.promotion.reports.promotion_report (the report page, its exports and the API), the
targets and their results from marketplace.program.progress.dashboard (the programme dashboard).
The narrative paragraphs are pre-filled from those same figures (the year's largest activities,
targets met and not met) for the agency to edit.

The document is an official Vietnamese document, so its text is Vietnamese whatever the
interface language; labels shared with the screens are their Vietnamese translations.

Plain functions: they read and build a python-docx Document; they change nothing, never commit.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from flask_babel import force_locale
from sqlalchemy import select

from marketplace.accounts.models import Agency, AgencyKind
from marketplace.extensions import db
from marketplace.program import progress
from marketplace.program.models import PROGRAM_YEARS, TargetMetric
from marketplace.program.targets import METRIC_LABELS
from marketplace.promotion import reports
from marketplace.promotion.models import ActivityType

FONT = "Times New Roman"
BODY_PT = 14
PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}

YOUTH_UNION, ALLIANCE, JOINT = "youth_union", "cooperative_alliance", "joint"
ISSUERS = (YOUTH_UNION, ALLIANCE, JOINT)
WHOLE = "programme"
MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

# The commitment-four figures in the document's table; money figures are in đồng.
MONEY = {name for name in reports.FIGURE_NAMES if name.endswith("_vnd")}
# Columns of the by-type table: (figure, heading).
TYPE_COLUMNS = (
    ("activities", "Số hoạt động"),
    ("cooperatives_reached", "Số HTX tham gia"),
    ("contracts_count", "Hợp đồng, biên bản ghi nhớ"),
    ("sales_reported_vnd", "Doanh số báo cáo (đồng)"),
    ("sales_measured_vnd", "Doanh số đo được (đồng)"),
)
LARGEST = 5  # the largest activities named in section II

_FALLBACK_NAME = {YOUTH_UNION: "Tỉnh đoàn", ALLIANCE: "Liên minh Hợp tác xã tỉnh"}
_SIGNER = {
    YOUTH_UNION: ("TM. BAN THƯỜNG VỤ", "BÍ THƯ"),
    ALLIANCE: ("TM. BAN THƯỜNG TRỰC", "CHỦ TỊCH"),
}


class BadChoice(ValueError):
    """A period or issuer the draft cannot be made for."""


@dataclass
class DraftData:
    """Everything the document shows, read once from the report services."""

    year: int | None  # None: the whole programme (tổng kết)
    issuer: str
    place: str
    agencies: dict[str, Agency | None]
    report: reports.Report  # grouped by activity type
    board: progress.Dashboard
    largest: list  # the period's largest approved activities, by reported sales

    @property
    def key(self) -> int | None:
        return self.year

    @property
    def period_words(self) -> str:
        return f"năm {self.year}" if self.year else "giai đoạn 2023–2025"

    def agency_name(self, kind: str) -> str:
        agency = self.agencies.get(kind)
        return agency.name if agency is not None else _FALLBACK_NAME[kind]


# --- reading the data ------------------------------------------------------------------------


def parse_year(value: str) -> int | None:
    """ "2024" (a programme year) or "programme" (None); BadChoice otherwise."""
    if value == WHOLE:
        return None
    if value.isascii() and value.isdigit() and int(value) in PROGRAM_YEARS:
        return int(value)
    raise BadChoice(value)


def agency_of_kind(kind: str) -> Agency | None:
    """The first agency of a kind (the Youth Union, the Cooperative Alliance)."""
    return db.session.scalars(select(Agency).where(Agency.kind == AgencyKind(kind)).order_by(Agency.id)).first()


def default_place(agency: Agency | None) -> str:
    """The province in an agency's name ("Tỉnh đoàn Bắc Ninh" → "Bắc Ninh"), else a placeholder."""
    if agency is not None:
        match = re.search(r"(?:tỉnh đoàn|thành đoàn|tỉnh|thành phố)\s+(.+)$", agency.name, re.IGNORECASE)
        if match:
            return match[1].strip()
    return "……………"


def load(year: int | None, issuer: str, place: str = "", board: progress.Dashboard | None = None) -> DraftData:
    """The figures of a year (or the whole programme, year None) from the report services."""
    if issuer not in ISSUERS:
        raise BadChoice(issuer)
    if year is not None and year not in PROGRAM_YEARS:
        raise BadChoice(str(year))
    first, last = reports.year_range(year) if year else reports.program_range()
    report = reports.promotion_report(reports.ReportQuery(first, last, group_by="type"), previous_year=False)
    activities = reports.drill_activities(report)
    largest = sorted(activities, key=lambda a: (-(a.sales_vnd or 0), -(a.visitors or 0), a.start_date, a.id))
    agencies = {kind: agency_of_kind(kind) for kind in (YOUTH_UNION, ALLIANCE)}
    return DraftData(
        year=year,
        issuer=issuer,
        # Only printable characters: a control character cannot be written in a document.
        place="".join(ch for ch in place if ch.isprintable()).strip()[:100]
        or default_place(agencies[YOUTH_UNION] or agencies[ALLIANCE]),
        agencies=agencies,
        report=report,
        board=board or progress.dashboard(),
        largest=largest[:LARGEST],
    )


# --- formatting ------------------------------------------------------------------------------


def number(value: int) -> str:
    """Vietnamese digit grouping: 1.234.567."""
    return f"{int(value):,}".replace(",", ".")


# The review's words for each dashboard status (progress.status_of decides which applies).
VERDICT_WORDS = {
    progress.MET: "Đạt",
    progress.NOT_MET: "Không đạt",
    progress.ON_TRACK: "Chưa đạt (đúng tiến độ)",
    progress.BEHIND: "Chưa đạt (chậm tiến độ)",
    progress.NOT_YET_DUE: "Chưa đến kỳ",
    progress.NO_TARGET: "Không có chỉ tiêu",
}


def verdict(cell: progress.Cell) -> str:
    """Met / not met for a period that is over, otherwise where it stands: the dashboard's
    status of the cell (progress.status_of), in the document's words."""
    return VERDICT_WORDS[cell.status]


def ascii_filename(data: DraftData) -> str:
    kind = f"so-ket-nam-{data.year}" if data.year else "tong-ket-2023-2025"
    who = {YOUTH_UNION: "tinh-doan", ALLIANCE: "lien-minh-htx", JOINT: "lien-tich"}[data.issuer]
    return f"bao-cao-{kind}-chuong-trinh-phoi-hop-{who}.docx"


def display_filename(data: DraftData) -> str:
    kind = f"sơ kết năm {data.year}" if data.year else "tổng kết 2023-2025"
    return f"Báo cáo {kind} Chương trình phối hợp.docx"


# --- the document ----------------------------------------------------------------------------


# python-docx (with lxml) is imported by the functions that write a document, not when the web
# process starts (tests/test_startup_imports.py).


def _set_font(run, size: float | None = None, bold: bool | None = None, italic: bool | None = None) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = FONT
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.bold = bold
    if italic is not None:
        run.italic = italic


def _align(paragraph, align: str) -> None:
    """ "left", "center", "right" or "justify"."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    paragraph.alignment = getattr(WD_ALIGN_PARAGRAPH, align.upper())


def _para(container, text: str = "", *, size=None, bold=None, italic=None, align=None, indent=True, after=6):
    from docx.shared import Mm, Pt

    paragraph = container.add_paragraph()
    if text:
        _set_font(paragraph.add_run(text), size, bold, italic)
    if align is not None:
        _align(paragraph, align)
    elif indent:
        _align(paragraph, "justify")
        paragraph.paragraph_format.first_line_indent = Mm(10)
    paragraph.paragraph_format.space_after = Pt(after)
    return paragraph


def _cell_lines(cell, lines: list[tuple[str, dict]]) -> None:
    """Lines in a table cell, centred unless told: (text, font options and "align")."""
    from docx.shared import Pt

    for n, (text, options) in enumerate(lines):
        paragraph = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
        _align(paragraph, options.pop("align", "center"))
        paragraph.paragraph_format.space_after = Pt(0)
        _set_font(paragraph.add_run(text), **options)


def _no_borders(table) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{side}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    table._tbl.tblPr.append(borders)


def _setup(document) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
    section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
    section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
    for name in ("Normal", "Table Grid"):
        style = document.styles[name]
        style.font.name = FONT
        style.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FONT)
    document.styles["Normal"].font.size = Pt(BODY_PT)


def issuing_lines(data: DraftData) -> list[str]:
    """The issuing body block's names, upper case (both bodies for a joint report)."""
    kinds = (YOUTH_UNION, ALLIANCE) if data.issuer == JOINT else (data.issuer,)
    return [data.agency_name(kind).upper() for kind in kinds]


def number_line(data: DraftData) -> str:
    if data.issuer == YOUTH_UNION:
        return "Số: ……-BC/TĐTN"
    if data.issuer == ALLIANCE:
        return "Số: ……/BC-LMHTX"
    return "Số: ……/BC-TĐTN-LMHTX"


def _header(document, data: DraftData) -> None:
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Mm

    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    left, right = table.rows[0].cells
    left.width, right.width = Mm(72), Mm(93)
    lines = [(name, {"size": 13, "bold": True}) for name in issuing_lines(data)]
    lines.append(("***" if data.issuer == YOUTH_UNION else "________", {"size": 13}))
    lines.append((number_line(data), {"size": 13}))
    _cell_lines(left, lines)
    _cell_lines(
        right,
        [
            ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", {"size": 13, "bold": True}),
            ("Độc lập - Tự do - Hạnh phúc", {"size": 14, "bold": True}),
            ("________________", {"size": 13}),
            (f"{data.place}, ngày …… tháng …… năm ……", {"size": 14, "italic": True}),
        ],
    )


def title_line(data: DraftData) -> str:
    between = f"{data.agency_name(YOUTH_UNION)} và {data.agency_name(ALLIANCE)}"
    return f"Kết quả thực hiện Chương trình phối hợp giữa {between} {data.period_words}"


def review_line(data: DraftData) -> str:
    return f"(Sơ kết năm {data.year})" if data.year else "(Tổng kết giai đoạn 2023–2025)"


def _table(document, headings: list[str], rows: list[list[str]], numeric_from: int = 1):
    from docx.enum.table import WD_TABLE_ALIGNMENT

    table = document.add_table(rows=1, cols=len(headings))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, heading in zip(table.rows[0].cells, headings, strict=True):
        _cell_lines(cell, [(heading, {"size": 12, "bold": True})])
    for values in rows:
        cells = table.add_row().cells
        for n, (cell, value) in enumerate(zip(cells, values, strict=True)):
            align = "right" if n >= numeric_from else "left"
            _cell_lines(cell, [(value, {"size": 12, "align": align})])
    _para(document, "", after=0)
    return table


def _cell(data: DraftData, metric: TargetMetric) -> progress.Cell:
    return data.board.metric(metric).cells[data.key]


def metric_label(metric: TargetMetric) -> str:
    """The dashboard's label of a metric, in Vietnamese."""
    with force_locale("vi"):
        return str(METRIC_LABELS[metric])


def targets_rows(data: DraftData) -> list[tuple[str, str, progress.Cell]]:
    """(metric label, verdict, cell) for every programme metric in the period."""
    rows = []
    for item in data.board.metrics:
        cell = item.cells[data.key]
        rows.append((metric_label(item.metric), verdict(cell), cell))
    return rows


def _section_one(document, data: DraftData) -> None:
    _para(document, "I. TÌNH HÌNH CHUNG", bold=True, indent=False)
    totals = data.report.totals
    training = _cell(data, TargetMetric.TRAINING_CLASSES).actual
    founded = _cell(data, TargetMetric.NEW_YOUTH_COOPERATIVES).actual
    _para(
        document,
        f"Thực hiện Chương trình phối hợp giai đoạn 2023–2025 giữa {data.agency_name(YOUTH_UNION)} và "
        f"{data.agency_name(ALLIANCE)}, {data.period_words} hai cơ quan đã phối hợp tổ chức {number(training)} "
        f"lớp tập huấn cho sáng lập viên và cán bộ hợp tác xã, hỗ trợ thành lập {number(founded)} hợp tác xã do "
        f"thanh niên làm chủ và tổ chức {number(totals.activities)} hoạt động kết nối, quảng bá, xúc tiến tiêu thụ "
        f"sản phẩm được phê duyệt với sự tham gia của {number(totals.cooperatives_reached)} hợp tác xã.",
    )
    _para(document, "(Bổ sung đặc điểm tình hình, thuận lợi, khó khăn của đơn vị.)", italic=True)


def figure_rows(figures: reports.Figures) -> list[list[str]]:
    with force_locale("vi"):
        return [[str(label), number(getattr(figures, name))] for name, label in reports.FIGURES]


def type_rows(data: DraftData) -> list[list[str]]:
    from marketplace.promotion.services import TYPE_LABELS

    rows = []
    with force_locale("vi"):
        for group in data.report.groups:
            label = str(TYPE_LABELS.get(ActivityType(group.key), group.label))
            rows.append([label, *(number(getattr(group.figures, name)) for name, _h in TYPE_COLUMNS)])
    rows.append(["Tổng cộng", *(number(getattr(data.report.totals, name)) for name, _h in TYPE_COLUMNS)])
    return rows


def _section_two(document, data: DraftData) -> None:
    _para(document, "II. KẾT QUẢ THỰC HIỆN THEO TỪNG NỘI DUNG PHỐI HỢP", bold=True, indent=False)
    training = _cell(data, TargetMetric.TRAINING_CLASSES)
    founded = _cell(data, TargetMetric.NEW_YOUTH_COOPERATIVES)
    _para(document, "1. Nội dung 2: Tập huấn sáng lập viên và cán bộ hợp tác xã", bold=True, indent=False)
    _para(document, f"Tổ chức {number(training.actual)} lớp tập huấn {data.period_words}.")
    _para(document, "2. Nội dung 3: Hỗ trợ thành lập hợp tác xã do thanh niên làm chủ", bold=True, indent=False)
    _para(document, f"Hỗ trợ thành lập {number(founded.actual)} hợp tác xã thanh niên {data.period_words}.")
    _para(
        document,
        "3. Nội dung 4: Kết nối, giới thiệu, quảng bá, xúc tiến tiêu thụ sản phẩm",
        bold=True,
        indent=False,
    )
    _para(
        document,
        "Chỉ tính các hoạt động đã được phê duyệt, theo ngày bắt đầu của hoạt động; doanh số đo được là doanh số "
        "ghi nhận trên sàn qua đường dẫn theo dõi và mã QR hội chợ.",
        italic=True,
    )
    _para(document, "Bảng 1. Số liệu tổng hợp", bold=True, align="center")
    _table(document, ["Chỉ số", "Kết quả"], figure_rows(data.report.totals))
    _para(document, "Bảng 2. Kết quả theo loại hoạt động", bold=True, align="center")
    _table(document, ["Loại hoạt động", *(h for _n, h in TYPE_COLUMNS)], type_rows(data))
    if data.largest:
        _para(document, "Các hoạt động tiêu biểu (doanh số báo cáo lớn nhất):", indent=True)
        for activity in data.largest:
            _para(
                document,
                f"- {activity.title} ({activity.start_date:%d/%m/%Y}): doanh số báo cáo "
                f"{number(activity.sales_vnd or 0)} đồng, {number(activity.visitors or 0)} lượt khách.",
            )
    _para(document, "4. Kết quả so với chỉ tiêu", bold=True, indent=False)
    _para(document, "Bảng 3. Kết quả thực hiện chỉ tiêu", bold=True, align="center")
    rows = [
        [str(label), "—" if cell.target is None else number(cell.target), number(cell.actual), words]
        for label, words, cell in targets_rows(data)
    ]
    _table(document, ["Chỉ tiêu", "Kế hoạch", "Thực hiện", "Đánh giá"], rows)


def _section_three(document, data: DraftData) -> None:
    _para(document, "III. ĐÁNH GIÁ CHUNG", bold=True, indent=False)
    rows = targets_rows(data)
    met = [label for label, _w, cell in rows if cell.status == progress.MET]
    missed = [label for label, _w, cell in rows if cell.status in progress.SHORT]
    _para(document, "1. Ưu điểm", bold=True, indent=False)
    if met:
        _para(document, "Hoàn thành các chỉ tiêu: " + "; ".join(met) + ".")
    else:
        _para(document, "(Nêu những kết quả nổi bật.)", italic=True)
    _para(document, "2. Hạn chế", bold=True, indent=False)
    if missed:
        _para(document, "Chưa hoàn thành các chỉ tiêu: " + "; ".join(missed) + ".")
    totals = data.report.totals
    if totals.sales_measured_vnd < totals.sales_reported_vnd:
        _para(
            document,
            f"Doanh số đo được trên sàn ({number(totals.sales_measured_vnd)} đồng) thấp hơn doanh số các hoạt "
            f"động báo cáo ({number(totals.sales_reported_vnd)} đồng).",
        )
    _para(document, "(Bổ sung hạn chế và nguyên nhân.)", italic=True)


def _section_four(document, data: DraftData) -> None:
    if data.year and data.year < PROGRAM_YEARS[-1]:
        heading, next_key = f"IV. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM {data.year + 1}", data.year + 1
    else:
        heading, next_key = "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI", None
    _para(document, heading, bold=True, indent=False)
    if next_key is not None:
        for item in data.board.metrics:
            target = item.cells[next_key].target
            if target is not None:
                _para(document, f"- {metric_label(item.metric)}: phấn đấu đạt {number(target)}.")
    missed = [label for label, _w, cell in targets_rows(data) if cell.status in progress.SHORT]
    if missed:
        _para(document, "- Tập trung khắc phục các chỉ tiêu chưa đạt: " + "; ".join(missed) + ".")
    _para(document, "(Bổ sung nhiệm vụ, giải pháp và kiến nghị, đề xuất.)", italic=True)


RECIPIENTS = {
    YOUTH_UNION: ["Ban Bí thư Trung ương Đoàn (b/c);", "Liên minh Hợp tác xã tỉnh (p/h);"],
    ALLIANCE: ["Liên minh Hợp tác xã Việt Nam (b/c);", "Tỉnh đoàn (p/h);"],
    JOINT: ["Ban Bí thư Trung ương Đoàn (b/c);", "Liên minh Hợp tác xã Việt Nam (b/c);"],
}


def recipient_lines(data: DraftData) -> list[str]:
    return ["Thường trực Tỉnh ủy, UBND tỉnh (b/c);", *RECIPIENTS[data.issuer], "Lưu: VT."]


def signature_lines(data: DraftData, kind: str) -> list[str]:
    on_behalf, title = _SIGNER[kind]
    if kind == ALLIANCE:
        on_behalf = f"{on_behalf} {data.agency_name(ALLIANCE).upper()}" if data.issuer == JOINT else on_behalf
    elif data.issuer == JOINT:
        on_behalf = f"{on_behalf} {data.agency_name(YOUTH_UNION).upper()}"
    return [on_behalf, title, "(Ký, đóng dấu)", "", "", "……………………"]


def _signature(cell, lines: list[str]) -> None:
    options = [{"size": 13, "bold": True}, {"size": 13, "bold": True}, {"size": 13, "italic": True}]
    _cell_lines(
        cell, [(text, dict(options[n]) if n < 3 else {"size": 14, "bold": True}) for n, text in enumerate(lines)]
    )


def _recipients(cell, data: DraftData) -> None:
    lines = [("Nơi nhận:", {"size": 12, "bold": True, "italic": True, "align": "left"})]
    lines += [(f"- {line}", {"size": 11, "align": "left"}) for line in recipient_lines(data)]
    _cell_lines(cell, lines)


def _closing(document, data: DraftData) -> None:
    if data.issuer == JOINT:
        signatures = document.add_table(rows=1, cols=2)
        _no_borders(signatures)
        _signature(signatures.rows[0].cells[0], signature_lines(data, ALLIANCE))
        _signature(signatures.rows[0].cells[1], signature_lines(data, YOUTH_UNION))
        _para(document, "", after=0)
        table = document.add_table(rows=1, cols=2)
        _no_borders(table)
        _recipients(table.rows[0].cells[0], data)
        return
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _recipients(table.rows[0].cells[0], data)
    _signature(table.rows[0].cells[1], signature_lines(data, data.issuer))


def build(data: DraftData):
    """The draft as a python-docx Document."""
    from docx import Document

    document = Document()
    _setup(document)
    _header(document, data)
    _para(document, "", after=0)
    _para(document, "BÁO CÁO", size=14, bold=True, align="center", after=0)
    _para(document, title_line(data), size=14, bold=True, align="center", after=0)
    _para(document, review_line(data), size=14, italic=True, align="center", after=0)
    _para(document, "________", align="center")
    _section_one(document, data)
    _section_two(document, data)
    _section_three(document, data)
    _section_four(document, data)
    _closing(document, data)
    return document


def docx_bytes(data: DraftData) -> bytes:
    out = io.BytesIO()
    with force_locale("vi"):
        build(data).save(out)
    return out.getvalue()
