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


def _allocations(column, row_id) -> list[BatchAllocation]:
    return list(db.session.scalars(sa.select(BatchAllocation).where(column == row_id).order_by(BatchAllocation.id)))


def _allocate(column_name: str, row_id: int, lot, quantity: int) -> None:
    """The receiver's units come from `lot`: checked when orders allocate by themselves
    (traceability.lots), recorded here otherwise."""
    column = getattr(BatchAllocation, column_name)
    found = _allocations(column, row_id)
    if found:
        assert [(a.batch_id, a.quantity) for a in found] == [(lot.id, quantity)]
        return
    db.session.add(BatchAllocation(batch_id=lot.id, quantity=quantity, **{column_name: row_id}))
    lot.stock -= quantity
    db.session.flush()


def sell(product, quantity: int, lot, **checkout):
    order = f.order([(product, quantity)], **checkout)
    item = db.session.scalar(sa.select(OrderItem).where(OrderItem.part_id == order.parts[0].id))
    _allocate("order_item_id", item.id, lot, quantity)
    return order


def sell_at_fair(booth, product, quantity: int, lot, by):
    sale = record_sale(booth, product.id, quantity, OnSitePayment.CASH, by)
    _allocate("on_site_sale_id", sale.id, lot, quantity)
    return sale


def build():
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu", phone="0987654321")
    lychee = f.product(coop, name="Vải thiều sấy", sku="VAI-1", stock=0)
    lot_a = batch(lychee, code="LOT-A", quantity=100, best_before=date(2027, 3, 10))
    lot_b = batch(lychee, code="LOT-B", quantity=100, best_before=date(2027, 1, 10))
    lot_a.stock, lot_b.stock = 10, 2
    lychee.stock = 12
    lychee.stock_by_batch = True
    manager = f.manager(coop)
    db.session.flush()
    dung = sell(lychee, 2, lot_b, name="Đỗ Văn Dũng", email="dung@example.vn", phone="0913000444")
    lan = sell(lychee, 3, lot_a, name="Nguyễn Thị Lan", email="lan@example.vn", phone="0912345678")
    binh = sell(lychee, 1, lot_a, name="Trần Văn Bình", email="", phone="0913000111")
    cuong = sell(lychee, 1, lot_a, name="Lê Văn Cường", email="cuong@example.vn", phone="0913000222")
    change_part_status(cuong.parts[0], PartStatus.CANCELLED, by=manager, actor="cooperative", reason="Khách đổi ý")
    allocation = _allocations(BatchAllocation.order_item_id, cuong.parts[0].items[0].id)[0]
    if allocation.returned == 0:  # before orders allocated by themselves: the batch's unit back by hand
        allocation.returned = 1
        lot_a.stock += 1
    fair = f.fair("Hội chợ OCOP Bắc Ninh")
    booth = f.booth(fair, coop, [lychee], number="B07")
    fair_sale = sell_at_fair(booth, lychee, 1, lot_a, manager)
    other_coop = f.cooperative("HTX Mật ong", slug="mat-ong")
    other_manager = f.manager(other_coop)
    f.commit()
    return type("Shop", (), locals())
