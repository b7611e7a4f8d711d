"""The demo's certificates: verified ones, one waiting for a check, some expiring within 60 days,
one expired; the demo products' OCOP stars are those of their valid certificates."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.catalog.models import Product
from marketplace.demo.loader import demo_counts, load_demo
from marketplace.extensions import db
from marketplace.traceability import certificates as service
from marketplace.traceability.models import Certificate


def test_demo_certificates(app):
    load_demo(image_width=96)
    db.session.commit()
    today = service.today_in_vietnam()
    certs = list(db.session.scalars(select(Certificate)))
    states = [service.state(c, today) for c in certs]
    assert states.count("unverified") == 1
    assert states.count("expired") == 1
    assert states.count("valid") >= 10
    assert sum(len(g.certificates) for g in service.expiring(60, today)) >= 3
    for product in db.session.scalars(select(Product)):
        assert product.ocop_stars == service.valid_ocop_stars(product, today)
    assert {p.ocop_stars for p in db.session.scalars(select(Product))} >= {None, 3, 4}

    before = demo_counts()
    load_demo(image_width=96)
    db.session.commit()
    assert demo_counts() == before
