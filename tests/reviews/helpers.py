"""A delivered order to review, and small pictures to attach."""

from __future__ import annotations

import io

from marketplace.extensions import db
from marketplace.orders.models import PartStatus
from marketplace.orders.services import change_part_status
from tests import factories as f


def png(size=(640, 480), color=(30, 140, 60), fmt="PNG") -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt)
    return out.getvalue()


def move(part, *statuses, by=None) -> None:
    for status in statuses:
        change_part_status(part, status, by=by, actor="cooperative")


def deliver(part, by=None) -> None:
    move(part, PartStatus.CONFIRMED, PartStatus.SHIPPED, PartStatus.DELIVERED, by=by)


class Shop:
    """A cooperative with a manager and two products; a customer's order of both, delivered."""

    def __init__(self, delivered: bool = True):
        self.coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
        self.lychee = f.product(self.coop, name="Vải thiều sấy", slug="vai-say", stock=50)
        self.honey = f.product(self.coop, name="Mật ong rừng", slug="mat-ong", stock=50)
        self.manager = f.manager(self.coop, email="quanly@example.vn", full_name="Trần Quản Lý")
        self.customer = f.user(email="khach@example.vn", full_name="Lê Thị Hoa")
        self.staff = f.staff(email="canbo@example.vn")
        self.order = f.order([(self.lychee, 2), (self.honey, 1)], user=self.customer)
        self.part = self.order.parts[0]
        if delivered:
            deliver(self.part, by=self.manager)
        db.session.flush()

    def item(self, product):
        return next(i for i in self.part.items if i.product_id == product.id)
