"""A cooperative selling two batches of lychee, for the recall and deliveries tests.

Lot B expires first, so orders take it first; lot A is the next one. Who got what:
- order `dung`: 2 units of B only (B is then sold out);
- order `lan` (with an email): 3 units of A;
- order `binh` (no email, the phone is the contact): 1 unit of A;
- order `cuong`: 1 unit of A, then its part was cancelled (the unit went back);
- `fair_sale`: 1 unit of A sold at the cooperative's fair booth.
Lot A keeps 5 units on sale, the product 5 in stock.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.fairs.models import OnSitePayment
from marketplace.fairs.onsite import record_sale
from marketplace.orders.models import OrderItem, PartStatus
from marketplace.orders.services import change_part_status
from marketplace.traceability.models import BatchAllocation
from tests import factories as f
from tests.traceability.helpers import batch


def allocations(column, row_id) -> list[tuple[int, int, int]]:
    """(batch id, quantity, returned) of a receiver's allocations."""
    return [
        (a.batch_id, a.quantity, a.returned)
        for a in db.session.scalars(sa.select(BatchAllocation).where(column == row_id).order_by(BatchAllocation.id))
    ]


def sell(product, quantity: int, lot, **checkout):
    """An order of `quantity` units, which the shop takes from `lot` (first-expiring first)."""
    order = f.order([(product, quantity)], **checkout)
    item = db.session.scalar(sa.select(OrderItem).where(OrderItem.part_id == order.parts[0].id))
    assert allocations(BatchAllocation.order_item_id, item.id) == [(lot.id, quantity, 0)]
    return order


def sell_at_fair(booth, product, quantity: int, lot, by):
    sale = record_sale(booth, product.id, quantity, OnSitePayment.CASH, by)
    assert allocations(BatchAllocation.on_site_sale_id, sale.id) == [(lot.id, quantity, 0)]
    return sale


def build():
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu", phone="0987654321")
    lychee = f.product(coop, name="Vải thiều sấy", sku="VAI-1", stock=0)
    lot_a = batch(lychee, code="LOT-A", quantity=100, stock=10, best_before=date(2027, 3, 10))
    lot_b = batch(lychee, code="LOT-B", quantity=100, stock=2, best_before=date(2027, 1, 10))
    manager = f.manager(coop)
    assert lychee.stock_by_batch and lychee.stock == 12
    dung = sell(lychee, 2, lot_b, name="Đỗ Văn Dũng", email="dung@example.vn", phone="0913000444")
    lan = sell(lychee, 3, lot_a, name="Nguyễn Thị Lan", email="lan@example.vn", phone="0912345678")
    binh = sell(lychee, 1, lot_a, name="Trần Văn Bình", email="", phone="0913000111")
    cuong = sell(lychee, 1, lot_a, name="Lê Văn Cường", email="cuong@example.vn", phone="0913000222")
    change_part_status(cuong.parts[0], PartStatus.CANCELLED, by=manager, actor="cooperative", reason="Khách đổi ý")
    assert allocations(BatchAllocation.order_item_id, cuong.parts[0].items[0].id) == [(lot_a.id, 1, 1)]
    fair = f.fair("Hội chợ OCOP Bắc Ninh")
    booth = f.booth(fair, coop, [lychee], number="B07")
    fair_sale = sell_at_fair(booth, lychee, 1, lot_a, manager)
    other_coop = f.cooperative("HTX Mật ong", slug="mat-ong")
    other_manager = f.manager(other_coop)
    f.commit()
    return type("Shop", (), locals())
