"""Search benchmark: the Whoosh engine against SQL LIKE on a synthetic Vietnamese catalogue.

    python bench/search.py --products 100000
    python bench/search.py --products 100000 --database-url postgresql://postgres@127.0.0.1:5432/bench_search

Builds a fresh database with the real migrations (a temporary SQLite file unless
--database-url names a PostgreSQL database, which is created and, at the end,
dropped), fills it with a synthetic catalogue (bench/_catalogue.py), builds the
search index with the engine's own rebuild, then times each query class the way
the storefront searches (page 1, 24 per page, facets on), interleaved in random
order, next to a SQL LIKE baseline on the same data. Prints Markdown.
"""

from __future__ import annotations

import argparse
import gc
import logging
import math
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# Run from a checkout without installing bench/ as a package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from bench import _catalogue

PER_PAGE = 24
SUGGESTIONS = 8
# Query texts per class: runs draw from this many, so most are repeated (as on a real
# storefront) but not all (so the per-term caches do not serve every run).
POOL = 50
WARMUP_PER_CLASS = 3
# Word frequency bands, as shares of public products.
RARE_AT_MOST = 0.002
COMMON_AT_LEAST = 0.05
PAIR_AT_LEAST = 0.01

CLASSES = [
    ("rare", "rare word"),
    ("common", "common word"),
    ("two_common", "two common words"),
    ("unaccented", "unaccented"),
    ("typo", "typo"),
    ("prefix", "prefix"),
    ("facet", "common word + category + province"),
    ("suggest", "suggest() as you type"),
]


@dataclass(frozen=True)
class Query:
    text: str
    # (("category", slug), ("province", code)) or nothing
    filters: tuple = ()


@dataclass
class Timings:
    engine: list[float] = field(default_factory=list)
    engine_first: list[float] = field(default_factory=list)
    engine_repeat: list[float] = field(default_factory=list)
    engine_matches: list[int] = field(default_factory=list)
    like: list[float] = field(default_factory=list)
    like_matches: list[int] = field(default_factory=list)


# --- database ------------------------------------------------------------------------------


def create_postgres_database(url: str, drop_existing: bool) -> None:
    """Create the database named in `url` (replacing an empty one, or any with `drop_existing`)."""
    target = sa.engine.make_url(url)
    if target.database in (None, "", "postgres", "template0", "template1"):
        raise SystemExit(f"refusing to use database {target.database!r}: name a database of your own")
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            )
            if exists:
                if not drop_existing and _has_tables(target):
                    raise SystemExit(
                        f"database {target.database!r} already has tables; pass --drop-existing to replace it"
                    )
                connection.execute(sa.text(f'DROP DATABASE "{target.database}" WITH (FORCE)'))
            connection.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def _has_tables(target) -> bool:
    engine = sa.create_engine(target)
    try:
        return bool(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def drop_postgres_database(url: str) -> None:
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def make_app(database_url: str, workdir: Path):
    from marketplace import create_app

    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(workdir / "uploads"),
            "SEARCH_INDEX_DIR": str(workdir / "search-index"),
            "MAIL_BACKEND": "memory",
        }
    )


def insert_catalogue(catalogue: _catalogue.Catalogue, batch: int = 5000) -> None:
    from marketplace.catalog.models import Category, Product
    from marketplace.cooperatives.models import Cooperative
    from marketplace.extensions import db

    db.session.execute(sa.insert(Category), _catalogue.category_rows(catalogue))
    db.session.execute(sa.insert(Cooperative), _catalogue.cooperative_rows(catalogue))
    rows = catalogue.products
    for start in range(0, len(rows), batch):
        db.session.execute(sa.insert(Product), rows[start : start + batch])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def index_size_mb(directory: Path) -> float:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 1e6


# --- queries ------------------------------------------------------------------------------


def build_queries(catalogue: _catalogue.Catalogue, rng: random.Random) -> dict[str, list[Query]]:
    from marketplace.search.analysis import fold

    public = len(catalogue.public)
    reach = _reach(catalogue)
    rare = sorted(
        w
        for w in catalogue.frequency
        if len(w) >= 3 and w.isalpha() and reach(fold(w)) <= max(3, public * RARE_AT_MOST)
    )
    common = sorted(
        w
        for w, n in catalogue.name_frequency.items()
        if not any(c.isdigit() for c in w) and catalogue.frequency[w] >= public * COMMON_AT_LEAST
    )
    pairs = sorted(
        f"{a} {b}"
        for (a, b), n in catalogue.name_pairs.items()
        if n >= public * PAIR_AT_LEAST and not any(c.isdigit() for c in a + b)
    )
    if not (rare and common and pairs):
        raise SystemExit("catalogue too small to find rare and common words; use more --products")
    unaccented = sorted({fold(t) for t in common + pairs} - set(common + pairs))
    typo_sources = [fold(t) for t in pairs + common if any(len(w) >= 4 for w in fold(t).split())]

    def sample(items, count=POOL):
        return rng.sample(items, min(count, len(items)))

    queries = {
        "rare": [Query(w) for w in sample(rare)],
        "common": [Query(w) for w in sample(common)],
        "two_common": [Query(p) for p in sample(pairs)],
        "unaccented": [Query(t) for t in sample(unaccented)],
        "typo": [Query(typo(rng, rng.choice(typo_sources))) for _ in range(POOL)],
        "prefix": [Query(prefix(rng, rng.choice(pairs + common))) for _ in range(POOL)],
        "facet": [facet_query(rng, catalogue, common) for _ in range(POOL)],
        "suggest": [Query(prefix(rng, rng.choice(pairs + common))) for _ in range(POOL)],
    }
    return {name: list(dict.fromkeys(items)) for name, items in queries.items()}


def _reach(catalogue: _catalogue.Catalogue):
    """An upper bound of how many products a one-word search for a folded word finds: the
    word itself, words one typo away (4+ letters, same first letter) and name words it starts."""
    from marketplace.search.analysis import fold

    folded = catalogue.folded_frequency
    name_words = Counter()
    for word, count in catalogue.name_frequency.items():
        name_words[fold(word)] += count
    letters = sorted({c for word in folded for c in word})

    def neighbours(word: str) -> set[str]:
        found = set()
        for i in range(1, len(word) + 1):
            found.add(word[:i] + word[i + 1 :])
            for c in letters:
                found.add(word[:i] + c + word[i:])
                found.add(word[:i] + c + word[i + 1 :])
        found.discard(word)
        return found

    def reach(word: str) -> int:
        total = folded[word] + sum(n for w, n in name_words.items() if w.startswith(word) and w != word)
        if len(word) >= 4:
            total += sum(folded[w] for w in neighbours(word) if w in folded)
        return total

    return reach


def typo(rng: random.Random, text: str) -> str:
    """One edit (never the first letter) in one word of 4+ letters: 'mat ong' -> 'mat ongg'."""
    words = text.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 4]
    i = rng.choice(candidates)
    word = words[i]
    position = rng.randrange(1, len(word))
    edit = rng.choice(("double", "drop", "substitute") if len(word) >= 5 else ("double", "substitute"))
    if edit == "double":
        word = word[:position] + word[position - 1] + word[position:]
    elif edit == "drop":
        word = word[:position] + word[position + 1 :]
    else:
        replacement = rng.choice([c for c in "aeioucgnhtmrl" if c != word[position]])
        word = word[:position] + replacement + word[position + 1 :]
    words[i] = word
    return " ".join(words)


def prefix(rng: random.Random, text: str) -> str:
    """What is typed half-way: 'vải th', 'mat o', 'gạ' (accents kept half the time)."""
    from marketplace.search.analysis import fold

    words = text.split() if rng.random() < 0.5 else fold(text).split()
    last = words[-1]
    if len(words) == 1 and len(last) <= 2:
        return last
    cut = rng.randint(1, max(1, len(last) - 1)) if len(words) > 1 else rng.randint(2, max(2, len(last) - 1))
    return " ".join(words[:-1] + [last[:cut]])


def facet_query(rng: random.Random, catalogue: _catalogue.Catalogue, common: list[str]) -> Query:
    """A common word of a real public product's name, with its category (or the top one) and province."""
    from marketplace.search.analysis import words as split_words

    by_id = {row["id"]: row for row in catalogue.categories}
    coops = {row["id"]: row for row in catalogue.cooperatives}
    common_set = set(common)
    for _ in range(100):
        product = catalogue.products[rng.choice(catalogue.public)]
        candidates = [w for w in split_words(product["name"]) if w in common_set]
        if candidates:
            break
    else:
        candidates = [rng.choice(common)]
    category = by_id[product["category_id"]]
    if rng.random() < 0.5:
        category = by_id[category["parent_id"]]
    province = coops[product["cooperative_id"]]["province_code"]
    return Query(rng.choice(candidates), (("category", category["slug"]), ("province", province)))


# --- running ------------------------------------------------------------------------------


def run_engine(kind: str, query: Query) -> tuple[float, int]:
    from marketplace.search.engine import search_products, suggest

    start = time.perf_counter()
    if kind == "suggest":
        found = len(suggest(query.text, SUGGESTIONS))
    else:
        results = search_products(
            query.text,
            filters=dict(query.filters) or None,
            sort="relevance",
            page=1,
            per_page=PER_PAGE,
            with_facets=True,
        )
        found = results.total
    return time.perf_counter() - start, found


class LikeBaseline:
    """What search looks like without an index: substring matches, newest first."""

    def __init__(self):
        from marketplace.catalog.models import Category
        from marketplace.extensions import db

        self.categories = {c.slug: c for c in db.session.scalars(sa.select(Category))}

    def run(self, kind: str, query: Query) -> tuple[float, int]:
        from marketplace.catalog.models import Product
        from marketplace.catalog.queries import is_public_product
        from marketplace.cooperatives.models import Cooperative
        from marketplace.extensions import db
        from marketplace.search.analysis import words

        start = time.perf_counter()
        if kind == "suggest":
            pattern = f"%{query.text.lower()}%"
            rows = db.session.execute(
                sa.select(Product.id, Product.name, Product.slug, Product.price_vnd)
                .join(Product.cooperative)
                .where(is_public_product(), sa.func.lower(Product.name).like(pattern))
                .order_by(Product.created_at.desc())
                .limit(SUGGESTIONS)
            ).all()
            return time.perf_counter() - start, len(rows)
        conditions = [is_public_product()]
        for word in words(query.text):
            pattern = f"%{word}%"
            conditions.append(
                sa.or_(sa.func.lower(Product.name).like(pattern), sa.func.lower(Product.description).like(pattern))
            )
        filters = dict(query.filters)
        if "category" in filters:
            category = self.categories[filters["category"]]
            ids = [category.id] + [c.id for c in self.categories.values() if c.parent_id == category.id]
            conditions.append(Product.category_id.in_(ids))
        if "province" in filters:
            conditions.append(Cooperative.province_code == filters["province"])
        matching = sa.select(Product.id).join(Product.cooperative).where(*conditions)
        db.session.execute(matching.order_by(Product.created_at.desc()).limit(PER_PAGE)).scalars().all()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(matching.subquery()))
        return time.perf_counter() - start, total


def measure(
    queries: dict[str, list[Query]], runs: int, like_runs: int, rng: random.Random, progress, figures: dict
) -> dict[str, Timings]:
    """Time the first search and the background warm-up of a just-started process, then
    warm up per class and time every class's runs interleaved in one random order."""
    from marketplace.search.engine import search_products, wait_until_warm

    start = time.perf_counter()
    search_products("", with_facets=True)  # opens the index, decodes columns
    figures["first_search"] = time.perf_counter() - start
    wait_until_warm()
    figures["warm_up"] = time.perf_counter() - start
    seen = set()
    for kind, pool in queries.items():
        for query in pool[:WARMUP_PER_CLASS]:
            run_engine(kind, query)
            seen.add((kind, query))
    timings = {kind: Timings() for kind in queries}
    plan = [(kind, rng.choice(pool)) for kind, pool in queries.items() for _ in range(runs)]
    rng.shuffle(plan)
    for done, (kind, query) in enumerate(plan, start=1):
        elapsed, found = run_engine(kind, query)
        timings[kind].engine.append(elapsed)
        timings[kind].engine_matches.append(found)
        if (kind, query) in seen:
            timings[kind].engine_repeat.append(elapsed)
        else:
            timings[kind].engine_first.append(elapsed)
            seen.add((kind, query))
        if done % 200 == 0:
            progress(f"engine: {done}/{len(plan)} searches")
    baseline = LikeBaseline()
    like_plan = [(kind, rng.choice(pool)) for kind, pool in queries.items() for _ in range(like_runs + 1)]
    warmed = set()
    rng.shuffle(like_plan)
    for done, (kind, query) in enumerate(like_plan, start=1):
        elapsed, found = baseline.run(kind, query)
        if kind not in warmed:  # the first of each class warms the page cache and statement cache
            warmed.add(kind)
            continue
        timings[kind].like.append(elapsed)
        timings[kind].like_matches.append(found)
        if done % 50 == 0:
            progress(f"LIKE: {done}/{len(like_plan)} queries")
    return timings


# --- reporting ----------------------------------------------------------------------------


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (the value below which `share` of the runs fall)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def label(query: Query, catalogue: _catalogue.Catalogue) -> str:
    """“vải” in Trái cây, Bắc Ninh"""
    from marketplace.core import geo

    if not query.filters:
        return f"“{query.text}”"
    filters = dict(query.filters)
    category = next(c["name"] for c in catalogue.categories if c["slug"] == filters["category"])
    return f"“{query.text}” in {category}, {geo.province_name(filters['province'])}"


def ms(value: float) -> str:
    return f"{value * 1000:.1f}"


def machine_state() -> str:
    """The load average and the CPU reference now: how busy and how fast the shared machine is."""
    from bench.checkout import cpu_reference_ms

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{load} (CPU reference {cpu_reference_ms():.0f} ms)"


def describe_machine(started_load: str) -> list[str]:
    from marketplace.extensions import db

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with db.engine.connect() as connection:
        if db.engine.dialect.name == "postgresql":
            version = connection.scalar(sa.text("SHOW server_version"))
            engine = f"PostgreSQL {version}"
        else:
            engine = f"SQLite {connection.scalar(sa.text('select sqlite_version()'))}"
    from importlib.metadata import version as package_version

    load = machine_state()
    return [
        (
            f"- Machine: {len(os.sched_getaffinity(0))} CPUs (`nproc`), {cpu}; load average (1, 5, 15 min) and CPU "
            f"reference (a fixed Python loop, as bench/checkout.py prints; smaller is faster) "
            f"{started_load} at the start, {load} at the end"
        ),
        (
            f"- Python {platform.python_version()}, Whoosh {package_version('whoosh')}, "
            f"SQLAlchemy {package_version('sqlalchemy')}; database: {engine}"
        ),
    ]


def report(args, catalogue, figures: dict, queries: dict[str, list[Query]], timings: dict[str, Timings]) -> str:
    lines = [
        f"## Search benchmark: {args.products:,} products on {figures['engine']}",
        "",
        *describe_machine(figures["load"]),
        (
            f"- Catalogue: {catalogue.product_count:,} products ({len(catalogue.public):,} public) of "
            f"{len(catalogue.cooperatives)} cooperatives in {len(_catalogue.PROVINCES)} provinces, "
            f"{len(catalogue.categories)} categories; seed {args.seed}"
        ),
        (
            f"- Database and index reused from an earlier run; index size {figures['size']:.1f} MB on disk"
            if figures["reused"]
            else f"- Data generation {figures['generate']:.1f} s + database inserts {figures['insert']:.1f} s; "
            f"index build {figures['build']:.1f} s; index size {figures['size']:.1f} MB on disk"
        ),
        (
            f"- A just-started process: first search {figures['first_search'] * 1000:,.0f} ms (opens the index, "
            f"decodes columns), background warm-up of frequent terms done {figures['warm_up']:.1f} s after it"
        ),
        (
            f"- Process private memory (RssAnon) before the timed searches "
            f"{figures['heap_before']:.0f} MB, after {figures['heap_after']:.0f} MB"
        ),
        "",
        (
            "| Query class | Examples | Matches (mean) | p50 ms | p95 ms | p99 ms | repeated p95 ms | first-time p95 ms "
            "| LIKE matches | LIKE p50 ms | LIKE p95 ms | LIKE p99 ms |"
        ),
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for kind, title in CLASSES:
        t = timings[kind]
        examples = ", ".join(label(q, catalogue) for q in queries[kind][:2])
        first = ms(percentile(t.engine_first, 0.95)) + f" ({len(t.engine_first)})" if t.engine_first else "–"
        repeat = ms(percentile(t.engine_repeat, 0.95)) if t.engine_repeat else "–"
        lines.append(
            f"| {title} | {examples} | {statistics.mean(t.engine_matches):,.0f} "
            f"| {ms(percentile(t.engine, 0.5))} | {ms(percentile(t.engine, 0.95))} | {ms(percentile(t.engine, 0.99))} "
            f"| {repeat} | {first} | {statistics.mean(t.like_matches):,.0f} | {ms(percentile(t.like, 0.5))} "
            f"| {ms(percentile(t.like, 0.95))} | {ms(percentile(t.like, 0.99))} |"
        )
    worst = max((percentile(timings[k].engine, 0.95), title) for k, title in CLASSES)
    verdict = "met" if worst[0] <= 0.025 else "MISSED"
    lines += [
        "",
        f"Target p95 <= 25 ms for every class: {verdict} (worst: {worst[1]}, {ms(worst[0])} ms).",
        "",
        (
            f"- Engine: `search_products(q, page=1, per_page={PER_PAGE}, with_facets=True)` as the storefront calls it "
            "(change-log check, ranking, facet counts, highlights of the page; loading the page's Product rows is not "
            f"included), `suggest(prefix, {SUGGESTIONS})`. {args.queries} runs per class, all classes interleaved in "
            f"one random order, after the background warm-up and {WARMUP_PER_CLASS} warm-up runs per class; each run draws its text from a pool "
            f"of up to {POOL} per class. *First-time*: runs whose text (and filters) had not been searched before "
            "in the process (count in brackets), *repeated*: the others; the engine caches decoded postings per "
            "term, so first-time runs are the colder ones."
        ),
        (
            f"- Rare words hit at most {RARE_AT_MOST:.1%} of public products (accents ignored), common words at "
            f"least {COMMON_AT_LEAST:.0%}, common pairs are adjacent words of at least {PAIR_AT_LEAST:.0%} of names."
        ),
        f"- LIKE baseline ({args.like_queries} runs per class): for each word `lower(name) LIKE '%word%' OR "
        "lower(description) LIKE '%word%'`, public products only, plus the category and province filter for "
        f"that class; `ORDER BY created_at DESC LIMIT {PER_PAGE}` and a `COUNT(*)`; suggest: `lower(name) LIKE "
        f"'%prefix%' LIMIT {SUGGESTIONS}`. No ranking and no facets (each facet would be another GROUP BY "
        "query). LIKE cannot match without accents or with a typo (its match counts for those classes show "
        "what it misses) and matches inside longer words (so its counts can also be higher)"
        + (
            ", and SQLite's lower() folds only ASCII letters (“Đ” stays upper-case)."
            if figures["engine"].startswith("SQLite")
            else "."
        ),
    ]
    return "\n".join(lines)


def heap_mb() -> float:
    """Private memory of this process (RssAnon): the index file, mapped by Whoosh, not counted."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# --- main ---------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--cooperatives", type=int, default=300)
    parser.add_argument("--database-url", help="postgresql://user@host:port/NEW_DATABASE (default: a SQLite file)")
    parser.add_argument(
        "--drop-existing", action="store_true", help="replace the PostgreSQL database even if it already has tables"
    )
    parser.add_argument("--queries", type=int, default=200, help="timed engine runs per query class")
    parser.add_argument("--like-queries", type=int, default=30, help="timed SQL LIKE runs per query class")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--keep",
        type=Path,
        help="keep the SQLite database, the index (and a PostgreSQL database) in/for this directory",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="with --keep: reuse the database and index a previous run left there"
    )
    args = parser.parse_args(argv)
    if args.reuse and not args.keep:
        parser.error("--reuse needs --keep DIR")
    if args.products < 500:
        parser.error("--products must be at least 500")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    progress = lambda message: print(f"[bench] {message}", file=sys.stderr, flush=True)
    workdir = args.keep.resolve() if args.keep else Path(tempfile.mkdtemp(prefix="bench-search-"))
    workdir.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    is_postgres = url.startswith("postgresql")
    reuse = args.reuse and (workdir / "done").exists()
    created = False
    if not reuse:
        (workdir / "done").unlink(missing_ok=True)
        shutil.rmtree(workdir / "search-index", ignore_errors=True)
        if is_postgres:
            create_postgres_database(url, args.drop_existing)
            created = True
        else:
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    try:
        run(args, url, workdir, reuse, progress)
    finally:
        if created and not args.keep:
            drop_postgres_database(url)
            progress("dropped the benchmark database")
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


def run(args, url: str, workdir: Path, reuse: bool, progress) -> None:
    from marketplace.core.migrations import upgrade_database as upgrade
    from marketplace.extensions import db
    from marketplace.search.index import get_index

    app = make_app(url, workdir)
    figures = {"generate": 0.0, "insert": 0.0, "build": 0.0, "reused": reuse, "load": machine_state()}
    with app.app_context():
        figures["engine"] = "PostgreSQL" if db.engine.dialect.name == "postgresql" else "SQLite"
        progress(f"generating {args.products:,} products (seed {args.seed})")
        start = time.perf_counter()
        catalogue = _catalogue.generate(args.products, args.cooperatives, args.seed)
        figures["generate"] = time.perf_counter() - start
        rng = random.Random(args.seed)
        queries = build_queries(catalogue, rng)
        index = get_index()
        if not reuse:
            upgrade()
            progress("inserting")
            start = time.perf_counter()
            insert_catalogue(catalogue)
            figures["insert"] = time.perf_counter() - start
        forget_rows(catalogue)
        if not reuse:
            progress(f"building the index in {index.root}")
            start = time.perf_counter()
            indexed = index.rebuild(progress=_build_progress(len(catalogue.public), progress))
            figures["build"] = time.perf_counter() - start
            if indexed != len(catalogue.public):
                raise SystemExit(f"indexed {indexed} products, expected {len(catalogue.public)}")
            (workdir / "done").write_text(f"{args.products} {args.seed}\n")
        figures["size"] = index_size_mb(index.current_directory())
        figures["heap_before"] = heap_mb()
        progress("timing")
        timings = measure(queries, args.queries, args.like_queries, rng, progress, figures)
        figures["heap_after"] = heap_mb()
        print(report(args, catalogue, figures, queries, timings))
        db.session.remove()
        db.engine.dispose()


def forget_rows(catalogue: _catalogue.Catalogue) -> None:
    """Drop the generated rows (the queries are built, the database has them): a search
    server does not hold 100,000 dicts, and every full garbage collection walking them
    would add a pause of a few hundred milliseconds to some random search."""
    catalogue.product_count = len(catalogue.products)
    catalogue.products = []
    gc.collect()


def _build_progress(total: int, progress):
    state = {"done": 0, "next": 0.1}

    def update(count: int) -> None:
        state["done"] += count
        if state["done"] >= state["next"] * total:
            progress(f"indexed {state['done']:,}/{total:,}")
            state["next"] += 0.1

    return update


if __name__ == "__main__":
    main()
