"""Demo trade fairs: one past, one on now and one upcoming, with booths, fair prices and results.

Dated relative to the moment the demo is first loaded (in Vietnam time), so a fresh demo
always has a fair on: the past one ended five weeks ago, the current one started yesterday
morning and ends in three days, the next one opens in three weeks and still takes booth
applications. A fair is created with everything it has (booths, QR visits, on-site sales,
attributed orders) only when its slug is missing; an existing one is left as it is.

Results go through the real rules: on-site sales and voids through fairs.onsite, orders
through orders.services.place_order at a time during the fair (so they take stock and
pay the fair price of that moment), then marked with the fair and booth they came from.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from marketplace.accounts.models import Agency, User
from marketplace.catalog.models import Product
from marketplace.cooperatives.models import Cooperative
from marketplace.core import geo
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.demo import data
from marketplace.extensions import db
from marketplace.fairs.models import (
    Booth,
    BoothProduct,
    BoothStatus,
    Fair,
    FairKind,
    FairStatus,
    FairVisit,
    OnSitePayment,
)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class BoothData:
    cooperative: str  # slug
    number: str | None  # None: not approved
    products: tuple[tuple[str, int | None], ...]  # (SKU, fair price or None)
    status: BoothStatus = BoothStatus.APPROVED
    message: str = ""
    rejection_reason: str = ""


@dataclass(frozen=True)
class FairData:
    slug: str
    name: str  # "{year}": the year the fair starts
    kind: FairKind
    final_status: FairStatus
    organisers: tuple[str, ...]
    venue: str
    ward: str
    street: str
    start: tuple[int, int]  # (days from today, hour) in Vietnam
    end: tuple[int, int]
    description: str
    applications_close: tuple[int, int] | None = None
    booths: tuple[BoothData, ...] = ()
    visits: int = 0  # QR scans
    visitors: int = 0  # different people scanning
    sales_per_booth: int = 0
    void_reason: str = ""
    orders: tuple[tuple[str | None, tuple[tuple[str, str, int], ...], str], ...] = field(default=())
    # each: (booth number or None for the fair's own link, ((cooperative slug, SKU, quantity), ...), customer email
    # or "" for a guest)
    # A booth helper with a known code (HELPER_CODE), so a tester can try the helper sign-in: (booth number, name).
    helper: tuple[str, str] | None = None


B = BoothData
Y = data.YOUTH_UNION
C = data.COOPERATIVE_ALLIANCE

FAIRS = [
    FairData(
        slug="hoi-cho-nong-san-ocop-bac-ninh",
        name="Hội chợ Nông sản OCOP Bắc Ninh {year}",
        kind=FairKind.TRADE_FAIR,
        final_status=FairStatus.CLOSED,
        organisers=(Y, C),
        venue="Quảng trường 3/2",
        ward="Phường Bắc Giang",
        street="Đường Hoàng Văn Thụ",
        start=(-40, 8),
        end=(-36, 22),
        description=(
            "Hội chợ giới thiệu sản phẩm OCOP, nông sản an toàn và hàng thủ công của các hợp tác xã thanh niên "
            "trong tỉnh, do Tỉnh đoàn và Liên minh Hợp tác xã tỉnh phối hợp tổ chức.\n"
            "Mỗi gian hàng có mã QR: khách quét mã để xem sản phẩm và đặt mua trực tuyến sau hội chợ."
        ),
        booths=(
            B(
                "htx-thanh-nien-vai-thieu-luc-ngan",
                "A01",
                (("VT-HOP-2KG", 145_000), ("VT-SAY-500G", 85_000), ("VT-MAT-ONG-500", None)),
            ),
            B(
                "htx-thanh-nien-ga-doi-yen-the",
                "A02",
                (("GA-NGUYEN-CON", 299_000), ("GA-KHO-CHANH-300G", None), ("GA-TRUNG-10", 40_000)),
            ),
            B("htx-thanh-nien-banh-da-ke", "A03", (("BDK-VUNG-10", 30_000), ("BDK-HOP-QUA", 105_000))),
            B("htx-thanh-nien-mat-ong-son-dong", "B01", (("MO-RUNG-1L", 420_000), ("MO-KEO-500", None))),
            B("htx-thanh-nien-lua-gao-lang-giang", "B02", (("GAO-NEP-CAI-5KG", 189_000), ("GAO-LUT-DO", None))),
            B(
                "htx-thanh-nien-lam-san-luc-nam",
                None,
                (("LN-MANG-KHO-500G", 160_000),),
                BoothStatus.REJECTED,
                rejection_reason="Khu gian hàng lâm sản đã kín chỗ; mời HTX đăng ký hội chợ lần sau.",
            ),
        ),
        visits=320,
        visitors=190,
        sales_per_booth=6,
        void_reason="Nhập nhầm số lượng: khách mua 1 hộp, không phải 3 hộp.",
        orders=(
            ("A01", (("htx-thanh-nien-vai-thieu-luc-ngan", "VT-HOP-2KG", 2),), f"khachhang@{data.EMAIL_DOMAIN}"),
            (
                "A02",
                (
                    ("htx-thanh-nien-ga-doi-yen-the", "GA-NGUYEN-CON", 1),
                    ("htx-thanh-nien-ga-doi-yen-the", "GA-TRUNG-10", 2),
                ),
                "",
            ),
            ("B01", (("htx-thanh-nien-mat-ong-son-dong", "MO-RUNG-1L", 1),), ""),
            (
                None,
                (
                    ("htx-thanh-nien-banh-da-ke", "BDK-HOP-QUA", 2),
                    ("htx-thanh-nien-lua-gao-lang-giang", "GAO-NEP-CAI-5KG", 1),
                ),
                f"khachhang2@{data.EMAIL_DOMAIN}",
            ),
            ("A03", (("htx-thanh-nien-banh-da-ke", "BDK-VUNG-10", 5),), ""),
        ),
    ),
    FairData(
        slug="hoi-cho-san-pham-htx-thanh-nien-kinh-bac",
        name="Hội chợ Sản phẩm HTX Thanh niên Kinh Bắc {year}",
        kind=FairKind.TRADE_FAIR,
        final_status=FairStatus.PUBLISHED,
        organisers=(Y,),
        venue="Nhà Văn hóa Thanh niên tỉnh",
        ward="Phường Kinh Bắc",
        street="Đường Lý Thái Tổ",
        start=(-1, 8),
        end=(3, 21),
        description=(
            "Năm ngày giới thiệu đặc sản của các hợp tác xã thanh niên: mỳ Chũ, rượu làng Vân, gốm Thổ Hà, "
            "vải sấy Lục Ngạn, trái cây sấy và dược liệu Yên Tử.\n"
            "Giá hội chợ áp dụng cả khi mua trực tuyến trong những ngày hội chợ diễn ra."
        ),
        booths=(
            B(
                "htx-thanh-nien-my-chu",
                "A01",
                (("MC-BAO-THAI-500G", 26_000), ("MC-HOP-QUA", 119_000), ("MC-GAC-500G", None)),
            ),
            B("htx-thanh-nien-ruou-lang-van", "A02", (("RV-40-500ML", 85_000), ("RV-BINH-GOM", 399_000))),
            B("htx-thanh-nien-gom-tho-ha", "A03", (("GTH-LO-HUONG", 190_000), ("GTH-COC-6", None))),
            B("htx-thanh-nien-vai-thieu-luc-ngan", "B01", (("VT-SAY-500G", 79_000), ("VT-CUI-250G", 75_000))),
            B(
                "htx-thanh-nien-nong-san-say-hoang-van",
                "B02",
                (("HV-HONG-SAY-DEO", 139_000), ("HV-MIT-SAY", 55_000), ("HV-LONG-NHAN", None)),
            ),
            B("htx-thanh-nien-duoc-lieu-tay-yen-tu", "B03", (("DL-TRA-TUI-LOC", 65_000), ("DL-GIAO-CO-LAM", None))),
            B(
                "htx-thanh-nien-sam-nam-nui-danh",
                None,
                (("SN-TRA-TUI-LOC", 85_000),),
                BoothStatus.PENDING,
                message="HTX xin đăng ký gian hàng để giới thiệu trà sâm nam núi Dành.",
            ),
        ),
        visits=140,
        visitors=95,
        sales_per_booth=3,
        void_reason="Khách đổi ý, trả lại hàng ngay tại gian hàng.",
        helper=("A01", "Nguyễn Thị Phụ Bán"),
        orders=(
            ("A01", (("htx-thanh-nien-my-chu", "MC-HOP-QUA", 2),), f"khachhang@{data.EMAIL_DOMAIN}"),
            (
                "B02",
                (
                    ("htx-thanh-nien-nong-san-say-hoang-van", "HV-HONG-SAY-DEO", 1),
                    ("htx-thanh-nien-nong-san-say-hoang-van", "HV-MIT-SAY", 3),
                ),
                "",
            ),
            (None, (("htx-thanh-nien-ruou-lang-van", "RV-40-500ML", 2),), ""),
        ),
    ),
    FairData(
        slug="hoi-nghi-xuc-tien-thuong-mai-ocop-htx-thanh-nien",
        name="Hội nghị Xúc tiến thương mại sản phẩm OCOP và HTX thanh niên {year}",
        kind=FairKind.CONFERENCE,
        final_status=FairStatus.ACCEPTING,
        organisers=(C, Y),
        venue="Trung tâm Hội nghị tỉnh",
        ward="Phường Vũ Ninh",
        street="Đường Nguyễn Đăng Đạo",
        start=(24, 8),
        end=(25, 17),
        applications_close=(14, 17),
        description=(
            "Hội nghị kết nối hợp tác xã thanh niên với doanh nghiệp phân phối, siêu thị và sàn thương mại "
            "điện tử; khu trưng bày sản phẩm OCOP mở cửa cho khách tham quan trong hai ngày.\n"
            "Các hợp tác xã đăng ký gian hàng trưng bày trước hạn chót trên trang quản lý của mình."
        ),
        booths=(
            B("htx-thanh-nien-ga-doi-yen-the", "A01", (("GA-U-MUOI", 250_000), ("GA-KHO-CHANH-300G", None))),
            B("htx-thanh-nien-may-tre-dan-viet-yen", "A02", (("MTD-GIO-QUA", 140_000), ("MTD-RO-3", None))),
            B(
                "htx-thanh-nien-nong-san-phuc-hoa",
                None,
                (("PH-HOP-QUA", 220_000), ("PH-CHE-BUP", None)),
                BoothStatus.PENDING,
                message="Xin gian hàng gần lối vào để giới thiệu chè Phúc Hòa.",
            ),
        ),
    ),
]

GUESTS = [  # invented customers for the orders placed without an account
    ("Nguyễn Thị Thu", "0912 730 418", "thu.nguyen@example.vn", "Phường Kinh Bắc", "Số 8 ngõ 12 Đường Ngô Gia Tự"),
    ("Trần Đức Long", "0983 214 657", "long.tran@example.vn", "Phường Bắc Giang", "Số 25 Đường Xương Giang"),
    ("Phạm Thị Ngọc", "0868 551 902", "ngoc.pham@example.vn", "Phường Vũ Ninh", "Số 3 Đường Thiên Đức"),
    ("Đặng Văn Tài", "0347 608 215", "tai.dang@example.vn", "Phường Đa Mai", "Thôn Đa Mai, tổ 4"),
    ("Vũ Thị Hạnh", "0975 302 816", "hanh.vu@example.vn", "Phường Kinh Bắc", "Số 41 Đường Nguyễn Gia Thiều"),
    ("Hoàng Minh Quân", "0389 447 120", "quan.hoang@example.vn", "Phường Bắc Giang", "Số 7 Đường Lê Lợi"),
    ("Bùi Thị Lan Anh", "0916 883 054", "lananh.bui@example.vn", "Phường Vũ Ninh", "Số 19 Đường Hai Bà Trưng"),
]


def vietnam_time(today, days: int, hour: int, minute: int = 0) -> datetime:
    """Naive UTC of `hour`:`minute` in Vietnam, `days` after `today` (a Vietnamese date)."""
    local = datetime.combine(today + timedelta(days=days), time(hour, minute), tzinfo=VIETNAM)
    return local.astimezone(UTC).replace(tzinfo=None)


def load_fairs(now: datetime | None = None) -> int:
    """Create the demo fairs that are missing; returns how many were created. Flushes only."""
    from marketplace.fairs.services import new_code

    now = now or utcnow()
    today = now.replace(tzinfo=UTC).astimezone(VIETNAM).date()
    existing = set(db.session.scalars(select(Fair.slug).where(Fair.slug.in_([f.slug for f in FAIRS]))))
    missing = [item for item in FAIRS if item.slug not in existing]
    if not missing:
        return 0
    db.session.flush()
    agencies = {a.name: a for a in db.session.scalars(select(Agency))}
    users = {u.email: u for u in db.session.scalars(select(User))}
    cooperatives = {c.slug: c for c in db.session.scalars(select(Cooperative))}
    products = {(p.cooperative_id, p.sku): p for p in db.session.scalars(select(Product))}
    staff = users[f"tinhdoan@{data.EMAIL_DOMAIN}"]
    province = geo.find_province(data.PROVINCE)
    for item in missing:
        starts_at = vietnam_time(today, *item.start)
        fair = Fair(
            slug=item.slug,
            name=item.name.format(year=starts_at.replace(tzinfo=UTC).astimezone(VIETNAM).year),
            kind=item.kind,
            # Published while its results are made (sales and orders need the fair on), then its final status.
            status=FairStatus.PUBLISHED,
            venue=item.venue,
            province_code=province,
            ward_code=geo.find_ward(province, item.ward),
            street=item.street,
            starts_at=starts_at,
            ends_at=vietnam_time(today, *item.end),
            applications_close_at=vietnam_time(today, *item.applications_close) if item.applications_close else None,
            description=item.description,
            code=new_code(),
            created_by=staff,
            created_at=min(now, starts_at) - timedelta(days=30),
        )
        fair.organisers.extend(agencies[name] for name in item.organisers)
        db.session.add(fair)
        booths = _booths(fair, item, cooperatives, products, users, new_code)
        db.session.flush()
        rng = random.Random(item.slug)  # the same results on every fresh demo
        _visits(fair, booths, item, now, rng)
        _sales(fair, booths, item, now, rng)
        _orders(fair, booths, item, now, rng, cooperatives, products, users)
        if item.helper:
            _helper(booths[item.helper[0]], item.helper[1], users, now)
        fair.status = item.final_status
    db.session.flush()
    return len(missing)


def _booths(fair, item: FairData, cooperatives, products, users, new_code) -> dict[str, Booth]:
    managers = {c.id: u for u in users.values() for c in u.cooperatives}
    staff = users[f"lienminh@{data.EMAIL_DOMAIN}"]
    booths = {}
    for n, booth_data in enumerate(item.booths):
        cooperative = cooperatives[booth_data.cooperative]
        applied_at = fair.created_at + timedelta(days=2 + n)
        booth = Booth(
            fair=fair,
            cooperative=cooperative,
            status=booth_data.status,
            number=booth_data.number,
            message=booth_data.message,
            rejection_reason=booth_data.rejection_reason,
            code=new_code(),
            applied_by=managers.get(cooperative.id),
            applied_at=applied_at,
        )
        if booth_data.status in (BoothStatus.APPROVED, BoothStatus.REJECTED):
            booth.decided_by, booth.decided_at = staff, applied_at + timedelta(days=3)
        for sku, fair_price in booth_data.products:
            booth.products.append(BoothProduct(product=products[(cooperative.id, sku)], fair_price_vnd=fair_price))
        db.session.add(booth)
        if booth_data.number:
            booths[booth_data.number] = booth
    return booths


# The demo helper's code: printed by `marketplace demo` and in the README. Letters and digits of the
# codes' alphabet (no 0/O, 1/I/L), like a real one; only its hash is stored, as for a real one.
HELPER_CODE = "HANG-2468"


def _helper(booth: Booth, name: str, users, now: datetime) -> None:
    from marketplace.fairs import helpers

    manager = next(u for u in users.values() if booth.cooperative in u.cooperatives)
    helper, _code = helpers.create_helper(booth, name, manager, now=now)
    helper.code_hash = helpers.code_hash(HELPER_CODE)


def _open_hours(fair: Fair, until: datetime, rng: random.Random) -> datetime:
    """A random moment of the fair before `until`, in its opening hours (08:00-21:00 in Vietnam)."""
    end = min(fair.ends_at, until)
    for _ in range(20):
        moment = fair.starts_at + timedelta(seconds=rng.uniform(0, (end - fair.starts_at).total_seconds()))
        if 8 <= moment.replace(tzinfo=UTC).astimezone(VIETNAM).hour < 21:
            return moment
    return fair.starts_at + (end - fair.starts_at) / 2


def _visits(fair: Fair, booths: dict[str, Booth], item: FairData, now: datetime, rng: random.Random) -> None:
    if not item.visits or now <= fair.starts_at:
        return
    people = [f"{rng.getrandbits(128):032x}" for _ in range(item.visitors)]
    # Everyone scans once; the rest are repeat scans of other booths by the same people.
    who = people + [rng.choice(people) for _ in range(item.visits - len(people))]
    numbers = sorted(booths)
    visits = [
        FairVisit(
            fair_id=fair.id,
            # One scan in five is of the fair's own poster at the entrance.
            booth_id=None if rng.random() < 0.2 else booths[rng.choice(numbers)].id,
            visitor=visitor,
            created_at=_open_hours(fair, now, rng),
        )
        for visitor in who
    ]
    db.session.add_all(visits)


def _sales(fair: Fair, booths: dict[str, Booth], item: FairData, now: datetime, rng: random.Random) -> None:
    from marketplace.fairs.onsite import record_sale, void_sale
    from marketplace.orders.services import OutOfStock

    if not item.sales_per_booth or now <= fair.starts_at:
        return
    recorded = []
    for number, booth in sorted(booths.items()):
        seller = next(iter(booth.cooperative.managers), None)
        for _ in range(item.sales_per_booth):
            showcased = rng.choice(booth.products)
            when = _open_hours(fair, now, rng)
            payment = OnSitePayment.CASH if rng.random() < 0.6 else OnSitePayment.TRANSFER
            try:
                sale = record_sale(booth, showcased.product_id, rng.randint(1, 3), payment, seller, now=when)
            except (OutOfStock, Refused):  # e.g. sold out: a demo sale is simply not made
                continue
            recorded.append((sale, seller, number))
    if recorded and item.void_reason:
        sale, seller, _number = recorded[1] if len(recorded) > 1 else recorded[0]
        void_sale(sale, item.void_reason, seller, now=min(sale.created_at + timedelta(minutes=4), now))


def _orders(fair, booths, item: FairData, now, rng, cooperatives, products, users) -> None:
    from marketplace.orders.models import PartStatus
    from marketplace.orders.services import (
        Checkout,
        OutOfStock,
        change_part_status,
        place_order,
    )

    if now <= fair.starts_at:
        return
    province = geo.find_province(data.PROVINCE)
    # During the fair so far; for a fair that is over, also the days after it that its QR scans still
    # attribute (those orders pay the regular price again).
    last = min(now - timedelta(minutes=30), fair.ends_at + timedelta(days=5))
    if last <= fair.starts_at:
        return
    for n, (number, lines, email) in enumerate(item.orders):
        # Spread over the fair so far, in order.
        when = fair.starts_at + (last - fair.starts_at) * (n + 1) / (len(item.orders) + 1)
        user = users.get(email) if email else None
        if user is not None:
            name, phone, mail = user.full_name, user.phone or "0903 218 467", user.email
            ward, street = "Phường Bắc Giang", "Số 15 Đường Nguyễn Văn Cừ"
        else:
            # Each guest orders once over the demo fairs: the results count new customers.
            first = sum(len(f.orders) for f in FAIRS[: FAIRS.index(item)])
            name, phone, mail, ward, street = GUESTS[(first + n) % len(GUESTS)]
        checkout = Checkout(
            name=name,
            phone=phone,
            email=mail,
            province_code=province,
            ward_code=geo.find_ward(province, ward),
            street=street,
            payment_method="cod",
        )
        wanted = [(products[(cooperatives[slug].id, sku)].id, quantity) for slug, sku, quantity in lines]
        try:
            order = place_order(wanted, checkout, user=user, now=when)
        except (OutOfStock, Refused):
            continue
        order.source_fair_id = fair.id
        order.source_booth_id = booths[number].id if number else None
        if fair.ends_at <= now:  # the past fair's orders have been delivered since
            for part in order.parts:
                for step, status in enumerate((PartStatus.CONFIRMED, PartStatus.SHIPPED, PartStatus.DELIVERED)):
                    at = min(when + timedelta(days=step + 1, hours=2), now)
                    change_part_status(part, status, actor="cooperative", now=at)
        elif n == 0:
            for part in order.parts:
                at = min(when + timedelta(hours=1), now)
                change_part_status(part, PartStatus.CONFIRMED, actor="cooperative", now=at)
