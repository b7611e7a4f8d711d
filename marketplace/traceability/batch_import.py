"""CSV import of a cooperative's batches: all or nothing, every problem with its row and column.

Columns (in this order): sku, code, produced_on, best_before, quantity, province, ward, place,
notes. Dates as dd/mm/yyyy or yyyy-mm-dd; province and ward by name (core.csv_import.RowCheck).
The rules are those of the workspace form (traceability.batches): a row that the form would
refuse is reported, and one bad row refuses the whole file. Two rows with the same product and
code are refused too. The import only adds batches; it never changes existing ones.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.catalog.models import Product
from marketplace.cooperatives.models import Cooperative
from marketplace.core.csv_import import CsvFile, RowCheck, check_rows, checked_rows
from marketplace.core.errors import Refused
from marketplace.core.spreadsheet import safe_cell
from marketplace.extensions import db
from marketplace.traceability import batches, gs1

BATCH_HEADER = ["sku", "code", "produced_on", "best_before", "quantity", "province", "ward", "place", "notes", "stock"]
# Which column a service refusal is about.
_FIELD_COLUMNS = {
    "code": "code",
    "produced_on": "produced_on",
    "best_before": "best_before",
    "quantity": "quantity",
    "province_code": "province",
    "ward_code": "ward",
    "place_name": "place",
    "notes": "notes",
    "stock": "stock",
}


def parse_day(text: str) -> date | None:
    """dd/mm/yyyy (as Vietnamese write dates) or yyyy-mm-dd; None when neither."""
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    return None


class _Checker:
    def __init__(self, cooperative: Cooperative):
        self.products = {
            p.sku.lower(): p
            for p in db.session.scalars(sa.select(Product).where(Product.cooperative_id == cooperative.id))
        }
        self.seen: dict[tuple[int, str], int] = {}

    def _day(self, check: RowCheck, column: str, *, required: bool) -> date | None:
        text = check.text(column, required=required)
        if not text:
            return None
        day = parse_day(text)
        if day is None:
            check.fail(column, _("%(value)s is not a date (dd/mm/yyyy or yyyy-mm-dd)", value=text))
        return day

    def __call__(self, row: dict) -> tuple[Product, dict]:
        check = RowCheck(row)
        sku = check.text("sku", required=True)
        product = self.products.get(sku.lower()) if sku else None  # SKUs are unique ignoring case
        if sku and product is None:
            check.fail("sku", _("no product of this cooperative has SKU %(sku)s", sku=sku))
        code = check.text("code", required=True, max_length=20)
        if code and not check.failed("code") and not gs1.is_valid_lot(code):
            check.fail("code", _("use only letters without accents, digits and - . _ / (no spaces)"))
        produced_on = self._day(check, "produced_on", required=True)
        best_before = self._day(check, "best_before", required=False)
        quantity = check.whole_number("quantity", minimum=1, grouped=True)
        province, ward = check.place()
        data = {
            "code": code,
            "produced_on": produced_on,
            "best_before": best_before,
            "quantity": quantity,
            "province_code": province,
            "ward_code": ward,
            "place_name": check.text("place", max_length=200),
            "notes": check.text("notes", max_length=5000),
            "certificate_ids": [],
            # Units of the lot still on sale; empty: the whole quantity.
            "stock": check.whole_number("stock", grouped=True, required=False),
        }
        if product is not None and code and not check.failed("code"):
            key = (product.id, code)
            if key in self.seen:
                check.fail("code", _("the same product and code are on row %(row)s too", row=self.seen[key]))
            else:
                self.seen[key] = row["_line"]
        if check.ok and product is not None:
            try:
                batches._clean(product, data, None)
            except Refused as error:
                check.fail(_FIELD_COLUMNS.get(error.field or "", "-"), error.message)
        check.done()
        return product, data


def import_batches(data: bytes | str, cooperative: Cooperative, by: User | None = None) -> int:
    """Check every row, then (only if all are good) add a batch per row. Returns how many;
    raises core.csv_import.ImportFailed with every problem, having written nothing."""
    file = CsvFile(data, BATCH_HEADER)
    check_rows(file, _Checker(cooperative))
    created = 0
    for product, values in checked_rows(file, _Checker(cooperative)):
        batches.create_batch(product, values, by=by)
        created += 1
    return created


def template_csv(cooperative: Cooperative) -> str:
    """The header and one example row (the cooperative's first product, if any)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(BATCH_HEADER)
    product = db.session.scalar(
        sa.select(Product).where(Product.cooperative_id == cooperative.id).order_by(Product.sku).limit(1)
    )
    writer.writerow(
        safe_cell(v)
        for v in (
            product.sku if product else "SKU-1",
            "LO-2026-01",
            batches.today().strftime("%d/%m/%Y"),
            "",
            "100",
            cooperative.province_name,
            cooperative.ward_name,
            "",
            "",
            "",
        )
    )
    return out.getvalue()
