"""All-or-nothing CSV imports with a per-row report.

Each importer gives the exact header it expects and a function that turns one row
into a change (or raises RowError with the column and reason). Every row is checked
first; if any fails, the caller gets every error and nothing is written.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _


@dataclass
class RowError(Exception):
    column: str
    message: str


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
            row = {name: value.strip() for name, value in zip(expected_header, values)}
            row["_line"] = line_number
            rows.append(row)
    except csv.Error as error:
        problems.append(ImportProblem(reader.line_num, "-", str(error)))
    if problems:
        raise ImportFailed(problems)
    return rows


def check_rows(rows: Iterable[dict], check: Callable[[dict], object], progress=None) -> list:
    """Run `check` on every row; collect every RowError; raise ImportFailed if any.

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
        if progress is not None:
            progress.update(1)
    if problems:
        raise ImportFailed(problems)
    return results
