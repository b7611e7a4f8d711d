"""Recalling a batch: its remaining stock off sale, everyone who received it listed and emailed,
all of it in the batch's history (BatchEvent).

    recall_batch(batch, reason, by)   # in the request's transaction; never commits
    receivers(batch)                  # the order parts and fair sales that received the batch

Who received a batch is its allocations (BatchAllocation, written by traceability.lots as
orders and on-site sales take stock): the units a receiver kept are `quantity - returned`,
and a cancelled part or a voided sale kept none, whatever its allocation says.

One recall notice is queued per order that kept units of the batch (marketplace.mail.queue;
the job is about the order's first allocation of the batch). An order placed without an
email gets none: a NOTICE_FAILED event says so at once, so the cooperative calls instead.
The notice's outcome is recorded by the queue handler itself, after the send (NOTICE_SENT,
or NOTICE_FAILED with the error on each failed attempt, retried by the queue); the handler
commits those events, as the queue's session is rolled back after each batch of jobs.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import request
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.core import content_version
from marketplace.core.errors import Refused
from marketplace.core.mail import send_email
from marketplace.core.models import utcnow
from marketplace.core.phone import format_vn_phone
from marketplace.extensions import db
from marketplace.fairs.models import Booth, Fair, OnSiteSale
from marketplace.mail.models import QueuedEmail
from marketplace.mail.queue import MAX_ATTEMPTS, Gone, queue_email, register
from marketplace.orders.models import Order, OrderItem, OrderPart, PartStatus
from marketplace.traceability import batches, lots
from marketplace.traceability.models import Batch, BatchAllocation, BatchEvent, BatchEventKind

logger = logging.getLogger(__name__)

MAX_REASON = 1000
SHIPPED = (PartStatus.SHIPPED, PartStatus.DELIVERED, PartStatus.COMPLETED)
RECALL_NOTICE = "batch_recall_notice"


# --- who received the batch --------------------------------------------------------------------


@dataclass(frozen=True)
class OrderReceiver:
    """An order part that kept units of the batch."""

    order: Order
    part: OrderPart
    quantity: int  # units kept (received and not given back)
    allocation_id: int  # its first allocation of the batch (what the notice job is about)

    @property
    def address(self) -> str:
        return self.order.address

    @property
    def shipped(self) -> bool:
        """The units have left the cooperative (else it can still keep them back)."""
        return self.part.status in SHIPPED


@dataclass(frozen=True)
class SaleReceiver:
    """A sale at a fair booth that kept units of the batch (no contact: sold over the counter)."""

    sale: OnSiteSale
    booth: Booth
    fair: Fair
    quantity: int


@dataclass(frozen=True)
class Receivers:
    orders: list[OrderReceiver]
    sales: list[SaleReceiver]

    @property
    def units(self) -> int:
        return sum(r.quantity for r in self.orders) + sum(r.quantity for r in self.sales)

    def __bool__(self) -> bool:
        return bool(self.orders or self.sales)


KEPT = BatchAllocation.quantity - BatchAllocation.returned


def order_receivers(batch_id: int) -> list[OrderReceiver]:
    """Every order part not cancelled that kept units of the batch, newest order first."""
    rows = db.session.execute(
        sa.select(OrderPart, sa.func.sum(KEPT), sa.func.min(BatchAllocation.id))
        .select_from(BatchAllocation)
        .join(OrderItem, BatchAllocation.order_item_id == OrderItem.id)
        .join(OrderPart, OrderItem.part_id == OrderPart.id)
        .where(
            BatchAllocation.batch_id == batch_id,
            KEPT > 0,
            OrderPart.status != PartStatus.CANCELLED,
        )
        .group_by(OrderPart.id)
    ).all()
    parts = [(part, int(quantity), first) for part, quantity, first in rows]
    orders = {
        o.id: o
        for o in db.session.scalars(sa.select(Order).where(Order.id.in_({part.order_id for part, _q, _f in parts})))
    }
    found = [OrderReceiver(orders[part.order_id], part, quantity, first) for part, quantity, first in parts]
    found.sort(key=lambda r: (r.order.created_at, r.order.id), reverse=True)
    return found


def sale_receivers(batch_id: int) -> list[SaleReceiver]:
    """Every fair sale not voided that kept units of the batch, newest first."""
    rows = db.session.execute(
        sa.select(OnSiteSale, Booth, Fair, sa.func.sum(KEPT))
        .select_from(BatchAllocation)
        .join(OnSiteSale, BatchAllocation.on_site_sale_id == OnSiteSale.id)
        .join(Booth, OnSiteSale.booth_id == Booth.id)
        .join(Fair, Booth.fair_id == Fair.id)
        .where(BatchAllocation.batch_id == batch_id, KEPT > 0, OnSiteSale.voided_at.is_(None))
        .group_by(OnSiteSale.id, Booth.id, Fair.id)
        .order_by(OnSiteSale.created_at.desc(), OnSiteSale.id.desc())
    ).all()
    return [SaleReceiver(sale, booth, fair, int(quantity)) for sale, booth, fair, quantity in rows]


def receivers(batch: Batch) -> Receivers:
    """Everyone who received units of `batch` and kept them: order parts and fair sales."""
    return Receivers(order_receivers(batch.id), sale_receivers(batch.id))


def history(batch: Batch) -> list[BatchEvent]:
    """The batch's events, newest first."""
    return list(
        db.session.scalars(
            sa.select(BatchEvent)
            .where(BatchEvent.batch_id == batch.id)
            .order_by(BatchEvent.created_at.desc(), BatchEvent.id.desc())
        )
    )


def order_numbers(events: list[BatchEvent]) -> dict[int, str]:
    """{order id: its number} for the orders the events are about (one query)."""
    ids = {e.order_id for e in events if e.order_id is not None}
    if not ids:
        return {}
    return {
        order_id: number
        for order_id, number in db.session.execute(sa.select(Order.id, Order.number).where(Order.id.in_(ids)))
    }


# --- recalling -----------------------------------------------------------------------------------


def clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise Refused(_("Say why the batch is recalled: customers read it in the notice."), field="reason")
    if len(text) > MAX_REASON:
        raise Refused(_("The reason has at most %(num)d characters.", num=MAX_REASON), field="reason")
    return text


def recall_batch(batch: Batch, reason: str, by: User, now: datetime | None = None) -> Receivers:
    """Mark `batch` recalled by `by` for `reason`, take its remaining units off sale, and tell
    every order that received it (queued emails). Returns who received it. Flushes, never
    commits; Refused (field "reason") when already recalled or the reason is empty or too long."""
    if batch.is_recalled:
        raise Refused(_("This batch is already recalled."), field="reason")
    text = clean_reason(reason)
    now = now or utcnow()
    # Lock order product then batch, as orders take stock: a recall and an order of the same
    # product could otherwise deadlock.
    lots.hold_product(batch.product_id)
    table = Batch.__table__
    # Conditional, so two recalls sent at once cannot both withdraw and notify.
    done = db.session.execute(
        sa.update(table)
        .where(table.c.id == batch.id, table.c.recalled_at.is_(None))
        .values(recalled_at=now, recalled_by_id=by.id, recall_reason=text, updated_at=now)
        .returning(table.c.id)
    ).scalar_one_or_none()
    if done is None:
        raise Refused(_("This batch is already recalled."), field="reason")
    db.session.refresh(batch, ["recalled_at", "recalled_by_id", "recall_reason", "updated_at"])
    content_version.mark_changed(db.session)  # the products API lists a product's open batches
    withdrawn = lots.withdraw_stock(batch)
    db.session.add(
        BatchEvent(
            batch_id=batch.id,
            kind=BatchEventKind.RECALLED,
            detail=text,
            quantity=withdrawn,
            by_id=by.id,
            created_at=now,
        )
    )
    found = receivers(batch)
    for receiver in found.orders:
        order = receiver.order
        if order.contact_email:
            queue_email(RECALL_NOTICE, receiver.allocation_id)
        else:
            db.session.add(
                BatchEvent(
                    batch_id=batch.id,
                    kind=BatchEventKind.NOTICE_FAILED,
                    detail="",  # no email on the order: the pages say "call the customer"
                    quantity=receiver.quantity,
                    order_id=order.id,
                    by_id=by.id,
                    created_at=now,
                )
            )
    db.session.flush()
    logger.info(
        "Batch %s recalled by user %s: %d units withdrawn, %d orders to notify",
        batch.id,
        by.id,
        withdrawn,
        len(found.orders),
    )
    return found


# --- the notice (queue handler) ------------------------------------------------------------------


def cooperative_contact(cooperative) -> str:
    """How a customer reaches the cooperative: its phone, else its email."""
    if cooperative.phone:
        return format_vn_phone(cooperative.phone)
    return cooperative.email or ""


def _already_sent(batch_id: int, order_id: int) -> bool:
    return (
        db.session.scalar(
            sa.select(BatchEvent.id)
            .where(
                BatchEvent.batch_id == batch_id,
                BatchEvent.order_id == order_id,
                BatchEvent.kind == BatchEventKind.NOTICE_SENT,
            )
            .limit(1)
        )
        is not None
    )


def _attempt(allocation_id: int) -> int:
    return (
        db.session.scalar(
            sa.select(QueuedEmail.attempts)
            .where(QueuedEmail.kind == RECALL_NOTICE, QueuedEmail.object_id == allocation_id)
            .order_by(QueuedEmail.id.desc())
            .limit(1)
        )
        or 1
    )


def _record(event: BatchEvent) -> None:
    # The queue's session is rolled back after its batch of jobs: the outcome is committed here.
    db.session.add(event)
    db.session.commit()


def send_recall_notice(allocation_id: int) -> None:
    """Queue handler: email the order of this allocation that its batch is recalled, once."""
    allocation = db.session.get(BatchAllocation, allocation_id)
    if allocation is None or allocation.order_item_id is None:
        raise Gone(f"batch allocation {allocation_id} no longer exists")
    batch = allocation.batch
    item = db.session.get(OrderItem, allocation.order_item_id)
    order = item.part.order
    receiver = next((r for r in order_receivers(batch.id) if r.order.id == order.id), None)
    if not batch.is_recalled or receiver is None or not order.contact_email or _already_sent(batch.id, order.id):
        return
    product = batch.product
    cooperative = product.cooperative
    batch_id, order_id, email, quantity = batch.id, order.id, order.contact_email, receiver.quantity
    try:
        with force_locale("vi"):
            subject = _("Recall: %(product)s, lot %(code)s", product=product.name, code=batch.code)
            send_email(
                email,
                subject,
                "batch_recalled",
                order=order,
                batch=batch,
                product=product,
                cooperative=cooperative,
                contact=cooperative_contact(cooperative),
                quantity=quantity,
                shipped=receiver.shipped,
                trace_link=batches.trace_url(batch, request.host_url),
            )
    except Exception as error:
        attempt = _attempt(allocation_id)
        detail = f"{type(error).__name__}: {error}"[:900] + f" ({attempt}/{MAX_ATTEMPTS})"
        db.session.rollback()
        _record(
            BatchEvent(
                batch_id=batch_id,
                kind=BatchEventKind.NOTICE_FAILED,
                detail=detail,
                quantity=quantity,
                order_id=order_id,
                email=email,
            )
        )
        raise
    _record(
        BatchEvent(
            batch_id=batch_id, kind=BatchEventKind.NOTICE_SENT, quantity=quantity, order_id=order_id, email=email
        )
    )


register(RECALL_NOTICE, send_recall_notice)
