"""The report "which batches reached which buyers": rows, filters, exports, who sees what."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from marketplace.core.models import utcnow
from marketplace.traceability import batches
from tests import factories as f
from tests.cooperatives.helpers import sign_in
from tests.traceability.helpers import TODAY, batch
from tests.traceability.recall_helpers import build, sell

AGENCY = "/agency/batches/deliveries"
WORKSPACE = "/workspace/vai-thieu/batches/deliveries"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(batches, "today", lambda: TODAY)


@pytest.fixture
def shop(app):
    shop = build()
    honey = f.product(shop.other_coop, name="Mật ong rừng", sku="MO-1", stock=0)
    honey_lot = batch(honey, code="MO-26", quantity=50, stock=10)
    shop.sneaky = sell(honey, 2, honey_lot, name='=HYPERLINK("http://evil")', email="x@example.vn", phone="0913000555")
    shop.honey, shop.honey_lot = honey, honey_lot
    f.commit()
    return shop


@pytest.fixture
def staff_client(client, shop):
    staff = f.staff()
    f.commit()
    sign_in(client, staff)
    return client


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def receivers(rows) -> list[tuple]:
    """(lot, order number or fair, quantity) of each data row."""
    return sorted((r[0], r[4] or r[7], int(r[10])) for r in rows[1:])


def test_agency_csv_lists_every_receiver_of_every_batch(staff_client, shop):
    rows = csv_rows(staff_client.get(AGENCY + ".csv"))
    assert rows[0][:4] == ["Mã lô", "Sản phẩm", "Hợp tác xã", "Người nhận"]  # Vietnamese first
    assert receivers(rows) == sorted(
        [
            ("LOT-A", shop.lan.number, 3),
            ("LOT-A", shop.binh.number, 1),
            ("LOT-A", "Hội chợ OCOP Bắc Ninh", 1),
            ("LOT-B", shop.dung.number, 2),
            ("MO-26", shop.sneaky.number, 2),
        ]
    )  # the cancelled order (cuong) received nothing
    lan = next(r for r in rows if r[4] == shop.lan.number)
    assert lan[1:3] == ["Vải thiều sấy", "HTX Vải thiều Lục Ngạn"] and lan[5:7] == ["Nguyễn Thị Lan", "0912345678"]
    sneaky = next(r for r in rows if r[4] == shop.sneaky.number)
    assert sneaky[5] == '\'=HYPERLINK("http://evil")'  # never a formula


def test_the_xlsx_has_the_same_rows_as_text_cells(staff_client, shop):
    response = staff_client.get(AGENCY + ".xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    csv_values = csv_rows(staff_client.get(AGENCY + ".csv"))
    assert len(values) == len(csv_values) == 6
    assert receivers([[str(v) if v is not None else "" for v in row] for row in values]) == receivers(csv_values)
    sneaky = next(row for row in sheet.iter_rows() if row[4].value == shop.sneaky.number)
    assert sneaky[5].value == '=HYPERLINK("http://evil")' and sneaky[5].data_type == "s"
    assert isinstance(sneaky[10].value, int)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lot=lot-b", {"LOT-B"}),
        ("lot=MO", {"MO-26"}),
        ("product={honey}", {"MO-26"}),
        ("cooperative={coop}", {"LOT-A", "LOT-B"}),
        ("from={today}&to={today}", {"LOT-A", "LOT-B", "MO-26"}),
        ("from={tomorrow}", set()),
        ("to={yesterday}", set()),
    ],
)
def test_filters(staff_client, shop, query, expected):
    today = (utcnow() + batches.VIETNAM_OFFSET).date()
    query = query.format(
        honey=shop.honey.id,
        coop=shop.coop.id,
        today=today.isoformat(),
        tomorrow=(today + timedelta(days=1)).isoformat(),
        yesterday=(today - timedelta(days=1)).isoformat(),
    )
    rows = csv_rows(staff_client.get(f"{AGENCY}.csv?{query}"))
    assert {r[0] for r in rows[1:]} == expected
    page = staff_client.get(f"{AGENCY}?{query}")
    assert page.status_code == 200
    for lot in {"LOT-A", "LOT-B", "MO-26"}:
        assert (f">{lot}<" in page.text) == (lot in expected)


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-01",
        "to=hôm-nay",
        "from=2026-12-03&to=2026-12-01",
        "cooperative=abc",
        "product=-1",
        "lot=" + "A" * 21,
    ],
)
def test_bad_filters_get_a_clear_message(staff_client, shop, query):
    page = staff_client.get(f"{AGENCY}?{query}")
    assert page.status_code == 400 and 'role="alert"' in page.text
    assert staff_client.get(f"{AGENCY}.csv?{query}").status_code == 400
    assert staff_client.get(f"{AGENCY}.xlsx?{query}").status_code == 400


def test_a_manager_sees_only_the_cooperatives_own_batches(client, shop):
    sign_in(client, shop.manager)
    rows = csv_rows(client.get(f"{WORKSPACE}.csv?cooperative={shop.other_coop.id}"))
    assert {r[0] for r in rows[1:]} == {"LOT-A", "LOT-B"}
    xlsx = load_workbook(io.BytesIO(client.get(WORKSPACE + ".xlsx").data)).active
    assert {row[0].value for row in xlsx.iter_rows(min_row=2)} == {"LOT-A", "LOT-B"}
    page = client.get(WORKSPACE).text
    assert shop.lan.number in page and shop.sneaky.number not in page
    assert client.get(f"{WORKSPACE}?product={shop.honey.id}").status_code == 200  # another's product: no rows
    assert shop.sneaky.number not in client.get(f"{WORKSPACE}?product={shop.honey.id}").text


@pytest.mark.parametrize("who", ["anonymous", "customer", "other_manager"])
def test_others_cannot_read_a_cooperatives_report(client, shop, who):
    if who != "anonymous":
        sign_in(client, f.user() if who == "customer" else shop.other_manager)
    expected = 302 if who == "anonymous" else 403
    for suffix in ("", ".csv", ".xlsx"):
        assert client.get(WORKSPACE + suffix).status_code == expected
        assert client.get(AGENCY + suffix).status_code == (302 if who == "anonymous" else 403)
