"""Loads the demo data set into the database; safe to run again.

Rows are found by their natural keys (agency name, email, slug, cooperative + SKU);
missing ones are created and existing ones left as people edited them, except the
demo accounts, which always get their printed password and role back.
Flushes, never commits: the caller commits once.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from marketplace.accounts.models import Agency, User
from marketplace.catalog.models import Category, Product, ProductImage, ProductStatus
from marketplace.cooperatives.importer import normalise_phone
from marketplace.cooperatives.models import (
    Cooperative,
    CooperativeStatus,
    CooperativeStatusChange,
)
from marketplace.core import geo
from marketplace.core.banks import normalise_account_name
from marketplace.core.models import utcnow
from marketplace.core.text import slugify
from marketplace.demo import data
from marketplace.demo.batches import load_batches
from marketplace.demo.certificates import load_certificates
from marketplace.demo.fairs import load_fairs
from marketplace.demo.images import product_picture
from marketplace.demo.program import load_program
from marketplace.demo.reviews import load_addresses, load_reviews
from marketplace.demo.sales import load_history_fairs, load_sales
from marketplace.extensions import db
from marketplace.fairs.models import Booth, Fair, FairVisit, OnSiteSale
from marketplace.orders.models import Order
from marketplace.program.models import (
    ProgramTarget,
    SupportedCooperative,
    TrainingClass,
)
from marketplace.promotion.models import ActivityChange, PromotionActivity
from marketplace.traceability.models import Batch, Certificate

logger = logging.getLogger(__name__)

# Drafts of cooperatives still waiting for approval; everything else is on sale.
_PRODUCT_STATUS = {
    CooperativeStatus.PENDING: ProductStatus.DRAFT,
    CooperativeStatus.NEEDS_DOCUMENTS: ProductStatus.DRAFT,
    CooperativeStatus.APPROVED: ProductStatus.ACTIVE,
    CooperativeStatus.SUSPENDED: ProductStatus.ACTIVE,
}


class DemoDataError(RuntimeError):
    """The demo data does not fit this installation (e.g. a ward missing from vietnam-provinces)."""


@dataclass
class DemoSummary:
    created_cooperatives: int = 0
    created_products: int = 0
    created_images: int = 0
    created_users: int = 0
    created_fairs: int = 0
    created_programme_records: int = 0  # targets, promotion activities, training classes, new cooperatives
    created_reviews: int = 0
    created_addresses: int = 0
    created_orders: int = 0  # the 2023-2025 sales history (demo.sales)
    created_certificates: int = 0  # OCOP and food-safety certificates (demo.certificates)
    created_batches: int = 0  # traceability lots (demo.batches)


def load_demo(image_width: int = 800) -> DemoSummary:
    """Create whatever part of the demo data is missing; returns what was created."""
    summary = DemoSummary()
    agencies = _agencies()
    categories = _categories()
    users = _users(agencies, summary)
    cooperatives = _cooperatives(users, summary)
    _managers(users, cooperatives)
    products = _products(cooperatives, categories, summary)
    _images(products, categories, image_width, summary)
    summary.created_certificates = load_certificates()  # the products' OCOP stars come from them
    summary.created_fairs = load_fairs()
    past_fairs = load_history_fairs()  # before the programme: its activities link them
    summary.created_fairs += len(past_fairs)
    summary.created_programme_records = load_program()
    summary.created_orders = load_sales(past_fairs)  # 2023-2025, of the fairs just created
    summary.created_reviews = load_reviews()  # of the fairs' delivered orders
    summary.created_addresses = load_addresses()
    summary.created_batches = load_batches()
    db.session.flush()
    logger.info("Demo data loaded: %s", summary)
    return summary


def _agencies() -> dict[str, Agency]:
    agencies = {}
    for name, kind in data.AGENCIES:
        agency = db.session.scalar(select(Agency).where(Agency.name == name))
        if agency is None:
            agency = Agency(name=name, kind=kind)
            db.session.add(agency)
        agencies[name] = agency
    return agencies


def _categories() -> dict[str, Category]:
    existing = {c.slug: c for c in db.session.scalars(select(Category))}
    for position, item in enumerate(data.CATEGORIES):
        if item.slug not in existing:
            category = Category(
                slug=item.slug,
                name=item.name,
                parent=existing.get(item.parent) if item.parent else None,
                position=position,
            )
            db.session.add(category)
            existing[item.slug] = category
    return existing


def _users(agencies: dict[str, Agency], summary: DemoSummary) -> dict[str, User]:
    hashes = _DemoPasswords()
    users = {}
    for item in data.USERS:
        user = db.session.scalar(select(User).where(User.email == item.email))
        if user is None:
            user = User(email=item.email, full_name=item.full_name, phone=_phone(item.phone))
            db.session.add(user)
            summary.created_users += 1
        # The demo accounts must work as printed, even after someone changed a password.
        hashes.ensure(user, item.password)
        user.role = item.role
        user.active = True
        user.agency = agencies[item.agency] if item.agency else None
        users[item.email] = user
    return users


class _DemoPasswords:
    """Hashing is slow on purpose; accounts sharing a demo password share one hash."""

    def __init__(self):
        self.known: dict[str, set[str]] = {}

    def ensure(self, user: User, password: str) -> None:
        known = self.known.setdefault(password, set())
        if user.password_hash in known:
            return
        if user.password_hash and user.check_password(password):
            known.add(user.password_hash)
        elif known:
            user.password_hash = next(iter(known))
        else:
            user.set_password(password)
            known.add(user.password_hash)


def _cooperatives(users: dict[str, User], summary: DemoSummary) -> dict[str, Cooperative]:
    province = geo.find_province(data.PROVINCE)
    if province is None:
        raise DemoDataError(f"Province {data.PROVINCE!r} is not in vietnam-provinces")
    reviewers = {
        CooperativeStatus.APPROVED: users[f"tinhdoan@{data.EMAIL_DOMAIN}"],
        CooperativeStatus.SUSPENDED: users[f"lienminh@{data.EMAIL_DOMAIN}"],
        CooperativeStatus.NEEDS_DOCUMENTS: users[f"lienminh@{data.EMAIL_DOMAIN}"],
    }
    existing = {c.slug: c for c in db.session.scalars(select(Cooperative))}
    cooperatives = {}
    for index, item in enumerate(data.COOPERATIVES):
        cooperative = existing.get(item.slug)
        if cooperative is None:
            ward = geo.find_ward(province, item.ward)
            if ward is None:
                raise DemoDataError(f"Ward {item.ward!r} of {data.PROVINCE} is not in vietnam-provinces")
            cooperative = Cooperative(
                slug=item.slug,
                name=item.name,
                registration_code=item.registration_code,
                province_code=province,
                ward_code=ward,
                street=item.street,
                founded_on=item.founded_on,
                is_youth=item.is_youth,
                member_count=item.members,
                youth_member_count=item.youth_members,
                representative=item.representative,
                phone=_phone(item.phone),
                email=item.email,
                description=item.description,
                status=CooperativeStatus.PENDING,
                created_at=utcnow() - timedelta(days=200 - index * 10),
                **_delivery_and_bank(item),
            )
            db.session.add(cooperative)
            _record_history(cooperative, item, reviewers, when=cooperative.created_at)
            summary.created_cooperatives += 1
        cooperatives[item.slug] = cooperative
    return cooperatives


def _delivery_and_bank(item: data.CooperativeData) -> dict:
    """Delivery terms and the VietQR bank account, set when the cooperative is created only."""
    terms = data.DELIVERY[item.slug]
    return {
        "delivery_fee_vnd": terms.fee_vnd,
        "free_delivery_from_vnd": terms.free_from_vnd,
        "offers_pickup": terms.pickup,
        "bank_bin": terms.bank_bin,
        "bank_account_number": terms.account_number,
        "bank_account_name": normalise_account_name(item.name) if terms.account_number else None,
    }


def _record_history(cooperative: Cooperative, item: data.CooperativeData, reviewers, when: datetime) -> None:
    """Approved (and, for the suspended one, later suspended) by the agencies' staff; the one
    awaiting documents was asked for them, its request in the history."""
    steps = {
        CooperativeStatus.PENDING: [],
        CooperativeStatus.NEEDS_DOCUMENTS: [(CooperativeStatus.NEEDS_DOCUMENTS, item.status_reason)],
        CooperativeStatus.APPROVED: [(CooperativeStatus.APPROVED, item.status_reason)],
        CooperativeStatus.SUSPENDED: [
            (CooperativeStatus.APPROVED, "Hồ sơ đầy đủ, đáp ứng tiêu chí hợp tác xã."),
            (CooperativeStatus.SUSPENDED, item.status_reason),
        ],
    }[item.status]
    for days, (status, reason) in enumerate(steps, start=1):
        changed_at = when + timedelta(days=3 * days)
        reviewer = reviewers[status]
        cooperative.status_changes.append(
            CooperativeStatusChange(
                from_status=cooperative.status,
                to_status=status,
                reason=reason,
                changed_by=reviewer,
                created_at=changed_at,
            )
        )
        cooperative.status = status
        cooperative.status_reason = reason
        cooperative.status_changed_by = reviewer
        cooperative.status_changed_at = changed_at


def _managers(users: dict[str, User], cooperatives: dict[str, Cooperative]) -> None:
    for item in data.USERS:
        user = users[item.email]
        for slug in item.cooperatives:
            if cooperatives[slug] not in user.cooperatives:
                user.cooperatives.append(cooperatives[slug])
        if item.cooperatives and cooperatives[item.cooperatives[0]].created_by is None:
            cooperatives[item.cooperatives[0]].created_by = user


def _products(
    cooperatives: dict[str, Cooperative], categories: dict[str, Category], summary: DemoSummary
) -> list[tuple[Product, data.CooperativeData]]:
    existing = {(p.cooperative_id, p.sku): p for p in db.session.scalars(select(Product))}
    slugs = set(db.session.scalars(select(Product.slug)))
    now = utcnow()
    products = []
    for coop_index, item in enumerate(data.COOPERATIVES):
        cooperative = cooperatives[item.slug]
        for position, product_data in enumerate(item.products):
            # Spread over the last weeks, cooperatives taking turns, so "newest first" shows a mix.
            age = timedelta(hours=5 * (position * len(data.COOPERATIVES) + coop_index) + 1)
            product = existing.get((cooperative.id, product_data.sku)) if cooperative.id else None
            if product is None:
                product = Product(
                    cooperative=cooperative,
                    category=categories[product_data.category],
                    sku=product_data.sku,
                    slug=_unique_slug(product_data.name, slugs),
                    name=product_data.name,
                    description=product_data.description,
                    unit=product_data.unit,
                    price_vnd=product_data.price_vnd,
                    stock=product_data.stock,
                    ocop_stars=product_data.ocop_stars,
                    certifications=list(product_data.certifications),
                    origin=product_data.origin or item.place,
                    status=_PRODUCT_STATUS[item.status],
                    is_featured=product_data.featured,
                    created_at=now - age,
                )
                db.session.add(product)
                summary.created_products += 1
            products.append((product, item))
    return products


def _unique_slug(name: str, taken: set[str]) -> str:
    base = slugify(name, 110)
    slug, n = base, 1
    while slug in taken:
        n += 1
        slug = f"{base}-{n}"
    taken.add(slug)
    return slug


def _images(
    products: list[tuple[Product, data.CooperativeData]],
    categories: dict[str, Category],
    width: int,
    summary: DemoSummary,
) -> None:
    # Imported late: the image helpers need the app's upload folder, not needed for the rest.
    from marketplace.catalog.images import add_product_image

    db.session.flush()
    with_images = set(db.session.scalars(select(ProductImage.product_id).group_by(ProductImage.product_id)))
    looks = {c.slug: c for c in data.CATEGORIES}
    for product, item in products:
        if product.id in with_images:
            continue
        sub = looks.get(product.category.slug)
        top = looks.get(product.category.parent.slug) if product.category.parent else sub
        picture = product_picture(
            product.name,
            caption=f"{item.name} · {product.unit}",
            colours=(top.colours if top and top.colours else None) or ("#3f7d58", "#a7d3a6"),
            motif=(sub.motif if sub and sub.motif else "leaves"),
            width=width,
        )
        add_product_image(product, io.BytesIO(picture), alt_text=f"{product.name} – {item.name}")
        summary.created_images += 1


def _phone(value: str | None) -> str | None:
    return normalise_phone(value) if value else None


def demo_counts() -> dict[str, int]:
    """Row counts, to show (and test) that loading twice adds nothing."""
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (
            Agency,
            User,
            Category,
            Cooperative,
            CooperativeStatusChange,
            Product,
            ProductImage,
            Certificate,
            Fair,
            Booth,
            FairVisit,
            OnSiteSale,
            Order,
            PromotionActivity,
            ActivityChange,
            ProgramTarget,
            TrainingClass,
            SupportedCooperative,
            Batch,
        )
    }
