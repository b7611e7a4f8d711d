"""The demo data set: youth cooperatives of the former Bắc Giang area (part of Bắc Ninh
province since the 2025 merger) and their specialties.

The cooperatives and people are invented; the places, specialties and prices are real
enough for the storefront to look like the real thing. Everything is keyed by slug,
email or cooperative + SKU so loading twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from marketplace.accounts.models import AgencyKind, Role
from marketplace.cooperatives.models import CooperativeStatus

PROVINCE = "Bắc Ninh"
EMAIL_DOMAIN = "demo-htx.vn"

PASSWORDS = {
    Role.ADMIN: "demo-admin-2025",
    Role.AGENCY_STAFF: "demo-staff-2025",
    Role.COOPERATIVE_MANAGER: "demo-manager-2025",
    Role.CUSTOMER: "demo-customer-2025",
}

YOUTH_UNION = "Tỉnh đoàn Bắc Ninh"
COOPERATIVE_ALLIANCE = "Liên minh Hợp tác xã tỉnh Bắc Ninh"
AGENCIES = [(YOUTH_UNION, AgencyKind.YOUTH_UNION), (COOPERATIVE_ALLIANCE, AgencyKind.COOPERATIVE_ALLIANCE)]


@dataclass(frozen=True)
class CategoryData:
    slug: str
    name: str
    parent: str | None = None
    # Pictures: the top category gives the colours, the sub-category the motif.
    colours: tuple[str, str] | None = None
    motif: str | None = None


CATEGORIES = [
    CategoryData("trai-cay", "Trái cây", colours=("#b8323f", "#f4a259")),
    CategoryData("vai-thieu", "Vải thiều", "trai-cay", motif="lychees"),
    CategoryData("trai-cay-tuoi", "Trái cây tươi", "trai-cay", motif="fruit_slices"),
    CategoryData("trai-cay-say", "Trái cây sấy", "trai-cay", motif="fruit_slices"),
    CategoryData("thuc-pham", "Thực phẩm", colours=("#d08c2c", "#f6d58e")),
    CategoryData("ga", "Gà", "thuc-pham", motif="hills"),
    CategoryData("my-bun", "Mỳ & bún", "thuc-pham", motif="noodles"),
    CategoryData("gao", "Gạo", "thuc-pham", motif="grains"),
    CategoryData("mang-nam", "Măng & nấm", "thuc-pham", motif="bamboo"),
    CategoryData("do-uong", "Đồ uống", colours=("#2f6b4f", "#9ccf9a")),
    CategoryData("ruou", "Rượu", "do-uong", motif="bottle"),
    CategoryData("tra", "Trà", "do-uong", motif="tea"),
    CategoryData("dac-san", "Đặc sản", colours=("#9a5b13", "#f2c14e")),
    CategoryData("mat-ong", "Mật ong", "dac-san", motif="honeycomb"),
    CategoryData("banh-keo", "Bánh kẹo", "dac-san", motif="crackers"),
    CategoryData("duoc-lieu", "Dược liệu", "dac-san", motif="herbs"),
    CategoryData("thu-cong-my-nghe", "Thủ công mỹ nghệ", colours=("#7b4a32", "#d9b38c")),
    CategoryData("may-tre-dan", "Mây tre đan", "thu-cong-my-nghe", motif="weave"),
    CategoryData("gom", "Gốm", "thu-cong-my-nghe", motif="vase"),
]


@dataclass(frozen=True)
class ProductData:
    sku: str
    name: str
    category: str  # slug
    unit: str
    price_vnd: int
    stock: int
    description: str
    ocop_stars: int | None = None
    certifications: tuple[str, ...] = ()
    origin: str | None = None  # the cooperative's place when not given
    featured: bool = False


@dataclass(frozen=True)
class CooperativeData:
    slug: str
    name: str
    ward: str
    registration_code: str
    founded_on: date
    members: int
    youth_members: int
    representative: str
    phone: str
    description: str
    street: str | None = None
    is_youth: bool = True
    status: CooperativeStatus = CooperativeStatus.APPROVED
    status_reason: str = "Hồ sơ đầy đủ, đáp ứng tiêu chí hợp tác xã thanh niên."
    products: list[ProductData] = field(default_factory=list)

    @property
    def email(self) -> str:
        return f"{self.slug}@{EMAIL_DOMAIN}"

    @property
    def place(self) -> str:
        return f"{self.ward.split(' ', 1)[1]}, {PROVINCE}"


P = ProductData

# What the Cooperative Alliance asked Nấm sạch Vân Sơn for (the demo's cooperative awaiting documents).
DOCUMENTS_REQUEST = (
    "Đề nghị HTX bổ sung: (1) bản sao Giấy chứng nhận đăng ký hợp tác xã; (2) danh sách thành viên có "
    "ghi năm sinh để xác định tỷ lệ thành viên thanh niên; (3) ảnh chụp nhà lưới trồng nấm."
)

COOPERATIVES = [
    CooperativeData(
        slug="htx-thanh-nien-vai-thieu-luc-ngan",
        name="HTX Thanh niên Vải thiều Lục Ngạn",
        ward="Xã Lục Ngạn",
        street="Thôn Bãi Chợ",
        registration_code="2400771021",
        founded_on=date(2019, 4, 12),
        members=32,
        youth_members=24,
        representative="Nguyễn Văn Hưng",
        phone="0912 408 215",
        description=(
            "Hợp tác xã do đoàn viên thanh niên Lục Ngạn thành lập, liên kết hơn 30 hộ trồng vải thiều "
            "theo quy trình VietGAP và GlobalGAP. HTX tự sơ chế, đóng hộp và sấy vải ngay tại vườn; "
            "mỗi lô hàng đều có mã QR truy xuất nguồn gốc."
        ),
        products=[
            P(
                "VT-TUOI-KG",
                "Vải thiều Lục Ngạn tươi",
                "vai-thieu",
                "kg",
                55_000,
                420,
                "Vải chín cây, hái lúc sáng sớm và đóng thùng trong ngày. Quả đỏ tươi, cùi dày, "
                "ráo nước, vị ngọt đậm đặc trưng của đất Lục Ngạn.",
                ocop_stars=4,
                certifications=("vietgap", "geographical_indication"),
                featured=True,
            ),
            P(
                "VT-HOP-2KG",
                "Hộp quà vải thiều Lục Ngạn 2 kg",
                "vai-thieu",
                "hộp",
                160_000,
                120,
                "Vải tuyển quả đều, đóng hộp giấy có lỗ thông hơi kèm túi đá gel giữ lạnh. "
                "Món quà quê chín đỏ gửi người thân, có tem truy xuất nguồn gốc.",
                ocop_stars=4,
                certifications=("globalgap", "geographical_indication"),
            ),
            P(
                "VT-THUNG-10KG",
                "Vải thiều VietGAP thùng 10 kg",
                "vai-thieu",
                "thùng",
                480_000,
                35,
                "Thùng xốp 10 kg cho cửa hàng và bếp ăn, vải cắt cành gọn, phân loại quả đều.",
                certifications=("vietgap",),
            ),
            P(
                "VT-SAY-500G",
                "Vải thiều sấy khô Lục Ngạn",
                "trai-cay-say",
                "túi",
                95_000,
                260,
                "Vải sấy lò than hoa theo cách truyền thống của người Lục Ngạn: cùi dẻo, ngọt thanh, "
                "thơm nhẹ mùi khói. Túi 500 g.",
                ocop_stars=3,
            ),
            P(
                "VT-CUI-250G",
                "Cùi vải sấy dẻo không đường",
                "trai-cay-say",
                "hộp",
                85_000,
                0,
                "Cùi vải đã bỏ vỏ và hạt, sấy lạnh giữ màu trắng ngà và vị ngọt tự nhiên. "
                "Không thêm đường, không chất bảo quản. Hộp 250 g.",
            ),
            P(
                "VT-MAT-ONG-500",
                "Mật ong hoa vải Lục Ngạn",
                "mat-ong",
                "chai",
                180_000,
                80,
                "Mật của đàn ong đặt giữa vườn vải mùa hoa tháng Hai, tháng Ba. Màu vàng nhạt, "
                "thơm hương hoa vải, vị ngọt thanh. Chai thủy tinh 500 ml.",
                ocop_stars=4,
                featured=True,
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-my-chu",
        name="HTX Thanh niên Mỳ Chũ",
        ward="Phường Chũ",
        street="Thôn Thủ Dương",
        registration_code="2400771138",
        founded_on=date(2018, 9, 3),
        members=21,
        youth_members=16,
        representative="Trần Văn Lực",
        phone="0983 117 264",
        description=(
            "Nối nghề làm mỳ gạo của làng Thủ Dương, các bạn trẻ trong HTX làm mỳ Chũ từ gạo Bao thai "
            "hồng, tráng bánh, cắt sợi và phơi nắng tự nhiên trên giàn tre. Không dùng hàn the, "
            "không chất tẩy trắng."
        ),
        products=[
            P(
                "MC-BAO-THAI-500G",
                "Mỳ Chũ gạo Bao thai",
                "my-bun",
                "túi",
                30_000,
                640,
                "Sợi mỳ nhỏ, dai, trắng ngà, nấu nhanh chín và không nát. Làm từ gạo Bao thai hồng "
                "vùng đồi Lục Ngạn, phơi nắng tự nhiên. Túi 500 g.",
                ocop_stars=4,
                certifications=("haccp",),
                featured=True,
            ),
            P(
                "MC-GAO-LUT-500G",
                "Mỳ Chũ gạo lứt",
                "my-bun",
                "túi",
                36_000,
                310,
                "Mỳ làm từ gạo lứt đỏ giữ lớp cám giàu chất xơ, màu nâu đỏ tự nhiên, "
                "hợp với người ăn kiêng. Túi 500 g.",
                ocop_stars=3,
            ),
            P(
                "MC-GAC-500G",
                "Mỳ Chũ gấc",
                "my-bun",
                "túi",
                38_000,
                180,
                "Sợi mỳ màu cam đỏ từ thịt gấc chín, vị bùi nhẹ, đẹp mắt cho mâm cỗ. Túi 500 g.",
            ),
            P(
                "MC-NGU-SAC-500G",
                "Mỳ Chũ ngũ sắc",
                "my-bun",
                "túi",
                45_000,
                0,
                "Năm màu từ gấc, nghệ, lá dứa, lá cẩm và gạo lứt, không phẩm màu. Túi 500 g.",
            ),
            P(
                "MC-THUNG-10KG",
                "Mỳ Chũ thùng 10 kg",
                "my-bun",
                "thùng",
                520_000,
                30,
                "Đóng thùng 20 túi 500 g cho quán ăn, bếp tập thể và đại lý.",
            ),
            P(
                "MC-HOP-QUA",
                "Hộp quà mỳ Chũ ba vị",
                "my-bun",
                "hộp",
                135_000,
                45,
                "Hộp quà gồm mỳ gạo Bao thai, mỳ gạo lứt và mỳ gấc, mỗi loại 500 g.",
                ocop_stars=3,
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-ga-doi-yen-the",
        name="HTX Thanh niên Gà đồi Yên Thế",
        ward="Xã Yên Thế",
        registration_code="2400771246",
        founded_on=date(2017, 11, 20),
        members=40,
        youth_members=27,
        representative="Hoàng Thị Lan",
        phone="0978 355 902",
        description=(
            "Gà được thả trên đồi keo, đồi vải rộng, ăn ngô, thóc và sâu bọ, nuôi từ 4 đến 5 tháng "
            "mới xuất chuồng. HTX có lò giết mổ đạt chuẩn và giao gà làm sẵn, hút chân không trong ngày."
        ),
        products=[
            P(
                "GA-NGUYEN-CON",
                "Gà đồi Yên Thế nguyên con làm sẵn",
                "ga",
                "con",
                330_000,
                70,
                "Gà ri lai thả đồi, nặng 1,8–2 kg, da vàng, thịt săn chắc, ngọt. Làm sạch, "
                "hút chân không và giao lạnh.",
                ocop_stars=4,
                certifications=("geographical_indication",),
                featured=True,
            ),
            P(
                "GA-LAM-SAN-KG",
                "Gà đồi Yên Thế làm sẵn (theo kg)",
                "ga",
                "kg",
                165_000,
                150,
                "Gà thả đồi làm sạch, bán theo cân cho bữa cơm gia đình.",
                certifications=("geographical_indication",),
            ),
            P(
                "GA-TRONG-THIEN",
                "Gà trống thiến Yên Thế",
                "ga",
                "con",
                650_000,
                12,
                "Gà trống thiến nuôi trên 7 tháng, 3–3,5 kg, da giòn, thịt thơm. Đặt trước cho mâm cỗ Tết.",
            ),
            P(
                "GA-U-MUOI",
                "Gà ủ muối hoa tiêu",
                "ga",
                "con",
                280_000,
                40,
                "Gà đồi ủ muối hạt và hoa tiêu, chín mềm, da giòn, ăn kèm lá chanh.",
                ocop_stars=3,
            ),
            P(
                "GA-TRUNG-10",
                "Trứng gà đồi Yên Thế",
                "ga",
                "hộp",
                45_000,
                200,
                "Trứng gà thả đồi lòng đỏ đậm, hộp 10 quả, giao trong 3 ngày kể từ khi đẻ.",
            ),
            P(
                "GA-KHO-CHANH-300G",
                "Khô gà lá chanh",
                "ga",
                "hũ",
                135_000,
                90,
                "Thịt gà đồi xé sợi, sấy cùng lá chanh và ớt, cay nhẹ, thơm. Hũ 300 g.",
                ocop_stars=3,
            ),
            P(
                "GA-CHAN-SA-TAC",
                "Chân gà ngâm sả tắc",
                "ga",
                "hũ",
                120_000,
                0,
                "Chân gà đồi rút xương ngâm sả, tắc, ớt; giòn sần sật. Hũ 500 g, bảo quản lạnh.",
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-ruou-lang-van",
        name="HTX Thanh niên Rượu làng Vân",
        ward="Phường Vân Hà",
        street="Thôn Vân Cốc",
        registration_code="2400771354",
        founded_on=date(2020, 3, 8),
        members=18,
        youth_members=14,
        representative="Đỗ Minh Tuấn",
        phone="0904 612 387",
        description=(
            "Rượu làng Vân nấu từ gạo nếp cái và men lá gia truyền, chưng cất hai lần bằng nồi đồng, "
            "ủ trong chum sành Thổ Hà. Lớp trẻ làng Vân giữ cách nấu cũ và kiểm nghiệm từng mẻ rượu."
        ),
        products=[
            P(
                "RV-40-500ML",
                "Rượu làng Vân 40 độ",
                "ruou",
                "chai",
                95_000,
                300,
                "Rượu nếp trong, êm, thơm mùi men lá, uống không sốc. Chai 500 ml.",
                ocop_stars=4,
                featured=True,
            ),
            P(
                "RV-45-1L",
                "Rượu làng Vân nếp cái 45 độ",
                "ruou",
                "chai",
                180_000,
                150,
                "Nấu hoàn toàn từ nếp cái hoa vàng, ủ chum sành trên một năm. Chai 1 lít.",
                ocop_stars=4,
            ),
            P(
                "RV-BINH-GOM",
                "Hộp quà rượu làng Vân bình gốm Thổ Hà",
                "ruou",
                "hộp",
                450_000,
                25,
                "Bình gốm Thổ Hà 1,5 lít đựng rượu nếp cái ủ lâu năm, hộp gỗ lót lụa làm quà biếu.",
                ocop_stars=4,
            ),
            P(
                "RV-NEP-CAM",
                "Rượu nếp cẩm làng Vân 29 độ",
                "ruou",
                "chai",
                110_000,
                80,
                "Rượu nếp cẩm màu đỏ tím, vị ngọt dịu, nồng độ nhẹ. Chai 500 ml.",
            ),
            P(
                "RV-MO-500ML",
                "Rượu mơ làng Vân",
                "ruou",
                "chai",
                120_000,
                0,
                "Quả mơ rừng ngâm rượu nếp làng Vân trên sáu tháng, chua ngọt, thơm. Chai 500 ml.",
            ),
            P(
                "RV-THUNG-6",
                "Thùng 6 chai rượu làng Vân 500 ml",
                "ruou",
                "thùng",
                540_000,
                20,
                "Sáu chai rượu 40 độ cho cỗ bàn, đám cưới, liên hoan.",
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-gom-tho-ha",
        name="HTX Thanh niên Gốm Thổ Hà",
        ward="Phường Vân Hà",
        street="Thôn Thổ Hà",
        registration_code="2400771462",
        founded_on=date(2021, 6, 15),
        members=12,
        youth_members=10,
        representative="Ngô Văn Khánh",
        phone="0936 284 750",
        description=(
            "Những người thợ trẻ của làng gốm Thổ Hà làm gốm sành nâu không men, nung ở nhiệt độ cao "
            "nên cứng, kêu như chuông và không thấm nước. HTX nhận đặt hàng theo mẫu riêng."
        ),
        products=[
            P(
                "GTH-BINH-TOI",
                "Bình hoa gốm Thổ Hà dáng tỏi",
                "gom",
                "cái",
                380_000,
                25,
                "Bình gốm sành nâu cao 35 cm, nung củi, mỗi chiếc một sắc men lửa riêng.",
                ocop_stars=3,
                featured=True,
            ),
            P(
                "GTH-AM-CHEN",
                "Bộ ấm chén gốm Thổ Hà",
                "gom",
                "bộ",
                650_000,
                15,
                "Ấm 300 ml và sáu chén, gốm mộc giữ nhiệt, pha trà thơm lâu.",
                ocop_stars=3,
            ),
            P(
                "GTH-CHUM-20L",
                "Chum gốm đựng gạo 20 lít",
                "gom",
                "cái",
                850_000,
                6,
                "Chum sành có nắp, giữ gạo khô và thơm, chống mọt; cũng dùng ủ rượu.",
            ),
            P(
                "GTH-LO-HUONG",
                "Lọ hương gốm Thổ Hà",
                "gom",
                "cái",
                220_000,
                30,
                "Lọ hương đắp nổi hoa văn rồng mây, gốm sành nâu nung già lửa.",
            ),
            P(
                "GTH-CHAU-CAY",
                "Chậu cây gốm sành nâu",
                "gom",
                "cái",
                180_000,
                0,
                "Chậu trồng cây đường kính 25 cm, có lỗ thoát nước, bền ngoài trời.",
            ),
            P(
                "GTH-COC-6",
                "Bộ 6 cốc gốm mộc",
                "gom",
                "bộ",
                320_000,
                20,
                "Cốc uống nước gốm mộc vuốt tay, dung tích 250 ml.",
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-banh-da-ke",
        name="HTX Thanh niên Bánh đa Kế",
        ward="Phường Bắc Giang",
        street="Thôn Kế",
        registration_code="2400771570",
        founded_on=date(2019, 1, 25),
        members=16,
        youth_members=12,
        representative="Trần Thu Hà",
        phone="0966 530 418",
        description=(
            "Bánh đa Kế tráng từ gạo tẻ xay, rắc vừng đen, phơi khô rồi nướng than hoa, giòn rụm và "
            "thơm. HTX giữ công thức của làng Kế và đóng gói hút ẩm để bánh giòn lâu."
        ),
        products=[
            P(
                "BDK-VUNG-10",
                "Bánh đa Kế vừng đen",
                "banh-keo",
                "túi",
                35_000,
                500,
                "Bánh đa truyền thống rắc vừng đen, túi 10 chiếc chưa nướng; nướng than hoặc lò vi sóng.",
                ocop_stars=4,
                featured=True,
            ),
            P(
                "BDK-GAC-10",
                "Bánh đa Kế gấc",
                "banh-keo",
                "túi",
                40_000,
                220,
                "Bánh đa trộn thịt gấc, màu đỏ cam, vị bùi, túi 10 chiếc.",
                ocop_stars=3,
            ),
            P(
                "BDK-LAC-10",
                "Bánh đa Kế lạc",
                "banh-keo",
                "túi",
                38_000,
                140,
                "Bánh đa rắc lạc rang giã dập, béo bùi, túi 10 chiếc.",
            ),
            P(
                "BDK-NUONG-5",
                "Bánh đa Kế nướng sẵn",
                "banh-keo",
                "túi",
                30_000,
                0,
                "Năm chiếc bánh đa nướng than, đóng túi hút ẩm, ăn ngay.",
            ),
            P(
                "BDK-GAO-LUT-10",
                "Bánh đa Kế gạo lứt",
                "banh-keo",
                "túi",
                42_000,
                95,
                "Bánh đa làm từ gạo lứt và vừng đen, ít ngọt, túi 10 chiếc.",
            ),
            P(
                "BDK-HOP-QUA",
                "Hộp quà bánh đa Kế ba vị",
                "banh-keo",
                "hộp",
                120_000,
                60,
                "Ba vị vừng đen, gấc và lạc trong hộp giấy kraft, làm quà du lịch.",
                ocop_stars=3,
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-mat-ong-son-dong",
        name="HTX Thanh niên Mật ong rừng Sơn Động",
        ward="Xã Sơn Động",
        registration_code="2400771688",
        founded_on=date(2020, 8, 11),
        members=26,
        youth_members=19,
        representative="Lý Văn Sơn",
        phone="0971 642 093",
        description=(
            "Đàn ong nội được nuôi dưới tán rừng Sơn Động và di chuyển theo mùa hoa keo, hoa vải. "
            "Mật được quay khi đã vít nắp, lọc lạnh, không pha đường, kiểm nghiệm độ ẩm từng đợt."
        ),
        products=[
            P(
                "MO-RUNG-1L",
                "Mật ong rừng Sơn Động",
                "mat-ong",
                "chai",
                450_000,
                50,
                "Mật ong nội từ hoa rừng, màu hổ phách sẫm, vị ngọt đậm hơi chát. Chai 1 lít.",
                ocop_stars=4,
                featured=True,
            ),
            P(
                "MO-KEO-500",
                "Mật ong hoa keo",
                "mat-ong",
                "chai",
                130_000,
                120,
                "Mật ong mùa hoa keo, màu vàng sáng, vị ngọt dịu, dễ dùng pha nước. Chai 500 ml.",
                ocop_stars=3,
            ),
            P(
                "MO-VAI-500",
                "Mật ong hoa vải",
                "mat-ong",
                "chai",
                160_000,
                75,
                "Mật ong mùa hoa vải, thơm đặc trưng, kết tinh mịn khi trời lạnh. Chai 500 ml.",
            ),
            P(
                "MO-SAP-200G",
                "Sáp ong nguyên chất",
                "mat-ong",
                "hộp",
                90_000,
                40,
                "Sáp ong lọc sạch, dùng làm nến, son dưỡng và bảo quản đồ gỗ. Hộp 200 g.",
            ),
            P(
                "MO-PHAN-HOA",
                "Phấn hoa ong nội",
                "mat-ong",
                "hũ",
                150_000,
                0,
                "Phấn hoa sấy lạnh, hũ 250 g, dùng trộn sữa chua hoặc ngũ cốc.",
            ),
            P(
                "MO-CHANH-DAO",
                "Chanh đào ngâm mật ong",
                "mat-ong",
                "hũ",
                140_000,
                65,
                "Chanh đào thái lát ngâm mật ong rừng, pha nước ấm khi trời trở lạnh. Hũ 500 ml.",
            ),
            P(
                "MO-SUA-ONG-CHUA",
                "Sữa ong chúa tươi",
                "mat-ong",
                "hũ",
                280_000,
                18,
                "Sữa ong chúa thu trong mùa hoa, bảo quản đông lạnh, hũ 100 g.",
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-duoc-lieu-tay-yen-tu",
        name="HTX Thanh niên Dược liệu Tây Yên Tử",
        ward="Xã Tây Yên Tử",
        registration_code="2400771796",
        founded_on=date(2021, 2, 27),
        members=22,
        youth_members=18,
        representative="La Thị Hoa",
        phone="0915 273 846",
        description=(
            "Thanh niên người Dao và người Nùng dưới chân dãy Yên Tử trồng và sơ chế cây thuốc dưới tán "
            "rừng: trà hoa vàng, ba kích, giảo cổ lam, cà gai leo. Sấy bằng năng lượng mặt trời, "
            "đóng gói tại xưởng đạt chuẩn."
        ),
        products=[
            P(
                "DL-TRA-HOA-VANG-50G",
                "Trà hoa vàng Sơn Động sấy khô",
                "tra",
                "hộp",
                390_000,
                40,
                "Bông trà hoa vàng hái khi vừa nở, sấy lạnh giữ sắc vàng; nước trà vàng sáng, hậu ngọt. Hộp 50 g.",
                ocop_stars=4,
                certifications=("organic",),
                featured=True,
            ),
            P(
                "DL-GIAO-CO-LAM",
                "Giảo cổ lam khô",
                "duoc-lieu",
                "túi",
                150_000,
                110,
                "Giảo cổ lam năm lá trồng dưới tán rừng, thái khúc sấy khô, túi 500 g.",
                ocop_stars=3,
            ),
            P(
                "DL-BA-KICH",
                "Ba kích tím khô",
                "duoc-lieu",
                "kg",
                450_000,
                20,
                "Củ ba kích tím trồng trên 3 năm, rút lõi, phơi khô; thường dùng ngâm rượu.",
            ),
            P(
                "DL-CA-GAI-LEO",
                "Cà gai leo khô",
                "duoc-lieu",
                "túi",
                90_000,
                85,
                "Thân và lá cà gai leo sấy khô, túi 500 g, đun nước uống hằng ngày.",
            ),
            P(
                "DL-DINH-LANG",
                "Rễ đinh lăng thái lát",
                "duoc-lieu",
                "túi",
                160_000,
                0,
                "Rễ đinh lăng trên 3 năm tuổi, thái lát mỏng sấy khô, túi 500 g.",
            ),
            P(
                "DL-TRA-TUI-LOC",
                "Trà thảo dược Tây Yên Tử túi lọc",
                "tra",
                "hộp",
                75_000,
                130,
                "Giảo cổ lam, cà gai leo và cỏ ngọt phối trộn, hộp 25 túi lọc.",
                certifications=("organic",),
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-nong-san-phuc-hoa",
        name="HTX Thanh niên Nông sản Phúc Hòa",
        ward="Xã Phúc Hòa",
        registration_code="2400771804",
        founded_on=date(2018, 5, 19),
        members=28,
        youth_members=20,
        representative="Ngô Thị Mai",
        phone="0948 516 372",
        description=(
            "Vùng đồi Phúc Hòa nổi tiếng với vải sớm chín từ tháng Năm và những nương chè xanh. "
            "HTX gom sản phẩm của các hộ thành viên, sao chè thủ công và bán trực tiếp cho người dùng."
        ),
        products=[
            P(
                "PH-VAI-SOM-KG",
                "Vải sớm Phúc Hòa",
                "vai-thieu",
                "kg",
                50_000,
                0,
                "Vải chín sớm từ giữa tháng Năm, quả to, vỏ đỏ pha xanh, vị ngọt chua dịu. Hết mùa, đặt trước vụ sau.",
                ocop_stars=3,
                certifications=("vietgap",),
            ),
            P(
                "PH-VAI-SOM-SAY",
                "Vải sớm sấy khô",
                "trai-cay-say",
                "túi",
                90_000,
                75,
                "Vải sớm sấy nguyên quả, cùi dày, ngọt chua nhẹ, túi 500 g.",
            ),
            P(
                "PH-CHE-SAO-TAY",
                "Chè xanh Phúc Hòa sao tay",
                "tra",
                "túi",
                85_000,
                160,
                "Búp chè một tôm hai lá, sao chảo gang bằng tay; nước xanh vàng, thơm cốm. Túi 200 g.",
                ocop_stars=3,
                featured=True,
            ),
            P(
                "PH-CHE-BUP",
                "Chè búp khô Phúc Hòa",
                "tra",
                "túi",
                150_000,
                90,
                "Chè búp sao khô, vị chát dịu, hậu ngọt, túi 500 g.",
                certifications=("vietgap",),
            ),
            P(
                "PH-TRA-TUI-LOC",
                "Trà xanh túi lọc Phúc Hòa",
                "tra",
                "hộp",
                55_000,
                140,
                "Chè xanh nghiền vừa, hộp 25 túi lọc tiện dùng ở văn phòng.",
            ),
            P(
                "PH-HOP-QUA",
                "Hộp quà chè xanh Phúc Hòa",
                "tra",
                "hộp",
                250_000,
                30,
                "Hai hũ chè sao tay 200 g trong hộp sơn mài đỏ, làm quà Tết.",
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-lua-gao-lang-giang",
        name="HTX Thanh niên Lúa gạo Lạng Giang",
        ward="Xã Lạng Giang",
        registration_code="2400771912",
        founded_on=date(2019, 10, 2),
        members=45,
        youth_members=30,
        representative="Vũ Đức Anh",
        phone="0987 620 145",
        description=(
            "Cánh đồng mẫu lớn hơn 40 ha của HTX cấy nếp cái hoa vàng và các giống lúa thơm, "
            "bón phân hữu cơ, gặt đúng độ chín và xay xát ngay tại xưởng nên gạo dẻo, thơm."
        ),
        products=[
            P(
                "GAO-NEP-CAI-5KG",
                "Gạo nếp cái hoa vàng",
                "gao",
                "túi",
                210_000,
                180,
                "Hạt tròn, trắng đục, đồ xôi dẻo thơm, gói bánh chưng, nấu rượu đều ngon. Túi 5 kg.",
                ocop_stars=3,
                certifications=("vietgap",),
                featured=True,
            ),
            P(
                "GAO-NEP-CAI-KG",
                "Gạo nếp cái hoa vàng (theo kg)",
                "gao",
                "kg",
                42_000,
                600,
                "Nếp cái hoa vàng vụ mùa mới, bán theo cân.",
                certifications=("vietgap",),
            ),
            P(
                "GAO-BAO-THAI-5KG",
                "Gạo Bao thai hồng",
                "gao",
                "túi",
                120_000,
                140,
                "Gạo tẻ hạt nhỏ, cơm khô ráo, nở nhiều, là nguyên liệu làm mỳ Chũ. Túi 5 kg.",
            ),
            P(
                "GAO-LUT-DO",
                "Gạo lứt đỏ",
                "gao",
                "kg",
                38_000,
                220,
                "Gạo lứt đỏ giữ lớp cám, giàu chất xơ, hợp với người ăn kiêng.",
                certifications=("organic",),
            ),
            P(
                "GAO-THOM-10KG",
                "Gạo thơm Lạng Giang",
                "gao",
                "túi",
                230_000,
                0,
                "Gạo thơm dẻo vừa, cơm để nguội vẫn mềm. Túi 10 kg.",
            ),
            P(
                "GAO-BOT-NEP",
                "Bột nếp cái hoa vàng",
                "gao",
                "túi",
                45_000,
                70,
                "Bột nếp xay nước, phơi khô, làm bánh trôi, bánh chay. Túi 1 kg.",
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-may-tre-dan-viet-yen",
        name="HTX Thanh niên Mây tre đan Việt Yên",
        ward="Phường Việt Yên",
        registration_code="2400772020",
        founded_on=date(2022, 4, 9),
        members=35,
        youth_members=29,
        representative="Nguyễn Thị Thanh",
        phone="0965 831 207",
        description=(
            "Các thợ trẻ vùng Việt Yên đan mây, tre, giang theo mẫu truyền thống và mẫu mới cho khách "
            "trong và ngoài nước. Nguyên liệu được luộc, sấy và xử lý chống mốc bằng phương pháp tự nhiên."
        ),
        products=[
            P(
                "MTD-GIO-QUA",
                "Giỏ quà mây đan có quai",
                "may-tre-dan",
                "cái",
                160_000,
                80,
                "Giỏ mây đan tay, kích thước 30 × 20 cm, đựng quà Tết, hoa quả.",
                ocop_stars=3,
                featured=True,
            ),
            P(
                "MTD-KHAY-CHU-NHAT",
                "Khay tre đan hình chữ nhật",
                "may-tre-dan",
                "cái",
                95_000,
                120,
                "Khay tre đan hai lớp, nhẹ và chắc, bày bánh kẹo, đồ ăn sáng.",
            ),
            P(
                "MTD-DEN-TRE",
                "Đèn tre thả trần",
                "may-tre-dan",
                "cái",
                280_000,
                12,
                "Chao đèn tre đan mắt cáo, đường kính 40 cm, ánh sáng ấm cho quán cà phê, homestay.",
            ),
            P(
                "MTD-RO-3",
                "Bộ 3 rổ tre đan tay",
                "may-tre-dan",
                "bộ",
                120_000,
                60,
                "Ba rổ tre nhiều cỡ dùng rửa rau, phơi đồ khô.",
            ),
            P(
                "MTD-TUI-MAY",
                "Túi mây xách tay",
                "may-tre-dan",
                "cái",
                230_000,
                0,
                "Túi mây tròn có lót vải bố, quai da, phong cách mùa hè.",
            ),
            P(
                "MTD-HOP-NAP",
                "Hộp mây đựng đồ có nắp",
                "may-tre-dan",
                "cái",
                140_000,
                45,
                "Hộp mây chữ nhật có nắp, đựng khăn, đồ chơi, giấy tờ.",
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-lam-san-luc-nam",
        name="HTX Thanh niên Lâm sản Lục Nam",
        ward="Xã Lục Nam",
        registration_code="2400772138",
        founded_on=date(2020, 12, 1),
        members=24,
        youth_members=17,
        representative="Đặng Văn Tú",
        phone="0919 724 531",
        description=(
            "HTX khai thác bền vững măng, mộc nhĩ và nấm dưới tán rừng Lục Nam, sơ chế ngay trong ngày, "
            "sấy bằng lò sấy khép kín, không dùng lưu huỳnh."
        ),
        products=[
            P(
                "LN-MANG-KHO-500G",
                "Măng khô Lục Nam",
                "mang-nam",
                "túi",
                180_000,
                100,
                "Măng nứa rừng luộc chín, phơi khô tự nhiên, vàng óng, ninh chân giò rất ngon. Túi 500 g.",
                ocop_stars=3,
                featured=True,
            ),
            P(
                "LN-MANG-TUOI",
                "Măng tre tươi luộc sẵn",
                "mang-nam",
                "kg",
                40_000,
                80,
                "Măng tre luộc kỹ hết đắng, hút chân không, xào hoặc nấu canh ngay.",
            ),
            P(
                "LN-MANG-OT",
                "Măng ớt ngâm",
                "mang-nam",
                "hũ",
                55_000,
                150,
                "Măng tươi ngâm ớt, tỏi, giấm gạo; giòn, cay. Hũ 500 g.",
            ),
            P("LN-MOC-NHI", "Mộc nhĩ rừng", "mang-nam", "túi", 85_000, 70, "Mộc nhĩ dày, giòn, nở nhiều, túi 300 g."),
            P(
                "LN-NAM-HUONG",
                "Nấm hương rừng",
                "mang-nam",
                "túi",
                150_000,
                0,
                "Nấm hương mọc tự nhiên trên thân gỗ mục, mũ dày, thơm đậm. Túi 300 g.",
            ),
            P(
                "LN-GUNG-SAY",
                "Gừng sẻ thái lát sấy",
                "duoc-lieu",
                "túi",
                60_000,
                90,
                "Gừng sẻ đồi Lục Nam thái lát, sấy khô, pha trà hoặc nấu ăn. Túi 200 g.",
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-sam-nam-nui-danh",
        name="HTX Thanh niên Sâm nam núi Dành",
        ward="Xã Tân Yên",
        registration_code="2400772246",
        founded_on=date(2021, 9, 14),
        members=15,
        youth_members=12,
        representative="Nguyễn Quang Vinh",
        phone="0962 450 718",
        description=(
            "Sâm nam núi Dành là cây thuốc quý của vùng Tân Yên, từng là sản vật tiến vua. "
            "HTX nhân giống, trồng theo hướng hữu cơ và chế biến thành trà, rượu, củ sấy."
        ),
        products=[
            P(
                "SN-CU-TUOI",
                "Củ sâm nam núi Dành tươi",
                "duoc-lieu",
                "kg",
                350_000,
                35,
                "Củ sâm trồng trên 2 năm, vỏ nâu, ruột trắng, dùng ngâm rượu hoặc nấu nước.",
                ocop_stars=4,
                certifications=("organic",),
                featured=True,
            ),
            P(
                "SN-SAY-200G",
                "Sâm nam núi Dành thái lát sấy",
                "duoc-lieu",
                "túi",
                250_000,
                60,
                "Sâm thái lát mỏng, sấy lạnh, hãm nước uống hằng ngày. Túi 200 g.",
                ocop_stars=3,
            ),
            P(
                "SN-TRA-TUI-LOC",
                "Trà sâm nam núi Dành túi lọc",
                "tra",
                "hộp",
                95_000,
                120,
                "Trà túi lọc từ sâm nam sấy và cỏ ngọt, hộp 20 túi.",
                ocop_stars=3,
            ),
            P(
                "SN-RUOU-500ML",
                "Rượu sâm nam núi Dành",
                "ruou",
                "chai",
                220_000,
                40,
                "Rượu nếp làng Vân ngâm sâm nam núi Dành trên một năm. Chai 500 ml.",
            ),
            P(
                "SN-MAT-ONG",
                "Sâm nam ngâm mật ong",
                "mat-ong",
                "hũ",
                320_000,
                0,
                "Sâm nam thái lát ngâm mật ong hoa vải, hũ 500 ml.",
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-nong-san-say-hoang-van",
        name="HTX Thanh niên Nông sản sấy Hoàng Vân",
        ward="Xã Hoàng Vân",
        registration_code="2400772354",
        founded_on=date(2022, 1, 18),
        members=14,
        youth_members=11,
        representative="Phạm Thị Ngọc",
        phone="0977 318 604",
        description=(
            "Xưởng sấy lạnh và sấy dẻo của các bạn trẻ Hoàng Vân chế biến trái cây theo mùa của vùng "
            "thành đồ ăn vặt lành mạnh, không phẩm màu, ít đường."
        ),
        products=[
            P(
                "HV-HONG-SAY-DEO",
                "Hồng sấy dẻo",
                "trai-cay-say",
                "hộp",
                160_000,
                55,
                "Hồng chín cây gọt vỏ, sấy dẻo giữ màu cam mật, ngọt tự nhiên. Hộp 500 g.",
                featured=True,
            ),
            P(
                "HV-MIT-SAY",
                "Mít sấy giòn",
                "trai-cay-say",
                "túi",
                65_000,
                130,
                "Múi mít sấy chân không giòn rụm, không dầu chiên lại. Túi 250 g.",
                ocop_stars=3,
            ),
            P(
                "HV-CHUOI-SAY",
                "Chuối sấy dẻo",
                "trai-cay-say",
                "túi",
                70_000,
                90,
                "Chuối tây chín sấy dẻo, không thêm đường. Túi 500 g.",
            ),
            P(
                "HV-VAI-TACH-HAT",
                "Vải sấy tách hạt",
                "trai-cay-say",
                "hộp",
                110_000,
                70,
                "Cùi vải thiều sấy dẻo đã tách hạt, ăn liền. Hộp 300 g.",
            ),
            P(
                "HV-CAM-SAY",
                "Cam sấy lát",
                "trai-cay-say",
                "túi",
                75_000,
                0,
                "Cam thái lát sấy lạnh, pha trà hoặc trang trí bánh. Túi 200 g.",
            ),
            P(
                "HV-LONG-NHAN",
                "Long nhãn sấy khô",
                "trai-cay-say",
                "túi",
                150_000,
                40,
                "Cùi nhãn sấy vàng nâu, ngọt đậm, nấu chè hoặc hãm trà. Túi 500 g.",
            ),
        ],
    ),
    CooperativeData(
        slug="htx-nong-nghiep-tan-son",
        name="HTX Nông nghiệp Tân Sơn",
        ward="Xã Tân Sơn",
        registration_code="2400772462",
        founded_on=date(2012, 7, 5),
        members=60,
        youth_members=9,
        representative="Hà Văn Thịnh",
        phone="0913 605 281",
        is_youth=False,
        description=(
            "HTX nông nghiệp lâu năm của vùng đồi Lục Ngạn, chuyên cây ăn quả có múi và vải thiều; "
            "cùng các HTX thanh niên trong vùng bao tiêu sản phẩm cho bà con."
        ),
        products=[
            P(
                "TS-CAM-KG",
                "Cam Lục Ngạn",
                "trai-cay-tuoi",
                "kg",
                35_000,
                500,
                "Cam đường canh vỏ mỏng, mọng nước, ngọt đậm, hái từ tháng Mười đến Tết.",
                certifications=("vietgap",),
            ),
            P(
                "TS-BUOI",
                "Bưởi da xanh Lục Ngạn",
                "trai-cay-tuoi",
                "quả",
                55_000,
                160,
                "Quả 1,2–1,6 kg, múi hồng, tép ráo, ngọt thanh.",
            ),
            P(
                "TS-VAI-5KG",
                "Vải thiều Tân Sơn thùng 5 kg",
                "vai-thieu",
                "thùng",
                260_000,
                40,
                "Vải thiều chính vụ đóng thùng xốp 5 kg, giao tận nơi.",
                certifications=("vietgap",),
            ),
            P(
                "TS-NHAN-MUON",
                "Nhãn muộn",
                "trai-cay-tuoi",
                "kg",
                45_000,
                0,
                "Nhãn chín muộn tháng Chín, cùi dày, ráo, ngọt sắc.",
            ),
        ],
    ),
    # Waiting for the agencies (one of them asked for more documents): their products are drafts,
    # nothing is public yet.
    CooperativeData(
        slug="htx-thanh-nien-cam-bo-ha",
        name="HTX Thanh niên Cam Bố Hạ",
        ward="Xã Bố Hạ",
        registration_code="2400772570",
        founded_on=date(2025, 8, 20),
        members=9,
        youth_members=8,
        representative="Phạm Quang Huy",
        phone="0356 812 470",
        status=CooperativeStatus.PENDING,
        status_reason="",
        description=(
            "Nhóm thanh niên Bố Hạ khôi phục giống cam Bố Hạ nổi tiếng một thời, trồng trên đất bãi ven "
            "sông Thương theo hướng hữu cơ."
        ),
        products=[
            P(
                "CBH-CAM-KG",
                "Cam Bố Hạ",
                "trai-cay-tuoi",
                "kg",
                60_000,
                200,
                "Cam vỏ mỏng màu vàng cam, múi mọng, thơm, vị ngọt đậm.",
            ),
            P(
                "CBH-HOP-QUA",
                "Hộp quà cam Bố Hạ",
                "trai-cay-tuoi",
                "hộp",
                250_000,
                40,
                "Hộp 5 kg cam tuyển, kèm thiệp chúc Tết.",
            ),
        ],
    ),
    CooperativeData(
        slug="htx-thanh-nien-nam-sach-van-son",
        name="HTX Thanh niên Nấm sạch Vân Sơn",
        ward="Xã Vân Sơn",
        registration_code="2400772688",
        founded_on=date(2025, 10, 2),
        members=7,
        youth_members=7,
        representative="Hoàng Văn Nam",
        phone="0388 264 915",
        # The agency asked for more documents: its manager (quanly.moi) sees the request and answers.
        status=CooperativeStatus.NEEDS_DOCUMENTS,
        status_reason=DOCUMENTS_REQUEST,
        description="Trồng nấm sò, nấm linh chi trên mùn cưa và rơm rạ trong nhà lưới, không dùng thuốc bảo vệ thực vật.",
        products=[
            P(
                "NVS-NAM-SO",
                "Nấm sò tươi",
                "mang-nam",
                "kg",
                45_000,
                60,
                "Nấm sò hái trong ngày, giòn, ngọt, xào hay nấu lẩu đều ngon.",
            ),
            P(
                "NVS-LINH-CHI",
                "Nấm linh chi đỏ sấy khô",
                "duoc-lieu",
                "túi",
                250_000,
                25,
                "Nấm linh chi đỏ trồng trên gỗ, thái lát sấy khô, túi 200 g.",
            ),
        ],
    ),
    CooperativeData(
        slug="htx-dich-vu-nong-nghiep-kep",
        name="HTX Dịch vụ Nông nghiệp Kép",
        ward="Xã Kép",
        registration_code="2400772796",
        founded_on=date(2016, 3, 30),
        members=20,
        youth_members=11,
        representative="Bùi Văn Khải",
        phone="0397 541 826",
        status=CooperativeStatus.SUSPENDED,
        status_reason=(
            "Tạm dừng bán hàng: giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm đã hết hạn. "
            "HTX cần nộp giấy chứng nhận mới để được mở lại."
        ),
        description="HTX sản xuất lạc, đậu tương và ép dầu lạc thủ công cho các xã vùng Kép.",
        products=[
            P(
                "KEP-LAC-NHAN",
                "Lạc nhân đỏ",
                "gao",
                "kg",
                70_000,
                150,
                "Lạc đỏ hạt nhỏ, phơi khô, rang muối hoặc nấu xôi.",
            ),
            P(
                "KEP-DAU-TUONG",
                "Đậu tương vàng",
                "gao",
                "kg",
                35_000,
                200,
                "Đậu tương vụ đông, hạt mẩy, làm đậu phụ, sữa đậu nành.",
            ),
            P(
                "KEP-DAU-LAC",
                "Dầu lạc ép thủ công",
                "gao",
                "chai",
                120_000,
                60,
                "Dầu lạc ép nguội, lắng lọc tự nhiên, thơm béo. Chai 1 lít.",
            ),
        ],
    ),
]


@dataclass(frozen=True)
class UserData:
    email: str
    full_name: str
    role: Role
    phone: str | None = None
    agency: str | None = None
    cooperatives: tuple[str, ...] = ()

    @property
    def password(self) -> str:
        return PASSWORDS[self.role]


def _email(local: str) -> str:
    return f"{local}@{EMAIL_DOMAIN}"


USERS = [
    UserData(_email("admin"), "Quản trị viên Sàn HTX", Role.ADMIN),
    UserData(_email("tinhdoan"), "Nguyễn Thị Thanh Huyền", Role.AGENCY_STAFF, "0912 555 201", agency=YOUTH_UNION),
    UserData(_email("lienminh"), "Trần Văn Quyết", Role.AGENCY_STAFF, "0912 555 202", agency=COOPERATIVE_ALLIANCE),
    UserData(
        _email("quanly.lucngan"),
        "Nguyễn Văn Hưng",
        Role.COOPERATIVE_MANAGER,
        "0912 408 215",
        cooperatives=("htx-thanh-nien-vai-thieu-luc-ngan", "htx-thanh-nien-my-chu", "htx-nong-nghiep-tan-son"),
    ),
    UserData(
        _email("quanly.yenthe"),
        "Hoàng Thị Lan",
        Role.COOPERATIVE_MANAGER,
        "0978 355 902",
        cooperatives=("htx-thanh-nien-ga-doi-yen-the",),
    ),
    UserData(
        _email("quanly.vanha"),
        "Đỗ Minh Tuấn",
        Role.COOPERATIVE_MANAGER,
        "0904 612 387",
        cooperatives=("htx-thanh-nien-ruou-lang-van", "htx-thanh-nien-gom-tho-ha"),
    ),
    UserData(
        _email("quanly.bacgiang"),
        "Trần Thu Hà",
        Role.COOPERATIVE_MANAGER,
        "0966 530 418",
        cooperatives=("htx-thanh-nien-banh-da-ke", "htx-thanh-nien-may-tre-dan-viet-yen"),
    ),
    UserData(
        _email("quanly.sondong"),
        "Lý Văn Sơn",
        Role.COOPERATIVE_MANAGER,
        "0971 642 093",
        cooperatives=(
            "htx-thanh-nien-mat-ong-son-dong",
            "htx-thanh-nien-duoc-lieu-tay-yen-tu",
            "htx-thanh-nien-lam-san-luc-nam",
        ),
    ),
    UserData(
        _email("quanly.tanyen"),
        "Ngô Thị Mai",
        Role.COOPERATIVE_MANAGER,
        "0948 516 372",
        cooperatives=(
            "htx-thanh-nien-nong-san-phuc-hoa",
            "htx-thanh-nien-sam-nam-nui-danh",
            "htx-thanh-nien-nong-san-say-hoang-van",
        ),
    ),
    UserData(
        _email("quanly.langgiang"),
        "Vũ Đức Anh",
        Role.COOPERATIVE_MANAGER,
        "0987 620 145",
        cooperatives=("htx-thanh-nien-lua-gao-lang-giang",),
    ),
    UserData(
        _email("quanly.moi"),
        "Phạm Quang Huy",
        Role.COOPERATIVE_MANAGER,
        "0356 812 470",
        cooperatives=("htx-thanh-nien-cam-bo-ha", "htx-thanh-nien-nam-sach-van-son"),
    ),
    UserData(
        _email("quanly.kep"),
        "Bùi Văn Khải",
        Role.COOPERATIVE_MANAGER,
        "0397 541 826",
        cooperatives=("htx-dich-vu-nong-nghiep-kep",),
    ),
    UserData(_email("khachhang"), "Lê Thị Hồng", Role.CUSTOMER, "0903 218 467"),
    UserData(_email("khachhang2"), "Phan Minh Đức", Role.CUSTOMER, "0868 402 195"),
]


@dataclass(frozen=True)
class DeliveryData:
    """A cooperative's delivery terms and the account customers pay into by VietQR transfer."""

    fee_vnd: int
    free_from_vnd: int | None = None
    pickup: bool = True
    bank_bin: str | None = None  # NAPAS BIN, e.g. 970436 Vietcombank
    account_number: str | None = None  # fictional; the holder is the cooperative's name as banks print it


DELIVERY = {
    "htx-thanh-nien-vai-thieu-luc-ngan": DeliveryData(30_000, 500_000, True, "970405", "2506205123457"),
    "htx-thanh-nien-my-chu": DeliveryData(25_000, 300_000, True, "970436", "1027384950"),
    "htx-thanh-nien-ga-doi-yen-the": DeliveryData(45_000, 800_000, True, "970418", "12510000683291"),
    "htx-thanh-nien-ruou-lang-van": DeliveryData(35_000, None, True, "970415", "108871234560"),
    "htx-thanh-nien-gom-tho-ha": DeliveryData(50_000, 1_000_000, False, "970407", "19036582741019"),
    "htx-thanh-nien-banh-da-ke": DeliveryData(20_000, 250_000, True, "970422", "0866553210"),
    "htx-thanh-nien-mat-ong-son-dong": DeliveryData(30_000, 600_000, True, "970405", "2511205077812"),
    "htx-thanh-nien-duoc-lieu-tay-yen-tu": DeliveryData(30_000, 500_000, False, "970416", "26845179"),
    "htx-thanh-nien-nong-san-phuc-hoa": DeliveryData(25_000, 400_000, True, "970432", "215487639"),
    "htx-thanh-nien-lua-gao-lang-giang": DeliveryData(40_000, 700_000, True, "970403", "070119842356"),
    "htx-thanh-nien-may-tre-dan-viet-yen": DeliveryData(45_000, None, True, "970423", "04417826501"),
    "htx-thanh-nien-lam-san-luc-nam": DeliveryData(35_000, 600_000, True, "970418", "12510001947366"),
    "htx-thanh-nien-sam-nam-nui-danh": DeliveryData(30_000, 800_000, False, "970436", "1036217458"),
    "htx-thanh-nien-nong-san-say-hoang-van": DeliveryData(25_000, 350_000, True, "970415", "109876543201"),
    # No bank account yet: customers pay by card or cash on delivery.
    "htx-nong-nghiep-tan-son": DeliveryData(30_000, None, True),
    "htx-thanh-nien-cam-bo-ha": DeliveryData(30_000, 500_000, True, "970422", "0356812470"),
    "htx-thanh-nien-nam-sach-van-son": DeliveryData(25_000, None, False),
    "htx-dich-vu-nong-nghiep-kep": DeliveryData(30_000, None, True, "970405", "2505205009876"),
}
