"""Business actions on listings and categories. Each validates, changes, flushes; never commits."""

from __future__ import annotations

import logging

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, or_, select

from marketplace.catalog.models import CERTIFICATIONS, OCOP_STARS, UNITS, Category, Product, ProductStatus
from marketplace.cooperatives.models import Cooperative
from marketplace.core.errors import Refused
from marketplace.core.models import unique_slug
from marketplace.core.text import fold_accents, normalize_name
from marketplace.extensions import db

logger = logging.getLogger(__name__)

PRODUCT_FIELDS = (
    "name",
    "category_id",
    "description",
    "unit",
    "price_vnd",
    "stock",
    "sku",
    # Not ocop_stars: set only from valid OCOP certificates (traceability.certificates).
    "certifications",
    "origin",
    "status",
)
EDITABLE_STATUSES = (ProductStatus.DRAFT, ProductStatus.ACTIVE)


class CatalogError(Refused):
    """A refused change. `field` names the form field it concerns, when there is one."""


# --- products ---------------------------------------------------------------------------


def unique_product_slug(name: str, exclude_id: int | None = None) -> str:
    return unique_slug(Product, name, max_length=100, exclude_id=exclude_id)


def sku_taken(cooperative: Cooperative, sku: str, exclude_id: int | None = None) -> bool:
    """Is the SKU another product's of the cooperative, ignoring case ("abc-1" is "ABC-1")?"""
    query = select(Product.id).where(
        Product.cooperative_id == cooperative.id, func.lower(Product.sku) == sku.strip().lower()
    )
    if exclude_id is not None:
        query = query.where(Product.id != exclude_id)
    return db.session.scalar(query) is not None


def _check_whole(value, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise CatalogError(_("%(label)s must be a whole number.", label=label), field)
    if value < 0:
        raise CatalogError(_("%(label)s cannot be negative.", label=label), field)
    return value


def _apply(product: Product, data: dict) -> None:
    # No autoflush: a half-edited product must not reach the database before it is checked.
    with db.session.no_autoflush:
        _assign(product, data)
        _check_product(product)


def _assign(product: Product, data: dict) -> None:
    for name in PRODUCT_FIELDS:
        if name in data:
            value = data[name]
            if isinstance(value, str):
                value = value.strip()
            setattr(product, name, value)
    if "category_id" in data:
        product.category = db.session.get(Category, product.category_id) if product.category_id else None
    if "status" in data:
        product.status = ProductStatus(product.status)


def _check_product(product: Product) -> None:
    if not (product.name or "").strip():
        raise CatalogError(_("Enter the product name."), "name")
    if product.category is None:
        raise CatalogError(_("Choose a category."), "category_id")
    if product.unit not in UNITS:
        raise CatalogError(_("Choose a selling unit from the list."), "unit")
    _check_whole(product.price_vnd, "price_vnd", _("The price"))
    _check_whole(product.stock, "stock", _("The stock"))
    if not (product.sku or "").strip():
        raise CatalogError(_("Enter a product code (SKU)."), "sku")
    if sku_taken(product.cooperative, product.sku, product.id):
        raise CatalogError(
            _(
                "Another product of this cooperative already uses this SKU (capital and small letters count as the same)."
            ),
            "sku",
        )
    if product.ocop_stars is not None and product.ocop_stars not in OCOP_STARS:
        raise CatalogError(_("The OCOP rating is 3, 4 or 5 stars, or none."), "ocop_stars")
    unknown = [c for c in product.certifications or [] if c not in CERTIFICATIONS]
    if unknown:
        raise CatalogError(_("Unknown certification: %(names)s", names=", ".join(unknown)), "certifications")
    product.certifications = list(dict.fromkeys(product.certifications or []))
    product.description = product.description or ""
    product.origin = product.origin or ""


def create_product(cooperative: Cooperative, data: dict) -> Product:
    """A new listing of the cooperative (draft or active). Pending cooperatives may prepare them."""
    product = Product(cooperative=cooperative, certifications=[], description="", origin="")
    data = {"status": ProductStatus.DRAFT, **data}
    if ProductStatus(data["status"]) not in EDITABLE_STATUSES:
        raise CatalogError(_("A new product is a draft or active."), "status")
    _apply(product, data)
    # The product hangs off cooperative.products but is not in the session yet:
    # the slug query must not autoflush before it is added.
    with db.session.no_autoflush:
        product.slug = unique_product_slug(product.name)
    db.session.add(product)
    db.session.flush()
    logger.info("Product %s created for cooperative %s", product.slug, cooperative.slug)
    return product


def update_product(product: Product, data: dict) -> Product:
    """Edit a listing. An archived listing stays archived until it is restored."""
    data = dict(data)
    if product.status == ProductStatus.ARCHIVED:
        data.pop("status", None)
    elif "status" in data and ProductStatus(data["status"]) not in EDITABLE_STATUSES:
        raise CatalogError(_("Use the archive button to archive a product."), "status")
    if product.stock_by_batch:  # its stock is the sum of its batches' (traceability), set there
        data.pop("stock", None)
    old_name = product.name
    _apply(product, data)
    if product.name != old_name:
        product.slug = unique_product_slug(product.name, product.id)
    db.session.flush()
    logger.info("Product %s updated", product.id)
    return product


def archive_product(product: Product) -> None:
    if product.status == ProductStatus.ARCHIVED:
        raise CatalogError(_("This product is already archived."))
    product.status = ProductStatus.ARCHIVED
    db.session.flush()
    logger.info("Product %s archived", product.id)


def restore_product(product: Product) -> None:
    """Archived -> draft: the manager checks it before putting it on sale again."""
    if product.status != ProductStatus.ARCHIVED:
        raise CatalogError(_("Only archived products can be restored."))
    product.status = ProductStatus.DRAFT
    db.session.flush()
    logger.info("Product %s restored", product.id)


def _check_stock_not_by_batch(product: Product, stock: int) -> None:
    if product.stock_by_batch and stock != product.stock:
        raise CatalogError(
            _("This product's stock is the sum of its batches: change it on the product's batches page."), "stock"
        )


def set_stock(product: Product, stock: int) -> None:
    stock = _check_whole(stock, "stock", _("The stock"))
    _check_stock_not_by_batch(product, stock)
    product.stock = stock
    db.session.flush()
    logger.info("Product %s stock set to %s", product.id, stock)


def set_price(product: Product, price_vnd: int) -> None:
    product.price_vnd = _check_whole(price_vnd, "price_vnd", _("The price"))
    db.session.flush()
    logger.info("Product %s price set to %s", product.id, price_vnd)


def cooperative_products_query(cooperative: Cooperative, status: ProductStatus | None = None, search: str = ""):
    """The cooperative's own listings, newest first, optionally filtered by status and name/SKU."""
    query = select(Product).where(Product.cooperative_id == cooperative.id)
    if status is not None:
        query = query.where(Product.status == status)
    search = (search or "").strip()
    if search:
        pattern = f"%{search.lower()}%"
        folded = f"%{fold_accents(search).lower()}%"
        query = query.where(
            or_(
                func.lower(Product.name).like(pattern),
                func.lower(Product.slug).like(folded.replace(" ", "-")),
                func.lower(Product.sku).like(pattern),
            )
        )
    return query.order_by(Product.updated_at.desc(), Product.id.desc())


# --- categories -------------------------------------------------------------------------


def top_categories() -> list[Category]:
    return list(
        db.session.scalars(
            select(Category).where(Category.parent_id.is_(None)).order_by(Category.position, Category.name)
        ).all()
    )


def unique_category_slug(name: str, exclude_id: int | None = None) -> str:
    return unique_slug(Category, name, max_length=90, exclude_id=exclude_id)


def _check_parent(category: Category, parent: Category | None) -> None:
    """Two levels only: a parent is a top category, and a category with children stays on top."""
    if parent is None:
        return
    if parent.id is not None and parent.id == category.id:
        raise CatalogError(_("A category cannot be its own parent."), "parent_id")
    if parent.parent_id is not None:
        raise CatalogError(_("Choose a top category as parent: categories have two levels only."), "parent_id")
    if category.id is not None and category.children:
        raise CatalogError(_("This category has sub-categories, so it must stay a top category."), "parent_id")


def _sibling_name_taken(name: str, parent: Category | None, exclude_id: int | None) -> bool:
    """Compared as the CSV importer finds categories: ignoring case, accents and spacing."""
    query = select(Category).where(Category.parent_id.is_(None) if parent is None else Category.parent_id == parent.id)
    wanted = normalize_name(name)
    return any(normalize_name(c.name) == wanted and c.id != exclude_id for c in db.session.scalars(query))


def _save_category(category: Category, name: str, parent: Category | None, position: int | None) -> None:
    with db.session.no_autoflush:
        _assign_category(category, name, parent, position)


def _assign_category(category: Category, name: str, parent: Category | None, position: int | None) -> None:
    name = (name or "").strip()
    if not name:
        raise CatalogError(_("Enter a name."), "name")
    _check_parent(category, parent)
    if _sibling_name_taken(name, parent, category.id):
        raise CatalogError(_("A category with this name already exists here."), "name")
    renamed = category.name != name
    category.name = name
    category.parent = parent
    category.position = position or 0
    if category.id is None or renamed:
        category.slug = unique_category_slug(name, category.id)


def create_category(name: str, parent: Category | None = None, position: int | None = 0) -> Category:
    category = Category()
    _save_category(category, name, parent, position)
    db.session.add(category)
    db.session.flush()
    logger.info("Category %s created", category.slug)
    return category


def update_category(category: Category, name: str, parent: Category | None, position: int | None) -> Category:
    _save_category(category, name, parent, position)
    db.session.flush()
    logger.info("Category %s updated", category.slug)
    return category


def delete_category(category: Category) -> None:
    """Only an empty category goes: products and sub-categories would lose their place."""
    if category.children:
        raise CatalogError(_("Move or delete its sub-categories first."))
    count = db.session.scalar(select(func.count(Product.id)).where(Product.category_id == category.id))
    if count:
        raise CatalogError(
            ngettext(
                "%(num)s product is in this category: move it to another category first.",
                "%(num)s products are in this category: move them to another category first.",
                count,
            )
        )
    db.session.delete(category)
    db.session.flush()
    logger.info("Category %s deleted", category.slug)
