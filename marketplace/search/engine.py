"""Searching the product index: the API the search page, the JSON endpoints and the
benchmark use.

    results = search_products("vai thieu", filters={"province": 24}, sort="relevance", page=1, per_page=24)
    products = products_in_order(results.product_ids)   # Product rows, in rank order

User text is never handed to Whoosh's query parser: it is split into words and
each word becomes a query object built here, so `AND`, `*`, `"` or `name:` are
just words and no input can raise.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import sqlalchemy as sa
from markupsafe import Markup, escape
from whoosh import query as wq
from whoosh import sorting
from whoosh.support.levenshtein import distance

from marketplace.catalog.models import Category, Product
from marketplace.catalog.queries import ProductFilters, public_products
from marketplace.extensions import db
from marketplace.search import analysis
from marketplace.search.index import get_index
from marketplace.search.schema import FACET_FIELDS, META_ID

logger = logging.getLogger(__name__)

SORTS = ("relevance", "price_asc", "price_desc", "newest")
# Longer input is cut: nobody types more, and it bounds the work per query.
MAX_QUERY_CHARS = 200
MAX_WORDS = 10
# Words this long or longer also match with one typo.
FUZZY_MIN_LENGTH = 4
DESCRIPTION_EXCERPT = 240

# Field weights: an accented match beats an unaccented one, a name beats the rest.
BOOST_NAME = 8.0
BOOST_NAME_FOLDED = 4.0
BOOST_BODY = 2.0
BOOST_BODY_FOLDED = 1.0
BOOST_FUZZY_NAME = 0.8
BOOST_FUZZY_BODY = 0.3
BOOST_PREFIX = 1.0
# Added to every in-stock product's score: far above any text score, so in-stock
# products come first and relevance orders each group (cheaper than a two-key sort).
IN_STOCK_BONUS = 1e6

_META = wq.Term("id", META_ID)


@dataclass
class SearchResults:
    query: str
    product_ids: list[int]
    total: int
    page: int
    per_page: int
    pages: int
    sort: str
    # {"category": [(slug, count)], "top_category": [...], "cooperative": [(slug, count)],
    #  "province": [(code, count)], "ocop": [(stars, count)], "youth": [(1 or 0, count)]}
    facets: dict[str, list[tuple]] = field(default_factory=dict)
    # {product_id: {"name": Markup, "description": Markup}}: escaped, <mark> around matches.
    highlights: dict[int, dict[str, Markup]] = field(default_factory=dict)
    # "Did you mean": a query with results, offered only when `query` found nothing.
    suggestion: str | None = None
    # True when nothing matched `query` and these are the results of `suggestion` instead.
    corrected: bool = False

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


# --- query building -----------------------------------------------------------------------


def query_words(text: str | None) -> list[str]:
    """The words of what the user typed: lower-case, NFC, punctuation dropped, bounded."""
    return analysis.words((text or "")[:MAX_QUERY_CHARS])[:MAX_WORDS]


def _word_query(word: str, *, fuzzy: bool) -> wq.Query:
    folded = analysis.fold(word)
    clauses = [
        wq.Term("name", word, boost=BOOST_NAME),
        wq.Term("name_folded", folded, boost=BOOST_NAME_FOLDED),
        wq.Term("body", word, boost=BOOST_BODY),
        wq.Term("body_folded", folded, boost=BOOST_BODY_FOLDED),
    ]
    if fuzzy and len(folded) >= FUZZY_MIN_LENGTH:
        clauses += [
            wq.FuzzyTerm("name_folded", folded, boost=BOOST_FUZZY_NAME, maxdist=1, prefixlength=1),
            wq.FuzzyTerm("body_folded", folded, boost=BOOST_FUZZY_BODY, maxdist=1, prefixlength=1),
        ]
    return wq.Or(clauses)


def _prefix_query(word: str) -> wq.Query:
    return wq.Term("name_prefix", analysis.fold(word)[: analysis.MAX_PREFIX], boost=BOOST_PREFIX)


def text_query(words: list[str], *, fuzzy: bool = True) -> wq.Query:
    """Every word must match somewhere; the last one may also be the start of a name word."""
    clauses = [_word_query(w, fuzzy=fuzzy) for w in words[:-1]]
    last = words[-1]
    clauses.append(wq.Or([_word_query(last, fuzzy=fuzzy), _prefix_query(last)]))
    return wq.And(clauses)


def _in_stock_first(q: wq.Query) -> wq.Query:
    return wq.AndMaybe(q, wq.Term("in_stock", "1", boost=IN_STOCK_BONUS))


def _value(item, attribute: str):
    """A filter value given as a model (ProductFilters) or as its slug (a dict)."""
    return getattr(item, attribute, item)


def filter_query(filters: ProductFilters | Mapping | None) -> wq.Query | None:
    if filters is None:
        return None
    get = filters.get if isinstance(filters, Mapping) else lambda name: getattr(filters, name, None)
    clauses = []
    category = get("category")
    if category is not None:
        if isinstance(category, str):
            category = db.session.scalars(sa.select(Category).where(Category.slug == category)).first()
            if category is None:
                return wq.NullQuery
        clauses.append(wq.Term("category" if category.parent_id else "top_category", category.slug))
    cooperative = get("cooperative")
    if cooperative is not None:
        clauses.append(wq.Term("cooperative", _value(cooperative, "slug")))
    province = get("province")
    if province is not None:
        clauses.append(wq.Term("province", str(province)))
    ocop_min = get("ocop_min")
    if ocop_min is not None:
        clauses.append(wq.NumericRange("ocop", int(ocop_min), 5))
    youth = get("youth")
    if youth is not None:
        clauses.append(wq.Term("youth", "1" if youth else "0"))
    return wq.And(clauses) if clauses else None


def _sorted_by(sort: str, browsing: bool):
    if sort == "price_asc":
        return [sorting.FieldFacet("price_vnd"), sorting.FieldFacet("created_at", reverse=True)]
    if sort == "price_desc":
        return [sorting.FieldFacet("price_vnd", reverse=True), sorting.FieldFacet("created_at", reverse=True)]
    if sort == "newest" or browsing:
        return sorting.FieldFacet("created_at", reverse=True)
    return None  # relevance: the score


def _facets() -> sorting.Facets:
    facets = sorting.Facets()
    for name in FACET_FIELDS:
        facets.add_field(name, maptype=sorting.Count)
    return facets


def _facet_counts(results) -> dict[str, list[tuple]]:
    counts = {}
    for name in FACET_FIELDS:
        groups = results.groups(name)
        items = []
        for key, count in groups.items():
            if key is None or key == "" or (name == "ocop" and not key):
                continue
            if name in ("province", "youth"):
                key = int(key)
            items.append((key, count))
        items.sort(key=lambda item: (-item[1], item[0]))
        counts[name] = items
    return counts


# --- searching --------------------------------------------------------------------------


def search_products(
    query: str | None = "",
    *,
    filters: ProductFilters | Mapping | None = None,
    sort: str = "relevance",
    page: int = 1,
    per_page: int = 24,
    with_facets: bool = True,
    autocorrect: bool = True,
) -> SearchResults:
    """One page of public products matching `query` (all of them when it has no words).

    `filters` is a ProductFilters or a dict with any of category (Category or slug),
    cooperative (Cooperative or slug), province (code), ocop_min, youth; only those
    are read (paging and sorting come from the arguments). A page past the end is
    empty. Never raises on odd text.
    """
    sort = sort if sort in SORTS else "relevance"
    page = max(1, int(page))
    per_page = max(1, int(per_page))
    words = query_words(query)

    def run(reading) -> SearchResults:
        searcher = reading.searcher
        results = _run(searcher, words, filters, sort, page, per_page, with_facets, query or "")
        if results.total == 0 and words:
            suggestion = did_you_mean(reading, words)
            if suggestion is not None:
                fixed = _run(searcher, query_words(suggestion), filters, sort, page, per_page, with_facets, suggestion)
                if fixed.total:
                    if autocorrect:
                        fixed.query, fixed.suggestion, fixed.corrected = query or "", suggestion, True
                        return fixed
                    results.suggestion = suggestion
        return results

    return _with_index(run)


def _with_index(work: Callable):
    """Run `work(reading)` on a fresh searcher; on an error, check the index and try again.

    An index damaged after it was opened fails only when read. The second try
    reopens it (a broken one is rebuilt on open); the third rebuilds it outright.
    """
    index = get_index()
    for attempt in range(3):
        try:
            return work(index.fresh_reading())
        except sa.exc.SQLAlchemyError:
            raise  # the database's trouble, not the index's
        except Exception:
            if attempt == 2:
                raise
            logger.warning("Search failed; %s the index and trying again", "checking" if attempt == 0 else "rebuilding",
                           exc_info=True)
            index.forget()
            if attempt == 1:
                index.rebuild()


def _run(searcher, words, filters, sort, page, per_page, with_facets, original) -> SearchResults:
    browsing = not words
    q = wq.Every() if browsing else text_query(words)
    if sort == "relevance" and not browsing:
        q = _in_stock_first(q)
    kwargs = {"filter": filter_query(filters), "mask": _META, "sortedby": _sorted_by(sort, browsing)}
    if with_facets:
        kwargs["groupedby"] = _facets()
    hits = searcher.search(q, limit=page * per_page, **kwargs)
    total = len(hits)
    start = (page - 1) * per_page
    product_ids = [int(hit["id"]) for hit in hits[start : start + per_page]]
    results = SearchResults(
        query=original,
        product_ids=product_ids,
        total=total,
        page=page,
        per_page=per_page,
        pages=max(1, math.ceil(total / per_page)),
        sort=sort,
        facets=_facet_counts(hits) if with_facets else {},
    )
    if words and product_ids:
        results.highlights = highlights_for(product_ids, words)
    return results


def products_in_order(product_ids: list[int]) -> list[Product]:
    """The public Product rows of `product_ids`, in that order (images, cooperative and
    category loaded). A product that stopped being public a moment ago is left out."""
    if not product_ids:
        return []
    rows = db.session.scalars(public_products().where(Product.id.in_(product_ids)))
    by_id = {product.id: product for product in rows}
    return [by_id[i] for i in product_ids if i in by_id]


# --- suggestions as you type ------------------------------------------------------------------


def suggest(prefix: str | None, limit: int = 8) -> list[dict]:
    """Products whose names start like what is being typed: [{id, name, slug, price_vnd}]."""
    words = query_words(prefix)
    if not words:
        return []
    limit = max(1, min(int(limit), 50))
    q = _in_stock_first(text_query(words, fuzzy=False))

    def run(reading) -> list[dict]:
        hits = reading.searcher.search(q, limit=limit, mask=_META)
        return [
            {"id": int(hit["id"]), "name": hit["name"], "slug": hit["slug"], "price_vnd": hit["price_vnd"]}
            for hit in hits
        ]

    return _with_index(run)


# --- did you mean ---------------------------------------------------------------------------------

_SPELL_FIELDS = ("name_folded", "body_folded")


def did_you_mean(reading, words: list[str]) -> str | None:
    """The query with each unknown word replaced by the closest indexed word, or None."""
    reader = reading.searcher.reader()
    corrected, changed = [], False
    for word in words:
        folded = analysis.fold(word)
        if any(reader.doc_frequency(f, folded) for f in _SPELL_FIELDS) or len(folded) < 3:
            corrected.append(word)
            continue
        best = _closest_word(reader, folded)
        if best is None:
            corrected.append(word)
            continue
        corrected.append(_accented_form(reading, best))
        changed = True
    return " ".join(corrected) if changed else None


def _closest_word(reader, folded: str) -> str | None:
    maxdist = 2 if len(folded) >= 6 else 1
    candidates = {}
    for fieldname in _SPELL_FIELDS:
        for term in reader.terms_within(fieldname, folded, maxdist, prefix=1):
            frequency = reader.doc_frequency(fieldname, term)
            distance_ = distance(folded, term)
            best = candidates.get(term)
            if best is None or (distance_, -frequency) < best:
                candidates[term] = (distance_, -frequency)
    if not candidates:
        return None
    return min(candidates, key=lambda term: (candidates[term], term))


def _accented_form(reading, folded: str) -> str:
    """'thieu' -> 'thiều': the most common accented spelling of a folded word in the index."""
    forms = reading.cache.get("accented")
    if forms is None:
        forms = {}
        reader = reading.searcher.reader()
        for fieldname in ("name", "body"):
            for term in reader.lexicon(fieldname):
                word = term.decode("utf-8") if isinstance(term, bytes) else term
                key = analysis.fold(word)
                frequency = reader.doc_frequency(fieldname, word)
                if frequency > forms.get(key, ("", 0))[1]:
                    forms[key] = (word, frequency)
        reading.cache["accented"] = forms
    return forms.get(folded, (folded, 0))[0]


# --- highlighting ------------------------------------------------------------------------------


@dataclass
class _Matcher:
    """Decides whether a word of a product's text is one the query matched."""

    folded: set[str]
    fuzzy: list[str]
    prefix: str

    @classmethod
    def for_words(cls, words: list[str]) -> _Matcher:
        folded = [analysis.fold(w) for w in words]
        return cls(
            folded=set(folded),
            fuzzy=[f for f in folded if len(f) >= FUZZY_MIN_LENGTH],
            prefix=folded[-1][: analysis.MAX_PREFIX],
        )

    def matches(self, word: str, *, allow_prefix: bool) -> bool:
        folded = analysis.fold(word)
        if folded in self.folded:
            return True
        if allow_prefix and folded.startswith(self.prefix):
            return True
        return any(f[0] == folded[:1] and distance(f, folded, limit=1) <= 1 for f in self.fuzzy)


def highlight(text: str, matcher: _Matcher, *, allow_prefix: bool = False) -> Markup:
    """`text`, HTML-escaped, with <mark> around each matched word (accents ignored)."""
    text = analysis.normalize(text)
    parts, position = [], 0
    for found in analysis.WORD.finditer(text):
        if matcher.matches(found.group(), allow_prefix=allow_prefix):
            parts.append(escape(text[position : found.start()]))
            parts.append(Markup("<mark>%s</mark>") % found.group())
            position = found.end()
    parts.append(escape(text[position:]))
    return Markup("").join(parts)


def excerpt(text: str, matcher: _Matcher, length: int = DESCRIPTION_EXCERPT) -> Markup:
    """About `length` characters of `text` around its first matched word, highlighted."""
    text = " ".join(analysis.normalize(text).split())
    if len(text) <= length:
        return highlight(text, matcher)
    first = next(
        (m.start() for m in analysis.WORD.finditer(text) if matcher.matches(m.group(), allow_prefix=False)), 0
    )
    start = max(0, min(first - length // 4, len(text) - length))
    if start:
        start = text.find(" ", start) + 1 or start
    end = start + length
    if end < len(text):
        end = text.rfind(" ", start, end) if text.rfind(" ", start, end) > start else end
    body = highlight(text[start:end], matcher)
    return (Markup("… ") if start else Markup("")) + body + (Markup(" …") if end < len(text) else Markup(""))


def highlights_for(product_ids: list[int], words: list[str]) -> dict[int, dict[str, Markup]]:
    matcher = _Matcher.for_words(words)
    rows = db.session.execute(
        sa.select(Product.id, Product.name, Product.description).where(Product.id.in_(product_ids))
    )
    return {
        row.id: {
            "name": highlight(row.name, matcher, allow_prefix=True),
            "description": excerpt(row.description or "", matcher),
        }
        for row in rows
    }


__all__ = ["SORTS", "SearchResults", "products_in_order", "search_products", "suggest"]
