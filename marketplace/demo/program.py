"""Demo programme records: promotion activities of both agencies 2023–2025, training classes,
new youth cooperatives founded with the programme's support, and the default targets.

The story the dashboard tells: every year has its activities and training classes (2024 two);
seven new youth cooperatives against the target of six; commitment four met in 2023 and 2025,
but in 2024 the reported sales (380 million đồng) fell short of the 500 million target.
One 2025 activity waits for approval, one was returned with a comment, and one more is the
demo's past trade fair (dated from the first load, so outside the programme years).

Activities go through the real workflow (created by the organising agency's staff, submitted,
approved or returned by the other agency). Everything is keyed by its title or name (the fair's
activity by its fair), so loading twice creates nothing new and keeps people's edits.
Flushes, never commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from marketplace.accounts.models import Agency, User
from marketplace.catalog.models import Product
from marketplace.cooperatives.models import Cooperative
from marketplace.core import geo
from marketplace.demo import data
from marketplace.extensions import db
from marketplace.fairs.models import Fair
from marketplace.program.models import SupportedCooperative, TrainingClass
from marketplace.program.targets import ensure_default_targets
from marketplace.promotion import services
from marketplace.promotion.models import ActivityStatus, ActivityType, PromotionActivity

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
Y, C = data.YOUTH_UNION, data.COOPERATIVE_ALLIANCE
STAFF = {Y: f"tinhdoan@{data.EMAIL_DOMAIN}", C: f"lienminh@{data.EMAIL_DOMAIN}"}
PAST_FAIR = "hoi-cho-nong-san-ocop-bac-ninh"

# Short names of the demo cooperatives.
VL, MC, GA = "htx-thanh-nien-vai-thieu-luc-ngan", "htx-thanh-nien-my-chu", "htx-thanh-nien-ga-doi-yen-the"
RV, GTH, BDK = "htx-thanh-nien-ruou-lang-van", "htx-thanh-nien-gom-tho-ha", "htx-thanh-nien-banh-da-ke"
MO, DL, PH = (
    "htx-thanh-nien-mat-ong-son-dong",
    "htx-thanh-nien-duoc-lieu-tay-yen-tu",
    "htx-thanh-nien-nong-san-phuc-hoa",
)
GAO, MTD, LN = (
    "htx-thanh-nien-lua-gao-lang-giang",
    "htx-thanh-nien-may-tre-dan-viet-yen",
    "htx-thanh-nien-lam-san-luc-nam",
)
SN, HV, TS = "htx-thanh-nien-sam-nam-nui-danh", "htx-thanh-nien-nong-san-say-hoang-van", "htx-nong-nghiep-tan-son"

# A product or two each cooperative brings (cooperative slug -> SKUs).
SHOWCASE = {
    VL: ("VT-HOP-2KG", "VT-SAY-500G"),
    MC: ("MC-BAO-THAI-500G", "MC-HOP-QUA"),
    GA: ("GA-NGUYEN-CON",),
    RV: ("RV-40-500ML",),
    GTH: ("GTH-AM-CHEN",),
    BDK: ("BDK-VUNG-10",),
    MO: ("MO-RUNG-1L",),
    DL: ("DL-TRA-HOA-VANG-50G",),
    PH: ("PH-CHE-SAO-TAY",),
    GAO: ("GAO-NEP-CAI-5KG",),
    MTD: ("MTD-GIO-QUA",),
    LN: ("LN-MANG-KHO-500G",),
    SN: ("SN-SAY-200G",),
    HV: ("HV-HONG-SAY-DEO",),
    TS: ("TS-CAM-KG",),
}


@dataclass(frozen=True)
class ActivityData:
    title: str
    type: ActivityType
    start: date
    end: date
    agency: str  # the organising agency; the other one approves
    cooperatives: tuple[str, ...]
    place: tuple[str, str | None] | None  # (province, ward) or None online
    unit: str = ""
    budget: int = 0
    visitors: int = 0
    contacts: int = 0
    contracts: int = 0
    contracts_value: int = 0
    sales: int = 0
    media: int = 0
    notes: str = ""
    status: ActivityStatus = ActivityStatus.APPROVED
    comment: str = ""  # for a returned activity


BN, HN = data.PROVINCE, "Hà Nội"
A, L, F, E, M, O = (
    ActivityType.CONFERENCE,
    ActivityType.LIVESTREAM,
    ActivityType.FAIR,
    ActivityType.ECOMMERCE,
    ActivityType.MEDIA,
    ActivityType.OTHER,
)

ACTIVITIES = [
    # 2023: all four commitment-four targets met.
    ActivityData(
        "Hội nghị xúc tiến thương mại nông sản HTX thanh niên năm 2023",
        A,
        date(2023, 3, 16),
        date(2023, 3, 17),
        Y,
        (VL, MC, GA, BDK, PH),
        (BN, "Phường Bắc Giang"),
        "Ban Thanh niên nông thôn",
        budget=85_000_000,
        visitors=260,
        contacts=34,
        contracts=6,
        contracts_value=1_200_000_000,
        sales=120_000_000,
        media=5,
    ),
    ActivityData(
        "Tham gia Hội chợ OCOP khu vực đồng bằng sông Hồng 2023",
        F,
        date(2023, 6, 8),
        date(2023, 6, 12),
        C,
        (GA, RV, GTH, MO, GAO),
        (HN, None),
        "Phòng Tư vấn và Hỗ trợ",
        budget=120_000_000,
        visitors=4_800,
        contacts=41,
        contracts=3,
        contracts_value=450_000_000,
        sales=185_000_000,
        media=4,
    ),
    ActivityData(
        "Livestream bán vải thiều Lục Ngạn mùa 2023",
        L,
        date(2023, 6, 20),
        date(2023, 6, 20),
        Y,
        (VL, TS),
        (BN, "Xã Lục Ngạn"),
        "Huyện đoàn Lục Ngạn (cũ)",
        budget=15_000_000,
        visitors=38_000,
        contacts=12,
        sales=210_000_000,
        media=3,
    ),
    ActivityData(
        "Hỗ trợ HTX thanh niên đưa sản phẩm lên sàn thương mại điện tử (đợt 1)",
        E,
        date(2023, 8, 1),
        date(2023, 9, 30),
        C,
        (DL, LN, SN, HV, MTD),
        None,
        "Trung tâm Hỗ trợ HTX",
        budget=40_000_000,
        contacts=8,
        sales=60_000_000,
        media=2,
    ),
    # 2024: enough activities and cooperatives, but sales of 380 million miss the 500 million target.
    ActivityData(
        "Hội nghị kết nối cung cầu nông sản, thực phẩm an toàn năm 2024",
        A,
        date(2024, 3, 21),
        date(2024, 3, 21),
        C,
        (VL, MC, GA, GAO, PH, HV),
        (BN, "Phường Kinh Bắc"),
        "Phòng Tư vấn và Hỗ trợ",
        budget=70_000_000,
        visitors=180,
        contacts=29,
        contracts=4,
        contracts_value=600_000_000,
        sales=45_000_000,
        media=4,
    ),
    ActivityData(
        "Hỗ trợ đưa sản phẩm HTX thanh niên lên sàn Postmart, Voso (đợt 2)",
        E,
        date(2024, 5, 6),
        date(2024, 6, 28),
        Y,
        (MC, BDK, GAO, HV, LN),
        None,
        "Ban Thanh niên nông thôn",
        budget=30_000_000,
        contacts=6,
        sales=35_000_000,
        media=2,
    ),
    ActivityData(
        "Livestream bán vải thiều Lục Ngạn mùa 2024",
        L,
        date(2024, 6, 15),
        date(2024, 6, 15),
        Y,
        (VL, PH),
        (BN, "Xã Lục Ngạn"),
        "Đoàn Thanh niên xã Lục Ngạn",
        budget=12_000_000,
        visitors=25_000,
        contacts=9,
        sales=150_000_000,
        media=3,
        notes="Mưa lớn cuối vụ, sản lượng vải giảm nên doanh thu thấp hơn năm trước.",
    ),
    ActivityData(
        "Tham gia Hội chợ OCOP tỉnh Bắc Ninh 2024",
        F,
        date(2024, 9, 12),
        date(2024, 9, 16),
        C,
        (RV, GTH, BDK, MO, MTD),
        (BN, "Phường Kinh Bắc"),
        "Phòng Tư vấn và Hỗ trợ",
        budget=95_000_000,
        visitors=3_600,
        contacts=22,
        contracts=2,
        contracts_value=180_000_000,
        sales=130_000_000,
        media=3,
    ),
    ActivityData(
        "Chiến dịch giới thiệu đặc sản HTX thanh niên trên mạng xã hội",
        M,
        date(2024, 10, 1),
        date(2024, 11, 30),
        Y,
        (DL, SN, LN, MO),
        None,
        "Ban Tuyên giáo",
        budget=25_000_000,
        visitors=120_000,
        contacts=5,
        sales=20_000_000,
        media=24,
    ),
    # 2025: met again; one activity waits for approval, one was returned.
    ActivityData(
        "Hội nghị xúc tiến thương mại sản phẩm OCOP tỉnh Bắc Ninh năm 2025",
        A,
        date(2025, 3, 20),
        date(2025, 3, 20),
        Y,
        (VL, MC, GA, RV, GTH, MO),
        (BN, "Phường Bắc Giang"),
        "Ban Thanh niên nông thôn",
        budget=90_000_000,
        visitors=300,
        contacts=45,
        contracts=8,
        contracts_value=1_500_000_000,
        sales=160_000_000,
        media=6,
    ),
    ActivityData(
        "Livestream bán vải thiều Lục Ngạn mùa 2025",
        L,
        date(2025, 6, 12),
        date(2025, 6, 12),
        Y,
        (VL, PH, TS),
        (BN, "Xã Lục Ngạn"),
        "Đoàn Thanh niên xã Lục Ngạn",
        budget=18_000_000,
        visitors=52_000,
        contacts=15,
        sales=260_000_000,
        media=4,
    ),
    ActivityData(
        "Tham gia Hội chợ OCOP quốc gia 2025",
        F,
        date(2025, 7, 10),
        date(2025, 7, 14),
        C,
        (GA, BDK, DL, SN, HV),
        (HN, None),
        "Phòng Tư vấn và Hỗ trợ",
        budget=140_000_000,
        visitors=6_200,
        contacts=38,
        contracts=5,
        contracts_value=700_000_000,
        sales=240_000_000,
        media=5,
    ),
    ActivityData(
        "Hỗ trợ HTX thanh niên mở gian hàng trên sàn thương mại điện tử (đợt 3)",
        E,
        date(2025, 8, 4),
        date(2025, 9, 26),
        C,
        (GAO, MTD, LN, MC),
        None,
        "Trung tâm Hỗ trợ HTX",
        budget=35_000_000,
        contacts=7,
        sales=45_000_000,
        media=2,
    ),
    ActivityData(
        "Tuần hàng nông sản an toàn HTX thanh niên tại Hà Nội 2025",
        F,
        date(2025, 11, 5),
        date(2025, 11, 9),
        Y,
        (GA, GAO, MO),
        (HN, None),
        "Ban Thanh niên nông thôn",
        budget=60_000_000,
        visitors=2_100,
        contacts=17,
        contracts=1,
        contracts_value=90_000_000,
        sales=75_000_000,
        media=2,
        status=ActivityStatus.SUBMITTED,
    ),
    ActivityData(
        "Livestream giới thiệu quà Tết từ HTX thanh niên",
        L,
        date(2025, 12, 10),
        date(2025, 12, 10),
        Y,
        (MC, BDK, RV),
        None,
        "Ban Thanh niên nông thôn",
        budget=10_000_000,
        visitors=9_000,
        sales=500_000_000,
        media=1,
        status=ActivityStatus.RETURNED,
        comment="Doanh thu 500 triệu đồng trong một phiên livestream cần kèm bảng kê đơn hàng; "
        "bổ sung ảnh và biên bản rồi gửi lại.",
    ),
]


@dataclass(frozen=True)
class TrainingData:
    title: str
    held_on: date
    agency: str
    organiser: str
    participants: int
    ward: str
    street: str = ""


TRAINING = [
    TrainingData(
        "Lớp tập huấn khởi sự hợp tác xã thanh niên năm 2023",
        date(2023, 4, 14),
        Y,
        "Ban Thanh niên nông thôn, Tỉnh đoàn",
        45,
        "Phường Bắc Giang",
        "Nhà Văn hóa Thanh niên tỉnh",
    ),
    TrainingData(
        "Tập huấn quản trị và kế toán cho cán bộ HTX thanh niên",
        date(2024, 5, 22),
        C,
        "Trung tâm Hỗ trợ HTX",
        38,
        "Phường Kinh Bắc",
        "Hội trường Liên minh HTX tỉnh",
    ),
    TrainingData(
        "Tập huấn kỹ năng bán hàng trên sàn thương mại điện tử và livestream",
        date(2024, 10, 9),
        Y,
        "Ban Thanh niên nông thôn, Tỉnh đoàn",
        60,
        "Xã Lục Ngạn",
        "Trung tâm Văn hóa xã",
    ),
    TrainingData(
        "Lớp bồi dưỡng sáng lập viên HTX thanh niên năm 2025",
        date(2025, 4, 17),
        C,
        "Liên minh HTX tỉnh phối hợp Tỉnh đoàn",
        52,
        "Phường Bắc Giang",
        "Nhà Văn hóa Thanh niên tỉnh",
    ),
]


@dataclass(frozen=True)
class SupportedData:
    name: str
    founded_on: date
    agency: str
    ward: str
    is_youth: bool = True
    cooperative: str | None = None  # the demo cooperative it became
    notes: str = ""


SUPPORTED = [
    SupportedData(
        "HTX Thanh niên Nông nghiệp công nghệ cao Lạng Giang",
        date(2023, 5, 18),
        Y,
        "Xã Lạng Giang",
        notes="Rau thủy canh trong nhà màng; được hỗ trợ hồ sơ thành lập và vay vốn.",
    ),
    SupportedData("HTX Thanh niên Chè xanh Bảo Đài", date(2023, 9, 7), C, "Xã Bảo Đài"),
    SupportedData("HTX Thanh niên Dâu tây Tân Yên", date(2024, 3, 12), Y, "Xã Tân Yên"),
    SupportedData(
        "HTX Nông nghiệp Tân Dĩnh",
        date(2024, 6, 27),
        C,
        "Xã Tân Dĩnh",
        is_youth=False,
        notes="Không phải HTX thanh niên: được hỗ trợ nhưng không tính vào chỉ tiêu cam kết 3.",
    ),
    SupportedData("HTX Thanh niên Dịch vụ nông nghiệp Yên Dũng", date(2024, 11, 5), Y, "Xã Yên Dũng"),
    SupportedData("HTX Thanh niên Thủy sản Hiệp Hòa", date(2025, 6, 24), C, "Xã Hiệp Hòa"),
    SupportedData("HTX Thanh niên Cam Bố Hạ", date(2025, 8, 20), Y, "Xã Bố Hạ", cooperative="htx-thanh-nien-cam-bo-ha"),
    SupportedData(
        "HTX Thanh niên Nấm sạch Vân Sơn",
        date(2025, 10, 2),
        Y,
        "Xã Vân Sơn",
        cooperative="htx-thanh-nien-nam-sach-van-son",
    ),
]


def load_program() -> int:
    """Create the missing programme records; returns how many rows were created."""
    created = ensure_default_targets()
    province = geo.find_province(data.PROVINCE)
    agencies = {a.name: a for a in db.session.scalars(select(Agency).where(Agency.name.in_([Y, C])))}
    staff = {name: db.session.scalar(select(User).where(User.email == email)) for name, email in STAFF.items()}
    cooperatives = {c.slug: c for c in db.session.scalars(select(Cooperative))}
    products = {(p.cooperative_id, p.sku): p for p in db.session.scalars(select(Product))}
    created += _activities(agencies, staff, cooperatives, products)
    created += _fair_activity(agencies, staff, cooperatives, products)
    created += _training(agencies, staff, province)
    created += _supported(agencies, staff, cooperatives, province)
    db.session.flush()
    return created


def _place(place: tuple[str, str | None] | None) -> tuple[int | None, int | None]:
    if place is None:
        return None, None
    province = geo.find_province(place[0])
    return province, geo.find_ward(province, place[1]) if place[1] else None


def _showcase(slugs, cooperatives, products) -> list[Product]:
    chosen = []
    for slug in slugs:
        for sku in SHOWCASE.get(slug, ()):
            product = products.get((cooperatives[slug].id, sku))
            if product is not None:
                chosen.append(product)
    return chosen


def _activities(agencies, staff, cooperatives, products) -> int:
    from marketplace.demo.sales import fair_of_activity

    existing = set(db.session.scalars(select(PromotionActivity.title)))
    fairs = {f.slug: f for f in db.session.scalars(select(Fair))}
    fair_slugs = fair_of_activity()  # the past fairs of sales.py, linked to their activities
    created = 0
    for item in ACTIVITIES:
        if item.title in existing:
            continue
        province, ward = _place(item.place)
        organiser, checker = staff[item.agency], staff[C if item.agency == Y else Y]
        activity = services.create_activity(
            services.ActivityInput(
                type=item.type,
                title=item.title,
                start_date=item.start,
                end_date=item.end,
                agencies=[agencies[item.agency]],
                province_code=province,
                ward_code=ward,
                organising_unit=item.unit,
                fair=fairs.get(fair_slugs.get(item.title, "")),
                cooperatives=[cooperatives[s] for s in item.cooperatives],
                products=_showcase(item.cooperatives, cooperatives, products),
                budget_vnd=item.budget,
                visitors=item.visitors,
                business_contacts=item.contacts,
                contracts_count=item.contracts,
                contracts_value_vnd=item.contracts_value,
                sales_vnd=item.sales,
                media_items=item.media,
                notes=item.notes,
            ),
            organiser,
        )
        services.submit(activity, organiser)
        if item.status == ActivityStatus.APPROVED:
            services.approve(activity, checker)
        elif item.status == ActivityStatus.RETURNED:
            services.return_activity(activity, checker, item.comment)
        created += 1
    return created


def _vietnam_day(moment: datetime) -> date:
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(VIETNAM).date()


def _fair_activity(agencies, staff, cooperatives, products) -> int:
    """The demo's past fair, reported as a promotion activity of both agencies (approved by the admin)."""
    fair = db.session.scalar(select(Fair).where(Fair.slug == PAST_FAIR))
    if fair is None or db.session.scalar(select(PromotionActivity.id).where(PromotionActivity.fair_id == fair.id)):
        return 0
    slugs = [b.cooperative.slug for b in fair.booths if b.number]
    admin = db.session.scalar(select(User).where(User.email == f"admin@{data.EMAIL_DOMAIN}"))
    activity = services.create_activity(
        services.ActivityInput(
            type=ActivityType.FAIR,
            title=f"Gian hàng HTX thanh niên tại {fair.name}",
            start_date=_vietnam_day(fair.starts_at),
            end_date=_vietnam_day(fair.ends_at),
            agencies=[agencies[Y], agencies[C]],
            province_code=fair.province_code,
            ward_code=fair.ward_code,
            organising_unit="Ban Thanh niên nông thôn; Phòng Tư vấn và Hỗ trợ",
            fair=fair,
            cooperatives=[cooperatives[s] for s in slugs],
            products=_showcase(slugs, cooperatives, products),
            budget_vnd=150_000_000,
            visitors=5_400,
            business_contacts=26,
            contracts_count=3,
            contracts_value_vnd=320_000_000,
            sales_vnd=96_000_000,
            media_items=6,
            notes="Doanh thu báo cáo gồm bán tại gian hàng; đơn đặt qua mã QR được sàn đo riêng.",
        ),
        staff[Y],
    )
    services.submit(activity, staff[Y])
    services.approve(activity, admin)
    return 1


def _training(agencies, staff, province) -> int:
    existing = set(db.session.scalars(select(TrainingClass.title)))
    created = 0
    for item in TRAINING:
        if item.title in existing:
            continue
        db.session.add(
            TrainingClass(
                held_on=item.held_on,
                title=item.title,
                agency=agencies[item.agency],
                organiser=item.organiser,
                participants=item.participants,
                province_code=province,
                ward_code=geo.find_ward(province, item.ward),
                street=item.street,
                created_by_id=staff[item.agency].id,
                owner_agency=agencies[item.agency],
            )
        )
        created += 1
    return created


def _supported(agencies, staff, cooperatives, province) -> int:
    existing = set(db.session.scalars(select(SupportedCooperative.name)))
    linked = set(
        db.session.scalars(
            select(SupportedCooperative.cooperative_id).where(SupportedCooperative.cooperative_id.is_not(None))
        )
    )
    created = 0
    for item in SUPPORTED:
        if item.name in existing:
            continue
        cooperative = cooperatives.get(item.cooperative) if item.cooperative else None
        if cooperative is not None and cooperative.id in linked:
            cooperative = None
        db.session.add(
            SupportedCooperative(
                name=item.name,
                founded_on=item.founded_on,
                is_youth=item.is_youth,
                cooperative=cooperative,
                agency=agencies[item.agency],
                province_code=province,
                ward_code=geo.find_ward(province, item.ward),
                notes=item.notes,
                created_by_id=staff[item.agency].id,
                owner_agency=agencies[item.agency],
            )
        )
        created += 1
    return created
