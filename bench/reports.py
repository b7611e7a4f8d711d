"""Commitment-four report benchmark: the report service and the programme dashboard on three
years of synthetic data.

    python bench/reports.py                       # temporary SQLite file
    python bench/reports.py --database-url postgresql://postgres@127.0.0.1:5432/bench_reports

Builds a fresh database with the real migrations (a temporary SQLite file unless
--database-url names a PostgreSQL database, which is created and, at the end, dropped),
fills it with bulk Core inserts: 300 cooperatives (bench/_catalogue.py) with their products,
2,000 promotion activities over 2023–2025 (90 % approved; each with 1–8 cooperatives,
0–6 products, 1–2 agencies; a fifth linked to one of 60 fairs with booths and on-site sales,
a fifth with their own tracking code) and 100,000 orders over the same three years (one or
two cooperatives each, 5 % of parts cancelled, 5 % credited to a fair and 5 % to an
activity's link). Then times, each --runs times after two warm-up runs, in one process:
the whole-programme report grouped by type, the same grouped by cooperative, a year
grouped by month, and the programme dashboard (marketplace.program.progress.dashboard).
Prints a Markdown table with p50/p95 and the load average.
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import sqlalchemy as sa

from bench import _catalogue
from bench.search import (
    create_postgres_database,
    describe_machine,
    drop_postgres_database,
    insert_catalogue,
    machine_state,
)

START = date(2023, 1, 1)
DAYS = (date(2025, 12, 31) - START).days + 1
BATCH = 5000


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


def _insert(model_or_table, rows: list[dict]) -> None:
    from marketplace.extensions import db

    for start in range(0, len(rows), BATCH):
        db.session.execute(sa.insert(model_or_table), rows[start : start + BATCH])


def generate(args, rng: random.Random) -> dict:
    """Insert everything; returns counts for the output."""
    from marketplace.accounts.models import Agency, AgencyKind
    from marketplace.catalog.models import ProductStatus
    from marketplace.core import geo
    from marketplace.extensions import db
    from marketplace.fairs.models import (
        Booth,
        BoothStatus,
        Fair,
        FairKind,
        FairStatus,
        OnSitePayment,
        OnSiteSale,
    )
    from marketplace.orders.models import (
        DeliveryMethod,
        Order,
        OrderItem,
        OrderPart,
        PartStatus,
        PaymentStatus,
    )
    from marketplace.promotion.models import (
        ActivityStatus,
        ActivityType,
        PromotionActivity,
        promotion_agencies,
        promotion_cooperatives,
        promotion_products,
    )

    catalogue = _catalogue.generate(args.products, args.cooperatives, seed=args.seed)
    for number, row in enumerate(catalogue.products, start=1):
        row["id"] = number  # explicit ids (a fresh database): activities and orders refer to them
    insert_catalogue(catalogue)
    coops = [c["id"] for c in catalogue.cooperatives]
    weights = [c["_weight"] for c in catalogue.cooperatives]
    products_of: dict[int, list[dict]] = {}
    for p in catalogue.products:
        if p["status"] == ProductStatus.ACTIVE:
            products_of.setdefault(p["cooperative_id"], []).append(p)
    coops = [c for c in coops if c in products_of]
    weights = [w for c, w in zip([c["id"] for c in catalogue.cooperatives], weights, strict=True) if c in products_of]
    bac_ninh = geo.find_province("Bắc Ninh")

    _insert(
        Agency,
        [
            {
                "id": 1,
                "name": "Tỉnh đoàn Bắc Ninh",
                "kind": AgencyKind.YOUTH_UNION,
                "created_at": datetime(2022, 12, 1),
            },
            {
                "id": 2,
                "name": "Liên minh HTX Bắc Ninh",
                "kind": AgencyKind.COOPERATIVE_ALLIANCE,
                "created_at": datetime(2022, 12, 1),
            },
            {"id": 3, "name": "Sở Công Thương Bắc Ninh", "kind": AgencyKind.OTHER, "created_at": datetime(2022, 12, 1)},
        ],
    )

    def day(offset: int) -> date:
        return START + timedelta(days=offset)

    def moment() -> datetime:
        return (
            datetime.combine(START, datetime.min.time())
            + timedelta(seconds=rng.uniform(0, DAYS * 86400))
            - timedelta(hours=7)
        )

    # Fairs with booths and on-site sales.
    fairs, booths, onsite = [], [], []
    for number in range(1, args.fairs + 1):
        starts = datetime.combine(day(rng.randrange(DAYS - 5)), datetime.min.time()) + timedelta(hours=1)
        fairs.append(
            {
                "id": number,
                "name": f"Hội chợ nông sản số {number}",
                "slug": f"hoi-cho-{number}",
                "kind": FairKind.TRADE_FAIR,
                "status": FairStatus.CLOSED,
                "venue": "Nhà thi đấu tỉnh",
                "province_code": bac_ninh,
                "ward_code": None,
                "street": "",
                "starts_at": starts,
                "ends_at": starts + timedelta(days=3),
                "description": "",
                "code": f"F{number:06d}",
                "created_at": starts - timedelta(days=30),
                "updated_at": starts,
            }
        )
        for coop in rng.sample(coops, 12):
            booth_id = len(booths) + 1
            booths.append(
                {
                    "id": booth_id,
                    "fair_id": number,
                    "cooperative_id": coop,
                    "status": BoothStatus.APPROVED,
                    "number": f"A{booth_id}",
                    "message": "",
                    "rejection_reason": "",
                    "code": f"B{booth_id:06d}",
                    "applied_at": starts - timedelta(days=20),
                    "decided_at": starts - timedelta(days=10),
                }
            )
            for _sale in range(rng.randint(3, 15)):
                product = rng.choice(products_of[coop])
                quantity = rng.randint(1, 4)
                onsite.append(
                    {
                        "booth_id": booth_id,
                        "product_id": product["id"],
                        "product_name": product["name"],
                        "unit": product["unit"],
                        "quantity": quantity,
                        "unit_price_vnd": product["price_vnd"],
                        "total_vnd": product["price_vnd"] * quantity,
                        "payment": OnSitePayment.CASH,
                        "created_at": starts + timedelta(hours=rng.uniform(0, 70)),
                        "voided_at": None,
                        "void_reason": "",
                    }
                )
    _insert(Fair, fairs)
    _insert(Booth, booths)
    _insert(OnSiteSale, onsite)

    # Activities.
    activities, with_agencies, with_coops, with_products = [], [], [], []
    kinds = list(ActivityType)
    statuses = [ActivityStatus.APPROVED] * 18 + [ActivityStatus.SUBMITTED, ActivityStatus.DRAFT]
    tracked = []
    for number in range(1, args.activities + 1):
        start = day(rng.randrange(DAYS))
        status = rng.choice(statuses)
        online = rng.random() < 0.25
        code = f"T{number:06d}" if rng.random() < 0.2 else None
        if code and status == ActivityStatus.APPROVED:
            tracked.append(number)
        activities.append(
            {
                "id": number,
                "type": rng.choice(kinds),
                "title": f"Hoạt động xúc tiến số {number}",
                "status": status,
                "start_date": start,
                "end_date": start + timedelta(days=rng.randint(0, 4)),
                "province_code": None if online else bac_ninh,
                "ward_code": None,
                "organising_unit": "",
                "fair_id": rng.randint(1, args.fairs) if rng.random() < 0.2 else None,
                "tracking_code": code,
                "budget_vnd": rng.randrange(0, 200) * 1_000_000,
                "visitors": rng.randint(0, 5000),
                "business_contacts": rng.randint(0, 40),
                "contracts_count": rng.randint(0, 5),
                "contracts_value_vnd": rng.randrange(0, 500) * 1_000_000,
                "sales_vnd": rng.randrange(0, 300) * 1_000_000,
                "media_items": rng.randint(0, 10),
                "notes": "",
                "imported": False,
                "created_at": datetime.combine(start, datetime.min.time()),
                "updated_at": datetime.combine(start, datetime.min.time()),
            }
        )
        for agency in rng.sample([1, 2, 3], rng.choice((1, 1, 2))):
            with_agencies.append({"activity_id": number, "agency_id": agency})
        chosen = set(rng.choices(coops, weights, k=rng.randint(1, 8)))
        for coop in chosen:
            with_coops.append({"activity_id": number, "cooperative_id": coop})
        picked = {
            p["id"]
            for coop in chosen
            for p in rng.sample(products_of[coop], min(len(products_of[coop]), rng.randint(0, 2)))
        }
        for product in list(picked)[:6]:
            with_products.append({"activity_id": number, "product_id": product})
    _insert(PromotionActivity, activities)
    _insert(promotion_agencies, with_agencies)
    _insert(promotion_cooperatives, with_coops)
    _insert(promotion_products, with_products)
    db.session.commit()

    # Orders: one or two cooperatives each, one item per part.
    orders, parts, items = [], [], []
    part_id = 0
    for number in range(1, args.orders + 1):
        created = moment()
        source = rng.random()
        chosen = list(dict.fromkeys(rng.choices(coops, weights, k=rng.choice((1, 1, 1, 2)))))
        items_total = 0
        for coop in chosen:
            part_id += 1
            product = rng.choice(products_of[coop])
            quantity = rng.randint(1, 3)
            line = product["price_vnd"] * quantity
            items_total += line
            parts.append(
                {
                    "id": part_id,
                    "order_id": number,
                    "cooperative_id": coop,
                    "status": PartStatus.CANCELLED
                    if rng.random() < 0.05
                    else rng.choice(
                        [PartStatus.COMPLETED, PartStatus.DELIVERED, PartStatus.SHIPPED, PartStatus.PLACED]
                    ),
                    "delivery_method": DeliveryMethod.HOME,
                    "delivery_fee_vnd": 0,
                    "items_total_vnd": line,
                    "total_vnd": line,
                    "refunded_vnd": 0,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            items.append(
                {
                    "part_id": part_id,
                    "product_id": product["id"],
                    "product_name": product["name"],
                    "sku": product["sku"],
                    "unit": product["unit"],
                    "unit_price_vnd": product["price_vnd"],
                    "quantity": quantity,
                    "line_total_vnd": line,
                }
            )
        orders.append(
            {
                "id": number,
                "number": f"DH-{created.year}-{number:06d}",
                "tracking_token": secrets.token_hex(16),
                "contact_name": "Khách hàng",
                "contact_phone": f"09{rng.randrange(10**8):08d}",
                "contact_email": f"khach{number}@example.vn",
                "province_code": bac_ninh,
                "ward_code": 0,
                "street": "Số 1",
                "note": "",
                "payment_method": "cod",
                "payment_status": PaymentStatus.PAID,
                "items_total_vnd": items_total,
                "delivery_total_vnd": 0,
                "total_vnd": items_total,
                "refunded_vnd": 0,
                "source_fair_id": rng.randint(1, args.fairs) if source < 0.05 else None,
                "source_activity_id": rng.choice(tracked) if 0.05 <= source < 0.10 and tracked else None,
                "created_at": created,
                "updated_at": created,
            }
        )
        if len(orders) >= BATCH:
            _flush_orders(Order, OrderPart, OrderItem, orders, parts, items)
    _flush_orders(Order, OrderPart, OrderItem, orders, parts, items)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
    return {
        "cooperatives": len(coops),
        "products": args.products,
        "fairs": args.fairs,
        "booths": len(booths),
        "onsite": len(onsite),
        "activities": args.activities,
        "links": len(with_coops),
        "orders": args.orders,
        "parts": part_id,
    }


def _flush_orders(order, part, item, orders, parts, items) -> None:
    _insert(order, orders)
    _insert(part, parts)
    _insert(item, items)
    orders.clear()
    parts.clear()
    items.clear()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def measure(runs: int) -> list[tuple[str, list[float], str]]:
    from marketplace.extensions import db
    from marketplace.promotion.reports import ReportQuery, promotion_report

    try:
        from marketplace.program.progress import dashboard
    except ImportError:
        dashboard = None
    cases = [
        (
            "Report: whole programme, by type",
            lambda: promotion_report(ReportQuery(date(2023, 1, 1), date(2025, 12, 31), group_by="type")),
        ),
        (
            "Report: whole programme, by cooperative",
            lambda: promotion_report(ReportQuery(date(2023, 1, 1), date(2025, 12, 31), group_by="cooperative")),
        ),
        (
            "Report: 2024, by month",
            lambda: promotion_report(ReportQuery(date(2024, 1, 1), date(2024, 12, 31), group_by="month")),
        ),
    ]
    if dashboard is not None:
        cases.append(("Programme dashboard (`progress.dashboard()`)", lambda: dashboard(today=date(2025, 12, 31))))
    statements = [0]

    def count(*_args):
        statements[0] += 1

    sa.event.listen(db.engine, "before_cursor_execute", count)
    results = []
    for name, call in cases:
        for _warm in range(2):
            call()
            db.session.remove()
        times = []
        shape = ""
        statements[0] = 0
        for _run in range(runs):
            started = time.perf_counter()
            value = call()
            times.append(time.perf_counter() - started)
            db.session.remove()
            if hasattr(value, "groups"):
                shape = f"{len(value.groups)} groups; {value.totals.activities:,} activities, {value.totals.cooperatives_reached} cooperatives; "
        shape += f"{statements[0] / runs:.0f} SQL statements"
        results.append((name, times, shape))
    sa.event.remove(db.engine, "before_cursor_execute", count)
    return results


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="postgresql://user@host:port/NEW_DATABASE (default: a SQLite file)")
    parser.add_argument("--drop-existing", action="store_true", help="replace the PostgreSQL database if it has tables")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--activities", type=int, default=2_000)
    parser.add_argument("--cooperatives", type=int, default=300)
    parser.add_argument("--products", type=int, default=3_000)
    parser.add_argument("--fairs", type=int, default=60)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from marketplace.core.migrations import upgrade_database as upgrade

    started_load = machine_state()
    workdir = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    url = args.database_url
    postgres = bool(url)
    if postgres:
        url = url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
        create_postgres_database(url, args.drop_existing)
    else:
        url = "sqlite:///" + str(workdir / "bench.sqlite3")
    rng = random.Random(args.seed)
    app = make_app(url, workdir)
    try:
        with app.app_context():
            upgrade()
            began = time.perf_counter()
            counts = generate(args, rng)
            generated = time.perf_counter() - began
            results = measure(args.runs)
            machine = describe_machine(started_load)
            from marketplace.extensions import db

            engine = "PostgreSQL" if db.engine.dialect.name == "postgresql" else "SQLite"
            db.session.remove()
            db.engine.dispose()
    finally:
        if postgres:
            drop_postgres_database(url)
    lines = [
        f"## Report benchmark on {engine}",
        "",
        *machine,
        (
            f"- Data: {counts['cooperatives']} cooperatives with {counts['products']:,} products, "
            f"{counts['activities']:,} activities 2023–2025 ({counts['links']:,} cooperative links), {counts['fairs']} fairs "
            f"with {counts['booths']} booths and {counts['onsite']:,} on-site sales, {counts['orders']:,} orders "
            f"({counts['parts']:,} parts); generated and inserted in {generated:.1f} s; seed {args.seed}"
        ),
        f"- {args.runs} timed runs per case after 2 warm-up runs, one process, a new session each run",
        "",
        "| Case | Result | p50 ms | p95 ms | max ms |",
        "|---|---|--:|--:|--:|",
    ]
    for name, times, shape in results:
        lines.append(
            f"| {name} | {shape} | {statistics.median(times) * 1000:.0f} | "
            f"{percentile(times, 0.95) * 1000:.0f} | {max(times) * 1000:.0f} |"
        )
    worst = max(percentile(times, 0.95) for _n, times, _s in results)
    lines += [
        "",
        f"Target p95 <= 500 ms each: {'met' if worst <= 0.5 else 'MISSED'} (worst p95 {worst * 1000:.0f} ms).",
    ]
    if not any("dashboard" in name for name, _t, _s in results):
        lines.append("The programme dashboard is not installed: only the report was timed.")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
