"""Checkout benchmark: concurrent clients placing orders through the JSON API under gunicorn.

    python bench/checkout.py                                   # temporary SQLite file, 20 s
    python bench/checkout.py --seconds 10 --clients 16 --workers 2 \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench_checkout
    python bench/checkout.py --mail-queue thread                 # web processes send the emails too
    python bench/checkout.py --by-batch                          # stock kept by batch (traceability)

Builds a fresh database with the real migrations (a temporary SQLite file unless
--database-url names a PostgreSQL database, which is created and, at the end,
dropped), seeds cooperatives and products with known stock (a few products with
little stock, bought often, so buyers race for the last units), starts the app
under gunicorn (wsgi:app, settings in the environment), then N client threads POST
/api/v1/orders (cash on delivery, 1-3 random lines) for a duration or a number of
orders. Prints Markdown: orders/s, latency percentiles, status counts, and the stock
check from the database afterwards: for every product, initial stock == units sold
(order lines) + stock remaining. Any difference is an oversell (or lost stock):
the exit status is then 1.

With --by-batch every product's stock is held by two batches (the one expiring first holds
half), so each order also takes its units from the batches and records them
(traceability.lots); the check then also compares, per product, its stock with the sum of its
batches' and the units sold with the units recorded against its batches.

Order emails go through the email queue (marketplace.mail.queue). With --mail-queue
worker (the default, the production setup with a separate mail worker) the web
processes only queue them; after the run the benchmark sends everything queued
in-process (deliver_due, memory mail backend) and prints the drain rate. With
--mail-queue thread each gunicorn worker's sender thread sends them during the run
(what is left when gunicorn stops is drained the same way afterwards).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

# Run from a checkout without installing bench/ as a package.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa

from bench.search import create_postgres_database, drop_postgres_database

COOPERATIVES = 20
PRODUCTS_PER_COOPERATIVE = 10
PLENTY = 1_000_000
# Products with little stock, and how often a line picks one of them.
SCARCE = 8
SCARCE_STOCK = (30, 120)
SCARCE_SHARE = 0.1
STREETS = ["Số 12, thôn Đồng Cốc", "25 Lý Thường Kiệt", "Ngõ 4, xóm Chùa", "Tổ 7, khu phố 3"]
NAMES = ["Nguyễn Thị Lan", "Trần Văn Minh", "Lê Thu Hà", "Phạm Quốc Huy", "Hoàng Mai Anh"]


@dataclass
class Shop:
    product_ids: list[int]
    scarce_ids: list[int]
    initial: dict[int, int]
    address: tuple[int, int]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    errors: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status, seconds: float, error: str | None = None) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] += 1
            if error:
                self.errors[error[:160]] += 1


# --- database ----------------------------------------------------------------------------------


def make_app(database_url: str, workdir: Path):
    from marketplace import create_app

    return create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": str(workdir / "uploads"),
            "SEARCH_INDEX_DIR": str(workdir / "search-index"),
            "MAIL_BACKEND": "memory",
            "MAIL_QUEUE": "worker",
        }
    )


def build_schema_and_seed(database_url: str, workdir: Path, rng: random.Random, by_batch: bool = False) -> Shop:
    from marketplace.catalog.models import Category, Product, ProductStatus
    from marketplace.cooperatives.models import Cooperative, CooperativeStatus
    from marketplace.core import geo
    from marketplace.core.migrations import upgrade_database as upgrade
    from marketplace.extensions import db

    app = make_app(database_url, workdir)
    with app.app_context():
        upgrade()
        province = geo.find_province("Bắc Ninh")
        ward = geo.find_ward(province, "Lục Ngạn")
        category = Category(name="Nông sản", slug="nong-san")
        db.session.add(category)
        db.session.flush()
        products = []
        for c in range(COOPERATIVES):
            cooperative = Cooperative(
                name=f"HTX Thanh niên {c + 1:02d}",
                slug=f"htx-{c + 1:02d}",
                province_code=province,
                ward_code=ward,
                is_youth=True,
                member_count=12,
                youth_member_count=8,
                status=CooperativeStatus.APPROVED,
                delivery_fee_vnd=rng.choice([0, 20_000, 30_000]),
                free_delivery_from_vnd=rng.choice([None, 500_000]),
            )
            db.session.add(cooperative)
            for p in range(PRODUCTS_PER_COOPERATIVE):
                n = c * PRODUCTS_PER_COOPERATIVE + p + 1
                products.append(
                    Product(
                        cooperative=cooperative,
                        category=category,
                        name=f"Sản phẩm {n}",
                        slug=f"san-pham-{n}",
                        sku=f"SP-{n}",
                        unit="kg",
                        price_vnd=rng.randrange(20, 400) * 1000,
                        stock=PLENTY,
                        status=ProductStatus.ACTIVE,
                    )
                )
        for product in rng.sample(products, SCARCE):
            product.stock = rng.randint(*SCARCE_STOCK)
        db.session.add_all(products)
        db.session.commit()
        if by_batch:
            _split_into_batches(products)
            db.session.commit()
        initial = dict(db.session.execute(sa.select(Product.id, Product.stock)).all())
        shop = Shop(
            product_ids=sorted(initial),
            scarce_ids=sorted(i for i, s in initial.items() if s < PLENTY),
            initial=initial,
            address=(province, ward),
        )
        if db.engine.dialect.name == "postgresql":
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return shop


def _split_into_batches(products) -> None:
    """Two batches per product: the one expiring first holds the larger half of its stock."""
    from datetime import date, timedelta

    from marketplace.extensions import db
    from marketplace.traceability.models import Batch

    today = date.today()
    for product in products:
        soon = product.stock - product.stock // 2
        for code, stock, days in (("SOON", soon, 30), ("LATE", product.stock // 2, 90)):
            db.session.add(
                Batch(
                    product_id=product.id,
                    code=code,
                    short_code=f"{code[0]}{product.id:07d}",
                    produced_on=today,
                    best_before=today + timedelta(days=days),
                    quantity=max(stock, 1),
                    stock=stock,
                )
            )
        product.stock_by_batch = True


def batch_check(database_url: str, workdir: Path) -> int:
    """Products whose stock differs from the sum of their batches', or whose units sold differ
    from the units recorded against their batches (--by-batch)."""
    from marketplace.catalog.models import Product
    from marketplace.extensions import db
    from marketplace.orders.models import OrderItem
    from marketplace.traceability.models import Batch, BatchAllocation

    app = make_app(database_url, workdir)
    with app.app_context():
        stock = dict(db.session.execute(sa.select(Product.id, Product.stock)).all())
        held = dict(
            db.session.execute(sa.select(Batch.product_id, sa.func.sum(Batch.stock)).group_by(Batch.product_id)).all()
        )
        sold = dict(
            db.session.execute(
                sa.select(OrderItem.product_id, sa.func.sum(OrderItem.quantity)).group_by(OrderItem.product_id)
            ).all()
        )
        recorded = dict(
            db.session.execute(
                sa.select(Batch.product_id, sa.func.sum(BatchAllocation.quantity - BatchAllocation.returned))
                .join(Batch, BatchAllocation.batch_id == Batch.id)
                .group_by(Batch.product_id)
            ).all()
        )
        db.session.remove()
        db.engine.dispose()
    return sum(
        1 for pid in stock if stock[pid] != int(held.get(pid, 0)) or int(sold.get(pid, 0)) != int(recorded.get(pid, 0))
    )


def stock_check(database_url: str, workdir: Path, shop: Shop) -> tuple[list[tuple], int]:
    """[(product id, initial, sold, remaining)] for every product, and the orders written."""
    from marketplace.catalog.models import Product
    from marketplace.extensions import db
    from marketplace.orders.models import Order, OrderItem

    app = make_app(database_url, workdir)
    with app.app_context():
        remaining = dict(db.session.execute(sa.select(Product.id, Product.stock)).all())
        sold = dict(
            db.session.execute(
                sa.select(OrderItem.product_id, sa.func.sum(OrderItem.quantity)).group_by(OrderItem.product_id)
            ).all()
        )
        orders = db.session.scalar(sa.select(sa.func.count()).select_from(Order))
        db.session.remove()
        db.engine.dispose()
    rows = [(pid, shop.initial[pid], int(sold.get(pid, 0)), remaining[pid]) for pid in shop.product_ids]
    return rows, orders


@dataclass
class Drain:
    queued: int  # jobs queued during the run
    sent_by_web: int  # of which the web processes sent (thread mode)
    drained: int  # jobs sent afterwards, in-process
    emails: int  # emails those jobs sent
    failed: int
    seconds: float


def drain_mail(database_url: str, workdir: Path) -> Drain:
    """After the run (gunicorn stopped): send every queued email in-process, timing it."""
    from marketplace.core.mail import outbox
    from marketplace.extensions import db
    from marketplace.mail.models import QueuedEmail
    from marketplace.mail.queue import deliver_all

    app = make_app(database_url, workdir)
    with app.app_context():
        queued = db.session.scalar(sa.select(sa.func.count()).select_from(QueuedEmail))
        sent_by_web = db.session.scalar(sa.select(sa.func.count()).where(QueuedEmail.sent_at.is_not(None)))
        # Claims of sender threads stopped with their gunicorn worker: nobody holds them now.
        db.session.execute(sa.update(QueuedEmail).where(QueuedEmail.sent_at.is_(None)).values(claimed_until=None))
        db.session.commit()
        start = time.perf_counter()
        delivery = deliver_all()
        seconds = time.perf_counter() - start
        emails = len(outbox())
        db.session.remove()
        db.engine.dispose()
    return Drain(queued, sent_by_web, delivery.sent, emails, delivery.failed, seconds)


# --- the server ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(database_url: str, workdir: Path, workers: int, port: int, mail_queue: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench",
        "INSTANCE_PATH": str(workdir / "instance"),
        "UPLOAD_FOLDER": str(workdir / "uploads"),
        "SEARCH_INDEX_DIR": str(workdir / "search-index"),
        "MAIL_BACKEND": "memory",
        "MAIL_QUEUE": mail_queue,
    }
    with open(workdir / "gunicorn.log", "wb") as log:  # gunicorn keeps its own copy of the file
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--chdir",
                str(ROOT),
                "--timeout",
                "60",
                "wsgi:app",
            ],
            env=env,
            cwd=str(ROOT),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_until_up(port: int, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited; see gunicorn.log")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/api/v1/provinces")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer in time")


def workers_cpu_seconds(server: subprocess.Popen) -> float | None:
    """CPU time (user + system) used so far by gunicorn's worker processes (Linux /proc; None elsewhere):
    what the app itself costs, whatever else the machine is doing."""
    try:
        total = 0.0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == server.pid:  # ppid
                total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total
    except (OSError, ValueError):
        return None


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


# --- the clients ---------------------------------------------------------------------------------


def order_body(rng: random.Random, shop: Shop) -> bytes:
    lines = {}
    for _ in range(rng.randint(1, 3)):
        pool = shop.scarce_ids if rng.random() < SCARCE_SHARE else shop.product_ids
        lines[rng.choice(pool)] = rng.randint(1, 3)
    province, ward = shop.address
    return json.dumps(
        {
            "items": [{"product_id": pid, "quantity": q} for pid, q in lines.items()],
            "contact": {
                "name": rng.choice(NAMES),
                "phone": f"09{rng.randrange(10**8):08d}",
                "email": f"khach{rng.randrange(10**6)}@example.vn",
            },
            "address": {"province": province, "ward": ward, "street": rng.choice(STREETS)},
            "payment_method": "cod",
        }
    ).encode()


def client(port: int, shop: Shop, rng: random.Random, tally: Tally, budget, deadline: float) -> None:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    while time.monotonic() < deadline and budget():
        body = order_body(rng, shop)
        start = time.perf_counter()
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            connection.request("POST", "/api/v1/orders", body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read()
            connection.close()
        except OSError as error:
            tally.add("connection error", time.perf_counter() - start, repr(error))
            continue
        elapsed = time.perf_counter() - start
        error = None if response.status in (201, 409) else answer.decode(errors="replace")
        tally.add(response.status, elapsed, error)


def run_clients(port: int, shop: Shop, clients: int, seconds: float, orders: int | None, seed: int):
    tally = Tally()
    left = [orders if orders else float("inf")]
    left_lock = threading.Lock()

    def budget() -> bool:
        with left_lock:
            if left[0] <= 0:
                return False
            left[0] -= 1
            return True

    deadline = time.monotonic() + (seconds if not orders else 3600)
    threads = [
        threading.Thread(target=client, args=(port, shop, random.Random(seed * 1000 + n), tally, budget, deadline))
        for n in range(clients)
    ]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - start


# --- report --------------------------------------------------------------------------------------


def cpu_reference_ms() -> float:
    """CPU milliseconds of a fixed pure-Python loop: the same host gives different orders/s
    from hour to hour (a shared virtual machine); this says how fast it was for this run."""
    start = time.process_time()
    total = 0
    for n in range(10_000_000):
        total += n
    return (time.process_time() - start) * 1000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(
    args,
    engine: str,
    tally: Tally,
    elapsed: float,
    rows,
    orders_written: int,
    load: str,
    drain: Drain,
    app_cpu: float | None,
) -> str:
    ms = [s * 1000 for s in tally.latencies]
    placed = tally.statuses.get(201, 0)
    other = sum(n for status, n in tally.statuses.items() if status not in (201, 409))
    bad = [row for row in rows if row[1] != row[2] + row[3]]
    lines = [
        (
            f"### Checkout benchmark: {engine}, {args.workers} gunicorn workers, {args.clients} clients, "
            f"MAIL_QUEUE={args.mail_queue}"
        ),
        "",
        f"Load average before the run: {load}; {os.cpu_count()} CPUs; seed {args.seed}"
        + ("; stock kept by batch (two batches per product)." if args.by_batch else "."),
        "",
        "| requests | seconds | orders/s (201) | requests/s | p50 ms | p95 ms | p99 ms | 201 | 409 | other |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        (
            f"| {len(ms)} | {elapsed:.1f} | {placed / elapsed:.1f} | {len(ms) / elapsed:.1f} "
            f"| {percentile(ms, 0.5):.1f} | {percentile(ms, 0.95):.1f} | {percentile(ms, 0.99):.1f} "
            f"| {placed} | {tally.statuses.get(409, 0)} | {other} |"
        ),
        "",
        (
            f"Mean latency {statistics.fmean(ms):.1f} ms. Orders in the database: {orders_written} "
            f"({'same as' if orders_written == placed else 'NOT the same as'} the 201 answers)."
        ),
        "",
        (
            f"CPU of the gunicorn workers during the run: {app_cpu:.1f} s, "
            f"{1000 * app_cpu / max(len(ms), 1):.1f} ms per request (PostgreSQL and the clients not counted)."
            if app_cpu is not None
            else "CPU of the gunicorn workers: not measured (no /proc)."
        ),
        "",
        (
            f"Stock check, every product (`initial == sold + remaining`): {len(rows)} products, "
            f"{len(bad)} differences{' (OVERSOLD or lost stock)' if bad else ''}."
        ),
        "",
        "| product | initial | sold | remaining | ok |",
        "|---:|---:|---:|---:|:---:|",
    ]
    scarce = {pid for pid, initial, _sold, _left in rows if initial < PLENTY}
    for pid, initial, sold, remaining in rows:
        if pid in scarce or (pid, initial, sold, remaining) in bad:
            ok = "yes" if initial == sold + remaining else "**NO**"
            lines.append(f"| {pid} | {initial} | {sold} | {remaining} | {ok} |")
    lines.append("")
    lines.append("(Products with little stock shown; the other products were checked the same way.)")
    rate = drain.emails / drain.seconds if drain.seconds else float("nan")
    lines += [
        "",
        "Order emails (email queue):",
        "",
        (
            "| jobs queued | sent by the web processes | sent after the run | emails sent after the run | failed "
            "| drain seconds | emails/s (drain) | jobs/s (drain) |"
        ),
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        (
            f"| {drain.queued} | {drain.sent_by_web} | {drain.drained} | {drain.emails} | {drain.failed} "
            f"| {drain.seconds:.2f} | {rate:.1f} | {drain.drained / drain.seconds if drain.seconds else float('nan'):.1f} |"
        ),
    ]
    if tally.errors:
        lines += ["", "Other answers:", ""]
        lines += [f"- {n} x `{text}`" for text, n in tally.errors.most_common(5)]
    return "\n".join(lines)


# --- main ----------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="postgresql://user@host:port/NEW_DATABASE (default: a SQLite file)")
    parser.add_argument(
        "--drop-existing", action="store_true", help="replace the PostgreSQL database even if it already has tables"
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent client threads (16)")
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 2,
        help="gunicorn worker processes (one per CPU, as in production)",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--seconds", type=float, default=20.0, help="run this long (20)")
    group.add_argument("--orders", type=int, help="or send this many orders in all")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--mail-queue",
        choices=["worker", "thread", "inline"],
        default="worker",
        help="MAIL_QUEUE of the web processes (worker: they only queue the order emails, "
        "sent after the run; thread/inline: they send them too)",
    )
    parser.add_argument(
        "--by-batch",
        action="store_true",
        help="every product's stock held by two batches: orders also take from the batches (traceability)",
    )
    args = parser.parse_args(argv)
    if args.clients < 1 or args.workers < 1:
        parser.error("--clients and --workers must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    progress = lambda message: print(f"[bench] {message}", file=sys.stderr, flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-checkout-"))
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    is_postgres = url.startswith("postgresql")
    engine = "PostgreSQL" if is_postgres else "SQLite"
    created = False
    server = None
    try:
        if is_postgres:
            create_postgres_database(url, args.drop_existing)
            created = True
        progress(f"building the schema and seeding ({engine})")
        shop = build_schema_and_seed(url, workdir, random.Random(args.seed), args.by_batch)
        port = free_port()
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        load += f"; CPU reference (a fixed Python loop, smaller is a faster machine): {cpu_reference_ms():.0f} ms"
        progress(f"starting gunicorn: {args.workers} workers on port {port}")
        server = start_gunicorn(url, workdir, args.workers, port, args.mail_queue)
        wait_until_up(port, server)
        what = f"{args.orders} orders" if args.orders else f"{args.seconds:g} s"
        progress(f"{args.clients} clients placing orders for {what}")
        cpu_before = workers_cpu_seconds(server)
        tally, elapsed = run_clients(port, shop, args.clients, args.seconds, args.orders, args.seed)
        cpu_after = workers_cpu_seconds(server)
        app_cpu = cpu_after - cpu_before if cpu_before is not None and cpu_after is not None else None
        stop(server)
        rows, orders_written = stock_check(url, workdir, shop)
        batch_differences = batch_check(url, workdir) if args.by_batch else 0
        progress("sending the queued order emails")
        drain = drain_mail(url, workdir)
        print(report(args, engine, tally, elapsed, rows, orders_written, load, drain, app_cpu))
        if args.by_batch:
            print(
                f"\nBatch check, every product (stock == sum of its batches', units sold == units recorded "
                f"against its batches): {batch_differences} differences."
            )
        oversold = batch_differences or any(initial != sold + remaining for _pid, initial, sold, remaining in rows)
        unsent = drain.sent_by_web + drain.drained != drain.queued
        return 1 if oversold or unsent or orders_written != tally.statuses.get(201, 0) else 0
    except BaseException:
        log = workdir / "gunicorn.log"
        if log.exists():
            tail = log.read_text(errors="replace").splitlines()[-30:]
            print("[bench] gunicorn.log ends with:\n" + "\n".join(tail), file=sys.stderr)
        raise
    finally:
        if server is not None:
            stop(server)
        if created:
            drop_postgres_database(url)
            progress("dropped the benchmark database")
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
