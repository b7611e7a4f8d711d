"""Product listings from and to CSV, all or nothing.

One row per product, keyed by cooperative slug + SKU: a known pair updates the
product (its slug, status and photos stay), a new pair creates an active product.
SKUs are a cooperative's own codes whatever their case: "abc-1" in a file where the
cooperative has "ABC-1" is refused, not a second product. A category is named as it is
on the site; only staff's command-line import creates the ones it does not know.
The export writes the same columns, so export -> edit in a spreadsheet -> import works.
"""

from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from marketplace.catalog import signals
from marketplace.catalog.models import (
    UNITS,
    Category,
    Product,
    ProductStatus,
)
from marketplace.cooperatives.models import Cooperative
from marketplace.core.csv_import import (
    CsvFile,
    ImportResult,
    RowCheck,
    batches,
    check_rows,
    checked_rows,
    progress_steps,
)
from marketplace.core.spreadsheet import safe_cell
from marketplace.core.text import normalize_name, slugify
from marketplace.extensions import db

logger = logging.getLogger(__name__)

PRODUCT_HEADER = [
    "cooperative",
    "sku",
    "name",
    "category",
    "unit",
    "price_vnd",
    "stock",
    "ocop_stars",
    "origin",
    "description",
]

_SKU = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
# Upper bounds catch typos (an extra zero or three) and keep values inside the columns.
MAX_PRICE_VND = 10_000_000_000
MAX_STOCK = 1_000_000_000
_SLUG_LENGTH = 110  # leaves room for "-123" inside the 120-character column


# Rows written per statement: big enough that each INSERT/UPDATE carries many rows, small
# enough that a batch of rows and their parameters stays a few megabytes.
BATCH = 1000
# Rows per multi-row INSERT statement (a batch is sent as several).
INSERT_PAGE = 100
# The columns an import sets; an existing product is updated only when one of them changed.
# Not ocop_stars: a product's OCOP stars come only from its valid OCOP certificate (traceability);
# the column stays in the header, so an exported file imports again, and its values are ignored.
FIELDS = ("name", "category_id", "unit", "price_vnd", "stock", "origin", "description")
TABLES = ("products", "categories", "search_changes")


@dataclass(slots=True)
class ProductRow:
    cooperative_id: int
    sku: str
    name: str
    category_name: str
    unit: str
    price_vnd: int
    stock: int
    origin: str
    description: str


def import_products(
    data: bytes | str,
    *,
    cooperative: Cooperative | None = None,
    create_categories: bool | None = None,
    progress=None,
) -> ImportResult:
    """Check every row, then create or update; raises ImportFailed (nothing changed) on any problem.

    With `cooperative` (a manager importing their own listings) every row must name
    that cooperative. `create_categories`: a category name the site does not know becomes a
    new top category (staff's import), or is a problem of its row naming the known ones
    (a manager's: categories are staff's); by default, only an import not limited to one
    cooperative creates them. `progress` works as in `import_cooperatives`. Flushes, never commits.

    The file is read twice, never held as objects: a first pass checks every row, a second
    writes them BATCH at a time with multi-row INSERTs and UPDATEs (only the rows whose
    values changed), and announces the products written (`signals.products_written`: search logs them).
    """
    file = CsvFile(data, PRODUCT_HEADER)
    cooperatives = _Cooperatives(cooperative)
    categories = _Categories(create=cooperative is None if create_categories is None else create_categories)
    with progress_steps(progress, 2 * file.data_lines) as bar:
        check_rows(file, _RowChecker(cooperatives, categories), progress=bar)
        rows = checked_rows(file, _RowChecker(cooperatives, categories), progress=bar)
        result = _apply(rows, cooperatives.used, categories)
    logger.info("Imported products: %s created, %s updated", result.created, result.updated)
    return result


def export_products_csv(cooperative: Cooperative) -> str:
    """Every product of the cooperative, ordered by SKU; the BOM lets Excel read UTF-8."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PRODUCT_HEADER)
    products = db.session.scalars(
        select(Product)
        .where(Product.cooperative_id == cooperative.id)
        .options(selectinload(Product.category))
        .order_by(Product.sku)
    )
    for product in products:
        writer.writerow(
            [
                safe_cell(value)
                for value in (
                    cooperative.slug,
                    product.sku,
                    product.name,
                    product.category.name,
                    product.unit,
                    product.price_vnd,
                    product.stock,
                    product.ocop_stars or "",
                    product.origin or "",
                    product.description or "",
                )
            ]
        )
    return "\ufeff" + out.getvalue()


def find_unit(value: str) -> str | None:
    """'KG' -> 'kg', 'Hộp' -> 'hộp'. Accents count: 'bó' (bunch) and 'bộ' (set) differ."""
    wanted = unicodedata.normalize("NFC", value).lower()
    return wanted if wanted in UNITS else None


class _Cooperatives:
    """Cooperative ids by slug (every cooperative, or only the manager's own), and the SKUs
    each has before the import."""

    def __init__(self, only: Cooperative | None):
        self.only = only
        if only is not None:
            self.ids = {only.slug: only.id}
        else:
            self.ids = dict(db.session.execute(select(Cooperative.slug, Cooperative.id)).all())
        self.used: set[int] = set()
        self._skus: dict[int, dict[str, str]] = {}

    def sku_like(self, cooperative_id: int, sku: str) -> str | None:
        """The cooperative's SKU equal to `sku` ignoring case, as it was before the import
        (loaded in the checking pass, before anything is written)."""
        skus = self._skus.get(cooperative_id)
        if skus is None:
            rows = db.session.scalars(select(Product.sku).where(Product.cooperative_id == cooperative_id))
            skus = self._skus[cooperative_id] = {existing.lower(): existing for existing in rows}
        return skus.get(sku.lower())

    def get(self, slug: str) -> int | None:
        cooperative_id = self.ids.get(slug)
        if cooperative_id is not None:
            self.used.add(cooperative_id)
        return cooperative_id


class _RowChecker:
    def __init__(self, cooperatives: _Cooperatives, categories: _Categories):
        self.cooperatives = cooperatives
        self.categories = categories
        self.seen: dict[tuple[str, str], int] = {}

    def __call__(self, row: dict) -> ProductRow:
        cells = RowCheck(row)
        cooperative_id = self._cooperative(cells)
        sku = self._sku(cells, cooperative_id)
        name = cells.text("name", required=True, max_length=200)
        category_name = self._category(cells)
        unit = self._unit(cells)
        price = cells.whole_number("price_vnd", grouped=True, maximum=MAX_PRICE_VND)
        stock = cells.whole_number("stock", maximum=MAX_STOCK)
        origin = cells.text("origin", max_length=200)
        description = cells.text("description", max_length=10000)
        cells.done()
        return ProductRow(cooperative_id, sku, name, category_name, unit, price, stock, origin, description)

    def _cooperative(self, cells: RowCheck) -> int | None:
        slug = cells.text("cooperative", required=True)
        if not slug:
            return None
        only = self.cooperatives.only
        if only is not None and slug != only.slug:
            cells.fail("cooperative", _("you can only import products of %(slug)s", slug=only.slug))
            return None
        cooperative_id = self.cooperatives.get(slug)
        if cooperative_id is None:
            cells.fail("cooperative", _("no cooperative has the slug %(value)s", value=slug))
        return cooperative_id

    def _sku(self, cells: RowCheck, cooperative_id: int | None) -> str:
        sku = cells.text("sku", required=True, max_length=64)
        if not sku or cells.failed("sku"):
            return sku
        if not _SKU.fullmatch(sku):
            cells.fail("sku", _("use only letters, digits and . _ / - (no spaces)"))
            return sku
        key = (cells.row["cooperative"], sku.lower())
        if key in self.seen:
            cells.fail("sku", _("%(value)s is already on row %(row)s", value=sku, row=self.seen[key]))
            return sku
        self.seen[key] = cells.row["_line"]
        existing = None if cooperative_id is None else self.cooperatives.sku_like(cooperative_id, sku)
        if existing is not None and existing != sku:
            cells.fail(
                "sku",
                _(
                    "the cooperative already has a product with the SKU %(existing)s; "
                    "write it the same way to update that product",
                    existing=existing,
                ),
            )
        return sku

    def _category(self, cells: RowCheck) -> str:
        name = cells.text("category", required=True, max_length=100)
        if name and not cells.failed("category") and not self.categories.accepts(name):
            known = self.categories.names()
            if known:
                cells.fail(
                    "category",
                    _(
                        "unknown category %(value)s; use one of: %(categories)s",
                        value=name,
                        categories=", ".join(known),
                    ),
                )
            else:
                cells.fail("category", _("unknown category %(value)s; the site has no categories yet", value=name))
        return name

    @staticmethod
    def _unit(cells: RowCheck) -> str | None:
        value = cells.text("unit", required=True)
        if not value:
            return None
        unit = find_unit(value)
        if unit is None:
            cells.fail("unit", _("unknown unit %(value)s; use one of: %(units)s", value=value, units=", ".join(UNITS)))
        return unit


class _Categories:
    """Category ids by name, ignoring case and accents; with `create`, missing ones become
    top categories (as the rows are written), otherwise a row naming one is refused."""

    def __init__(self, *, create: bool):
        self.create = create
        self.ids: dict[str, int] = {}
        self.known: dict[str, str] = {}  # the names as the site shows them
        rows = db.session.execute(
            select(Category.name, Category.id).order_by(Category.parent_id.is_not(None), Category.id)
        )
        for name, category_id in rows:
            # A top category wins over a sub-category of the same name.
            self.ids.setdefault(normalize_name(name), category_id)
            self.known.setdefault(normalize_name(name), name)
        self.slugs = set(db.session.scalars(select(Category.slug)))
        self.by_cell: dict[str, int] = {}  # the same few names come back on every row

    def accepts(self, name: str) -> bool:
        return self.create or normalize_name(name) in self.ids

    def names(self) -> list[str]:
        return sorted(self.known.values(), key=normalize_name)

    def get(self, name: str) -> int:
        category_id = self.by_cell.get(name)
        if category_id is None:
            category_id = self.by_cell[name] = self._get(name)
        return category_id

    def _get(self, name: str) -> int:
        key = normalize_name(name)
        category_id = self.ids.get(key)
        if category_id is None:
            if not self.create:  # the checking pass refused the row
                raise RuntimeError(f"unknown category {name!r} passed the check")
            category = Category(name=" ".join(name.split()), slug=_unique(slugify(name, 100), self.slugs.__contains__))
            db.session.add(category)
            db.session.flush()
            self.slugs.add(category.slug)
            category_id = self.ids[key] = category.id
            logger.info("Created category %s from an import", category.slug)
        return category_id


def _unique(base: str, taken, start: int = 1) -> str:
    candidate, n = (base, start) if start == 1 else (f"{base}-{start}", start)
    while taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


class _Writer:
    """Writes checked rows a batch at a time: one multi-row INSERT for the new products,
    one executemany UPDATE for the existing ones whose values changed."""

    def __init__(self, cooperative_ids: set[int], categories: _Categories):
        self.existing: dict[tuple[int, str], int] = {}
        for chunk in batches(sorted(cooperative_ids), 500):
            rows = db.session.execute(
                select(Product.cooperative_id, Product.sku, Product.id).where(Product.cooperative_id.in_(chunk))
            )
            self.existing.update(((cooperative_id, sku), pid) for cooperative_id, sku, pid in rows)
        self.categories = categories
        self.slugs: set[str] | None = None  # every product slug, loaded for the first new product
        self.next_suffix: dict[str, int] = {}
        # render_nulls: rows with and without a NULL value stay in one multi-row INSERT (by
        # default the ORM leaves None out, splitting the batch wherever the keys differ).
        # Pages of 100 rows: psycopg remembers the last 100 statement texts it saw with
        # distinct parameter types (where the NULLs fall), 30 MB if each carried 1000 rows.
        self.insert = (
            insert(Product)
            .returning(Product.id)
            .execution_options(render_nulls=True, insertmanyvalues_page_size=INSERT_PAGE)
        )
        table = Product.__table__
        self.update = (
            table.update()
            .where(table.c.id == sa.bindparam("b_id"))
            .values({name: sa.bindparam(f"b_{name}") for name in FIELDS})
            # A product kept by batch has the sum of its batches as stock (traceability): an
            # import leaves it as it is.
            .values(stock=sa.case((table.c.stock_by_batch, table.c.stock), else_=sa.bindparam("b_stock")))
        )

    def write(self, rows: list[ProductRow], result: ImportResult) -> None:
        new, old = [], []
        for row in rows:
            pid = self.existing.get((row.cooperative_id, row.sku))
            values = {
                "name": row.name,
                "category_id": self.categories.get(row.category_name),
                "unit": row.unit,
                "price_vnd": row.price_vnd,
                "stock": row.stock,
                "origin": row.origin,
                "description": row.description,
            }
            if pid is None:
                values.update(
                    cooperative_id=row.cooperative_id,
                    sku=row.sku,
                    slug=self._new_slug(row.name),
                    status=ProductStatus.ACTIVE,
                    certifications=[],
                )
                new.append(values)
            else:
                old.append((pid, values))
        if new:
            ids = db.session.scalars(self.insert, new).all()
            signals.products_written.send(db.session, product_ids=ids)
            result.created += len(new)
        if old:
            result.updated += len(old)
            self._update(old)

    def _update(self, rows: list[tuple[int, dict]]) -> None:
        current = {
            row[0]: tuple(row[1:])
            for row in db.session.execute(
                select(Product.id, *(getattr(Product, name) for name in FIELDS)).where(
                    Product.id.in_([pid for pid, _ in rows])
                )
            )
        }
        changed = [
            {"b_id": pid, **{f"b_{name}": value for name, value in values.items()}}
            for pid, values in rows
            if current[pid] != tuple(values[name] for name in FIELDS)
        ]
        if not changed:
            return
        # A statement on the bare table, unseen by the session's listeners: announce the
        # products written ourselves (search logs them).
        db.session.execute(self.update, changed)
        ids = [values["b_id"] for values in changed]
        signals.products_written.send(db.session, product_ids=ids)
        mapper = sa.inspect(Product)
        for pid in ids:  # a Product the session already holds must not show its old values
            product = db.session.identity_map.get(mapper.identity_key_from_primary_key((pid,)))
            if product is not None:
                db.session.expire(product)

    def _new_slug(self, name: str) -> str:
        if self.slugs is None:
            self.slugs = set(db.session.scalars(select(Product.slug)))
        base = slugify(name, _SLUG_LENGTH)
        slug = _unique(base, self.slugs.__contains__, self.next_suffix.get(base, 1))
        self.slugs.add(slug)
        # Names repeat (a cooperative's "Vải thiều" in five sizes): the next one starts here.
        self.next_suffix[base] = int(slug.rsplit("-", 1)[1]) if slug != base else 1
        return slug


def _apply(rows: Iterable[ProductRow], cooperative_ids: set[int], categories: _Categories) -> ImportResult:
    writer = _Writer(cooperative_ids, categories)
    result = ImportResult(tables=TABLES)
    for batch in batches(rows, BATCH):
        writer.write(batch, result)
    db.session.flush()
    return result
