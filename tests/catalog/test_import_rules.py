"""Categories are staff's: a manager's CSV import refuses a category the site does not have
(staff's command-line import creates it). A cooperative's SKUs differ by more than their
case, in the import, the product form and the database."""

from __future__ import annotations

import io
import re

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from marketplace.catalog.importer import PRODUCT_HEADER, import_products
from marketplace.catalog.models import Category, Product
from marketplace.core.csv_import import ImportFailed
from marketplace.core.migrations import upgrade_database
from marketplace.extensions import db
from tests import factories as f
from tests.conftest import make_app
from tests.cooperatives.helpers import sign_in
from tests.old_revisions import add_columns_for_the_factories, drop_columns, later_columns

HEADER = ",".join(PRODUCT_HEADER)


def line(**cells) -> str:
    values = {
        "cooperative": "htx-vai-thieu",
        "sku": "VT-1",
        "name": "Vải thiều sấy",
        "category": "Trái cây",
        "unit": "kg",
        "price_vnd": "150000",
        "stock": "10",
        "ocop_stars": "",
        "origin": "Lục Ngạn",
        "description": "",
    }
    values.update(cells)
    return ",".join(values[name] for name in PRODUCT_HEADER)


def csv_file(*rows: str) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def problems(failed: ImportFailed) -> list[tuple[int, str]]:
    return [(p.row, p.column) for p in failed.problems]


@pytest.fixture
def shop(app, make):
    coop = make.cooperative(slug="htx-vai-thieu")
    fruit = make.category("Trái cây", slug="trai-cay")
    dried = make.category("Sấy khô", parent=fruit, slug="say-kho")
    make.category("Mật ong", slug="mat-ong")
    manager = make.manager(coop)
    make.commit()
    return coop, fruit, dried, manager


@pytest.fixture
def signed_in(client, shop):
    sign_in(client, shop[3])
    client.get("/lang/en")
    return client


def post_csv(client, text: str):
    return client.post(
        "/workspace/htx-vai-thieu/products/import",
        data={"file": (io.BytesIO(text.encode("utf-8")), "products.csv")},
        content_type="multipart/form-data",
    )


# --- categories -----------------------------------------------------------------------------


def test_the_workspace_import_refuses_an_unknown_category_naming_the_known_ones(signed_in, shop):
    response = post_csv(
        signed_in,
        csv_file(line(category="trai cay"), line(sku="VT-2", category="Hải sản"), line(sku="VT-3", category="SẤY KHÔ")),
    )

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Nothing was imported: 1 problem to fix" in page
    assert '<td class="num">3</td><td>category</td>' in page
    assert "unknown category Hải sản; use one of: Mật ong, Sấy khô, Trái cây" in page
    db.session.expire_all()
    assert count(Product) == 0
    assert count(Category) == 3
    assert "Hải sản" not in signed_in.get("/categories").get_data(as_text=True)


def test_a_known_category_is_found_ignoring_case_and_accents(signed_in, shop):
    coop, fruit, dried, manager = shop
    response = post_csv(signed_in, csv_file(line(category="trai cay"), line(sku="VT-2", category="SẤY KHÔ")))
    assert response.status_code == 302
    db.session.expire_all()
    assert {p.sku: p.category_id for p in db.session.scalars(select(Product))} == {"VT-1": fruit.id, "VT-2": dried.id}
    assert count(Category) == 3


def test_a_cooperatives_import_creates_no_category_unless_asked(app, shop):
    coop = shop[0]
    with pytest.raises(ImportFailed) as failed:
        import_products(csv_file(line(category="Hải sản")), cooperative=coop)
    assert problems(failed.value) == [(2, "category")]
    assert count(Category) == 3

    result = import_products(csv_file(line(category="Hải sản")), cooperative=coop, create_categories=True)
    assert result.created == 1 and count(Category) == 4


def test_the_command_line_import_still_creates_categories(app, runner, tmp_path, shop):
    path = tmp_path / "products.csv"
    path.write_text(csv_file(line(category="Hải sản")), encoding="utf-8")

    result = runner.invoke(args=["products", "import", str(path)])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    seafood = db.session.scalar(select(Category).where(Category.name == "Hải sản"))
    assert seafood is not None and seafood.parent is None
    assert db.session.scalar(select(Product)).category == seafood


# --- SKUs, whatever their case --------------------------------------------------------------


def test_the_import_refuses_a_sku_that_differs_only_in_case(app, shop, make):
    coop, fruit, dried, manager = shop
    existing = make.product(coop, fruit, sku="abc-1", stock=3)
    make.product(make.cooperative(slug="htx-khac"), fruit, sku="xyz-9")
    make.commit()

    with pytest.raises(ImportFailed) as failed:
        import_products(csv_file(line(sku="ABC-1", stock="50"), line(sku="VT-2")))

    assert problems(failed.value) == [(2, "sku")]
    assert "abc-1" in failed.value.problems[0].message
    db.session.rollback()
    assert count(Product) == 2
    assert db.session.get(Product, existing.id).stock == 3

    # The same SKU as written updates the product; another cooperative's SKU is no clash.
    result = import_products(csv_file(line(sku="abc-1", stock="50"), line(sku="XYZ-9")))
    assert (result.created, result.updated) == (1, 1)


def test_the_import_refuses_two_rows_whose_skus_differ_only_in_case(signed_in, shop):
    page = post_csv(signed_in, csv_file(line(sku="VT-1"), line(sku="vt-1"))).get_data(as_text=True)

    assert '<td class="num">3</td><td>sku</td><td>vt-1 is already on row 2</td>' in page
    assert count(Product) == 0


def test_the_workspace_import_shows_the_case_clash(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    make.product(coop, fruit, sku="abc-1")
    make.commit()

    page = post_csv(signed_in, csv_file(line(sku="ABC-1"))).get_data(as_text=True)

    assert '<td class="num">2</td><td>sku</td>' in page
    assert "the cooperative already has a product with the SKU abc-1" in page
    assert count(Product) == 1


def product_form(category, **changes) -> dict:
    data = {
        "name": "Vải thiều sấy khô",
        "category_id": str(category.id),
        "unit": "hộp",
        "price_vnd": "150000",
        "stock": "40",
        "sku": "ABC-1",
        "ocop_stars": "",
        "origin": "",
        "description": "",
        "status": "active",
    }
    data.update(changes)
    return data


def test_the_product_form_refuses_a_sku_that_differs_only_in_case(signed_in, shop, make):
    coop, fruit, dried, manager = shop
    existing = make.product(coop, fruit, sku="abc-1")
    elsewhere = make.product(make.cooperative(), fruit, sku="xyz-9")
    make.commit()

    response = signed_in.post("/workspace/htx-vai-thieu/products/new", data=product_form(fruit))

    assert response.status_code == 200
    assert "already uses this SKU (capital and small letters count as the same)" in response.get_data(as_text=True)
    assert count(Product) == 2
    # Its own SKU in other letters is fine, and so is another cooperative's.
    url = f"/workspace/htx-vai-thieu/products/{existing.id}/edit"
    assert signed_in.post(url, data=product_form(fruit)).status_code == 302
    assert (
        signed_in.post("/workspace/htx-vai-thieu/products/new", data=product_form(fruit, sku="XYZ-9")).status_code
        == 302
    )
    db.session.expire_all()
    assert db.session.get(Product, existing.id).sku == "ABC-1"
    assert elsewhere.sku == "xyz-9" and count(Product) == 3


def test_the_database_refuses_a_sku_that_differs_only_in_case(app, make):
    coop = make.cooperative()
    make.product(coop, sku="abc-1")
    make.product(make.cooperative(), sku="ABC-1")
    make.commit()

    with pytest.raises(IntegrityError):
        make.product(coop, sku="ABC-1")
    db.session.rollback()
    assert count(Product) == 2


def sqlite_indexes() -> set[str]:
    return set(db.session.scalars(sa.text("SELECT name FROM sqlite_master WHERE type = 'index'")))


def _revision_before_the_sku_index() -> str:
    """The down_revision of the migration adding the index (whatever comes before it)."""
    from pathlib import Path

    (migration,) = (Path(__file__).parents[2] / "migrations" / "versions").glob("*_sku_unique_ignoring_case.py")
    return re.search(r'^down_revision = "(\w+)"', migration.read_text(), re.M).group(1)


def test_the_migration_stops_at_skus_that_differ_only_in_case(tmp_path, capsys):
    before = _revision_before_the_sku_index()
    app = make_app(f"sqlite:///{tmp_path / 'upgraded.sqlite3'}", tmp_path)
    with app.app_context():
        try:
            upgrade_database(before)
            added = later_columns()
            add_columns_for_the_factories(added)
            coop = f.cooperative(slug="htx-a")
            first = f.product(coop, sku="abc-1")
            f.product(coop, sku="ABC-1")
            f.product(f.cooperative(), sku="Abc-1")
            f.commit()
            first_id = first.id
            drop_columns(added)
            db.session.remove()

            with pytest.raises(SystemExit):  # `marketplace db upgrade` says why and exits 1
                upgrade_database()

            said = capsys.readouterr().err
            assert "2 products have a SKU that another product of their cooperative has" in said
            assert "htx-a: ABC-1; htx-a: abc-1" in said
            assert "uq_products_cooperative_id_lower_sku" not in sqlite_indexes()
            assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == before

            db.session.execute(sa.update(Product).where(Product.id == first_id).values(sku="abc-2"))
            f.commit()
            db.session.remove()
            upgrade_database()
            assert "uq_products_cooperative_id_lower_sku" in sqlite_indexes()
        finally:
            db.session.remove()
            db.engine.dispose()
