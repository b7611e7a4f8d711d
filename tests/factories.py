"""Small builders for test data. Each flushes (so ids exist) and commits nothing itself,
except `commit()` for tests that then go through HTTP."""

from __future__ import annotations

import itertools
from datetime import date

from marketplace.accounts.models import Agency, AgencyKind, Role, User
from marketplace.catalog.models import Category, Product, ProductStatus
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.core import geo
from marketplace.extensions import db

PASSWORD = "mat-khau-an-toan-123"
_counter = itertools.count(1)

BAC_NINH = geo.find_province("Bắc Ninh")
LUC_NGAN = geo.find_ward(BAC_NINH, "Lục Ngạn")
HA_NOI = geo.find_province("Hà Nội")


def commit() -> None:
    db.session.commit()


def agency(name: str | None = None, kind: AgencyKind = AgencyKind.YOUTH_UNION) -> Agency:
    a = Agency(name=name or f"Tỉnh đoàn {next(_counter)}", kind=kind)
    db.session.add(a)
    db.session.flush()
    return a


def user(role: Role = Role.CUSTOMER, email: str | None = None, password: str = PASSWORD, **fields) -> User:
    n = next(_counter)
    u = User(
        email=email or f"user{n}@example.vn", full_name=fields.pop("full_name", f"Nguyễn Văn {n}"), role=role, **fields
    )
    u.set_password(password)
    db.session.add(u)
    db.session.flush()
    return u


def manager(cooperative: Cooperative, **fields) -> User:
    u = user(Role.COOPERATIVE_MANAGER, **fields)
    u.cooperatives.append(cooperative)
    db.session.flush()
    return u


def staff(agency_obj: Agency | None = None, **fields) -> User:
    return user(Role.AGENCY_STAFF, agency=agency_obj or agency(), **fields)


def admin(**fields) -> User:
    return user(Role.ADMIN, **fields)


def cooperative(
    name: str | None = None, status: CooperativeStatus = CooperativeStatus.APPROVED, **fields
) -> Cooperative:
    n = next(_counter)
    name = name or f"HTX Thanh niên số {n}"
    c = Cooperative(
        name=name,
        slug=fields.pop("slug", f"htx-{n}"),
        province_code=fields.pop("province_code", BAC_NINH),
        ward_code=fields.pop("ward_code", LUC_NGAN),
        founded_on=fields.pop("founded_on", date(2023, 5, 1)),
        is_youth=fields.pop("is_youth", True),
        member_count=fields.pop("member_count", 10),
        youth_member_count=fields.pop("youth_member_count", 7),
        status=status,
        **fields,
    )
    db.session.add(c)
    db.session.flush()
    return c


def category(name: str | None = None, parent: Category | None = None, **fields) -> Category:
    n = next(_counter)
    name = name or f"Danh mục {n}"
    c = Category(name=name, slug=fields.pop("slug", f"danh-muc-{n}"), parent=parent, **fields)
    db.session.add(c)
    db.session.flush()
    return c


def product(
    cooperative_obj: Cooperative | None = None,
    category_obj: Category | None = None,
    status: ProductStatus = ProductStatus.ACTIVE,
    **fields,
) -> Product:
    n = next(_counter)
    p = Product(
        cooperative=cooperative_obj or cooperative(),
        category=category_obj or category(),
        name=fields.pop("name", f"Sản phẩm {n}"),
        slug=fields.pop("slug", f"san-pham-{n}"),
        sku=fields.pop("sku", f"SKU-{n}"),
        unit=fields.pop("unit", "kg"),
        price_vnd=fields.pop("price_vnd", 150_000),
        stock=fields.pop("stock", 10),
        status=status,
        **fields,
    )
    db.session.add(p)
    db.session.flush()
    return p


def checkout(**fields):
    """A valid Checkout (cash on delivery to Lục Ngạn, Bắc Ninh) with `fields` changed."""
    from marketplace.orders.services import Checkout

    values = {
        "name": "Nguyễn Thị Lan",
        "phone": "0912 345 678",
        "email": "Lan.Nguyen@example.vn",
        "province_code": BAC_NINH,
        "ward_code": LUC_NGAN,
        "street": "Số 12, thôn Đồng Cốc",
        "payment_method": "cod",
    }
    values.update(fields)
    return Checkout(**values)


def order(lines, **fields):
    """A placed order of [(product, quantity)] with a valid checkout (see checkout())."""
    from marketplace.orders.services import place_order

    user_obj = fields.pop("user", None)
    return place_order([(p.id, q) for p, q in lines], checkout(**fields), user=user_obj)


def fair(
    name: str | None = None,
    *,
    starts_at=None,
    ends_at=None,
    status=None,
    organisers=(),
    **fields,
):
    """A published trade fair in Bắc Ninh, on now unless told otherwise (times naive UTC)."""
    from datetime import timedelta

    from marketplace.core.models import utcnow
    from marketplace.fairs.models import Fair, FairKind, FairStatus

    n = next(_counter)
    now = utcnow()
    starts_at = starts_at or now - timedelta(days=1)
    f = Fair(
        name=name or f"Hội chợ nông sản {n}",
        slug=fields.pop("slug", f"hoi-cho-{n}"),
        kind=fields.pop("kind", FairKind.TRADE_FAIR),
        status=status or FairStatus.PUBLISHED,
        venue=fields.pop("venue", "Nhà thi đấu tỉnh"),
        province_code=fields.pop("province_code", BAC_NINH),
        ward_code=fields.pop("ward_code", LUC_NGAN),
        starts_at=starts_at,
        ends_at=ends_at or starts_at + timedelta(days=3),
        code=fields.pop("code", f"F{n:05d}"),
        **fields,
    )
    f.organisers.extend(organisers)
    db.session.add(f)
    db.session.flush()
    return f


def booth(fair_obj, cooperative_obj, products=(), *, number: str | None = None, status=None, **fields):
    """An approved booth showcasing `products`: each a Product or a (Product, fair price) pair."""
    from marketplace.fairs.models import Booth, BoothProduct, BoothStatus

    n = next(_counter)
    b = Booth(
        fair=fair_obj,
        cooperative=cooperative_obj,
        status=status or BoothStatus.APPROVED,
        number=number if number is not None else f"A{n}",
        code=fields.pop("code", f"B{n:05d}"),
        **fields,
    )
    for item in products:
        showcased, price = item if isinstance(item, tuple) else (item, None)
        b.products.append(BoothProduct(product=showcased, fair_price_vnd=price))
    db.session.add(b)
    db.session.flush()
    return b
