"""Stock by batch: a product with batches has as stock the sum of its open batches; orders and
booth sales take from the batch that expires first and record it; cancels and voids give back
to the same batches (not to a recalled one); the product form and CSV import leave it alone."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from marketplace.catalog import services as catalog_services
from marketplace.catalog.importer import import_products
from marketplace.catalog.models import Product
from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.fairs import booth_sync, onsite
from marketplace.fairs.models import OnSiteSale, OnSiteSaleStatus
from marketplace.orders.models import PartStatus
from marketplace.orders.services import OutOfStock, change_part_status, place_order
from marketplace.traceability import batches, lots
from marketplace.traceability.models import Batch, BatchAllocation, BatchEvent, BatchEventKind
from tests import factories as f
from tests.cooperatives.helpers import sign_in
from tests.traceability.helpers import TODAY, batch


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(batches, "today", lambda: TODAY)


@pytest.fixture
def setup(app):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
    lychee = f.product(coop, name="Vải thiều sấy", sku="VAI-1", stock=40, unit="hộp")
    manager = f.manager(coop)
    f.commit()
    # Three lots: the one expiring first is the middle one recorded; one has no best-before.
    late = batch(lychee, code="LATE", best_before=date(2027, 6, 1), quantity=10, stock=3)
    soon = batch(lychee, code="SOON", best_before=date(2027, 1, 15), quantity=10, stock=2)
    undated = batch(lychee, code="NODATE", best_before=None, quantity=10, stock=5)
    f.commit()
    return type("Setup", (), locals())


def stocks(*lots_):
    db.session.expire_all()
    return [db.session.get(Batch, b.id).stock for b in lots_]


def product_stock(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def allocations(**where) -> list[tuple[str, int, int]]:
    rows = db.session.execute(
        sa.select(Batch.code, BatchAllocation.quantity, BatchAllocation.returned)
        .join(Batch)
        .filter_by(**where)
        .order_by(BatchAllocation.id)
    )
    return [tuple(r) for r in rows]


def test_the_first_batch_replaces_the_stock_counted_before_and_the_stock_is_the_sum(setup):
    s = setup
    assert s.lychee.stock_by_batch
    # 40 counted before any batch; the batches hold 3 + 2 + 5.
    assert product_stock(s.lychee) == 10


def test_an_order_takes_from_the_batch_expiring_first_and_records_it(setup):
    s = setup
    order = place_order([(s.lychee.id, 4)], f.checkout())
    f.commit()
    item = order.parts[0].items[0]
    assert allocations(order_item_id=item.id) == [("SOON", 2, 0), ("LATE", 2, 0)]
    assert stocks(s.soon, s.late, s.undated) == [0, 1, 5]
    assert product_stock(s.lychee) == 6
    # The undated lot goes last.
    second = place_order([(s.lychee.id, 3)], f.checkout())
    f.commit()
    assert allocations(order_item_id=second.parts[0].items[0].id) == [("LATE", 1, 0), ("NODATE", 2, 0)]
    assert product_stock(s.lychee) == 3 == sum(stocks(s.soon, s.late, s.undated))


def test_more_than_the_batches_hold_is_refused_and_nothing_is_taken(setup):
    s = setup
    with pytest.raises(OutOfStock):
        place_order([(s.lychee.id, 11)], f.checkout())
    db.session.rollback()
    assert stocks(s.soon, s.late, s.undated) == [2, 3, 5]
    assert db.session.scalar(sa.select(sa.func.count(BatchAllocation.id))) == 0


def test_a_cancelled_part_gives_its_units_back_to_their_batches_except_a_recalled_one(setup):
    s = setup
    order = place_order([(s.lychee.id, 4)], f.checkout())  # SOON 2, LATE 2
    f.commit()
    # The SOON lot is recalled meanwhile: its remaining stock (none) is withdrawn.
    soon = db.session.get(Batch, s.soon.id)
    soon.recalled_at = soon.created_at
    lots.withdraw_stock(soon)
    f.commit()
    change_part_status(order.parts[0], PartStatus.CANCELLED, actor="customer", by=None)
    f.commit()
    assert stocks(s.soon, s.late, s.undated) == [0, 3, 5]
    assert product_stock(s.lychee) == 8  # the 2 units of the recalled lot stay off sale
    assert allocations(order_item_id=order.parts[0].items[0].id) == [("SOON", 2, 2), ("LATE", 2, 2)]


def test_withdrawing_a_batch_takes_its_units_off_sale(setup):
    s = setup
    assert lots.withdraw_stock(db.session.get(Batch, s.undated.id)) == 5
    f.commit()
    assert product_stock(s.lychee) == 5 and stocks(s.undated) == [0]


def test_a_manager_counting_a_batch_changes_the_product_and_the_history(setup):
    s = setup
    lots.set_batch_stock(db.session.get(Batch, s.late.id), 7, by=s.manager)
    f.commit()
    assert product_stock(s.lychee) == 14
    event = db.session.scalar(sa.select(BatchEvent))
    assert (event.kind, event.detail, event.quantity, event.by_id) == (
        BatchEventKind.STOCK_CHANGED,
        "3 → 7",
        4,
        s.manager.id,
    )
    with pytest.raises(Refused) as caught:
        lots.set_batch_stock(db.session.get(Batch, s.late.id), 11)  # the lot holds 10
    assert caught.value.field == "stock"


def test_the_product_form_and_quick_stock_leave_a_batch_kept_stock_alone(setup):
    s = setup
    product = db.session.get(Product, s.lychee.id)
    catalog_services.update_product(product, {"stock": 99, "name": "Vải thiều sấy khô"})
    f.commit()
    assert (product_stock(s.lychee), product.name) == (10, "Vải thiều sấy khô")
    with pytest.raises(Refused) as caught:
        catalog_services.set_stock(product, 99)
    assert caught.value.field == "stock" and "lô" in caught.value.message
    catalog_services.set_stock(product, 10)  # the same number (the quick form saved with its price) is fine


def test_a_catalogue_import_does_not_change_a_batch_kept_stock(setup):
    s = setup
    plain = f.product(s.coop, name="Mật ong", sku="MO-1", stock=5)
    f.commit()
    header = "cooperative,sku,name,category,unit,price_vnd,stock,ocop_stars,origin,description"
    category = s.lychee.category.name
    data = "\n".join(
        [
            header,
            f"vai-thieu,VAI-1,Vải thiều sấy,{category},hộp,150000,500,,,",
            f"vai-thieu,MO-1,Mật ong,{category},hộp,150000,50,,,",
        ]
    )
    import_products(data)
    f.commit()
    assert product_stock(s.lychee) == 10
    assert product_stock(plain) == 50


def test_a_batch_with_sales_cannot_be_deleted_and_the_last_batch_deleted_ends_stock_by_batch(setup):
    s = setup
    place_order([(s.lychee.id, 1)], f.checkout())  # from SOON
    f.commit()
    with pytest.raises(Refused):
        batches.delete_batch(db.session.get(Batch, s.soon.id))
    db.session.rollback()
    batches.delete_batch(db.session.get(Batch, s.late.id))
    f.commit()
    assert product_stock(s.lychee) == 6  # SOON 1 + NODATE 5
    other = f.product(s.coop, name="Chè", sku="CHE-1", stock=0)
    only = batch(other, code="C1", quantity=8)
    f.commit()
    assert product_stock(other) == 8  # a new batch: all of it on sale
    batches.delete_batch(only)
    f.commit()
    db.session.expire_all()
    assert (product_stock(other), db.session.get(Product, other.id).stock_by_batch) == (0, False)


@pytest.fixture
def booth(setup):
    fair = f.fair("Hội chợ Nông sản Bắc Ninh", slug="hoi-cho")
    booth = f.booth(fair, setup.coop, [setup.lychee], number="A12")
    f.commit()
    return booth


def test_a_booth_sale_takes_from_the_batch_expiring_first_and_a_void_gives_back(setup, booth):
    s = setup
    sale = onsite.record_sale(booth, s.lychee.id, 3, "cash", s.manager)
    f.commit()
    assert allocations(on_site_sale_id=sale.id) == [("SOON", 2, 0), ("LATE", 1, 0)]
    onsite.void_sale(sale, "Ghi nhầm", s.manager)
    f.commit()
    assert stocks(s.soon, s.late, s.undated) == [2, 3, 5] and product_stock(s.lychee) == 10


def test_a_confirmed_booth_conflict_takes_the_units_gone_from_the_batches(setup, booth):
    s = setup
    sale = OnSiteSale(
        booth_id=booth.id,
        product_id=s.lychee.id,
        product_name=s.lychee.name,
        unit="hộp",
        quantity=4,
        unit_price_vnd=100_000,
        total_vnd=400_000,
        payment="cash",
        status=OnSiteSaleStatus.CONFLICT,
        client_id="6f1c2b1e-1111-4c1a-9d3e-000000000001",
    )
    db.session.add(sale)
    f.commit()
    with pytest.raises(Refused):  # the open batches hold 10
        booth_sync.confirm_conflict(sale, "11", s.manager)
    db.session.rollback()
    booth_sync.confirm_conflict(sale, "4", s.manager)  # 6 units gone: 4 sold here, 2 more withdrawn
    f.commit()
    assert product_stock(s.lychee) == 4 == sum(stocks(s.soon, s.late, s.undated))
    assert allocations(on_site_sale_id=sale.id) == [("SOON", 2, 0), ("LATE", 2, 0)]
    withdrawn = db.session.execute(
        sa.select(Batch.code, BatchEvent.quantity).join(Batch).where(BatchEvent.kind == BatchEventKind.STOCK_CHANGED)
    )
    assert sorted(tuple(r) for r in withdrawn) == [("LATE", -1), ("NODATE", -1)]


def test_order_pages_and_the_packing_slip_name_the_lots_each_item_came_from(setup, client):
    s = setup
    order = place_order([(s.lychee.id, 4)], f.checkout())  # SOON 2, LATE 2
    f.commit()
    page = client.get(f"/orders/{order.number}?token={order.tracking_token}")
    assert page.status_code == 200
    # The customer can open each lot's trace page from the order.
    assert f'href="/t/{s.soon.short_code}">SOON</a> × 2' in page.text
    assert f'href="/t/{s.late.short_code}">LATE</a> × 2' in page.text
    sign_in(client, s.manager)
    part = order.parts[0]
    slip = client.get(f"/workspace/vai-thieu/orders/{part.id}/packing-slip")
    assert slip.status_code == 200
    assert "Lô SOON × 2" in slip.text and "Lô LATE × 2" in slip.text
    detail = client.get(f"/workspace/vai-thieu/orders/{part.id}")
    assert "Lô SOON × 2" in detail.text
