"""Demo reviews and saved addresses, made through the real rules.

The demo fairs deliver their customers' orders (demo/fairs.py); here those customers rate
what they received (reviews.services.write_review: verified purchases only, once per
item; each customer's latest item is left to review), the selling cooperative answers the
first review, and the demo customers keep the address they ordered to. Running the demo again adds nothing: an item already reviewed
is skipped, and an address already kept is not saved twice.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.accounts.models import Role, User
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderItem, OrderPart, PartStatus
from marketplace.reviews.models import Review

# (stars, text) given in turn to the delivered items of the demo customers.
OPINIONS = (
    (5, "Hàng đóng gói cẩn thận, giao nhanh. Vải ngọt, quả to đều, cả nhà đều khen."),
    (4, "Sản phẩm đúng mô tả, chất lượng tốt. Giao hơi chậm một ngày nhưng HTX có gọi báo trước."),
    (5, "Mua tại hội chợ rồi đặt thêm trên sàn, lần nào cũng hài lòng. Sẽ ủng hộ HTX lâu dài."),
    (3, "Hàng ổn, nhưng hộp quà bị móp một góc khi giao."),
)
REPLY = "Cảm ơn anh/chị đã tin dùng sản phẩm của hợp tác xã! Hẹn gặp lại anh/chị ở hội chợ tới."


def load_reviews() -> int:
    """Reviews for the demo customers' delivered items that have none, except each one's
    latest; returns how many."""
    from marketplace.reviews.services import reply, write_review

    rows = db.session.execute(
        sa.select(OrderItem, User)
        .join(OrderItem.part)
        .join(OrderPart.order)
        .join(User, User.id == Order.user_id)
        .outerjoin(Review, Review.order_item_id == OrderItem.id)
        .where(
            User.role == Role.CUSTOMER,
            OrderPart.status.in_((PartStatus.DELIVERED, PartStatus.COMPLETED)),
            OrderItem.product_id.is_not(None),
            Review.id.is_(None),
        )
        .order_by(OrderItem.id)
    ).all()
    # Each customer's latest delivered item is left for them to review (the order page asks).
    latest = {customer.id: item.id for item, customer in rows}
    rows = [(item, customer) for item, customer in rows if item.id != latest[customer.id]]
    now = utcnow()
    created = 0
    for n, (item, customer) in enumerate(rows):
        stars, text = OPINIONS[n % len(OPINIONS)]
        try:
            review = write_review(customer, item, stars, text, now=now - timedelta(days=2, hours=n))
        except Refused:  # no longer reviewable (the product was deleted): nothing to show
            continue
        created += 1
        managers = item.part.cooperative.managers
        if created == 1 and managers:
            reply(review, managers[0], REPLY, now=now - timedelta(days=1))
    return created


def load_addresses() -> int:
    """The demo customers' last delivery address, kept in their address book."""
    from marketplace.accounts.addresses import AddressData, remember_address

    saved = 0
    customers = db.session.scalars(sa.select(User).where(User.role == Role.CUSTOMER).order_by(User.id)).all()
    for customer in customers:
        order = db.session.scalar(
            sa.select(Order).where(Order.user_id == customer.id).order_by(Order.created_at.desc()).limit(1)
        )
        if order is None:
            continue
        data = AddressData(
            recipient_name=order.contact_name,
            phone=order.contact_phone,
            province_code=order.province_code,
            ward_code=order.ward_code,
            street=order.street,
            label="Nhà",
        )
        if remember_address(customer, data) is not None:
            saved += 1
    return saved
