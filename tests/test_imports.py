"""CSV imports of cooperatives and products: all or nothing, every problem reported by row and column."""

from __future__ import annotations

import csv
import io

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from marketplace.catalog.importer import PRODUCT_HEADER, export_products_csv, import_products
from marketplace.catalog.models import Category, Product, ProductStatus
from marketplace.cooperatives.importer import COOPERATIVE_HEADER, import_cooperatives
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.core import geo
from marketplace.core.csv_import import ImportFailed
from marketplace.extensions import db

COOP_HEADER = ",".join(COOPERATIVE_HEADER)
PROD_HEADER = ",".join(PRODUCT_HEADER)

GOOD_COOPS = f"""{COOP_HEADER}
htx-vai-thieu-tn,HTX Vải thiều Thanh niên Lục Ngạn,2400123456,Bắc Ninh,Xã Lục Ngạn,2021-03-15,1,25,18,Nguyễn Văn An,0912 345 678,LienHe@VaiThieu.vn,"Trồng vải thiều VietGAP, sấy khô"
htx-ga-doi,HTX Gà đồi Yên Thế,,Tỉnh Bắc Ninh,Yên Thế,,0,10,2,,(0204) 3856 789,,
"""


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def csv_line(values) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(list(values))
    return out.getvalue()


def coop_row(**cells) -> str:
    values = {
        "slug": "htx-moi",
        "name": "HTX Mới",
        "registration_code": "2400999999",
        "province": "Bắc Ninh",
        "ward": "Xã Lục Ngạn",
        "founded_on": "2022-01-01",
        "is_youth": "1",
        "members": "10",
        "youth_members": "8",
        "representative": "Trần Thị Bình",
        "phone": "0987654321",
        "email": "htx@example.vn",
        "description": "Mô tả",
    }
    values.update(cells)
    return csv_line(values[name] for name in COOPERATIVE_HEADER)


def product_row(**cells) -> str:
    values = {
        "cooperative": "htx-a",
        "sku": "VT-01",
        "name": "Vải thiều Lục Ngạn",
        "category": "Trái cây",
        "unit": "kg",
        "price_vnd": "150000",
        "stock": "10",
        "ocop_stars": "",
        "origin": "Lục Ngạn, Bắc Ninh",
        "description": "Quả to, cùi dày",
    }
    values.update(cells)
    return csv_line(values[name] for name in PRODUCT_HEADER)


def problems_of(error: ImportFailed) -> list[tuple[int, str]]:
    return [(p.row, p.column) for p in error.problems]


# --- cooperatives -------------------------------------------------------------------------


def test_import_cooperatives_creates_approved_cooperatives(app):
    result = import_cooperatives(GOOD_COOPS.encode("utf-8"))
    db.session.commit()

    assert (result.created, result.updated) == (2, 0)
    coop = db.session.scalar(select(Cooperative).where(Cooperative.slug == "htx-vai-thieu-tn"))
    bac_ninh = geo.find_province("Bắc Ninh")
    assert coop.name == "HTX Vải thiều Thanh niên Lục Ngạn"
    assert coop.province_code == bac_ninh
    assert coop.ward_code == geo.find_ward(bac_ninh, "Xã Lục Ngạn")
    assert coop.founded_on.isoformat() == "2021-03-15"
    assert coop.is_youth and coop.member_count == 25 and coop.youth_member_count == 18
    assert coop.phone == "0912345678"
    assert coop.email == "lienhe@vaithieu.vn"
    assert coop.description == "Trồng vải thiều VietGAP, sấy khô"
    assert coop.status == CooperativeStatus.APPROVED
    assert coop.status_changed_at is not None and coop.status_reason == "Imported"
    assert [c.to_status for c in coop.status_changes] == [CooperativeStatus.APPROVED]
    other = db.session.scalar(select(Cooperative).where(Cooperative.slug == "htx-ga-doi"))
    assert other.registration_code is None and other.founded_on is None and not other.is_youth
    assert other.ward_code == geo.find_ward(bac_ninh, "Xã Yên Thế")
    assert other.phone == "02043856789"  # an office landline is fine for a cooperative


def test_reimporting_cooperatives_updates_them_without_duplicates(app, make):
    import_cooperatives(GOOD_COOPS)
    db.session.commit()
    suspended = db.session.scalar(select(Cooperative).where(Cooperative.slug == "htx-ga-doi"))
    suspended.status = CooperativeStatus.SUSPENDED
    db.session.commit()

    changed = GOOD_COOPS.replace("HTX Gà đồi Yên Thế,", "HTX Gà đồi Yên Thế Xanh,").replace(",25,18,", ",30,20,")
    result = import_cooperatives(changed)
    db.session.commit()

    assert (result.created, result.updated) == (0, 2)
    assert count(Cooperative) == 2
    coops = {c.slug: c for c in db.session.scalars(select(Cooperative))}
    assert coops["htx-ga-doi"].name == "HTX Gà đồi Yên Thế Xanh"
    assert coops["htx-vai-thieu-tn"].member_count == 30
    # A suspension is the agency's decision; a register import does not undo it.
    assert coops["htx-ga-doi"].status == CooperativeStatus.SUSPENDED


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"province": "Atlantis"}, "province"),
        ({"ward": "Phường Ba Đình"}, "ward"),  # a real ward, but in Hà Nội
        ({"ward": ""}, "ward"),
        ({"founded_on": "2021-13-01"}, "founded_on"),
        ({"founded_on": "15/03/2021"}, "founded_on"),
        ({"founded_on": "2999-01-01"}, "founded_on"),
        ({"is_youth": "2"}, "is_youth"),
        ({"is_youth": "yes"}, "is_youth"),
        ({"members": "5", "youth_members": "6"}, "youth_members"),
        ({"members": "-1"}, "members"),
        ({"members": "ba"}, "members"),
        ({"slug": "HTX Mới"}, "slug"),
        ({"slug": ""}, "slug"),
        ({"name": ""}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "12"}, "phone"),
    ],
)
def test_bad_cooperative_value_is_reported_and_nothing_written(app, cells, column):
    data = f"{COOP_HEADER}\n{coop_row(slug='htx-tot', registration_code='1')}\n{coop_row(**cells)}\n"

    with pytest.raises(ImportFailed) as failed:
        import_cooperatives(data)

    assert problems_of(failed.value) == [(3, column)]
    db.session.rollback()
    assert count(Cooperative) == 0


def test_every_bad_cooperative_row_and_cell_is_reported(app):
    data = "\n".join(
        [
            COOP_HEADER,
            coop_row(slug="htx-a", registration_code="111"),
            coop_row(slug="htx-a", registration_code="111", is_youth="2", province="Atlantis"),
            coop_row(slug="htx-b", registration_code="222"),
        ]
    )

    with force_locale("en"), pytest.raises(ImportFailed) as failed:
        import_cooperatives(data)

    assert problems_of(failed.value) == [(3, "slug"), (3, "registration_code"), (3, "province"), (3, "is_youth")]
    with force_locale("en"):
        assert str(failed.value.problems[0]) == "row 3, column slug: htx-a is already on row 2"
    assert count(Cooperative) == 0


def test_registration_code_of_another_cooperative_is_refused(app, make):
    make.cooperative(slug="htx-cu", registration_code="2400123456")
    make.commit()

    with pytest.raises(ImportFailed) as failed:
        import_cooperatives(GOOD_COOPS)

    assert problems_of(failed.value) == [(2, "registration_code")]
    assert count(Cooperative) == 1


@pytest.mark.parametrize(
    "header",
    [
        COOP_HEADER.replace("ward,", ""),
        COOP_HEADER.replace("slug,name", "name,slug"),
        COOP_HEADER + ",extra",
        "",
    ],
)
def test_wrong_cooperative_header_is_refused(app, header):
    with pytest.raises(ImportFailed) as failed:
        import_cooperatives(f"{header}\n{coop_row()}\n" if header else "")

    assert failed.value.problems[0].row == 1
    assert count(Cooperative) == 0


def test_file_that_is_not_utf8_is_refused(app):
    with pytest.raises(ImportFailed) as failed:
        import_cooperatives(GOOD_COOPS.encode("cp1258", errors="replace"))
    assert failed.value.problems[0].row == 1


def test_row_with_missing_cells_is_reported(app):
    with pytest.raises(ImportFailed) as failed:
        import_cooperatives(f"{COOP_HEADER}\nhtx-a,HTX A,1\n")
    assert problems_of(failed.value) == [(2, "-")]


# --- products --------------------------------------------------------------------------------


@pytest.fixture
def coop(make):
    return make.cooperative(slug="htx-a")


def test_import_products_creates_active_products_and_missing_categories(app, make, coop):
    fruit = make.category("Trái cây", slug="trai-cay-cu")
    make.commit()
    data = "\n".join(
        [
            PROD_HEADER,
            product_row(
                sku="VT-01",
                name="Vải thiều Lục Ngạn",
                category="trai cay",
                unit="KG",
                price_vnd="150.000",
                ocop_stars="4",
            ),
            product_row(sku="VT-02", name="Vải thiều Lục Ngạn", category="TRÁI CÂY", price_vnd="90000", stock="0"),
            product_row(sku="MC-01", name="Mỳ Chũ", category="Mỳ & bún", unit="túi", price_vnd="45000"),
            product_row(sku="MC-02", name="Mỳ Chũ gạo lứt", category="mỳ & bún", unit="Túi", price_vnd="55000"),
        ]
    )

    result = import_products(data.encode("utf-8"))
    db.session.commit()

    assert (result.created, result.updated) == (4, 0)
    products = {p.sku: p for p in db.session.scalars(select(Product))}
    lychee = products["VT-01"]
    assert lychee.category == fruit
    # ocop_stars is ignored: a product's stars come only from its valid OCOP certificate.
    assert (lychee.unit, lychee.price_vnd, lychee.stock, lychee.ocop_stars) == ("kg", 150_000, 10, None)
    assert lychee.status == ProductStatus.ACTIVE
    assert lychee.origin == "Lục Ngạn, Bắc Ninh"
    assert lychee.slug == "vai-thieu-luc-ngan"
    assert products["VT-02"].slug == "vai-thieu-luc-ngan-2"
    assert products["VT-02"].ocop_stars is None and products["VT-02"].stock == 0
    noodles = db.session.scalar(select(Category).where(Category.name == "Mỳ & bún"))
    assert noodles.parent is None and noodles.slug == "my-bun"
    assert products["MC-02"].category == noodles and products["MC-02"].unit == "túi"
    assert count(Category) == 2


def test_new_product_slug_avoids_existing_slugs(app, make, coop):
    make.product(coop, slug="vai-thieu-luc-ngan", sku="OLD")
    make.commit()

    import_products(f"{PROD_HEADER}\n{product_row()}\n")

    assert db.session.scalar(select(Product).where(Product.sku == "VT-01")).slug == "vai-thieu-luc-ngan-2"


def test_reimport_updates_product_by_cooperative_and_sku(app, make, coop):
    category = make.category("Trái cây")
    other_coop = make.cooperative(slug="htx-b")
    existing = make.product(coop, category, sku="VT-01", slug="vai-cu", name="Vải cũ", status=ProductStatus.ARCHIVED)
    same_sku_elsewhere = make.product(other_coop, category, sku="VT-01", name="Vải của HTX B", price_vnd=1)
    make.commit()

    result = import_products(f"{PROD_HEADER}\n{product_row(price_vnd='175000', stock='3')}\n")
    db.session.commit()

    assert (result.created, result.updated) == (0, 1)
    db.session.refresh(existing)
    assert (existing.name, existing.price_vnd, existing.stock) == ("Vải thiều Lục Ngạn", 175_000, 3)
    assert existing.slug == "vai-cu"  # links keep working
    assert existing.status == ProductStatus.ARCHIVED
    assert db.session.get(Product, same_sku_elsewhere.id).price_vnd == 1
    assert count(Product) == 2


@pytest.mark.parametrize(
    ("cells", "column"),
    [
        ({"price_vnd": "12.5"}, "price_vnd"),
        ({"price_vnd": "12,5"}, "price_vnd"),
        ({"price_vnd": "-3"}, "price_vnd"),
        ({"price_vnd": "abc"}, "price_vnd"),
        ({"price_vnd": ""}, "price_vnd"),
        ({"price_vnd": "1.50.000"}, "price_vnd"),
        ({"stock": "-1"}, "stock"),
        ({"stock": "2.5"}, "stock"),
        ({"cooperative": "htx-khong-co"}, "cooperative"),
        ({"unit": "tấn"}, "unit"),
        ({"unit": ""}, "unit"),
        ({"sku": ""}, "sku"),
        ({"sku": "VT 02"}, "sku"),
        ({"sku": "VT-01"}, "sku"),  # the same cooperative + sku as row 2
        ({"name": ""}, "name"),
        ({"category": ""}, "category"),
    ],
)
def test_bad_product_value_is_reported_and_nothing_written(app, coop, cells, column):
    cells.setdefault("sku", "VT-02")
    data = f"{PROD_HEADER}\n{product_row(category='Danh mục mới')}\n{product_row(**cells)}\n"

    with pytest.raises(ImportFailed) as failed:
        import_products(data)

    assert problems_of(failed.value) == [(3, column)]
    db.session.rollback()
    assert count(Product) == 0
    assert count(Category) == 0


def test_every_bad_product_cell_is_reported(app, coop):
    data = "\n".join(
        [
            PROD_HEADER,
            product_row(price_vnd="12.5", stock="-1", unit="tấn"),
            product_row(sku="VT-02"),
            product_row(sku="VT-03", cooperative="htx-khong-co", ocop_stars="2"),
        ]
    )

    with pytest.raises(ImportFailed) as failed:
        import_products(data)

    assert problems_of(failed.value) == [
        (2, "unit"),
        (2, "price_vnd"),
        (2, "stock"),
        (4, "cooperative"),  # its ocop_stars is ignored, not refused
    ]
    assert count(Product) == 0


def test_manager_import_only_accepts_their_own_cooperative(app, make, coop):
    make.cooperative(slug="htx-b")
    make.category("Trái cây")  # a manager's import names the site's categories
    make.commit()
    data = f"{PROD_HEADER}\n{product_row()}\n{product_row(cooperative='htx-b', sku='B-1')}\n"

    with pytest.raises(ImportFailed) as failed:
        import_products(data, cooperative=coop)

    assert problems_of(failed.value) == [(3, "cooperative")]
    assert count(Product) == 0
    assert import_products(f"{PROD_HEADER}\n{product_row()}\n", cooperative=coop).created == 1


def test_wrong_product_header_is_refused(app, coop):
    with pytest.raises(ImportFailed) as failed:
        import_products(f"{PROD_HEADER.replace('price_vnd', 'price')}\n{product_row()}\n")
    assert problems_of(failed.value) == [(1, "header")]
    assert "price_vnd" in failed.value.problems[0].message


def test_export_then_import_round_trips_unchanged(app, make, coop):
    fruit = make.category("Trái cây")
    make.product(
        coop,
        fruit,
        sku="B-2",
        name='Vải "sấy", loại 1',
        unit="hộp",
        price_vnd=120_000,
        stock=0,
        ocop_stars=4,
        origin="Lục Ngạn",
        description="Dòng 1\nDòng 2",
    )
    make.product(coop, fruit, sku="A-1", name="Vải tươi", price_vnd=60_000, description="")
    # Text a spreadsheet would run as a formula: guarded in the file, unchanged after the import.
    make.product(
        coop,
        fruit,
        sku="D-4",
        name='=HYPERLINK("http://x.example","Vải")',
        price_vnd=50_000,
        origin="@Lục Ngạn",
        description="- Túi 500 g\n- Túi 1 kg",
    )
    make.product(make.cooperative(slug="htx-b"), fruit, sku="C-3")
    make.commit()

    exported = export_products_csv(coop)
    assert exported.startswith("\ufeff" + PROD_HEADER)
    lines = exported.lstrip("\ufeff").splitlines()
    assert lines[1].startswith("htx-a,A-1,Vải tươi,Trái cây,kg,60000,")
    assert "C-3" not in exported
    assert """htx-a,D-4,"'=HYPERLINK(""http://x.example"",""Vải"")",Trái cây,kg,50000,""" in exported
    assert ",'@Lục Ngạn,\"'- Túi 500 g" in exported

    def snapshot():
        db.session.expire_all()
        return sorted(
            (p.sku, p.name, p.category_id, p.unit, p.price_vnd, p.stock, p.ocop_stars, p.origin, p.description, p.slug)
            for p in db.session.scalars(select(Product))
        )

    before = snapshot()
    result = import_products(exported.encode("utf-8"))
    db.session.commit()

    assert (result.created, result.updated) == (0, 3)
    assert snapshot() == before
    assert export_products_csv(coop) == exported


# --- command line -------------------------------------------------------------------------


def write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_cli_imports_cooperatives_and_reports_counts(app, runner, tmp_path):
    path = write(tmp_path, "htx.csv", GOOD_COOPS)

    result = runner.invoke(args=["cooperatives", "import", path])

    assert result.exit_code == 0, result.output
    assert "Created 2, updated 0" in result.output
    assert count(Cooperative) == 2
    again = runner.invoke(args=["cooperatives", "import", path])
    assert "Created 0, updated 2" in again.output


def test_cli_products_import_succeeds(app, runner, tmp_path, coop):
    db.session.commit()
    path = write(tmp_path, "sp.csv", f"{PROD_HEADER}\n{product_row()}\n{product_row(sku='VT-02')}\n")

    result = runner.invoke(args=["products", "import", path])

    assert result.exit_code == 0, result.output
    assert "Created 2, updated 0" in result.output
    db.session.expire_all()
    assert count(Product) == 2


def test_cli_products_import_lists_every_problem_and_writes_nothing(app, runner, tmp_path, coop):
    db.session.commit()
    path = write(
        tmp_path,
        "sp.csv",
        f"{PROD_HEADER}\n{product_row()}\n{product_row(sku='VT-02', price_vnd='12.5')}\n"
        f"{product_row(sku='VT-03', stock='-4', unit='tấn')}\n",
    )

    result = runner.invoke(args=["products", "import", path])

    assert result.exit_code == 1
    assert "row 3, column price_vnd: 12.5 is not a whole number" in result.output
    assert "row 4, column unit: " in result.output
    assert "row 4, column stock: must be at least 0" in result.output
    assert "Created" not in result.output
    db.session.expire_all()
    assert count(Product) == 0
    assert count(Category) == 0


def test_cli_reports_missing_file_and_wrong_header(app, runner, tmp_path):
    missing = runner.invoke(args=["products", "import", str(tmp_path / "khong-co.csv")])
    assert missing.exit_code == 1
    assert "cannot read" in missing.output

    wrong = runner.invoke(args=["products", "import", write(tmp_path, "htx.csv", GOOD_COOPS)])
    assert wrong.exit_code == 1
    assert "row 1, column header: missing columns: cooperative, sku" in wrong.output
