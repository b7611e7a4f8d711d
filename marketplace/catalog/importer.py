"""Product listings from and to CSV, all or nothing.

One row per product, keyed by cooperative slug + SKU: a known pair updates the
product (its slug, status and photos stay), a new pair creates an active product.
The export writes the same columns, so export -> edit in a spreadsheet -> import works.
"""
from __future__ import annotations

import csv
import io
import logging
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.catalog.models import (
    OCOP_STARS,
    UNITS,
    Category,
    Product,
    ProductStatus,
)
from marketplace.cooperatives.models import Cooperative
from marketplace.core.csv_import import (
    ImportResult,
    RowCheck,
    check_rows,
    progress_steps,
    read_rows,
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


@dataclass
class ProductRow:
    cooperative: Cooperative
    sku: str
    name: str
    category_name: str
    unit: str
    price_vnd: int
    stock: int
    ocop_stars: int | None
    origin: str
    description: str


def import_products(data: bytes | str, *, cooperative: Cooperative | None = None, progress=None) -> ImportResult:
    """Check every row, then create or update; raises ImportFailed (nothing changed) on any problem.

    With `cooperative` (a manager importing their own listings) every row must name
    that cooperative. `progress` works as in `import_cooperatives`. Flushes, never commits.
    """
    rows = read_rows(data, PRODUCT_HEADER)
    with progress_steps(progress, 2 * len(rows)) as bar:
        checked = check_rows(rows, _RowChecker(rows, cooperative), progress=bar)
        result = _apply(checked, bar)
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


class _RowChecker:
    def __init__(self, rows: list[dict], only: Cooperative | None):
        self.only = only
        slugs = {r["cooperative"] for r in rows}
        self.cooperatives = {
            c.slug: c for c in db.session.scalars(select(Cooperative).where(Cooperative.slug.in_(slugs)))
        }
        self.seen: dict[tuple[str, str], int] = {}

    def __call__(self, row: dict) -> ProductRow:
        cells = RowCheck(row)
        cooperative = self._cooperative(cells)
        sku = self._sku(cells)
        name = cells.text("name", required=True, max_length=200)
        category_name = cells.text("category", required=True, max_length=100)
        unit = self._unit(cells)
        price = cells.whole_number("price_vnd", grouped=True, maximum=MAX_PRICE_VND)
        stock = cells.whole_number("stock", maximum=MAX_STOCK)
        ocop_stars = self._ocop_stars(cells)
        origin = cells.text("origin", max_length=200)
        description = cells.text("description", max_length=10000)
        cells.done()
        return ProductRow(cooperative, sku, name, category_name, unit, price, stock, ocop_stars, origin, description)

    def _cooperative(self, cells: RowCheck) -> Cooperative | None:
        slug = cells.text("cooperative", required=True)
        if not slug:
            return None
        if self.only is not None and slug != self.only.slug:
            cells.fail("cooperative", _("you can only import products of %(slug)s", slug=self.only.slug))
            return None
        cooperative = self.cooperatives.get(slug)
        if cooperative is None:
            cells.fail("cooperative", _("no cooperative has the slug %(value)s", value=slug))
        return cooperative

    def _sku(self, cells: RowCheck) -> str:
        sku = cells.text("sku", required=True, max_length=64)
        if not sku or cells.failed("sku"):
            return sku
        if not _SKU.fullmatch(sku):
            cells.fail("sku", _("use only letters, digits and . _ / - (no spaces)"))
            return sku
        key = (cells.row["cooperative"], sku)
        if key in self.seen:
            cells.fail("sku", _("%(value)s is already on row %(row)s", value=sku, row=self.seen[key]))
        else:
            self.seen[key] = cells.row["_line"]
        return sku

    @staticmethod
    def _unit(cells: RowCheck) -> str | None:
        value = cells.text("unit", required=True)
        if not value:
            return None
        unit = find_unit(value)
        if unit is None:
            cells.fail("unit", _("unknown unit %(value)s; use one of: %(units)s", value=value, units=", ".join(UNITS)))
        return unit

    @staticmethod
    def _ocop_stars(cells: RowCheck) -> int | None:
        value = cells.row["ocop_stars"]
        if not value:
            return None
        if value not in {str(stars) for stars in OCOP_STARS}:
            cells.fail("ocop_stars", _("OCOP stars are 3, 4 or 5 (or empty), not %(value)s", value=value))
            return None
        return int(value)


class _Categories:
    """Categories by name, ignoring case and accents; missing ones become top categories."""

    def __init__(self):
        self.by_name: dict[str, Category] = {}
        for category in db.session.scalars(select(Category).order_by(Category.parent_id.is_not(None), Category.id)):
            # A top category wins over a sub-category of the same name.
            self.by_name.setdefault(normalize_name(category.name), category)
        self.slugs = set(db.session.scalars(select(Category.slug)))

    def get(self, name: str) -> Category:
        key = normalize_name(name)
        category = self.by_name.get(key)
        if category is None:
            category = Category(name=" ".join(name.split()), slug=_unique(slugify(name, 100), self.slugs.__contains__))
            db.session.add(category)
            self.slugs.add(category.slug)
            self.by_name[key] = category
            logger.info("Created category %s from an import", category.slug)
        return category


def _unique(base: str, taken) -> str:
    candidate, n = base, 1
    while taken(candidate):
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _apply(rows: list[ProductRow], bar) -> ImportResult:
    categories = _Categories()
    existing = {
        (p.cooperative_id, p.sku): p
        for p in db.session.scalars(
            select(Product).where(Product.cooperative_id.in_({r.cooperative.id for r in rows}))
        )
    }
    new_slugs: set[str] = set()

    def slug_taken(slug: str) -> bool:
        return slug in new_slugs or db.session.scalar(select(Product.id).where(Product.slug == slug)) is not None

    result = ImportResult()
    with db.session.no_autoflush:
        for row in rows:
            product = existing.get((row.cooperative.id, row.sku))
            if product is None:
                slug = _unique(slugify(row.name, _SLUG_LENGTH), slug_taken)
                new_slugs.add(slug)
                product = Product(
                    cooperative=row.cooperative, sku=row.sku, slug=slug, status=ProductStatus.ACTIVE, certifications=[]
                )
                db.session.add(product)
                result.created += 1
            else:
                result.updated += 1
            product.name = row.name
            product.category = categories.get(row.category_name)
            product.unit = row.unit
            product.price_vnd = row.price_vnd
            product.stock = row.stock
            product.ocop_stars = row.ocop_stars
            product.origin = row.origin
            product.description = row.description
            bar.update(1)
    db.session.flush()
    return result
