"""Product imports at catalogue scale: checked in a first pass over the file, written in
batches in a second, every problem still reported by row and column, and the search index
and the planner statistics fresh after the command."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy import func, select

from marketplace.catalog import importer
from marketplace.catalog.importer import PRODUCT_HEADER, import_products
from marketplace.catalog.models import Category, Product, ProductStatus
from marketplace.core import csv_import
from marketplace.core.csv_import import ImportFailed
from marketplace.extensions import db
from marketplace.search.index import get_index
from marketplace.search.models import SearchChange


def product_file(rows: list[dict]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PRODUCT_HEADER)
    for row in rows:
        writer.writerow([row[name] for name in PRODUCT_HEADER])
    return out.getvalue()


def row(number: int, **cells) -> dict:
    values = {
        "cooperative": "htx-a",
        "sku": f"SP-{number:04d}",
        "name": f"Sản phẩm {number}",
        "category": "Trái cây",
        "unit": "kg",
        "price_vnd": f"{1000 + number}",
        "stock": f"{number % 7}",
        "ocop_stars": "4" if number % 3 == 0 else "",
        "origin": "Lục Ngạn, Bắc Ninh",
        "description": f"Mô tả {number}",
    }
    values.update(cells)
    return values


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def logged_ids(after: int = 0) -> list[int]:
    return sorted(db.session.scalars(select(SearchChange.product_id).where(SearchChange.id > after)))


def last_change_id() -> int:
    return db.session.scalar(select(func.max(SearchChange.id))) or 0


def planner_row_count(table: str) -> float | None:
    """The row count the query planner believes `table` has (None: no statistics)."""
    if db.engine.dialect.name == "postgresql":
        tuples = db.session.scalar(sa.text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table})
        return None if tuples is None or tuples < 0 else tuples
    if not db.session.scalar(sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")):
        return None
    stat = db.session.scalar(sa.text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t LIMIT 1"), {"t": table})
    return None if stat is None else float(stat.split()[0])


@pytest.fixture
def coop(make):
    cooperative = make.cooperative(slug="htx-a")
    make.commit()
    return cooperative


@pytest.fixture
def small_batches(monkeypatch):
    """Batches of 40 rows sent as INSERTs of 7: a few hundred rows cross many boundaries."""
    monkeypatch.setattr(importer, "BATCH", 40)
    monkeypatch.setattr(importer, "INSERT_PAGE", 7)


# --- the service ----------------------------------------------------------------------------


def test_rows_across_many_batches_are_all_created_and_logged(app, make, coop, small_batches):
    make.cooperative(slug="htx-b")
    make.commit()
    rows = [
        row(n, cooperative="htx-a" if n % 2 else "htx-b", name="Vải thiều Lục Ngạn" if n % 5 == 0 else f"Gà {n}")
        for n in range(1, 251)
    ]

    result = import_products(product_file(rows))
    db.session.commit()

    assert (result.created, result.updated) == (250, 0)
    products = {p.sku: p for p in db.session.scalars(select(Product))}
    assert len(products) == 250
    assert all(p.status == ProductStatus.ACTIVE for p in products.values())
    # OCOP stars on every third row are ignored: a product's stars come only from its certificates.
    assert products["SP-0003"].ocop_stars is None and products["SP-0004"].ocop_stars is None
    assert (products["SP-0010"].price_vnd, products["SP-0010"].stock) == (1010, 3)
    # Fifty products of one name: the slug, then -2, -3, ... in row order, across batches.
    lychee = sorted((p for p in products.values() if p.name == "Vải thiều Lục Ngạn"), key=lambda p: p.sku)
    assert [p.slug for p in lychee[:3]] == ["vai-thieu-luc-ngan", "vai-thieu-luc-ngan-2", "vai-thieu-luc-ngan-3"]
    assert lychee[-1].slug == "vai-thieu-luc-ngan-50"
    assert len({p.slug for p in products.values()}) == 250
    assert count(Category) == 1
    assert logged_ids() == sorted(p.id for p in products.values())


def test_new_slugs_skip_slugs_already_taken(app, make, coop, small_batches):
    make.product(coop, slug="vai-thieu", sku="OLD-1")
    make.product(coop, slug="vai-thieu-3", sku="OLD-2")
    make.commit()

    import_products(product_file([row(n, name="Vải thiều") for n in range(1, 61)]))

    slugs = [p.slug for p in db.session.scalars(select(Product).where(Product.sku.like("SP-%")).order_by(Product.sku))]
    assert slugs[:3] == ["vai-thieu-2", "vai-thieu-4", "vai-thieu-5"]
    assert slugs[-1] == "vai-thieu-62"


def test_reimport_writes_and_logs_only_the_products_that_changed(app, make, coop, small_batches):
    rows = [row(n) for n in range(1, 121)]
    import_products(product_file(rows))
    db.session.commit()
    products = {p.sku: p for p in db.session.scalars(select(Product))}
    archived = products["SP-0077"]
    archived.status = ProductStatus.ARCHIVED
    db.session.commit()
    before = {p.sku: (p.slug, p.updated_at) for p in products.values()}
    mark = last_change_id()
    rows[4]["price_vnd"] = "99.000"
    rows[76]["stock"] = "500"
    rows[118]["description"] = "Mô tả mới"

    result = import_products(product_file(rows))
    db.session.commit()

    assert (result.created, result.updated) == (0, 120)
    changed = {"SP-0005", "SP-0077", "SP-0119"}
    assert logged_ids(after=mark) == sorted(products[sku].id for sku in changed)
    # Objects the session already held show the new values.
    assert (products["SP-0005"].price_vnd, archived.stock) == (99_000, 500)
    assert archived.status == ProductStatus.ARCHIVED
    for sku, (slug, updated_at) in before.items():
        product = products[sku]
        assert product.slug == slug
        assert (product.updated_at != updated_at) == (sku in changed)


def test_problems_anywhere_in_a_large_file_are_all_reported_and_nothing_written(app, coop, small_batches):
    rows = [row(n) for n in range(1, 301)]
    rows[1]["price_vnd"] = "12.5"
    rows[298]["sku"] = rows[0]["sku"]
    text = product_file(rows).splitlines()
    text[149] = "htx-a,SP-0149,Thiếu cột"

    with force_locale("en"), pytest.raises(ImportFailed) as failed:
        import_products("\n".join(text) + "\n")

    assert [(p.row, p.column) for p in failed.value.problems] == [(3, "price_vnd"), (150, "-"), (300, "sku")]
    assert "already on row 2" in failed.value.problems[2].message
    assert (count(Product), count(Category), count(SearchChange)) == (0, 0, 0)


def test_progress_hears_every_line_of_both_passes(app, coop):
    rows = [row(n, description="Dòng 1\nDòng 2") if n % 10 == 0 else row(n) for n in range(1, 1201)]
    data = product_file(rows)
    heard = {}

    class Bar:
        def __init__(self, total):
            heard["total"], heard["steps"] = total, 0

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def update(self, n):
            heard["steps"] += n

    import_products(data, progress=Bar)

    lines = data.count("\n") - 1
    assert heard == {"total": 2 * lines, "steps": 2 * lines}


def test_manager_import_is_still_restricted_to_their_cooperative(app, make, coop, small_batches):
    other = make.cooperative(slug="htx-b")
    make.category("Trái cây")  # a manager's import names the site's categories
    make.commit()
    rows = [row(n) for n in range(1, 100)] + [row(100, cooperative="htx-b")]

    with pytest.raises(ImportFailed) as failed:
        import_products(product_file(rows), cooperative=coop)
    assert [(p.row, p.column) for p in failed.value.problems] == [(101, "cooperative")]

    result = import_products(product_file(rows[:99]), cooperative=coop)
    assert result.created == 99
    assert count(Product) == 99
    assert db.session.scalar(select(func.count()).where(Product.cooperative_id == other.id)) == 0


# --- the command ----------------------------------------------------------------------------


def write(tmp_path, rows: list[dict]) -> str:
    path = tmp_path / "san-pham.csv"
    path.write_text(product_file(rows), encoding="utf-8")
    return str(path)


def test_command_refreshes_planner_statistics_and_the_search_index(app, runner, tmp_path, coop):
    rows = [row(n) for n in range(1, 322)]

    result = runner.invoke(args=["products", "import", write(tmp_path, rows)])

    assert result.exit_code == 0, result.output
    assert "Created 321, updated 0" in result.output
    db.session.expire_all()
    assert planner_row_count("products") == 321
    assert planner_row_count("search_changes") == 321
    # No index yet: built from the database, after the import's commit.
    assert "Search index rebuilt: 321 products" in result.output
    status = get_index().status()
    assert (status["documents"], status["pending_changes"]) == (321, 0)


def test_command_applies_a_small_backlog_and_rebuilds_for_a_large_one(app, runner, tmp_path, coop, monkeypatch):
    rows = [row(n) for n in range(1, 51)]
    assert runner.invoke(args=["products", "import", write(tmp_path, rows)]).exit_code == 0
    rows[0]["name"] = "Vải thiều sấy khô"

    small = runner.invoke(args=["products", "import", write(tmp_path, rows)])

    assert small.exit_code == 0, small.output
    assert "Search index updated: 1 products" in small.output
    assert get_index().status()["pending_changes"] == 0
    monkeypatch.setattr(csv_import, "REBUILD_AT_LEAST", 10)
    for r in rows:
        r["stock"] = "9"

    large = runner.invoke(args=["products", "import", write(tmp_path, rows)])

    assert large.exit_code == 0, large.output
    assert "Search index rebuilt: 50 products" in large.output
    status = get_index().status()
    assert (status["documents"], status["pending_changes"]) == (50, 0)


def test_command_with_a_problem_writes_nothing(app, runner, tmp_path, coop):
    rows = [row(n) for n in range(1, 200)]
    rows[150]["unit"] = "tấn"

    result = runner.invoke(args=["products", "import", write(tmp_path, rows)])

    assert result.exit_code == 1
    assert "row 152, column unit: unknown unit tấn" in result.output
    assert "Search index" not in result.output
    db.session.expire_all()
    assert (count(Product), count(Category), count(SearchChange)) == (0, 0, 0)


def test_command_says_when_the_search_index_could_not_be_updated(app, runner, tmp_path, coop, monkeypatch):
    def busy(*args, **kwargs):
        raise RuntimeError("index locked")

    monkeypatch.setattr(type(get_index()), "rebuild", busy)

    result = runner.invoke(args=["products", "import", write(tmp_path, [row(1)])])

    assert result.exit_code == 0, result.output
    assert "Created 1, updated 0" in result.output
    assert "the search index was not updated (RuntimeError: index locked)" in result.output
    db.session.expire_all()
    assert count(Product) == 1


def test_promotion_import_refreshes_its_statistics(app, runner, tmp_path):
    from tests import factories
    from tests.promotion.helpers import build_world
    from tests.promotion.test_import import GOOD, HEADER, line

    build_world()
    factories.commit()
    lines = [
        line(title=f"Hội chợ {n}", start_date=f"2024-06-{n:02d}", end_date=f"2024-06-{n:02d}") for n in range(1, 8)
    ]
    path = tmp_path / "hoat-dong.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")

    result = runner.invoke(args=["promotion", "import", str(path)])

    assert result.exit_code == 0, result.output
    assert GOOD["title"] not in result.output
    db.session.expire_all()
    assert planner_row_count("promotion_activities") == 7
    assert planner_row_count("promotion_activity_products") == 14


def test_command_leaves_the_index_alone_when_commits_do_not_apply_changes(app, runner, tmp_path, coop):
    app.config["SEARCH_APPLY_ON_COMMIT"] = False

    result = runner.invoke(args=["products", "import", write(tmp_path, [row(1), row(2)])])

    assert result.exit_code == 0, result.output
    assert "Search index" not in result.output
    assert app.config["SEARCH_APPLY_ON_COMMIT"] is False
    assert get_index().current_directory() is None
    assert planner_row_count("products") == 2


def test_text_that_cannot_be_utf8_is_refused(app, coop):
    with pytest.raises(ImportFailed) as failed:
        import_products(product_file([row(1, name="Vải \ud800")]))

    assert [(p.row, p.column) for p in failed.value.problems] == [(1, "-")]
