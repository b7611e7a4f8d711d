"""What the public sees of fairs: lists by phase, a fair's booth directory, a booth.

The visibility rule lives here, for the web pages and the JSON API alike: a fair is
public unless it is a draft; a booth is listed once approved and only while its
cooperative is approved; a showcased product is listed while it is public (active,
its cooperative approved). Phases follow `Fair.phase`, written here as SQL:

- ongoing: published, and `starts_at <= now < ends_at`;
- upcoming: accepting applications and not yet ended, or published and not yet started;
- past: closed, or ended (`ends_at <= now`).

Prices come from fairs.pricing (one query for every product of a fair).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import abort
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy.orm import contains_eager, selectinload

from marketplace.catalog.models import Product, ProductStatus
from marketplace.catalog.queries import _Reader, is_public_cooperative
from marketplace.cooperatives.models import Cooperative
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Booth, BoothProduct, BoothStatus, Fair, FairStatus
from marketplace.fairs.pricing import FairPrice, fair_prices

PHASES = ("upcoming", "ongoing", "past")
MAX_PER_PAGE = 100


# --- visibility and phases ------------------------------------------------------------


def is_public_fair():
    return Fair.status != FairStatus.DRAFT


def in_phase(phase: str, at: datetime):
    """SQL condition: a public fair in `phase` at `at` (the same answer as Fair.phase)."""
    if phase == "ongoing":
        return sa.and_(Fair.status == FairStatus.PUBLISHED, Fair.starts_at <= at, Fair.ends_at > at)
    if phase == "upcoming":
        return sa.or_(
            sa.and_(Fair.status == FairStatus.ACCEPTING, Fair.ends_at > at),
            sa.and_(Fair.status == FairStatus.PUBLISHED, Fair.starts_at > at),
        )
    if phase == "past":
        return sa.and_(is_public_fair(), sa.or_(Fair.status == FairStatus.CLOSED, Fair.ends_at <= at))
    raise ValueError(f"unknown phase {phase!r}")


# Upcoming: soonest first; ongoing: ending soonest first; past: most recently ended first.
_ORDER = {
    "upcoming": (Fair.starts_at, Fair.id),
    "ongoing": (Fair.ends_at, Fair.id),
    "past": (Fair.ends_at.desc(), Fair.id.desc()),
    None: (Fair.starts_at.desc(), Fair.id.desc()),
}


def public_fairs(phase: str | None = None, at: datetime | None = None) -> sa.Select:
    """Public fairs (of `phase` when given), organisers loaded, in the phase's order."""
    at = at or utcnow()
    query = sa.select(Fair).where(in_phase(phase, at) if phase else is_public_fair())
    return query.options(selectinload(Fair.organisers)).order_by(*_ORDER[phase])


def fairs_in_phase(phase: str, at: datetime | None = None, limit: int | None = None) -> list[Fair]:
    query = public_fairs(phase, at)
    if limit is not None:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def paginate_fairs(phase: str | None, page: int, per_page: int, at: datetime | None = None) -> Pagination:
    return db.paginate(public_fairs(phase, at), page=page, per_page=per_page, error_out=False, count=True)


def phase_counts(at: datetime | None = None) -> dict[str, int]:
    """{phase: number of public fairs in it}, in one query."""
    at = at or utcnow()
    row = db.session.execute(
        sa.select(
            *(sa.func.coalesce(sa.func.sum(sa.case((in_phase(p, at), 1), else_=0)), 0) for p in PHASES)
        ).select_from(Fair)
    ).one()
    return dict(zip(PHASES, (int(n) for n in row), strict=True))


def ongoing_fairs(at: datetime | None = None) -> list[Fair]:
    """The fairs on right now (for the home page banner)."""
    return fairs_in_phase("ongoing", at)


def booth_counts(fair_ids) -> dict[int, int]:
    """{fair id: its listed booths} for a page of fairs, in one query."""
    ids = list(fair_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Booth.fair_id, sa.func.count())
        .join(Booth.cooperative)
        .where(Booth.fair_id.in_(ids), Booth.status == BoothStatus.APPROVED, is_public_cooperative())
        .group_by(Booth.fair_id)
    )
    return {fair_id: count for fair_id, count in rows}


# --- listing parameters ---------------------------------------------------------------


@dataclass(frozen=True)
class FairFilters:
    phase: str | None = None
    page: int = 1
    per_page: int = 24


def read_fair_filters(args: Mapping[str, str], *, per_page: int, allow_per_page: bool = False) -> FairFilters:
    """`status` (a phase, optional), `page`, `per_page`; catalog.queries.InvalidParameters
    names every bad one (the API answers 400, the web page its 400 page)."""
    reader = _Reader(args)
    status = reader.text("status")
    if status is not None and status not in PHASES:
        reader.errors["status"] = _l("must be one of %(choices)s", choices=", ".join(PHASES))
        status = None
    filters = FairFilters(phase=status, page=reader.page(), per_page=reader.per_page(per_page, allow_per_page))
    reader.done()
    return filters


# --- one fair ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Showcased:
    """A product shown at a booth, with its prices at the time the page is made."""

    product: Product
    booth_fair_price_vnd: int | None  # what the booth offers during the fair (None: no fair price)
    applied: FairPrice | None  # the fair price applying right now, if any (the lowest of any fair)

    @property
    def regular_price_vnd(self) -> int:
        return self.product.price_vnd

    @property
    def fair_price_vnd(self) -> int | None:
        return self.applied.price_vnd if self.applied else None

    @property
    def current_price_vnd(self) -> int:
        return self.applied.price_vnd if self.applied else self.product.price_vnd

    @property
    def announced_fair_price_vnd(self) -> int | None:
        """The booth's fair price when it really is a discount (else the rule ignores it)."""
        price = self.booth_fair_price_vnd
        return price if price is not None and price < self.product.price_vnd else None


@dataclass(frozen=True)
class BoothEntry:
    booth: Booth
    showcased: list[Showcased]

    @property
    def cooperative(self) -> Cooperative:
        return self.booth.cooperative


@dataclass(frozen=True)
class FairPage:
    fair: Fair
    booths: list[BoothEntry]
    at: datetime

    @property
    def phase(self) -> str:
        return self.fair.phase(self.at)

    @property
    def is_on(self) -> bool:
        return self.fair.is_on(self.at)


def get_public_fair(slug: str) -> Fair:
    """A public fair with its organisers, or 404 (drafts too)."""
    fair = db.session.scalars(
        sa.select(Fair).where(Fair.slug == slug, is_public_fair()).options(selectinload(Fair.organisers))
    ).first()
    if fair is None:
        abort(404)
    return fair


def _natural_key(number: str | None) -> tuple:
    """ "A2" before "A10"; booths without a number (none are listed) last."""
    if not number:
        return ((1,),)
    return tuple(
        (0, int(part), "") if part.isdigit() else (0, 0, part.lower()) for part in re.findall(r"\d+|\D+", number)
    )


def listed_booths(fair: Fair, number: str | None = None) -> list[Booth]:
    """The fair's approved booths of approved cooperatives (one of them when `number` is
    given), with their cooperatives and showcased products loaded."""
    query = (
        sa.select(Booth)
        .join(Booth.cooperative)
        .where(Booth.fair_id == fair.id, Booth.status == BoothStatus.APPROVED, is_public_cooperative())
        .options(
            contains_eager(Booth.cooperative),
            selectinload(Booth.products).selectinload(BoothProduct.product).selectinload(Product.images),
        )
    )
    if number is not None:
        query = query.where(Booth.number == number)
    return sorted(db.session.scalars(query).unique(), key=lambda b: (_natural_key(b.number), b.id))


def _entries(booths: list[Booth], at: datetime) -> list[BoothEntry]:
    """Each booth with its public showcased products and their prices (one price query)."""
    shown = {booth.id: [bp for bp in booth.products if bp.product.status == ProductStatus.ACTIVE] for booth in booths}
    prices = fair_prices({bp.product_id for items in shown.values() for bp in items}, at)
    return [
        BoothEntry(
            booth, [Showcased(bp.product, bp.fair_price_vnd, prices.get(bp.product_id)) for bp in shown[booth.id]]
        )
        for booth in booths
    ]


def fair_page(slug: str, at: datetime | None = None) -> FairPage:
    """A public fair with its booth directory, or 404."""
    at = at or utcnow()
    fair = get_public_fair(slug)
    return FairPage(fair, _entries(listed_booths(fair), at), at)


def booth_page(slug: str, number: str, at: datetime | None = None) -> tuple[FairPage, BoothEntry]:
    """A listed booth of a public fair by its number, or 404."""
    at = at or utcnow()
    fair = get_public_fair(slug)
    booths = listed_booths(fair, number)
    if not booths:
        abort(404)
    entries = _entries(booths, at)
    return FairPage(fair, entries, at), entries[0]
