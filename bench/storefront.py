"""Storefront benchmark: public pages under gunicorn next to a Flask hello world, at 10k and 100k products.

    python bench/storefront.py                                  # 10,000 then 100,000 products
    python bench/storefront.py --products 2000                  # a quick look while developing
    python bench/storefront.py --products 10000 --reuse         # keep the catalogue, reuse it next time
    python bench/storefront.py --products 10000 --reuse --no-cache --pages home search

For each catalogue size it builds a PostgreSQL database (bench_storefront_<N>) through
the real import path: a synthetic catalogue (bench/_catalogue.py, with one cooperative
holding a quarter of the products) written as CSV files, then `marketplace db upgrade`,
the demo's two-level categories (created with catalog.services), `marketplace
cooperatives import`, `marketplace products import`, a few dozen products featured,
`marketplace search sync`. Then, one server at a time and under the same gunicorn
command (2 sync workers), it drives with wrk at 16 connections: the hello world
(bench/_hello.py), each storefront page, the hello world again. Afterwards it reads
the workers' RSS, counts the SQL statements of each page in-process (the second of
two requests: warm cache) and prints a Markdown table with the targets: every page at
least 0.15 x the hello world's req/s at 10k products (0.10 x at 100k), p99 <= 100 ms,
<= 6 SQL statements per request with a warm cache, worker RSS <= 120 MB.

Without --reuse or --rebuild the database and work directory are dropped at the end;
--reuse keeps them and uses them again when they hold the expected catalogue.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

# Run from a checkout without installing bench/ as a package.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa

from bench import _catalogue
from bench.search import create_postgres_database, drop_postgres_database

DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/bench_storefront_{products}"
DEFAULT_WORKDIR = Path("/tmp/bench-storefront")
HELLO_APP = "bench._hello:create_app()"
# As the README serves it: wsgi.py also opens and warms up the search index in each worker.
STOREFRONT_APP = "wsgi:app"
# wrk gives up on a request after 2 s by default and leaves it out of the latencies: far too
# short for a slow page, so every run (hello world included) waits up to this long.
WRK_TIMEOUT_S = 30
# Targets (the issue's): req/s as a share of the hello world's, below and from LARGE products.
LARGE = 50_000
RATIO_TARGET = {False: 0.15, True: 0.10}
P99_TARGET_MS = 100.0
SQL_TARGET = 6
RSS_TARGET_MB = 120.0
# Environment the servers get from the bench, nothing inherited.
MANAGED_ENV = (
    "DATABASE_URL",
    "SECRET_KEY",
    "INSTANCE_PATH",
    "SEARCH_INDEX_DIR",
    "MAIL_QUEUE",
    "MAIL_BACKEND",
    "UPLOAD_FOLDER",
    "MARKETPLACE_PRODUCTION",
    "REDIS_URL",
    "PAGE_CACHE",
)
PAGE_KEYS = ("home", "top_category", "sub_category", "product", "cooperative", "search", "api_products")


@dataclass
class Page:
    key: str
    label: str
    path: str


@dataclass
class Load:
    """One wrk run."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: dict[str, int]

    @property
    def errors(self) -> int:
        return self.non_2xx_3xx + sum(self.socket_errors.values())


@dataclass
class PageResult:
    page: Page
    load: Load
    sql_cold: int | None = None
    sql_warm: int | None = None


@dataclass
class SizeRun:
    products: int
    database: str
    workdir: str
    built: bool
    build_seconds: dict[str, float]
    facts: dict
    machine_start: dict
    hello_start: Load | None = None
    hello_end: Load | None = None
    hello_rss_mb: dict[int, float] = field(default_factory=dict)
    pages: list[PageResult] = field(default_factory=list)
    rss_mb: dict[int, float] = field(default_factory=dict)
    machine_end: dict = field(default_factory=dict)

    @property
    def hello_mean(self) -> float:
        runs = [h.requests_per_s for h in (self.hello_start, self.hello_end) if h]
        return sum(runs) / len(runs) if runs else float("nan")


def progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- environment and the app in this process ---------------------------------------------------


def server_environment(args, url: str, workdir: Path) -> dict[str, str]:
    """What gunicorn, the CLI and the in-process app all see (the rest of os.environ is kept)."""
    env = {key: value for key, value in os.environ.items() if key not in MANAGED_ENV}
    env.update(
        {
            "DATABASE_URL": url,
            "SECRET_KEY": "bench-storefront",
            "INSTANCE_PATH": str(workdir / "instance"),
            "SEARCH_INDEX_DIR": str(workdir / "search-index"),
            "MAIL_QUEUE": "worker",
        }
    )
    if args.redis:
        env["REDIS_URL"] = args.redis
    if args.no_cache:
        env["PAGE_CACHE"] = "0"
    return env


@contextlib.contextmanager
def app_context(env: dict[str, str]):
    """The storefront app built in this process from exactly the servers' environment."""
    from marketplace import create_app
    from marketplace.extensions import db

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        app = create_app()
        with app.app_context():
            try:
                yield app
            finally:
                db.session.remove()
                db.engine.dispose()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def marketplace_command() -> list[str]:
    script = Path(sys.executable).parent / "marketplace"
    return [str(script)] if script.exists() else [sys.executable, "-m", "marketplace.cli"]


def run_cli(env: dict[str, str], log: Path, *arguments: str) -> float:
    """`marketplace ARGUMENTS` in a subprocess (output to `log`); seconds taken."""
    start = time.perf_counter()
    with open(log, "ab") as out:
        out.write(f"\n$ marketplace {' '.join(arguments)}\n".encode())
        out.flush()
        finished = subprocess.run(
            [*marketplace_command(), *arguments], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if finished.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        command = " ".join(arguments)
        raise SystemExit(f"`marketplace {command}` failed ({finished.returncode}); {log} ends with:\n{tail}")
    return time.perf_counter() - start


# --- the catalogue -----------------------------------------------------------------------------


def default_cooperatives(products: int) -> int:
    return 113 if products < LARGE else 300


def plan_catalogue(products: int, cooperatives: int, biggest_share: float, seed: int) -> _catalogue.Catalogue:
    """_catalogue.generate with one cooperative (a lychee grower, the first one) holding about
    `biggest_share` of the products, as on the real site; the others keep their skewed weights."""
    rng = random.Random(seed)
    now = datetime(2026, 11, 25, 12, 0, 0)
    categories, subs = _catalogue._categories()
    coops = _catalogue._cooperatives(rng, cooperatives, now)
    biggest = next((c for c in coops if c["_specialties"][0] == "vai-thieu"), coops[0])
    others = sum(c["_weight"] for c in coops if c is not biggest)
    biggest["_weight"] = others * biggest_share / (1 - biggest_share)
    catalogue = _catalogue.Catalogue(categories, coops, [])
    _catalogue._products(rng, catalogue, products, subs, now)
    return catalogue


def write_csvs(catalogue: _catalogue.Catalogue, directory: Path) -> tuple[Path, Path]:
    """The import files, in the formats the README documents."""
    import csv

    from marketplace.catalog.importer import PRODUCT_HEADER
    from marketplace.cooperatives.importer import COOPERATIVE_HEADER
    from marketplace.core import geo

    coops_csv, products_csv = directory / "cooperatives.csv", directory / "products.csv"
    slugs = {}
    with open(coops_csv, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(COOPERATIVE_HEADER)
        for row in catalogue.cooperatives:
            slugs[row["id"]] = row["slug"]
            writer.writerow(
                [
                    row["slug"],
                    row["name"],
                    "",
                    geo.province_name(row["province_code"]),
                    geo.ward_name(row["ward_code"]),
                    row["created_at"].date().isoformat(),
                    int(row["is_youth"]),
                    row["member_count"],
                    row["youth_member_count"],
                    "",
                    "",
                    "",
                    row["description"],
                ]
            )
    names = {row["id"]: row["name"] for row in catalogue.categories}
    with open(products_csv, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(PRODUCT_HEADER)
        for row in catalogue.products:
            writer.writerow(
                [
                    slugs[row["cooperative_id"]],
                    row["sku"],
                    row["name"],
                    names[row["category_id"]],
                    row["unit"],
                    row["price_vnd"],
                    row["stock"],
                    row["ocop_stars"] or "",
                    row["origin"],
                    row["description"],
                ]
            )
    return coops_csv, products_csv


def create_categories() -> None:
    """The demo's two-level categories, through the agency's own service (an import only makes top ones)."""
    from marketplace.catalog.services import create_category
    from marketplace.demo import data as demo
    from marketplace.extensions import db

    made = {}
    for position, item in enumerate(demo.CATEGORIES):
        made[item.slug] = create_category(item.name, made[item.parent] if item.parent else None, position)
    db.session.commit()


def mark_featured(count: int, seed: int) -> None:
    from marketplace.catalog.models import Product
    from marketplace.extensions import db

    ids = sorted(db.session.scalars(sa.select(Product.id)))
    chosen = random.Random(seed).sample(ids, min(count, len(ids)))
    db.session.execute(sa.update(Product).where(Product.id.in_(chosen)).values(is_featured=True))
    db.session.commit()


def catalogue_counts(url: str) -> dict | None:
    """Products, cooperatives and featured products in the database, or None if it is not there."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                "products": connection.scalar(sa.text("SELECT count(*) FROM products")),
                "cooperatives": connection.scalar(sa.text("SELECT count(*) FROM cooperatives")),
                "featured": connection.scalar(sa.text("SELECT count(*) FROM products WHERE is_featured")),
            }
    except sa.exc.DBAPIError:
        return None
    finally:
        engine.dispose()


def analyze(url: str) -> None:
    """Fresh planner statistics, as autovacuum would have after a big import."""
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("ANALYZE"))
    finally:
        engine.dispose()


def build_catalogue(
    args, products: int, cooperatives: int, url: str, workdir: Path, env: dict[str, str]
) -> dict[str, float]:
    """A new database holding the catalogue, through the real import path; seconds per step."""
    seconds = {}
    create_postgres_database(url, drop_existing=True)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    log = workdir / "build.log"
    progress(f"generating {products:,} products of {cooperatives} cooperatives (seed {args.seed})")
    start = time.perf_counter()
    catalogue = plan_catalogue(products, cooperatives, args.biggest_share, args.seed)
    coops_csv, products_csv = write_csvs(catalogue, workdir)
    del catalogue
    seconds["generate"] = time.perf_counter() - start
    progress(f"marketplace db upgrade (output in {log})")
    seconds["db upgrade"] = run_cli(env, log, "db", "upgrade")
    progress("categories (catalog.services.create_category)")
    start = time.perf_counter()
    with app_context(env):
        create_categories()
    seconds["categories"] = time.perf_counter() - start
    progress(f"marketplace cooperatives import {coops_csv.name}")
    seconds["cooperatives import"] = run_cli(env, log, "cooperatives", "import", str(coops_csv))
    progress(f"marketplace products import {products_csv.name} ({products:,} rows)")
    seconds["products import"] = run_cli(env, log, "products", "import", str(products_csv))
    progress(f"featuring {args.featured} products")
    start = time.perf_counter()
    with app_context(env):
        mark_featured(args.featured, args.seed)
    analyze(url)
    seconds["featured + ANALYZE"] = time.perf_counter() - start
    return seconds


def ensure_catalogue(args, products: int, url: str, workdir: Path, env: dict[str, str]) -> tuple[bool, dict]:
    """(built now?, seconds per build step), leaving the catalogue and a synced search index."""
    cooperatives = args.cooperatives or default_cooperatives(products)
    counts = catalogue_counts(url)
    expected = {"products": products, "cooperatives": cooperatives}
    complete = counts is not None and all(counts[k] == v for k, v in expected.items()) and counts["featured"] > 0
    if args.reuse and complete and not args.rebuild:
        progress(
            f"reusing {sa.engine.make_url(url).database}: {counts['products']:,} products, "
            f"{counts['cooperatives']} cooperatives; index in {workdir / 'search-index'}"
        )
        seconds = {}
        built = False
        workdir.mkdir(parents=True, exist_ok=True)
        progress("marketplace db upgrade (the code under test may have added migrations)")
        try:
            seconds["db upgrade"] = run_cli(env, workdir / "build.log", "db", "upgrade")
        except SystemExit as failed:
            raise SystemExit(f"{failed}\n(the reused database does not fit this code's migrations: --rebuild)")
    else:
        if counts is not None and args.reuse and not args.rebuild:
            progress(f"{sa.engine.make_url(url).database} holds {counts}, not {expected}: building it again")
        started = time.perf_counter()
        seconds = build_catalogue(args, products, cooperatives, url, workdir, env)
        built = True
        seconds["total (before search sync)"] = time.perf_counter() - started
    workdir.mkdir(parents=True, exist_ok=True)
    progress("marketplace search sync")
    seconds["search sync"] = run_cli(env, workdir / "build.log", "search", "sync")
    counts = catalogue_counts(url)
    if counts["products"] != products:
        raise SystemExit(f"the database holds {counts['products']:,} products, not {products:,}")
    return built, seconds


# --- pages ---------------------------------------------------------------------------------------


def find_pages(search_word: str) -> tuple[list[Page], dict]:
    """The pages to time, the heaviest of each kind, and facts about the catalogue."""
    from marketplace.catalog.models import Category, Product
    from marketplace.catalog.queries import is_public_product
    from marketplace.cooperatives.models import Cooperative
    from marketplace.extensions import db

    session = db.session
    per_category = dict(
        session.execute(
            sa.select(Product.category_id, sa.func.count())
            .join(Product.cooperative)
            .where(is_public_product())
            .group_by(Product.category_id)
        ).all()
    )
    categories = list(session.scalars(sa.select(Category)))
    tops = Counter()
    for category in categories:
        tops[category.parent_id or category.id] += per_category.get(category.id, 0)
    by_id = {c.id: c for c in categories}
    top_id, top_count = tops.most_common(1)[0]
    subs = [c for c in categories if c.parent_id == top_id]
    if not subs:
        raise SystemExit(f"category {by_id[top_id].slug} has no sub-categories: the catalogue is not two-level")
    sub = max(subs, key=lambda c: (per_category.get(c.id, 0), -c.id))
    coop_slug, coop_count = session.execute(
        sa.select(Cooperative.slug, sa.func.count(Product.id))
        .join(Product.cooperative)
        .where(is_public_product())
        .group_by(Cooperative.id, Cooperative.slug)
        .order_by(sa.func.count(Product.id).desc(), Cooperative.id)
        .limit(1)
    ).one()
    product_slug = session.scalar(
        sa.select(Product.slug)
        .join(Product.cooperative)
        .where(is_public_product(), Cooperative.slug == coop_slug)
        .order_by(Product.id)
        .limit(1)
    )
    public = session.scalar(sa.select(sa.func.count(Product.id)).join(Product.cooperative).where(is_public_product()))
    facts = {
        "products": session.scalar(sa.select(sa.func.count(Product.id))),
        "public_products": public,
        "cooperatives": session.scalar(sa.select(sa.func.count(Cooperative.id))),
        "featured": session.scalar(sa.select(sa.func.count(Product.id)).where(Product.is_featured.is_(True))),
        "biggest_cooperative": {"slug": coop_slug, "products": coop_count},
        "biggest_top_category": {"slug": by_id[top_id].slug, "name": by_id[top_id].name, "products": top_count},
        "its_biggest_sub_category": {"slug": sub.slug, "name": sub.name, "products": per_category.get(sub.id, 0)},
        "categories": {
            "top": sum(1 for c in categories if c.parent_id is None),
            "sub": sum(1 for c in categories if c.parent_id is not None),
        },
    }
    pages = [
        Page("home", "home", "/"),
        Page("top_category", "top category", f"/categories/{by_id[top_id].slug}"),
        Page("sub_category", "sub-category", f"/categories/{sub.slug}"),
        Page("product", "product", f"/products/{product_slug}"),
        Page("cooperative", "cooperative", f"/cooperatives/{coop_slug}"),
        Page("search", "search", f"/search?q={search_word}"),
        Page("api_products", "products API", "/api/v1/products?per_page=24"),
    ]
    return pages, facts


def count_statements(env: dict[str, str], pages: list[Page], headers: dict[str, str]) -> dict[str, tuple[int, int]]:
    """{page key: (statements of a first request, of a second one)} in an app built here from the
    servers' environment; no cookies, as wrk sends none."""
    from flask import g
    from sqlalchemy import event

    from marketplace.extensions import db

    counts = {}
    with app_context(env) as app:
        statements = [0]

        def count(*_args):
            statements[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            client = app.test_client(use_cookies=False)
            for page in pages:
                seen = []
                for _ in range(2):
                    statements[0] = 0
                    # One app context is held around both requests: empty its `g` as each real
                    # request starts with (or what a request memoises would look free).
                    for name in list(g):
                        g.pop(name)
                    response = client.get(page.path, headers=headers)
                    if response.status_code != 200:
                        raise SystemExit(f"in-process GET {page.path} answered {response.status_code}")
                    seen.append(statements[0])
                counts[page.key] = (seen[0], seen[1])
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return counts


# --- servers -------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def gunicorn_arguments(workers: int, port: int) -> list[str]:
    """The one gunicorn command line, for the storefront and the hello world alike."""
    return ["-w", str(workers), "-k", "sync", "-b", f"127.0.0.1:{port}"]


class Server:
    def __init__(self, app_spec: str, workers: int, env: dict[str, str], log: Path):
        self.port = free_port()
        self.log = log
        self.command = [sys.executable, "-m", "gunicorn", *gunicorn_arguments(workers, self.port), app_spec]
        with open(log, "ab") as out:  # gunicorn keeps its own copy of the file
            self.process = subprocess.Popen(
                self.command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_until_listening(self, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited ({self.process.returncode}); see {self.log}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port), timeout=1):
                return
            time.sleep(0.1)
        raise SystemExit(f"gunicorn did not listen within {seconds:.0f} s; see {self.log}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def worker_rss_mb(self) -> dict[int, float]:
        """{worker pid: VmRSS in MB} of the master's children."""
        pid = self.process.pid
        try:
            children = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except OSError:
            children = []
        rss = {}
        for child in children:
            with contextlib.suppress(OSError):
                for line in Path(f"/proc/{child}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        rss[child] = int(line.split()[1]) / 1024
        return rss

    def stop(self) -> None:
        """SIGTERM to gunicorn's process group (master and workers), SIGKILL if it lingers."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


@contextlib.contextmanager
def serving(app_spec: str, args, env: dict[str, str], log: Path):
    server = Server(app_spec, args.workers, env, log)
    try:
        server.wait_until_listening()
        yield server
    except BaseException:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:]) if log.exists() else ""
        progress(f"{log} ends with:\n{tail}")
        raise
    finally:
        server.stop()


def check_answers(server: Server, path: str, headers: dict[str, str]) -> None:
    """One GET, which must be a 200 (the first request of a worker is also the slowest)."""
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise SystemExit(f"GET {path} answered {response.status}, not 200; see {server.log}")


# --- load ----------------------------------------------------------------------------------------


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> Load:
    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    requests = re.search(r"^\s*(\d+) requests in ", output, re.M)
    latency = dict(re.findall(r"^\s+(\d+(?:\.\d+)?)%\s+(\S+)\s*$", output, re.M))
    if not (rate and requests and "50" in latency and "99" in latency):
        raise ValueError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()))) if sockets else {}
    return Load(
        requests_per_s=float(rate.group(1)),
        p50_ms=_duration_ms(latency["50"]),
        p99_ms=_duration_ms(latency["99"]),
        requests=int(requests.group(1)),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors={k: v for k, v in socket_errors.items() if v},
    )


def wrk_command(args, url: str, seconds: int) -> list[str]:
    headers = ["-H", f"Accept-Encoding: {args.accept_encoding}"] if args.accept_encoding else []
    threads = min(args.threads, args.connections)
    return [
        "wrk",
        f"-t{threads}",
        f"-c{args.connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        f"{WRK_TIMEOUT_S}s",
        *headers,
        url,
    ]


def run_wrk(args, url: str, seconds: int) -> Load:
    finished = subprocess.run(wrk_command(args, url, seconds), capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        raise SystemExit(f"wrk failed ({finished.returncode}): {finished.stderr or finished.stdout}")
    return parse_wrk(finished.stdout)


def drive(args, server: Server, path: str, headers: dict[str, str]) -> Load:
    """Check the page answers 200, warm both workers up (untimed), then the timed run."""
    check_answers(server, path, headers)
    if args.warmup:
        run_wrk(args, server.url(path), args.warmup)
    return run_wrk(args, server.url(path), args.seconds)


def measure_hello(args, env: dict[str, str], workdir: Path, headers: dict[str, str], when: str, run: SizeRun) -> Load:
    progress(f"hello world ({when}): wrk {args.connections} connections, {args.seconds} s")
    with serving(HELLO_APP, args, env, workdir / "gunicorn-hello.log") as server:
        load = drive(args, server, "/", headers)
        run.hello_rss_mb = server.worker_rss_mb()
    progress(f"hello world ({when}): {load.requests_per_s:,.0f} req/s")
    return load


# --- machine -------------------------------------------------------------------------------------


def cpu_reference_ms() -> float:
    """CPU milliseconds of a fixed pure-Python loop: the same host gives different req/s from
    hour to hour (a shared virtual machine); this says how fast it was for this run."""
    start = time.process_time()
    total = 0
    for n in range(10_000_000):
        total += n
    return (time.process_time() - start) * 1000


def machine_now() -> dict:
    return {"load_average": [round(x, 2) for x in os.getloadavg()], "cpu_reference_ms": round(cpu_reference_ms())}


# --- report --------------------------------------------------------------------------------------


def ratio_target(products: int) -> float:
    return RATIO_TARGET[products >= LARGE]


def verdict(result: PageResult, hello: float, products: int) -> str:
    load, misses = result.load, []
    ratio = load.requests_per_s / hello if hello else float("nan")
    if not ratio >= ratio_target(products):
        misses.append(f"{ratio:.3f}× < {ratio_target(products):.2f}×")
    if load.p99_ms > P99_TARGET_MS:
        misses.append(f"p99 {load.p99_ms:,.0f} > {P99_TARGET_MS:.0f} ms")
    if result.sql_warm is None or result.sql_warm > SQL_TARGET:
        misses.append(f"{result.sql_warm} > {SQL_TARGET} statements")
    if load.errors:
        details = [f"{load.non_2xx_3xx} non-2xx/3xx"] if load.non_2xx_3xx else []
        details += [f"{n} socket {kind}" for kind, n in load.socket_errors.items()]
        misses.append("**ERRORS: " + ", ".join(details) + "**")
    return "yes" if not misses else "no: " + "; ".join(misses)


def _load_text(machine: dict) -> str:
    return f"{', '.join(f'{x:.2f}' for x in machine['load_average'])} (CPU reference {machine['cpu_reference_ms']} ms)"


def report(args, run: SizeRun) -> str:
    facts = run.facts
    hello = run.hello_mean
    settings = [
        f"PAGE_CACHE={'0' if args.no_cache else 'unset'}",
        f"REDIS_URL={'set' if args.redis else 'unset'}",
        f"Accept-Encoding: {args.accept_encoding}" if args.accept_encoding else "no Accept-Encoding",
    ]
    steps = ", ".join(f"{name} {s:,.1f} s" for name, s in run.build_seconds.items())
    built = f"built for this run: {steps}" if run.built else f"reused from an earlier run ({steps})"
    big, top, sub = facts["biggest_cooperative"], facts["biggest_top_category"], facts["its_biggest_sub_category"]
    lines = [
        (
            f"### Storefront benchmark: {run.products:,} products, PostgreSQL, {args.workers} gunicorn sync workers, "
            f"wrk {args.connections} connections × {args.seconds} s per page"
        ),
        "",
        (
            f"- Catalogue `{run.database}`: {facts['public_products']:,} public products of {facts['cooperatives']} "
            f"cooperatives (the biggest, `{big['slug']}`, {big['products']:,} products), {facts['categories']['top']} top "
            f"and {facts['categories']['sub']} sub-categories (the biggest top category, {top['name']}, "
            f"{top['products']:,} products; its biggest sub-category, {sub['name']}, {sub['products']:,}), "
            f"{facts['featured']} featured; {built}."
        ),
        (
            f"- Hello world (`bench/_hello.py`, same gunicorn command and wrk settings): "
            f"{run.hello_start.requests_per_s:,.0f} req/s at the start, {run.hello_end.requests_per_s:,.0f} at the end; "
            f"the ratios are to their mean, {hello:,.0f} req/s."
        ),
        (
            f"- Load average (1, 5, 15 min) and CPU reference (a fixed Python loop; smaller is a faster machine): "
            f"{_load_text(run.machine_start)} at the start, {_load_text(run.machine_end)} at the end; "
            f"{os.cpu_count()} CPUs."
        ),
        f"- `gunicorn {' '.join(gunicorn_arguments(args.workers, 0)).replace(':0', ':PORT')} APP`; "
        f"`{' '.join(wrk_command(args, 'URL', args.seconds))}` after an untimed {args.warmup} s warm-up; "
        + "; ".join(settings)
        + ".",
        "",
        "| page | req/s | × hello world | p50 ms | p99 ms | SQL statements (warm) | SQL (cold) | target met? |",
        "|---|--:|--:|--:|--:|--:|--:|---|",
    ]
    for result in run.pages:
        load = result.load
        lines.append(
            f"| {result.page.label} `{result.page.path}` | {load.requests_per_s:,.1f} "
            f"| {load.requests_per_s / hello:.3f} | {load.p50_ms:,.1f} | {load.p99_ms:,.1f} "
            f"| {result.sql_warm} | {result.sql_cold} | {verdict(result, hello, run.products)} |"
        )
    rss = run.rss_mb
    worst = max(rss.values()) if rss else float("nan")
    each = ", ".join(f"{mb:.0f}" for mb in rss.values())
    hello_rss = ", ".join(f"{mb:.0f}" for mb in run.hello_rss_mb.values())
    lines += [
        "",
        (
            f"Worker RSS after the run: max {worst:.0f} MB (each: {each}); target ≤ {RSS_TARGET_MB:.0f} MB: "
            f"{'met' if worst <= RSS_TARGET_MB else 'MISSED'}. (Hello world workers: {hello_rss} MB.)"
        ),
        "",
        (
            f"Targets: every page ≥ {ratio_target(run.products):.2f}× the hello world of the same run "
            f"(0.15× below {LARGE:,} products, 0.10× from there), p99 ≤ {P99_TARGET_MS:.0f} ms, ≤ {SQL_TARGET} SQL "
            f"statements with a warm cache (the second of two requests, counted in-process), no error answers. "
            f"Pages met: {sum(verdict(r, hello, run.products) == 'yes' for r in run.pages)}/{len(run.pages)}."
        ),
    ]
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--products",
        type=int,
        nargs="+",
        default=[10_000, 100_000],
        help="catalogue sizes, each its own database and run (10000 100000)",
    )
    parser.add_argument(
        "--cooperatives", type=int, help=f"cooperatives per catalogue (113 below {LARGE:,} products, 300 from there)"
    )
    parser.add_argument(
        "--biggest-share", type=float, default=0.25, help="share of the products held by the biggest cooperative (0.25)"
    )
    parser.add_argument("--featured", type=int, default=48, help="products marked featured (48)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        default=DEFAULT_DATABASE,
        help="PostgreSQL URL; {products} is replaced by the size (default: %(default)s)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help="a directory per database here: CSV files, search index, logs (%(default)s)",
    )
    build = parser.add_mutually_exclusive_group()
    build.add_argument(
        "--reuse",
        action="store_true",
        help="use the database if it holds the expected catalogue (else build it) and keep it",
    )
    build.add_argument("--rebuild", action="store_true", help="build the catalogue again, and keep it")
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="build (or check) the catalogues and their search indexes, keep them, measure nothing",
    )
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers (2)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections (16)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--seconds", type=int, default=10, help="timed wrk run per page (10)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed wrk run per page before it (2; 0: none)")
    parser.add_argument("--pages", nargs="+", choices=PAGE_KEYS, default=list(PAGE_KEYS))
    parser.add_argument("--search-word", default="vai", help="the search page's query (vai: vải typed without accents)")
    parser.add_argument("--redis", metavar="URL", help="REDIS_URL for the app (its cache shared in Redis)")
    parser.add_argument("--no-cache", action="store_true", help="PAGE_CACHE=0: the storefront cache off")
    parser.add_argument("--accept-encoding", metavar="VALUE", help="send Accept-Encoding: VALUE (e.g. gzip)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also save the raw results here")
    args = parser.parse_args(argv)
    if min(args.products) < 500:
        parser.error("--products must be at least 500")
    if not 0 < args.biggest_share < 1:
        parser.error("--biggest-share is between 0 and 1")
    if args.workers < 1 or args.connections < 1 or args.threads < 1 or args.seconds < 1 or args.warmup < 0:
        parser.error("--workers, --connections, --threads and --seconds must be at least 1")
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk)")
    args.pages = [key for key in PAGE_KEYS if key in args.pages]
    if args.build_only and not args.rebuild:
        args.reuse = True
    return args


def database_url(template: str, products: int) -> str:
    url = template.replace("{products}", str(products))
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise SystemExit("the storefront benchmark runs on PostgreSQL: --database-url postgresql://…")
    if not (parsed.database or "").startswith("bench"):
        raise SystemExit(
            f"refusing database {parsed.database!r}: the benchmark drops and creates its database, "
            "so its name must start with 'bench'"
        )
    return url


def run_size(args, products: int, runs: list[SizeRun]) -> None:
    url = database_url(args.database_url, products)
    name = sa.engine.make_url(url).database
    workdir = (args.workdir / name).resolve()
    keep = args.reuse or args.rebuild
    env = server_environment(args, url, workdir)
    headers = {"Accept-Encoding": args.accept_encoding} if args.accept_encoding else {}
    counts = None if keep else catalogue_counts(url)
    if counts and counts["products"]:
        raise SystemExit(
            f"database {name!r} already holds {counts['products']:,} products: pass --reuse to use "
            "it (and keep it) or --rebuild to build it again"
        )
    try:
        built, seconds = ensure_catalogue(args, products, url, workdir, env)
        with app_context(env):
            pages, facts = find_pages(args.search_word)
        if args.build_only:
            steps = ", ".join(f"{step} {s:,.1f} s" for step, s in seconds.items())
            print(f"{name}: {'built' if built else 'reused'} ({steps}); {json.dumps(facts, ensure_ascii=False)}")
            return
        pages = [page for page in pages if page.key in args.pages]
        run = SizeRun(products, name, str(workdir), built, seconds, facts, machine_now())
        runs.append(run)
        run.hello_start = measure_hello(args, env, workdir, headers, "start", run)
        with serving(STOREFRONT_APP, args, env, workdir / "gunicorn-storefront.log") as server:
            for page in pages:
                progress(f"{page.label} {page.path}: wrk {args.connections} connections, {args.seconds} s")
                load = drive(args, server, page.path, headers)
                progress(
                    f"{page.label}: {load.requests_per_s:,.1f} req/s, p99 {load.p99_ms:,.0f} ms"
                    + (f", {load.errors} errors" if load.errors else "")
                )
                run.pages.append(PageResult(page, load))
            run.rss_mb = server.worker_rss_mb()
        run.hello_end = measure_hello(args, env, workdir, headers, "end", run)
        progress("counting SQL statements per request in-process")
        counts = count_statements(env, pages, headers)
        for result in run.pages:
            result.sql_cold, result.sql_warm = counts[result.page.key]
        run.machine_end = machine_now()
        print(report(args, run), flush=True)
        print(flush=True)
    finally:
        if not keep:
            drop_postgres_database(url)
            shutil.rmtree(workdir, ignore_errors=True)
            progress(f"dropped {name} and {workdir}")


def raw_result(run: SizeRun) -> dict:
    """The run as saved by --json: everything measured, with the ratios and verdicts of the table."""
    raw = asdict(run)
    raw["hello_mean_requests_per_s"] = run.hello_mean
    for saved, result in zip(raw["pages"], run.pages):
        saved["ratio_to_hello"] = result.load.requests_per_s / run.hello_mean if run.hello_mean else None
        saved["target_met"] = verdict(result, run.hello_mean, run.products)
    raw["ratio_target"] = ratio_target(run.products)
    raw["rss_target_met"] = bool(run.rss_mb) and max(run.rss_mb.values()) <= RSS_TARGET_MB
    return raw


def _terminate(signum, _frame):
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv=None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING)  # the in-process app's INFO lines are not the report
    signal.signal(signal.SIGTERM, _terminate)  # so that `finally` stops the servers
    runs: list[SizeRun] = []
    try:
        for products in args.products:
            run_size(args, products, runs)
    finally:
        if args.json and runs:
            args.json.write_text(
                json.dumps(
                    {
                        "arguments": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
                        "runs": [raw_result(run) for run in runs],
                    },
                    indent=2,
                    ensure_ascii=False,
                    default=str,
                )
            )
            progress(f"raw results in {args.json}")
    return 1 if any(result.load.errors for run in runs for result in run.pages) else 0


if __name__ == "__main__":
    sys.exit(main())
