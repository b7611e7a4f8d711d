"""Categories, products and their photos."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import enum_column, utcnow
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.cooperatives.models import Cooperative

# Selling units as Vietnamese shoppers read them; stored as written here.
UNITS = ["kg", "g", "hộp", "chai", "túi", "gói", "hũ", "bó", "con", "quả", "lít", "cái", "bộ", "thùng", "chiếc"]

# Stored keys -> labels shown to people.
CERTIFICATIONS = {
    "vietgap": "VietGAP",
    "globalgap": "GlobalGAP",
    "organic": _l("Organic"),
    "haccp": "HACCP",
    "iso22000": "ISO 22000",
    "geographical_indication": _l("Geographical indication"),
}

OCOP_STARS = (3, 4, 5)


class ProductStatus(str, enum.Enum):
    DRAFT = "draft"
    ACTIVE = "active"
    ARCHIVED = "archived"


class Category(db.Model):
    """Two levels: a top category and its sub-categories (checked in catalog.services)."""

    __tablename__ = "categories"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("categories.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    position: Mapped[int] = mapped_column(default=0)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(
        back_populates="parent", order_by="Category.position, Category.name"
    )
    products: Mapped[list[Product]] = relationship(back_populates="category")

    def __repr__(self) -> str:
        return f"<Category {self.slug!r}>"


class Product(db.Model):
    __tablename__ = "products"
    __table_args__ = (
        sa.UniqueConstraint("cooperative_id", "sku"),
        # A cooperative's SKUs differ by more than their case: "abc-1" is "ABC-1".
        sa.Index("uq_products_cooperative_id_lower_sku", "cooperative_id", sa.text("lower(sku)"), unique=True),
        sa.CheckConstraint("stock >= 0", name="stock_not_negative"),
        sa.CheckConstraint("price_vnd >= 0", name="price_not_negative"),
        sa.CheckConstraint("ocop_stars IS NULL OR (ocop_stars >= 3 AND ocop_stars <= 5)", name="ocop_stars_range"),
        sa.Index("ix_products_status_created_at", "status", "created_at"),
        # The storefront's filters with its sorts: a category's or a cooperative's newest,
        # the price sorts, the home page's featured products.
        sa.Index("ix_products_category_id_created_at", "category_id", "created_at"),
        sa.Index("ix_products_cooperative_id_created_at", "cooperative_id", "created_at"),
        sa.Index("ix_products_status_price_vnd", "status", "price_vnd"),
        sa.Index("ix_products_is_featured_created_at", "is_featured", "created_at"),
        # An index, not a constraint: adding it leaves the table as it is on SQLite (a batch
        # rebuild there would drop the expression index above).
        sa.Index("uq_products_gtin", "gtin", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(sa.ForeignKey("cooperatives.id", ondelete="RESTRICT"), index=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("categories.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    description: Mapped[str] = mapped_column(sa.Text, default="")
    unit: Mapped[str] = mapped_column(sa.String(20))
    # Whole đồng. VND has no minor unit; BigInteger leaves room for wholesale lots.
    price_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    stock: Mapped[int] = mapped_column(default=0)
    # Set once the product has a batch (traceability): its stock is then the sum of its open
    # batches' stock, every unit taken is taken from a batch (catalog.lots), and the stock is
    # changed on the batches page rather than by the product form or the CSV import.
    stock_by_batch: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    sku: Mapped[str] = mapped_column(sa.String(64))
    # The product's GS1 trade item number (GTIN-8/12/13/14, stored as 14 digits) when it has one:
    # its batches' pack QR codes then follow the GS1 Digital Link form /01/<GTIN>/10/<lot>.
    gtin: Mapped[str | None] = mapped_column(sa.String(14))
    ocop_stars: Mapped[int | None] = mapped_column(sa.SmallInteger)
    certifications: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    origin: Mapped[str] = mapped_column(sa.String(200), default="")
    status: Mapped[ProductStatus] = mapped_column(enum_column(ProductStatus), default=ProductStatus.DRAFT)
    is_featured: Mapped[bool] = mapped_column(default=False)
    # Denormalised figures shown on cards: units in delivered or completed order parts
    # (orders.services), and the visible reviews' count and sum of ratings (reviews.services).
    units_sold: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_count: Mapped[int] = mapped_column(default=0, server_default="0")
    rating_sum: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    cooperative: Mapped[Cooperative] = relationship(back_populates="products")
    category: Mapped[Category] = relationship(back_populates="products")
    images: Mapped[list[ProductImage]] = relationship(
        back_populates="product", order_by="ProductImage.position", cascade="all, delete-orphan"
    )

    @property
    def is_public(self) -> bool:
        return self.status == ProductStatus.ACTIVE and self.cooperative.is_approved

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def main_image(self) -> ProductImage | None:
        return self.images[0] if self.images else None

    @property
    def rating_average(self) -> float | None:
        return self.rating_sum / self.rating_count if self.rating_count else None

    @property
    def certification_labels(self) -> list[str]:
        return [str(CERTIFICATIONS[c]) for c in self.certifications or [] if c in CERTIFICATIONS]

    def __repr__(self) -> str:
        return f"<Product {self.slug!r}>"


class ProductImage(db.Model):
    """A product photo. Files live in UPLOAD_FOLDER as `<stem>-<size>.webp`, re-encoded by Pillow."""

    __tablename__ = "product_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    stem: Mapped[str] = mapped_column(sa.String(64), unique=True)
    alt_text: Mapped[str] = mapped_column(sa.String(200), default="")
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship(back_populates="images")
