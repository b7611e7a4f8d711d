"""Memory of one web process: RSS after importing the app, after create_app(), and after
each storefront page served once, in-process with Flask's test client.

    python bench/memory.py                      # the demo data, temporary SQLite file
    python bench/memory.py --products 10000     # a synthetic catalogue (bench/_catalogue.py)
    python bench/memory.py --products 10000 --rounds 5 \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench_memory

A separate process first builds the database with the real migrations (a temporary
SQLite file unless --database-url names a PostgreSQL database, which is created and,
at the end, dropped), loads the demo data or the synthetic catalogue and the search
index, and picks the pages. This process then imports nothing of the app before the
first step, so each figure is what a web worker pays: the interpreter, `import
marketplace`, create_app(), then home, product list, categories, a category, a
product, the cooperatives, a cooperative, a search and the products API, each once.
With --rounds N the same kinds of page are served N times over other products,
categories, cooperatives and search words; the RSS after each round shows whether
memory keeps growing. Also printed: which of the heavy optional modules (Stripe,
Pillow, the QR and spreadsheet libraries, ...) each step loaded. Prints Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Modules a storefront page should not need, and the search engine, which it does.
WATCHED = [
    "stripe",
    "PIL",
    "segno",
    "vietnam_qr_pay",
    "openpyxl",
    "vietnam_provinces",
    "email_validator",
    "whoosh",
    "alembic",
]
PER_PAGE = 24  # the storefront's (config PER_PAGE)


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def app_config(url: str, workdir: Path) -> dict:
    return {
        "SECRET_KEY": "bench",
        "SQLALCHEMY_DATABASE_URI": url,
        "UPLOAD_FOLDER": str(workdir / "uploads"),
        "SEARCH_INDEX_DIR": str(workdir / "search-index"),
        "MAIL_BACKEND": "memory",
    }


# --- the preparing process -----------------------------------------------------------------------


def prepare(args, url: str, workdir: Path) -> None:
    """Database, data, search index and the pages to serve (workdir/pages.json)."""
    sys.path.insert(0, str(ROOT))
    from bench import _catalogue
    from bench.search import create_postgres_database, insert_catalogue
    from marketplace import create_app
    from marketplace.core.migrations import upgrade_database as upgrade
    from marketplace.extensions import db
    from marketplace.search.index import get_index

    if url.startswith("postgresql"):
        create_postgres_database(url, args.drop_existing)
        (workdir / "created-database").touch()  # the measuring process drops it at the end
    app = create_app(app_config(url, workdir))
    with app.app_context():
        upgrade()
        if args.products:
            insert_catalogue(_catalogue.generate(args.products, args.cooperatives, args.seed))
            get_index().rebuild()
        else:
            from marketplace.demo.loader import load_demo

            load_demo(image_width=160)
            db.session.commit()
        rounds = pick_pages(args.rounds, args.seed)
        db.session.remove()
        db.engine.dispose()
    (workdir / "pages.json").write_text(json.dumps(rounds))


def pick_pages(rounds: int, seed: int) -> list[list[str]]:
    import random
    from urllib.parse import quote

    import sqlalchemy as sa

    from marketplace.catalog.models import Category, Product, ProductStatus
    from marketplace.cooperatives.models import Cooperative, CooperativeStatus
    from marketplace.extensions import db

    rng = random.Random(seed)
    products = db.session.execute(
        sa.select(Product.slug, Product.id, Product.name)
        .join(Cooperative)
        .where(Product.status == ProductStatus.ACTIVE, Cooperative.status == CooperativeStatus.APPROVED)
        .order_by(Product.id)
    ).all()
    categories = db.session.scalars(sa.select(Category.slug).order_by(Category.id)).all()
    cooperatives = db.session.scalars(
        sa.select(Cooperative.slug).where(Cooperative.status == CooperativeStatus.APPROVED).order_by(Cooperative.id)
    ).all()
    product_pages = -(-len(products) // PER_PAGE)
    cooperative_pages = -(-len(cooperatives) // PER_PAGE)
    pages = []
    for n in range(rounds):
        product = rng.choice(products)
        word = rng.choice(product.name.split())
        pages.append(
            [
                "/",
                f"/products?page={1 + n % product_pages}",
                "/categories",
                f"/categories/{rng.choice(categories)}",
                f"/products/{product.slug}",
                f"/cooperatives/?page={1 + n % cooperative_pages}",
                f"/cooperatives/{rng.choice(cooperatives)}",
                f"/search?q={quote(word)}",
                f"/api/v1/products?page={1 + n % product_pages}",
            ]
        )
    return pages


# --- the measuring process ------------------------------------------------------------------------


class Steps:
    def __init__(self):
        self.rows: list[tuple[str, float, float, str]] = []
        self.seen = {name for name in WATCHED if name in sys.modules}
        self.last = rss_mb()
        self.rows.append(("Python started (`bench/memory.py` itself)", self.last, 0.0, ""))

    def record(self, label: str) -> None:
        now = rss_mb()
        loaded = [name for name in WATCHED if name in sys.modules and name not in self.seen]
        self.seen.update(loaded)
        self.rows.append((label, now, now - self.last, ", ".join(loaded)))
        self.last = now

    def table(self) -> list[str]:
        lines = ["| Step | RSS (MB) | Change (MB) | Heavy modules loaded |", "| --- | ---: | ---: | --- |"]
        for label, rss, change, loaded in self.rows:
            lines.append(f"| {label} | {rss:.1f} | {change:+.1f} | {loaded} |")
        return lines


def measure(url: str, workdir: Path, rounds: list[list[str]]) -> tuple[Steps, str]:
    steps = Steps()
    import marketplace  # noqa: F401 - the package's own imports, before the factory runs

    steps.record("`import marketplace`")
    from marketplace import create_app

    app = create_app(app_config(url, workdir))
    steps.record("`create_app()`")
    client = app.test_client()
    for n, pages in enumerate(rounds):
        for path in pages:
            response = client.get(path)
            if response.status_code != 200:
                raise SystemExit(f"GET {path}: {response.status_code}")
            response.close()
            if n == 0:
                steps.record(f"GET `{path}`")
        if n:
            steps.record(f"round {n + 1}: the same kinds of page over other data")
    with app.app_context():
        from marketplace.extensions import db

        engine = db.engine.dialect.name
        db.session.remove()
        db.engine.dispose()
    return steps, engine


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--products", type=int, default=0, help="a synthetic catalogue of this many products (default: the demo data)"
    )
    parser.add_argument("--cooperatives", type=int, default=300, help="with --products")
    parser.add_argument("--database-url", help="postgresql://user@host:port/NEW_DATABASE (default: a SQLite file)")
    parser.add_argument(
        "--drop-existing", action="store_true", help="replace the PostgreSQL database even if it already has tables"
    )
    parser.add_argument("--rounds", type=int, default=1, help="serve the storefront pages this many times")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)  # the preparing process's workdir
    args = parser.parse_args(argv)
    if args.products and args.products < 500:
        parser.error("--products must be 0 (the demo data) or at least 500")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    url = args.database_url or ""
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if args.prepare:
        prepare(args, url or f"sqlite:///{args.prepare / 'bench.sqlite3'}", args.prepare)
        return
    started_load = load_average()
    workdir = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    url = url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    # The factory keeps its instance folder (a generated key, by default uploads) here, not in the checkout.
    os.environ["INSTANCE_PATH"] = str(workdir / "instance")
    try:
        print("[bench] building the database, the data and the search index", file=sys.stderr, flush=True)
        subprocess.run(
            [sys.executable, __file__, *(argv if argv is not None else sys.argv[1:]), "--prepare", str(workdir)],
            check=True,
            cwd=ROOT,
        )
        rounds = json.loads((workdir / "pages.json").read_text())
        steps, engine = measure(url, workdir, rounds)
        data = f"{args.products:,} products" if args.products else "the demo data"
        print(f"## Memory of one web process: {data} on {'PostgreSQL' if engine == 'postgresql' else 'SQLite'}")
        print()
        print(
            f"- Python {platform.python_version()}, {len(os.sched_getaffinity(0))} CPUs; load average "
            f"(1, 5, 15 min) {started_load} at the start, {load_average()} at the end"
        )
        print("- RSS is VmRSS of this process; pages served in-process by Flask's test client")
        print()
        print("\n".join(steps.table()))
    finally:
        if (workdir / "created-database").exists():
            sys.path.insert(0, str(ROOT))
            from bench.search import drop_postgres_database

            drop_postgres_database(url)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
