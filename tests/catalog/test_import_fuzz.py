"""The CSV importers under hypothesis: any cells, any bytes after the header, give either an
import or row/column problems (ImportFailed) with nothing written; never another exception,
and never a 500 through the workspace's import page.

Settings and what is left out until the guard is merged: tests/fuzzing.py.
"""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from marketplace.catalog.importer import PRODUCT_HEADER, import_products
from marketplace.catalog.models import Category, Product
from marketplace.cooperatives.importer import COOPERATIVE_HEADER, import_cooperatives
from marketplace.cooperatives.models import Cooperative
from marketplace.core.csv_import import ImportFailed
from marketplace.extensions import db
from tests.cooperatives.helpers import sign_in
from tests.fuzzing import fuzz_settings, texts

SLUG = "htx-vai-thieu"
TYPED = [
    "",
    " ",
    SLUG,
    "VT-1",
    "vt-1",
    "kg",
    "hộp",
    "150.000",
    "60000",
    "-4",
    "12.5",
    "1e9",
    "99999999999999999999999",
    "0",
    "5",
    "7",
    "Trái cây",
    "Sấy khô",
    "=1+1",
    '"',
    ",",
    "\n",
    "\r\n",
    "2024-02-30",
    "0912345678",
    "lan@example.vn",
    "27",
]
cells = st.one_of(st.sampled_from(TYPED), texts(max_size=30))


def csv_text(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def rows_of(header: list[str]) -> st.SearchStrategy[list[list[str]]]:
    return st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), min_size=1, max_size=4)


def written() -> tuple[int, int, int]:
    db.session.flush()
    return tuple(
        db.session.scalar(sa.select(sa.func.count()).select_from(model)) for model in (Product, Category, Cooperative)
    )


@pytest.fixture
def shop(app, make):
    coop = make.cooperative(name="HTX Vải thiều Lục Ngạn", slug=SLUG)
    fruit = make.category("Trái cây", slug="trai-cay")
    make.category("Sấy khô", parent=fruit, slug="say-kho")
    manager = make.manager(coop)
    make.product(coop, sku="VT-1", stock=3)
    make.commit()
    return coop, manager


def import_or_problems(importer, data, header: list[str], **options) -> None:
    """Run one import in a transaction rolled back afterwards; check the property."""
    before = written()
    try:
        importer(data, **options)
    except ImportFailed as failed:
        assert failed.problems
        for problem in failed.problems:
            assert problem.row >= 1 and problem.message
            assert problem.column in header or problem.column in ("-", "")
        assert written() == before  # nothing half-imported
    finally:
        db.session.rollback()


def test_any_product_cells_import_or_name_their_problems(shop):
    coop, _manager = shop

    @fuzz_settings(200)
    @given(rows=rows_of(PRODUCT_HEADER))
    def run(rows):
        import_or_problems(import_products, csv_text(PRODUCT_HEADER, rows), PRODUCT_HEADER, cooperative=coop)

    run()


def test_any_cooperative_cells_import_or_name_their_problems(shop):
    @fuzz_settings(150)
    @given(rows=rows_of(COOPERATIVE_HEADER))
    def run(rows):
        import_or_problems(import_cooperatives, csv_text(COOPERATIVE_HEADER, rows), COOPERATIVE_HEADER)

    run()


def test_any_bytes_after_the_header_import_or_name_their_problems(shop):
    coop, _manager = shop
    header = ",".join(PRODUCT_HEADER).encode() + b"\n"

    @fuzz_settings(150)
    @given(body=st.binary(max_size=300))
    def run(body):
        import_or_problems(import_products, header + body, PRODUCT_HEADER, cooperative=coop)

    run()


def test_the_import_page_answers_any_file_without_a_500(client, shop):
    coop, manager = shop
    sign_in(client, manager)

    @fuzz_settings(60)
    @given(rows=rows_of(PRODUCT_HEADER), raw=st.booleans())
    def run(rows, raw):
        before = written()
        data = csv_text(PRODUCT_HEADER, rows).encode(
            "utf-8", "surrogatepass"
        )  # a lone surrogate: bytes that are not UTF-8
        response = client.post(
            f"/workspace/{SLUG}/products/import",
            data={"file": (io.BytesIO(data if not raw else data[:-7]), "products.csv")},
            content_type="multipart/form-data",
        )
        assert response.status_code in (200, 302), response.status_code
        if response.status_code == 200:
            db.session.expire_all()
            assert written() == before

    run()
