"""Historical promotion activities from a CSV file, all or nothing.

Each row becomes an approved activity (the agencies' own past records, already checked
when they were reported), marked as imported in its history. A row whose title and start
date match an activity already recorded is refused, so running the same file twice does
not count anything twice.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Agency
from marketplace.catalog.models import Product
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
from marketplace.core.models import utcnow
from marketplace.core.text import normalize_name
from marketplace.extensions import db
from marketplace.promotion import services
from marketplace.promotion.models import ActivityStatus, ActivityType, PromotionActivity

logger = logging.getLogger(__name__)

ACTIVITY_HEADER = [
    "title",
    "type",
    "start_date",
    "end_date",
    "province",
    "ward",
    "agency",
    "cooperatives",
    "products",
    "budget_vnd",
    "visitors",
    "contacts",
    "contracts_count",
    "contracts_value_vnd",
    "sales_vnd",
    "media_items",
]

# CSV column -> activity field, for the reported figures.
NUMBER_COLUMNS = {
    "budget_vnd": "budget_vnd",
    "visitors": "visitors",
    "contacts": "business_contacts",
    "contracts_count": "contracts_count",
    "contracts_value_vnd": "contracts_value_vnd",
    "sales_vnd": "sales_vnd",
    "media_items": "media_items",
}
_MONEY = {"budget_vnd", "contracts_value_vnd", "sales_vnd"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
TYPE_VALUES = [t.value for t in ActivityType]
# Activities written (and flushed) together.
BATCH = 500
TABLES = (
    "promotion_activities",
    "promotion_activity_agencies",
    "promotion_activity_cooperatives",
    "promotion_activity_products",
    "promotion_activity_changes",
)


@dataclass
class ActivityRow:
    title: str
    type: ActivityType
    start_date: date
    end_date: date
    province_code: int | None
    ward_code: int | None
    agencies: list[Agency]
    cooperatives: list[Cooperative]
    products: list[Product]
    numbers: dict[str, int]


def import_activities(data: bytes | str, progress=None) -> ImportResult:
    """Check every row, then create approved activities; raises ImportFailed (nothing
    changed) on any problem. Flushes, never commits."""
    file = CsvFile(data, ACTIVITY_HEADER)
    known = _Known(file)
    with progress_steps(progress, 2 * file.data_lines) as bar:
        check_rows(file, _RowChecker(known), progress=bar)
        result = _apply(checked_rows(file, _RowChecker(known), progress=bar))
    logger.info("Imported promotion activities: %s created", result.created)
    return result


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";") if part.strip()]


class _Known:
    """What the rows may name: agencies, the cooperatives and products the file mentions,
    and the activities already recorded (title and start date)."""

    def __init__(self, file: CsvFile):
        self.agencies = {normalize_name(a.name): a for a in db.session.scalars(select(Agency))}
        slugs = set()
        for row in file.rows():
            slugs.update(_split(row["cooperatives"]))
            slugs.update(p.split(":", 1)[0].strip() for p in _split(row["products"]))
        self.cooperatives = {}
        for chunk in batches(sorted(slugs), 500):
            self.cooperatives.update(
                (c.slug, c) for c in db.session.scalars(select(Cooperative).where(Cooperative.slug.in_(chunk)))
            )
        ids = [c.id for c in self.cooperatives.values()]
        self.products = {}
        for chunk in batches(ids, 500):
            self.products.update(
                ((p.cooperative_id, p.sku), p)
                for p in db.session.scalars(
                    select(Product).where(Product.cooperative_id.in_(chunk)).options(selectinload(Product.cooperative))
                )
            )
        self.existing = {
            (normalize_name(title), start)
            for title, start in db.session.execute(select(PromotionActivity.title, PromotionActivity.start_date))
        }


class _RowChecker:
    def __init__(self, known: _Known):
        self.agencies = known.agencies
        self.cooperatives = known.cooperatives
        self.products = known.products
        self.existing = known.existing
        self.seen: dict[tuple[str, date], int] = {}

    def __call__(self, row: dict) -> ActivityRow:
        cells = RowCheck(row)
        title = cells.text("title", required=True, max_length=services.MAX_TITLE)
        kind = self._type(cells)
        start = _day(cells, "start_date")
        end = _day(cells, "end_date")
        if start is not None and end is not None and end < start:
            cells.fail("end_date", _("the end date is before the start date"))
        province_code, ward_code = cells.place()
        agencies = self._agencies(cells)
        cooperatives = self._cooperatives(cells)
        products = self._products(cells, cooperatives)
        numbers = {}
        for column, name in NUMBER_COLUMNS.items():
            numbers[name] = (
                cells.whole_number(
                    column,
                    grouped=True,
                    required=False,
                    maximum=services.MAX_VND if column in _MONEY else services.MAX_COUNT,
                )
                or 0
            )
        if title and start is not None and not cells.failed("title"):
            key = (normalize_name(title), start)
            if key in self.existing:
                cells.fail("title", _("an activity with this title and start date is already recorded"))
            elif key in self.seen:
                cells.fail("title", _("%(value)s is already on row %(row)s", value=title, row=self.seen[key]))
            else:
                self.seen[key] = row["_line"]
        cells.done()
        return ActivityRow(title, kind, start, end, province_code, ward_code, agencies, cooperatives, products, numbers)

    @staticmethod
    def _type(cells: RowCheck) -> ActivityType | None:
        value = cells.text("type", required=True)
        if not value:
            return None
        try:
            return ActivityType(value.strip().lower())
        except ValueError:
            cells.fail("type", _("%(value)s is not one of: %(values)s", value=value, values=", ".join(TYPE_VALUES)))
            return None

    def _agencies(self, cells: RowCheck) -> list[Agency]:
        names = _split(cells.text("agency", required=True))
        if not names and not cells.failed("agency"):
            cells.fail("agency", _("a value is required"))
        found = []
        for name in names:
            agency = self.agencies.get(normalize_name(name))
            if agency is None:
                cells.fail("agency", _("no agency is named %(value)s", value=name))
            elif agency not in found:
                found.append(agency)
        return found

    def _cooperatives(self, cells: RowCheck) -> list[Cooperative]:
        found = []
        for slug in _split(cells.row["cooperatives"]):
            cooperative = self.cooperatives.get(slug)
            if cooperative is None:
                cells.fail("cooperatives", _("no cooperative has the slug %(value)s", value=slug))
            elif not cooperative.is_approved:
                cells.fail("cooperatives", _("%(value)s is not an approved cooperative", value=slug))
            elif cooperative not in found:
                found.append(cooperative)
        return found

    def _products(self, cells: RowCheck, cooperatives: list[Cooperative]) -> list[Product]:
        found = []
        taking_part = {c.slug for c in cooperatives}
        for pair in _split(cells.row["products"]):
            slug, colon, sku = (part.strip() for part in pair.partition(":"))
            if not colon or not slug or not sku:
                cells.fail("products", _("write cooperative:sku, not %(value)s", value=pair))
                continue
            if slug not in taking_part:
                if not cells.failed("cooperatives"):
                    cells.fail(
                        "products",
                        _(
                            "%(value)s: the cooperative %(slug)s is not in the cooperatives column",
                            value=pair,
                            slug=slug,
                        ),
                    )
                continue
            product = self.products.get((self.cooperatives[slug].id, sku))
            if product is None:
                cells.fail("products", _("%(slug)s has no product with the SKU %(sku)s", slug=slug, sku=sku))
            elif product not in found:
                found.append(product)
        return found


def _day(cells: RowCheck, column: str) -> date | None:
    value = cells.text(column, required=True)
    if not value:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        cells.fail(column, _("%(value)s is not a date written YYYY-MM-DD", value=value))
        return None


def _apply(rows: Iterable[ActivityRow]) -> ImportResult:
    result = ImportResult(tables=TABLES)
    now = utcnow()
    for batch in batches(rows, BATCH):
        for row in batch:
            activity = PromotionActivity(
                title=row.title,
                type=row.type,
                status=ActivityStatus.APPROVED,
                start_date=row.start_date,
                end_date=row.end_date,
                province_code=row.province_code,
                ward_code=row.ward_code,
                organising_unit="",
                agencies=row.agencies,
                cooperatives=row.cooperatives,
                products=row.products,
                notes="",
                imported=True,
                created_at=now,
                decided_at=now,
                **row.numbers,
            )
            db.session.add(activity)
            services.record(activity, None, "imported", "status", "", ActivityStatus.APPROVED.value)
            result.created += 1
        db.session.flush()
    return result
