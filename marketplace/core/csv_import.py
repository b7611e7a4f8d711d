"""All-or-nothing CSV imports with a per-row report.

Each importer gives the exact header it expects and a function that turns one row
into a change (or raises RowError with the column and reason). Every row is checked
first; if any fails, the caller gets every error and nothing is written.
"""
from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _

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


def read_rows(data: str | bytes, expected_header: list[str]) -> list[dict[str, str]]:
    """Parse CSV text (UTF-8, BOM allowed) and check the header; raises ImportFailed."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ImportFailed([ImportProblem(1, "-", _("the file is not UTF-8 text"))])
    if "\x00" in data:
        # Text files hold no NUL characters (and PostgreSQL refuses them in any string).
        raise ImportFailed([ImportProblem(1, "-", _("the file is not UTF-8 text"))])
    data = data.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(data))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed([ImportProblem(1, "-", _("the file is empty"))])
    except csv.Error as error:
        raise ImportFailed([ImportProblem(1, "-", str(error))])
    header = [h.strip() for h in header]
    if header != expected_header:
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
    rows = []
    problems = []
    try:
        for line_number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(expected_header):
                problems.append(
                    ImportProblem(
                        line_number,
                        "-",
                        _("expected %(expected)s values, found %(found)s", expected=len(expected_header), found=len(values)),
                    )
                )
                continue
            # A leading apostrophe our exports put before = + - @ (see core.spreadsheet) comes off.
            row = {name: unguarded(value.strip()) for name, value in zip(expected_header, values)}
            row["_line"] = line_number
            rows.append(row)
    except csv.Error as error:
        problems.append(ImportProblem(reader.line_num, "-", str(error)))
    if problems:
        raise ImportFailed(problems)
    return rows


def check_rows(rows: Iterable[dict], check: Callable[[dict], object], progress=None) -> list:
    """Run `check` on every row; collect every RowError (or RowErrors); raise ImportFailed if any.

    `check` returns a value describing the change; the list of values is returned
    so the caller applies them only when every row passed.
    """
    results = []
    problems = []
    for row in rows:
        try:
            results.append(check(row))
        except RowError as error:
            problems.append(ImportProblem(row["_line"], error.column, error.message))
        except RowErrors as errors:
            problems.extend(ImportProblem(row["_line"], e.column, e.message) for e in errors.errors)
        if progress is not None:
            progress.update(1)
    if problems:
        raise ImportFailed(problems)
    return results


_WHOLE_NUMBER = re.compile(r"\d+")
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
        maximum: int | None = None,
        grouped: bool = False,
        required: bool = True,
    ) -> int | None:
        """A non-negative whole number; with `grouped`, "150.000" is read as 150000."""
        value = self.row[column].replace(" ", "")
        if not value:
            if required:
                self.fail(column, _("a value is required"))
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
        if maximum is not None and number > maximum:
            self.fail(column, _("must be at most %(max)s", max=maximum))
            return None
        return number

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
    every problem on stderr and exit code 1 when anything is wrong (nothing written then)."""
    import click
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

    # Command-line messages stay English, whatever the site's default language.
    with force_locale("en"):
        try:
            result = importer(data, progress=bar)
            db.session.commit()
        except ImportFailed as failed:
            db.session.rollback()
            click.echo(f"Error: nothing was imported; {len(failed.problems)} problem(s) in {path}:", err=True)
            for problem in failed.problems:
                click.echo(str(problem), err=True)
            raise click.exceptions.Exit(1)
        except SQLAlchemyError as error:
            db.session.rollback()
            click.echo(f"Error: nothing was imported; the database refused the changes: {error.__class__.__name__}",
                       err=True)
            raise click.exceptions.Exit(1)
    click.echo(f"Created {result.created}, updated {result.updated}")
