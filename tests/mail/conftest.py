"""A shop of two cooperatives (one with its own address, one told through its two managers)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.mail.models import QueuedEmail
from tests import factories as f

CONTACT = {
    "name": "Nguyễn Thị Lan",
    "phone": "0912345678",
    "email": "lan@example.vn",
    "province_code": str(f.BAC_NINH),
    "ward_code": str(f.LUC_NGAN),
    "street": "Số 12, thôn Đồng Cốc",
}


@pytest.fixture
def shop(app):
    lychee_coop = f.cooperative("HTX Vải thiều", slug="vai-thieu", delivery_fee_vnd=30_000, email="vaithieu@example.vn")
    honey_coop = f.cooperative("HTX Mật ong", slug="mat-ong", delivery_fee_vnd=25_000)
    lychee = f.product(lychee_coop, name="Vải thiều sấy", price_vnd=120_000, stock=10)
    honey = f.product(honey_coop, name="Mật ong rừng", price_vnd=250_000, stock=5)
    lychee_manager = f.manager(lychee_coop, email="quanly.vaithieu@example.vn")
    f.manager(honey_coop, email="quanly.matong@example.vn")
    f.manager(honey_coop, email="phophong.matong@example.vn")
    f.commit()
    return type("Shop", (), locals())


def web_checkout(client, shop, method="cod"):
    """Buy 2 lychee + 1 honey through the web checkout; the response."""
    client.post("/cart/add", data={"product_id": shop.lychee.id, "quantity": 2})
    client.post("/cart/add", data={"product_id": shop.honey.id, "quantity": 1})
    return client.post("/checkout", data={**CONTACT, "payment_method": method})


def jobs() -> list[QueuedEmail]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(QueuedEmail).order_by(QueuedEmail.id)))


def recipients(outbox) -> list[str]:
    return sorted(m["To"] for m in outbox)


EVERYONE = ["lan@example.vn", "phophong.matong@example.vn", "quanly.matong@example.vn", "vaithieu@example.vn"]
