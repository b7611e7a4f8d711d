"""Searching the product index: the API the search page, the JSON endpoints and the
benchmark use.

    results = search_products("vai thieu", filters={"province": 24}, sort="relevance", page=1, per_page=24)
    products = products_in_order(results.product_ids)   # Product rows, in rank order

User text is never handed to Whoosh's query parser: it is split into words, and
each word becomes a list of clauses (field, term, weight) built here, so `AND`,
`*`, `"` or `name:` are just words and no input can raise.

Evaluation works on sets of documents rather than through Whoosh's matcher
objects, which visit every matching document in Python several times (hundreds
of milliseconds for a common word in 100,000 products). A set is a Python int
used as a bit set over one segment (bit r: the segment's r-th newest document),
so union, intersection, difference and counting run at C speed whatever the
number of matches, and the newest documents of a set are its lowest bits. Each
Whoosh segment is immutable, so its posting lists, columns and facet values are
decoded once (see `_Segment`) and reused by every later search until the
segment is merged away; a large new segment's frequent terms are decoded in a
background thread. The score is the sum, over the query's words, of the best
clause each word matched (an accented name match 8, unaccented name 4, accented
description/category/cooperative/origin 2, unaccented 1, a typo or a name
prefix less); in-stock products come before sold-out ones, and the newest
first among equals. Because scores take few values, ranking works on groups of
documents with the same score, not document by document.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import math
import re
import struct
import sys
import threading
from array import array
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from markupsafe import Markup, escape
from whoosh.reading import TermNotFound
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

# Clause weights: an accented match beats an unaccented one, a name beats the rest.
WEIGHT_NAME = 8.0
WEIGHT_NAME_FOLDED = 4.0
WEIGHT_BODY = 2.0
WEIGHT_BODY_FOLDED = 1.0
WEIGHT_PREFIX = 1.0
WEIGHT_FUZZY_NAME = 0.8
WEIGHT_FUZZY_BODY = 0.3
# Past this many distinct score groups (long queries), documents are scored one by one.
MAX_SCORE_GROUPS = 64
# Decoded posting lists kept for the whole index, in bytes, shared among its segments by size
# (each list is a bit set of its segment: 12.5 kB for a segment of 100,000 products). Pages are cached per catalogue version above the engine, so a
# web worker searches far less often than it answers: memory is worth more than a few decodes.
POSTINGS_BUDGET_BYTES = 24 * 1024 * 1024
# What the warm-up decodes ahead of searches, shared among the segments by size: each
# segment's most frequent terms (an index rebuilt by several processes has as many large
# segments; a budget per segment would double the memory of two).
WARM_UP_BYTES = 4 * 1024 * 1024
# Facet counting: one `&` + bit_count walks a whole segment (size/8 bytes) in C; counting one
# document by its column value in Python costs about as much as this many bytes of that.
BYTES_PER_COUNTED_DOCUMENT = 150
# Sorting by price: when at least 1 in this many documents matched, walk the segment's price
# order until a page is full; fewer, pick the page out of the matches with a heap.
WALK_SORTED_ORDER_AT = 64
# Segments this large are warmed up in a background thread when first read (see _Segment.warm_up).
WARM_IN_BACKGROUND_AT = 5_000


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


# --- the query plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    field: str
    text: str
    weight: float
    fuzzy: bool = False


def query_words(text: str | None) -> list[str]:
    """The words of what the user typed: lower-case, NFC, punctuation dropped, bounded."""
    return analysis.words((text or "")[:MAX_QUERY_CHARS])[:MAX_WORDS]


def word_clauses(word: str, *, fuzzy: bool, prefix: bool) -> list[Clause]:
    """Where one word may match, best first. A document must match at least one."""
    folded = analysis.fold(word)
    clauses = [
        Clause("name", word, WEIGHT_NAME),
        Clause("name_folded", folded, WEIGHT_NAME_FOLDED),
        Clause("body", word, WEIGHT_BODY),
        Clause("body_folded", folded, WEIGHT_BODY_FOLDED),
    ]
    if prefix:
        clauses.append(Clause("name_prefix", folded[: analysis.MAX_PREFIX], WEIGHT_PREFIX))
    if fuzzy and len(folded) >= FUZZY_MIN_LENGTH:
        clauses.append(Clause("name_folded", folded, WEIGHT_FUZZY_NAME, fuzzy=True))
        clauses.append(Clause("body_folded", folded, WEIGHT_FUZZY_BODY, fuzzy=True))
    return sorted(clauses, key=lambda c: -c.weight)


def text_plan(words: list[str], *, fuzzy: bool = True) -> list[list[Clause]]:
    """Every word must match; the last one may also be the start of a word of a name."""
    return [word_clauses(w, fuzzy=fuzzy, prefix=i == len(words) - 1) for i, w in enumerate(words)]


@dataclass(frozen=True)
class FilterPlan:
    """Facet values a result must have: (field, allowed values) pairs; `nothing` when a
    filter names something that does not exist."""

    terms: tuple[tuple[str, tuple], ...] = ()
    nothing: bool = False


def filter_plan(filters: ProductFilters | Mapping | None) -> FilterPlan:
    """`filters`: a ProductFilters, or a dict with any of category (Category or slug),
    cooperative (Cooperative or slug), province (code), ocop_min, youth."""
    if filters is None:
        return FilterPlan()
    get = filters.get if isinstance(filters, Mapping) else lambda name: getattr(filters, name, None)
    terms = []
    category = get("category")
    if category is not None:
        if isinstance(category, str):
            category = db.session.scalars(sa.select(Category).where(Category.slug == category)).first()
            if category is None:
                return FilterPlan(nothing=True)
        terms.append(("category" if category.parent_id else "top_category", (category.slug,)))
    cooperative = get("cooperative")
    if cooperative is not None:
        terms.append(("cooperative", (getattr(cooperative, "slug", cooperative),)))
    province = get("province")
    if province is not None:
        terms.append(("province", (str(province),)))
    ocop_min = get("ocop_min")
    if ocop_min is not None:
        terms.append(("ocop", tuple(range(int(ocop_min), 6))))
    youth = get("youth")
    if youth is not None:
        terms.append(("youth", ("1" if youth else "0",)))
    return FilterPlan(tuple(terms))


# --- segments ---------------------------------------------------------------------------------

# Bit positions set in each byte value, for reading a bit set byte by byte.
_BITS_OF_BYTE = tuple(tuple(bit for bit in range(8) if value >> bit & 1) for value in range(256))
_NONZERO_BYTE = re.compile(rb"[^\x00]")


def raw_column(reader, fieldname: str) -> Sequence:
    """A column's raw (untranslated) values by document number, read in one go.

    Whoosh's column readers read one value per file access: 600,000 of them, 6 s, for the
    first search of a worker at 100,000 products. Its numeric, variable-length bytes and
    reference columns are laid out as plain arrays on disk (big-endian values; bytes with
    their offsets and lengths; refs into a list of distinct values), read here with one
    access each; any other kind goes through the reader one value at a time.
    """
    from whoosh.columns import NumericColumn, RefBytesColumn, VarBytesColumn

    column = reader.column_reader(fieldname, translate=False)
    size = reader.doc_count_all()
    if isinstance(column, NumericColumn.Reader):
        values = _big_endian_array(
            column._typecode, column._dbfile.get(column._basepos, column._count * column._fixedlen)
        )
        if values is not None:
            if len(values) < size:  # documents without a value at the end
                values.extend([column._default] * (size - len(values)))
            return values
    elif isinstance(column, VarBytesColumn.Reader):
        offsets, lengths = column._offsets, column._lengths
        if len(lengths) == size:
            end = max((offset + length for offset, length in zip(offsets, lengths)), default=0)
            data = column._dbfile.get(column._basepos, end) if end else b""
            return _Slices(data, offsets, lengths)
    elif isinstance(column, RefBytesColumn.Reader):
        refs = _big_endian_array(column._typecode, column._dbfile.get(column._basepos, size * column._itemsize))
        if refs is not None:
            uniques = column._uniques
            return [uniques[ref] for ref in refs]
    return column


class _Slices(Sequence):
    """The values of a variable-length bytes column, sliced from its data when asked: a
    list of 100,000 small bytes objects would be freed right after use but leave the
    worker's memory fragmented (several MB of RSS that never goes back)."""

    __slots__ = ("_data", "_offsets", "_lengths")

    def __init__(self, data: bytes, offsets, lengths) -> None:
        self._data, self._offsets, self._lengths = data, offsets, lengths

    def __len__(self) -> int:
        return len(self._lengths)

    def __getitem__(self, docnum):
        if isinstance(docnum, slice):
            return [self[i] for i in range(*docnum.indices(len(self)))]
        offset = self._offsets[docnum]
        return self._data[offset : offset + self._lengths[docnum]]


def _big_endian_array(typecode: str, data: bytes) -> array | None:
    """The big-endian `typecode` values of `data` as a native array (None where the native
    size differs from the standard one, as for "l" on 64-bit Linux)."""
    try:
        values = array(typecode)
    except ValueError:
        return None
    if values.itemsize != struct.calcsize("!" + typecode):
        return None
    values.frombytes(data)
    if sys.byteorder == "little":
        values.byteswap()
    return values


class Column:
    """A column's values by rank, as codes into its distinct values: one or two bytes a
    document where a list would take an 8-byte slot (about 5 MB less per web worker at
    100,000 products over the facet columns)."""

    __slots__ = ("_codes", "_distinct")

    def __init__(self, distinct: tuple, codes: array):
        self._distinct = distinct
        self._codes = codes

    @staticmethod
    def of(distinct: list, codes: array) -> Column | array:
        if len(distinct) > 0xFFFF and all(type(value) is int for value in distinct):
            return array("q", map(distinct.__getitem__, codes))  # prices: numbers in C
        typecode = "B" if len(distinct) <= 0xFF else "H" if len(distinct) <= 0xFFFF else "I"
        return Column(tuple(distinct), array(typecode, codes))

    def __getitem__(self, rank: int):
        return self._distinct[self._codes[rank]]

    def __iter__(self):
        return map(self._distinct.__getitem__, self._codes)

    def __len__(self) -> int:
        return len(self._codes)


class _Segment:
    """One immutable Whoosh segment, decoded for bit set arithmetic. Cached across
    searches (and index generations) by segment id; only its deleted documents change.

    A set of documents is a Python int whose bit r stands for the segment's r-th newest
    document ("rank" r; equal times go to the lower document number). So `&`, `|`,
    `& ~` and `.bit_count()` run at C speed over a whole segment, and the newest
    documents of any set are its lowest bits. Columns are kept by rank too.
    """

    def __init__(self, reader):
        self.size = reader.doc_count_all()
        self.nbytes = (self.size + 7) // 8
        # Raw (sortable) values order like the times they encode; kept as C integers (a
        # datetime object per document would take 5 MB at 100,000 products).
        created = array("Q", raw_column(reader, "created_at"))
        # order[rank] = document number; rank_of[document number] = rank. Arrays of C ints:
        # a tenth of the memory of lists of Python ints (7 MB at 100,000 products). Newest
        # first; sorted() is stable with reverse=True too, so equal times keep docnum order.
        self.order = array("i", sorted(range(self.size), key=created.__getitem__, reverse=True))
        self.created = array("Q", (created[docnum] for docnum in self.order))  # by rank
        self.rank_of = array("i", bytes(4 * self.size))
        for rank, docnum in enumerate(self.order):
            self.rank_of[docnum] = rank
        self._lock = threading.Lock()
        # This segment's part of the index (set by _leaves each generation): its share of the budgets.
        self.share = 1.0
        self._postings: OrderedDict = OrderedDict()
        self._postings_bytes = 0
        self._columns: dict[str, Column | array] = {}
        self._values: dict[str, dict] = {}
        self._expansions: dict[tuple, list] = {}
        self.meta = self.postings(reader, "id", META_ID)
        self.every = ((1 << self.size) - 1) & ~self.meta
        self.warm = threading.Event()

    # bit sets <-> ranks

    def bits(self, docnums) -> int:
        """The bit set of some document numbers."""
        return self.bits_of_ranks(map(self.rank_of.__getitem__, docnums))

    def bits_of_ranks(self, ranks) -> int:
        # A string of "0"/"1" read in base 2: about twice as fast as or-ing bits into bytes.
        digits = bytearray(b"0") * self.size
        for rank in ranks:
            digits[rank] = 49  # "1"
        digits.reverse()  # int() reads the highest bit first
        return int(digits, 2) if self.size else 0

    def ranks(self, bits: int, limit: int | None = None) -> list[int]:
        """The ranks in `bits`, lowest (newest) first; the first `limit` of them if given."""
        data = bits.to_bytes(self.nbytes, "little")
        found = []
        for nonzero in _NONZERO_BYTE.finditer(data):
            base = nonzero.start() * 8
            found.extend(base + bit for bit in _BITS_OF_BYTE[data[base >> 3]])
            if limit is not None and len(found) >= limit:
                return found[:limit]
        return found

    # postings

    def postings(self, reader, fieldname: str, text: str) -> int:
        key = (fieldname, text)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        docs = self.bits(_decode_postings(reader, fieldname, text))
        self._remember(key, docs, self.nbytes)
        return docs

    def _remember(self, key, value, nbytes: int) -> None:
        with self._lock:
            if key not in self._postings:
                self._postings_bytes += nbytes
            self._postings[key] = value
            while self._postings_bytes > POSTINGS_BUDGET_BYTES * self.share and len(self._postings) > 1:
                dropped_key, _ = self._postings.popitem(last=False)
                self._postings_bytes -= self._entry_bytes(dropped_key)

    def _entry_bytes(self, key) -> int:
        return (1 + len(key[1])) * self.nbytes if key[0] == "word" else self.nbytes

    def warm_up(self, reader) -> None:
        """Decode now what searches will need: the columns, and the terms of many documents
        (say 'mật', 'ong', 'bắc'; those cost milliseconds each to decode)."""
        for name in (*FACET_FIELDS, "in_stock"):
            self.values(reader, name)
        self.dependents(reader)
        for sort in ("price_asc", "price_desc"):
            self.sorted_ranks(reader, sort)
        least = max(2, self.size // 100)
        frequent = []
        for fieldname in _TEXT_FIELDS:
            for text, info in reader.iter_field(fieldname):
                if info.doc_frequency() >= least:
                    word = text.decode("utf-8") if isinstance(text, bytes) else text
                    frequent.append((info.doc_frequency(), fieldname, word))
        # The most frequent first: they cost the most to decode during a search.
        frequent.sort(key=lambda item: item[0], reverse=True)
        for _frequency, fieldname, word in frequent[: int(WARM_UP_BYTES * self.share) // max(1, self.nbytes)]:
            self.postings(reader, fieldname, word)

    def clause(self, reader, clause: Clause) -> int:
        if not clause.fuzzy:
            return self.postings(reader, clause.field, clause.text)
        key = (clause.field, clause.text)
        terms = self._expansions.get(key)
        if terms is None:
            if len(self._expansions) > 10_000:
                self._expansions.clear()
            terms = [t for t in reader.terms_within(clause.field, clause.text, 1, prefix=1) if t != clause.text]
            self._expansions[key] = terms
        docs = 0
        for term in terms:
            docs |= self.postings(reader, clause.field, term)
        return docs

    def word(self, reader, clauses: tuple[Clause, ...]) -> tuple[int, list[tuple[float, int]]]:
        """Documents one word matches, and the same split by the best clause each matched."""
        key = ("word", clauses)
        with self._lock:
            found = self._postings.get(key)
            if found is not None:
                self._postings.move_to_end(key)
                return found
        levels, seen = [], 0
        for clause in clauses:
            docs = self.clause(reader, clause) & ~seen
            if docs:
                levels.append((clause.weight, docs))
                seen |= docs
        found = (seen, levels)
        self._remember(key, found, (1 + len(levels)) * self.nbytes)
        return found

    # columns

    def column(self, reader, fieldname: str) -> Column | array:
        """A column's values by rank."""
        values = self._columns.get(fieldname)
        if values is None:
            # Whoosh translates each stored value in a Python call; translate each distinct one once.
            translate = reader.schema[fieldname].from_column_value
            code_of: dict = {}
            distinct: list = []

            def code(raw) -> int:
                found = code_of.get(raw)
                if found is None:
                    found = code_of[raw] = len(distinct)
                    distinct.append(translate(raw))
                return found

            by_docnum = raw_column(reader, fieldname)
            codes = array("I", (code(by_docnum[docnum]) for docnum in self.order))
            values = self._columns[fieldname] = Column.of(distinct, codes)
        return values

    def values(self, reader, fieldname: str) -> dict[object, int]:
        """{value: documents having it} for a facet field."""
        groups = self._values.get(fieldname)
        if groups is None:
            ranks = defaultdict(list)
            for rank, value in enumerate(self.column(reader, fieldname)):
                ranks[value].append(rank)
            groups = self._values[fieldname] = {v: self.bits_of_ranks(r) for v, r in ranks.items()}
        return groups

    def dependents(self, reader) -> dict[str, tuple[str, dict]]:
        """{facet: (owner facet, {owner value: value})} for facets that follow from another
        in every document of this segment (province and youth from the cooperative, the
        top category from the category)."""
        found = self._values.get("dependents")
        if found is None:
            found = {}
            for name, owner in (("province", "cooperative"), ("youth", "cooperative"), ("top_category", "category")):
                value_of = {}
                for key, value in zip(self.column(reader, owner), self.column(reader, name)):
                    if value_of.setdefault(key, value) != value:
                        break
                else:
                    found[name] = (owner, value_of)
            self._values["dependents"] = found
        return found

    def sort_key(self, reader, sort: str) -> Callable[[int], object]:
        """rank -> what `sort` orders by (largest first), ties going to the newest; comparable
        across segments. Made per rank when asked rather than kept for every document."""
        created = self.created
        if sort == "newest":
            return created.__getitem__
        price = self.column(reader, "price_vnd")
        sign = -1 if sort == "price_asc" else 1
        return lambda rank: (sign * price[rank], created[rank])

    def sorted_ranks(self, reader, sort: str) -> array:
        """Every rank in `sort` order (ties: newest first)."""
        name = f"order:{sort}"
        order = self._columns.get(name)
        if order is None:
            price = self.column(reader, "price_vnd")
            # Ranks run newest first and sorted() is stable (also with reverse=True, which keeps
            # equal keys in their order): equal prices stay newest first.
            ranks = sorted(range(self.size), key=price.__getitem__, reverse=sort == "price_desc")
            order = self._columns[name] = array("i", ranks)
        return order


def _warm_up(whoosh_index, segment_id: str, segment: _Segment) -> None:
    """Warm up a large segment that searches just started to use, in a background thread:
    its first searches decode only the few terms they use, the rest comes in meanwhile."""
    try:
        # A reader of its own: Whoosh readers share file positions, so are not thread-safe.
        with whoosh_index.reader() as reader:
            for leaf_reader, _ in reader.leaf_readers():
                if leaf_reader.segment().segment_id() == segment_id:
                    segment.warm_up(leaf_reader)
    except Exception:  # the index replaced or its files merged away meanwhile: searches decode lazily
        logger.debug("Warming up a search segment stopped", exc_info=True)
    finally:
        segment.warm.set()


# Text fields whose frequent terms are decoded when a segment is first read.
_TEXT_FIELDS = ("name", "name_folded", "name_prefix", "body", "body_folded")


def _decode_postings(reader, fieldname: str, text: str) -> list[int]:
    """All document numbers of a term, a block at a time (not one Python call per document)."""
    try:
        matcher = reader.postings(fieldname, text)
    except TermNotFound:
        return []
    if not hasattr(matcher, "_read_data") or not hasattr(matcher, "_byteids"):
        return list(matcher.all_ids())
    ids = []
    while matcher.is_active():
        # Whoosh's own _read_ids sums the deltas in a generator; accumulate does it in C.
        if matcher._data is None:
            matcher._read_data()
        block = matcher._data[0]
        ids.extend(block if matcher._byteids else itertools.accumulate(block))
        matcher._next_block()
    return ids


@dataclass
class _Leaf:
    reader: object
    offset: int
    segment: _Segment
    alive: int
    # Facet counts of all `alive` documents (browsing without filters).
    all_counts: dict | None = None


def _leaves(index, reading) -> list[_Leaf]:
    """The reading's segments with their live documents (computed once per index generation)."""
    leaves = reading.cache.get("leaves")
    if leaves is not None:
        return leaves
    cache = index.segment_cache
    leaves, keep = [], set()
    total = max(1, reading.searcher.reader().doc_count_all())
    for reader, offset in reading.searcher.reader().leaf_readers():
        key = (reading.directory, reader.segment().segment_id())
        keep.add(key)
        segment = cache.get(key)
        created = segment is None
        if created:
            segment = cache[key] = _Segment(reader)
        segment.share = segment.size / total
        if created and segment.size >= WARM_IN_BACKGROUND_AT:
            threading.Thread(
                target=_warm_up, args=(reading.index, key[1], segment), name="search-warm-up", daemon=True
            ).start()
        deleted = list(reader.segment().deleted_docs())
        leaves.append(
            _Leaf(reader, offset, segment, segment.every & ~segment.bits(deleted) if deleted else segment.every)
        )
    # Forget segments of a replaced index at once, merged-away ones lazily (other threads
    # may still be a generation behind).
    lenient = len(cache) <= 2 * len(keep) + 16
    for key in [k for k in cache if k not in keep and not (lenient and k[0] == reading.directory)]:
        cache.pop(key, None)
    reading.cache["leaves"] = leaves
    return leaves


# --- evaluation ----------------------------------------------------------------------------------


@dataclass
class _Matches:
    leaf: _Leaf
    docs: int
    # Per word: its documents split by the best clause they match, (weight, documents), best first.
    words: list[list[tuple[float, int]]]


def _match(leaf: _Leaf, plan: list[list[Clause]], filters: FilterPlan) -> _Matches:
    reader, segment = leaf.reader, leaf.segment
    docs = leaf.alive
    for fieldname, allowed in filters.terms:
        groups = segment.values(reader, fieldname)
        allowed_docs = 0
        for value in allowed:
            allowed_docs |= groups.get(value, 0)
        docs &= allowed_docs
    words = []
    for clauses in plan:
        matched, levels = segment.word(reader, tuple(clauses))
        words.append(levels)
        docs &= matched
    return _Matches(leaf, docs, words)


def _facet_counts(matches: list[_Matches]) -> dict[str, list[tuple]]:
    counts = {name: Counter() for name in FACET_FIELDS}
    for m in matches:
        if not m.docs:
            continue
        if m.docs is m.leaf.alive:  # browsing everything: counted once per index generation
            if m.leaf.all_counts is None:
                m.leaf.all_counts = _count(m.leaf, m.docs)
            leaf_counts = m.leaf.all_counts
        else:
            leaf_counts = _count(m.leaf, m.docs)
        for name in FACET_FIELDS:
            counts[name].update(leaf_counts[name])
    facets = {}
    for name in FACET_FIELDS:
        items = []
        for key, count in counts[name].items():
            if not count or key in (None, "") or (name == "ocop" and not key):
                continue
            items.append((int(key) if name in ("province", "youth") else key, count))
        items.sort(key=lambda item: (-item[1], item[0]))
        facets[name] = items
    return facets


def _count(leaf: _Leaf, docs: int) -> dict[str, Counter]:
    """Facet counts of `docs`.

    Few documents are counted one by one from the columns; many, value by value with
    `&` and bit_count (a few microseconds per value whatever the number of documents).
    A cooperative has one province and one youth flag, a category one parent, so
    those facets are summed from the cooperative and category counts (when every
    document of the segment agrees; see _Segment.dependents)."""
    reader, segment = leaf.reader, leaf.segment
    matched = docs.bit_count()
    ranks = None

    def count(name: str) -> Counter:
        nonlocal ranks
        groups = segment.values(reader, name)
        if matched * BYTES_PER_COUNTED_DOCUMENT < len(groups) * segment.nbytes:
            if ranks is None:
                ranks = segment.ranks(docs)
            return Counter(map(segment.column(reader, name).__getitem__, ranks))
        return Counter({value: n for value, bits in groups.items() if (n := (docs & bits).bit_count())})

    counts = {name: count(name) for name in ("cooperative", "category", "ocop")}
    dependents = segment.dependents(reader)
    for name in ("province", "youth", "top_category"):
        rule = dependents.get(name)
        if rule is None:
            counts[name] = count(name)
            continue
        owner, value_of = rule
        derived = {}
        for key, n in counts[owner].items():
            value = value_of[key]
            derived[value] = derived.get(value, 0) + n
        counts[name] = Counter(derived)
    return counts


def _score_groups(m: _Matches) -> list[tuple[float, int]]:
    """The matched documents split by score, best first."""
    groups = [(0.0, m.docs)]
    for levels in m.words:
        parts = [(weight, part) for weight, docs in levels if (part := m.docs & docs)]
        combined = [(score + weight, group & part) for score, group in groups for weight, part in parts]
        groups = [(score, docs) for score, docs in combined if docs]
        if len(groups) > MAX_SCORE_GROUPS:
            return _score_each(m)
    merged: dict[float, int] = {}
    for score, docs in groups:
        merged[score] = merged.get(score, 0) | docs
    return sorted(merged.items(), reverse=True)


def _score_each(m: _Matches) -> list[tuple[float, int]]:
    """Long queries: score document by document (their matches are few)."""
    segment = m.leaf.segment
    scores = Counter()
    for levels in m.words:
        for weight, docs in levels:
            for rank in segment.ranks(m.docs & docs):
                scores[rank] += weight
    by_score = defaultdict(list)
    for rank, score in scores.items():
        by_score[score].append(rank)
    return [(score, segment.bits_of_ranks(ranks)) for score, ranks in sorted(by_score.items(), reverse=True)]


def _top_by_relevance(m: _Matches, needed: int) -> list[tuple]:
    """The best `needed` documents of one segment as (key, global docnum), key largest first."""
    reader, segment = m.leaf.reader, m.leaf.segment
    in_stock = segment.values(reader, "in_stock").get("1", 0)
    created = segment.created
    groups = _score_groups(m)
    found = []
    for stock_rank, pick in ((1, lambda g: g & in_stock), (0, lambda g: g & ~in_stock)):
        for score, group in groups:
            docs = pick(group)
            if not docs:
                continue
            for rank in segment.ranks(docs, needed - len(found)):  # the newest of the group
                found.append(((stock_rank, score, created[rank]), m.leaf.offset + segment.order[rank]))
            if len(found) >= needed:
                return found
    return found


def _top_by_sort(m: _Matches, sort: str, needed: int) -> list[tuple]:
    segment, reader = m.leaf.segment, m.leaf.reader
    key = segment.sort_key(reader, sort)
    if sort == "newest":
        top = segment.ranks(m.docs, needed)
    elif m.docs.bit_count() * WALK_SORTED_ORDER_AT >= segment.size:
        # Many matches: walk the segment in sort order until `needed` of them came by.
        data = m.docs.to_bytes(segment.nbytes, "little")
        top = []
        for rank in segment.sorted_ranks(reader, sort):
            if data[rank >> 3] >> (rank & 7) & 1:
                top.append(rank)
                if len(top) == needed:
                    break
    else:
        top = heapq.nlargest(needed, segment.ranks(m.docs), key=key)
    return [(key(rank), m.leaf.offset + segment.order[rank]) for rank in top]


def _ranked(matches: list[_Matches], sort: str, needed: int) -> list[int]:
    """Global document numbers of the first `needed` results, in order."""
    candidates = []
    for m in matches:
        if m.docs:
            if sort == "relevance":
                candidates.extend(_top_by_relevance(m, needed))
            else:
                candidates.extend(_top_by_sort(m, sort, needed))
    candidates.sort(key=lambda item: item[0], reverse=True)
    return [docnum for _, docnum in candidates[:needed]]


def _evaluate(reading, plan, filters: FilterPlan, sort: str, start: int, count: int, with_facets: bool):
    """(global docnums of the page, total, facets)."""
    if filters.nothing:
        return [], 0, _facet_counts([]) if with_facets else {}
    matches = [_match(leaf, plan, filters) for leaf in _leaves(get_index(), reading)]
    total = sum(m.docs.bit_count() for m in matches)
    ranked = _ranked(matches, sort, start + count) if start < total else []
    return ranked[start:], total, (_facet_counts(matches) if with_facets else {})


# --- searching --------------------------------------------------------------------------------------


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

    `filters` is a ProductFilters or a dict (see filter_plan); only its filter values
    are read (paging and sorting come from the arguments). Relevance on an empty
    query means newest first. A page past the end is empty. Never raises on odd text.
    When nothing matches and a close spelling does, `autocorrect` returns the
    results for it (`corrected=True`); without it, only `suggestion` is set.
    """
    sort = sort if sort in SORTS else "relevance"
    page = max(1, int(page))
    per_page = max(1, int(per_page))
    words = query_words(query)
    filters_ = filter_plan(filters)

    def run(reading) -> SearchResults:
        results = _search(reading, words, filters_, sort, page, per_page, with_facets, query or "")
        if results.total == 0 and words:
            suggestion = did_you_mean(reading, words)
            if suggestion is not None:
                fixed = _search(
                    reading, query_words(suggestion), filters_, sort, page, per_page, with_facets, suggestion
                )
                if fixed.total:
                    if autocorrect:
                        fixed.query, fixed.suggestion, fixed.corrected = query or "", suggestion, True
                        return fixed
                    results.suggestion = suggestion
        return results

    return _with_index(run)


def _search(reading, words, filters, sort, page, per_page, with_facets, original) -> SearchResults:
    if not words and sort == "relevance":
        sort = "newest"
    start = (page - 1) * per_page
    docnums, total, facets = _evaluate(reading, text_plan(words), filters, sort, start, per_page, with_facets)
    stored = reading.searcher.stored_fields
    product_ids = [int(stored(d)["id"]) for d in docnums]
    results = SearchResults(
        query=original,
        product_ids=product_ids,
        total=total,
        page=page,
        per_page=per_page,
        pages=max(1, math.ceil(total / per_page)),
        sort=sort,
        facets=facets,
    )
    if words and product_ids:
        results.highlights = highlights_for(product_ids, words)
    return results


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
            logger.warning(
                "Search failed; %s the index and trying again",
                "checking" if attempt == 0 else "rebuilding",
                exc_info=True,
            )
            index.forget()
            index.segment_cache.clear()
            if attempt == 1:
                index.rebuild()


def warm_up_in_background(app) -> threading.Thread:
    """Open this process's index and decode its large segments in a background thread, so a
    web worker that has just started (wsgi.py) answers its first searches in milliseconds
    rather than seconds (2 s at 100,000 products, then seconds more of warm-up competing
    with requests). A missing index is left to the first search, which builds it."""

    def warm() -> None:
        try:
            with app.app_context():
                if get_index().current_directory() is not None:
                    wait_until_warm()
        except Exception:  # a search will find and report the trouble itself
            logger.warning("Warming up the search index failed", exc_info=True)
        finally:
            db.session.remove()

    thread = threading.Thread(target=warm, name="search-warm-up-on-start", daemon=True)
    thread.start()
    return thread


def wait_until_warm(timeout: float | None = None) -> bool:
    """Open the index and wait until its large segments are warmed up; False on timeout.
    For measurements of a long-running server (bench/search.py)."""
    leaves = _with_index(lambda reading: _leaves(get_index(), reading))
    large = [leaf.segment for leaf in leaves if leaf.segment.size >= WARM_IN_BACKGROUND_AT]
    return all(segment.warm.wait(timeout) for segment in large)


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
    plan = text_plan(words, fuzzy=False)

    def run(reading) -> list[dict]:
        docnums, _, _ = _evaluate(reading, plan, FilterPlan(), "relevance", 0, limit, False)
        stored = [reading.searcher.stored_fields(d) for d in docnums]
        return [{"id": int(s["id"]), "name": s["name"], "slug": s["slug"], "price_vnd": s["price_vnd"]} for s in stored]

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
    # Words of product texts repeat a lot: each is judged once per search.
    seen: dict = field(default_factory=dict)

    @classmethod
    def for_words(cls, words: list[str]) -> _Matcher:
        folded = [analysis.fold(w) for w in words]
        return cls(
            folded=set(folded),
            fuzzy=[f for f in folded if len(f) >= FUZZY_MIN_LENGTH],
            prefix=folded[-1][: analysis.MAX_PREFIX],
        )

    def matches(self, word: str, *, allow_prefix: bool) -> bool:
        key = (word, allow_prefix)
        found = self.seen.get(key)
        if found is None:
            found = self.seen[key] = self._matches(word, allow_prefix)
        return found

    def _matches(self, word: str, allow_prefix: bool) -> bool:
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
    first = next((m.start() for m in analysis.WORD.finditer(text) if matcher.matches(m.group(), allow_prefix=False)), 0)
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
