"""The programme's review reports as official documents (/agency/program/report.docx): each draft is
opened with python-docx and checked for the Decree 30/2020 layout (header blocks, title, numbered
sections, "Nơi nhận", signatures, A4, margins, font) and for every figure of its tables against the
report service, the report page and the programme dashboard on the seeded dataset of
tests/program/helpers.py (with reported results and measured and platform sales added)."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import pytest
from docx import Document
from docx.shared import Pt
from flask_babel import force_locale

from marketplace.extensions import db
from marketplace.orders.services import place_order
from marketplace.program import documents, progress
from marketplace.promotion import reports
from marketplace.promotion.models import ActivityType
from tests import factories as make
from tests.cooperatives.helpers import sign_in
from tests.program.helpers import M, build_programme
from tests.program.test_views import cells

URL = "/agency/program/report.docx"
REPORT_URL = "/agency/reports/promotion"


@pytest.fixture
def programme(app):
    world = build_programme()
    c1, c2, _c3, c4 = world.cooperatives
    a = world.activities
    a["A1"].visitors, a["A1"].business_contacts, a["A1"].media_items = 300, 12, 4
    a["A4"].type = ActivityType.LIVESTREAM
    a["A4"].visitors, a["A4"].contracts_count, a["A4"].contracts_value_vnd = 1500, 2, 80 * M
    a["A4"].budget_vnd = 5 * M
    a["A6"].type = ActivityType.FAIR
    a["A6"].visitors, a["A6"].budget_vnd = 900, 20 * M
    rice = make.product(c1, name="Gạo nếp cái hoa vàng", sku="GAO-01", price_vnd=120_000, stock=100)
    tea = make.product(c4, name="Chè xanh", sku="CHE-01", price_vnd=250_000, stock=100)

    def order(lines, local: datetime, activity=None):
        placed = place_order([(p.id, q) for p, q in lines], make.checkout(), now=local - timedelta(hours=7))
        placed.source_activity_id = activity.id if activity is not None else None
        return placed

    order([(rice, 3)], datetime(2024, 2, 11, 9), a["A4"])  # measured for A4 (2024), platform 2024
    order([(rice, 1)], datetime(2024, 6, 1, 9))  # platform sales of c1 in 2024, not measured
    order([(tea, 2)], datetime(2025, 1, 2, 9), a["A6"])  # measured for A6 (2025)
    order([(rice, 2), (tea, 1)], datetime(2023, 3, 2, 9), a["A1"])  # measured for A1 (2023)
    world.alliance_staff = make.staff(world.alliance, email="lienminh@example.vn")
    db.session.commit()
    return world


def download(client, **params):
    response = client.get(URL, query_string=params)
    assert response.status_code == 200, response.status_code
    return response, Document(io.BytesIO(response.data))


def texts(cell) -> list[str]:
    return [p.text for p in cell.paragraphs if p.text]


def table_with(document, first_heading: str):
    return next(t for t in document.tables if t.rows[0].cells[0].text == first_heading)


def body(document) -> str:
    return "\n".join(p.text for p in document.paragraphs)


def vnd(text: str) -> int:
    return int(text.replace(".", ""))


def labels() -> dict[str, str]:
    """The Vietnamese label of every report figure (the document's first column)."""
    with force_locale("vi"):
        return {str(label): name for name, label in reports.FIGURES}


def document_totals(document) -> dict[str, int]:
    rows = table_with(document, "Chỉ số").rows[1:]
    names = labels()
    return {names[row.cells[0].text]: vnd(row.cells[1].text) for row in rows}


def service_report(year: int | None) -> reports.Report:
    first, last = reports.year_range(year) if year else reports.program_range()
    return reports.promotion_report(reports.ReportQuery(first, last, group_by="type"), previous_year=False)


@pytest.mark.parametrize("year", [2023, 2024, 2025, None])
def test_every_figure_equals_the_report_service_the_report_page_and_the_dashboard(client, programme, year):
    sign_in(client, programme.staff)
    _response, document = download(client, year=year or "programme", issuer="joint")

    expected = service_report(year)
    totals = document_totals(document)
    assert totals == expected.totals.as_dict()
    assert len(totals) == 12 and any(totals.values())
    page = client.get(REPORT_URL, query_string={"period": str(year) if year else "program"})
    shown = {m[1]: int(m[2]) for m in re.finditer(r'data-total="(\w+)" data-value="(-?\d+)"', page.get_data(True))}
    assert shown == totals  # the report page shows the same numbers

    by_type = table_with(document, "Loại hoạt động")
    columns = [name for name, _heading in documents.TYPE_COLUMNS]
    rows = [[cell.text for cell in row.cells] for row in by_type.rows[1:]]
    assert len(rows) == len(expected.groups) + 1
    for row, group in zip(rows, expected.groups, strict=False):
        assert [vnd(v) for v in row[1:]] == [getattr(group.figures, n) for n in columns]
    assert rows[-1][0] == "Tổng cộng"
    assert [vnd(v) for v in rows[-1][1:]] == [getattr(expected.totals, n) for n in columns]

    board = progress.dashboard()
    target_rows = table_with(document, "Chỉ tiêu").rows[1:]
    assert len(target_rows) == len(board.metrics)
    dashboard = cells(client.get("/agency/program/").get_data(True))
    for row, item in zip(target_rows, board.metrics, strict=True):
        cell = item.cells[year]
        assert row.cells[0].text == documents.metric_label(item.metric)
        assert vnd(row.cells[2].text) == cell.actual
        assert row.cells[1].text == ("—" if cell.target is None else f"{cell.target:,}".replace(",", "."))
        assert dashboard[item.metric.value, str(year) if year else "all"] == (cell.actual, cell.target)


def test_the_2024_annual_review_as_the_youth_union(client, programme):
    sign_in(client, programme.staff)
    response, document = download(client, year=2024, issuer="youth_union", place="Bắc Ninh")

    assert response.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="bao-cao-so-ket-nam-2024-chuong-trinh-phoi-hop-tinh-doan.docx"')
    assert disposition.split('filename="')[1].split('"')[0].isascii()
    assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20s%C6%A1%20k%E1%BA%BFt%20n%C4%83m%202024" in disposition

    header = document.tables[0]
    left, right = header.rows[0].cells
    assert texts(left) == ["TỈNH ĐOÀN BẮC NINH", "***", "Số: ……-BC/TĐTN"]
    assert texts(right) == [
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "________________",
        "Bắc Ninh, ngày …… tháng …… năm ……",
    ]
    assert left.paragraphs[0].runs[0].bold and right.paragraphs[0].runs[0].bold
    assert right.paragraphs[3].runs[0].italic

    paragraphs = [p.text for p in document.paragraphs if p.text]
    assert paragraphs[0] == "BÁO CÁO"
    assert paragraphs[1] == (
        "Kết quả thực hiện Chương trình phối hợp giữa Tỉnh đoàn Bắc Ninh và Liên minh HTX tỉnh Bắc Ninh năm 2024"
    )
    assert paragraphs[2] == "(Sơ kết năm 2024)"
    headings = [p for p in paragraphs if re.match(r"^(I|II|III|IV)\. ", p)]
    assert headings == [
        "I. TÌNH HÌNH CHUNG",
        "II. KẾT QUẢ THỰC HIỆN THEO TỪNG NỘI DUNG PHỐI HỢP",
        "III. ĐÁNH GIÁ CHUNG",
        "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2025",
    ]
    text = body(document)
    # Narrative pre-filled from the figures: 2024 has 0 training classes of 1, 2 activities of 4,
    # 1 cooperative of 2, 40M of 50M sales: all not met (the year is over); A4 is the largest activity.
    assert "tổ chức 0 lớp tập huấn" in text and "tổ chức 2 hoạt động" in text
    assert "- A4 (10/02/2024): doanh số báo cáo 40.000.000 đồng, 1.500 lượt khách." in text
    assert "Chưa hoàn thành các chỉ tiêu:" in text
    assert "phấn đấu đạt 600.000.000" in text  # the 2025 sales target
    verdicts = [row.cells[3].text for row in table_with(document, "Chỉ tiêu").rows[1:]]
    assert verdicts == ["Không đạt", "Không có chỉ tiêu", "Không đạt", "Không đạt", "Không đạt"]

    closing = document.tables[-1]
    recipients, signature = closing.rows[0].cells
    assert texts(recipients)[0] == "Nơi nhận:"
    assert recipients.paragraphs[0].runs[0].bold and recipients.paragraphs[0].runs[0].italic
    assert texts(recipients)[-1] == "- Lưu: VT."
    assert "- Ban Bí thư Trung ương Đoàn (b/c);" in texts(recipients)
    assert texts(signature) == ["TM. BAN THƯỜNG VỤ", "BÍ THƯ", "(Ký, đóng dấu)", "……………………"]


def test_the_final_review_as_the_cooperative_alliance(client, programme):
    sign_in(client, programme.alliance_staff)
    response, document = download(client, year="programme")  # the issuer defaults to the user's agency

    assert (
        'filename="bao-cao-tong-ket-2023-2025-chuong-trinh-phoi-hop-lien-minh-htx.docx"'
        in (response.headers["Content-Disposition"])
    )
    left = document.tables[0].rows[0].cells[0]
    assert texts(left) == ["LIÊN MINH HTX TỈNH BẮC NINH", "________", "Số: ……/BC-LMHTX"]
    paragraphs = [p.text for p in document.paragraphs if p.text]
    assert paragraphs[1].startswith("Kết quả thực hiện Chương trình phối hợp giữa Tỉnh đoàn Bắc Ninh")
    assert paragraphs[1].endswith("giai đoạn 2023–2025")
    assert paragraphs[2] == "(Tổng kết giai đoạn 2023–2025)"
    assert "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ THỜI GIAN TỚI" in paragraphs
    recipients, signature = document.tables[-1].rows[0].cells
    assert texts(recipients)[0] == "Nơi nhận:"
    assert texts(signature)[:2] == ["TM. BAN THƯỜNG TRỰC", "CHỦ TỊCH"]


def test_a_joint_report_has_both_bodies_and_two_signatures(client, programme):
    sign_in(client, programme.staff)
    _response, document = download(client, year=2023, issuer="joint")

    left, right = document.tables[0].rows[0].cells
    assert texts(left) == [
        "TỈNH ĐOÀN BẮC NINH",
        "LIÊN MINH HTX TỈNH BẮC NINH",
        "________",
        "Số: ……/BC-TĐTN-LMHTX",
    ]
    assert texts(right)[:2] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    assert texts(right)[3] == "Bắc Ninh, ngày …… tháng …… năm ……"  # the place from the agency's name
    signatures, closing = document.tables[-2], document.tables[-1]
    alliance, youth_union = signatures.rows[0].cells
    assert texts(alliance)[:2] == ["TM. BAN THƯỜNG TRỰC LIÊN MINH HTX TỈNH BẮC NINH", "CHỦ TỊCH"]
    assert texts(youth_union)[:2] == ["TM. BAN THƯỜNG VỤ TỈNH ĐOÀN BẮC NINH", "BÍ THƯ"]
    assert texts(closing.rows[0].cells[0])[0] == "Nơi nhận:"
    assert "IV. PHƯƠNG HƯỚNG, NHIỆM VỤ NĂM 2024" in body(document)


def test_page_a4_margins_and_font(client, programme):
    sign_in(client, programme.staff)
    _response, document = download(client, year=2025, issuer="youth_union")

    section = document.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    assert round(section.top_margin.mm) == 20 and round(section.bottom_margin.mm) == 20
    assert round(section.left_margin.mm) == 30 and round(section.right_margin.mm) == 15
    assert 20 <= section.top_margin.mm <= 25 and 30 <= section.left_margin.mm <= 35
    normal = document.styles["Normal"]
    assert normal.font.name == "Times New Roman" and normal.font.size == Pt(14)
    runs = [r for p in document.paragraphs for r in p.runs]
    runs += [r for t in document.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs]
    assert runs and all(r.font.name == "Times New Roman" for r in runs)
    assert all(r.font.size is None or Pt(11) <= r.font.size <= Pt(14) for r in runs)
    assert (section.page_width.twips, section.page_height.twips) == (11906, 16838)  # Word's A4


def test_the_dashboard_offers_the_drafts(client, programme):
    sign_in(client, programme.alliance_staff)
    html = client.get("/agency/program/").get_data(as_text=True)

    assert 'action="/agency/program/report.docx"' in html
    for value in ("2023", "2024", "2025", "programme"):
        assert f'<option value="{value}">' in html
    assert '<option value="cooperative_alliance" selected>' in html
    assert '<option value="joint">' in html
    assert 'name="place" value="Bắc Ninh"' in html


def test_the_dashboard_links_the_last_closed_year_and_the_final_review(monkeypatch, client, programme):
    monkeypatch.setattr(progress, "today_in_vietnam", lambda: date(2025, 6, 30))
    sign_in(client, programme.staff)
    html = client.get("/agency/program/").get_data(as_text=True)

    links = re.findall(r'<a href="(/agency/program/report\.docx\?[^"]+)" download>([^<]+)</a>', html)
    assert [label for _link, label in links] == [
        "Sơ kết năm 2024, liên tịch (.docx)",
        "Tổng kết 2023–2025, liên tịch (.docx)",
    ]
    for link, _label in links:
        response = client.get(link.replace("&amp;", "&"))
        assert response.status_code == 200
        assert response.mimetype == documents.MIMETYPE
        assert "Chương trình phối hợp" in body(Document(io.BytesIO(response.data)))

    monkeypatch.setattr(progress, "today_in_vietnam", lambda: date(2023, 6, 30))  # no year closed yet
    html = client.get("/agency/program/").get_data(as_text=True)
    assert len(re.findall(r'href="/agency/program/report\.docx\?', html)) == 1


@pytest.mark.parametrize("today", [date(2025, 6, 30), date(2026, 1, 2)])
def test_the_document_s_verdicts_are_the_dashboard_s_statuses(monkeypatch, client, programme, today):
    """One rule (progress.status_of): each "Đánh giá" is the dashboard's status of the same cell,
    under way (on track, behind) as well as over (met, not met)."""
    monkeypatch.setattr(progress, "today_in_vietnam", lambda: today)
    sign_in(client, programme.staff)
    board = progress.dashboard()
    for year in ("2025", "programme"):
        _response, document = download(client, year=year, issuer="joint")
        shown = [row.cells[3].text for row in table_with(document, "Chỉ tiêu").rows[1:]]
        key = None if year == "programme" else int(year)
        statuses = [item.cells[key].status for item in board.metrics]
        assert shown == [documents.VERDICT_WORDS[status] for status in statuses], (year, statuses)
        html = client.get("/agency/program/").get_data(as_text=True)
        data_year = "all" if key is None else year
        for item, status in zip(board.metrics, statuses, strict=True):
            assert re.search(
                rf'data-metric="{item.metric.value}" data-year="{data_year}"[^>]*data-status="{status}"', html
            )
    if today.year == 2025:
        assert "Chưa đạt (chậm tiến độ)" in shown  # the programme under way: new youth cooperatives behind


def test_who_may_download(client, programme):
    anonymous = client.get(URL, query_string={"year": 2024})
    assert anonymous.status_code == 302 and "/account/login" in anonymous.location

    for person in (programme.customer, programme.manager):
        sign_in(client, person)
        assert client.get(URL, query_string={"year": 2024}).status_code == 403

    for person in (programme.staff, programme.alliance_staff, programme.admin):
        sign_in(client, person)
        assert client.get(URL, query_string={"year": 2024, "issuer": "joint"}).status_code == 200


def test_the_document_is_vietnamese_in_the_english_interface(client, programme):
    sign_in(client, programme.staff)
    client.get("/lang/en")
    _response, document = download(client, year=2024, issuer="joint")

    assert document_totals(document) == service_report(2024).totals.as_dict()  # the Vietnamese labels
    labels_shown = [row.cells[0].text for row in table_with(document, "Chỉ tiêu").rows[1:]]
    assert labels_shown == [documents.metric_label(item.metric) for item in progress.dashboard().metrics]
    assert not any("Training" in text or "Cooperatives" in text for text in labels_shown)


def test_an_odd_place_is_cleaned(client, programme):
    sign_in(client, programme.staff)
    _response, document = download(client, year=2024, issuer="joint", place="Hà\x07 Nội\x0b" + "x" * 200)

    date_line = texts(document.tables[0].rows[0].cells[1])[3]
    assert date_line.startswith("Hà Nội" + "x" * 94 + ", ngày")


def test_bad_choices_are_400(client, programme):
    sign_in(client, programme.staff)

    for params in ({"year": "2022"}, {"year": "abc"}, {}, {"year": 2024, "issuer": "ministry"}):
        assert client.get(URL, query_string=params).status_code == 400, params


def test_the_year_s_numbers_only(app, programme):
    # Plain functions: loading a year reads only that year's activities (A9 of 2026, A8 of 2022 and
    # the submitted/returned ones never appear).
    data = documents.load(2023, documents.JOINT)
    assert [a.title for a in data.largest] == ["A2", "A1"]
    assert data.report.totals.activities == 2
    assert documents.load(None, documents.JOINT).report.totals.activities == 5
    assert date(2023, 1, 1) == data.report.query.date_from
