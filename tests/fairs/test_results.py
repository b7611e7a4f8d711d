"""Fair results on a small hand-computed dataset: the numbers, the page, the CSV, who sees what.

The dataset (fair "Hội chợ Kết quả", booth A1 of cooperative A, booth B2 of cooperative B,
cooperative C without a booth; prices a1 100.000 with fair price 80.000, a2 50.000,
b1 200.000, c1 30.000):

scans   fair link: v1, v1, v2 · booth A1: v1, v3 · booth B2: v4, v4, v4 · another fair: v1
orders  E  phone P1, 30 days before, no source: a2 × 1
        O1 P1, booth A1: a2 × 2 (100.000) + b1 × 1 (200.000)
        O2 P2, fair link: a2 × 1 (50.000) + c1 × 2 (60.000)
        O3 P2, booth B2: b1 × 1 (200.000)
        O4 P3, booth B2: b1 × 2, cancelled
        O5 P4, booth A1: a2 × 1 (50.000) + b1 × 1, B's part cancelled
        O6 P5, no source: a2 × 3 · O7 P6, another fair: a2 × 1
on site A1: a1 × 3 cash (240.000), a2 × 2 transfer (100.000), a1 × 1 voided · B2: b1 × 1 (200.000)
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from marketplace.core.formatting import format_vnd
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs import onsite
from marketplace.fairs.models import BoothStatus, FairVisit
from marketplace.fairs.results import fair_results
from marketplace.orders.models import PartStatus
from marketplace.orders.services import place_order
from tests import factories as f
from tests.cooperatives.helpers import sign_in

METRICS = (
    "scans",
    "unique_visitors",
    "fair_link_scans",
    "fair_link_unique",
    "booth_link_scans",
    "booth_link_unique",
    "orders",
    "online_revenue_vnd",
    "onsite_sales",
    "onsite_units",
    "onsite_revenue_vnd",
    "new_customers",
    "total_revenue_vnd",
)
EXPECTED = {
    "fair": {
        "scans": 8,
        "unique_visitors": 4,
        "fair_link_scans": 3,
        "fair_link_unique": 2,
        "booth_link_scans": 5,
        "booth_link_unique": 3,
        "orders": 4,
        "online_revenue_vnd": 660_000,
        "onsite_sales": 3,
        "onsite_units": 6,
        "onsite_revenue_vnd": 540_000,
        "new_customers": 2,
        "total_revenue_vnd": 1_200_000,
    },
    "A": {
        "scans": 2,
        "unique_visitors": 2,
        "fair_link_scans": None,
        "fair_link_unique": None,
        "booth_link_scans": 2,
        "booth_link_unique": 2,
        "orders": 3,
        "online_revenue_vnd": 200_000,
        "onsite_sales": 2,
        "onsite_units": 5,
        "onsite_revenue_vnd": 340_000,
        "new_customers": 2,
        "total_revenue_vnd": 540_000,
    },
    "B": {
        "scans": 3,
        "unique_visitors": 1,
        "fair_link_scans": None,
        "fair_link_unique": None,
        "booth_link_scans": 3,
        "booth_link_unique": 1,
        "orders": 2,
        "online_revenue_vnd": 400_000,
        "onsite_sales": 1,
        "onsite_units": 1,
        "onsite_revenue_vnd": 200_000,
        "new_customers": 0,
        "total_revenue_vnd": 600_000,
    },
}
# (name, online units, on-site units, units, revenue), best first.
PRODUCTS_FAIR = [
    ("b1 Mật ong", 2, 1, 3, 600_000),
    ("a2 Chè xanh", 4, 2, 6, 300_000),
    ("a1 Vải sấy", 0, 3, 3, 240_000),
    ("c1 Gạo nếp", 2, 0, 2, 60_000),
]
PRODUCTS_A = [PRODUCTS_FAIR[1], PRODUCTS_FAIR[2]]


@pytest.fixture
def dataset(app):
    coop_a = f.cooperative("HTX A Lục Ngạn", slug="htx-a")
    coop_b = f.cooperative("HTX B Sóc Sơn", slug="htx-b")
    coop_c = f.cooperative("HTX C Yên Thế", slug="htx-c")
    coop_d = f.cooperative("HTX D chờ duyệt", slug="htx-d")
    a1 = f.product(coop_a, name="a1 Vải sấy", price_vnd=100_000, stock=20)
    a2 = f.product(coop_a, name="a2 Chè xanh", price_vnd=50_000, stock=20)
    b1 = f.product(coop_b, name="b1 Mật ong", price_vnd=200_000, stock=20)
    c1 = f.product(coop_c, name="c1 Gạo nếp", price_vnd=30_000, stock=20)
    fair = f.fair("Hội chợ Kết quả", slug="hoi-cho-ket-qua")
    other_fair = f.fair("Hội chợ khác", slug="hoi-cho-khac")
    booth_a = f.booth(fair, coop_a, [(a1, 80_000), a2], number="A1")
    booth_b = f.booth(fair, coop_b, [b1], number="B2")
    f.booth(fair, coop_d, number=None, status=BoothStatus.PENDING)
    manager_a = f.manager(coop_a)
    manager_b = f.manager(coop_b)
    manager_c = f.manager(coop_c)
    staff = f.staff()
    customer = f.user()

    for booth, visitor in [
        (None, "v1"),
        (None, "v1"),
        (None, "v2"),
        (booth_a, "v1"),
        (booth_a, "v3"),
        (booth_b, "v4"),
        (booth_b, "v4"),
        (booth_b, "v4"),
    ]:
        db.session.add(FairVisit(fair_id=fair.id, booth_id=booth.id if booth else None, visitor=f"visitor-{visitor}"))
    db.session.add(FairVisit(fair_id=other_fair.id, booth_id=None, visitor="visitor-v1"))

    start = utcnow() - timedelta(hours=5)

    def order(lines, phone, minutes, source=None, booth=None):
        placed = place_order(
            [(p.id, q) for p, q in lines], f.checkout(phone=phone), now=start + timedelta(minutes=minutes)
        )
        placed.source_fair_id = source.id if source else None
        placed.source_booth_id = booth.id if booth else None
        return placed

    order([(a2, 1)], "0911111111", -30 * 24 * 60)  # E: P1's earlier order, long before the fair
    order([(a2, 2), (b1, 1)], "0911111111", 1, fair, booth_a)  # O1
    order([(a2, 1), (c1, 2)], "0922222222", 2, fair)  # O2
    order([(b1, 1)], "0922222222", 3, fair, booth_b)  # O3
    o4 = order([(b1, 2)], "0933333333", 4, fair, booth_b)
    o5 = order([(a2, 1), (b1, 1)], "0944444444", 5, fair, booth_a)
    order([(a2, 3)], "0955555555", 6)  # O6: no source
    order([(a2, 1)], "0966666666", 7, other_fair)  # O7
    o4.parts[0].status = PartStatus.CANCELLED
    next(p for p in o5.parts if p.cooperative_id == coop_b.id).status = PartStatus.CANCELLED

    onsite.record_sale(booth_a, a1.id, 3, "cash", manager_a)
    onsite.record_sale(booth_a, a2.id, 2, "transfer", manager_a)
    mistake = onsite.record_sale(booth_a, a1.id, 1, "cash", manager_a)
    onsite.void_sale(mistake, "Nhầm", manager_a)
    onsite.record_sale(booth_b, b1.id, 1, "cash", manager_b)
    f.commit()
    return type("Dataset", (), locals())


def row_values(row) -> dict:
    return {key: getattr(row, key) for key in METRICS}


def test_the_numbers_are_the_hand_computed_ones(dataset):
    found = fair_results(dataset.fair)

    assert row_values(found.total) == EXPECTED["fair"]
    assert [r.booth_number for r in found.booths] == ["A1", "B2"]  # the pending booth is not listed
    assert row_values(found.booths[0]) == EXPECTED["A"]
    assert row_values(found.booths[1]) == EXPECTED["B"]
    assert [(p.name, p.online_units, p.onsite_units, p.units, p.revenue_vnd) for p in found.products] == PRODUCTS_FAIR

    own = fair_results(dataset.fair, dataset.booth_a)
    assert own.total is None and [row_values(r) for r in own.booths] == [EXPECTED["A"]]
    assert [(p.name, p.online_units, p.onsite_units, p.units, p.revenue_vnd) for p in own.products] == PRODUCTS_A


# --- the page and the CSV ------------------------------------------------------------------------


def screen_rows(html: str) -> dict[str, dict[str, str]]:
    """{data-row: {data-metric: (data-value, shown text)}} of the page's tables."""
    rows: dict[str, dict] = {}
    for row_id, body in re.findall(r'<tr data-row="([^"]+)"[^>]*>(.*?)</tr>', html, re.DOTALL):
        cells = rows.setdefault(row_id, {})  # a booth's row continues in the next table
        for metric, value, text in re.findall(r'data-metric="(\w+)" data-value="([^"]*)">([^<]*)<', body):
            assert metric not in cells, f"{metric} shown twice for {row_id}"
            cells[metric] = (value, text.strip())
    return rows


def csv_blocks(data: bytes) -> tuple[list[list[str]], list[list[str]]]:
    text = data.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    blank = lines.index([])
    return lines[:blank], lines[blank + 1 :]


def expected_cells(values: dict) -> list[str]:
    return ["" if values[m] is None else str(values[m]) for m in METRICS]


def shown(value) -> str:
    return "—" if value is None else str(value)


def check_row_on_screen(cells: dict, values: dict) -> None:
    for metric in METRICS:
        value, text = cells[metric]
        assert value == ("" if values[metric] is None else str(values[metric])), metric
        assert text == (format_vnd(values[metric]) if metric.endswith("_vnd") else shown(values[metric])), metric


def test_agency_page_and_csv_show_the_same_correct_numbers(client, dataset):
    sign_in(client, dataset.staff)
    page = client.get("/agency/fairs/hoi-cho-ket-qua/results")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = screen_rows(html)
    check_row_on_screen(rows["fair"], EXPECTED["fair"])
    check_row_on_screen(rows[f"booth-{dataset.booth_a.id}"], EXPECTED["A"])
    check_row_on_screen(rows[f"booth-{dataset.booth_b.id}"], EXPECTED["B"])
    assert "1.200.000" in html  # VND in the Vietnamese way
    for index, (_name, online, on_site, units, revenue) in enumerate(PRODUCTS_FAIR, start=1):
        product = rows[f"product-{index}"]
        assert [product[k][0] for k in ("online_units", "onsite_units", "units", "revenue_vnd")] == [
            str(online),
            str(on_site),
            str(units),
            str(revenue),
        ]
        assert product["revenue_vnd"][1] == format_vnd(revenue)

    export = client.get("/agency/fairs/hoi-cho-ket-qua/results.csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    summary, products = csv_blocks(export.data)
    assert len(summary) == 4 and len(summary[0]) == 2 + len(METRICS)
    assert summary[1][1:] == ["", *expected_cells(EXPECTED["fair"])]
    assert summary[2] == ["A1", "HTX A Lục Ngạn", *expected_cells(EXPECTED["A"])]
    assert summary[3] == ["B2", "HTX B Sóc Sơn", *expected_cells(EXPECTED["B"])]
    assert products[1:] == [[name, cooperative_of(name), *map(str, numbers)] for name, *numbers in PRODUCTS_FAIR]
    # Every number of the CSV is the one on the screen.
    for csv_row, row_id in zip(
        summary[1:], ["fair", f"booth-{dataset.booth_a.id}", f"booth-{dataset.booth_b.id}"], strict=True
    ):
        assert csv_row[2:] == [rows[row_id][m][0] for m in METRICS]


def test_the_csv_guards_names_a_spreadsheet_would_run_as_formulas(client, dataset):
    dataset.booth_a.cooperative.name = '=HYPERLINK("http://x.example","HTX A")'
    db.session.commit()
    sign_in(client, dataset.staff)

    summary, _products = csv_blocks(client.get("/agency/fairs/hoi-cho-ket-qua/results.csv").data)

    assert summary[2][:2] == ["A1", '\'=HYPERLINK("http://x.example","HTX A")']


def cooperative_of(product_name: str) -> str:
    return {"a": "HTX A Lục Ngạn", "b": "HTX B Sóc Sơn", "c": "HTX C Yên Thế"}[product_name[0]]


def test_a_cooperative_sees_only_its_own_booth(client, dataset):
    sign_in(client, dataset.manager_a)
    page = client.get("/workspace/htx-a/fairs/hoi-cho-ket-qua/results")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = screen_rows(html)
    assert set(rows) == {f"booth-{dataset.booth_a.id}", "product-1", "product-2"}
    check_row_on_screen(rows[f"booth-{dataset.booth_a.id}"], EXPECTED["A"])
    assert "HTX B Sóc Sơn" not in html and "b1 Mật ong" not in html and "c1 Gạo nếp" not in html

    summary, products = csv_blocks(client.get("/workspace/htx-a/fairs/hoi-cho-ket-qua/results.csv").data)
    assert summary[1:] == [["A1", "HTX A Lục Ngạn", *expected_cells(EXPECTED["A"])]]
    assert products[1:] == [[name, "HTX A Lục Ngạn", *map(str, numbers)] for name, *numbers in PRODUCTS_A]


def test_who_may_see_which_results(client, dataset):
    agency = "/agency/fairs/hoi-cho-ket-qua/results"
    own_a = "/workspace/htx-a/fairs/hoi-cho-ket-qua/results"

    assert client.get(agency).status_code == 302  # sign in first
    assert client.get(own_a).status_code == 302

    sign_in(client, dataset.manager_b)
    assert client.get(own_a).status_code == 403  # another cooperative's booth
    assert client.get(own_a + ".csv").status_code == 403
    assert client.get(agency).status_code == 403 and client.get(agency + ".csv").status_code == 403
    assert client.get("/workspace/htx-b/fairs/hoi-cho-ket-qua/results").status_code == 200

    sign_in(client, dataset.manager_c)
    assert client.get("/workspace/htx-c/fairs/hoi-cho-ket-qua/results").status_code == 404  # no booth there
    assert client.get("/workspace/htx-c/fairs/no-such-fair/results").status_code == 404

    sign_in(client, dataset.customer)
    assert client.get(agency).status_code == 403

    sign_in(client, dataset.staff)
    assert client.get("/agency/fairs/no-such-fair/results").status_code == 404
