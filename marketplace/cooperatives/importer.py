"""Cooperatives from a CSV file (the agencies' registers), all or nothing.

Imported cooperatives were vetted by the agency that keeps the register, so new
ones start approved. A row whose slug already exists updates that cooperative
and leaves its status alone: a suspension is not undone by a data import.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.cooperatives.models import Cooperative, CooperativeStatus, CooperativeStatusChange
from marketplace.core.csv_import import (
    CsvFile,
    ImportResult,
    RowCheck,
    batches,
    check_rows,
    checked_rows,
    progress_steps,
)
from marketplace.core.models import utcnow
from marketplace.extensions import db

logger = logging.getLogger(__name__)

COOPERATIVE_HEADER = [
    "slug",
    "name",
    "registration_code",
    "province",
    "ward",
    "founded_on",
    "is_youth",
    "members",
    "youth_members",
    "representative",
    "phone",
    "email",
    "description",
]

IMPORT_REASON = "Imported"

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_LANDLINE = re.compile(r"02\d{9}")
# More members than this is a typo, and would overflow the database column.
MAX_MEMBERS = 1_000_000
# Rows written (and flushed) together.
BATCH = 500
# Cooperatives, their status history and (when a name, place or status changed) the
# search log rows of their products.
TABLES = ("cooperatives", "cooperative_status_changes", "search_changes")


@dataclass
class CooperativeRow:
    slug: str
    name: str
    registration_code: str | None
    province_code: int
    ward_code: int
    founded_on: date | None
    is_youth: bool
    member_count: int
    youth_member_count: int
    representative: str | None
    phone: str | None
    email: str | None
    description: str


def import_cooperatives(data: bytes | str, progress=None) -> ImportResult:
    """Check every row, then create or update; raises ImportFailed (nothing changed) on any problem.

    `progress`, when given, is called with the number of steps and returns a context
    manager whose value has `update(n)` (click.progressbar fits). Flushes, never commits.
    The file is read in passes (check, then write BATCH rows at a time), never held whole.
    """
    file = CsvFile(data, COOPERATIVE_HEADER)
    codes_in_use = _codes_in_use(file)
    with progress_steps(progress, 2 * file.data_lines) as bar:
        check_rows(file, _RowChecker(codes_in_use), progress=bar)
        result = _apply(checked_rows(file, _RowChecker(codes_in_use), progress=bar))
    logger.info("Imported cooperatives: %s created, %s updated", result.created, result.updated)
    return result


def _codes_in_use(file: CsvFile) -> dict[str, str]:
    """Registration codes of the file already taken by cooperatives the file does not describe."""
    slugs, codes = set(), set()
    for row in file.rows():
        slugs.add(row["slug"])
        if row["registration_code"]:
            codes.add(row["registration_code"])
    taken = {}
    for chunk in batches(sorted(codes), 500):
        taken.update(
            db.session.execute(
                select(Cooperative.registration_code, Cooperative.slug).where(Cooperative.registration_code.in_(chunk))
            ).all()
        )
    return {code: slug for code, slug in taken.items() if slug not in slugs}


class _RowChecker:
    def __init__(self, codes_in_use: dict[str, str]):
        self.codes_in_use = codes_in_use
        self.slug_rows: dict[str, int] = {}
        self.code_rows: dict[str, int] = {}

    def __call__(self, row: dict) -> CooperativeRow:
        cells = RowCheck(row)
        slug = self._slug(cells)
        name = cells.text("name", required=True, max_length=200)
        code = self._registration_code(cells)
        province_code, ward_code = cells.place(required=True)
        founded_on = self._founded_on(cells)
        is_youth = self._is_youth(cells)
        members = cells.whole_number("members", maximum=MAX_MEMBERS)
        youth_members = cells.whole_number("youth_members", maximum=MAX_MEMBERS)
        if members is not None and youth_members is not None and youth_members > members:
            cells.fail(
                "youth_members",
                _("more youth members (%(youth)s) than members (%(members)s)", youth=youth_members, members=members),
            )
        representative = cells.text("representative", max_length=120)
        phone = _phone(cells)
        email = _email(cells)
        description = cells.text("description", max_length=5000)
        cells.done()
        return CooperativeRow(
            slug=slug,
            name=name,
            registration_code=code or None,
            province_code=province_code,
            ward_code=ward_code,
            founded_on=founded_on,
            is_youth=is_youth,
            member_count=members,
            youth_member_count=youth_members,
            representative=representative or None,
            phone=phone,
            email=email,
            description=description,
        )

    def _slug(self, cells: RowCheck) -> str:
        slug = cells.text("slug", required=True, max_length=100)
        if slug and not cells.failed("slug"):
            if not _SLUG.fullmatch(slug):
                cells.fail("slug", _("use only lower-case letters a-z, digits and single hyphens"))
            elif slug in self.slug_rows:
                cells.fail("slug", _("%(value)s is already on row %(row)s", value=slug, row=self.slug_rows[slug]))
            else:
                self.slug_rows[slug] = cells.row["_line"]
        return slug

    def _registration_code(self, cells: RowCheck) -> str:
        code = cells.text("registration_code", max_length=20)
        if code and not cells.failed("registration_code"):
            if code in self.code_rows:
                cells.fail(
                    "registration_code",
                    _("%(value)s is already on row %(row)s", value=code, row=self.code_rows[code]),
                )
            elif code in self.codes_in_use:
                cells.fail(
                    "registration_code",
                    _("%(value)s belongs to another cooperative (%(slug)s)", value=code, slug=self.codes_in_use[code]),
                )
            else:
                self.code_rows[code] = cells.row["_line"]
        return code

    @staticmethod
    def _founded_on(cells: RowCheck) -> date | None:
        value = cells.row["founded_on"]
        if not value:
            return None
        try:
            if not _DATE.fullmatch(value):
                raise ValueError(value)
            founded_on = date.fromisoformat(value)
        except ValueError:
            cells.fail("founded_on", _("%(value)s is not a date written YYYY-MM-DD", value=value))
            return None
        if founded_on > utcnow().date():
            cells.fail("founded_on", _("the date is in the future"))
            return None
        return founded_on

    @staticmethod
    def _is_youth(cells: RowCheck) -> bool:
        value = cells.row["is_youth"]
        if value not in ("0", "1"):
            cells.fail("is_youth", _("write 1 (youth cooperative) or 0, not %(value)s", value=value or '""'))
        return value == "1"


def _phone(cells: RowCheck) -> str | None:
    value = cells.text("phone", max_length=20)
    if not value or cells.failed("phone"):
        return value or None
    phone = normalise_phone(value)
    if phone is None:
        cells.fail("phone", _("%(value)s is not a Vietnamese phone number", value=value))
    return phone


def normalise_phone(value: str) -> str | None:
    """A mobile number as accounts store it, or a landline (02x…): cooperatives have offices."""
    compact = re.sub(r"[\s.\-()]", "", value)
    for prefix in ("+84", "0084"):
        if compact.startswith(prefix):
            compact = "0" + compact[len(prefix) :]
    from marketplace.core.phone import normalise_vn_phone

    try:
        return normalise_vn_phone(value)
    except ValueError:
        return compact if _LANDLINE.fullmatch(compact) else None


def _email(cells: RowCheck) -> str | None:
    value = cells.text("email", max_length=254)
    if not value or cells.failed("email"):
        return value or None
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        cells.fail("email", _("%(value)s is not an email address", value=value))
        return None


def _apply(rows: Iterable[CooperativeRow]) -> ImportResult:
    result = ImportResult(tables=TABLES)
    now = utcnow()
    for batch in batches(rows, BATCH):
        existing = {
            c.slug: c
            for c in db.session.scalars(select(Cooperative).where(Cooperative.slug.in_([r.slug for r in batch])))
        }
        for row in batch:
            cooperative = existing.get(row.slug)
            if cooperative is None:
                cooperative = Cooperative(
                    slug=row.slug,
                    status=CooperativeStatus.APPROVED,
                    status_changed_at=now,
                    status_reason=IMPORT_REASON,
                )
                cooperative.status_changes.append(
                    CooperativeStatusChange(
                        from_status=CooperativeStatus.PENDING,
                        to_status=CooperativeStatus.APPROVED,
                        reason=IMPORT_REASON,
                    )
                )
                db.session.add(cooperative)
                result.created += 1
            else:
                result.updated += 1
            for name, value in vars(row).items():
                setattr(cooperative, name, value)
        # The session's listeners see these writes (a renamed cooperative logs its products for search).
        db.session.flush()
    return result
