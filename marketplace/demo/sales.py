"""Demo sales history 2023–2025: what the platform measured while the programme ran.

Without it the report page and the programme dashboard show 0 ₫ of measured and platform
sales for the programme, and the point of the page (the platform's figures beside the
activities' reported ones) shows nothing. This adds, once:

- two past fairs with the cooperatives' booths (the Bắc Ninh OCOP fair of September 2024 and
  the national OCOP fair of July 2025), each linked to its promotion activity of programme.py,
  with QR scans and on-site sales at the booths;
- about 240 delivered or completed platform orders of the participating cooperatives spread
  over 2023–2025 from invented Vietnamese customers: some placed after scanning an activity's
  tracking link (credited to the activity), some after scanning a fair's or booth's QR code
  (credited to the fair), most without either.

The credit is what checkout stores: each order's source columns come from orders.sources.credit
for a fairs.attribution.Source, the same resolver the checkout uses, and activities get their
link through promotion.tracking.create_tracking_link. Measured sales then come out at a fraction
of the reported ones (livestream and fair sales are mostly cash, outside the platform), and
platform sales (every order of the participating cooperatives) above the measured ones.

Stock: these are past sales, written as they ended (delivered or completed) with model rows in
bulk rather than through place_order, which would take today's stock: the demo's stock figures
are what the cooperatives hold now, after three years of restocking, and three years of sales
taken from them would sell the storefront out. So current stock is not touched; the products'
"sold" counters (raised on delivery) are raised as delivery would.

Idempotent: everything is created in the run that creates the fairs (keyed by their slugs);
once they exist nothing more is added. Seeded: the same history on every fresh demo (only the
random order tracking tokens and QR codes differ). Flushes, never commits.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import select

from marketplace.accounts.models import Agency, User
from marketplace.catalog.models import Product, ProductStatus
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.core import geo
from marketplace.core.text import slugify
from marketplace.demo import data
from marketplace.extensions import db
from marketplace.fairs.attribution import Source
from marketplace.fairs.models import (
    Booth,
    BoothProduct,
    BoothStatus,
    Fair,
    FairKind,
    FairStatus,
    FairVisit,
    OnSitePayment,
    OnSiteSale,
)
from marketplace.orders import sources
from marketplace.orders.cart import delivery_fee_vnd
from marketplace.orders.models import (
    DeliveryMethod,
    Order,
    OrderItem,
    OrderPart,
    OrderStatusChange,
    PartStatus,
    PaymentStatus,
)
from marketplace.orders.services import order_number
from marketplace.promotion.models import ActivityStatus, PromotionActivity
from marketplace.promotion.services import record
from marketplace.promotion.tracking import create_tracking_link

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
Y, C = data.YOUTH_UNION, data.COOPERATIVE_ALLIANCE


@dataclass(frozen=True)
class HistoryFair:
    slug: str
    name: str
    activity: str  # the title of its promotion activity (programme.py)
    organisers: tuple[str, ...]
    province: str
    ward: str | None
    venue: str
    street: str
    start: datetime  # Vietnam time
    end: datetime
    booths: tuple[tuple[str, str, tuple[str, ...]], ...]  # (cooperative slug, number, SKUs shown)
    description: str
    visits: int
    onsite_per_booth: int


FAIRS = [
    HistoryFair(
        slug="hoi-cho-ocop-tinh-bac-ninh-2024",
        name="Hội chợ OCOP tỉnh Bắc Ninh 2024",
        activity="Tham gia Hội chợ OCOP tỉnh Bắc Ninh 2024",
        organisers=(C,),
        province=data.PROVINCE,
        ward="Phường Kinh Bắc",
        venue="Nhà Văn hóa Thanh niên tỉnh",
        street="Đường Lý Thái Tổ",
        start=datetime(2024, 9, 12, 8),
        end=datetime(2024, 9, 16, 21),
        booths=(
            ("htx-thanh-nien-ruou-lang-van", "A01", ("RV-40-500ML", "RV-BINH-GOM")),
            ("htx-thanh-nien-gom-tho-ha", "A02", ("GTH-AM-CHEN", "GTH-LO-HUONG")),
            ("htx-thanh-nien-banh-da-ke", "A03", ("BDK-VUNG-10", "BDK-HOP-QUA")),
            ("htx-thanh-nien-mat-ong-son-dong", "B01", ("MO-RUNG-1L",)),
            ("htx-thanh-nien-may-tre-dan-viet-yen", "B02", ("MTD-GIO-QUA", "MTD-RO-3")),
        ),
        description=(
            "Gian hàng các hợp tác xã thanh niên tại Hội chợ OCOP tỉnh Bắc Ninh: rượu làng Vân, gốm Thổ Hà, "
            "bánh đa Kế, mật ong Sơn Động và mây tre đan Việt Yên. Quét mã QR tại gian hàng để đặt mua trực tuyến."
        ),
        visits=210,
        onsite_per_booth=8,
    ),
    HistoryFair(
        slug="gian-hang-htx-thanh-nien-hoi-cho-ocop-quoc-gia-2025",
        name="Gian hàng HTX thanh niên Bắc Ninh tại Hội chợ OCOP quốc gia 2025",
        activity="Tham gia Hội chợ OCOP quốc gia 2025",
        organisers=(C, Y),
        province="Hà Nội",
        ward=None,
        venue="Khu gian hàng tỉnh Bắc Ninh, Hội chợ OCOP quốc gia",
        street="",
        start=datetime(2025, 7, 10, 8),
        end=datetime(2025, 7, 14, 21),
        booths=(
            ("htx-thanh-nien-ga-doi-yen-the", "BN-01", ("GA-NGUYEN-CON", "GA-U-MUOI")),
            ("htx-thanh-nien-banh-da-ke", "BN-02", ("BDK-VUNG-10",)),
            ("htx-thanh-nien-duoc-lieu-tay-yen-tu", "BN-03", ("DL-TRA-HOA-VANG-50G", "DL-TRA-TUI-LOC")),
            ("htx-thanh-nien-sam-nam-nui-danh", "BN-04", ("SN-SAY-200G",)),
            ("htx-thanh-nien-nong-san-say-hoang-van", "BN-05", ("HV-HONG-SAY-DEO", "HV-MIT-SAY")),
        ),
        description=(
            "Năm gian hàng của hợp tác xã thanh niên Bắc Ninh trong khu gian hàng của tỉnh tại Hội chợ OCOP "
            "quốc gia 2025. Khách quét mã QR của gian hàng để đặt mua sau hội chợ."
        ),
        visits=260,
        onsite_per_booth=7,
    ),
]

# Activities whose tracking link the agencies shared (a livestream's description, the posts of an
# e-commerce campaign), with how many orders it brought.
TRACKED = {
    "Livestream bán vải thiều Lục Ngạn mùa 2023": 14,
    "Hỗ trợ HTX thanh niên đưa sản phẩm lên sàn thương mại điện tử (đợt 1)": 9,
    "Hỗ trợ đưa sản phẩm HTX thanh niên lên sàn Postmart, Voso (đợt 2)": 10,
    "Livestream bán vải thiều Lục Ngạn mùa 2024": 12,
    "Chiến dịch giới thiệu đặc sản HTX thanh niên trên mạng xã hội": 11,
    "Livestream bán vải thiều Lục Ngạn mùa 2025": 18,
    "Hỗ trợ HTX thanh niên mở gian hàng trên sàn thương mại điện tử (đợt 3)": 10,
}
FAIR_QR_ORDERS = 14  # per fair, during it and the days after that its QR scans still credit
PLAIN_ORDERS = {2023: 38, 2024: 50, 2025: 62}  # orders that came with no link

SURNAMES = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý")
MIDDLE = {"f": ("Thị", "Thị Thu", "Thị Minh", "Ngọc", "Thu", "Thị Hồng"), "m": ("Văn", "Đức", "Minh", "Quang", "Hữu")}
GIVEN = {
    "f": ("Hà", "Lan", "Hương", "Mai", "Trang", "Linh", "Huyền", "Nga", "Thảo", "Yến", "Hạnh", "Phương"),
    "m": ("Nam", "Hùng", "Tuấn", "Dũng", "Long", "Thắng", "Hải", "Sơn", "Khánh", "Quân", "Cường", "Phong"),
}
# (ward of Bắc Ninh, streets there)
ADDRESSES = (
    ("Phường Kinh Bắc", ("Đường Ngô Gia Tự", "Đường Nguyễn Gia Thiều", "Đường Lý Thái Tổ", "Đường Trần Hưng Đạo")),
    ("Phường Bắc Giang", ("Đường Xương Giang", "Đường Lê Lợi", "Đường Nguyễn Văn Cừ", "Đường Hoàng Văn Thụ")),
    ("Phường Vũ Ninh", ("Đường Thiên Đức", "Đường Hai Bà Trưng", "Đường Nguyễn Đăng Đạo")),
    ("Phường Đa Mai", ("Thôn Đa Mai", "Đường Lê Lai")),
    ("Xã Lục Ngạn", ("Thôn Kép", "Thôn Trại Ba")),
    ("Xã Lạng Giang", ("Thôn Chè", "Thôn Voi")),
    ("Xã Tân Yên", ("Thôn Cao Thượng", "Thôn Tân Lập")),
    ("Xã Hiệp Hòa", ("Thôn Thắng", "Thôn Đồng Tân")),
)
PHONE_PREFIXES = ("091", "094", "098", "097", "096", "086", "035", "038", "039", "083", "088")


def load_history_fairs() -> list[Fair]:
    """The past fairs that are missing, created (closed, with booths); returns them. Runs before
    load_program, which links each fair to its activity when it creates the activity."""
    from marketplace.fairs.services import new_code

    existing = set(db.session.scalars(select(Fair.slug).where(Fair.slug.in_([f.slug for f in FAIRS]))))
    missing = [item for item in FAIRS if item.slug not in existing]
    if not missing:
        return []
    db.session.flush()
    agencies = {a.name: a for a in db.session.scalars(select(Agency))}
    users = {u.email: u for u in db.session.scalars(select(User))}
    cooperatives = {c.slug: c for c in db.session.scalars(select(Cooperative))}
    products = {(p.cooperative_id, p.sku): p for p in db.session.scalars(select(Product))}
    staff = users[f"lienminh@{data.EMAIL_DOMAIN}"]
    created = []
    for item in missing:
        province = geo.find_province(item.province)
        starts_at, ends_at = _utc(item.start), _utc(item.end)
        fair = Fair(
            slug=item.slug,
            name=item.name,
            kind=FairKind.TRADE_FAIR,
            status=FairStatus.CLOSED,  # over: results only
            venue=item.venue,
            province_code=province,
            ward_code=geo.find_ward(province, item.ward) if item.ward else None,
            street=item.street,
            starts_at=starts_at,
            ends_at=ends_at,
            applications_close_at=starts_at - timedelta(days=10),
            description=item.description,
            code=new_code(),
            created_by=staff,
            created_at=starts_at - timedelta(days=30),
        )
        fair.organisers.extend(agencies[name] for name in item.organisers)
        for n, (slug, number, skus) in enumerate(item.booths):
            cooperative = cooperatives[slug]
            applied_at = fair.created_at + timedelta(days=2 + n)
            booth = Booth(
                fair=fair,
                cooperative=cooperative,
                status=BoothStatus.APPROVED,
                number=number,
                code=new_code(),
                applied_by=next(iter(cooperative.managers), None),
                applied_at=applied_at,
                decided_by=staff,
                decided_at=applied_at + timedelta(days=3),
            )
            for sku in skus:
                product = products.get((cooperative.id, sku))
                if product is not None:
                    booth.products.append(BoothProduct(product=product, fair_price_vnd=None))
            db.session.add(booth)
        db.session.add(fair)
        created.append(fair)
    db.session.flush()
    return created


def fair_of_activity() -> dict[str, str]:
    """{activity title: fair slug}: the links programme.py makes when it creates the activities."""
    return {item.activity: item.slug for item in FAIRS}


def load_sales(new_fairs: list[Fair]) -> int:
    """The sales history, made in the run that created the past fairs; returns the orders created."""
    if not new_fairs:
        return 0
    rng = random.Random("demo-sales-2023-2025")  # the same history on every fresh demo
    activities = {a.title: a for a in db.session.scalars(select(PromotionActivity))}
    staff = db.session.scalar(select(User).where(User.email == f"lienminh@{data.EMAIL_DOMAIN}"))
    catalogue = _catalogue()
    on_sale = {p for products in catalogue.values() for p in products}
    people = _People(rng)
    orders: list[Order] = []
    sold: dict[int, int] = {}

    for fair in new_fairs:
        item = next(f for f in FAIRS if f.slug == fair.slug)
        activity = activities.get(item.activity)
        if activity is not None and activity.fair_id is None:  # an activity made before the fair existed
            activity.fair = fair
            record(activity, staff, "updated", "fair", "", fair.name)
        _visits(fair, item, rng)
        _onsite(fair, item, rng)
        booths = sorted(
            (b for b in fair.booths if any(p.product in on_sale for p in b.products)),
            key=lambda b: b.cooperative.slug,
        )
        for _ in range(FAIR_QR_ORDERS):
            booth = rng.choice(booths)
            scanned = _moment_between(rng, fair.starts_at, fair.ends_at)
            when = scanned + timedelta(hours=rng.uniform(0.2, 96))
            source = Source(fair.id, booth.id if rng.random() < 0.8 else None, scanned)
            shown = sorted((p.product for p in booth.products if p.product in on_sale), key=lambda p: p.sku)
            lines = _lines(rng, shown, catalogue)
            orders.append(_order(rng, people, lines, when, source, sold))

    for title, count in TRACKED.items():
        activity = activities.get(title)
        if activity is None or activity.status != ActivityStatus.APPROVED:
            continue
        create_tracking_link(activity, staff)
        # By slug: relationships load in no set order, and the same seed must make the same history.
        pool = [p for c in sorted(activity.cooperatives, key=lambda c: c.slug) for p in catalogue.get(c.id, ())]
        if not pool:  # its cooperatives no longer sell anything
            continue
        start = _utc(datetime.combine(activity.start_date, time(8)))
        end = _utc(datetime.combine(activity.end_date, time(22)))
        for _ in range(count):
            scanned = _moment_between(rng, start, end)
            when = scanned + timedelta(hours=rng.uniform(0.1, 48))
            source = Source(None, None, scanned, activity.id)
            orders.append(_order(rng, people, _lines(rng, pool, catalogue), when, source, sold))

    every = [p for products in catalogue.values() for p in products]
    for year, count in PLAIN_ORDERS.items():
        start, end = _utc(datetime(year, 1, 3, 7)), _utc(datetime(year, 12, 28, 22))
        for _ in range(count):
            when = _daytime(rng, _moment_between(rng, start, end))
            orders.append(_order(rng, people, _lines(rng, every, catalogue), when, None, sold))

    db.session.add_all(orders)
    db.session.flush()
    for order in orders:  # "DH-2024-000123": the year it was placed and its id, as place_order numbers it
        order.number = order_number(order)
    products = Product.__table__
    for product_id, quantity in sorted(sold.items()):  # delivered parts count as sold (orders.services)
        db.session.execute(
            sa.update(products).where(products.c.id == product_id).values(units_sold=products.c.units_sold + quantity)
        )
    db.session.flush()
    db.session.expire_all()
    return len(orders)


def _utc(local: datetime) -> datetime:
    """Naive UTC of a naive Vietnam time."""
    return local.replace(tzinfo=VIETNAM).astimezone(UTC).replace(tzinfo=None)


def _moment_between(rng: random.Random, start: datetime, end: datetime) -> datetime:
    return start + timedelta(seconds=rng.uniform(0, (end - start).total_seconds()))


def _daytime(rng: random.Random, moment: datetime) -> datetime:
    """The same Vietnamese day, between 07:00 and 22:00 (people order while awake)."""
    day = moment.replace(tzinfo=UTC).astimezone(VIETNAM).date()
    return _utc(datetime.combine(day, time(7)) + timedelta(minutes=rng.randint(0, 15 * 60)))


def _catalogue() -> dict[int, list[Product]]:
    """{cooperative id: its products on sale}, approved cooperatives only, in a stable order."""
    rows = db.session.scalars(
        select(Product)
        .join(Product.cooperative)
        .where(Product.status == ProductStatus.ACTIVE, Cooperative.status == CooperativeStatus.APPROVED)
        .order_by(Product.cooperative_id, Product.sku)
    )
    found: dict[int, list[Product]] = {}
    for product in rows:
        found.setdefault(product.cooperative_id, []).append(product)
    return found


def _lines(rng: random.Random, pool: list[Product], catalogue) -> list[tuple[Product, int]]:
    """One to three products: mostly of one cooperative, sometimes another of the same one."""
    first = rng.choice(pool)
    lines = {first.id: (first, _quantity(rng, first))}
    if rng.random() < 0.35:
        other = rng.choice(catalogue[first.cooperative_id])
        lines.setdefault(other.id, (other, _quantity(rng, other)))
    if rng.random() < 0.12:
        other = rng.choice(pool)
        lines.setdefault(other.id, (other, _quantity(rng, other)))
    return list(lines.values())


def _quantity(rng: random.Random, product: Product) -> int:
    # Cheap things by the few, a 300 000 đồng gift box or a whole chicken one or two at a time;
    # now and then an office or a family party buys for everyone (Tết gifts, a lychee season box each).
    if rng.random() < 0.08:
        return rng.randint(5, 12)
    return rng.choice((1, 1, 2, 2, 3, 4)) if product.price_vnd < 150_000 else rng.choice((1, 1, 1, 2))


class _People:
    """Invented customers; about one in four orders again."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.known: list[tuple[str, str, str, str, str]] = []
        self.province = geo.find_province(data.PROVINCE)
        self.wards = {ward: geo.find_ward(self.province, ward) for ward, _streets in ADDRESSES}

    def pick(self) -> tuple[str, str, str, int, str]:
        rng = self.rng
        if self.known and rng.random() < 0.25:
            return rng.choice(self.known)
        sex = "f" if rng.random() < 0.65 else "m"  # more women than men do the family shopping
        name = f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE[sex])} {rng.choice(GIVEN[sex])}"
        phone = rng.choice(PHONE_PREFIXES) + f"{rng.randrange(10**7):07d}"
        given = slugify(name.split()[-1], 20).replace("-", "")
        family = slugify(name.split()[0], 20).replace("-", "")
        email = f"{given}.{family}{rng.randrange(10, 99)}@example.vn"
        ward, streets = rng.choice(ADDRESSES)
        street = (
            f"Số {rng.randint(2, 180)} {rng.choice(streets)}" if streets[0].startswith("Đường") else rng.choice(streets)
        )
        person = (name, phone, email, self.wards[ward], street)
        self.known.append(person)
        return person


def _order(rng, people: _People, lines, when: datetime, source, sold: dict[int, int]) -> Order:
    """A cash-on-delivery order placed at `when`, every part delivered and most completed since."""
    name, phone, email, ward, street = people.pick()
    credit = sources.credit(source)  # the columns checkout stores for this source
    order = Order(
        tracking_token=secrets.token_urlsafe(24),
        contact_name=name,
        contact_phone=phone,
        contact_email=email,
        province_code=people.province,
        ward_code=ward,
        street=street,
        payment_method="cod",
        payment_status=PaymentStatus.PAID,
        created_at=when,
        updated_at=when,
        **(credit.columns if credit is not None else {}),
    )
    by_coop: dict[int, list[tuple[Product, int]]] = {}
    for product, quantity in lines:
        by_coop.setdefault(product.cooperative_id, []).append((product, quantity))
    last = when
    for cooperative_id in sorted(by_coop):
        cooperative = by_coop[cooperative_id][0][0].cooperative
        part = OrderPart(
            cooperative=cooperative,
            delivery_method=DeliveryMethod.HOME,
            status=PartStatus.PLACED,
            created_at=when,
            updated_at=when,
        )
        for product, quantity in sorted(by_coop[cooperative_id], key=lambda line: line[0].id):
            part.items.append(
                OrderItem(
                    product_id=product.id,
                    product_name=product.name,
                    sku=product.sku,
                    unit=product.unit,
                    unit_price_vnd=product.price_vnd,
                    quantity=quantity,
                    line_total_vnd=product.price_vnd * quantity,
                )
            )
            sold[product.id] = sold.get(product.id, 0) + quantity
        part.items_total_vnd = sum(i.line_total_vnd for i in part.items)
        part.delivery_fee_vnd = delivery_fee_vnd(cooperative, DeliveryMethod.HOME, part.items_total_vnd)
        part.total_vnd = part.items_total_vnd + part.delivery_fee_vnd
        steps = [(None, PartStatus.PLACED, "customer", when)]
        at = when + timedelta(hours=rng.uniform(1, 10))
        steps.append((PartStatus.PLACED, PartStatus.CONFIRMED, "cooperative", at))
        at += timedelta(hours=rng.uniform(4, 30))
        steps.append((PartStatus.CONFIRMED, PartStatus.SHIPPED, "cooperative", at))
        at += timedelta(hours=rng.uniform(20, 72))
        steps.append((PartStatus.SHIPPED, PartStatus.DELIVERED, "cooperative", at))
        part.payment_received_at = at  # cash collected on delivery
        if rng.random() < 0.7:
            at += timedelta(days=rng.uniform(2, 7))
            steps.append((PartStatus.DELIVERED, PartStatus.COMPLETED, "cooperative", at))
        for from_status, to_status, actor, moment in steps:
            part.history.append(
                OrderStatusChange(from_status=from_status, to_status=to_status, actor=actor, created_at=moment)
            )
        part.status = steps[-1][1]
        part.updated_at = at
        last = max(last, at)
        order.parts.append(part)
    order.items_total_vnd = sum(p.items_total_vnd for p in order.parts)
    order.delivery_total_vnd = sum(p.delivery_fee_vnd for p in order.parts)
    order.total_vnd = order.items_total_vnd + order.delivery_total_vnd
    order.paid_at = max(p.payment_received_at for p in order.parts)
    order.updated_at = last
    return order


def _open_hours(rng: random.Random, fair: Fair) -> datetime:
    """A moment of the fair in its opening hours (08:00–21:00 in Vietnam)."""
    first = fair.starts_at.replace(tzinfo=UTC).astimezone(VIETNAM).date()
    last = fair.ends_at.replace(tzinfo=UTC).astimezone(VIETNAM).date()
    day = first + timedelta(days=rng.randint(0, (last - first).days))
    return _utc(datetime.combine(day, time(8)) + timedelta(minutes=rng.randint(0, 13 * 60 - 1)))


def _visits(fair: Fair, item: HistoryFair, rng: random.Random) -> None:
    visitors = [f"{rng.getrandbits(128):032x}" for _ in range(item.visits * 2 // 3)]
    who = visitors + [rng.choice(visitors) for _ in range(item.visits - len(visitors))]
    db.session.add_all(
        FairVisit(
            fair_id=fair.id,
            booth_id=None if rng.random() < 0.2 else rng.choice(fair.booths).id,
            visitor=visitor,
            created_at=_open_hours(rng, fair),
        )
        for visitor in who
    )


def _onsite(fair: Fair, item: HistoryFair, rng: random.Random) -> None:
    """Sales at the booths, as the cooperatives' staff recorded them (cash mostly)."""
    sales = []
    for booth in fair.booths:
        if not booth.products:
            continue
        seller = next(iter(booth.cooperative.managers), None)
        for _ in range(item.onsite_per_booth):
            shown = rng.choice(sorted(booth.products, key=lambda p: p.product.sku)).product
            quantity = _quantity(rng, shown) + rng.choice((0, 0, 1))
            sales.append(
                OnSiteSale(
                    booth_id=booth.id,
                    product_id=shown.id,
                    product_name=shown.name,
                    unit=shown.unit,
                    quantity=quantity,
                    unit_price_vnd=shown.price_vnd,
                    total_vnd=shown.price_vnd * quantity,
                    payment=OnSitePayment.CASH if rng.random() < 0.65 else OnSitePayment.TRANSFER,
                    recorded_by_id=seller.id if seller else None,
                    created_at=_open_hours(rng, fair),
                )
            )
    db.session.add_all(sales)
