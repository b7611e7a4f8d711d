"""A small hand-made catalogue whose search results and facet counts are known exactly."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from marketplace.catalog.models import ProductStatus
from marketplace.cooperatives.models import CooperativeStatus
from tests import factories


@pytest.fixture
def catalogue(app):
    """Two provinces, three cooperatives (one pending), two top categories with children.

    Public products: vải thiều, đường phèn, gà đồi, mật ong (sold out), gạo tám, ô mai.
    Not public: a draft, an archived product, a product of the pending cooperative.
    """
    f = factories
    fruit = f.category("Trái cây", slug="trai-cay")
    lychee = f.category("Vải thiều", parent=fruit, slug="vai-thieu")
    food = f.category("Thực phẩm", slug="thuc-pham")
    sweets = f.category("Bánh kẹo", parent=food, slug="banh-keo")
    poultry = f.category("Gia cầm", parent=food, slug="gia-cam")
    luc_ngan = f.cooperative("HTX Thanh niên Lục Ngạn", slug="htx-luc-ngan")
    ha_noi = f.cooperative(
        "HTX Nông sản Sóc Sơn", slug="htx-soc-son", province_code=f.HA_NOI, ward_code=_a_ward(f.HA_NOI), is_youth=False
    )
    pending = f.cooperative("HTX Chờ duyệt", slug="htx-cho", status=CooperativeStatus.PENDING)
    p = SimpleNamespace(fruit=fruit, lychee=lychee, food=food, sweets=sweets, poultry=poultry)
    p.luc_ngan, p.ha_noi, p.pending = luc_ngan, ha_noi, pending
    p.vai = f.product(
        luc_ngan,
        lychee,
        name="Vải thiều Lục Ngạn",
        description="Quả to, cùi dày, ngọt lịm.",
        price_vnd=45_000,
        ocop_stars=4,
        slug="vai-thieu-luc-ngan",
    )
    p.duong = f.product(
        ha_noi,
        sweets,
        name="Đường phèn",
        description="Đường phèn trắng nấu từ mía.",
        price_vnd=60_000,
        slug="duong-phen",
    )
    p.ga = f.product(
        luc_ngan,
        poultry,
        name="Gà đồi Yên Thế",
        description="Gà thả vườn trên đồi.",
        price_vnd=180_000,
        ocop_stars=3,
        slug="ga-doi",
    )
    p.mat_ong = f.product(
        ha_noi,
        sweets,
        name="Mật ong hoa vải",
        description="Ong nuôi dưới vườn vải.",
        price_vnd=200_000,
        stock=0,
        ocop_stars=5,
        slug="mat-ong",
    )
    p.gao = f.product(
        ha_noi, food, name="Gạo tám thơm", description="Gạo ngon, hạt ga nhỏ đều.", price_vnd=30_000, slug="gao-tam"
    )
    p.o_mai = f.product(
        luc_ngan, sweets, name="Ô mai mơ", description="Ô mai an toàn cho trẻ nhỏ.", price_vnd=80_000, slug="o-mai"
    )
    p.draft = f.product(luc_ngan, lychee, name="Vải sấy khô", status=ProductStatus.DRAFT, slug="vai-say")
    p.archived = f.product(luc_ngan, lychee, name="Vải thiều cũ", status=ProductStatus.ARCHIVED, slug="vai-cu")
    p.hidden = f.product(pending, lychee, name="Vải thiều chờ duyệt", slug="vai-cho")
    f.commit()
    return p


def _a_ward(province_code: int) -> int:
    from marketplace.core import geo

    return geo.wards(province_code)[0][0]
