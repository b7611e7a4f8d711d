"""Import benchmark: the real `marketplace cooperatives import` and `marketplace products import`.

    python bench/imports.py                                   # 50,000 products, temporary SQLite file
    python bench/imports.py --products 50000 \
        --database-url postgresql://postgres@127.0.0.1:5432/bench_imports

Builds a fresh database with the real migrations (`marketplace db upgrade`; a temporary
SQLite file unless --database-url names a PostgreSQL database, which is created and, at
the end, dropped), writes a synthetic catalogue (bench/_catalogue.py) as the two CSV
files people import, and runs each import command as a separate process, as an
operator would. For each it prints the wall and CPU time and the peak memory of the
process (VmHWM from /proc, sampled while it runs; while it has child processes, such as
the search index built in several, the sum of their PSS if that is larger), both when the command printed its
counts (check, write, ANALYZE, commit done) and at its end (the search index brought up
to date too). A second products run imports the same products with new prices and
stock (every row an update that changes something).
Then it checks the result: product count, search index documents, pending changes and
the planner statistics. It prints the load average and a CPU reference (the shared
machine's speed varies by the hour).
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

# Run from a checkout without installing bench/ as a package.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa

from bench import _catalogue
from bench.checkout import cpu_reference_ms
from bench.search import create_postgres_database, drop_postgres_database


@dataclass
class Run:
    """One command: its wall time, when it printed its counts, and its memory."""

    command: str
    seconds: float = 0.0
    counted_at: float | None = None  # seconds after the start when "Created …" was printed
    hwm_at_count_mb: float | None = None  # VmHWM at that moment
    cpu_at_count: float | None = None  # CPU seconds (user + system) of the process at that moment
    peak_mb: float = 0.0  # VmHWM, last seen before the process ended
    cpu: float = 0.0  # CPU seconds at exit
    exit_code: int = 0
    output: list[str] = field(default_factory=list)


# --- the files -------------------------------------------------------------------------------


def write_cooperatives(catalogue: _catalogue.Catalogue, path: Path) -> None:
    from marketplace.cooperatives.importer import COOPERATIVE_HEADER
    from marketplace.core import geo

    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(COOPERATIVE_HEADER)
        for row in catalogue.cooperatives:
            number = row["id"]
            writer.writerow(
                [
                    row["slug"],
                    row["name"],
                    f"24{number:08d}",
                    geo.province_name(row["province_code"]),
                    geo.ward_name(row["ward_code"]),
                    "2023-03-15",
                    "1" if row["is_youth"] else "0",
                    row["member_count"],
                    row["youth_member_count"],
                    "Nguyễn Văn An",
                    f"09{number:08d}",
                    f"htx{number}@example.vn",
                    row["description"],
                ]
            )


def write_products(catalogue: _catalogue.Catalogue, path: Path, new_prices: bool = False) -> None:
    """The catalogue's products; with `new_prices`, every price 10% up and one more in stock
    (a price list update: every row changes)."""
    from marketplace.catalog.importer import PRODUCT_HEADER

    categories = {row["id"]: row["name"] for row in catalogue.categories}
    cooperatives = {row["id"]: row["slug"] for row in catalogue.cooperatives}
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(PRODUCT_HEADER)
        for row in catalogue.products:
            price, stock = row["price_vnd"], row["stock"]
            if new_prices:
                price, stock = price * 11 // 10, stock + 1
            writer.writerow(
                [
                    cooperatives[row["cooperative_id"]],
                    row["sku"],
                    row["name"],
                    categories[row["category_id"]],
                    row["unit"],
                    f"{price:,}".replace(",", "."),
                    stock,
                    row["ocop_stars"] or "",
                    row["origin"],
                    row["description"],
                ]
            )


# --- running the commands ------------------------------------------------------------------------


def command_environment(url: str, workdir: Path) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "bench",
        "INSTANCE_PATH": str(workdir / "instance"),
        "UPLOAD_FOLDER": str(workdir / "uploads"),
        "SEARCH_INDEX_DIR": str(workdir / "search-index"),
        "MAIL_BACKEND": "memory",
        "MAIL_QUEUE": "worker",
        "PYTHONUNBUFFERED": "1",
    }


def marketplace_command() -> str:
    found = Path(sys.executable).parent / "marketplace"
    return str(found) if found.exists() else shutil.which("marketplace") or "marketplace"


def vm_hwm_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a running process, from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(args: list[str], env: dict, progress) -> Run:
    """Run `marketplace ARGS…`, timestamping its output lines; stderr (the progress bar) is echoed."""
    outcome = Run(" ".join(["marketplace", *args]))
    start = time.perf_counter()
    process = subprocess.Popen(
        [marketplace_command(), *args],
        env=env,
        cwd=str(ROOT),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        bufsize=1,
    )
    errors: list[str] = []
    echo = threading.Thread(target=_drain, args=(process.stderr, errors), daemon=True)
    echo.start()
    peaks: list[float] = []
    watch = threading.Thread(target=_watch_memory, args=(process.pid, peaks), daemon=True)
    watch.start()
    for line in process.stdout:
        line = line.rstrip("\n")
        outcome.output.append(line)
        progress(f"  {time.perf_counter() - start:6.1f} s  {line}")
        if line.startswith("Created ") and outcome.counted_at is None:
            outcome.counted_at = time.perf_counter() - start
            outcome.hwm_at_count_mb = vm_hwm_mb(process.pid)
            outcome.cpu_at_count = cpu_seconds(process.pid)
    _pid, status, usage = os.wait4(process.pid, 0)
    outcome.seconds = time.perf_counter() - start
    process.returncode = outcome.exit_code = os.waitstatus_to_exitcode(status)
    echo.join()
    watch.join()
    # Not ru_maxrss: Linux counts in it the memory of the forked benchmark before the exec.
    outcome.peak_mb = max(peaks, default=float("nan"))
    outcome.cpu = usage.ru_utime + usage.ru_stime
    if outcome.exit_code != 0:
        tail = "\n".join(errors[-20:])
        raise SystemExit(f"{outcome.command} failed with exit code {outcome.exit_code}:\n{tail}")
    return outcome


def _watch_memory(pid: int, peaks: list[float]) -> None:
    """Sample the command's memory until it is gone: its VmHWM (it only grows), or, while it
    has child processes (the search index built in several), the sum of the whole tree's
    proportional set sizes (PSS: a page shared after fork counts once, split between its
    sharers), whichever is larger."""
    while (hwm := vm_hwm_mb(pid)) is not None:
        tree = _descendants(pid)
        peaks.append(max(hwm, sum(pss_mb(p) or 0.0 for p in [pid, *tree])) if tree else hwm)
        time.sleep(0.05)


def _descendants(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found += [int(child), *_descendants(int(child))]
    except OSError:
        pass
    return found


def pss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def _drain(stream, lines: list[str]) -> None:
    """Keep stderr (progress bars, warnings) flowing, and keep it for an error report."""
    buffer = ""
    while chunk := stream.read(256):
        sys.stderr.write(chunk)
        sys.stderr.flush()
        buffer += chunk
        *done, buffer = buffer.split("\n")
        lines.extend(done)
    if buffer:
        lines.append(buffer)


# --- checking the result -------------------------------------------------------------------------


def check_database(url: str) -> dict:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            figures = {
                "products": connection.scalar(sa.text("SELECT count(*) FROM products")),
                "categories": connection.scalar(sa.text("SELECT count(*) FROM categories")),
                "changes": connection.scalar(sa.text("SELECT count(*) FROM search_changes")),
            }
            if engine.dialect.name == "postgresql":
                figures["statistics"] = connection.execute(
                    sa.text(
                        "SELECT c.relname, c.reltuples::bigint, (SELECT count(*) FROM pg_stats s "
                        "WHERE s.tablename = c.relname) FROM pg_class c "
                        "WHERE c.relname IN ('products', 'categories', 'cooperatives', 'search_changes') ORDER BY 1"
                    )
                ).all()
                figures["engine"] = "PostgreSQL " + connection.scalar(sa.text("SHOW server_version"))
            elif not connection.scalar(sa.text("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")):
                figures["statistics"] = []
                figures["engine"] = "SQLite " + connection.scalar(sa.text("SELECT sqlite_version()"))
            else:
                figures["statistics"] = connection.execute(
                    sa.text(
                        "SELECT tbl, count(*), max(stat) FROM sqlite_stat1 "
                        "WHERE tbl IN ('products', 'categories', 'cooperatives', 'search_changes') GROUP BY tbl ORDER BY 1"
                    )
                ).all()
                figures["engine"] = "SQLite " + connection.scalar(sa.text("SELECT sqlite_version()"))
    finally:
        engine.dispose()
    return figures


def search_status(env: dict) -> dict[str, str]:
    output = subprocess.run(
        [marketplace_command(), "search", "status"],
        env=env,
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


# --- reporting -------------------------------------------------------------------------------------


def describe(outcome: Run, rows: int) -> str:
    name = outcome.command.split(" /", 1)[0]
    if outcome.counted_at is None:
        return f"| {name} | {rows:,} | {outcome.seconds:.1f} ({outcome.cpu:.1f}) | – | – | – | {outcome.peak_mb:.0f} |"
    index = outcome.seconds - outcome.counted_at
    cpu_import = outcome.cpu_at_count if outcome.cpu_at_count is not None else float("nan")
    return (
        f"| {name} | {rows:,} | {outcome.seconds:.1f} ({outcome.cpu:.1f}) "
        f"| {outcome.counted_at:.1f} ({cpu_import:.1f}) | {index:.1f} ({outcome.cpu - cpu_import:.1f}) "
        f"| {outcome.hwm_at_count_mb or 0:.0f} | {outcome.peak_mb:.0f} |"
    )


def report(
    args,
    figures: dict,
    runs: list[tuple[Run, int]],
    status: dict,
    load_start: str,
    cpu_ms: float,
    generate_seconds: float,
) -> str:
    load_end = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [
        f"## Import benchmark: {args.products:,} products on {figures['engine']}",
        "",
        (
            f"- Machine: {len(os.sched_getaffinity(0))} CPUs; load average (1, 5, 15 min) {load_start} at the start, "
            f"{load_end} at the end; CPU reference (a fixed Python loop, smaller is a faster machine): {cpu_ms:.0f} ms"
        ),
        f"- Catalogue: seed {args.seed}, {args.cooperatives} cooperatives; CSV files written in {generate_seconds:.1f} s",
        "",
        (
            "| Command | Rows | Total s (CPU s) | Import s (CPU s) | Search index s (CPU s) "
            "| Peak MB at the counts | Peak MB (whole process) |"
        ),
        "|---|--:|--:|--:|--:|--:|--:|",
        *(describe(outcome, rows) for outcome, rows in runs),
        "",
        (
            f"- After the runs: {figures['products']:,} products, {figures['categories']} categories, "
            f"{figures['changes']:,} change-log rows; search index: {status.get('documents', '?')} documents, "
            f"{status.get('public_products', '?')} public products, {status.get('pending_changes', '?')} pending changes"
        ),
        f"- Planner statistics: {', '.join(' '.join(str(v) for v in row) for row in figures['statistics']) or 'NONE'}",
        (
            "- *Import s*: from the start of the process (Python and the app starting included) until it printed "
            "`Created …`: check, write, ANALYZE, commit; *search index s*: the rest, bringing the search index up to "
            "date. In brackets the CPU seconds of the command's process (user + system; the database server's not "
            "counted), steadier than wall time on a shared machine. Peak MB is the resident set high-water mark (VmHWM) "
            "of the command's process: at the moment it printed its counts, and over its whole life."
        ),
    ]
    return "\n".join(lines)


# --- main --------------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=50_000, help="products in the file (50,000)")
    parser.add_argument("--cooperatives", type=int, default=300, help="cooperatives in the file (300)")
    parser.add_argument("--database-url", help="postgresql://user@host:port/NEW_DATABASE (default: a SQLite file)")
    parser.add_argument(
        "--drop-existing", action="store_true", help="replace the PostgreSQL database even if it already has tables"
    )
    parser.add_argument(
        "--no-update-run",
        action="store_true",
        help="skip the second products run (the same products, every price and stock changed)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="keep the files (and a SQLite database) in this directory")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    progress = lambda message: print(f"[bench] {message}", file=sys.stderr, flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-imports-")) if args.keep is None else args.keep
    workdir.mkdir(parents=True, exist_ok=True)
    url = args.database_url or f"sqlite:///{workdir / 'bench.sqlite3'}"
    if url.startswith(("postgres://", "postgresql://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    is_postgres = url.startswith("postgresql")
    created = False
    try:
        if is_postgres:
            create_postgres_database(url, args.drop_existing)
            created = True
        env = command_environment(url, workdir)
        progress("marketplace db upgrade")
        subprocess.run(
            [marketplace_command(), "db", "upgrade"], env=env, cwd=str(ROOT), check=True, capture_output=True
        )
        progress(f"writing {args.products:,} products of {args.cooperatives} cooperatives as CSV")
        start = time.perf_counter()
        catalogue = _catalogue.generate(args.products, cooperatives=args.cooperatives, seed=args.seed)
        write_cooperatives(catalogue, workdir / "cooperatives.csv")
        write_products(catalogue, workdir / "products.csv")
        if not args.no_update_run:
            write_products(catalogue, workdir / "new-prices.csv", new_prices=True)
        generate_seconds = time.perf_counter() - start
        del catalogue
        load_start = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        cpu_ms = cpu_reference_ms()
        runs = []
        progress("importing cooperatives")
        runs.append(
            (run(["cooperatives", "import", str(workdir / "cooperatives.csv")], env, progress), args.cooperatives)
        )
        progress("importing products (new)")
        runs.append((run(["products", "import", str(workdir / "products.csv")], env, progress), args.products))
        if not args.no_update_run:
            progress("importing the same products with new prices and stock (updates)")
            runs.append((run(["products", "import", str(workdir / "new-prices.csv")], env, progress), args.products))
        figures = check_database(url)
        status = search_status(env)
        print(report(args, figures, runs, status, load_start, cpu_ms, generate_seconds))
        complete = figures["products"] == args.products and status.get("pending_changes") == "0"
        return 0 if complete else 1
    finally:
        if created and args.keep is None:
            drop_postgres_database(url)
            progress("dropped the benchmark database")
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
