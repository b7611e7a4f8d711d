"""The storefront search page and the search box's suggestions.

Both read the product filters exactly as /products does (catalog.queries), add the
words typed and a relevance sort, and ask the engine. The JSON API's `?q=` goes
through `read_search_request` and `run_search` too, so a search means the same
thing everywhere.

Fair prices: the index keeps each product's regular price, so sorting and filtering by
price use the regular price, also during a fair. What is shown is the current price
(catalog.pricing, one query per page): the results' cards and the suggestions give the
fair price while it applies, with the regular price beside it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_sqlalchemy.pagination import Pagination
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest

from marketplace.catalog import queries
from marketplace.catalog.models import OCOP_STARS, Category
from marketplace.catalog.pricing import adjusted_prices
from marketplace.cooperatives.models import Cooperative
from marketplace.core import geo
from marketplace.core.errors import api_error, handle_http_error
from marketplace.core.formatting import format_vnd
from marketplace.core.page_cache import cached_json, cached_page
from marketplace.extensions import db
from marketplace.search import engine

bp = Blueprint("search", __name__, url_prefix="/search")

SORTS = ("relevance", "newest", "price_asc", "price_desc")
FILTERS = ("category", "cooperative", "province", "ocop_min", "youth")
# The engine's facets that each filter narrows.
FACETS_OF_FILTER = {
    "category": ("category", "top_category"),
    "cooperative": ("cooperative",),
    "province": ("province",),
    "ocop_min": ("ocop",),
    "youth": ("youth",),
}
# Long facets (cooperatives, provinces) list their most frequent options, and the chosen
# one; the rest are one link away (`?more=cooperative`). A common word matched 300
# cooperatives at 100,000 products: their list was two thirds of a 160 KB page.
FACET_SHOWN = 10
SHORTENED_FACETS = ("cooperative", "province")
# One letter matches a good part of the catalogue: suggestions start at two.
MIN_SUGGEST_CHARS = 2
SUGGESTIONS = 8


# --- reading the request ------------------------------------------------------------------


@dataclass(frozen=True)
class SearchRequest:
    query: str
    filters: queries.ProductFilters
    sort: str


def read_search_request(args: Mapping[str, str], *, per_page: int, allow_per_page: bool = False) -> SearchRequest:
    """The words, filters, sort and page of a search; InvalidParameters names every bad one.

    Filters, page and per_page are read by catalog.queries, as on /products. The sort
    also accepts `relevance`, the default when words are given; without words it means
    newest first (there is nothing to be relevant to).
    """
    query = (args.get("q") or "").strip()
    rest = MultiDict(args)
    sort = (rest.pop("sort", "") or "").strip() or ("relevance" if query else "newest")
    errors = {}
    filters = queries.ProductFilters()
    try:
        filters = queries.read_product_filters(rest, per_page=per_page, allow_per_page=allow_per_page)
    except queries.InvalidParameters as error:
        errors.update(error.errors)
    if sort not in SORTS:
        errors["sort"] = _l("must be one of %(choices)s", choices=", ".join(SORTS))
    if errors:
        raise queries.InvalidParameters(errors)
    if not query and sort == "relevance":
        sort = "newest"
    return SearchRequest(query=query, filters=dataclasses.replace(filters, sort=sort), sort=sort)


class SearchPagination(Pagination):
    """One page of engine results as Flask-SQLAlchemy's Pagination, so the pager macro
    and the API envelope work unchanged. `results` keeps facets, highlights and the
    "did you mean" of the engine."""

    def __init__(self, results: engine.SearchResults, products: list):
        self.results = results
        super().__init__(
            page=results.page,
            per_page=results.per_page,
            max_per_page=None,
            error_out=False,
            items=products,
            total=results.total,
        )

    def _query_items(self) -> list:
        return self._query_args["items"]

    def _query_count(self) -> int:
        return self._query_args["total"]


def run_search(search: SearchRequest, *, with_facets: bool = True, autocorrect: bool = True) -> SearchPagination:
    results = engine.search_products(
        search.query,
        filters=search.filters,
        sort=search.sort,
        page=search.filters.page,
        per_page=search.filters.per_page,
        with_facets=with_facets,
        autocorrect=autocorrect,
    )
    return SearchPagination(results, engine.products_in_order(results.product_ids))


# --- facets ---------------------------------------------------------------------------------


@dataclass
class FacetOption:
    label: str
    count: int
    url: str
    selected: bool = False
    children: list[FacetOption] = field(default_factory=list)

    @property
    def spoken(self) -> str:
        """What a screen reader says after the label: "(12 products, selected: …)"."""
        return _spoken_count(self.count, self.selected)


def _spoken_count(count: int, selected: bool) -> str:
    # A search page lists a hundred options or more: each distinct text is translated once.
    memo = g.setdefault("_facet_spoken", {})
    key = (count, selected)
    if key not in memo:
        text = ngettext("%(num)d product", "%(num)d products", count)
        if selected:
            text += ", " + _("selected: choose again to remove")
        memo[key] = f"({text})"
    return memo[key]


@dataclass
class Facet:
    name: str
    title: str
    options: list[FacetOption]
    # Set when options were left out: the same search listing them all, and how many there are.
    more_url: str | None = None
    all_count: int = 0


@dataclass(frozen=True)
class ActiveFilter:
    label: str
    remove_url: str


URL_SAFE = "!$'()*,/:;?@"


def search_url(**changes) -> str:
    """This search's URL with `changes` applied (None removes a parameter), back on page 1."""
    if "_search_url_parts" not in g:  # the page builds a hundred or more of these
        kept = {key: value for key, value in request.args.items() if value and key != "page"}
        g._search_url_parts = (url_for("search.results"), kept)
    path, kept = g._search_url_parts
    args = dict(kept)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    # The same encoding as url_for (werkzeug.routing), so links read the same.
    return path + "?" + urlencode(args, safe=URL_SAFE) if args else path


def facet_counts(search: SearchRequest, pagination: SearchPagination) -> dict[str, list[tuple]]:
    """Counts for each facet, each one as if its own filter were not set.

    A filter takes one value, so a chosen province would otherwise leave only itself
    in the province list; counting without it lets the visitor switch to another.
    """
    results = pagination.results
    counts = dict(results.facets)
    # The words that found these results: the corrected ones when the engine corrected.
    query = results.suggestion if results.corrected else search.query
    for name in FILTERS:
        if getattr(search.filters, name) is None:
            continue
        without = engine.search_products(
            query,
            filters=dataclasses.replace(search.filters, **{name: None}),
            sort="newest",
            page=1,
            per_page=1,
            with_facets=True,
            autocorrect=False,
        )
        for facet in FACETS_OF_FILTER[name]:
            counts[facet] = without.facets.get(facet, [])
    return counts


def build_facets(search: SearchRequest, counts: dict[str, list[tuple]]) -> list[Facet]:
    filters = search.filters
    facets = [
        Facet("category", _("Category"), category_options(filters, counts)),
        Facet("cooperative", _("Cooperative"), cooperative_options(filters, counts)),
        Facet("province", _("Province"), province_options(filters, counts)),
        Facet("ocop_min", _("OCOP rating"), ocop_options(filters, counts)),
        Facet("youth", _("Cooperative type"), youth_options(filters, counts)),
    ]
    return [shortened(facet) for facet in facets if facet.options]


def shortened(facet: Facet) -> Facet:
    """The facet's first FACET_SHOWN options (most products first) and the chosen one, unless
    the visitor asked to see them all."""
    if (
        facet.name not in SHORTENED_FACETS
        or len(facet.options) <= FACET_SHOWN
        or request.args.get("more") == facet.name
    ):
        return facet
    shown = facet.options[:FACET_SHOWN] + [o for o in facet.options[FACET_SHOWN:] if o.selected]
    return dataclasses.replace(facet, options=shown, more_url=search_url(more=facet.name), all_count=len(facet.options))


def toggle_url(name: str, value, current) -> str:
    """A facet link: choose `value`, or remove the filter when it is the chosen one."""
    return search_url(**{name: None if value == current else value})


def category_options(filters: queries.ProductFilters, counts: dict) -> list[FacetOption]:
    """Top categories with their counts; the chosen one also lists its sub-categories."""
    top_counts = dict(counts.get("top_category", []))
    leaf_counts = dict(counts.get("category", []))
    slugs = set(top_counts) | set(leaf_counts)
    if not slugs:
        return []
    by_slug = {c.slug: c for c in db.session.scalars(sa.select(Category).where(Category.slug.in_(slugs)))}
    chosen = filters.category
    chosen_top = (chosen.parent_id or chosen.id) if chosen is not None else None
    current = chosen.slug if chosen is not None else None
    options = []
    tops = sorted((by_slug[s] for s in top_counts if s in by_slug), key=lambda c: (c.position, c.name))
    for top in tops:
        option = FacetOption(
            top.name, top_counts[top.slug], toggle_url("category", top.slug, current), selected=top.slug == current
        )
        if top.id == chosen_top:
            children = sorted(
                (c for c in by_slug.values() if c.parent_id == top.id and leaf_counts.get(c.slug)),
                key=lambda c: (c.position, c.name),
            )
            option.children = [
                FacetOption(
                    c.name, leaf_counts[c.slug], toggle_url("category", c.slug, current), selected=c.slug == current
                )
                for c in children
            ]
        options.append(option)
    return options


def cooperative_options(filters: queries.ProductFilters, counts: dict) -> list[FacetOption]:
    cooperative_counts = counts.get("cooperative", [])
    if not cooperative_counts:
        return []
    slugs = [slug for slug, _count in cooperative_counts]
    query = sa.select(Cooperative.slug, Cooperative.name).where(Cooperative.slug.in_(slugs))
    names = dict(db.session.execute(query).all())
    current = filters.cooperative.slug if filters.cooperative is not None else None
    return [
        FacetOption(names[slug], count, toggle_url("cooperative", slug, current), selected=slug == current)
        for slug, count in cooperative_counts
        if slug in names
    ]


def province_options(filters: queries.ProductFilters, counts: dict) -> list[FacetOption]:
    return [
        FacetOption(
            geo.province_name(code),
            count,
            toggle_url("province", code, filters.province),
            selected=code == filters.province,
        )
        for code, count in counts.get("province", [])
    ]


def youth_options(filters: queries.ProductFilters, counts: dict) -> list[FacetOption]:
    """Youth cooperatives first, then the others."""
    current = None if filters.youth is None else int(filters.youth)
    return [
        FacetOption(
            _("Youth cooperatives") if flag else _("Other cooperatives"),
            count,
            toggle_url("youth", flag, current),
            selected=flag == current,
        )
        for flag, count in sorted(counts.get("youth", []), reverse=True)
    ]


def ocop_options(filters: queries.ProductFilters, counts: dict) -> list[FacetOption]:
    """The filter is a minimum, so each option counts its stars and above."""
    per_stars = {int(stars): count for stars, count in counts.get("ocop", [])}
    labels = {3: _("3 stars or more"), 4: _("4 stars or more"), 5: _("5 stars")}
    options = []
    for stars in OCOP_STARS:
        count = sum(c for s, c in per_stars.items() if s >= stars)
        if count:
            options.append(
                FacetOption(
                    labels[stars],
                    count,
                    toggle_url("ocop_min", stars, filters.ocop_min),
                    selected=stars == filters.ocop_min,
                )
            )
    return options


def active_filters(filters: queries.ProductFilters) -> list[ActiveFilter]:
    found = []
    if filters.category is not None:
        found.append(ActiveFilter(_("Category: %(name)s", name=filters.category.name), search_url(category=None)))
    if filters.cooperative is not None:
        found.append(
            ActiveFilter(_("Cooperative: %(name)s", name=filters.cooperative.name), search_url(cooperative=None))
        )
    if filters.province is not None:
        found.append(
            ActiveFilter(_("Province: %(name)s", name=geo.province_name(filters.province)), search_url(province=None))
        )
    if filters.ocop_min is not None:
        found.append(
            ActiveFilter(_("OCOP: %(stars)d stars or more", stars=filters.ocop_min), search_url(ocop_min=None))
        )
    if filters.youth is not None:
        found.append(
            ActiveFilter(_("Youth cooperatives") if filters.youth else _("Other cooperatives"), search_url(youth=None))
        )
    return found


def sort_choices() -> list[tuple[str, str]]:
    return [
        ("relevance", _("Best match")),
        ("newest", _("Newest")),
        ("price_asc", _("Price: low to high")),
        ("price_desc", _("Price: high to low")),
    ]


# --- pages ------------------------------------------------------------------------------------


@bp.errorhandler(BadRequest)
def bad_request(error: BadRequest):
    """The search box reads suggestions as JSON, even for a refused request."""
    if request.endpoint == "search.suggest":
        return api_error(400, "Bad request")
    return handle_http_error(error)


@bp.get("")
def results():
    return cached_page(render_results)


def render_results() -> str:
    search = read_search_request(request.args, per_page=current_app.config["PER_PAGE"])
    pagination = run_search(search)
    if pagination.page > 1 and not pagination.items:
        abort(404)
    filters = search.filters
    return render_template(
        "search/results.html",
        query=search.query,
        search=search,
        pagination=pagination,
        results=pagination.results,
        facets=build_facets(search, facet_counts(search, pagination)),
        active=active_filters(filters),
        clear_filters_url=search_url(**{name: None for name in FILTERS}),
        # The page's own search form searches again within the same filters.
        kept_filters=[(name, request.args[name].strip()) for name in FILTERS if getattr(filters, name) is not None],
        sorts=sort_choices(),
        search_url=search_url,
        categories=queries.top_categories() if not pagination.items else [],
    )


@bp.get("/suggest")
def suggest():
    """Products whose names start like what is typed, for the search box. Never an error
    for odd text: words are words to the engine, and too little text is no suggestions."""
    return cached_json(suggestions)


def suggestions() -> dict:
    query = (request.args.get("q") or "").strip()
    if len(query) < MIN_SUGGEST_CHARS:
        return {"items": []}
    found = engine.suggest(query, limit=SUGGESTIONS)
    fair = adjusted_prices([item["id"] for item in found])  # the index holds regular prices
    items = []
    for item in found:
        price = fair[item["id"]].price_vnd if item["id"] in fair else item["price_vnd"]
        items.append(
            {
                "id": item["id"],
                "name": item["name"],
                "slug": item["slug"],
                "url": url_for("catalog.product", slug=item["slug"]),
                "price_vnd": price,  # the current price: the fair price while one applies
                "price": format_vnd(price),
            }
        )
    return {"items": items}
