"""A synthetic Vietnamese catalogue for the search benchmark.

Cooperatives in several provinces (real wards from `marketplace.core.geo`), the demo's
two-level categories, and products named the way cooperatives name them: a product
word ("Vải thiều", "Mật ong hoa vải"), qualifiers ("sấy khô", "túi 500g") and a place
("Lục Ngạn"). Product words and description words are drawn with skewed weights, so
common words ("vải", "mật", "ong", "sấy") hit thousands of products, as in a real shop;
descriptions also mention a village from anywhere in Vietnam, a grower, a lot number or
a hamlet, so the vocabulary has a long tail of rare words as real shop text does.

Everything is drawn from one `random.Random(seed)`: the same seed, the same catalogue.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from marketplace.catalog.models import CERTIFICATIONS, ProductStatus
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.core import geo
from marketplace.core.text import slugify
from marketplace.demo import data as demo
from marketplace.search import analysis

# Province -> share of cooperatives. Bắc Ninh (the former Bắc Giang area) dominates, as in the demo.
PROVINCES = {
    "Bắc Ninh": 40,
    "Lạng Sơn": 10,
    "Thái Nguyên": 10,
    "Phú Thọ": 10,
    "Tuyên Quang": 8,
    "Sơn La": 8,
    "Lào Cai": 7,
    "Hưng Yên": 7,
}
# Famous places of Bắc Ninh province that give their names to products.
FAMOUS_PLACES = [
    "Lục Ngạn",
    "Yên Thế",
    "Tân Yên",
    "Sơn Động",
    "Lục Nam",
    "Hiệp Hòa",
    "Việt Yên",
    "Lạng Giang",
    "Yên Dũng",
    "Chũ",
    "Kép",
    "Nếnh",
]

# Product words per sub-category, most common first.
KINDS = {
    "vai-thieu": ["Vải thiều", "Vải thiều chín sớm", "Vải u hồng", "Vải lai Thanh Hà", "Vải trứng"],
    "trai-cay-tuoi": [
        "Nhãn lồng",
        "Cam sành",
        "Bưởi Diễn",
        "Na dai",
        "Ổi lê",
        "Chuối tiêu hồng",
        "Táo mèo",
        "Mận hậu",
        "Dứa Queen",
        "Hồng không hạt",
        "Quýt vàng",
    ],
    "trai-cay-say": [
        "Vải sấy",
        "Nhãn sấy",
        "Long nhãn",
        "Chuối sấy dẻo",
        "Mít sấy",
        "Táo mèo sấy",
        "Mận sấy dẻo",
        "Cùi vải sấy",
    ],
    "ga": ["Gà đồi", "Gà ri", "Gà mía", "Trứng gà ta", "Gà Hồ", "Gà đồi ủ muối", "Gà ác"],
    "my-bun": ["Mỳ Chũ", "Bún khô", "Miến dong", "Phở khô", "Mỳ gạo lứt", "Bánh đa nem", "Mỳ Chũ gấc"],
    "gao": [
        "Gạo nếp cái hoa vàng",
        "Gạo Bao thai",
        "Gạo tám thơm",
        "Gạo lứt đỏ",
        "Gạo nếp nương",
        "Gạo Séng Cù",
        "Gạo nếp cẩm",
    ],
    "mang-nam": ["Măng khô", "Nấm hương", "Măng tre", "Mộc nhĩ", "Nấm mỡ", "Nấm linh chi", "Măng vầu"],
    "ruou": ["Rượu làng Vân", "Rượu nếp cái", "Rượu ngô", "Rượu mơ", "Rượu táo mèo", "Rượu thóc"],
    "tra": ["Chè xanh", "Trà búp", "Chè móc câu", "Trà hoa vàng", "Trà gừng", "Chè Shan tuyết"],
    "mat-ong": ["Mật ong hoa vải", "Mật ong rừng", "Mật ong hoa nhãn", "Mật ong bạc hà", "Mật ong hoa cà phê"],
    "banh-keo": ["Bánh đa Kế", "Kẹo lạc", "Bánh chưng", "Bánh gai", "Kẹo dồi", "Bánh đa vừng", "Bánh tro"],
    "duoc-lieu": ["Tinh bột nghệ", "Nghệ vàng", "Ba kích", "Gừng", "Cà gai leo", "Lá vối", "Sâm Bố Chính"],
    "may-tre-dan": ["Giỏ mây", "Làn tre", "Khay mây tre đan", "Rổ tre", "Đèn tre", "Mành trúc", "Hộp mây"],
    "gom": ["Bình gốm", "Ấm chén gốm", "Lọ hoa gốm", "Bát gốm men lam", "Đĩa gốm", "Chum gốm"],
}
# Sub-category -> share of products (fruit and food sell most).
CATEGORY_WEIGHTS = {
    "vai-thieu": 14,
    "trai-cay-tuoi": 10,
    "trai-cay-say": 9,
    "ga": 9,
    "my-bun": 8,
    "gao": 8,
    "mang-nam": 7,
    "ruou": 5,
    "tra": 7,
    "mat-ong": 8,
    "banh-keo": 6,
    "duoc-lieu": 4,
    "may-tre-dan": 3,
    "gom": 2,
}
UNITS = {
    "vai-thieu": ["kg", "thùng", "hộp"],
    "trai-cay-tuoi": ["kg", "quả", "thùng"],
    "trai-cay-say": ["túi", "hộp"],
    "ga": ["con", "kg"],
    "my-bun": ["túi", "gói", "thùng"],
    "gao": ["kg", "túi"],
    "mang-nam": ["túi", "kg"],
    "ruou": ["chai", "lít"],
    "tra": ["túi", "hộp", "gói"],
    "mat-ong": ["chai", "hũ"],
    "banh-keo": ["gói", "hộp"],
    "duoc-lieu": ["hũ", "túi", "kg"],
    "may-tre-dan": ["cái", "bộ", "chiếc"],
    "gom": ["cái", "bộ", "chiếc"],
}
# Typical price per sub-category, VND (drawn log-uniformly within a factor of ~3 either side).
PRICES = {
    "vai-thieu": 60_000,
    "trai-cay-tuoi": 45_000,
    "trai-cay-say": 110_000,
    "ga": 180_000,
    "my-bun": 35_000,
    "gao": 30_000,
    "mang-nam": 160_000,
    "ruou": 150_000,
    "tra": 140_000,
    "mat-ong": 220_000,
    "banh-keo": 50_000,
    "duoc-lieu": 180_000,
    "may-tre-dan": 220_000,
    "gom": 300_000,
}
QUALIFIERS = [
    ("sấy khô", 8),
    ("tươi", 10),
    ("loại 1", 9),
    ("đặc biệt", 7),
    ("hữu cơ", 6),
    ("túi 500g", 7),
    ("hộp quà", 8),
    ("túi 1kg", 5),
    ("chai 500ml", 3),
    ("hút chân không", 3),
    ("thượng hạng", 3),
    ("nhà làm", 4),
    ("truyền thống", 5),
    ("VietGAP", 4),
    ("OCOP 4 sao", 3),
    ("cao cấp", 4),
    ("gói 200g", 3),
    ("đóng hộp", 3),
    ("chính gốc", 3),
    ("size lớn", 2),
    ("thùng 10kg", 2),
    ("quà Tết", 3),
    ("không đường", 2),
    ("ít ngọt", 2),
    ("sạch", 4),
    ("mùa mới", 3),
    ("combo 3 túi", 2),
]
# Description vocabulary (phrases), most common first: drawn with Zipf-like weights.
DESCRIPTION_WORDS = """
sản phẩm | của | hợp tác xã | thanh niên | được | trồng | theo | quy trình | an toàn | tự nhiên |
thơm | ngon | ngọt | đậm đà | sạch | không | chất bảo quản | đóng gói | cẩn thận | giao hàng |
toàn quốc | vùng đồi | nông dân | địa phương | chế biến | thủ công | truyền thống | chất lượng | cao |
hương vị | đặc trưng | của vùng | thu hoạch | đúng vụ | bảo quản | nơi khô ráo | thoáng mát | tránh |
ánh nắng | trực tiếp | sử dụng | trong | tháng | kể từ | ngày sản xuất | phù hợp | làm quà | biếu |
gia đình | bữa cơm | hằng ngày | người tiêu dùng | tin dùng | nguồn gốc | rõ ràng | truy xuất | mã QR |
tem | chứng nhận | VietGAP | hữu cơ | OCOP | đạt | tiêu chuẩn | vệ sinh | an toàn thực phẩm | màu |
vàng | đỏ | xanh | tươi | mới | mỗi | lô hàng | kiểm tra | kỹ | trước khi | xuất | bán | giá | tại vườn |
hộ | thành viên | liên kết | bao tiêu | đầu ra | ổn định | phơi | nắng | sấy | lò | than hoa | lạnh |
giữ | trọn | dinh dưỡng | vitamin | khoáng chất | tốt | cho | sức khỏe | trẻ em | người già | nấu |
canh | xào | luộc | hấp | pha | trà | uống | nóng | ấm | mùa đông | mùa hè | Tết | lễ | hội | chợ phiên |
đặc sản | nổi tiếng | từ lâu | đời | ông cha | để lại | nghề | làng | bản | người | Tày | Nùng | Dao |
Sán Dìu | Kinh | chăm sóc | bón | phân | chuồng | hoai mục | không dùng | thuốc | diệt cỏ | kích thích |
tăng trưởng | ruộng | bậc thang | suối | nước | mát | khí hậu | mát mẻ | quanh năm | sương | đất | đỏ |
bazan | phù sa | màu mỡ | cây | già | năm tuổi | quả | to | đều | vỏ | mỏng | cùi | dày | hạt | nhỏ |
giòn | dẻo | dai | mềm | thơm lừng | béo | bùi | chát | nhẹ | cay | the | đắng | hậu | ngọt hậu |
đóng | túi zip | hộp giấy | chai thủy tinh | hũ sành | bình | vận chuyển | xa | ship | nhanh | đổi trả |
miễn phí | nếu | lỗi | hỗ trợ | khách | sỉ | lẻ | đại lý | cửa hàng | siêu thị | sàn | thương mại điện tử
"""
# Rare mentions: a hamlet, a grower, an old variety. Each product has a small chance of one.
RARE_PHRASES = """
thôn Khe Rỗ | bản Phì Điền | xóm Đồng Cốc | thôn Cấm Sơn | bản Tà Xùa | thôn Nà Lừa | xóm Suối Ván |
giống Thanh Hà | giống Hùng Long | giống Phú Hộ | giống Bảo Lâm | giống Xuân Đỉnh | cây đầu dòng |
vườn anh Khải | vườn chị Nhung | vườn ông Thạch | vườn bà Huệ | lò cụ Tịnh | xưởng anh Quyết |
men lá rừng | men thuốc bắc | nước giếng khơi | nước suối Mỡ | đá ong | sành Phù Lãng | gốm Thổ Hà |
lá khôi | lá dong | tre mai | nứa lá | mây nếp | guột | cói | tầm vông | song mây |
khói bếp | gác bếp | than củi | ủ chum | ủ trấu | ngâm tro | hong gió | quạt thóc | giã cối |
chè Shan | sâm Ngọc Linh | nấm lim | quế Văn Yên | hồi Lạng Sơn | thảo quả | mắc khén | hạt dổi |
Phì Điền | Tà Xùa | Khe Rỗ | Cấm Sơn | Đồng Cốc | Nà Lừa | Suối Ván | Xuân Đỉnh | Hùng Long |
kỷ niệm | hội chợ | giải thưởng | bình chọn | tỉnh đoàn | khởi nghiệp | chuyển đổi số | livestream
"""
# Growers named in descriptions ("vườn chị Nhung").
GIVEN_NAMES = """
Hưng | Lan | Hoa | Tuấn | Hùng | Minh | Thảo | Trang | Dũng | Hà | Huyền | Khải | Nhung | Thạch | Huệ | Quyết |
Phương | Linh | Nam | Sơn | Tùng | Long | Hải | Yến | Loan | Thắm | Sáng | Mạnh | Cường | Vinh | Toàn | Hiếu |
Nga | Thủy | Bích | Đức | Trung | Khoa | Vân | Giang | Thanh | Hạnh | Tâm | Chiến | Thịnh | Quang | Bình | Tú |
Duyên | Mai | Kiên | Lực | Tiến | Phúc | Lộc | Thọ | Hậu | Ngọc | Diệp | Ánh
"""
GROWER_TITLES = ["anh", "chị", "cô", "chú", "ông", "bà"]
YEARS_OF_HISTORY = 3


def _phrases(text: str) -> list[str]:
    return [p.strip() for p in text.split("|") if p.strip()]


@dataclass
class Catalogue:
    categories: list[dict]  # rows for `categories` (parents first; ids assigned here)
    cooperatives: list[dict]
    products: list[dict]
    # How many public products each word can match (in the name or anywhere in the searched
    # text), lower-case with accents, and the same for accent-folded words; how many public
    # product names contain each pair of adjacent words. Used to pick the benchmark's queries.
    frequency: Counter = field(default_factory=Counter)
    folded_frequency: Counter = field(default_factory=Counter)
    name_pairs: Counter = field(default_factory=Counter)
    name_frequency: Counter = field(default_factory=Counter)
    # Indexes into `products` of the public ones.
    public: list[int] = field(default_factory=list)
    # len(products), kept when the rows are dropped after insertion.
    product_count: int = 0


def generate(products: int, cooperatives: int = 300, seed: int = 1, now: datetime | None = None) -> Catalogue:
    rng = random.Random(seed)
    now = now or datetime(2026, 11, 25, 12, 0, 0)
    categories, sub_categories = _categories()
    coops = _cooperatives(rng, cooperatives, now)
    catalogue = Catalogue(categories, coops, [])
    _products(rng, catalogue, products, sub_categories, now)
    return catalogue


def _categories() -> tuple[list[dict], dict[str, dict]]:
    rows, by_slug = [], {}
    for position, item in enumerate(demo.CATEGORIES, start=1):
        parent = by_slug.get(item.parent) if item.parent else None
        row = {
            "id": position,
            "parent_id": parent["id"] if parent else None,
            "name": item.name,
            "slug": item.slug,
            "position": position,
        }
        rows.append(row)
        by_slug[item.slug] = row
    # Parents come before their children in demo.CATEGORIES, so ids resolve in one pass.
    subs = {slug: row for slug, row in by_slug.items() if row["parent_id"] is not None}
    missing = set(KINDS) ^ set(subs)
    if missing:
        raise RuntimeError(f"bench vocabulary and demo categories disagree: {sorted(missing)}")
    for row in subs.values():
        row["parent_name"] = next(r["name"] for r in rows if r["id"] == row["parent_id"])
    return rows, subs


def _wards_of(code: int) -> list[tuple[int, str]]:
    return geo.wards(code)


def _cooperatives(rng: random.Random, count: int, now: datetime) -> list[dict]:
    provinces = [(geo.find_province(name), weight) for name, weight in PROVINCES.items()]
    if any(code is None for code, _ in provinces):
        raise RuntimeError("a benchmark province is missing from vietnam-provinces")
    bac_ninh = geo.find_province("Bắc Ninh")
    famous = [(code, name) for name in FAMOUS_PLACES if (code := geo.find_ward(bac_ninh, name))]
    slugs = list(KINDS)
    weights = [CATEGORY_WEIGHTS[s] for s in slugs]
    rows = []
    for number in range(1, count + 1):
        province = rng.choices([c for c, _ in provinces], [w for _, w in provinces])[0]
        if province == bac_ninh and famous and rng.random() < 0.7:
            ward_code, place = rng.choice(famous)
        else:
            ward_code, ward = rng.choice(_wards_of(province))
            place = ward.split(" ", 1)[1] if " " in ward else ward
        specialties = list(dict.fromkeys(rng.choices(slugs, weights, k=rng.choice((1, 1, 2, 3)))))
        is_youth = rng.random() < 0.9
        name = f"HTX {'Thanh niên ' if is_youth else ''}{KINDS[specialties[0]][0]} {place}"
        members = rng.randint(7, 80)
        status = rng.choices(
            [CooperativeStatus.APPROVED, CooperativeStatus.PENDING, CooperativeStatus.SUSPENDED], [90, 6, 4]
        )[0]
        created = now - timedelta(days=rng.uniform(YEARS_OF_HISTORY * 365, YEARS_OF_HISTORY * 365 + 700))
        rows.append(
            {
                "id": number,
                "slug": f"{slugify(name, max_length=80)}-{number}",
                "name": name,
                "registration_code": None,
                "province_code": province,
                "ward_code": ward_code,
                "is_youth": is_youth,
                "member_count": members,
                "youth_member_count": rng.randint(0, members) if is_youth else 0,
                "description": f"Hợp tác xã tại {place}, {geo.province_name(province)}.",
                "status": status,
                "created_at": created,
                "updated_at": created,
                # Not columns: what the product generator needs.
                "_place": place,
                "_specialties": specialties,
                "_weight": rng.paretovariate(1.2),  # a few large cooperatives, many small ones
            }
        )
    return rows


def _products(rng: random.Random, catalogue: Catalogue, count: int, subs: dict[str, dict], now: datetime) -> None:
    coops = catalogue.cooperatives
    coop_weights = [c["_weight"] for c in coops]
    slugs = list(KINDS)
    category_weights = [CATEGORY_WEIGHTS[s] for s in slugs]
    qualifiers, qualifier_weights = zip(*QUALIFIERS)
    words = _phrases(DESCRIPTION_WORDS)
    word_weights = [1 / (rank + 1) ** 0.9 for rank in range(len(words))]
    vocabulary = _Vocabulary(words, word_weights, _phrases(RARE_PHRASES), _villages(), _phrases(GIVEN_NAMES))
    certifications = list(CERTIFICATIONS)
    span = YEARS_OF_HISTORY * 365 * 86400
    chosen_coops = rng.choices(coops, coop_weights, k=count)
    folded_forms: dict[str, str] = {}
    province_names = {c["province_code"]: geo.province_name(c["province_code"]) for c in coops}
    for number, coop in enumerate(chosen_coops, start=1):
        if rng.random() < 0.85:
            slug = rng.choice(coop["_specialties"])
        else:
            slug = rng.choices(slugs, category_weights)[0]
        category = subs[slug]
        kinds = KINDS[slug]
        kind = rng.choices(kinds, [1 / (i + 1) for i in range(len(kinds))])[0]
        parts = [kind]
        for qualifier in rng.choices(qualifiers, qualifier_weights, k=rng.choice((0, 1, 1, 2))):
            if qualifier not in parts:
                parts.append(qualifier)
        place = coop["_place"]
        if rng.random() < 0.6 and place not in kind:
            parts.append(place)
        name = " ".join(parts)
        province_name = province_names[coop["province_code"]]
        description = _description(rng, kind, place, vocabulary)
        created = now - timedelta(seconds=rng.uniform(0, span))
        ocop = rng.choices([None, 3, 4, 5], [55, 25, 15, 5])[0]
        stock = 0 if rng.random() < 0.12 else rng.randint(1, 800)
        status = rng.choices([ProductStatus.ACTIVE, ProductStatus.DRAFT, ProductStatus.ARCHIVED], [93, 4, 3])[0]
        price = PRICES[slug] * math.exp(rng.uniform(-1.1, 1.1))
        row = {
            "cooperative_id": coop["id"],
            "category_id": category["id"],
            "name": name,
            "slug": f"{slugify(name, max_length=100)}-{number}",
            "description": description,
            "unit": rng.choice(UNITS[slug]),
            "price_vnd": max(1000, int(price // 1000) * 1000),
            "stock": stock,
            "sku": f"B{number:07d}",
            "ocop_stars": ocop,
            "certifications": rng.sample(certifications, rng.choice((0, 0, 1, 1, 2))),
            "origin": f"{place}, {province_name}",
            "status": status,
            "is_featured": rng.random() < 0.02,
            "created_at": created,
            "updated_at": created,
        }
        catalogue.products.append(row)
        if status == ProductStatus.ACTIVE and coop["status"] == CooperativeStatus.APPROVED:
            catalogue.public.append(number - 1)
            searchable = " ".join(
                (
                    name,
                    description,
                    category["name"],
                    category["parent_name"],
                    coop["name"],
                    row["origin"],
                    province_name,
                )
            )
            _count_words(catalogue, analysis.words(searchable), analysis.words(name), folded_forms)


def _count_words(catalogue: Catalogue, searchable: list[str], name: list[str], folded_forms: dict) -> None:
    distinct = set(searchable)
    catalogue.frequency.update(distinct)
    folded = set()
    for word in distinct:
        form = folded_forms.get(word)
        if form is None:
            form = folded_forms[word] = analysis.fold(word)
        folded.add(form)
    catalogue.folded_frequency.update(folded)
    catalogue.name_frequency.update(set(name))
    catalogue.name_pairs.update(set(itertools.pairwise(name)))


@dataclass
class _Vocabulary:
    words: list[str]
    weights: list[float]
    rare: list[str]
    villages: list[str]
    given_names: list[str]


def _villages() -> list[str]:
    """Every ward and commune of Vietnam, without 'Xã'/'Phường': where seedlings come from."""
    names = set()
    for code, _name in geo.provinces():
        for _ward_code, ward in geo.wards(code):
            names.add(ward.split(" ", 1)[1] if ward.startswith(("Xã ", "Phường ")) else ward)
    return sorted(names)


def _extras(rng: random.Random, vocabulary: _Vocabulary) -> list[str]:
    """The long tail: a few products each name a village, a grower, a lot, a hamlet."""
    extras = []
    if rng.random() < 0.25:
        extras.append(f"giống từ {rng.choice(vocabulary.villages)}")
    if rng.random() < 0.2:
        extras.append(f"vườn {rng.choice(GROWER_TITLES)} {rng.choice(vocabulary.given_names)}")
    if rng.random() < 0.1:
        extras.append(f"lô {rng.choice('ABCDEGHKLMNPQRSTVX')}{rng.randint(100, 999)}")
    if rng.random() < 0.3:
        extras.append(
            rng.choice(
                (
                    f"vụ {rng.randint(2019, 2026)}",
                    f"cây {rng.randint(5, 60)} năm tuổi",
                    f"hạn dùng {rng.randint(3, 24)} tháng",
                    f"đóng gói {rng.randint(1, 20) * 50}g",
                )
            )
        )
    if rng.random() < 0.04:
        extras.append(rng.choice(vocabulary.rare))
    return extras


def _description(rng: random.Random, kind: str, place: str, vocabulary: _Vocabulary) -> str:
    length = rng.randint(20, 60)
    chosen = [kind.lower(), place, *_extras(rng, vocabulary)]
    size = sum(len(p.split()) for p in chosen)
    while size < length:
        batch = rng.choices(vocabulary.words, vocabulary.weights, k=8)
        chosen.extend(batch)
        size += sum(len(p.split()) for p in batch)
    head, tail = chosen[:2], chosen[2:]
    rng.shuffle(tail)
    chosen = head + tail
    sentences, start = [], 0
    while start < len(chosen):
        end = start + rng.randint(5, 12)
        sentence = " ".join(chosen[start:end])
        sentences.append(sentence[:1].upper() + sentence[1:] + ".")
        start = end
    return " ".join(sentences)


def cooperative_rows(catalogue: Catalogue) -> list[dict]:
    """Cooperative rows without the generator's private keys."""
    return [{k: v for k, v in row.items() if not k.startswith("_")} for row in catalogue.cooperatives]


def category_rows(catalogue: Catalogue) -> list[dict]:
    return [{k: row[k] for k in ("id", "parent_id", "name", "slug", "position")} for row in catalogue.categories]
