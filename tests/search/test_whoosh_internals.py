"""The Whoosh internals the search engine reads, checked on a small real index built with
the app's schema and documents (no database: the index alone).

marketplace.search.engine decodes posting lists a block at a time through private
attributes of Whoosh's W3 leaf matcher, and reads raw column values, segments and
term statistics. At run time it falls back (slowly, silently) when the private matcher
attributes are missing, so users never see an error; these tests fail loudly instead,
naming what changed, so a Whoosh upgrade (pinned in pyproject.toml) cannot slip through.
"""

from __future__ import annotations

from array import array
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import whoosh
from whoosh import index as whoosh_index
from whoosh.reading import TermNotFound

from marketplace.search import engine
from marketplace.search.index import Meta, document
from marketplace.search.schema import FACET_FIELDS, META_ID, make_schema

WHOOSH = f"Whoosh {whoosh.versionstring()}"
# More than Whoosh's 128 postings per block: the frequent word spans several blocks.
PRODUCTS = 300
START = datetime(2026, 1, 1, tzinfo=UTC)


def _row(n: int) -> SimpleNamespace:
    return SimpleNamespace(
        id=n + 1,
        name="Mật ong rừng" if n % 50 == 7 else f"Gạo nếp số {n}",
        description="Hạt đều, thơm.",
        category_name="Gạo",
        parent_name="Thực phẩm" if n % 2 else None,
        cooperative_name="HTX Lục Ngạn",
        origin="Bắc Giang",
        province_code=24,
        slug=f"san-pham-{n}",
        price_vnd=10_000 + (n * 7919) % PRODUCTS * 1_000,
        created_at=START + timedelta(minutes=(n * 37) % PRODUCTS, microseconds=n),
        stock=0 if n % 6 == 5 else 3,
        ocop_stars=n % 6,
        category_slug=f"danh-muc-{n % 3}",
        parent_slug="thuc-pham" if n % 2 else None,
        cooperative_slug=f"htx-{n % 4}",
        is_youth=n % 5 != 0,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The index as marketplace.search.index builds it: app schema and documents, one
    segment of separate files (compound=False), the meta document last; then a second
    segment with one deletion."""
    directory = tmp_path_factory.mktemp("whoosh")
    documents = [document(_row(n)) for n in range(PRODUCTS)]
    index = whoosh_index.create_in(str(directory), make_schema())
    writer = index.writer(compound=False)
    for doc in documents:
        writer.add_document(**doc)
    writer.add_document(**Meta(schema_version=1, mark=0, open=[]).to_document())
    writer.commit()
    # A second, small segment, then one of its documents deleted. (In a segment with deleted
    # documents Whoosh wraps the postings in a FilterMatcher, which the engine reads through
    # its all_ids() fallback; the big segment above has none.)
    extra = [document(_row(n)) for n in range(PRODUCTS, PRODUCTS + 2)]
    writer = index.writer(compound=False)
    for doc in extra:
        writer.add_document(**doc)
    writer.commit(merge=False)
    writer = index.writer(compound=False)
    writer.delete_by_term("id", extra[1]["id"])
    writer.commit(merge=False)
    return SimpleNamespace(index=index, documents=documents, extra=extra)


@pytest.fixture
def searcher(built):
    with built.index.searcher() as searcher:
        yield searcher


def _first_leaf(searcher):
    leaves = list(searcher.reader().leaf_readers())
    assert len(leaves) == 2, f"{WHOOSH}: expected two segments (no merge), got {len(leaves)}"
    return leaves[0][0]


def _term(fieldname: str, text: str) -> str:
    [token] = [t.text for t in make_schema()[fieldname].analyzer(text)]
    return token


def test_posting_matchers_expose_the_block_internals_the_engine_reads(built, searcher):
    reader = _first_leaf(searcher)
    word = _term("name", "Gạo")
    matcher = reader.postings("name", word)
    kind = f"{WHOOSH}: {type(matcher).__module__}.{type(matcher).__qualname__}"
    for name in ("_read_data", "_next_block", "is_active", "all_ids"):
        assert callable(getattr(matcher, name, None)), f"{kind} has no method {name}() any more"
    for name in ("_byteids", "_data"):
        assert hasattr(matcher, name), f"{kind} has no attribute {name} any more"
    assert not matcher._byteids, f"{kind}._byteids is {matcher._byteids!r}, expected false for document postings"

    blocks = []
    while matcher.is_active():
        if matcher._data is None:
            matcher._read_data()
        data = matcher._data
        assert isinstance(data, tuple) and data, f"{kind}._data is {type(data).__name__}, expected a non-empty tuple"
        ids = data[0]
        assert isinstance(ids, (array, tuple, list)), (
            f"{kind}._data[0] is {type(ids).__name__}, expected an array/tuple of document number deltas"
        )
        assert ids and all(isinstance(i, int) and i >= 0 for i in ids), (
            f"{kind}._data[0] holds {ids[:5]!r}..., expected non-negative integers"
        )
        blocks.append(list(ids))
        matcher._next_block()
    assert len(blocks) > 1, f"{kind}: the postings of {PRODUCTS} documents fit in one block; the test needs several"

    # The blocks hold deltas (what the engine accumulates), the same documents all_ids() gives.
    expected = list(reader.postings("name", word).all_ids())
    decoded = [docnum for block in blocks for docnum in _accumulate(block)]
    assert decoded == expected, f"{kind}: the blocks in _data[0] no longer decode to the term's documents"
    assert len(expected) == sum("Gạo" in d["name"] for d in built.documents)


def _accumulate(block):
    total, out = 0, []
    for delta in block:
        total += delta
        out.append(total)
    return out


def test_the_engine_decodes_postings_without_its_fallback(searcher, monkeypatch):
    """engine._decode_postings falls back to all_ids() when the internals are missing:
    here the fallback fails the test instead."""
    reader = _first_leaf(searcher)
    real_postings = reader.postings

    def postings(fieldname, text):
        matcher = real_postings(fieldname, text)
        if hasattr(type(matcher), "_read_data"):  # a block matcher (one-document terms are inlined)

            def fallback():
                raise AssertionError(f"{WHOOSH}: the engine fell back to all_ids() for {fieldname}:{text}")

            matcher.all_ids = fallback
        return matcher

    monkeypatch.setattr(reader, "postings", postings)
    for fieldname, text in (("name", "Gạo"), ("name_folded", "Gạo"), ("body", "thơm"), ("in_stock", "1")):
        term = _term(fieldname, text) if fieldname != "in_stock" else text
        assert hasattr(type(real_postings(fieldname, term)), "_read_data"), (
            f"{WHOOSH}: postings of {fieldname}:{term} are not a block matcher with _read_data any more"
        )
        assert engine._decode_postings(reader, fieldname, term) == list(real_postings(fieldname, term).all_ids())
    with pytest.raises(TermNotFound):
        real_postings("name", "khongco")
    assert engine._decode_postings(reader, "name", "khongco") == []


def test_raw_column_values_have_the_shapes_the_engine_keeps(built, searcher):
    reader = _first_leaf(searcher)
    size = reader.doc_count_all()
    assert size == PRODUCTS + 1  # and the meta document
    created = list(reader.column_reader("created_at", translate=False))
    assert len(created) == size, f"{WHOOSH}: column_reader() no longer gives one value per document"
    try:
        created = array("Q", created)
    except (TypeError, OverflowError) as exc:
        pytest.fail(f"{WHOOSH}: raw created_at values no longer fit a C array of unsigned 64-bit ints: {exc}")
    # Raw values order like the times they encode (the engine sorts by them).
    times = [d["created_at"] for d in built.documents]
    assert sorted(range(PRODUCTS), key=created.__getitem__) == sorted(range(PRODUCTS), key=times.__getitem__), (
        f"{WHOOSH}: raw created_at column values no longer sort like the times"
    )
    for fieldname in (*FACET_FIELDS, "in_stock", "price_vnd"):
        field = reader.schema[fieldname]
        assert callable(getattr(field, "from_column_value", None)), (
            f"{WHOOSH}: {type(field).__name__} has no from_column_value() any more"
        )
        raw = list(reader.column_reader(fieldname, translate=False))
        assert len(raw) == size, f"{WHOOSH}: column {fieldname} has {len(raw)} values for {size} documents"
        values = [field.from_column_value(value) for value in raw[:PRODUCTS]]
        expected = [d[fieldname] for d in built.documents]
        assert values == expected, f"{WHOOSH}: raw {fieldname} column values no longer translate to the documents'"


def test_raw_column_reads_each_column_in_one_go_with_whoosh_s_values(built, searcher):
    """engine.raw_column reads numeric, bytes and reference columns straight from the file
    through private attributes of Whoosh's column readers; it must give exactly what the
    readers give one value at a time, and not quietly fall back to them."""
    reader = _first_leaf(searcher)
    for fieldname in ("created_at", *FACET_FIELDS, "in_stock", "price_vnd"):
        slow = list(reader.column_reader(fieldname, translate=False))
        fast = engine.raw_column(reader, fieldname)
        kind = type(reader.column_reader(fieldname, translate=False)).__qualname__
        assert not hasattr(fast, "_dbfile"), f"{WHOOSH}: raw_column({fieldname}) fell back to the {kind} reader"
        assert list(fast) == slow, f"{WHOOSH}: raw_column({fieldname}) differs from the {kind} reader's values"


def test_segments_terms_and_statistics(built, searcher):
    leaves = list(searcher.reader().leaf_readers())
    assert [offset for _, offset in leaves] == [0, PRODUCTS + 1], f"{WHOOSH}: leaf_readers() offsets changed"
    first, second = leaves[0][0], leaves[1][0]
    for reader in (first, second):
        segment = reader.segment()
        assert isinstance(segment.segment_id(), str) and segment.segment_id(), f"{WHOOSH}: segment_id() changed"
    assert first.segment().segment_id() != second.segment().segment_id()
    assert list(first.segment().deleted_docs()) == []
    assert list(second.segment().deleted_docs()) == [1], f"{WHOOSH}: deleted_docs() no longer lists document numbers"

    found = dict(first.iter_field("name_folded"))
    gao = _term("name_folded", "Gạo").encode("utf-8")
    assert gao in found, f"{WHOOSH}: iter_field() no longer yields (term bytes, info) pairs"
    assert found[gao].doc_frequency() == sum("Gạo" in d["name"] for d in built.documents)
    assert all(isinstance(term, bytes) for term in first.lexicon("name")), f"{WHOOSH}: lexicon() no longer yields bytes"
    near = list(first.terms_within("name_folded", "gap", 1, prefix=1))
    assert "gao" in near and all(isinstance(t, str) for t in near), f"{WHOOSH}: terms_within() changed: {near!r}"
    assert first.doc_frequency("name_folded", "gao") == found[gao].doc_frequency()
    assert searcher.document(id=META_ID) is not None


def test_the_engine_reads_a_segment_end_to_end(built, searcher):
    reader = _first_leaf(searcher)
    segment = engine._Segment(reader)
    assert segment.meta.bit_count() == 1
    in_stock = segment.values(reader, "in_stock")
    assert in_stock["1"].bit_count() == sum(d["in_stock"] == "1" for d in built.documents)
    assert set(segment.values(reader, "cooperative")) == {d["cooperative"] for d in built.documents} | {""}
    newest = max(range(PRODUCTS), key=lambda n: built.documents[n]["created_at"])
    assert [docnum for docnum in segment.order if docnum != PRODUCTS][0] == newest  # PRODUCTS: the meta document
    segment.warm_up(reader)
