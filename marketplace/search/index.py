"""The index on disk: opening, catching up with the change log, rebuilding.

Layout of SEARCH_INDEX_DIR:

    lock                 an fcntl lock: one writer at a time, across processes
    CURRENT-v<schema>    the name of the live index directory (replaced atomically)
    v<schema>-<stamp>/   Whoosh index directories; a rebuild writes a new one

The index is a cache of the database. Its bookkeeping lives in one stored
document (`__meta__`) committed together with the products it describes, so
"what has been applied" can never disagree with what is in the index: a process
dying at any point leaves changes to be applied by the next writer.

Change ids are assigned when a transaction flushes but become visible when it
commits, so on PostgreSQL a lower id can appear after a higher one. The meta
keeps the ids it skipped over ("open" ranges) and looks for them again until
GAP_TIMEOUT has passed; a rolled-back transaction leaves a gap that simply expires.
"""

from __future__ import annotations

import calendar
import errno
import fcntl
import gc
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import aliased
from whoosh import index as whoosh_index
from whoosh.query import Term

from marketplace.catalog.models import Category, Product
from marketplace.catalog.queries import is_public_product
from marketplace.cooperatives.models import Cooperative
from marketplace.core import geo
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.search import analysis
from marketplace.search.models import SearchChange
from marketplace.search.schema import META_ID, SCHEMA_VERSION, make_schema

logger = logging.getLogger(__name__)

# A transaction still uncommitted after this long is taken to have rolled back.
GAP_TIMEOUT = timedelta(hours=1)
MAX_OPEN_RANGES = 500
# After waiting in vain for the lock, catch-ups only try it (no wait) for this many seconds.
BUSY_BACKOFF = 10.0
BATCH = 1000


class IndexBusy(RuntimeError):
    """Another process held the index lock for longer than we were willing to wait."""


class BrokenIndex(RuntimeError):
    """The index directory cannot be used: missing, unreadable or of another schema."""


# --- bookkeeping ----------------------------------------------------------------------


@dataclass
class Meta:
    schema_version: int = field(default_factory=lambda: SCHEMA_VERSION)
    # Every change id <= mark has been applied, except those in `open`.
    mark: int = 0
    # [first id, last id, epoch seconds first seen missing]
    open: list[list[int]] = field(default_factory=list)
    synced_at: float = 0.0
    built_at: float = 0.0

    def to_document(self) -> dict:
        return {"id": META_ID, "meta": json.dumps(asdict(self))}

    @classmethod
    def from_searcher(cls, searcher) -> Meta:
        stored = searcher.document(id=META_ID)
        if stored is None or "meta" not in stored:
            raise BrokenIndex("no meta document")
        try:
            return cls(**json.loads(stored["meta"]))
        except (TypeError, ValueError) as exc:
            raise BrokenIndex(f"unreadable meta document: {exc}") from exc

    def pending_condition(self):
        """SQL condition for change rows this index has not applied yet."""
        column = SearchChange.id
        return sa.or_(column > self.mark, *(column.between(lo, hi) for lo, hi, _ in self.open))

    def advance(self, seen_ids: Iterable[int], now: float) -> None:
        """Record `seen_ids` (rows above the mark or inside open ranges) as applied."""
        seen = sorted(set(seen_ids))
        still_open = []
        for lo, hi, since in self.open:
            if now - since > GAP_TIMEOUT.total_seconds():
                continue
            start = lo
            for change_id in (i for i in seen if lo <= i <= hi):
                if start < change_id:
                    still_open.append([start, change_id - 1, since])
                start = change_id + 1
            if start <= hi:
                still_open.append([start, hi, since])
        previous = self.mark
        for change_id in (i for i in seen if i > self.mark):
            if change_id > previous + 1:
                still_open.append([previous + 1, change_id - 1, now])
            previous = change_id
        self.mark = previous
        self.open = sorted(still_open, key=lambda r: r[2])[-MAX_OPEN_RANGES:]
        self.synced_at = now


# --- documents --------------------------------------------------------------------------


def _epoch_us(moment) -> int:
    """Microseconds since 1970 (UTC): products created in the same second still sort."""
    return calendar.timegm(moment.timetuple()) * 1_000_000 + moment.microsecond if moment else 0


def _document_query() -> sa.Select:
    parent = aliased(Category)
    return (
        sa.select(
            Product.id,
            Product.name,
            Product.slug,
            Product.description,
            Product.origin,
            Product.price_vnd,
            Product.stock,
            Product.ocop_stars,
            Product.created_at,
            Category.name.label("category_name"),
            Category.slug.label("category_slug"),
            parent.name.label("parent_name"),
            parent.slug.label("parent_slug"),
            Cooperative.name.label("cooperative_name"),
            Cooperative.slug.label("cooperative_slug"),
            Cooperative.province_code,
            Cooperative.is_youth,
        )
        .join(Product.cooperative)
        .join(Product.category)
        .outerjoin(parent, Category.parent_id == parent.id)
        .where(is_public_product())
    )


def document(row) -> dict:
    """The index document of one public product (a row of _document_query)."""
    name = analysis.normalize(row.name)
    body = analysis.normalize(
        " ".join(
            part or ""
            for part in (
                row.description,
                row.category_name,
                row.parent_name,
                row.cooperative_name,
                row.origin,
                geo.province_name(row.province_code),
            )
        )
    )
    return {
        "id": str(row.id),
        "name": name,
        "name_folded": name,
        "name_prefix": name,
        "body": body,
        "body_folded": body,
        "slug": row.slug,
        "price_vnd": int(row.price_vnd),
        "created_at": _epoch_us(row.created_at),
        "in_stock": "1" if row.stock > 0 else "0",
        "ocop": row.ocop_stars or 0,
        "category": row.category_slug,
        "top_category": row.parent_slug or row.category_slug,
        "cooperative": row.cooperative_slug,
        "province": str(row.province_code),
        "youth": "1" if row.is_youth else "0",
    }


def public_documents(connection, product_ids: Iterable[int]) -> dict[int, dict]:
    """Documents of those of `product_ids` that are public now; the others are absent."""
    ids = sorted(set(product_ids))
    documents = {}
    for start in range(0, len(ids), BATCH):
        rows = connection.execute(_document_query().where(Product.id.in_(ids[start : start + BATCH])))
        documents.update((row.id, document(row)) for row in rows)
    return documents


def all_public_documents(connection, after_id: int = 0, up_to_id: int | None = None) -> Iterator[dict]:
    """Every public product with after_id < id <= up_to_id, in id order, a batch at a time
    (no server-side cursor needed)."""
    last_id = after_id
    query = _document_query()
    if up_to_id is not None:
        query = query.where(Product.id <= up_to_id)
    while True:
        rows = connection.execute(query.where(Product.id > last_id).order_by(Product.id).limit(BATCH)).all()
        if not rows:
            return
        for row in rows:
            yield document(row)
        last_id = rows[-1].id


def count_public_products(connection) -> int:
    query = sa.select(sa.func.count(Product.id)).join(Product.cooperative).where(is_public_product())
    return connection.scalar(query)


# --- building in several processes --------------------------------------------------------

# Below this many products a rebuild takes a few seconds and forking is not worth it.
PARALLEL_FROM = 5000
# Whoosh sorts postings in memory up to this many (estimated) MB, then in files on disk.
WRITER_MB = 48
PART_MB = 16


@dataclass
class _Fork:
    """What a forked indexing process takes from its parent's memory (nothing is pickled)."""

    app: object
    indexed: object  # a shared array: how many documents each part has added so far


_fork: _Fork | None = None


def _id_ranges(connection, parts: int) -> list[tuple[int, int]] | None:
    """(after id, up to id) of `parts` ranges with as many public products each, or None
    when the catalogue is too small to be worth splitting."""
    ids = connection.scalars(
        sa.select(Product.id).join(Product.cooperative).where(is_public_product()).order_by(Product.id)
    ).all()
    if len(ids) < max(PARALLEL_FROM, 2):
        return None
    size = -(-len(ids) // parts)
    ranges, after = [], 0
    for start in range(0, len(ids), size):
        last = ids[min(start + size, len(ids)) - 1]
        ranges.append((after, last))
        after = last
    return ranges


def _index_in_processes(directory: Path, ranges, progress) -> tuple[list, int]:
    """Index each id range in a forked process; their segments in id order, and the count."""
    global _fork
    context = multiprocessing.get_context("fork")
    # Objects the parent already has stay out of the children's garbage collections, which
    # would otherwise touch (and so copy) every page holding one: less memory per child.
    gc.collect()
    gc.freeze()
    _fork = _Fork(app=current_app._get_current_object(), indexed=context.RawArray("q", len(ranges)))
    children = []
    try:
        for slot, (after_id, up_to_id) in enumerate(ranges):
            receive, send = context.Pipe(duplex=False)
            child = context.Process(
                target=_index_part, args=(send, slot, str(directory), after_id, up_to_id), daemon=True
            )
            child.start()
            send.close()
            children.append((slot, child, receive))
        outcomes: dict[int, tuple] = {}
        reported = 0
        while len(outcomes) < len(children):
            ready = multiprocessing.connection.wait([r for s, _, r in children if s not in outcomes], timeout=0.2)
            for slot, child, receive in children:
                if receive in ready:
                    try:
                        outcomes[slot] = receive.recv()
                    except EOFError:  # killed, or died before it could answer
                        child.join()
                        outcomes[slot] = ("failed", f"indexing process ended with exit code {child.exitcode}")
            if progress is not None:
                indexed = sum(_fork.indexed)
                progress(indexed - reported)
                reported = indexed
    finally:
        for _slot, child, receive in children:
            if child.is_alive():
                child.terminate()
            child.join()
            receive.close()
        _fork = None
        gc.unfreeze()
    failures = [outcome[1] for _slot, outcome in sorted(outcomes.items()) if outcome[0] != "done"]
    if failures:
        raise RuntimeError("Search index rebuild failed: " + "; ".join(failures))
    parts = [outcomes[slot][1] for slot in sorted(outcomes)]
    return parts, sum(outcomes[slot][2] for slot in outcomes)


def _part_storage(directory: str, slot: int):
    """The index's folder, with temporary files in a sub-folder of this part's own: Whoosh
    names that folder after the index, and a writer that finishes deletes it with whatever
    the other parts still had in it."""
    from whoosh.filedb.filestore import FileStorage

    class PartStorage(FileStorage):
        def temp_storage(self, name=None):
            return super().temp_storage(f"part{slot}-{name or 'tmp'}")

    return PartStorage(directory)


def _index_part(send, slot: int, directory: str, after_id: int, up_to_id: int) -> None:
    """In a forked process: one segment of the new index, sent back to the parent."""
    from whoosh.writing import SegmentWriter

    try:
        with _fork.app.app_context():
            # The parent's pooled connections are not this process's to use (or to close).
            db.engine.dispose(close=False)
            new_index = _part_storage(directory, slot).open_index()
            # No lock: the parent holds the index's file lock, and its writer the only TOC.
            writer = SegmentWriter(new_index, _lk=False, limitmb=PART_MB, compound=False)
            count = 0
            try:
                with db.engine.connect() as connection:
                    for doc in all_public_documents(connection, after_id, up_to_id):
                        writer.add_document(**doc)
                        count += 1
                        if count % 100 == 0:
                            _fork.indexed[slot] = count
                segment = writer._finalize_segment()
            except BaseException:
                writer.cancel()
                raise
            writer._finish()
            db.engine.dispose()
        _fork.indexed[slot] = count
        send.send(("done", segment, count))
    except BaseException as error:
        logger.exception("Indexing products %d-%d failed", after_id + 1, up_to_id)
        send.send(("failed", f"{type(error).__name__}: {error}"))
    finally:
        send.close()


# --- the index of one application ---------------------------------------------------------


@contextmanager
def file_lock(path: Path, timeout: float):
    """Exclusive flock on `path`, waiting at most `timeout` seconds (IndexBusy after).

    flock belongs to the open file, so threads of one process exclude each other
    too, and the kernel releases it when a process dies.
    """
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexBusy(f"search index lock {path} busy for {timeout} s") from None
                time.sleep(0.01)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@dataclass
class _Reading:
    """One thread's open searcher on one index directory."""

    directory: str
    index: object
    searcher: object
    meta: Meta
    cache: dict = field(default_factory=dict)


class SearchIndex:
    """The product index of one application (`current_app.extensions["search"]`)."""

    def __init__(self, root: str, *, lock_timeout: float = 30.0, catch_up_wait: float = 2.0):
        self.root = Path(root)
        self.lock_timeout = lock_timeout
        self.catch_up_wait = catch_up_wait
        self._local = threading.local()
        self._busy_until = 0.0
        # Decoded segments for the search engine, by (directory, segment id); see engine._Segment.
        self.segment_cache: dict = {}

    # paths

    @property
    def pointer(self) -> Path:
        return self.root / f"CURRENT-v{SCHEMA_VERSION}"

    def current_directory(self) -> Path | None:
        try:
            name = self.pointer.read_text().strip()
        except FileNotFoundError:
            return None
        return self.root / name if name else None

    @contextmanager
    def locked(self, timeout: float | None = None):
        self.root.mkdir(parents=True, exist_ok=True)
        with file_lock(self.root / "lock", self.lock_timeout if timeout is None else timeout):
            yield

    # reading

    def reading(self) -> _Reading:
        """This thread's searcher on the live index, refreshed if a writer committed since.

        A missing or broken index is rebuilt here (under the lock) before returning.
        """
        reading = getattr(self._local, "reading", None)
        directory = self.current_directory()
        if reading is not None and directory is not None and reading.directory == str(directory):
            try:
                if not reading.searcher.up_to_date():
                    searcher = reading.searcher.refresh()
                    reading = _Reading(reading.directory, reading.index, searcher, Meta.from_searcher(searcher))
                    self._local.reading = reading
                return reading
            except Exception:  # a damaged index shows up as any error
                logger.warning("Search index %s unreadable; checking it", directory, exc_info=True)
        self._local.reading = None
        reading = self._open_reading(directory)
        if reading is None:
            with self.locked():
                # Another process may have repaired it while we waited for the lock.
                reading = self._open_reading(self.current_directory())
                if reading is None:
                    self._rebuild_locked()
                    reading = self._open_reading(self.current_directory())
            if reading is None:
                raise BrokenIndex(f"search index in {self.root} cannot be opened after a rebuild")
        self._local.reading = reading
        return reading

    def _open_reading(self, directory: Path | None) -> _Reading | None:
        if directory is None:
            return None
        try:
            index = whoosh_index.open_dir(str(directory))
            searcher = index.searcher()
            meta = Meta.from_searcher(searcher)
            if meta.schema_version != SCHEMA_VERSION:
                raise BrokenIndex(f"schema version {meta.schema_version}, expected {SCHEMA_VERSION}")
            # Read a posting list and a stored document of every segment: garbage fails here.
            searcher.search(Term("in_stock", "1"), limit=1)
            for reader, _ in searcher.reader().leaf_readers():
                if reader.doc_count_all():
                    reader.stored_fields(0)
            return _Reading(str(directory), index, searcher, meta)
        except Exception:  # any error: unreadable files, garbage, another schema
            logger.warning("Search index %s cannot be used; it will be rebuilt", directory, exc_info=True)
            return None

    def forget(self) -> None:
        """Drop this thread's searcher (after an error, so the next call re-checks the index)."""
        reading = getattr(self._local, "reading", None)
        self._local.reading = None
        if reading is not None:
            try:
                reading.searcher.close()
            except Exception:  # a damaged index may fail to close too
                logger.debug("Closing a search index reader failed", exc_info=True)

    # catching up

    def pending(self, connection, meta: Meta) -> bool:
        """One cheap query: has anything been logged that this index has not applied?"""
        latest = connection.scalar(sa.select(sa.func.max(SearchChange.id))) or 0
        if latest != meta.mark:
            return True  # newer changes, or a change log that was emptied (reset: rebuild)
        if not meta.open:
            return False
        ranges = sa.or_(*(SearchChange.id.between(lo, hi) for lo, hi, _ in meta.open))
        return connection.scalar(sa.select(SearchChange.id).where(ranges).limit(1)) is not None

    def fresh_reading(self) -> _Reading:
        """The searcher, after applying any logged change this index lacks (waiting briefly)."""
        reading = self.reading()
        with db.engine.connect() as connection:
            behind = self.pending(connection, reading.meta)
        if behind:
            try:
                self.catch_up()
            except IndexBusy:
                # Whoever holds the lock applies the same log; serve what we have.
                logger.warning("Search index busy; serving results that may lag by a moment")
            reading = self.reading()
        return reading

    def catch_up(self) -> int:
        """apply_changes, waiting at most catch_up_wait for the lock, and not at all for a
        while after a wait failed (a rebuild holds the lock for minutes: searches and
        commits meanwhile should not each pay the wait)."""
        now = time.monotonic()
        timeout = 0.0 if now < self._busy_until else self.catch_up_wait
        try:
            return self.apply_changes(timeout=timeout)
        except IndexBusy:
            self._busy_until = time.monotonic() + BUSY_BACKOFF
            raise

    def apply_changes(self, timeout: float | None = None) -> int:
        """Apply every logged change the index lacks. Returns how many products were touched."""
        with self.locked(timeout):
            reading = self._open_reading(self.current_directory())
            if reading is None:
                return self._rebuild_locked()
            try:
                return self._apply_locked(reading)
            finally:
                reading.searcher.close()

    def _apply_locked(self, reading: _Reading) -> int:
        meta = reading.meta
        now = time.time()
        with db.engine.connect() as connection:
            latest = connection.scalar(sa.select(sa.func.max(SearchChange.id))) or 0
            if latest < meta.mark:
                logger.warning("Search change log restarted (%s < %s); rebuilding the index", latest, meta.mark)
                return self._rebuild_locked()
            rows = connection.execute(
                sa.select(SearchChange.id, SearchChange.product_id).where(meta.pending_condition())
            ).all()
            if not rows:
                return 0
            if self._may_have_missed_pruned(connection, meta, rows, now):
                logger.warning("Search index older than the change log it needs; rebuilding")
                return self._rebuild_locked()
            product_ids = {row.product_id for row in rows}
            documents = public_documents(connection, product_ids)
        writer = reading.index.writer(compound=False)
        try:
            for product_id in product_ids:
                if product_id in documents:
                    writer.update_document(**documents[product_id])
                else:
                    writer.delete_by_term("id", str(product_id))
            meta.advance((row.id for row in rows), now)
            writer.update_document(**meta.to_document())
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        logger.debug("Search index: applied %d changes to %d products", len(rows), len(product_ids))
        return len(product_ids)

    def _may_have_missed_pruned(self, connection, meta: Meta, rows, now: float) -> bool:
        """True when rows above our mark may already have been pruned (see prune_changes)."""
        retention = current_app.config["SEARCH_CHANGES_RETENTION_DAYS"] * 86400
        if meta.synced_at >= now - retention + GAP_TIMEOUT.total_seconds():
            return False
        oldest = connection.scalar(sa.select(sa.func.min(SearchChange.id)))
        return oldest is not None and oldest > meta.mark + 1

    # rebuilding

    def rebuild(self, progress: Callable[[int], None] | None = None, processes: int = 1) -> int:
        """Build a new index from the database and switch to it. Returns the product count.

        `processes` > 1 splits a large catalogue (PARALLEL_FROM products or more) into id
        ranges indexed by as many forked processes, each writing its own segment: Whoosh
        analyses and sorts postings in pure Python, on one core. Only command-line callers
        ask for it; a web worker must not fork."""
        with self.locked():
            return self._rebuild_locked(progress, processes)

    def _rebuild_locked(self, progress: Callable[[int], None] | None = None, processes: int = 1) -> int:
        now = time.time()
        directory = self.root / f"v{SCHEMA_VERSION}-{time.time_ns()}-{os.getpid()}"
        directory.mkdir(parents=True)
        try:
            with db.engine.connect() as connection:
                # Read the log before the products: a change committed in between is
                # applied again later, never missed.
                meta = self._meta_for_rebuild(connection, now)
                ranges = _id_ranges(connection, processes) if processes > 1 else None
            new_index = whoosh_index.create_in(str(directory), make_schema())
            parts, count = _index_in_processes(directory, ranges, progress) if ranges else ([], 0)
            # Separate files per segment, not one compound file: Whoosh copies the parts of a
            # compound file it reads into memory for every reader it opens (after every write).
            writer = new_index.writer(limitmb=WRITER_MB, compound=False)
            try:
                if not ranges:
                    with db.engine.connect() as connection:
                        for doc in all_public_documents(connection):
                            writer.add_document(**doc)
                            count += 1
                            if progress is not None and count % 100 == 0:
                                progress(100)
                    if progress is not None:
                        progress(count % 100)
                writer.add_document(**meta.to_document())
            except BaseException:
                writer.cancel()
                raise
            if parts:
                # As Whoosh's own MpWriter(multisegment=True) commits: the parts' segments go
                # into the table of contents as they are, beside this writer's (the meta).
                writer._commit_toc([*parts, writer._finalize_segment()])
                writer._finish()
            else:
                writer.commit()
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        previous = self.current_directory()
        temporary = self.pointer.with_suffix(f".tmp{os.getpid()}")
        temporary.write_text(directory.name)
        os.replace(temporary, self.pointer)
        self._remove_old_directories(keep={directory.name, previous.name if previous else ""})
        logger.info("Search index rebuilt: %d products in %s", count, directory)
        return count

    def _meta_for_rebuild(self, connection, now: float) -> Meta:
        cutoff = utcnow() - GAP_TIMEOUT
        floor = connection.scalar(sa.select(sa.func.max(SearchChange.id)).where(SearchChange.created_at < cutoff)) or 0
        recent = connection.scalars(sa.select(SearchChange.id).where(SearchChange.id > floor)).all()
        meta = Meta(mark=floor, built_at=now)
        meta.advance(recent, now)
        return meta

    def _remove_old_directories(self, keep: set[str]) -> None:
        """Same-schema directories other than the live one and the one before it (which other
        processes may still be reading). Other schema versions belong to other code."""
        for path in self.root.glob(f"v{SCHEMA_VERSION}-*"):
            if path.is_dir() and path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)

    # status

    def status(self) -> dict:
        reading = self.reading()
        with db.engine.connect() as connection:
            pending = connection.scalar(
                sa.select(sa.func.count(SearchChange.id)).where(reading.meta.pending_condition())
            )
            public = count_public_products(connection)
        return {
            "directory": reading.directory,
            "documents": reading.searcher.doc_count() - 1,
            "public_products": public,
            "mark": reading.meta.mark,
            "open_ranges": len(reading.meta.open),
            "pending_changes": pending,
            "synced_at": reading.meta.synced_at,
            "built_at": reading.meta.built_at,
        }


def get_index(app=None) -> SearchIndex:
    app = app or current_app
    index = app.extensions.get("search")
    if index is None:
        index = app.extensions["search"] = SearchIndex(
            app.config["SEARCH_INDEX_DIR"],
            lock_timeout=app.config["SEARCH_LOCK_TIMEOUT"],
            catch_up_wait=app.config["SEARCH_CATCH_UP_WAIT"],
        )
    return index


def prune_changes(connection, days: int) -> int:
    """Delete change rows older than `days`, always keeping the newest row.

    The newest row keeps `max(id)` meaningful: an index whose mark is below it
    knows it is behind, and if it has not synced within the retention window it
    rebuilds rather than trust a log with rows missing.
    """
    cutoff = utcnow() - timedelta(days=days)
    newest = connection.scalar(sa.select(sa.func.max(SearchChange.id)))
    if newest is None:
        return 0
    result = connection.execute(
        sa.delete(SearchChange).where(SearchChange.created_at < cutoff, SearchChange.id < newest)
    )
    return result.rowcount
