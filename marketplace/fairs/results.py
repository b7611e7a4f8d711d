"""What a fair brought: scans, attributed online orders, on-site sales, new customers, best sellers.

One function computes the numbers (`fair_results`); the results pages and their CSV
export both show what it returns, so the screen and the file cannot differ.

Definitions (every amount whole đồng):
- Scans: visits recorded by /f/<code> (HEAD requests and bots are not visits). Total and
  unique visitors (by the random visitor cookie), for the fair's own link and for
  booth links. A booth's row counts its own link's scans.
- Attributed online orders: orders whose source is the fair (Order.source_fair_id),
  whichever link was scanned. Revenue is the items total of their parts that are not
  cancelled (delivery fees left out: it measures what was sold). An order counts when
  at least one of its parts is not cancelled. A booth's row counts its cooperative's
  parts of those orders. The fair's row counts every part, including cooperatives
  without a booth at the fair, so booth rows need not add up to it.
- On-site sales: sales recorded at the booths, voided ones and unresolved booth-app
  conflicts left out (fairs.onsite.counted).
- New customers: distinct contact phones of counted attributed orders placed with no
  earlier order from that phone anywhere on the platform.
- Best-selling products: units and revenue from the counted parts' items and on-site
  sales together, ordered by revenue then units.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased, joinedload

from marketplace.cooperatives.models import Cooperative
from marketplace.extensions import db
from marketplace.fairs.models import Booth, BoothStatus, Fair, FairVisit, OnSiteSale
from marketplace.fairs.onsite import counted as counted_onsite
from marketplace.orders.models import Order, OrderItem, OrderPart, PartStatus

TOP_PRODUCTS = 20


@dataclass
class Row:
    """The numbers of the whole fair (booth None) or of one booth."""

    booth_id: int | None = None
    booth_number: str | None = None
    cooperative_id: int | None = None
    cooperative_name: str | None = None
    scans: int = 0
    unique_visitors: int = 0
    fair_link_scans: int | None = None  # the fair row only
    fair_link_unique: int | None = None
    booth_link_scans: int = 0
    booth_link_unique: int = 0
    orders: int = 0
    online_revenue_vnd: int = 0
    onsite_sales: int = 0
    onsite_units: int = 0
    onsite_revenue_vnd: int = 0
    new_customers: int = 0

    @property
    def total_revenue_vnd(self) -> int:
        return self.online_revenue_vnd + self.onsite_revenue_vnd


@dataclass
class ProductRow:
    product_id: int | None
    name: str
    cooperative_name: str
    online_units: int = 0
    onsite_units: int = 0
    revenue_vnd: int = 0

    @property
    def units(self) -> int:
        return self.online_units + self.onsite_units


@dataclass
class FairResults:
    fair: Fair
    total: Row | None  # None when only one cooperative's booth is shown
    booths: list[Row] = field(default_factory=list)
    products: list[ProductRow] = field(default_factory=list)


# The CSV's columns and the screen's, in order: (attribute, header).
COLUMNS = (
    ("scans", _l("QR scans")),
    ("unique_visitors", _l("Unique visitors")),
    ("fair_link_scans", _l("Fair-link scans")),
    ("fair_link_unique", _l("Fair-link unique visitors")),
    ("booth_link_scans", _l("Booth-link scans")),
    ("booth_link_unique", _l("Booth-link unique visitors")),
    ("orders", _l("Attributed online orders")),
    ("online_revenue_vnd", _l("Online revenue (VND)")),
    ("onsite_sales", _l("On-site sales")),
    ("onsite_units", _l("On-site units")),
    ("onsite_revenue_vnd", _l("On-site revenue (VND)")),
    ("new_customers", _l("New customers")),
    ("total_revenue_vnd", _l("Total revenue (VND)")),
)
PRODUCT_COLUMNS = (
    ("online_units", _l("Units online")),
    ("onsite_units", _l("Units on site")),
    ("units", _l("Units")),
    ("revenue_vnd", _l("Revenue (VND)")),
)


def took_part():
    """Booths that took part: approved ones, and approved ones later withdrawn (they kept a number)."""
    return sa.or_(
        Booth.status == BoothStatus.APPROVED,
        sa.and_(Booth.status == BoothStatus.WITHDRAWN, Booth.number.is_not(None)),
    )


def listed_booths(fair: Fair) -> list[Booth]:
    return list(
        db.session.scalars(
            sa.select(Booth)
            .where(Booth.fair_id == fair.id, took_part())
            .options(joinedload(Booth.cooperative))
            .order_by(Booth.number, Booth.id)
        )
    )


def _visits(fair: Fair) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int], dict[int, tuple[int, int]]]:
    def count(*where):
        return db.session.execute(
            sa.select(sa.func.count(FairVisit.id), sa.func.count(sa.distinct(FairVisit.visitor))).where(
                FairVisit.fair_id == fair.id, *where
            )
        ).one()

    every = tuple(count())
    fair_link = tuple(count(FairVisit.booth_id.is_(None)))
    booth_links = tuple(count(FairVisit.booth_id.is_not(None)))
    per_booth = {
        booth_id: (total, unique)
        for booth_id, total, unique in db.session.execute(
            sa.select(FairVisit.booth_id, sa.func.count(FairVisit.id), sa.func.count(sa.distinct(FairVisit.visitor)))
            .where(FairVisit.fair_id == fair.id, FairVisit.booth_id.is_not(None))
            .group_by(FairVisit.booth_id)
        )
    }
    return every, fair_link, booth_links, per_booth


def _online(fair: Fair) -> tuple[tuple[int, int], dict[int, tuple[int, int]]]:
    """(orders, revenue) for the fair, and per cooperative."""
    base = (
        sa.select(sa.func.count(sa.distinct(Order.id)), sa.func.coalesce(sa.func.sum(OrderPart.items_total_vnd), 0))
        .select_from(Order)
        .join(OrderPart, OrderPart.order_id == Order.id)
        .where(Order.source_fair_id == fair.id, OrderPart.status != PartStatus.CANCELLED)
    )
    orders, revenue = db.session.execute(base).one()
    per_cooperative = {
        cooperative_id: (int(n), int(total))
        for cooperative_id, n, total in db.session.execute(
            base.with_only_columns(
                OrderPart.cooperative_id, sa.func.count(sa.distinct(Order.id)), sa.func.sum(OrderPart.items_total_vnd)
            ).group_by(OrderPart.cooperative_id)
        )
    }
    return (int(orders), int(revenue)), per_cooperative


def _new_customers(fair: Fair) -> tuple[int, dict[int, int]]:
    earlier = aliased(Order)
    no_earlier_order = ~sa.exists().where(
        earlier.contact_phone == Order.contact_phone, earlier.created_at < Order.created_at
    )
    base = (
        sa.select(sa.func.count(sa.distinct(Order.contact_phone)))
        .select_from(Order)
        .join(OrderPart, OrderPart.order_id == Order.id)
        .where(Order.source_fair_id == fair.id, OrderPart.status != PartStatus.CANCELLED, no_earlier_order)
    )
    total = db.session.scalar(base) or 0
    per_cooperative = dict(
        db.session.execute(
            base.with_only_columns(OrderPart.cooperative_id, sa.func.count(sa.distinct(Order.contact_phone))).group_by(
                OrderPart.cooperative_id
            )
        ).all()
    )
    return int(total), per_cooperative


def _onsite(fair: Fair) -> dict[int, tuple[int, int, int]]:
    """{booth id: (sales, units, revenue)}, voided sales and unresolved conflicts left out."""
    return {
        booth_id: (int(n), int(units), int(revenue))
        for booth_id, n, units, revenue in db.session.execute(
            sa.select(
                OnSiteSale.booth_id,
                sa.func.count(OnSiteSale.id),
                sa.func.sum(OnSiteSale.quantity),
                sa.func.sum(OnSiteSale.total_vnd),
            )
            .join(Booth, Booth.id == OnSiteSale.booth_id)
            .where(Booth.fair_id == fair.id, counted_onsite())
            .group_by(OnSiteSale.booth_id)
        )
    }


def _products(fair: Fair, cooperative_id: int | None) -> list[ProductRow]:
    names = dict(db.session.execute(sa.select(Cooperative.id, Cooperative.name)).all())
    rows: dict[tuple, ProductRow] = {}

    def row(product_id, name, coop_id) -> ProductRow:
        key = ("id", product_id) if product_id is not None else ("name", name, coop_id)
        if key not in rows:
            rows[key] = ProductRow(product_id, name, names.get(coop_id, ""))
        return rows[key]

    online = (
        sa.select(
            OrderItem.product_id,
            OrderItem.product_name,
            OrderPart.cooperative_id,
            sa.func.sum(OrderItem.quantity),
            sa.func.sum(OrderItem.line_total_vnd),
        )
        .join(OrderPart, OrderPart.id == OrderItem.part_id)
        .join(Order, Order.id == OrderPart.order_id)
        .where(Order.source_fair_id == fair.id, OrderPart.status != PartStatus.CANCELLED)
        .group_by(OrderItem.product_id, OrderItem.product_name, OrderPart.cooperative_id)
        .order_by(OrderItem.product_id, OrderItem.product_name)
    )
    onsite = (
        sa.select(
            OnSiteSale.product_id,
            OnSiteSale.product_name,
            Booth.cooperative_id,
            sa.func.sum(OnSiteSale.quantity),
            sa.func.sum(OnSiteSale.total_vnd),
        )
        .join(Booth, Booth.id == OnSiteSale.booth_id)
        .where(Booth.fair_id == fair.id, counted_onsite())
        .group_by(OnSiteSale.product_id, OnSiteSale.product_name, Booth.cooperative_id)
        .order_by(OnSiteSale.product_id, OnSiteSale.product_name)
    )
    if cooperative_id is not None:
        online = online.where(OrderPart.cooperative_id == cooperative_id)
        onsite = onsite.where(Booth.cooperative_id == cooperative_id)
    for product_id, name, coop_id, units, revenue in db.session.execute(online):
        r = row(product_id, name, coop_id)
        r.online_units += int(units)
        r.revenue_vnd += int(revenue)
    for product_id, name, coop_id, units, revenue in db.session.execute(onsite):
        r = row(product_id, name, coop_id)
        r.onsite_units += int(units)
        r.revenue_vnd += int(revenue)
    ranked = sorted(rows.values(), key=lambda r: (-r.revenue_vnd, -r.units, r.name, r.product_id or 0))
    return ranked[:TOP_PRODUCTS]


def fair_results(fair: Fair, booth: Booth | None = None) -> FairResults:
    """The fair's results: the whole fair and every booth; or, given `booth`, that booth only
    (what its cooperative sees: no whole-fair row, its own best sellers)."""
    every, fair_link, booth_links, visits = _visits(fair)
    (orders, revenue), online = _online(fair)
    new_total, new_per_cooperative = _new_customers(fair)
    onsite = _onsite(fair)

    booths = [booth] if booth is not None else listed_booths(fair)
    rows = []
    for b in booths:
        scans, unique = visits.get(b.id, (0, 0))
        n_orders, online_revenue = online.get(b.cooperative_id, (0, 0))
        sales, units, onsite_revenue = onsite.get(b.id, (0, 0, 0))
        rows.append(
            Row(
                booth_id=b.id,
                booth_number=b.number,
                cooperative_id=b.cooperative_id,
                cooperative_name=b.cooperative.name,
                scans=scans,
                unique_visitors=unique,
                booth_link_scans=scans,
                booth_link_unique=unique,
                orders=n_orders,
                online_revenue_vnd=online_revenue,
                onsite_sales=sales,
                onsite_units=units,
                onsite_revenue_vnd=onsite_revenue,
                new_customers=int(new_per_cooperative.get(b.cooperative_id, 0)),
            )
        )
    if booth is not None:
        return FairResults(fair, None, rows, _products(fair, booth.cooperative_id))
    total = Row(
        scans=every[0],
        unique_visitors=every[1],
        fair_link_scans=fair_link[0],
        fair_link_unique=fair_link[1],
        booth_link_scans=booth_links[0],
        booth_link_unique=booth_links[1],
        orders=orders,
        online_revenue_vnd=revenue,
        onsite_sales=sum(v[0] for v in onsite.values()),
        onsite_units=sum(v[1] for v in onsite.values()),
        onsite_revenue_vnd=sum(v[2] for v in onsite.values()),
        new_customers=new_total,
    )
    return FairResults(fair, total, rows, _products(fair, None))
