"""A small world for promotion tests: two agencies with staff, approved and pending cooperatives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from marketplace.accounts.models import AgencyKind, Role
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.promotion import services
from tests import factories as make


@dataclass
class World:
    youth_union: object
    alliance: object
    third: object
    yu_staff: object
    yu_staff2: object
    ca_staff: object
    other_staff: object
    lone_staff: object
    admin: object
    customer: object
    coop_a: object
    coop_b: object
    pending: object
    product_a: object
    product_b: object
    manager_a: object
    manager_b: object


def build_world() -> World:
    youth_union = make.agency("Tỉnh đoàn Bắc Ninh", AgencyKind.YOUTH_UNION)
    alliance = make.agency("Liên minh HTX Bắc Ninh", AgencyKind.COOPERATIVE_ALLIANCE)
    third = make.agency("Sở Công Thương", AgencyKind.OTHER)
    coop_a = make.cooperative("HTX Vải thiều Lục Ngạn", slug="htx-vai-thieu")
    coop_b = make.cooperative("HTX Gà đồi", slug="htx-ga-doi")
    pending = make.cooperative("HTX Chờ duyệt", slug="htx-cho-duyet", status=CooperativeStatus.PENDING)
    world = World(
        youth_union=youth_union,
        alliance=alliance,
        third=third,
        yu_staff=make.staff(youth_union, email="doan@example.vn"),
        yu_staff2=make.staff(youth_union, email="doan2@example.vn"),
        ca_staff=make.staff(alliance, email="lienminh@example.vn"),
        other_staff=make.staff(third, email="congthuong@example.vn"),
        lone_staff=make.user(Role.AGENCY_STAFF, email="khong-co-co-quan@example.vn"),
        admin=make.admin(email="admin@example.vn"),
        customer=make.user(email="khach@example.vn"),
        coop_a=coop_a,
        coop_b=coop_b,
        pending=pending,
        product_a=make.product(coop_a, name="Vải thiều sấy", sku="VT-01"),
        product_b=make.product(coop_b, name="Gà đồi", sku="GA-01"),
        manager_a=make.manager(coop_a, email="quanly-a@example.vn"),
        manager_b=make.manager(coop_b, email="quanly-b@example.vn"),
    )
    return world


def activity_input(world: World, **overrides) -> services.ActivityInput:
    values = {
        "type": "livestream_sale",
        "title": "Livestream vải thiều 2025",
        "start_date": date(2025, 6, 10),
        "end_date": date(2025, 6, 12),
        "province_code": make.BAC_NINH,
        "ward_code": make.LUC_NGAN,
        "agencies": [world.youth_union],
        "organising_unit": "Ban Thanh niên nông thôn",
        "cooperatives": [world.coop_a],
        "products": [world.product_a],
        "budget_vnd": 20_000_000,
        "visitors": 1500,
        "business_contacts": 12,
        "contracts_count": 2,
        "contracts_value_vnd": 300_000_000,
        "sales_vnd": 45_000_000,
        "media_items": 3,
        "notes": "",
    }
    values.update(overrides)
    return services.ActivityInput(**values)
