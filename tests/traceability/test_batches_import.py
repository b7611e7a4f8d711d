"""CSV import of batches: all or nothing, every problem with its row and column."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa

from marketplace.core.csv_import import ImportFailed
from marketplace.extensions import db
from marketplace.traceability import batches
from marketplace.traceability.batch_import import BATCH_HEADER, import_batches
from marketplace.traceability.models import Batch
from tests import factories as f
from tests.cooperatives.helpers import sign_in
from tests.traceability.helpers import TODAY, batch

HEADER = ",".join(BATCH_HEADER)


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(batches, "today", lambda: TODAY)


@pytest.fixture
def setup(app):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
    lychee = f.product(coop, name="Vải thiều sấy", sku="VAI-1")
    honey = f.product(coop, name="Mật ong", sku="MO-1")
    elsewhere = f.product(f.cooperative(slug="khac"), sku="KHAC-1")
    manager = f.manager(coop)
    f.commit()
    return type("Setup", (), locals())


def count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Batch.id)))


def test_a_good_file_adds_every_batch(setup):
    data = "\n".join(
        [
            HEADER,
            "VAI-1,L-01,20/11/2026,20/05/2027,1.200,Bắc Ninh,Lục Ngạn,Đồi Phượng Sơn,Sấy lạnh,1.000",
            "mo-1,MO/26,2026-10-01,,50,,,,,",  # an SKU in another case
        ]
    )
    assert import_batches(data, setup.coop) == 2
    first, second = db.session.scalars(sa.select(Batch).order_by(Batch.id))
    assert (first.product, first.code, first.produced_on, first.best_before, first.quantity) == (
        setup.lychee,
        "L-01",
        date(2026, 11, 20),
        date(2027, 5, 20),
        1200,
    )
    assert (first.province_code, first.ward_code, first.place_name) == (f.BAC_NINH, f.LUC_NGAN, "Đồi Phượng Sơn")
    assert (second.code, second.best_before, second.province_code) == ("MO/26", None, None)
    assert first.short_code != second.short_code
    # The stock column: what is still on sale (empty: all of it); the products' stock follows.
    assert (first.stock, second.stock) == (1000, 50)
    assert (setup.lychee.stock, second.product.stock) == (1000, 50)


def test_one_bad_row_refuses_the_file_with_row_and_column(setup):
    batch(setup.lychee, code="TAKEN")
    f.commit()
    data = "\n".join(
        [
            HEADER,
            "VAI-1,GOOD-1,20/11/2026,,10,,,,,",  # row 2: fine
            "KHAC-1,L-2,20/11/2026,,10,,,,,",  # row 3: another cooperative's product
            "VAI-1,LÔ 3,31/02/2026,,0,,,,,",  # row 4: bad code, no such date, quantity 0
            "VAI-1,L-4,25/12/2026,01/01/2026,10,,,,,",  # row 5: in the future
            "VAI-1,TAKEN,20/11/2026,,10,Bắc Ninh,Không có,,,",  # row 6: unknown ward
            "VAI-1,TAKEN,20/11/2026,,10,,,,,",  # row 7: code already used
            "MO-1,X,20/11/2026,,10,,,,,",  # row 8
            "MO-1,X,21/11/2026,,5,,,,,",  # row 9: same product and code as row 8
            "VAI-1,L-5,20/11/2026,19/11/2026,10,,,,,",  # row 10: best before earlier than production
            "VAI-1,L-6,20/11/2026,,10,,,,,11",  # row 11: more in stock than the lot holds
        ]
    )
    with pytest.raises(ImportFailed) as caught:
        import_batches(data, setup.coop)
    found = {(p.row, p.column) for p in caught.value.problems}
    assert found == {
        (3, "sku"),
        (4, "code"),
        (4, "produced_on"),
        (4, "quantity"),
        (5, "produced_on"),
        (6, "ward"),
        (7, "code"),
        (9, "code"),
        (10, "best_before"),
        (11, "stock"),
    }
    db.session.rollback()
    assert count() == 1  # only the batch made before: nothing of the file


def test_a_wrong_header_is_refused(setup):
    with pytest.raises(ImportFailed) as caught:
        import_batches("sku,code\nVAI-1,L1", setup.coop)
    assert caught.value.problems[0].row == 1 and caught.value.problems[0].column == "header"


def test_the_import_page_lists_problems_and_writes_nothing(client, setup):
    sign_in(client, setup.manager)
    page = client.get("/workspace/vai-thieu/batches/import")
    assert page.status_code == 200
    template = client.get("/workspace/vai-thieu/batches/import/template.csv")
    assert template.status_code == 200 and template.data.decode("utf-8-sig").startswith(HEADER)
    bad = (HEADER + "\nVAI-1,L-1,20/11/2026,,10,,,,,\nVAI-1,L-2,hôm qua,,10,,,,,\n").encode()
    response = client.post("/workspace/vai-thieu/batches/import", data={"file": (io.BytesIO(bad), "lo.csv")})
    assert response.status_code == 200
    assert "produced_on" in response.text and '<td class="num">3</td>' in response.text
    assert count() == 0
    good = (HEADER + "\nVAI-1,L-1,20/11/2026,,10,,,,,\n").encode()
    response = client.post("/workspace/vai-thieu/batches/import", data={"file": (io.BytesIO(good), "lo.csv")})
    assert response.status_code == 302 and count() == 1


def test_another_cooperative_s_manager_cannot_import(client, setup):
    sign_in(client, f.manager(setup.elsewhere.cooperative))
    f.commit()
    good = (HEADER + "\nVAI-1,L-1,20/11/2026,,10,,,,,\n").encode()
    response = client.post("/workspace/vai-thieu/batches/import", data={"file": (io.BytesIO(good), "lo.csv")})
    assert response.status_code == 403 and count() == 0
