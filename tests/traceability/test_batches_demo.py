"""The demo has batches with trace pages: GS1 links, short links and one recalled batch."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.demo.batches import load_batches
from marketplace.demo.loader import load_demo
from marketplace.extensions import db
from marketplace.traceability import batches
from marketplace.traceability.models import Batch


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
    codes = {b.short_code for b in lots}
    assert load_batches() == 0  # loading again adds nothing
    db.session.commit()
    assert {b.short_code for b in db.session.scalars(sa.select(Batch))} == codes
