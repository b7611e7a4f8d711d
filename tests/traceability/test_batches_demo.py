"""The demo has batches with trace pages: GS1 links, short links and one recalled batch."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.demo.batches import load_batches
from marketplace.demo.loader import load_demo
from marketplace.extensions import db
from marketplace.traceability import batches, recall
from marketplace.traceability.models import Batch, BatchEventKind


def test_demo_batches_open_their_trace_pages(app, client):
    load_demo(image_width=96)
    db.session.commit()
    lots = list(db.session.scalars(sa.select(Batch).order_by(Batch.id)))
    assert len(lots) >= 5
    assert any(b.product.gtin for b in lots) and any(not b.product.gtin for b in lots)
    recalled = [b for b in lots if b.is_recalled]
    assert len(recalled) == 1 and recalled[0].recall_reason
    for lot in lots:
        path = batches.trace_url(lot, "http://localhost").removeprefix("http://localhost")
        page = client.get(path)
        assert page.status_code == 200, path
        assert ('class="trace-recall"' in page.text) == lot.is_recalled
    # The recalled lot went through the recall procedure: two demo customers had received it, agency
    # staff recalled it, its remaining units were withdrawn and each customer's notice was queued.
    (lot,) = recalled
    got = recall.receivers(lot)
    assert sorted((r.order.contact_email, r.quantity) for r in got.orders) == [
        ("khachhang2@demo-htx.vn", 1),
        ("khachhang@demo-htx.vn", 2),
    ]
    history = recall.history(lot)
    assert [e for e in history if e.kind == BatchEventKind.RECALLED][0].by.email == "tinhdoan@demo-htx.vn"
    assert lot.stock == 0
    # Products kept by batch have as stock the sum of their open batches.
    for product in {b.product for b in lots}:
        assert product.stock_by_batch
        assert product.stock == sum(b.stock for b in lots if b.product_id == product.id and not b.is_recalled)
    assert db.session.get(Product, lot.product_id).stock == 75  # the newest lot, on sale
    codes = {b.short_code for b in lots}
    assert load_batches() == 0  # loading again adds nothing
    db.session.commit()
    assert {b.short_code for b in db.session.scalars(sa.select(Batch))} == codes
