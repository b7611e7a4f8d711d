"""The Whoosh schema of the product index.

Bump SCHEMA_VERSION whenever the schema, the analyzers or what goes into a
document changes: each version has its own index directory, so the new code
builds its index from the database on first use (old processes still running
during a deploy keep using theirs).
"""

from __future__ import annotations

from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from marketplace.search import analysis

SCHEMA_VERSION = 2

# The one document that is not a product: the index's bookkeeping (see index.Meta).
META_ID = "__meta__"

# Facets offered to callers, by field name.
FACET_FIELDS = ("category", "top_category", "cooperative", "province", "ocop", "youth")


def make_schema() -> Schema:
    exact = analysis.exact_analyzer()
    folded = analysis.folded_analyzer()
    return Schema(
        id=ID(stored=True, unique=True),
        meta=STORED(),
        # Searched text. Names apart from the rest so a name match can weigh more.
        name=TEXT(analyzer=exact, phrase=False, stored=True),
        name_folded=TEXT(analyzer=folded, phrase=False),
        name_prefix=TEXT(analyzer=analysis.prefix_analyzer(), phrase=False),
        # Description, category and parent category, cooperative, origin, province.
        body=TEXT(analyzer=exact, phrase=False),
        body_folded=TEXT(analyzer=folded, phrase=False),
        # Shown by suggestions without a database round trip.
        slug=STORED(),
        # Sorting only (no range queries), so one term per value (shift_step=0) instead of Whoosh's
        # 16 tiered terms: those were a fifth of all postings and of the index's build time.
        price_vnd=NUMERIC(bits=64, stored=True, sortable=True, shift_step=0),
        created_at=NUMERIC(bits=64, sortable=True, shift_step=0),  # microseconds since 1970, UTC
        # Filters and facets ("1"/"0" flags; codes and slugs as text).
        in_stock=ID(stored=True, sortable=True),
        ocop=NUMERIC(bits=8, sortable=True, shift_step=0),
        category=ID(sortable=True),
        top_category=ID(sortable=True),
        cooperative=ID(sortable=True),
        province=ID(sortable=True),
        youth=ID(sortable=True),
    )
