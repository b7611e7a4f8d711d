"""All-or-nothing CSV imports with a per-row report.

Each importer gives the exact header it expects and a function that turns one row
into a change (or raises RowError with the column and reason). Every row is checked
first; if any fails, the caller gets every error and nothing is written. Then a
second pass over the file applies the changes, a batch at a time, so a catalogue of
50,000 rows is never held in memory as 50,000 objects.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.core import geo
from marketplace.core.spreadsheet import unguarded


@dataclass
class RowError(Exception):
    column: str
    message: str


@dataclass
class RowErrors(Exception):
    """Several bad cells in one row, so the person fixes them all in one go."""

    errors: list[RowError] = field(default_factory=list)


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    # The tables the import wrote to: the command refreshes their planner statistics.
    tables: tuple[str, ...] = ()


@dataclass
class ImportProblem:
    row: int  # 1 = header line, so data rows start at 2 as in a spreadsheet
    column: str
    message: str

    def __str__(self) -> str:
        return _("row %(row)s, column %(column)s: %(message)s", row=self.row, column=self.column, message=self.message)


@dataclass
class ImportFailed(Exception):
    problems: list[ImportProblem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


# Rows between progress-bar updates (redrawing the bar on every row costs more than the row).
PROGRESS_EVERY = 500


class CsvFile:
    """An import file: UTF-8 (a BOM is fine), the expected header, then data rows.

    The header and the encoding are checked at once (ImportFailed). The rows are parsed
    afresh on every pass and never all held at once, so a 50,000-row file costs the
    memory of its bytes, not of 50,000 dictionaries: importers check every row in a
    first pass and write in a second.
    """

    def __init__(self, data: str | bytes, expected_header: list[str]):
        if isinstance(data, str):
            try:
                data = data.lstrip("\ufeff").encode("utf-8")
            except UnicodeEncodeError:  # lone surrogates, from bytes decoded with surrogateescape
                data = b"\xff"
        if not _is_utf8(data):  # UTF-8 holds no surrogates: a valid file has none
            raise ImportFailed([ImportProblem(1, "-", _("the file is not UTF-8 text"))])
        self.data = data
        self.header = expected_header
        # Physical lines after the header, for a progress bar (a quoted cell may span several).
        self.data_lines = max(0, data.count(b"\n") + (0 if data.endswith(b"\n") else 1) - 1)
        self._check_header()

    def _reader(self):
        text = io.TextIOWrapper(io.BytesIO(self.data), encoding="utf-8-sig", newline="")
        return csv.reader(text)

    def _check_header(self) -> None:
        expected_header = self.header
        try:
            header = next(self._reader())
            if any("\x00" in h for h in header):
                raise ImportFailed([ImportProblem(1, "header", _("contains a NUL character"))])
        except StopIteration:
            raise ImportFailed([ImportProblem(1, "-", _("the file is empty"))])
        except csv.Error as error:
            raise ImportFailed([ImportProblem(1, "-", str(error))])
        header = [h.strip().lstrip("\ufeff") for h in header]
        if header == expected_header:
            return
        missing = [h for h in expected_header if h not in header]
        unknown = [h for h in header if h not in expected_header]
        details = []
        if missing:
            details.append(_("missing columns: %(columns)s", columns=", ".join(missing)))
        if unknown:
            details.append(_("unknown columns: %(columns)s", columns=", ".join(unknown)))
        if not details:
            details.append(_("columns must be in this order: %(columns)s", columns=",".join(expected_header)))
        raise ImportFailed([ImportProblem(1, "header", "; ".join(details))])

    def records(self, progress=None) -> Iterator[dict | ImportProblem]:
        """Every data row as a dict of stripped cells plus `_line` (its row number, the header
        being row 1, as in a spreadsheet), or an ImportProblem for a row that cannot be read.
        Blank rows are skipped. `progress.update(n)` hears of the physical lines read."""
        expected_header = self.header
        reader = self._reader()
        next(reader)
        reported = reader.line_num
        try:
            for line_number, values in enumerate(reader, start=2):
                if progress is not None and line_number % PROGRESS_EVERY == 0:
                    progress.update(reader.line_num - reported)
                    reported = reader.line_num
                if not any(v.strip() for v in values):
                    continue
                if len(values) != len(expected_header):
                    yield ImportProblem(
                        line_number,
                        "-",
                        _(
                            "expected %(expected)s values, found %(found)s",
                            expected=len(expected_header),
                            found=len(values),
                        ),
                    )
                    continue
                # Text holds no NUL characters (PostgreSQL refuses them in any string): the cell's error.
                nul = [name for name, value in zip(expected_header, values) if "\x00" in value]
                if nul:
                    yield from (ImportProblem(line_number, name, _("contains a NUL character")) for name in nul)
                    continue
                # A leading apostrophe our exports put before = + - @ (see core.spreadsheet) comes off.
                row = {name: unguarded(value.strip()) for name, value in zip(expected_header, values)}
                row["_line"] = line_number
                yield row
        except csv.Error as error:
            yield ImportProblem(reader.line_num, "-", str(error))
        if progress is not None:
            progress.update(max(0, self.data_lines + 1 - reported))

    def rows(self) -> Iterator[dict]:
        """The readable data rows (for looking ahead: which cooperatives a file names, say)."""
        return (record for record in self.records() if not isinstance(record, ImportProblem))


def _is_utf8(data: bytes) -> bool:
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    step = 1 << 20
    try:
        for start in range(0, len(view), step):
            decoder.decode(view[start : start + step])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def check_rows(file: CsvFile, check: Callable[[dict], object], progress=None) -> int:
    """First pass: run `check` on every row, keeping only the problems; raise ImportFailed
    with every one of them (unreadable rows and bad cells, in row order). Returns the number
    of data rows.

    `check` returns a value describing the change (or raises RowError / RowErrors); the
    values are not kept: the second pass, `checked_rows`, computes them again to apply them.
    """
    problems = []
    count = 0
    for record in file.records(progress):
        if isinstance(record, ImportProblem):
            problems.append(record)
            continue
        count += 1
        try:
            check(record)
        except RowError as error:
            problems.append(ImportProblem(record["_line"], error.column, error.message))
        except RowErrors as errors:
            problems.extend(ImportProblem(record["_line"], e.column, e.message) for e in errors.errors)
    if problems:
        raise ImportFailed(problems)
    return count


def checked_rows(file: CsvFile, check: Callable[[dict], object], progress=None) -> Iterator:
    """Second pass, after `check_rows` found nothing wrong: the value of `check` for each row,
    one at a time. `check` must be a fresh checker (one that has not seen the rows yet)."""
    for record in file.records(progress):
        if isinstance(record, ImportProblem):  # cannot happen after check_rows; never skip a row silently
            raise ImportFailed([record])
        try:
            yield check(record)
        except (RowError, RowErrors):
            raise RuntimeError(f"row {record['_line']} passed the check, then failed it") from None


def batches(items: Iterable, size: int) -> Iterator[list]:
    """[1, 2, 3, 4, 5] by 2 -> [1, 2], [3, 4], [5] (itertools.batched, Python 3.12)."""
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def analyze(tables: Iterable[str]) -> None:
    """Refresh the query planner's statistics of `tables` after a bulk write, in the current
    transaction (on both engines ANALYZE sees the transaction's own rows, and the statistics
    commit with them). Without them a just-imported table is planned as if empty (PostgreSQL
    with autovacuum off, or before it gets round to it; SQLite never gathers them by itself),
    and pages over it ran 3-7x slower until someone ran ANALYZE."""
    from marketplace.extensions import db

    preparer = db.engine.dialect.identifier_preparer
    for table in dict.fromkeys(tables):
        db.session.execute(sa.text(f"ANALYZE {preparer.quote(table)}"))


_WHOLE_NUMBER = re.compile(r"\d+")
# The largest value of an INTEGER column (PostgreSQL's int4): no cell is read past it.
MAX_INTEGER = 2**31 - 1
# "150.000" as Vietnamese write thousands; a lone "12.5" or "12,5" is a decimal and refused.
_GROUPED_NUMBER = re.compile(r"\d{1,3}(?:\.\d{3})+")


class RowCheck:
    """Reads the cells of one row, collecting every problem instead of stopping at the first.

    Each reader returns the parsed value (None when the cell is bad); `done()` raises
    RowErrors when anything was wrong.
    """

    def __init__(self, row: dict[str, str]):
        self.row = row
        self.errors: list[RowError] = []

    @property
    def ok(self) -> bool:
        return not self.errors

    def fail(self, column: str, message: str) -> None:
        self.errors.append(RowError(column, message))

    def failed(self, column: str) -> bool:
        return any(e.column == column for e in self.errors)

    def text(self, column: str, *, required: bool = False, max_length: int | None = None) -> str:
        value = self.row[column]
        if required and not value:
            self.fail(column, _("a value is required"))
        elif max_length is not None and len(value) > max_length:
            self.fail(column, _("at most %(max)s characters", max=max_length))
        return value

    def whole_number(
        self,
        column: str,
        *,
        minimum: int = 0,
        maximum: int = MAX_INTEGER,
        grouped: bool = False,
        required: bool = True,
    ) -> int | None:
        """A non-negative whole number; with `grouped`, "150.000" is read as 150000."""
        value = self.row[column].replace(" ", "")
        if not value:
            if required:
                self.fail(column, _("a value is required"))
            return None
        if len(value) > 30:  # past any column's range (and past what int() reads quickly)
            self.fail(column, _("must be at most %(max)s", max=maximum))
            return None
        if _WHOLE_NUMBER.fullmatch(value):
            number = int(value)
        elif grouped and _GROUPED_NUMBER.fullmatch(value):
            number = int(value.replace(".", ""))
        elif value.startswith("-") and _WHOLE_NUMBER.fullmatch(value[1:]):
            number = -int(value[1:])
        else:
            self.fail(column, _("%(value)s is not a whole number", value=self.row[column]))
            return None
        if number < minimum:
            self.fail(column, _("must be at least %(min)s", min=minimum))
            return None
        if number > maximum:
            self.fail(column, _("must be at most %(max)s", max=maximum))
            return None
        return number

    def place(self, *, required: bool = False) -> tuple[int | None, int | None]:
        """The `province` and `ward` cells, written by name, as codes. With `required` both must
        be filled; otherwise both may be empty, but a ward needs its province."""
        province_name = self.text("province", required=required)
        ward_name = self.text("ward", required=required)
        if not province_name:
            if ward_name and not required:  # required: the empty province cell is reported already
                self.fail("province", _("a ward needs its province"))
            return None, None
        province = geo.find_province(province_name)
        if province is None:
            self.fail("province", _("unknown province %(value)s", value=province_name))
            return None, None
        ward = geo.find_ward(province, ward_name) if ward_name else None
        if ward_name and ward is None:
            self.fail(
                "ward",
                _(
                    "%(ward)s is not a ward or commune of %(province)s",
                    ward=ward_name,
                    province=geo.province_name(province),
                ),
            )
        return province, ward

    def done(self) -> None:
        if self.errors:
            raise RowErrors(self.errors)


class _NoProgress:
    def __enter__(self):
        return self

    def __exit__(self, *exc) -> bool:
        return False

    def update(self, n: int) -> None:
        pass


def progress_steps(progress: Callable[[int], object] | None, total: int):
    """The importers' `progress` argument: called with the number of steps, it returns a
    context manager giving an object with `update(n)` (click.progressbar fits). None: silent."""
    return progress(total) if progress is not None else _NoProgress()


def run_import_command(path: str, importer: Callable[..., ImportResult]) -> None:
    """The body of `marketplace <things> import FILE.csv`: one transaction, a progress bar,
    every problem on stderr and exit code 1 when anything is wrong (nothing written then).

    The planner statistics of the tables written are refreshed (ANALYZE) in the same
    transaction. After the commit the search index is brought up to date here, with its own
    progress bar, rather than by whichever web request searches first (see SearchUpdate).
    """
    import click
    from flask import current_app
    from flask_babel import force_locale
    from sqlalchemy.exc import SQLAlchemyError

    from marketplace.extensions import db

    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as error:
        click.echo(f"Error: cannot read {path}: {error.strerror or error}", err=True)
        raise click.exceptions.Exit(1)

    def bar(total: int):
        return click.progressbar(length=total, label="Importing", file=sys.stderr)

    config = current_app.config
    index_after_commit = config["SEARCH_APPLY_ON_COMMIT"]
    search = None
    # Command-line messages stay English, whatever the site's default language.
    with force_locale("en"):
        try:
            result = importer(data, progress=bar)
            del data
            if result.created or result.updated:
                analyze(result.tables)
            if index_after_commit:
                search = SearchUpdate.plan()
            # The commit would apply the change log to the index one product at a time, in
            # memory all at once; for thousands of products SearchUpdate does better.
            config["SEARCH_APPLY_ON_COMMIT"] = False
            try:
                db.session.commit()
            finally:
                config["SEARCH_APPLY_ON_COMMIT"] = index_after_commit
        except ImportFailed as failed:
            db.session.rollback()
            click.echo(f"Error: nothing was imported; {len(failed.problems)} problem(s) in {path}:", err=True)
            for problem in failed.problems:
                click.echo(str(problem), err=True)
            raise click.exceptions.Exit(1)
        except SQLAlchemyError as error:
            db.session.rollback()
            click.echo(
                f"Error: nothing was imported; the database refused the changes: {error.__class__.__name__}", err=True
            )
            raise click.exceptions.Exit(1)
    click.echo(f"Created {result.created}, updated {result.updated}")
    if search is not None:
        search.run()


# Rebuilding costs about as much per product in the catalogue (about 3 ms) as applying a
# change costs per changed product, and holds a bounded amount of memory where applying
# holds every changed document at once (bench/imports.py, 50,000 products: 150 s and
# 255 MB against 150 s and 355 MB). Past this share of the public products, rebuild.
REBUILD_SHARE = 0.5
REBUILD_AT_LEAST = 2000


@dataclass
class SearchUpdate:
    """How an import command brings this machine's search index up to date after its commit.

    Planned inside the import's transaction (whose connection sees its own rows and change
    log), carried out right after the commit, so the moment in which a web request could
    find the backlog and start applying it itself is as short as can be. A large backlog (a
    catalogue import) is indexed afresh in a new directory with a progress bar: as fast as
    updating documents one by one, in bounded memory, and searches go on with the old index
    meanwhile (they do not try to catch up while the lock is held). A small one is applied
    as any commit would. `run` never raises: the import is committed, and the change log
    keeps whatever is not applied for `marketplace search sync` or the next search.
    """

    pending: int | None  # changes the index lacks; None: there is no index yet
    public: int

    @property
    def rebuild(self) -> bool:
        return self.pending is None or self.pending >= max(REBUILD_AT_LEAST, REBUILD_SHARE * self.public)

    @classmethod
    def plan(cls) -> SearchUpdate | None:
        from marketplace.extensions import db
        from marketplace.search.index import count_public_products, get_index
        from marketplace.search.models import SearchChange

        try:
            index = get_index()
            connection = db.session.connection()
            public = count_public_products(connection)
            if index.current_directory() is None:
                return cls(None, public)
            meta = index.reading().meta
            pending = connection.scalar(sa.select(sa.func.count(SearchChange.id)).where(meta.pending_condition()))
        except Exception as error:  # the import must not fail for the index's sake
            _search_warning(error)
            return None
        return cls(pending, public)

    def run(self) -> None:
        import click
        from flask import current_app

        from marketplace.search.index import get_index

        if self.pending == 0 or (self.pending is None and self.public == 0):
            return  # nothing to apply; an empty index is built by the first search
        index = get_index()
        start = time.perf_counter()
        try:
            if self.rebuild:
                reason = "no index yet" if self.pending is None else f"{self.pending} changes"
                with click.progressbar(
                    length=self.public, label=f"Rebuilding the search index ({reason})", file=sys.stderr
                ) as bar:
                    count = index.rebuild(progress=bar.update, processes=current_app.config["SEARCH_INDEX_PROCESSES"])
                click.echo(f"Search index rebuilt: {count} products in {time.perf_counter() - start:.1f} s")
            else:
                click.echo(f"Updating the search index ({self.pending} changes)", err=True)
                count = index.apply_changes()
                click.echo(f"Search index updated: {count} products in {time.perf_counter() - start:.1f} s")
        except Exception as error:
            _search_warning(error)


def _search_warning(error: Exception) -> None:
    import logging

    import click

    logging.getLogger(__name__).warning("Search index not updated after an import", exc_info=True)
    click.echo(
        f"Warning: the search index was not updated ({error.__class__.__name__}: {error}); "
        "run `marketplace search sync` (otherwise the next search catches up).",
        err=True,
    )
