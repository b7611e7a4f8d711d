"""What the public may see, and how it is filtered, sorted and paged.

The visibility rule lives here and nowhere else: a product is public when it is
active and its cooperative is approved; a cooperative is public when approved.
The storefront pages and the JSON API both go through these functions, so a
draft, an archived product or a pending/suspended cooperative can never leak
through one of them and not the other.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import abort, g
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination, SelectPagination
from sqlalchemy.orm import contains_eager, defer, selectinload

from marketplace.catalog.models import OCOP_STARS, Category, Product, ProductStatus
from marketplace.catalog.pricing import AdjustedPrice, adjusted_prices
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.core import content_version, geo
from marketplace.core.models import utcnow
from marketplace.core.paging import MAX_PAGE
from marketplace.extensions import db

SORTS = ("newest", "price_asc", "price_desc")
TRUE_VALUES = ("1", "true")
FALSE_VALUES = ("0", "false")
MAX_PER_PAGE = 100


class InvalidParameters(ValueError):
    """Query-string values that cannot be used; `errors` maps each parameter to why.

    The reasons are lazy strings, so the HTML page shows them in the visitor's
    language while the API renders them in English.
    """

    def __init__(self, errors: dict):
        super().__init__("Invalid parameters: " + ", ".join(errors))
        self.errors = errors


# --- visibility -------------------------------------------------------------------


def is_public_cooperative():
    return Cooperative.status == CooperativeStatus.APPROVED


def is_public_product():
    return sa.and_(Product.status == ProductStatus.ACTIVE, is_public_cooperative())


def public_products(*, with_category: bool = True) -> sa.Select:
    """Public products with cooperative, category and images loaded (no N+1 on lists)."""
    query = (
        sa.select(Product)
        .join(Product.cooperative)
        .where(is_public_product())
        .options(contains_eager(Product.cooperative), selectinload(Product.images))
    )
    if with_category:
        query = query.options(selectinload(Product.category).selectinload(Category.parent))
    return query


def product_cards() -> sa.Select:
    """Public products as lists show them: no description, no category (cards show neither)."""
    return public_products(with_category=False).options(defer(Product.description))


def public_cooperatives() -> sa.Select:
    return sa.select(Cooperative).where(is_public_cooperative())


def get_public_product(slug: str) -> Product:
    product = db.session.scalars(public_products().where(Product.slug == slug)).first()
    if product is None:
        abort(404)
    return product


def public_product_stock(slug: str) -> int | None:
    """The stock of the public product at `slug` (None: no such public product)."""
    from marketplace.core import reads

    return reads.execute(_public_stock_statement(), {"slug": slug}).scalar()


@functools.cache
def _public_stock_statement() -> sa.Select:
    # Built once: this runs on every product page view, cached or not.
    return (
        sa.select(Product.stock)
        .join(Product.cooperative)
        .where(Product.slug == sa.bindparam("slug"), is_public_product())
    )


def product_stocks(product_ids) -> dict[int, int]:
    """{product id: stock now}, in one query (lists cached without their exact stock)."""
    ids = sorted({int(i) for i in product_ids})
    if not ids:
        return {}
    from marketplace.core import reads

    return dict(reads.execute(sa.select(Product.id, Product.stock).where(Product.id.in_(ids))).all())


def get_public_product_by_id(product_id: int) -> Product:
    product = db.session.scalars(public_products().where(Product.id == product_id)).first()
    if product is None:
        abort(404)
    return product


def get_public_cooperative(slug: str) -> Cooperative:
    cooperative = db.session.scalars(public_cooperatives().where(Cooperative.slug == slug)).first()
    if cooperative is None:
        abort(404)
    return cooperative


def find_category(slug: str) -> Category | None:
    """Categories are public whatever their products; sub-categories come along for the filter."""
    query = sa.select(Category).where(Category.slug == slug).options(selectinload(Category.children))
    return db.session.scalars(query).first()


def get_category(slug: str) -> Category:
    category = find_category(slug)
    if category is None:
        abort(404)
    return category


# --- fair prices on pages -----------------------------------------------------------


def fair_prices_now(products) -> dict[int, AdjustedPrice]:
    """{product id: fair price} of `products` for this request (catalog.pricing: the prices the
    fairs register, fairs.pricing.FairPrice).

    Kept on `g` with the request's one moment, so a page asks once for all its products
    (views and product_grid prefetch them) and a product met again costs no query. The
    search index keeps regular prices: sorting by price sorts by the regular price.
    """
    cache: dict[int, AdjustedPrice | None] = g.setdefault("_fair_prices", {})
    at = g.setdefault("_fair_prices_at", utcnow())
    ids = {p.id for p in products if p is not None}
    missing = ids - cache.keys()
    if missing:
        found = adjusted_prices(missing, at)
        for product_id in missing:
            cache[product_id] = found.get(product_id)
    return {product_id: cache[product_id] for product_id in ids if cache[product_id] is not None}


# --- filters ------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductFilters:
    category: Category | None = None
    cooperative: Cooperative | None = None
    province: int | None = None
    ocop_min: int | None = None
    youth: bool | None = None
    sort: str = "newest"
    page: int = 1
    per_page: int = 24

    @property
    def is_filtered(self) -> bool:
        return any(v is not None for v in (self.category, self.cooperative, self.province, self.ocop_min, self.youth))


@dataclass(frozen=True)
class CooperativeFilters:
    province: int | None = None
    youth: bool | None = None
    page: int = 1
    per_page: int = 24


@dataclass
class _Reader:
    """Reads query-string values, collecting one reason per bad parameter."""

    args: Mapping[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, name: str) -> str | None:
        value = (self.args.get(name) or "").strip()
        return value or None

    def integer(self, name: str, low: int | None = None, high: int | None = None) -> int | None:
        raw = self.text(name)
        if raw is None:
            return None
        if not raw.isascii() or not raw.isdigit():
            self.errors[name] = _l("must be a whole number")
            return None
        value = int(raw)
        if low is not None and high is not None and not low <= value <= high:
            self.errors[name] = _l("must be between %(low)d and %(high)d", low=low, high=high)
            return None
        if low is not None and value < low:
            self.errors[name] = _l("must be at least %(low)d", low=low)
            return None
        return value

    def boolean(self, name: str) -> bool | None:
        raw = self.text(name)
        if raw is None:
            return None
        if raw.lower() in TRUE_VALUES:
            return True
        if raw.lower() in FALSE_VALUES:
            return False
        self.errors[name] = _l("must be one of 1, 0, true, false")
        return None

    def province(self, name: str = "province") -> int | None:
        code = self.integer(name)
        if code is not None and not geo.is_valid_province(code):
            self.errors[name] = _l("unknown province code")
            return None
        return code

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        """One of `choices`; the first when the parameter is absent."""
        value = self.text(name) or choices[0]
        if value not in choices:
            self.errors[name] = _l("must be one of %(choices)s", choices=", ".join(choices))
            return choices[0]
        return value

    def category(self) -> Category | None:
        slug = self.text("category")
        category = find_category(slug) if slug else None
        if slug and category is None:
            self.errors["category"] = _l("unknown category")
        return category

    def cooperative(self) -> Cooperative | None:
        slug = self.text("cooperative")
        query = public_cooperatives().where(Cooperative.slug == slug)
        cooperative = db.session.scalars(query).first() if slug else None
        if slug and cooperative is None:
            self.errors["cooperative"] = _l("unknown cooperative")
        return cooperative

    def page(self) -> int:
        return self.integer("page", low=1, high=MAX_PAGE) or 1

    def per_page(self, default: int, allow: bool) -> int:
        if not allow:
            return default
        return self.integer("per_page", low=1, high=MAX_PER_PAGE) or default

    def done(self) -> None:
        if self.errors:
            raise InvalidParameters(self.errors)


def read_product_filters(
    args: Mapping[str, str],
    *,
    per_page: int,
    category: Category | None = None,
    allow_per_page: bool = False,
) -> ProductFilters:
    """Turn query-string values into filters; InvalidParameters names every bad one.

    `category` is given by category pages (from the URL); then a `category`
    query value is ignored. Empty values mean "no filter", as an untouched GET
    form sends them.
    """
    reader = _Reader(args)
    filters = ProductFilters(
        category=category or reader.category(),
        cooperative=reader.cooperative(),
        province=reader.province(),
        ocop_min=reader.integer("ocop_min", low=min(OCOP_STARS), high=max(OCOP_STARS)),
        youth=reader.boolean("youth"),
        sort=reader.choice("sort", SORTS),
        page=reader.page(),
        per_page=reader.per_page(per_page, allow_per_page),
    )
    reader.done()
    return filters


def read_cooperative_filters(
    args: Mapping[str, str], *, per_page: int, allow_per_page: bool = False
) -> CooperativeFilters:
    reader = _Reader(args)
    filters = CooperativeFilters(
        province=reader.province(),
        youth=reader.boolean("youth"),
        page=reader.page(),
        per_page=reader.per_page(per_page, allow_per_page),
    )
    reader.done()
    return filters


def read_page(args: Mapping[str, str]) -> int:
    reader = _Reader(args)
    page = reader.page()
    reader.done()
    return page


# --- listings -----------------------------------------------------------------------


def category_ids(category: Category) -> list[int]:
    """A top category stands for itself and all its sub-categories."""
    return [category.id, *(child.id for child in category.children)]


_PRODUCT_ORDER = {
    "newest": (Product.created_at.desc(), Product.id.desc()),
    "price_asc": (Product.price_vnd.asc(), Product.id.asc()),
    "price_desc": (Product.price_vnd.desc(), Product.id.desc()),
}


def product_query(filters: ProductFilters, *, cards: bool = True) -> sa.Select:
    query = product_cards() if cards else public_products()
    if filters.category is not None:
        query = query.where(Product.category_id.in_(category_ids(filters.category)))
    if filters.cooperative is not None:
        query = query.where(Product.cooperative_id == filters.cooperative.id)
    if filters.province is not None:
        query = query.where(Cooperative.province_code == filters.province)
    if filters.ocop_min is not None:
        query = query.where(Product.ocop_stars >= filters.ocop_min)
    if filters.youth is not None:
        query = query.where(Cooperative.is_youth.is_(filters.youth))
    return query.order_by(*_PRODUCT_ORDER[filters.sort])


class CountedPagination(SelectPagination):
    """A page whose total is counted once per storefront version for the same filters,
    not on every request: counting means reading the whole filtered join."""

    def _query_count(self) -> int:
        name = "count:" + str(self._query_args["count_key"])
        return content_version.figure(name, super()._query_count)


def _paginate(query: sa.Select, count_key, page: int, per_page: int) -> Pagination:
    return CountedPagination(
        select=query,
        session=db.session(),
        page=page,
        per_page=per_page,
        max_per_page=None,
        error_out=False,
        count_key=count_key,
    )


def _filters_key(filters) -> tuple:
    return tuple(
        getattr(value, "id", value) for name, value in vars(filters).items() if name not in ("page", "per_page", "sort")
    ) + (type(filters).__name__,)


def search_products(filters: ProductFilters, *, cards: bool = True) -> Pagination:
    """One page of public products; a page past the end is simply empty. `cards`: without
    the description and category (what lists show)."""
    return _paginate(product_query(filters, cards=cards), _filters_key(filters), filters.page, filters.per_page)


def search_cooperatives(filters: CooperativeFilters) -> Pagination:
    query = public_cooperatives()
    if filters.province is not None:
        query = query.where(Cooperative.province_code == filters.province)
    if filters.youth is not None:
        query = query.where(Cooperative.is_youth.is_(filters.youth))
    query = query.order_by(Cooperative.name, Cooperative.id)
    return _paginate(query, _filters_key(filters), filters.page, filters.per_page)


# --- the home page's choices: catalogue-wide, computed once per storefront version ----------


def cards_by_ids(ids: list[int]) -> list[Product]:
    """Public products as cards, in the order of `ids` (one query)."""
    if not ids:
        return []
    found = {p.id: p for p in db.session.scalars(product_cards().where(Product.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def related_products(product: Product, limit: int = 8) -> list[Product]:
    """Public products to show under `product`: its category's first, then its cooperative's;
    in stock before sold out, newest first; never `product` itself. Two queries (the ids,
    through the category and cooperative indexes, then the cards); product pages are cached."""
    same_category = Product.category_id == product.category_id
    same_cooperative = Product.cooperative_id == product.cooperative_id
    ids = (
        sa.select(Product.id)
        .join(Product.cooperative)
        .where(is_public_product(), Product.id != product.id, sa.or_(same_category, same_cooperative))
        .order_by(
            sa.case((same_category, 0), else_=1),
            sa.case((Product.stock > 0, 0), else_=1),
            sa.case((same_cooperative, 0), else_=1),
            *_PRODUCT_ORDER["newest"],
        )
        .limit(limit)
    )
    return cards_by_ids(list(db.session.scalars(ids)))


def featured_products(limit: int = 8) -> list[Product]:
    return cards_by_ids(_home_choices(limit)[0])


def newest_products(limit: int = 8, exclude: list[Product] = ()) -> list[Product]:
    """The latest public products, leaving out `exclude` (shown elsewhere on the same page)."""
    excluded = {p.id for p in exclude}
    newest = [i for i in _home_choices(limit)[1] if i not in excluded]
    return cards_by_ids(newest[:limit])


def _home_choices(limit: int) -> tuple[list[int], list[int]]:
    """(featured ids, newest ids): the newest list is long enough to leave out every featured one."""

    def choose():
        newest_first = _PRODUCT_ORDER["newest"]
        ids = sa.select(Product.id).join(Product.cooperative).where(is_public_product()).order_by(*newest_first)
        featured = list(db.session.scalars(ids.where(Product.is_featured.is_(True)).limit(limit)))
        newest = list(db.session.scalars(ids.limit(2 * limit)))
        return featured, newest

    return content_version.figure(f"home_choices:{limit}", choose)


def some_cooperatives(limit: int = 6) -> list[Cooperative]:
    """Cooperatives for the home page: the ones with the most public products first."""

    def choose():
        per_cooperative = (
            sa.select(Product.cooperative_id, sa.func.count(Product.id).label("products"))
            .where(Product.status == ProductStatus.ACTIVE)
            .group_by(Product.cooperative_id)
            .subquery()
        )
        query = (
            sa.select(Cooperative.id)
            .where(is_public_cooperative())
            .outerjoin(per_cooperative, per_cooperative.c.cooperative_id == Cooperative.id)
            .order_by(sa.func.coalesce(per_cooperative.c.products, 0).desc(), Cooperative.name)
            .limit(limit)
        )
        return list(db.session.scalars(query))

    ids = content_version.figure(f"some_cooperatives:{limit}", choose)
    if not ids:
        return []
    found = {c.id: c for c in db.session.scalars(public_cooperatives().where(Cooperative.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def top_categories() -> list[Category]:
    """Top categories with their sub-categories, once per request (several parts of a page
    show them)."""
    if "_top_categories" not in g:
        query = (
            sa.select(Category)
            .where(Category.parent_id.is_(None))
            .order_by(Category.position, Category.name)
            .options(selectinload(Category.children))
        )
        g._top_categories = list(db.session.scalars(query))
    return g._top_categories


def public_product_counts() -> dict[int, int]:
    """Public products per category id, each top category counting its sub-categories too
    (once per storefront version)."""
    return content_version.figure("category_counts", _count_per_category)


def _count_per_category() -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Product.category_id, sa.func.count(Product.id))
        .join(Product.cooperative)
        .where(is_public_product())
        .group_by(Product.category_id)
    ).all()
    counts = dict(rows)
    parents = dict(
        db.session.execute(sa.select(Category.id, Category.parent_id).where(Category.parent_id.is_not(None))).all()
    )
    totals = dict(counts)
    for category_id, count in counts.items():
        if (parent_id := parents.get(category_id)) is not None:
            totals[parent_id] = totals.get(parent_id, 0) + count
    return totals
